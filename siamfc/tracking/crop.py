"""The one crop function of the project: tracking, curation and training all call it.

Coordinates: pixel centres sit at integer coordinates (pixel (0, 0) is the point (0, 0)), so a
box ``(x, y, w, h)`` covering pixels x..x+w-1 has its centre at ``(x + (w - 1) / 2, y + (h - 1) / 2)``.
A crop of side ``size`` (frame pixels, any float) centred at ``(cx, cy)`` is resampled to
``out_size`` pixels with sub-pixel accuracy; output pixel i sits at frame coordinate
``cx + (i - (out_size - 1) / 2) * size / out_size``. Whatever falls outside the frame is filled
with ``pad_color`` (the frame's mean colour in SiamFC).

Two resamplings, same geometry:

* ``bilinear`` (default): OpenCV ``warpAffine``, no antialiasing, as siamfc-pytorch does;
* ``bicubic-aa``: the authors' MATLAB ``imresize`` kernel: bicubic (Keys, a = -0.5), its support
  widened by the shrink factor when shrinking (antialiased), done by Pillow's resampler, which
  implements that same convolution. The authors' network was trained on crops made this way.
  (The reference also rounds the crop's corner and side to whole pixels; both resamplings here
  keep the sub-pixel geometry above.)
"""

from __future__ import annotations

import math

import cv2
import numpy as np

#: The crop resamplings (see the module docstring); ``bilinear`` is the default.
RESAMPLINGS = ("bilinear", "bicubic-aa")


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
    resampling: str = "bilinear",
) -> np.ndarray:
    """Crop a square of side ``size`` centred at ``center = (cx, cy)`` and resize it to ``out_size``.

    ``out``: a contiguous ``(out_size, out_size, C)`` uint8 array to write into (e.g. one slot
    of the tracker's batch buffer), saving a copy per crop. ``resampling``: one of
    :data:`RESAMPLINGS`; with ``bilinear``, ``interpolation`` is the OpenCV flag used (masks
    and training crops keep it).

    Shape:
        image ``(H, W, C)`` uint8 -> ``(out_size, out_size, C)`` uint8 (``bicubic-aa`` also
        takes float32 planes, e.g. test ramps)
    """
    if not (size > 0 and math.isfinite(size)):
        raise ValueError(f"crop size must be positive and finite, got {size}")
    if pad_color is None:
        pad_color = image.reshape(-1, image.shape[-1]).mean(axis=0)
    if resampling == "bicubic-aa":
        return _crop_bicubic_aa(image, center, size, out_size, pad_color, out)
    if resampling != "bilinear":
        raise ValueError(f"unknown crop resampling {resampling!r}; choose one of {', '.join(RESAMPLINGS)}")
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


def _crop_bicubic_aa(image, center, size, out_size, pad_color, out):
    """The ``bicubic-aa`` resampling: pad a window around the crop, then Pillow's box resize."""
    from PIL import Image

    cx, cy = center
    # Pillow puts pixel j's centre at j + 0.5; here it is at j. The crop's left edge, in Pillow's
    # coordinates, is then cx + 0.5 - size / 2 (output pixel i maps to the formula above).
    x0, y0 = cx + 0.5 - size / 2, cy + 0.5 - size / 2
    # The kernel reaches 2 source pixels, times the shrink factor when shrinking.
    reach = 2.0 * max(1.0, size / out_size) + 1.0
    left, top = math.floor(x0 - reach), math.floor(y0 - reach)
    right, bottom = math.ceil(x0 + size + reach), math.ceil(y0 + size + reach)
    window = _padded_window(image, left, top, right, bottom, pad_color)
    channels = window.shape[2]
    # Pillow resizes 3-channel uint8 in one go, and any one float or uint8 plane.
    whole = channels == 3 and window.dtype == np.uint8
    planes = [Image.fromarray(window)] if whole else [Image.fromarray(window[:, :, k]) for k in range(channels)]
    box = (x0 - left, y0 - top, x0 - left + size, y0 - top + size)
    resized = [np.array(p.resize((out_size, out_size), Image.Resampling.BICUBIC, box=box)) for p in planes]
    crop = resized[0] if whole else np.stack(resized, axis=2)
    if image.ndim == 2:
        crop = crop[:, :, 0]
    if out is None:
        return crop
    out[...] = crop
    return out


def _padded_window(image, left, top, right, bottom, pad_color) -> np.ndarray:
    """``image[top:bottom, left:right]``, with ``pad_color`` where that lies outside the frame."""
    if image.ndim == 2:
        image = image[:, :, None]
    H, W, C = image.shape
    window = np.empty((bottom - top, right - left, C), image.dtype)
    pad = np.ravel(pad_color).astype(np.float64)
    window[...] = np.round(pad).clip(0, 255) if image.dtype == np.uint8 else pad
    x_lo, y_lo, x_hi, y_hi = max(left, 0), max(top, 0), min(right, W), min(bottom, H)
    if x_lo < x_hi and y_lo < y_hi:
        window[y_lo - top : y_hi - top, x_lo - left : x_hi - left] = image[y_lo:y_hi, x_lo:x_hi]
    return window
