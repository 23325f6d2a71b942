"""Validation during training: the loss on fixed held-out pairs and the tracker's success AUC.

The tracking score is what the weights are for: the real :class:`~siamfc.tracking.SiamFCTracker`
runs over the held-out sequences (at most ``val_track_max_frames`` frames each, from the first
usable frame) and the OTB-style success AUC is averaged over sequences.
"""
from __future__ import annotations

import numpy as np
import torch

from ..data.sequence import Sequence
from ..tracking import SiamFCTracker


def _overlaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of matching rows of two ``(N, 4)`` (x, y, w, h) arrays (pixel-count convention: w px wide)."""
    x1 = np.maximum(a[:, 0], b[:, 0])
    y1 = np.maximum(a[:, 1], b[:, 1])
    x2 = np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2])
    y2 = np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    union = a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter
    return inter / np.maximum(union, 1e-12)


def success_auc(pred: np.ndarray, gt: np.ndarray) -> float:
    """OTB success AUC of one sequence: mean over t in 0, 0.05, ..., 1 of the fraction of IoU > t.

    Frames whose ground truth is NaN are left out.
    TODO(evaluation): replace with siamfc.evaluation's OTB success metric once it exists.
    """
    ok = np.isfinite(gt).all(axis=1)
    iou = _overlaps(pred[ok], gt[ok])
    thresholds = np.linspace(0, 1, 21)
    return float(np.mean([(iou > t).mean() for t in thresholds])) if len(iou) else float("nan")


def track_sequence(model, seq: Sequence, start: int, max_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Run the tracker from frame ``start`` (its box given) for at most ``max_frames`` frames."""
    end = min(len(seq), start + max_frames)
    tracker = SiamFCTracker(model=model)
    pred = np.empty((end - start, 4))
    pred[0] = seq.boxes[start]
    tracker.init(seq.frame(start), tuple(seq.boxes[start]))
    for i in range(start + 1, end):
        pred[i - start] = tracker.update(seq.frame(i)).box
    return pred, seq.boxes[start:end]


def tracking_auc(model, seqs: list[Sequence], usable: dict, max_frames: int, min_frames: int) -> tuple[float, dict]:
    """Mean success AUC over the sequences with enough frames, and ``{name: auc}``.

    The model is left in eval mode; the caller puts it back into training mode.
    """
    per_seq = {}
    for seq in seqs:
        ok = np.flatnonzero(usable[seq.name])
        if len(ok) == 0 or len(seq) - ok[0] < min_frames:
            continue
        pred, gt = track_sequence(model, seq, int(ok[0]), max_frames)
        per_seq[seq.name] = success_auc(pred, gt)
    mean = float(np.mean(list(per_seq.values()))) if per_seq else float("nan")
    return mean, per_seq


@torch.no_grad()
def validation_loss(model, batches, loss_fn) -> float:
    """Mean loss over fixed pairs, network in eval mode (as the tracker runs it)."""
    model.eval()
    total, n = 0.0, 0
    for z, x, labels in batches:
        total += float(loss_fn(model(z, x), labels)) * len(z)
        n += len(z)
    return total / max(n, 1)
