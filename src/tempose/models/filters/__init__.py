"""Classical temporal filters on decoded coordinates, registered in :data:`tempose.models.MODELS`.

They are parameter-free ``nn.Module`` refiners with ``input_space = "coords"``, so evaluation
treats them exactly like learned coordinate models. Each works along T on whole sequences
(``B`` is usually 1) and exposes its hyperparameters as constructor keywords for grid search.
Missing detections (``valid`` False, or non-finite input) are bridged — linear interpolation inside
a track and the nearest detection at its ends for the offline filters, holding the last detection
for the causal One-Euro filter, the motion model for Kalman — and a keypoint never detected in the
whole sequence (or, for One-Euro, not yet detected) comes back as NaN: no output is invented.
"""

from tempose.models.filters import gaussian, kalman, one_euro, savgol  # noqa: F401
from tempose.models.filters._base import CoordinateFilter

__all__ = ["CoordinateFilter"]
