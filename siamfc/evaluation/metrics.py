"""Per-frame measures: box overlap, centre error (plain and normalised), polygon overlap.

Boxes are ``(N, 4)`` arrays of ``(x, y, w, h)`` in 0-based pixels (the internal convention).
Overlap is the continuous-area IoU, which equals the OTB toolkit's pixel formula
(``right = x + w - 1``, intersection ``min(right) - max(left) + 1``) for every box, integer or not.
A NaN in either box gives NaN; the callers decide what a NaN frame counts as.
"""

from __future__ import annotations

import numpy as np


def _as_boxes(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return a.reshape(-1, 4)


def box_iou(a, b) -> np.ndarray:
    """``(N,)`` intersection over union of boxes ``a`` and ``b`` (both ``(N, 4)``).

    Boxes with a non-positive width or height have no area: their IoU is 0.
    """
    a, b = _as_boxes(a), _as_boxes(b)
    aw, ah = np.maximum(a[:, 2], 0), np.maximum(a[:, 3], 0)
    bw, bh = np.maximum(b[:, 2], 0), np.maximum(b[:, 3], 0)
    iw = np.minimum(a[:, 0] + aw, b[:, 0] + bw) - np.maximum(a[:, 0], b[:, 0])
    ih = np.minimum(a[:, 1] + ah, b[:, 1] + bh) - np.maximum(a[:, 1], b[:, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    union = aw * ah + bw * bh - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, inter / union, 0.0)
    iou[np.isnan(a).any(axis=1) | np.isnan(b).any(axis=1)] = np.nan
    return iou


def box_centers(a) -> np.ndarray:
    """``(N, 2)`` centres ``(x + (w - 1) / 2, y + (h - 1) / 2)`` (pixel centres at integers)."""
    a = _as_boxes(a)
    return a[:, :2] + (a[:, 2:] - 1) / 2


def center_error(a, b) -> np.ndarray:
    """``(N,)`` Euclidean distance between the centres of ``a`` and ``b``, in pixels."""
    return np.linalg.norm(box_centers(a) - box_centers(b), axis=1)


def normalized_center_error(pred, gt) -> np.ndarray:
    """``(N,)`` centre offset divided by the ground-truth width and height per axis, then its norm.

    The TrackingNet / LaSOT normalised precision measure; a ground truth of zero size gives NaN.
    """
    pred, gt = _as_boxes(pred), _as_boxes(gt)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = (box_centers(pred) - box_centers(gt)) / np.where(gt[:, 2:] > 0, gt[:, 2:], np.nan)
    return np.linalg.norm(d, axis=1)


# -- polygons (VOT) -----------------------------------------------------------------------------
def _polygon_area(p: np.ndarray) -> float:
    x, y = p[:, 0], p[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _clip(subject: np.ndarray, clip: np.ndarray) -> np.ndarray:
    """Sutherland-Hodgman: ``subject`` polygon clipped by the convex, counter-clockwise ``clip``."""
    out = subject
    for i in range(len(clip)):
        if len(out) == 0:
            break
        a, b = clip[i], clip[(i + 1) % len(clip)]
        edge = b - a
        inp, out = out, []
        side = edge[0] * (inp[:, 1] - a[1]) - edge[1] * (inp[:, 0] - a[0])  # >= 0: inside (left of edge)
        for j in range(len(inp)):
            cur, prev = inp[j], inp[j - 1]
            s_cur, s_prev = side[j], side[j - 1]
            if s_cur >= 0:
                if s_prev < 0:
                    out.append(prev + (cur - prev) * (s_prev / (s_prev - s_cur)))
                out.append(cur)
            elif s_prev >= 0:
                out.append(prev + (cur - prev) * (s_prev / (s_prev - s_cur)))
        out = np.array(out).reshape(-1, 2)
    return out


def _ccw(p: np.ndarray) -> np.ndarray:
    x, y = p[:, 0], p[:, 1]
    signed = float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    return p if signed >= 0 else p[::-1]


def polygon_iou(p, q, bounds=None) -> float:
    """IoU of two convex polygons given as 8 numbers (or ``(K, 2)`` corners); NaN if either has NaN.

    ``bounds``: a convex region (8 numbers or ``(K, 2)`` corners, e.g. the frame's rectangle) that
    both regions are clipped to first, as the VOT toolkit does. VOT annotations are
    (near-)rectangles, so convex clipping is exact for them.
    """
    p = np.asarray(p, dtype=np.float64).reshape(-1, 2)
    q = np.asarray(q, dtype=np.float64).reshape(-1, 2)
    if np.isnan(p).any() or np.isnan(q).any():
        return float("nan")
    p, q = _ccw(p), _ccw(q)
    if bounds is not None:
        frame = _ccw(np.asarray(bounds, dtype=np.float64).reshape(-1, 2))
        p, q = _clip(p, frame), _clip(q, frame)
        if len(p) < 3 or len(q) < 3:
            return 0.0
    inter_poly = _clip(p, q)
    inter = _polygon_area(inter_poly) if len(inter_poly) >= 3 else 0.0
    union = _polygon_area(p) + _polygon_area(q) - inter
    return inter / union if union > 0 else 0.0
