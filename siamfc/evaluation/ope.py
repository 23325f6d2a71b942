"""One-pass evaluation (OTB OPE) and its LaSOT variant: success, precision, normalised precision.

Per sequence (``score_sequence``):

* the first result box is replaced by the ground truth (the tracker was given it; the official
  toolkits do the same);
* **success curve**: for each IoU threshold t in 0, 0.05, ..., 1 (21 values), the fraction of the
  sequence's frames with IoU **>** t; the sequence's AUC is the mean of the 21 values;
* **precision curve**: fraction of frames whose centre error is **<=** t pixels, t = 0..50; the
  score is the value at 20 px;
* **normalised precision curve**: centre offset divided by the ground-truth width/height (per
  axis), fraction **<=** t for t = 0, 0.01, ..., 0.5; the score is the curve's mean (its AUC, as
  the LaSOT toolkit ranks it).

The divisor is always the sequence's full length. Frames without a usable ground truth -- a NaN row
(invalid OTB rows, UAV123 out-of-view rows) or a row with a value <= 0 in the file's 1-based numbers
(the toolkits' ``sum(rect_anno > 0, 2) == 4``) -- never count as a success, but count as a *hit* in
the precision curves: the official OTB toolkit marks their centre error ``-1`` and then counts
``error <= t`` (``calcSeqErrRobust.m`` / ``calc_seq_err_robust.py``); reproduced because the
published OTB precision numbers include it (Biker, Board, Crowds, Twinnings...). LaSOT does the
same for a *present* frame with such a ground truth. Frames where the dataset says the target is
**absent** count, with ``rule="lasot"`` (LaSOT full occlusion / out of view), as a miss in every
curve (removed from the numerators, kept in the divisor), as the LaSOT toolkit does; with
``rule="otb"`` (OTB, UAV123, DTB70, the bench) as frames without a usable box.

Result rows are read as the toolkits read them (:func:`repair_results`): a row that is NaN or has
``w <= 0`` or ``h <= 0`` repeats the previous box (OTB ``calcSeqErrRobust``, LaSOT
``calc_seq_err_robust``; the toolkits skip the repeat where the ground-truth row itself is NaN,
where the frame scores the same either way); with ``trim``, a result shorter than the ground
truth is scored on its own length and a longer one is cut to the ground truth's. Over a dataset
the per-sequence curves are averaged (each sequence weighs the same), and the scores are read off
the averaged curves -- the same as averaging the per-sequence scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from siamfc.errors import DataError
from siamfc.evaluation.metrics import box_iou, center_error, normalized_center_error

SUCCESS_THRESHOLDS = np.linspace(0.0, 1.0, 21)
PRECISION_THRESHOLDS = np.arange(0, 51, dtype=np.float64)
NORM_PRECISION_THRESHOLDS = np.linspace(0.0, 0.5, 51)
PRECISION_AT = 20  # px
RULES = ("otb", "lasot")


class _Scores:
    """The three scores read off ``success``, ``precision`` and ``norm_precision`` curves."""

    @property
    def auc(self) -> float:
        return float(np.mean(self.success))

    @property
    def p20(self) -> float:
        return float(self.precision[PRECISION_AT])

    @property
    def norm_p(self) -> float:
        return float(np.mean(self.norm_precision))


@dataclass
class SequenceScore(_Scores):
    """One sequence's curves (``success (21,)``, ``precision (51,)``, ``norm_precision (51,)``)."""

    name: str
    success: np.ndarray
    precision: np.ndarray
    norm_precision: np.ndarray
    n_frames: int
    fps: float | None = None
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        d = {"auc": self.auc, "p20": self.p20, "norm_precision": self.norm_p, "frames": self.n_frames, "fps": self.fps}
        d.update(self.extra)
        return d


@dataclass
class Summary(_Scores):
    """Curves averaged over sequences, and the per-sequence scores they came from."""

    success: np.ndarray
    precision: np.ndarray
    norm_precision: np.ndarray
    sequences: list[SequenceScore]

    @property
    def fps(self) -> float | None:
        """Mean of the per-sequence fps (None if no sequence recorded its speed)."""
        values = [s.fps for s in self.sequences if s.fps]
        return float(np.mean(values)) if values else None


