"""Frame-wise pose estimators behind one interface (:class:`Estimator`), found by name.

Built in: ``blazepose-lite``, ``blazepose-full``, ``blazepose-heavy`` (MediaPipe BlazePose via
``ai-edge-litert``), ``keypoint-rcnn`` (torchvision, optional extra ``tempose[rcnn]``) and
``precomputed`` (heatmaps already in a store). Other packages add their own through the entry-point
group ``tempose.estimators`` (see ``docs/estimators.md``)::

    est = build_estimator("blazepose-full", model_dir="../shared/models/blazepose", side="left")
    out = est.estimate(frame_rgb)  # EstimatorOutput or None
"""

from __future__ import annotations

from typing import Any

from tempose.errors import InputError
from tempose.estimators.base import Estimator, EstimatorOutput, activate
from tempose.registry import Registry

ESTIMATORS = Registry("estimator", "tempose.estimators")


def build_estimator(name: str, **options: Any) -> Estimator:
    """Instantiate a registered estimator; options it does not take raise :class:`InputError`."""
    factory = ESTIMATORS.get(name)
    try:
        return factory(**{k: v for k, v in options.items() if v is not None})
    except TypeError as exc:
        if "keyword argument" not in str(exc):
            raise
        raise InputError(f"estimator {name!r} cannot take these options ({exc})") from None


def available_estimators() -> list[str]:
    return ESTIMATORS.available()


from tempose.estimators import blazepose, keypoint_rcnn, precomputed  # noqa: E402,F401  (registration)

__all__ = ["ESTIMATORS", "Estimator", "EstimatorOutput", "activate", "available_estimators", "build_estimator"]
