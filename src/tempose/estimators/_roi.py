"""Rotated square regions of interest: built from two alignment points, warped to a crop.

BlazePose aligns its landmark crop on two points (detector keypoints 0/1, or the landmark model's
auxiliary points 33/34): the centre is the first point, the side is ``2·|p1 − p0|·scale`` and the
rotation turns the direction p0→p1 to "up" in the crop.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Roi:
    """A square of side ``size`` image pixels centred at (``cx``, ``cy``), rotated by
    ``rotation`` radians (clockwise on screen, since image y points down)."""

    cx: float
    cy: float
    size: float
    rotation: float

    @classmethod
    def from_points(cls, p0: np.ndarray, p1: np.ndarray, scale: float = 1.25) -> Roi:
        """MediaPipe's alignment-points rectangle, grown by ``scale``."""
        dx, dy = float(p1[0] - p0[0]), float(p1[1] - p0[1])
        angle = np.pi / 2 - np.arctan2(-dy, dx)
        angle = (angle + np.pi) % (2 * np.pi) - np.pi
        return cls(float(p0[0]), float(p0[1]), 2.0 * float(np.hypot(dx, dy)) * scale, float(angle))

    def crop_to_image(self, crop_size: int) -> np.ndarray:
        """``(2, 3)`` affine: crop → image, continuous coordinates (see :func:`to_pixel_index`)."""
        c, s = np.cos(self.rotation), np.sin(self.rotation)
        k = self.size / crop_size
        lin = k * np.array([[c, -s], [s, c]])
        offset = np.array([self.cx, self.cy]) - lin @ np.array([crop_size / 2, crop_size / 2])
        return np.concatenate([lin, offset[:, None]], axis=1)

    def warp(self, image: np.ndarray, crop_size: int) -> np.ndarray:
        """Cut the ROI out of ``image`` as a ``crop_size`` square (outside the image: black)."""
        m = cv2.invertAffineTransform(to_pixel_index(self.crop_to_image(crop_size)))
        return cv2.warpAffine(image, m, (crop_size, crop_size), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))  # fmt: skip


def compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """``(2, 3)`` affine equal to applying ``inner`` first, then ``outer``."""
    return np.concatenate([outer[:, :2] @ inner[:, :2], (outer[:, :2] @ inner[:, 2] + outer[:, 2])[:, None]], 1)


def to_pixel_index(affine: np.ndarray) -> np.ndarray:
    """Re-express a ``(2, 3)`` affine between continuous coordinates (pixel ``i`` spans
    ``[i, i + 1]``, MediaPipe's convention) as one between pixel indices (centres at integers:
    tempose's and OpenCV's convention)."""
    lin = affine[:, :2]
    return np.concatenate([lin, (affine[:, 2] + 0.5 * lin.sum(axis=1) - 0.5)[:, None]], axis=1)


def letterbox(width: int, height: int, size: int) -> np.ndarray:
    """``(2, 3)`` affine image pixels → a ``size`` square input holding the whole image, centred,
    aspect ratio kept (MediaPipe's letterbox)."""
    s = size / max(width, height)
    return np.array([[s, 0.0, (size - width * s) / 2], [0.0, s, (size - height * s) / 2]])
