"""VOT supervised (baseline) experiment: re-initialisation after failures, accuracy, robustness, EAO.

Protocol (the VOT toolkit's, as in VOT-2015 ... 2018):

* the tracker starts on frame 1 with the ground truth's axis-aligned bounding box (min/max of
  the polygon's corners); a frame whose predicted region does not overlap the ground truth at
  all (overlap <= 0) is a **failure**; the tracker is re-initialised **5 frames later** from the
  ground truth there; the frames in between are skipped. The trajectory records ``1`` (init),
  ``2`` (failure), ``0`` (skipped) or the box, as the toolkit's ``_001.txt`` files do.
* **overlap** is region IoU of the predicted rectangle and the ground-truth *polygon*, both
  clipped to the frame (exact convex-polygon geometry; the toolkit rasterises: on the bench's
  ``bag`` the two agree within 0.001). Without the frames (annotation-only root) no clipping.
* **accuracy**: mean overlap over the tracked frames, leaving out the 10 frames after each
  (re-)initialisation (burn-in) -- per sequence, and pooled over all frames of the dataset;
* **robustness**: the number of failures (per sequence and in total), and the VOT-2018
  reliability ``exp(-30 * failures / frames)`` over the dataset;
* **EAO**: trajectories are cut into fragments at each re-initialisation; a fragment that ends
  in a failure counts zero overlap for every later frame (to any length); the expected overlap
  Phi(Ns) is the average, over fragments at least Ns frames long (or failed), of the mean
  overlap of their frames 2..Ns (the initialisation frame is not scored); EAO is the mean of
  Phi(Ns) for Ns in the year's range: VOT-2015/2016 108-371, VOT-2017/2018 100-356.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..data.box_files import from_file_coords
from ..data.folder import boxes_to_polygons
from ..data.sequence import Sequence
from ..errors import DataError
from .metrics import polygon_iou
from .results import BOX, FAILURE, INIT, SKIPPED, Trajectory

SKIP = 5
BURNIN = 10
RELIABILITY_S = 30
EAO_RANGES = {2015: (108, 371), 2016: (108, 371), 2017: (100, 356), 2018: (100, 356)}


def gt_polygons(seq: Sequence) -> np.ndarray:
    """``(N, 8)`` ground-truth regions: the polygons, or the rectangles as polygons."""
    return seq.polygons if seq.polygons is not None else boxes_to_polygons(seq.boxes)


def frame_bounds(width: int, height: int) -> np.ndarray:
    """The frame as a clipping polygon in internal coordinates (the toolkit clips to pixels
    ``0 .. width-1`` of the 1-based file convention)."""
    corners = np.array([[0, 0, width - 1, 0, width - 1, height - 1, 0, height - 1]], dtype=np.float64)
    return from_file_coords(corners)[0]


def sequence_bounds(seq: Sequence):
    """The clipping polygon of ``seq``'s frames, or None if its frames cannot be read."""
    size = seq.meta.get("size")
    if size is None:
        try:
            h, w = seq.frame(0).shape[:2]
        except Exception:  # noqa: BLE001 - annotation-only roots score without clipping
            return None
        size = (w, h)
        seq.meta["size"] = size
    return frame_bounds(*size)


def region_overlap(box, polygon, bounds=None) -> float:
    """Overlap of a predicted ``(x, y, w, h)`` box with a ground-truth polygon (8 numbers)."""
    return polygon_iou(boxes_to_polygons(np.asarray(box, dtype=np.float64).reshape(1, 4))[0], polygon, bounds)


def track_supervised(tracker, seq: Sequence, skip: int = SKIP) -> Trajectory:
    """Run the supervised experiment on one sequence; returns the VOT trajectory with timings."""
    n = len(seq)
    polys = gt_polygons(seq)
    bounds = None
    boxes = np.full((n, 4), np.nan)
    status = np.full(n, SKIPPED, dtype=np.int64)
    times = np.zeros(n)
    init_at = 0
    for i in range(n):
        if i < init_at:
            continue
        if i == init_at and not np.isfinite(seq.boxes[i]).all():
            init_at += 1  # no ground truth to restart from: try the next frame
            continue
        frame = seq.frame(i)
        if bounds is None:
            bounds = frame_bounds(frame.shape[1], frame.shape[0])
        start = time.perf_counter()
        if i == init_at:
            tracker.init(frame, seq.boxes[i])
            times[i] = time.perf_counter() - start
            status[i] = INIT
            continue
        box = tracker.update(frame).box
        times[i] = time.perf_counter() - start
        if np.isfinite(polys[i]).all() and not region_overlap(box, polys[i], bounds) > 0:
            status[i] = FAILURE
            init_at = i + skip
        else:
            status[i] = BOX
            boxes[i] = box
    return Trajectory(boxes, status, times)


@dataclass
class VOTSequenceScore:
    name: str
    overlaps: np.ndarray  # (N,) overlap on frames counted for accuracy, NaN elsewhere
    failures: int
    n_frames: int
    fps: float | None = None

    @property
    def accuracy(self) -> float:
        valid = self.overlaps[np.isfinite(self.overlaps)]
        return float(valid.mean()) if len(valid) else float("nan")

    def as_dict(self) -> dict:
        return {"accuracy": self.accuracy, "failures": self.failures, "frames": self.n_frames, "fps": self.fps}


