"""Re-detection after the target is lost, as the long-term Siamese trackers do.

SiamFC searches only a region about four target sizes wide around its last position; once the box
has drifted off the target (or the target left the view and came back elsewhere) it rarely finds it
again. :class:`Redetector` wraps a :class:`~siamfc.tracking.SiamFCTracker` and, after ``after``
frames in a row whose peak score is below the lost threshold (:mod:`siamfc.tracking.lost`), widens
the search:

1. for ``wide_frames`` frames, a 3x3 block of search crops around the last position where the
   target was still found (three times the normal search width);
2. then the whole frame, in a grid of search crops ordered by distance from that position.

Each searching frame scores ``tiles_per_frame`` extra crops (one batch, at the size of the last
confident search region, so the target keeps the scale the exemplar was taken at), cycling through
the crops of the current stage. When a crop's peak reaches the threshold (+ ``margin``), the tracker
moves there with its last confident size, and normal tracking resumes; it also resumes when the
normal search's own score recovers.

    tracker = Redetector(SiamFCTracker(weights="paper"))   # threshold: the weights' model card
    tracker.init(frame, box)
    box, score = tracker.update(frame); tracker.lost       # as SiamFCTracker
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from siamfc.errors import ConfigError
from siamfc.io.frames import as_bgr
from siamfc.tracking.crop import crop_and_resize
from siamfc.tracking.tracker import SiamFCTracker, TrackResult


@dataclass(frozen=True)
class RedetectParams:
    """When and how widely to search again. Defaults are set by reasoning, not tuned (see the docs)."""

    after: int = 5  # lost frames in a row before the search widens
    wide_frames: int = 10  # frames of the 3x3 block around the last confident position, then the whole frame
    tiles_per_frame: int = 3  # extra search crops scored on each searching frame (one network batch)
    margin: float = 0.0  # re-acquire when a crop's peak >= lost threshold + margin

    def __post_init__(self) -> None:
        if self.after < 1 or self.wide_frames < 0 or self.tiles_per_frame < 1:
            raise ConfigError(f"re-detection needs after >= 1, wide_frames >= 0 and tiles_per_frame >= 1, got {self}")


def tile_step(side: float, tracker: SiamFCTracker) -> float:
    """Frame pixels between neighbouring search crops of ``side`` so that their score maps just cover
    the plane: a map spans ``(map_size - 1) * stride`` crop pixels of displacement."""
    p = tracker.params
    span = (p.instance_size - p.exemplar_size) // tracker.stride * tracker.stride  # 128 px of a 255 crop
    return side * span / p.instance_size


def wide_tiles(centre, step: float) -> np.ndarray:
    """``(9, 2)`` centres of the 3x3 block around ``centre``, the middle one first."""
    offsets = [(0, 0)] + [(i, j) for j in (-1, 0, 1) for i in (-1, 0, 1) if (i, j) != (0, 0)]
    return np.asarray(centre, np.float64) + step * np.array(offsets, np.float64)


def frame_tiles(frame_shape, centre, step: float) -> np.ndarray:
    """``(T, 2)`` centres of a grid over the whole frame, nearest to ``centre`` first."""
    h, w = frame_shape[:2]
    xs = step / 2 + step * np.arange(max(1, math.ceil(w / step)))  # each covers step px: the last reaches w
    ys = step / 2 + step * np.arange(max(1, math.ceil(h / step)))
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    return grid[np.argsort(np.hypot(*(grid - np.asarray(centre)).T), kind="stable")]


class Redetector:
    """A :class:`SiamFCTracker` that searches wider when its target is lost (see the module doc).

    Args:
        tracker: the tracker to wrap (its engine, parameters and crops are used).
        lost_threshold: peak score below which a frame is lost; default: the tracker's
            (``lost_threshold``, from the weights' model card). ConfigError if neither has one.
        params: a :class:`RedetectParams`.

    Attributes other than those below are the wrapped tracker's (``last_timings``, ``describe`` ...).
    ``redetections`` counts the jumps made and ``searched_frames`` the updates that searched wider
    (since ``init``); ``searching`` says whether the last update did.
    """

    def __init__(
        self, tracker: SiamFCTracker, lost_threshold: float | None = None, params: RedetectParams | None = None
    ):
        self.tracker = tracker
        threshold = lost_threshold if lost_threshold is not None else tracker.lost_threshold
        if threshold is None:
            raise ConfigError(
                "re-detection needs a lost threshold: these weights' model card has no 'lost' entry "
                "(benchmarks/lost_calibration.py calibrate --apply makes one); pass lost_threshold"
            )
        self.lost_threshold: float = threshold
        self.params = params or RedetectParams()
        p = tracker.params
        self._crops = np.empty((self.params.tiles_per_frame, p.instance_size, p.instance_size, 3), np.uint8)
        self.last_score: float | None = None
        self.redetections = self.searched_frames = 0
        self.searching = False
        self._stage: str | None = None
        self._tiles: np.ndarray | None = None
        self._next = 0

    def __getattr__(self, name):  # only called for names this class does not have
        if name == "tracker":  # not set yet (e.g. during unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.tracker, name)

    @property
    def lost(self) -> bool:
        """The last update's score (the re-detected crop's, where it jumped) was below the threshold."""
        return self.last_score is not None and self.last_score < self.lost_threshold

    def init(self, frame, box) -> None:
        self.tracker.init(frame, box)
        self._remember()
        self.last_score = None
        self.searching = False
        self.redetections = self.searched_frames = 0
        self._lost_run = 0

    def _remember(self) -> None:
        """The state at the last frame where the target was found: where to search from, at what size."""
        t = self.tracker
        self._anchor = (t.center.copy(), t.x_size, t.target_size.copy())
        self._stage, self._tiles, self._next = None, None, 0

    def update(self, frame) -> TrackResult:
        result = self.tracker.update(frame)
        self.last_score = result.score
        self.searching = False
        if result.score >= self.lost_threshold:
            self._lost_run = 0
            self._remember()
            return result
        self._lost_run += 1
        if self._lost_run < self.params.after:
            return result
        self.searching = True
        self.searched_frames += 1
        found = self._search(as_bgr(frame, rgb=self.tracker.rgb))
        if found is None:
            return result
        self._lost_run = 0
        self.redetections += 1
        self.last_score = found.score
        return found

    def _stage_tiles(self, frame_shape) -> np.ndarray:
        centre, side, _ = self._anchor
        stage = "wide" if self._lost_run - self.params.after < self.params.wide_frames else "frame"
        if stage != self._stage:
            step = tile_step(side, self.tracker)
            self._tiles = wide_tiles(centre, step) if stage == "wide" else frame_tiles(frame_shape, centre, step)
            self._stage, self._next = stage, 0
        assert self._tiles is not None
        return self._tiles

    def _search(self, img: np.ndarray) -> TrackResult | None:
        """Score the next crops of the current stage; move the tracker to the best peak if it is high enough."""
        t, p = self.tracker, self.tracker.params
        tiles = self._stage_tiles(img.shape)
        n = self.params.tiles_per_frame
        centres = tiles[(self._next + np.arange(n)) % len(tiles)]
        self._next = (self._next + n) % len(tiles)
        _, side, size = self._anchor
        for crop, c in zip(self._crops, centres):
            crop_and_resize(img, tuple(c), side, p.instance_size, t.avg_color, out=crop, resampling=t.resampling)
        responses = t.engine.score(t.kernel, self._crops)
        peaks = responses.reshape(len(responses), -1).max(axis=1)
        best = int(np.argmax(peaks))
        if peaks[best] < self.lost_threshold + self.params.margin:
            return None
        up = t.upsample(responses[best])
        row, col = np.unravel_index(int(np.argmax(up)), up.shape)
        disp = (np.array([col, row], np.float64) - (t.upscale_size - 1) / 2) * t.stride / p.response_up
        t.center = centres[best] + disp * side / p.instance_size
        t.x_size, t.target_size = side, size.copy()
        t.last_score = float(peaks[best])
        self._remember()
        w, h = size
        box = (t.center[0] - (w - 1) / 2, t.center[1] - (h - 1) / 2, w, h)
        return TrackResult((float(box[0]), float(box[1]), float(box[2]), float(box[3])), float(peaks[best]))
