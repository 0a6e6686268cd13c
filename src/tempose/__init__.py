"""tempose: temporal refinement of 2D human-pose heatmaps from any frame-wise estimator.

Public entry points: :func:`tempose.models.build_model`, :mod:`tempose.heatmaps`
(``render``, ``preprocess``, ``decode``), :mod:`tempose.metrics` (``pck``, ``accel_error``) and
the ``tempose`` command line.
"""

__version__ = "0.1.0"
