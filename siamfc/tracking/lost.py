"""Knowing when the target is lost: the peak score against a threshold calibrated per weights file.

SiamFC's peak score (the raw maximum of the chosen scale's 17x17 map) says how much the best
candidate looks like the exemplar, but its scale depends on the weights (the paper network's scores
sit far from a network trained here). So each shipped weights file's model card holds a ``lost``
entry, measured on held-out video by ``benchmarks/lost_calibration.py``::

    "lost": {"threshold": 1.23, "precision": 0.8, "recall": 0.7, "data": ..., "command": ...}

A frame is *lost* when its peak score is below ``threshold``. The threshold is the one that best
separates frames where the box still overlaps the target (IoU >= 0.5) from frames where it does not
overlap it at all (IoU = 0, or the target is out of view): the highest F1 of "lost" (:func:`choose_threshold`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from siamfc.errors import ConfigError

#: A frame counts as tracked when its box overlaps the target at least this much (IoU) ...
TRACKED_IOU = 0.5
#: ... and as lost when it does not overlap it at all (or the target is not in view).
LOST_IOU = 0.0


def card_lost_threshold(weights=None, has_file: bool = True) -> float | None:
    """The ``lost.threshold`` of the model card of ``weights`` (default: the shipped ones).

    None when there is no weights file (``has_file=False``), no card, or no ``lost`` entry in it:
    then nothing is ever reported lost. A value that is not a finite number is a ConfigError
    naming the card.
    """
    if not has_file:
        return None
    from siamfc.model.weights import DEFAULT_WEIGHTS, card_path, read_card

    path = weights if weights is not None else DEFAULT_WEIGHTS
    entry = read_card(path).get("lost")
    if entry is None:
        return None
    value = entry.get("threshold") if isinstance(entry, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"model card {card_path(path)}: lost.threshold {value!r} is not a finite number")
    return float(value)


def frame_labels(ious, absent=None) -> tuple[np.ndarray, np.ndarray]:
    """``(lost, tracked)`` boolean ``(N,)`` masks of frames with IoU ``ious`` (NaN: no usable box).

    Lost: IoU = 0, or the target is ``absent`` (out of view or fully occluded: no box can overlap
    it). Tracked: IoU >= 0.5. Frames in between, and frames whose box is unusable although the target
    is present, are neither (they are not used to choose the threshold).
    """
    ious = np.asarray(ious, dtype=np.float64)
    absent = np.zeros(len(ious), bool) if absent is None else np.asarray(absent, bool)
    with np.errstate(invalid="ignore"):
        lost = absent | (~absent & (ious <= LOST_IOU))
        tracked = ~absent & (ious >= TRACKED_IOU)
    return lost, tracked


@dataclass(frozen=True)
class ThresholdChoice:
    """A threshold on the peak score (lost: ``score < threshold``) and how well it says "lost"."""

    threshold: float
    precision: float  # of the frames called lost, the fraction that are lost
    recall: float  # of the lost frames, the fraction called lost
    f1: float
    lost_frames: int  # positives: IoU = 0 or target absent
    tracked_frames: int  # negatives: IoU >= 0.5
    true_lost: int  # lost frames called lost
    false_lost: int  # tracked frames called lost

    def as_dict(self, digits: int = 4) -> dict:
        return {k: round(v, digits) if isinstance(v, float) else v for k, v in asdict(self).items()}


def evaluate_threshold(threshold: float, scores, lost) -> ThresholdChoice:
    """Precision and recall of "lost" = ``score < threshold`` on labelled frames (``lost``: bool)."""
    scores, lost = np.asarray(scores, np.float64), np.asarray(lost, bool)
    called = scores < threshold
    tp, fp = int((called & lost).sum()), int((called & ~lost).sum())
    positives = int(lost.sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ThresholdChoice(float(threshold), precision, recall, f1, positives, len(lost) - positives, tp, fp)


def choose_threshold(scores, lost) -> ThresholdChoice:
    """The threshold with the highest F1 of "lost" on frames labelled lost (True) or tracked (False).

    Candidates are the midpoints between consecutive distinct scores (a threshold on a measured score
    would depend on ``<`` versus ``<=``); ties in F1 go to the lower threshold (fewer false alarms).
    ValueError if there are no lost or no tracked frames: nothing to separate.
    """
    scores, lost = np.asarray(scores, np.float64), np.asarray(lost, bool)
    if len(scores) != len(lost):
        raise ValueError(f"{len(scores)} scores for {len(lost)} labels")
    if not lost.any() or lost.all():
        raise ValueError("need frames of both kinds (lost and tracked) to choose a threshold")
    values = np.unique(scores)
    candidates = np.concatenate([[values[0] - 1e-3], (values[:-1] + values[1:]) / 2, [values[-1] + 1e-3]])
    # F1 for every candidate at once: frames sorted by score, cumulative counts below each candidate.
    order = np.argsort(scores, kind="stable")
    s, y = scores[order], lost[order]
    below = np.searchsorted(s, candidates, side="left")  # frames with score < candidate
    tp = np.concatenate([[0], np.cumsum(y)])[below]
    called = below
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(called > 0, tp / np.maximum(called, 1), 0.0)
        recall = tp / y.sum()
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    best = int(np.argmax(np.round(f1, 12)))  # first maximum = lowest threshold
    return evaluate_threshold(float(candidates[best]), scores, lost)
