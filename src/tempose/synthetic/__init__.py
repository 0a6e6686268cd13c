"""The built-in synthetic climbing dataset: procedural climbers and a simulated estimator.

Real datasets cannot ship with tempose, so the demo (and anyone without data) uses this:
25-keypoint climbers in image pixels (:mod:`~tempose.synthetic.climber`), a frame-wise
estimator whose boxes and heatmaps carry realistic errors (:mod:`~tempose.synthetic.estimator`),
written as a ClimbAlong-format finetuning folder plus a keypoint-only pretraining store
(:mod:`~tempose.synthetic.generate`). Parameters: :mod:`~tempose.synthetic.config`; docs in
``docs/synthetic.md``.

Example:
    >>> from tempose.synthetic import QUICK, generate
    >>> data = generate(QUICK, "out/synthetic")  # doctest: +SKIP
    >>> data.climbalong, data.pretrain_store  # doctest: +SKIP
    (PosixPath('out/synthetic/climbalong'), PosixPath('out/synthetic/pretrain.h5'))
"""

from tempose.synthetic.climber import ClimberSequence, simulate_climber
from tempose.synthetic.config import (
    DEFAULT,
    QUICK,
    ClimberConfig,
    EstimatorConfig,
    SyntheticConfig,
    VideosConfig,
    load_synthetic_config,
)
from tempose.synthetic.estimator import EstimatorOutput, simulate_estimator
from tempose.synthetic.generate import SyntheticDataset, finetune_video, generate, pretrain_video
from tempose.synthetic.protocol import box_targets, identity_pck

__all__ = [
    "DEFAULT",
    "QUICK",
    "ClimberConfig",
    "ClimberSequence",
    "EstimatorConfig",
    "EstimatorOutput",
    "SyntheticConfig",
    "SyntheticDataset",
    "VideosConfig",
    "box_targets",
    "finetune_video",
    "generate",
    "identity_pck",
    "load_synthetic_config",
    "pretrain_video",
    "simulate_climber",
    "simulate_estimator",
]
