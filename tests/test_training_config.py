from pathlib import Path

import pytest

from tempose.cli import build_parser
from tempose.cli._training import build_config
from tempose.config import from_dict, load_config
from tempose.errors import InputError
from tempose.training.config import TrainConfig

CONFIGS = sorted((Path(__file__).parents[1] / "configs" / "training").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_every_shipped_training_config_loads(path):
    config = load_config(TrainConfig, path)
    assert config.stage in ("pretrain", "finetune")
    assert config.optim.lr == (1e-3 if config.stage == "pretrain" else 1e-4)


def test_precedence_defaults_yaml_set_flags(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("optim:\n  batch_size: 8\n  max_epochs: 7\ndata:\n  experiment: '2.2'\n")
    args = build_parser().parse_args(["pretrain", "--config", str(path), "--set", "optim.max_epochs=9",
                                      "--max-epochs", "11", "--data", "a.h5"])  # fmt: skip
    config = build_config(args, "pretrain", {"data.stores": args.data})  # as `tempose pretrain` does
    assert (config.optim.batch_size, config.optim.max_epochs, config.data.experiment) == (8, 11, "2.2")
    assert config.optim.lr == 1e-3 and config.data.stores == ["a.h5"]
    args = build_parser().parse_args(["finetune", "--set", "optim.max_epochs=9"])
    config = build_config(args, "finetune")
    assert config.optim.lr == 1e-4 and config.optim.max_epochs == 9 and config.select_metric == "val/pck@0.05"


def test_unknown_keys_and_wrong_types_are_rejected(tmp_path):
    with pytest.raises(InputError, match="unknown key"):
        from_dict(TrainConfig, {"optim": {"learning_rate": 1}})
    with pytest.raises(InputError, match="optim.batch_size"):
        from_dict(TrainConfig, {"optim": {"batch_size": "big"}})
    bad = tmp_path / "bad.yaml"
    bad.write_text("optim: [1, 2\n")
    with pytest.raises(InputError, match="bad.yaml"):
        load_config(TrainConfig, bad)
