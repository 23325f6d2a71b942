"""Box and polygon conversions: the one place where a region changes shape.

Conventions (as everywhere in siamfc): a box is ``(x, y, w, h)`` in 0-based pixels, covering
the pixels ``x .. x + w - 1`` (its centre is ``x + (w - 1) / 2``); a polygon is ``2K`` numbers
``x1, y1, ..., xK, yK`` (VOT annotations: K = 4 corners). Arrays of them are ``(N, 4)`` and
``(N, 2K)``; NaN rows stay NaN. Converting between 1-based file numbers and these 0-based ones
is :func:`siamfc.data.box_files.from_file_coords`' job, not this module's.

Two ways to turn a polygon into a box, for two purposes:

* :func:`polygons_to_boxes` -- the axis-aligned bounding box (min/max of the corners): what the
  VOT toolkit's own ``Rectangle.convert`` and TraX's polygon-to-rectangle conversion give, and
  what our readers store as a VOT sequence's ``boxes`` (used to *score* against boxes);
* :func:`polygons_to_region_boxes` -- the box the SiamFC authors start a tracker from on VOT
  (``get_axis_aligned_BB`` of their VOT wrapper): centred on the mean of the corners, with the
  area of the rotated rectangle (``|p1 p2| * |p2 p3|``), the min/max box's aspect ratio, and
  their ``+1`` pixel convention on the size.

Where a tracker *starts* from a region, :func:`start_box` is the one rule (TraX, ``--box FILE``,
the VOT protocol): a box as it is; a quadrilateral (every VOT annotation) its region box; a
polygon of another number of corners its bounding box.
"""

from __future__ import annotations

import numpy as np

from siamfc.errors import DataError


def as_polygons(values, what: str = "polygon") -> np.ndarray:
    """``(N, 2K)`` float polygons from ``(N, 2K)`` (or ``(2K,)``) numbers; a clear error if a
    row has an odd count or fewer than 3 points (no area), as ``what`` names it."""
    p = np.asarray(values, dtype=np.float64)
    p = p.reshape(1, -1) if p.ndim == 1 else p
    if p.ndim != 2 or p.shape[1] % 2:
        raise DataError(f"{what}: a polygon needs an even count of numbers (x, y pairs), got {p.shape[-1]}")
    if p.shape[1] < 6:
        raise DataError(f"{what}: a polygon needs at least 3 points, got {p.shape[1] // 2}")
    return p


def polygons_to_boxes(polygons) -> np.ndarray:
    """``(N, 2K)`` polygons -> ``(N, 4)`` axis-aligned bounding boxes ``(x, y, w, h)`` (min/max)."""
    polygons = np.asarray(polygons, dtype=np.float64)
    xs, ys = polygons[:, 0::2], polygons[:, 1::2]
    x0, y0 = xs.min(axis=1), ys.min(axis=1)
    return np.stack([x0, y0, xs.max(axis=1) - x0, ys.max(axis=1) - y0], axis=1)


def boxes_to_polygons(boxes) -> np.ndarray:
    """``(N, 4)`` boxes -> ``(N, 8)`` corners (clockwise from top-left)."""
    x, y, w, h = np.asarray(boxes, dtype=np.float64).reshape(-1, 4).T
    return np.stack([x, y, x + w, y, x + w, y + h, x, y + h], axis=1)


def polygons_to_region_boxes(polygons) -> np.ndarray:
    """``(N, 8)`` quadrilaterals -> ``(N, 4)`` boxes as the SiamFC authors initialise on VOT.

    Centre: the mean of the 4 corners. Size: the min/max box scaled by
    ``s = sqrt(|p1 p2| |p2 p3| / (w_mm h_mm))`` so that it has the rotated rectangle's area,
    plus 1 pixel (their sizes count pixels: a box ``x .. x2`` is ``x2 - x + 1`` wide).
    A degenerate polygon (zero-area min/max box) gives its min/max box plus 1 pixel.
    """
    p = np.asarray(polygons, dtype=np.float64).reshape(-1, 8)
    mm = polygons_to_boxes(p)
    side_a = np.hypot(p[:, 0] - p[:, 2], p[:, 1] - p[:, 3])
    side_b = np.hypot(p[:, 2] - p[:, 4], p[:, 3] - p[:, 5])
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.sqrt(side_a * side_b / (mm[:, 2] * mm[:, 3]))
    scale = np.where(np.isfinite(scale), scale, 1.0)
    w = scale * mm[:, 2] + 1
    h = scale * mm[:, 3] + 1
    cx, cy = p[:, 0::2].mean(axis=1), p[:, 1::2].mean(axis=1)
    out = np.stack([cx - (w - 1) / 2, cy - (h - 1) / 2, w, h], axis=1)
    out[np.isnan(p).any(axis=1)] = np.nan
    return out


def start_box(region, what: str = "region") -> np.ndarray:
    """The ``(x, y, w, h)`` a tracker starts from, for one region in 0-based pixels.

    ``region``: 4 numbers (a box: returned as it is) or ``2K`` numbers, ``K >= 3`` (a polygon): a
    quadrilateral becomes the box the SiamFC authors start from (:func:`polygons_to_region_boxes`),
    any other polygon its bounding box (:func:`polygons_to_boxes`). DataError (naming ``what``)
    for an odd count or fewer than 3 points.
    """
    values = np.asarray(region, dtype=np.float64).ravel()
    if len(values) == 4:
        return values.copy()
    polygon = as_polygons(values, what)
    return (polygons_to_region_boxes(polygon) if polygon.shape[1] == 8 else polygons_to_boxes(polygon))[0]
