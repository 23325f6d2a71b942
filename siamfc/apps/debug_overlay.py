"""What the tracker saw, drawn beside each frame (``siamfc track --debug``, the browser demo).

    annotated = draw_box(frame, box)
    out = debug_frame(annotated, tracker, scores)    # frame | 2 x 2 tiles, same height as the frame

The four tiles (each ``TILE x TILE`` pixels), from the tracker's ``last_*`` attributes:

* **search region**: the chosen scale's crop as the network saw it, with the peak (where the box
  moved, green cross) and the new box; the same region is outlined (blue) on the frame;
* **score map**: that scale's upsampled score map as a heat map, with its own peak (white circle);
* **with window**: the map after the cosine window, with the peak that moved the box (green
  cross) and the raw peak (white circle): the distance between them is the window's effect;
* **peak score**: the peak score over time, and the scale chosen on this frame.

Drawing costs a few milliseconds per frame; it happens only when asked for.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Side of one tile, in pixels.
TILE = 160
#: Colours (BGR): the peak that moved the box, the raw (unwindowed) peak, the search region.
PEAK_COLOR = (0, 255, 0)
RAW_PEAK_COLOR = (255, 255, 255)
SEARCH_COLOR = (255, 128, 0)


def debug_frame(annotated: np.ndarray, tracker, scores) -> np.ndarray:
    """``annotated`` (H x W x 3) with the search region outlined and the 2x2 tiles beside it.

    ``tracker``: the tracker right after its ``update`` for this frame, or None for the first
    frame (blank tiles). ``scores``: the peak scores so far (NaN for the first frame). The output
    is ``max(H, 2 TILE) x (W + 2 TILE) x 3`` for every frame, so a video can be written from it.
    """
    frame = annotated.copy()
    if tracker is not None:
        (cx, cy), side = tracker.last_search
        half = (side - 1) / 2
        cv2.rectangle(
            frame,
            (int(round(cx - half)), int(round(cy - half))),
            (int(round(cx + half)), int(round(cy + half))),
            SEARCH_COLOR,
            1,
        )
    panel = debug_panel(tracker, scores)
    height = max(frame.shape[0], panel.shape[0])
    out = np.zeros((height, frame.shape[1] + panel.shape[1], 3), np.uint8)
    out[: frame.shape[0], : frame.shape[1]] = frame
    out[: panel.shape[0], frame.shape[1] :] = panel
    return out


def debug_panel(tracker, scores) -> np.ndarray:
    """The four tiles as one ``2 TILE x 2 TILE x 3`` image (``tracker`` None: blank, for the first frame)."""
    if tracker is None:
        tiles = [_blank("search region"), _blank("score map"), _blank("with window"), score_plot_tile(scores)]
    else:
        tiles = [
            search_tile(tracker),
            score_map_tile(tracker),
            windowed_tile(tracker),
            score_plot_tile(scores, tracker.last_scale, tracker.last_scale_id, len(tracker.scale_factors)),
        ]
    return np.vstack([np.hstack(tiles[:2]), np.hstack(tiles[2:])])


def map_to_crop(tracker, row: float, col: float) -> tuple[float, float]:
    """A position ``(row, col)`` of the upsampled map -> ``(x, y)`` pixels of the search crop."""
    p = tracker.params
    half_map = (tracker.upscale_size - 1) / 2
    half_crop = (p.instance_size - 1) / 2
    step = tracker.stride / p.response_up  # crop pixels per upsampled-map pixel
    return half_crop + (col - half_map) * step, half_crop + (row - half_map) * step


def search_tile(tracker) -> np.ndarray:
    p = tracker.params
    crop = tracker.crops[tracker.last_scale_id]
    tile = cv2.resize(crop, (TILE, TILE), interpolation=cv2.INTER_AREA)
    zoom = TILE / p.instance_size
    x, y = map_to_crop(tracker, *tracker.last_peak)
    # The new box, in crop pixels: its size in the frame times crop pixels per frame pixel.
    w, h = tracker.target_size * p.instance_size / tracker.last_search[1]
    cv2.rectangle(
        tile,
        _px((x - (w - 1) / 2) * zoom, (y - (h - 1) / 2) * zoom),
        _px((x + (w - 1) / 2) * zoom, (y + (h - 1) / 2) * zoom),
        (0, 255, 255),
        1,
    )
    _cross(tile, x * zoom, y * zoom)
    return _label(tile, "search region")


def score_map_tile(tracker) -> np.ndarray:
    tile = _heat(tracker.last_response)
    _circle(
        tile,
        tracker.last_response,
        np.unravel_index(int(np.argmax(tracker.last_response)), tracker.last_response.shape),
    )
    return _label(tile, f"score map x{tracker.last_scale:.4f}")


def windowed_tile(tracker) -> np.ndarray:
    tile = _heat(tracker.last_windowed)
    raw_peak = np.unravel_index(int(np.argmax(tracker.last_response)), tracker.last_response.shape)
    _circle(tile, tracker.last_windowed, raw_peak)
    zoom = TILE / tracker.last_windowed.shape[0]
    row, col = tracker.last_peak
    _cross(tile, (col + 0.5) * zoom - 0.5, (row + 0.5) * zoom - 0.5)
    # The window's pull, in frame pixels: map pixels -> crop pixels -> frame pixels.
    shift = np.hypot(row - raw_peak[0], col - raw_peak[1]) * tracker.stride / tracker.params.response_up
    shift *= tracker.last_search[1] / tracker.params.instance_size
    return _label(tile, f"with window: {shift:.1f} px")


def score_plot_tile(scores, scale: float | None = None, scale_id: int = 0, num_scales: int = 1) -> np.ndarray:
    """Peak score over time (at most ``TILE`` points: longer runs are subsampled), and the scale."""
    tile = np.full((TILE, TILE, 3), 32, np.uint8)
    values = np.asarray(scores, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values):
        top, bottom = 24, TILE - 34
        lo, hi = min(0.0, values.min()), max(values.max(), 1e-6)
        picked = values[np.linspace(0, len(values) - 1, min(len(values), TILE - 8)).astype(int)]
        xs = 4 + np.arange(len(picked)) * (TILE - 8) / max(len(picked) - 1, 1)
        ys = bottom - (picked - lo) / (hi - lo) * (bottom - top)
        cv2.polylines(tile, [np.stack([xs, ys], axis=1).round().astype(np.int32)], False, (0, 200, 255), 1)
        _text(tile, f"score {values[-1]:.2f}", 4, TILE - 20)
    if scale is not None:
        _text(tile, f"scale {scale:.4f} ({scale_id + 1}/{num_scales})", 4, TILE - 6)
    return _label(tile, "peak score")


# -- drawing helpers ---------------------------------------------------------------------------
def _px(x: float, y: float) -> tuple[int, int]:
    return int(round(x)), int(round(y))


def _heat(values: np.ndarray) -> np.ndarray:
    scaled = cv2.normalize(values.astype(np.float32), None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    return cv2.applyColorMap(cv2.resize(scaled, (TILE, TILE), interpolation=cv2.INTER_AREA), cv2.COLORMAP_JET)


def _circle(tile: np.ndarray, values: np.ndarray, peak) -> None:
    zoom = TILE / values.shape[0]
    cv2.circle(tile, _px((peak[1] + 0.5) * zoom - 0.5, (peak[0] + 0.5) * zoom - 0.5), 6, RAW_PEAK_COLOR, 1)


def _cross(tile: np.ndarray, x: float, y: float) -> None:
    # Not anti-aliased: the cross's pixels are exactly PEAK_COLOR and centred on the peak.
    cv2.drawMarker(tile, _px(x, y), PEAK_COLOR, cv2.MARKER_CROSS, 11, 1, cv2.LINE_8)


def _text(tile: np.ndarray, text: str, x: int, y: int) -> None:
    # White on a dark strip: readable on any heat-map colour.
    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.35, 1)
    cv2.rectangle(tile, (x - 2, y - h - 2), (x + w + 1, y + base), (0, 0, 0), -1)
    cv2.putText(tile, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (255, 255, 255), 1, cv2.LINE_AA)


def _label(tile: np.ndarray, text: str) -> np.ndarray:
    _text(tile, text, 4, 12)
    cv2.rectangle(tile, (0, 0), (TILE - 1, TILE - 1), (80, 80, 80), 1)
    return tile


def _blank(text: str) -> np.ndarray:
    tile = np.full((TILE, TILE, 3), 32, np.uint8)
    _text(tile, "first frame", 4, TILE // 2)
    return _label(tile, text)