def _fraction(values: np.ndarray, thresholds: np.ndarray, above: bool) -> np.ndarray:
    """Fraction of ``values`` > (or <=) each threshold; NaN values never pass."""
    v = values[:, None]
    with np.errstate(invalid="ignore"):
        hits = v > thresholds[None, :] if above else v <= thresholds[None, :]
    return hits.sum(axis=0) / float(len(values))


def repair_results(pred) -> np.ndarray:
    """``(N, 4)`` result boxes where every row after the first that is NaN, or has ``w <= 0`` or
    ``h <= 0``, repeats the row before it (the OTB / LaSOT toolkits' reading of a result)."""
    pred = np.array(pred, dtype=np.float64).reshape(-1, 4)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(pred).all(axis=1) | (pred[:, 2] <= 0) | (pred[:, 3] <= 0)
    for i in np.flatnonzero(bad):
        if i > 0:
            pred[i] = pred[i - 1]
    return pred


def usable_ground_truth(gt) -> np.ndarray:
    """``(N,)`` True where a ground-truth row is finite and all 4 file numbers are > 0 (1-based
    x, y > 0 is internal x, y > -1), the toolkits' ``sum(rect_anno > 0, 2) == 4``."""
    gt = np.asarray(gt, dtype=np.float64).reshape(-1, 4)
    with np.errstate(invalid="ignore"):
        return np.isfinite(gt).all(axis=1) & (gt[:, :2] > -1).all(axis=1) & (gt[:, 2:] > 0).all(axis=1)


def score_sequence(
    pred, gt, *, name: str = "", absent=None, rule: str = "otb", trim: bool = False, fps: float | None = None
) -> SequenceScore:
    """Score one sequence. ``pred``, ``gt``: ``(N, 4)`` boxes; ``absent``: optional ``(N,)`` bool.

    ``trim``: score a result of another length on the shorter of the two lengths, as the toolkits
    do (STRUCK's official ClifBar result has 329 of 472 rows). Off by default (then a length
    mismatch is an error); :mod:`siamfc.evaluation.report` turns it on and warns.
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    pred = np.asarray(pred, dtype=np.float64).reshape(-1, 4)
    gt = np.asarray(gt, dtype=np.float64).reshape(-1, 4)
    if trim:
        n = min(len(pred), len(gt))
        pred, gt = pred[:n], gt[:n]
        absent = None if absent is None else np.asarray(absent)[:n]
    if len(pred) != len(gt):
        raise DataError(f"{name or 'sequence'}: {len(pred)} result rows for {len(gt)} ground-truth rows")
    if len(gt) == 0:
        raise DataError(f"{name or 'sequence'}: no frames")
    pred = repair_results(pred)
    usable = usable_ground_truth(gt)
    present = np.ones(len(gt), dtype=bool) if absent is None else ~np.asarray(absent, dtype=bool)
    if rule == "otb":  # OTB-style toolkits know no absence: an absent frame is one without a usable box
        usable &= present
        present = np.ones(len(gt), dtype=bool)
    pred[0] = gt[0]
    iou = box_iou(pred, gt)
    iou[~(usable & present)] = np.nan  # never a success
    # The OTB toolkit rounds centre errors to 4 decimals before thresholding.
    err = np.round(center_error(pred, gt), 4)
    nerr = normalized_center_error(pred, gt)
    missing_pred = ~np.isfinite(pred).all(axis=1)  # only when the first rows of a result are unusable
    err[missing_pred & usable] = np.inf
    nerr[missing_pred & usable] = np.inf
    err[~usable] = -1.0  # the toolkit's -1 marker: counted as a hit by "error <= t"
    nerr[~usable] = -1.0
    err[~present] = np.nan  # absent (LaSOT): a miss in every curve
    nerr[~present] = np.nan
    return SequenceScore(
        name=name,
        success=_fraction(iou, SUCCESS_THRESHOLDS, above=True),
        precision=_fraction(err, PRECISION_THRESHOLDS, above=False),
        norm_precision=_fraction(nerr, NORM_PRECISION_THRESHOLDS, above=False),
        n_frames=len(gt),
        fps=fps,
    )


def summarize(scores: list[SequenceScore]) -> Summary:
    """Average the per-sequence curves (each sequence weighs the same)."""
    if not scores:
        raise DataError("no sequences to summarise")
    return Summary(
        success=np.mean([s.success for s in scores], axis=0),
        precision=np.mean([s.precision for s in scores], axis=0),
        norm_precision=np.mean([s.norm_precision for s in scores], axis=0),
        sequences=list(scores),
    )
