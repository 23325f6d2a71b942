"""The one crop function of the project: tracking, curation and training all call it.

Coordinates: pixel centres sit at integer coordinates (pixel (0, 0) is the point (0, 0)), so a
box ``(x, y, w, h)`` covering pixels x..x+w-1 has its centre at ``(x + (w - 1) / 2, y + (h - 1) / 2)``.
A crop of side ``size`` (frame pixels, any float) centred at ``(cx, cy)`` is resampled to
``out_size`` pixels with sub-pixel accuracy; output pixel i sits at frame coordinate
``cx + (i - (out_size - 1) / 2) * size / out_size``. Whatever falls outside the frame is filled
with ``pad_color`` (the frame's mean colour in SiamFC).
"""
from __future__ import annotations

import math

import cv2
import numpy as np


def context_size(w: float, h: float, context: float = 0.5) -> float:
    """Side of the exemplar region: sqrt((w + p)(h + p)) with p = context * (w + h).

    With the default 0.5 this is the paper's s(w + 2p')(h + 2p') = A with p' = (w + h) / 4.
    """
    p = context * (w + h)
    return math.sqrt((w + p) * (h + p))


def crop_and_resize(
    image: np.ndarray,
    center: tuple[float, float],
    size: float,
    out_size: int,
    pad_color=None,
    interpolation: int = cv2.INTER_LINEAR,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Crop a square of side ``size`` centred at ``center = (cx, cy)`` and resize it to ``out_size``.

    ``out``: a contiguous ``(out_size, out_size, C)`` uint8 array to write into (e.g. one slot
    of the tracker's batch buffer), saving a copy per crop.

    Shape:
        image ``(H, W, C)`` uint8 -> ``(out_size, out_size, C)`` uint8
    """
    if not (size > 0 and math.isfinite(size)):
        raise ValueError(f"crop size must be positive and finite, got {size}")
    if pad_color is None:
        pad_color = image.reshape(-1, image.shape[-1]).mean(axis=0)
    scale = out_size / size
    cx, cy = center
    # Affine map from frame to crop: u = scale * (x - cx) + (out_size - 1) / 2.
    c = (out_size - 1) / 2
    m = np.array([[scale, 0.0, c - scale * cx], [0.0, scale, c - scale * cy]], dtype=np.float64)
    return cv2.warpAffine(
        image,
        m,
        (out_size, out_size),
        dst=out,
        flags=interpolation,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=tuple(float(v) for v in np.ravel(pad_color)),
    )
