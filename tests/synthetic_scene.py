"""Synthetic scenes with a known truth, and hand-set stride-8 embeddings, for the tracker tests.

The scene: a 40 x 48 object with a smooth random texture (Gaussian-blurred noise, sigma 3 px)
on a flat grey background (value 128), rendered at any sub-pixel centre and scale with bilinear
interpolation. Both embeddings subtract 128 first, so the background is exactly zero: nothing
but the object can produce a correlation peak, and the peak is unique.

Two embeddings, both with ``stride = 8`` and a receptive field placed symmetrically in the crop
(127 = 8 * 15 + 7: cells of 7 px every 8 px, as the paper's network covers 127 with 6 cells):

* :class:`PooledPixels` — each cell is the mean of its 7 x 7 pixels, so the correlation is plain
  template matching on a coarse grid. It localises to a fraction of a pixel, but it is biased in
  scale: a zoomed-in search crop is smoother, keeps more energy after pooling and so scores
  higher. Used for translation.
* :class:`NormalisedCells` — each cell is its 7 x 7 x 3 pixel block, L2-normalised. The
  correlation is then a sum of per-cell cosines, each at most 1 (Cauchy-Schwarz), so the exact
  scale is the unique maximum when the object sits on the grid. Used for scale, and for the
  preset tests, whose motions are whole score-map cells.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

BACKGROUND = 128.0
OBJECT_SIZE = (40, 48)  # (w, h) in frame pixels at scale 1
FRAME_SIZE = (320, 240)  # (W, H)
START = (160.0, 120.0)  # object centre in the first frame


class PooledPixels(nn.Module):
    """``(B, 3, H, W)`` -> ``(B, 3, (H - 7) // 8 + 1, (W - 7) // 8 + 1)``: 7x7 means every 8 px."""

    stride = 8

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x - BACKGROUND, 7, stride=8)


class NormalisedCells(nn.Module):
    """``(B, 3, H, W)`` -> ``(B, 147, (H - 7) // 8 + 1, (W - 7) // 8 + 1)``: unit 7x7x3 blocks every 8 px."""

    stride = 8

    def __init__(self, eps: float = 30.0) -> None:
        super().__init__()
        self.eps = eps  # keeps empty (background) cells at zero instead of dividing 0 by 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        cells = F.unfold(x - BACKGROUND, 7, stride=8).reshape(b, c * 49, (h - 7) // 8 + 1, (w - 7) // 8 + 1)
        return cells / torch.sqrt((cells * cells).sum(1, keepdim=True) + self.eps**2)


class Scene:
    """A textured object on a flat background; ``frame(center, scale)`` renders it, ``box`` is the truth."""

    def __init__(self, seed: int = 0, texture_sigma: float = 3.0, contrast: float = 40.0) -> None:
        rng = np.random.default_rng(seed)
        w, h = OBJECT_SIZE
        noise = cv2.GaussianBlur(rng.standard_normal((h, w, 3)).astype(np.float32), (0, 0), texture_sigma)
        self.texture = BACKGROUND + noise / noise.std() * contrast

    def frame(self, center, scale: float = 1.0) -> np.ndarray:
        """``H x W x 3`` uint8: the object's centre at ``center`` (0-based px), its size ``scale`` x nominal."""
        W, H = FRAME_SIZE
        h0, w0 = self.texture.shape[:2]
        # Object pixel u (centre ((w0-1)/2, (h0-1)/2)) goes to center + scale * (u - centre).
        m = np.array([[scale, 0.0, center[0] - scale * (w0 - 1) / 2], [0.0, scale, center[1] - scale * (h0 - 1) / 2]])
        obj = cv2.warpAffine(self.texture, m, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        # Coverage of each frame pixel by the object (the pixel footprint [u-0.5, u+0.5] scaled).
        mask = cv2.warpAffine(np.ones((h0, w0), np.float32), m, (W, H), flags=cv2.INTER_LINEAR)[..., None]
        out = BACKGROUND * (1 - mask) + obj * mask
        return np.clip(np.round(out), 0, 255).astype(np.uint8)

    @staticmethod
    def box(center, scale: float = 1.0) -> tuple[float, float, float, float]:
        w, h = OBJECT_SIZE[0] * scale, OBJECT_SIZE[1] * scale
        return (center[0] - (w - 1) / 2, center[1] - (h - 1) / 2, w, h)


def box_center(box) -> np.ndarray:
    x, y, w, h = box
    return np.array([x + (w - 1) / 2, y + (h - 1) / 2])


def cell_px(scale: float = 1.0) -> float:
    """Frame pixels per score-map cell for the object at ``scale``: 8 * s_z / 127 (paper's context)."""
    w, h = OBJECT_SIZE[0] * scale, OBJECT_SIZE[1] * scale
    p = (w + h) / 2
    return 8 * np.sqrt((w + p) * (h + p)) / 127


def run(tracker, scene: Scene, steps) -> list[tuple[np.ndarray, np.ndarray, tuple]]:
    """Init at START, then apply ``steps`` of ``((dx, dy), scale_factor)``.

    Returns, per update, ``(true_center, true_size, tracker_box)``.
    """
    center, scale = np.array(START), 1.0
    tracker.init(scene.frame(center, scale), scene.box(center, scale))
    out = []
    for (dx, dy), factor in steps:
        center, scale = center + (dx, dy), scale * factor
        box, _ = tracker.update(scene.frame(center, scale))
        out.append((center.copy(), np.array(OBJECT_SIZE) * scale, box))
    return out