def trajectory_overlaps(traj: Trajectory, seq: Sequence, bounds=None) -> np.ndarray:
    """``(N,)`` overlap of each frame with a box; NaN on init/failure/skipped frames."""
    if traj.status is None:
        raise DataError(f"{seq.name}: not a supervised (VOT) trajectory")
    if len(traj.status) != len(seq):
        raise DataError(f"{seq.name}: {len(traj.status)} result rows for {len(seq)} frames")
    polys = gt_polygons(seq)
    out = np.full(len(seq), np.nan)
    for i in np.flatnonzero(traj.status == BOX):
        out[i] = region_overlap(traj.boxes[i], polys[i], bounds)
    return out


def score_vot_sequence(traj: Trajectory, seq: Sequence, burnin: int = BURNIN, bounds=None) -> VOTSequenceScore:
    """Accuracy overlaps (burn-in removed) and failure count of one sequence."""
    overlaps = trajectory_overlaps(traj, seq, bounds)
    counted = overlaps.copy()
    for i in np.flatnonzero(traj.status == INIT):
        counted[i: i + burnin] = np.nan
    return VOTSequenceScore(seq.name, counted, int(np.sum(traj.status == FAILURE)), len(seq), traj.fps)


def fragments(traj: Trajectory, overlaps: np.ndarray, skip: int = SKIP) -> list[tuple[np.ndarray, bool]]:
    """Cut a trajectory at its re-initialisations: ``(overlaps of the fragment, ended in failure)``.

    Non-box frames count 0 inside a fragment (its init frame is never scored anyway).
    """
    vals = np.nan_to_num(overlaps, nan=0.0)
    fails = np.flatnonzero(traj.status == FAILURE)
    starts = [0] + [f + skip for f in fails if f + skip <= len(vals)]
    out = []
    for k, s in enumerate(starts):
        if k + 1 < len(starts):
            out.append((vals[s: starts[k + 1] + 1], True))
        else:
            out.append((vals[s:], False))
    return out


def expected_overlap_curve(frags: list[tuple[np.ndarray, bool]], max_len: int) -> np.ndarray:
    """Phi(Ns) for Ns = 1 .. max_len (index Ns - 1); Phi(1) = 1 by definition."""
    curve = np.zeros(max_len)
    curve[0] = 1.0
    sums = np.zeros(max_len)
    counts = np.zeros(max_len)
    for vals, failed in frags:
        # Mean overlap of frames 2..Ns of this fragment, for every Ns it reaches (zeros past a failure).
        padded = np.zeros(max_len)
        length = min(len(vals), max_len)
        padded[:length] = vals[:length]
        csum = np.cumsum(padded)
        ns = np.arange(1, max_len + 1)
        means = np.zeros(max_len)
        means[1:] = (csum[1:] - csum[0]) / (ns[1:] - 1)
        reach = max_len if failed else length
        sums[:reach] += means[:reach]
        counts[:reach] += 1
    ok = counts > 0
    curve[1:][ok[1:]] = sums[1:][ok[1:]] / counts[1:][ok[1:]]
    curve[1:][~ok[1:]] = np.nan
    return curve


def eao(frags: list[tuple[np.ndarray, bool]], low: int, high: int, max_len: int) -> float:
    """Expected average overlap over sequence lengths ``low .. high`` (those up to ``max_len``,
    the longest sequence, as the toolkit's curve stops there)."""
    curve = expected_overlap_curve(frags, max_len)
    window = curve[low - 1: high]
    window = window[np.isfinite(window)]
    return float(window.mean()) if len(window) else float("nan")


@dataclass
class VOTSummary:
    sequences: list[VOTSequenceScore]
    eao: float | None
    eao_range: tuple | None

    @property
    def accuracy(self) -> float:
        """Frame-pooled mean overlap (every counted frame of every sequence weighs the same)."""
        allv = np.concatenate([s.overlaps[np.isfinite(s.overlaps)] for s in self.sequences])
        return float(allv.mean()) if len(allv) else float("nan")

    @property
    def failures(self) -> int:
        return int(sum(s.failures for s in self.sequences))

    @property
    def reliability(self) -> float:
        frames = sum(s.n_frames for s in self.sequences)
        return float(np.exp(-RELIABILITY_S * self.failures / frames))

    @property
    def fps(self) -> float | None:
        v = [s.fps for s in self.sequences if s.fps]
        return float(np.mean(v)) if v else None


def summarize_vot(pairs, year: int | None = None, burnin: int = BURNIN, skip: int = SKIP) -> VOTSummary:
    """Score ``(trajectory, sequence, bounds)`` triples: accuracy, robustness and (with ``year``) EAO."""
    scores, frags = [], []
    for traj, seq, bounds in pairs:
        scores.append(score_vot_sequence(traj, seq, burnin, bounds))
        frags += fragments(traj, trajectory_overlaps(traj, seq, bounds), skip)
    rng = EAO_RANGES.get(year)
    max_len = max((s.n_frames for s in scores), default=0)
    return VOTSummary(scores, eao(frags, *rng, max_len) if rng and frags else None, rng)
