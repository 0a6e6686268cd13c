"""TemposeNet: contract, size, hand-checked features and loss, causality, and the coordinate-output path
through training, evaluation and whole-sequence inference."""

from __future__ import annotations

import json

import pytest
import torch

from conftest import write_keypoint_store
from tempose.heatmaps import render
from tempose.inference import refine_sequence
from tempose.models import build_model, output_space, param_count, predict_keypoints
from tempose.models.tempose_net import heatmap_features, rendered_features
from tempose.training.module import RefinerModule

NAMES = ["tempose_net", "tempose_net_causal"]


@pytest.mark.parametrize("name", NAMES)
def test_contract_size_and_receptive_field(name):
    model = build_model(name)
    assert (model.input_space, output_space(model), model.causal) == ("heatmaps", "coords", name.endswith("causal"))
    # map front end 25·25·1·5·5+25 and its context branch 25·25·1·5·5; stem 7·64+64, keypoint embedding
    # 64·25, 4 blocks × (LayerNorm 128 + conv 64·64·3+64 + 1×1 64·64+64 + LayerNorm 128 + keypoint mixing
    # 25·25+25), norm 128, head 64·2+2, smoothing kernel 15
    by_hand = 15_650 + 15_625 + 512 + 1_600 + 4 * (128 + 12_352 + 4_160 + 128 + 650) + 128 + 130 + 15
    assert param_count(model) == by_hand == 103_332
    assert param_count(model) <= 200_000
    assert model.receptive_field == 1 + 2 * (1 + 2 + 4 + 8) == 31


@pytest.mark.parametrize("k,size,t", [(3, (12, 10), 5), (7, (8, 8), 9), (25, (64, 64), 1)])
def test_any_keypoints_size_and_length(k, size, t):
    model = build_model("tempose_net", num_keypoints=k, heatmap_size=size, window=t)
    out = model(torch.rand(2, t, k, *size))
    assert out.shape == (2, t, k, 2) and torch.isfinite(out).all()


def test_features_by_hand():
    hm = torch.zeros(2, 8, 8)
    hm[0, 3, 5], hm[0, 3, 6] = 2.0, 1.0  # peak (x 5, y 3), a third of the 3×3 mass one column right
    xy, found, f = heatmap_features(hm)
    assert found.tolist() == [True, False]
    assert torch.allclose(xy[0], torch.tensor([5 + 1 / 3, 3.0]))
    assert xy[1].tolist() == [0.0, 0.0] and f[1].tolist() == [0.0] * 5  # empty map: nothing invented
    # x, y scaled to [-1, 1] over the pixel extent, found, log peak share, RMS radius of the 3×3 mass
    expected = [2 * (5 + 1 / 3 + 0.5) / 8 - 1, 2 * 3.5 / 8 - 1, 1.0, float(torch.log(torch.tensor(2 / 3 + 1e-4))),
                (1 / 3 - 1 / 9) ** 0.5]  # fmt: skip
    assert torch.allclose(f[0], torch.tensor(expected), atol=1e-6)


def test_border_peak_is_not_pulled_by_clamped_neighbours():
    hm = torch.zeros(1, 6, 6)
    hm[0, 0, 0] = 1.0
    xy, _, _ = heatmap_features(hm)
    assert xy[0].tolist() == [0.0, 0.0]


def test_rendered_features_equal_features_of_rendered_maps():
    # interior, every border and corner, off-grid (dropped) and invisible points, several σ per frame
    g = torch.Generator().manual_seed(3)
    xy = torch.randint(-2, 58, (6, 25, 2), generator=g).float()
    xy[0, :4] = torch.tensor([[0.0, 0.0], [55.0, 55.0], [0.0, 30.0], [55.0, 1.0]])
    sigma = torch.tensor([1.0, 1.5, 2.0, 2.5, 3.0, 1.0])[:, None].expand(6, 25)
    visible = torch.rand(6, 25, generator=g) > 0.2
    expected = heatmap_features(render(xy, (56, 56), sigma=sigma, visible=visible))
    got = rendered_features(xy, sigma, visible, (56, 56))
    assert torch.equal(got[1], expected[1]) and expected[1].sum() > 100  # same found flags, most found
    for a, b in zip(got[::2], expected[::2], strict=True):
        assert torch.allclose(a, b, atol=1e-5)


