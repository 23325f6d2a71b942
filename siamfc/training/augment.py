"""Augmentation of stored crops into network inputs (exemplar 127 px, search 239 px).

Every geometric step goes through the project's one crop function: a zoom ``s`` (object
magnification) and a shift ``d`` (output px) of a stored crop centred at ``c`` are the crop of
side ``out / s`` centred at ``c - d / s``. Random numbers come from the generator handed in.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from siamfc.tracking.crop import crop_and_resize


def warp(
    crop: np.ndarray, out_size: int, zoom: float = 1.0, shift=(0.0, 0.0), aspect: float = 1.0, pad=None
) -> np.ndarray:
    """``out_size`` square of ``crop`` around its centre, magnified by ``zoom``, content moved by ``shift`` px.

    ``aspect`` != 1 first stretches the width by ``aspect`` and the height by ``1 / aspect``.

    Shape: crop ``(S, S, C)`` uint8 -> ``(out_size, out_size, C)`` uint8
    """
    if aspect != 1.0:
        h, w = crop.shape[:2]
        crop = cv2.resize(crop, (max(1, round(w * aspect)), max(1, round(h / aspect))), interpolation=cv2.INTER_LINEAR)
    h, w = crop.shape[:2]
    cx, cy = (w - 1) / 2 - shift[0] / zoom, (h - 1) / 2 - shift[1] / zoom
    return crop_and_resize(crop, (cx, cy), out_size / zoom, out_size, pad)


def to_gray(img: np.ndarray) -> np.ndarray:
    """Greyscale, kept as 3 channels (the network always sees 3)."""
    g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    return cv2.merge([g, g, g])


def color_gain(img: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """Multiply each channel by ``1 + U(-amount, amount)``."""
    if amount <= 0:
        return img
    gains = 1.0 + rng.uniform(-amount, amount, size=3)
    return np.clip(img.astype(np.float32) * gains.astype(np.float32), 0, 255).astype(np.uint8)


def blur(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Gaussian blur with sigma ~ U(0.5, 2) px (motion and defocus blur of real video)."""
    return cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.5, 2.0)))


def paste(background: np.ndarray, obj: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Alpha-blend ``obj`` onto ``background`` through ``mask`` (uint8 0..255, edges softened)."""
    alpha = cv2.GaussianBlur(mask, (0, 0), 1.0).astype(np.float32)[..., None] / 255.0
    out = background.astype(np.float32) * (1 - alpha) + obj.astype(np.float32) * alpha
    return out.astype(np.uint8)


def log_uniform(rng: np.random.Generator, amount: float) -> float:
    """A factor in [1 / (1 + amount), 1 + amount], uniform in log space."""
    if amount <= 0:
        return 1.0
    return math.exp(rng.uniform(-math.log1p(amount), math.log1p(amount)))
