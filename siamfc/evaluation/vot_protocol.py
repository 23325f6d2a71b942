"""VOT supervised (baseline) experiment: re-initialisation after failures, accuracy, robustness, EAO.

Protocol and analysis as the VOT toolkit (``vot-toolkit`` 0.9, ``vot.experiment.multirun`` and
``vot.analysis.supervised``) defines them for VOT-2015 ... 2018; ``tests/test_eval_official_toolkits.py``
checks every number below against that package's own functions:

* the tracker starts on frame 1 from the ground truth; a polygon becomes the box the SiamFC
  authors start from (:func:`siamfc.geometry.polygons_to_region_boxes`: centred on the corners'
  mean, the rotated rectangle's area); a frame whose predicted region does not overlap the ground
  truth at all (overlap <= 0) is a **failure**; the tracker is re-initialised **5 frames later**
  from the ground truth there; the frames in between are skipped. The trajectory records ``1``
  (init), ``2`` (failure), ``0`` (skipped) or the box, as the toolkit's ``_001.txt`` files do.
* **overlap** is region IoU of the predicted rectangle and the ground-truth *polygon*, both
  clipped to the frame (exact convex-polygon geometry; the toolkit rasterises to pixels: on the
  bench's ``bag`` with SiamFC's result the two differ by less than 0.06 on single frames and
  by less than 0.005 on their mean, as the tests check). Without the frames (annotation-only
  root) no clipping.
* **accuracy** of a sequence: mean overlap over its tracked frames, leaving out the 10 frames
  from each (re-)initialisation on (burn-in) -- 0 if none is left; over the dataset, the mean of
  the sequences' accuracies weighted by their lengths (``supervised_average_ar``);
* **robustness**: the number of failures (per sequence, and the total in the tables), and the
  toolkit's AR robustness ``exp(-30 * F / L)`` with ``F`` the length-weighted mean failures per
  sequence and ``L`` the mean sequence length (``reliability``);
* **EAO**: each (re-)initialisation starts a run; a run ends at its failure (the failure frame
  excluded) and then counts zero overlap for every later frame, or reaches the end of the
  sequence. A failure whose re-initialisation would fall past the end leaves no further run.
  The curve at index ``j`` is the mean over the runs, failed or at least ``j + 1`` frames long,
  of their mean overlap over frames ``2 .. j + 1`` (the initialisation frame is not scored),
  up to the longest run; EAO is the mean of the curve over the indices ``low .. high`` of the
  year's range -- VOT-2015/2016 108-371, VOT-2017/2018 100-356 -- which is how the toolkit's
  ``supervised_eao_score`` indexes its 0-based curve. The toolkit sums in float32; we in float64
  (the two agree within 1e-6).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from siamfc.data.box_files import from_file_coords
from siamfc.data.sequence import Sequence
from siamfc.errors import DataError
from siamfc.evaluation.metrics import polygon_iou
from siamfc.evaluation.results import BOX, FAILURE, INIT, SKIPPED, Trajectory
from siamfc.geometry import boxes_to_polygons, polygons_to_region_boxes

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


def initial_boxes(seq: Sequence) -> np.ndarray:
    """``(N, 4)`` the box a tracker starts from on each frame: the region box of a polygon,
    else the ground-truth box."""
    return polygons_to_region_boxes(seq.polygons) if seq.polygons is not None else np.asarray(seq.boxes)


def track_supervised(tracker, seq: Sequence, skip: int = SKIP) -> Trajectory:
    """Run the supervised experiment on one sequence; returns the VOT trajectory with timings."""
    n = len(seq)
    polys = gt_polygons(seq)
    starts = initial_boxes(seq)
    bounds = None
    boxes = np.full((n, 4), np.nan)
    status = np.full(n, SKIPPED, dtype=np.int64)
    times = np.zeros(n)
    init_at = 0
    for i in range(n):
        if i < init_at:
            continue
        if i == init_at and not np.isfinite(starts[i]).all():
            init_at += 1  # no ground truth to restart from: try the next frame
            continue
        frame = seq.frame(i)
        if bounds is None:
            bounds = frame_bounds(frame.shape[1], frame.shape[0])
        start = time.perf_counter()
        if i == init_at:
            tracker.init(frame, starts[i])
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
        """Mean counted overlap; 0 when no frame is counted (the toolkit's ``compute_accuracy``)."""
        valid = self.overlaps[np.isfinite(self.overlaps)]
        return float(valid.mean()) if len(valid) else 0.0

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
        counted[i : i + burnin] = np.nan
    return VOTSequenceScore(seq.name, counted, int(np.sum(traj.status == FAILURE)), len(seq), traj.fps)


def fragments(traj: Trajectory, overlaps: np.ndarray) -> list[tuple[np.ndarray, bool]]:
    """The runs of a trajectory: ``(overlaps of the run, ended in failure)``.

    Run ``k`` goes from the ``k``-th initialisation to (not including) the ``k``-th failure;
    after the last failure a run exists only if the tracker was initialised again (the
    re-initialisation did not fall past the end); a trajectory without failures is one run.
    Non-box frames count 0 (a run's first frame, its initialisation, is never scored).
    """
    vals = np.nan_to_num(overlaps, nan=0.0)
    fails = np.flatnonzero(traj.status == FAILURE)
    inits = np.flatnonzero(traj.status == INIT)
    if not len(fails):
        return [(vals, False)]
    if len(inits) < len(fails) or (inits[: len(fails)] > fails).any():
        raise DataError(
            f"not a VOT trajectory: every '2' (failure) needs a '1' (initialisation) before it; "
            f"found {len(fails)} failures and {len(inits)} initialisations"
        )
    out = [(vals[inits[k] : fails[k]], True) for k in range(len(fails))]
    if len(inits) > len(fails):
        out.append((vals[inits[-1] :], False))
    return out


def expected_overlap_curve(frags: list[tuple[np.ndarray, bool]]) -> np.ndarray:
    """The EAO curve up to the longest run: index ``j`` holds the mean, over the runs that
    failed or are at least ``j + 1`` frames long, of their mean overlap over frames 2 .. j + 1;
    index 0 (a run of just the initialisation frame) is 1 by definition."""
    max_len = max((len(v) for v, _ in frags), default=0)
    if max_len == 0:
        return np.zeros(0)
    padded = np.zeros((len(frags), max_len))
    counted = np.zeros((len(frags), max_len), dtype=bool)
    for k, (vals, failed) in enumerate(frags):
        padded[k, : len(vals)] = vals
        counted[k, : max_len if failed else len(vals)] = True  # zeros after a failure count
    ns = np.arange(1, max_len)
    means = np.ones((len(frags), max_len))
    means[:, 1:] = np.cumsum(padded[:, 1:], axis=1) / ns
    with np.errstate(invalid="ignore", divide="ignore"):
        curve = (means * counted).sum(axis=0) / counted.sum(axis=0)
    curve[0] = 1.0
    return curve


def eao(frags: list[tuple[np.ndarray, bool]], low: int, high: int) -> float:
    """Expected average overlap: the mean of the curve's indices ``low .. high`` (as far as
    the curve goes), the toolkit's ``supervised_eao_score``."""
    window = expected_overlap_curve(frags)[low : high + 1]
    return float(window.mean()) if len(window) else float("nan")


@dataclass
class VOTSummary:
    sequences: list[VOTSequenceScore]
    eao: float | None
    eao_range: tuple | None

    def _length_weighted(self, values) -> float:
        lengths = np.array([s.n_frames for s in self.sequences], dtype=np.float64)
        return float(np.dot(values, lengths) / lengths.sum())

    @property
    def accuracy(self) -> float:
        """The sequences' accuracies, weighted by their lengths (the toolkit's average AR)."""
        return self._length_weighted([s.accuracy for s in self.sequences])

    @property
    def failures(self) -> int:
        """All failures of all sequences."""
        return int(sum(s.failures for s in self.sequences))

    @property
    def reliability(self) -> float:
        """``exp(-30 * F / L)``: ``F`` the length-weighted mean failures per sequence, ``L`` the
        mean sequence length (the toolkit's AR robustness)."""
        mean_failures = self._length_weighted([s.failures for s in self.sequences])
        mean_length = float(np.mean([s.n_frames for s in self.sequences]))
        return float(np.exp(-RELIABILITY_S * mean_failures / mean_length))

    @property
    def fps(self) -> float | None:
        v = [s.fps for s in self.sequences if s.fps]
        return float(np.mean(v)) if v else None


def summarize_vot(pairs, year: int | None = None, burnin: int = BURNIN) -> VOTSummary:
    """Score ``(trajectory, sequence, bounds)`` triples: accuracy, robustness and (with ``year``) EAO."""
    scores, frags = [], []
    for traj, seq, bounds in pairs:
        scores.append(score_vot_sequence(traj, seq, burnin, bounds))
        try:
            frags += fragments(traj, trajectory_overlaps(traj, seq, bounds))
        except DataError as exc:
            raise DataError(f"{seq.name}: {exc}") from None
    rng = EAO_RANGES.get(year)
    return VOTSummary(scores, eao(frags, *rng) if rng and frags else None, rng)