def test_untrained_model_is_a_gaussian_smoother():
    torch.manual_seed(0)
    still = (torch.rand(1, 1, 25, 2) * 40 + 5).round().expand(1, 7, 25, 2)
    hm = render(still, (56, 56), sigma=1.5)
    model = build_model("tempose_net", smooth_size=3, smooth_sigma=1.0).eval()
    assert torch.allclose(predict_keypoints(model, hm), still, atol=1e-5)  # symmetric blobs at integer points
    # one keypoint jumps by 6 px in frame 3 only: weights e^-0.5, 1, e^-0.5 spread the jump over frames 2–4
    moved = still.clone()
    moved[0, 3, 0, 0] += 6
    out = predict_keypoints(model, render(moved, (56, 56)))
    w = torch.softmax(torch.tensor([-0.5, 0.0, -0.5]), 0)
    expected = still[0, :, 0, 0] + 6 * torch.tensor([0, 0, w[0], w[1], w[2], 0, 0])
    assert torch.allclose(out[0, :, 0, 0], expected, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_moving_the_person_moves_the_output_by_the_same_amount(name):
    # the network sees only positions relative to its base trajectory, so a trained model (random
    # non-zero head here) is translation-equivariant away from the borders
    torch.manual_seed(2)
    model = build_model(name, num_keypoints=6, heatmap_size=(40, 40)).eval()
    torch.nn.init.normal_(model.head.weight, std=0.5)
    xy = (torch.rand(1, 9, 6, 2) * 16 + 10).round()
    sigma = torch.rand(1, 9, 6) + 1
    out = predict_keypoints(model, render(xy, (40, 40), sigma=sigma))
    moved = predict_keypoints(model, render(xy + torch.tensor([5.0, -3.0]), (40, 40), sigma=sigma))
    assert (out - xy).abs().max() > 0.1  # the head does move the keypoints
    assert torch.allclose(moved, out + torch.tensor([5.0, -3.0]), atol=1e-4)


def test_a_keypoint_missing_from_pretraining_does_not_disturb_the_others_later():
    # pretrain-like steps where keypoint 3 is never detected (Penn Action has no ears, toes…): its mixing
    # column and embedding get no gradient and stay zero, so when finetuning data has it, the other
    # keypoints' outputs are exactly those of the pretrained model
    torch.manual_seed(4)
    model = build_model("tempose_net", num_keypoints=4, heatmap_size=(16, 16))
    xy = (torch.rand(8, 9, 4, 2) * 8 + 4).round()
    visible = torch.ones(8, 9, 4, dtype=torch.bool)
    visible[..., 3] = False
    batch = {"target_xy": xy, "visible": visible, "loss_mask": torch.tensor([[True, True, True, False]] * 8)}
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(3):
        noisy = render(xy + torch.randn(xy.shape), (16, 16), visible=visible)
        loss = model.loss(model(noisy), batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert all(b.keypoint_mix.weight[:, 3].abs().max() == 0 for b in model.blocks)
    assert all(b.keypoint_mix.weight[:, :3].abs().max() > 0 for b in model.blocks)  # the others did learn
    assert model.keypoint_embedding[:, 3].abs().max() == 0
    model.eval()
    hm = render(xy[:1], (16, 16))
    without = predict_keypoints(model, torch.cat([hm[:, :, :3], torch.zeros_like(hm[:, :, 3:])], 2))
    assert torch.allclose(predict_keypoints(model, hm)[..., :3, :], without[..., :3, :], atol=1e-5)


def test_gaps_are_bridged_and_empty_keypoints_take_the_frames_mean():
    hm = render(torch.tensor([[10.0, 20.0], [30.0, 40.0], [0.0, 0.0]]).expand(1, 3, 3, 2), (56, 56))
    hm[:, :, 2] = 0  # never detected: the mean of the frame's detections
    hm[:, 1, 0] = 0  # missed in frame 1: its neighbours' position
    out = build_model("tempose_net", num_keypoints=3)(hm)
    assert torch.allclose(out[0, :, 2], torch.tensor([[20.0, 30.0], [30.0, 40.0], [20.0, 30.0]]))
    assert torch.allclose(out[0, :, 0], torch.tensor([10.0, 20.0]).expand(3, 2))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("map_kernel,map_context", [((1, 5, 5), 0), ((3, 3, 3), 0), ((3, 3, 3), 2)])
def test_causality(name, map_kernel, map_context):
    torch.manual_seed(1)
    model = build_model(name, num_keypoints=4, heatmap_size=(16, 16), map_kernel=map_kernel,
                        map_context=map_context).eval()  # fmt: skip
    for p in model.parameters():  # a non-trivial network (the head starts at zero)
        torch.nn.init.normal_(p, std=0.2)
    x = torch.rand(1, 12, 4, 16, 16)
    y = x.clone()
    y[:, 8:] = torch.rand(1, 4, 4, 16, 16)  # change the future of frame 7
    a, b = model(x), model(y)
    assert torch.equal(a[:, :8], b[:, :8]) == model.causal
    assert not torch.equal(a[:, 8:], b[:, 8:])


def test_loss_by_hand():
    model = build_model("tempose_net", num_keypoints=2, velocity_weight=0.5)
    target = torch.zeros(1, 3, 2, 2)
    pred = target.clone()
    pred[0, 1, 0, 0] = 2.0  # one x off by 2 px in the middle frame
    batch = {"target_xy": target, "visible": torch.ones(1, 3, 2, dtype=torch.bool),
             "loss_mask": torch.tensor([[True, True]])}  # fmt: skip
    # position: 2 / 12 coordinates; velocity: |+2| + |−2| over 2·2·2 = 8 coordinates, × 0.5
    assert float(model.loss(pred, batch)) == pytest.approx(2 / 12 + 0.5 * 4 / 8)
    batch["loss_mask"] = torch.tensor([[False, True]])  # keypoint 0 not provided by the source
    assert float(model.loss(pred, batch)) == 0.0


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("map_kernel", [(1, 5, 5), (3, 3, 3)])
def test_the_map_front_end_starts_as_the_identity(name, map_kernel):
    torch.manual_seed(2)
    with_front = build_model(name, num_keypoints=3, heatmap_size=(16, 16), map_kernel=map_kernel)
    without = build_model(name, num_keypoints=3, heatmap_size=(16, 16), map_kernel=())
    without.load_state_dict({k: v for k, v in with_front.state_dict().items() if not k.startswith("front.")})
    for p in without.head.parameters():  # a non-trivial network (the head starts at zero)
        torch.nn.init.normal_(p, std=0.2)
    with_front.head.load_state_dict(without.head.state_dict())
    x = torch.rand(2, 7, 3, 16, 16)
    assert torch.equal(with_front.front(x), x)
    assert torch.allclose(with_front(x), without(x))


def test_the_front_ends_context_branch_starts_at_zero_and_reaches_d_pixels_per_tap():
    from tempose.models.tempose_net import MapFrontEnd

    front = MapFrontEnd(1, (1, 5, 5), causal=False, context=3)
    assert param_count(front) == (25 + 1) + 25  # the 5×5 conv with its bias + the bias-free context conv
    x = torch.zeros(1, 1, 1, 16, 16)
    x[..., 8, 10] = 2.0
    assert torch.equal(front(x), x)  # zero-initialised: the front end is still the identity
    with torch.no_grad():
        front.context.weight[0, 0, 0, 2, 4] = 0.5  # the tap two steps right of the centre: 2·3 = 6 px
    want = x.clone()
    want[..., 8, 10 - 6] = 1.0  # each output reads the input 6 px to its right
    want[..., 8, 10] = 2.0
    assert torch.equal(front(x), want)
    assert param_count(build_model("tempose_net", map_context=0)) == 103_332 - 15_625
    torch.manual_seed(4)
    wide = MapFrontEnd(3, (3, 5, 3), causal=True, context=3)
    torch.nn.init.normal_(wide.context.weight)
    z = torch.rand(2, 3, 6, 13, 8)  # (B, K, T, H, W): sides that are not multiples of 3
    assert torch.allclose(wide._wide(z), wide.context(z), atol=1e-5)  # the sub-grid route = the dilated conv


def test_checkpoints_from_before_the_context_branch_load_as_a_zero_branch():
    torch.manual_seed(5)
    old = build_model("tempose_net", num_keypoints=3, heatmap_size=(16, 16), map_context=0)
    for p in old.parameters():
        torch.nn.init.normal_(p, std=0.2)
    new = build_model("tempose_net", num_keypoints=3, heatmap_size=(16, 16))  # the default has the branch
    new.load_state_dict(old.state_dict())  # no front.context.weight in it
    assert new.front.context is not None and not new.front.context.weight.any()
    x = torch.rand(1, 6, 3, 16, 16)
    assert torch.allclose(new(x), old(x))


def test_map_loss_by_hand():
    xy = torch.tensor([[[4.0, 5.0], [9.0, 2.0]]])  # (T=1, K=2, 2)
    batch = {"target_xy": xy[None], "visible": torch.ones(1, 1, 2, dtype=torch.bool),
             "loss_mask": torch.tensor([[True, True]])}  # fmt: skip
    maps = render(xy, (12, 12))[None].clone()  # (B, T, K, H, W): exactly the σ = 1 targets
    model = build_model("tempose_net", num_keypoints=2, heatmap_size=(12, 12))
    assert float(model.map_loss(maps, batch)) == 0.0
    maps[0, 0, 1, 0, 0] += 255.0  # one extra unit of mass (maps sum to 255) in keypoint 1's map
    assert float(model.map_loss(maps, batch)) == pytest.approx(1.0 / 2)  # 1² summed, over 2 maps
    batch["visible"][0, 0, 1] = False  # keypoint 1 has no target: its map is not scored
    assert float(model.map_loss(maps, batch)) == 0.0


def test_only_the_heatmap_loss_trains_the_front_end_at_its_own_learning_rate():
    torch.manual_seed(3)
    xy = torch.tensor([[4.0, 5.0], [9.0, 2.0]]).expand(1, 5, 2, 2)
    batch = {"input": render(xy + 1, (12, 12)), "target_xy": xy, "visible": torch.ones(1, 5, 2, dtype=torch.bool),
             "loss_mask": torch.tensor([[True, True]])}  # fmt: skip
    module = RefinerModule("tempose_net", num_keypoints=2, heatmap_size=(12, 12), window=5, lr=1e-4)
    for weight, reaches_front in ((0.0, False), (0.02, True)):
        module.model.map_weight = weight
        module.zero_grad()
        module.loss(module(batch["input"]), batch).backward()
        grad = module.model.front.conv.weight.grad
        assert (grad is not None and bool(grad.abs().sum() > 0)) == reaches_front
    groups = module.configure_optimizers()["optimizer"].param_groups
    front = {id(p) for p in module.model.front.parameters()}
    assert [(g["lr"], all(id(p) in front for p in g["params"])) for g in groups] == [(1e-4, False), (1e-3, True)]
    assert sum(len(g["params"]) for g in groups) == len(list(module.parameters()))


def test_refiner_module_uses_the_model_loss_and_coordinates():
    module = RefinerModule("tempose_net", num_keypoints=25, window=5)
    out = torch.rand(2, 5, 25, 2) * 50
    xy, found = module.keypoints(out)
    assert xy is out and found.all()
    batch = {"target_xy": out + 1, "visible": torch.ones(2, 5, 25, dtype=torch.bool),
             "loss_mask": torch.ones(2, 25, dtype=torch.bool)}  # fmt: skip
    assert float(module.loss(out, batch)) == pytest.approx(1.0)


@pytest.mark.parametrize("online", [False, True])
def test_refine_sequence_returns_coordinates(online):
    xy = torch.tensor([[10.0, 12.0], [20.0, 5.0], [3.0, 30.0]]).expand(9, 3, 2)
    hm = render(xy, (32, 32))
    out = refine_sequence(build_model("tempose_net", num_keypoints=3, heatmap_size=(32, 32)), hm, window=5,
                          online=online)  # fmt: skip
    assert out.shape == (9, 3, 2)
    assert torch.allclose(torch.as_tensor(out), xy)


def test_pretrain_and_evaluate_through_the_cli(tmp_path):
    from tempose.cli import main

    kp = write_keypoint_store(tmp_path / "kp.h5", videos=5, frames=14)
    assert main(["pretrain", "--model", "tempose_net", "--data", str(kp), "--out", str(tmp_path / "run"),
                 "--max-epochs", "1", "--num-workers", "0", "--limit-windows", "8", "--batch-size", "4"]) == 0
    test = json.loads((tmp_path / "run" / "test.json").read_text())
    assert test["model"]["parameters"] == 103_332
    assert 0 <= test["test"]["model"]["pck"]["0.2"] <= 1 and test["test"]["model"]["accel_error_px"] >= 0


@pytest.mark.parametrize("setting,message", [("model.params.map_kernel=[1,4,4]", "map_kernel (1, 4, 4)"),
                                             ("model.params.widht=32", "unexpected keyword argument 'widht'")])
def test_a_bad_hyperparameter_is_a_one_line_error_and_leaves_no_run(tmp_path, capsys, setting, message):
    from tempose.cli import main

    kp = write_keypoint_store(tmp_path / "kp.h5", videos=5, frames=14)
    assert main(["pretrain", "--model", "tempose_net", "--data", str(kp), "--out", str(tmp_path / "run"),
                 "--set", setting]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tempose: error: model 'tempose_net': ") and message in err and "\n" not in err
    assert not (tmp_path / "run").exists()
