"""Window datasets: synthetic pretraining samples from keypoints, finetuning samples from estimator heatmaps.

One sample (a dict of tensors, see docs/ARCHITECTURE.md) per window, in the CLIMBALONG channel
order (or another ``keypoint_set``): store videos keep their native keypoint set and are mapped
by name; ``loss_mask`` marks the channels the video's source provides.

Everything a pretraining sample needs except the rendering is computed once per video when the
dataset is built (grid positions, noise), so ``__getitem__`` is a gather and one ``render`` call;
in ``space="coords"`` nothing is rendered at all (the argmax of a blurred impulse at an integer
grid point is that point), which is how DeciWatch and the filters train fast.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from tempose.data.samples import Experiment, shift_on_grid, to_grid, video_noise
from tempose.data.store import Store
from tempose.data.windows import VideoKey, Windows
from tempose.errors import InputError
from tempose.heatmaps import decode, image_to_heatmap, preprocess, render
from tempose.keypoints import CLIMBALONG, KeypointSet, convert, get_keypoint_set, mapping

SPACES = ("heatmaps", "coords")


def _check_space(space: str) -> None:
    if space not in SPACES:
        raise InputError(f"unknown sample space {space!r}; available: {', '.join(SPACES)}")


def _as_windows(windows: Windows) -> Windows:
    if not isinstance(windows, Windows):
        raise TypeError("windows must be a tempose.data.windows.Windows (see splits.split)")
    return windows


def _ground_truth(store: Store, name: str, target: KeypointSet):
    """(xy (T,K,2) image px, annotated (T,K), occluded (T,K), loss mask (K,)) in ``target`` order."""
    video = store.read(name)
    if video.keypoints is None:
        raise InputError(f"video {name!r} has no ground-truth keypoints", store.path)
    source = get_keypoint_set(video.keypoint_set)
    xy, annotated = convert(np.asarray(video.keypoints, np.float64), video.visible, source, target)
    occ = np.zeros(video.visible.shape, bool) if video.occluded is None else video.occluded
    _, occluded = convert(np.zeros(occ.shape + (2,)), occ, source, target)
    return xy, annotated, occluded, mapping(source, target)[1], video


class PretrainDataset(Dataset):
    """Synthetic pretraining windows (spec §2.5, §2.6, §3) from the ground truth of several stores.

    Args:
        stores: the stores the windows' store indices refer to.
        windows: the windows to serve (e.g. ``plan.sets["train"]``).
        experiment: the thesis experiment (shift scale, σ_in rule).
        space: ``"heatmaps"`` (``(T,K,H,W)`` maps ×255) or ``"coords"`` (``(T,K,2)`` grid px).
        heatmap_size: ``(H, W)`` of the grid.
        seed: noise seed; noise is a function of (seed, store, video, frame), so a frame shared by
            overlapping windows gets the same shift and val/test are identical across epochs.
        resample_each_epoch: augmentation option: draw new noise in :meth:`set_epoch`.
        sigma_per: draw σ_in per ``"frame"`` (default, the thesis's BRACE rule) or per ``"video"``
            (its Penn Action code).
        draw_occluded: draw keypoints a source marks occluded (the thesis code; they never shape
            the box). False drops them, as the thesis text says.
        keypoint_set: the channel order of the samples.
        render_targets: render the σ = 1 target maps (``"target"``); a model that outputs
            coordinates trains on ``"target_xy"`` alone, so rendering them would only cost time.
    """

    def __init__(
        self,
        stores: Sequence[Store],
        windows: Windows,
        experiment: Experiment,
        space: str = "heatmaps",
        heatmap_size: tuple[int, int] = (56, 56),
        seed: int = 0,
        resample_each_epoch: bool = False,
        sigma_per: str = "frame",
        draw_occluded: bool = True,
        keypoint_set: KeypointSet = CLIMBALONG,
        render_targets: bool = True,
    ) -> None:
        _check_space(space)
        self.stores = list(stores)
        self.render_targets = render_targets
        self.windows = _as_windows(windows)
        self.experiment = experiment
        self.space = space
        self.heatmap_size = tuple(heatmap_size)
        self.seed = seed
        self.resample_each_epoch = resample_each_epoch
        self.sigma_per = sigma_per
        self.epoch = 0
        self._frames = torch.from_numpy(self.windows.frames)
        k = len(keypoint_set)
        self._target: list[torch.Tensor] = []
        self._present: list[torch.Tensor] = []
        self._input: list[torch.Tensor] = []
        self._sigma: list[torch.Tensor] = []
        masks = []
        for store_index, name in self.videos:
            xy, annotated, occluded, provided, _ = _ground_truth(self.stores[store_index], name, keypoint_set)
            drawn = annotated if draw_occluded else annotated & ~occluded
            grid, inside = to_grid(xy, annotated & ~occluded, self.heatmap_size)
            self._target.append(torch.from_numpy(grid.astype(np.int16)))
            self._present.append(torch.from_numpy(inside & drawn))
            masks.append(provided)
        self._loss_mask = torch.from_numpy(np.stack(masks)) if masks else torch.zeros(0, k, dtype=torch.bool)
        self._draw_noise()

    @property
    def videos(self) -> list[VideoKey]:
        """``(store index, video name)`` per ``video`` index of a sample."""
        return self.windows.videos

    def set_epoch(self, epoch: int) -> None:
        """With ``resample_each_epoch``, draw the noise of ``epoch`` (no effect otherwise)."""
        self.epoch = epoch
        if self.resample_each_epoch:
            self._draw_noise()

    def _draw_noise(self) -> None:
        epoch = self.epoch if self.resample_each_epoch else 0
        self._input, self._sigma = [], []
        for (store_index, name), target in zip(self.videos, self._target, strict=True):
            shift, sigma = video_noise(target.shape[0], target.shape[1], self.experiment, self.seed,
                                       store_index, name, epoch, self.sigma_per)
            moved = shift_on_grid(target.numpy().astype(np.int64), shift, self.heatmap_size)
            self._input.append(torch.from_numpy(moved.astype(np.int16)))
            self._sigma.append(torch.from_numpy(sigma))

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return self.sample(int(self.windows.video[i]), self._frames[i])

    def sequence(self, v: int) -> dict[str, torch.Tensor]:
        """Every frame of video ``v`` as one sample (whole-sequence filters, acceleration error)."""
        return self.sample(v, torch.arange(self._target[v].shape[0]))

    def noisy_sequence(self, v: int) -> dict[str, torch.Tensor]:
        """Video ``v`` before rendering: the noisy input grid points ``input_xy`` ``(T,K,2)``, their
        blur ``sigma`` ``(T,K)``, ``present`` ``(T,K)`` and the targets (models that summarise each
        heatmap can compute their features from these without the maps)."""
        present = self._present[v]
        return {"input_xy": self._input[v].float(), "sigma": self._sigma[v][:, None].expand_as(present),
                "present": present, "target_xy": self._target[v].float(), "visible": present,
                "loss_mask": self._loss_mask[v]}  # fmt: skip

    def sample(self, v: int, frames: torch.Tensor) -> dict[str, torch.Tensor]:
        """The sample of video index ``v`` at ``frames``."""
        present = self._present[v][frames]
        target_xy = self._target[v][frames].float()
        input_xy = self._input[v][frames].float()
        sample = {"input_valid": present, "visible": present, "loss_mask": self._loss_mask[v],
                  "video": torch.tensor(v), "frames": frames, "target_xy": target_xy}
        if self.space == "coords":
            zero = torch.zeros_like(input_xy)
            sample["input"] = torch.where(present[..., None], input_xy, zero)
            sample["target"] = target_xy
            return sample
        sigma = self._sigma[v][frames][:, None].expand_as(present)
        if not self.render_targets:
            sample["input"] = render(input_xy, self.heatmap_size, sigma=sigma, visible=present)
            return sample
        maps = render(torch.stack([input_xy, target_xy]), self.heatmap_size,
                      sigma=torch.stack([sigma, torch.ones_like(sigma)]), visible=present.expand(2, -1, -1))
        sample["input"], sample["target"] = maps[0], maps[1]
        return sample


class FinetuneDataset(Dataset):
    """Finetuning windows (spec §2.6): estimator heatmaps as input, annotations as target.

    Inputs are the store's estimator heatmaps preprocessed (negatives → 0, each map normalised,
    ×255). Targets are the annotated keypoints mapped through each frame's affine (inverse) into
    the heatmap grid, clipped to its border, rounded and rendered with σ = 1 (×255); the
    ClimbAlong reader writes the thesis's 56/w box mapping as that affine. The heatmap size comes
    from the store. In ``space="coords"`` the input is the argmax of the preprocessed maps.

    Args:
        stores: one store, or the stores the windows' store indices refer to.
        windows: the windows to serve.
        space: ``"heatmaps"`` or ``"coords"``.
        keypoint_set: the channel order of the samples.
        render_targets: render the σ = 1 target maps (see :class:`PretrainDataset`).
    """

    def __init__(
        self,
        stores: Store | Sequence[Store],
        windows: Windows,
        space: str = "heatmaps",
        keypoint_set: KeypointSet = CLIMBALONG,
        render_targets: bool = True,
    ) -> None:
        _check_space(space)
        self.render_targets = render_targets
        self.stores = [stores] if isinstance(stores, Store) else list(stores)
        self.windows = _as_windows(windows)
        self.space = space
        self.keypoint_set = keypoint_set
        self._frames = torch.from_numpy(self.windows.frames)
        self._target: list[torch.Tensor] = []
        self._visible: list[torch.Tensor] = []
        self._channels: list[tuple[torch.Tensor, torch.Tensor] | None] = []  # None: same order
        masks = []
        sizes = set()
        for store_index, name in self.videos:
            store = self.stores[store_index]
            xy, annotated, _, provided, video = _ground_truth(store, name, keypoint_set)
            if video.heatmaps is None:
                raise InputError(f"video {name!r} has no estimator heatmaps", store.path)
            size = tuple(int(n) for n in video.heatmaps.shape[-2:])
            sizes.add(size)
            grid = np.rint(image_to_heatmap(xy, np.asarray(video.affine), size, clip=True))
            self._target.append(torch.from_numpy(np.where(annotated[..., None], grid, 0).astype(np.int16)))
            self._visible.append(torch.from_numpy(annotated))
            hm_set = get_keypoint_set(str(video.attrs.get("heatmap_keypoint_set", video.keypoint_set)))
            if len(hm_set) != video.heatmaps.shape[1]:
                raise InputError(f"video {name!r}: {video.heatmaps.shape[1]} heatmaps, but keypoint set "
                                 f"{hm_set.name!r} has {len(hm_set)}", store.path)
            index, has = mapping(hm_set, keypoint_set)
            identity = has.all() and np.array_equal(index, np.arange(len(index)))
            self._channels.append(None if identity else (torch.from_numpy(np.where(has, index, 0)),
                                                         torch.from_numpy(has)))
            masks.append(provided)
        if len(sizes) > 1:
            raise InputError(f"videos have different heatmap sizes {sorted(sizes)}; use one store per size")
        self.heatmap_size = sizes.pop() if sizes else (56, 56)
        self._loss_mask = torch.from_numpy(np.stack(masks)) if masks else torch.zeros(0, len(keypoint_set),
                                                                                       dtype=torch.bool)

    @property
    def videos(self) -> list[VideoKey]:
        """``(store index, video name)`` per ``video`` index of a sample."""
        return self.windows.videos

    def __len__(self) -> int:
        return len(self.windows)

    def _heatmaps(self, v: int, frames: torch.Tensor) -> torch.Tensor:
        store_index, name = self.videos[v]
        data = self.stores[store_index].heatmaps(name)
        first, last = int(frames[0]), int(frames[-1])
        step = int(frames[1] - frames[0]) if len(frames) > 1 else 1
        raw = torch.from_numpy(data[first : last + 1 : step]).float()  # torch converts float16 fastest
        if self._channels[v] is None:
            return preprocess(raw)
        index, has = self._channels[v]
        return preprocess(raw[:, index]) * has[None, :, None, None]

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return self.sample(int(self.windows.video[i]), self._frames[i])

    def sequence(self, v: int) -> dict[str, torch.Tensor]:
        """Every frame of video ``v`` as one sample (whole-sequence filters, acceleration error)."""
        return self.sample(v, torch.arange(self._target[v].shape[0]))

    def sample(self, v: int, frames: torch.Tensor) -> dict[str, torch.Tensor]:
        """The sample of video index ``v`` at ``frames`` (equally spaced)."""
        visible = self._visible[v][frames]
        target_xy = self._target[v][frames].float()
        maps = self._heatmaps(v, frames)
        sample = {"visible": visible, "loss_mask": self._loss_mask[v], "video": torch.tensor(v),
                  "frames": frames, "target_xy": target_xy}
        if self.space == "coords":
            sample["input"], sample["input_valid"] = decode(maps)
            sample["target"] = target_xy
        else:
            sample["input"] = maps
            sample["input_valid"] = maps.amax(dim=(-2, -1)) > 0
            if self.render_targets:
                sample["target"] = render(target_xy, self.heatmap_size, 1.0, visible=visible)
        return sample
