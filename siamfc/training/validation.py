"""Validation during training: the loss on fixed held-out pairs and the tracker's success AUC.

The tracking score is what the weights are for: the real :class:`~siamfc.tracking.SiamFCTracker`
runs over the held-out sequences (at most ``val_track_max_frames`` frames each, from the first
usable frame) and the OTB-style success AUC is averaged over sequences.
"""

from __future__ import annotations

import numpy as np
import torch
from tqdm import tqdm

from siamfc.data.sequence import Sequence
from siamfc.evaluation.ope import score_sequence
from siamfc.tracking import SiamFCTracker


def success_auc(pred: np.ndarray, gt: np.ndarray, name: str = "") -> float:
    """OTB success AUC of one sequence (the evaluation package's one-pass rule)."""
    return score_sequence(pred, gt, name=name, rule="otb").auc


def track_sequence(
    model, seq: Sequence, start: int, max_frames: int, device="cpu", **tracker_options
) -> tuple[np.ndarray, np.ndarray]:
    """Run the tracker from frame ``start`` (its box given) for at most ``max_frames`` frames.

    ``tracker_options`` go to :class:`SiamFCTracker` (e.g. ``resampling``, or another engine).
    """
    end = min(len(seq), start + max_frames)
    # fp32 eager PyTorch by default: comparable across runs and machines, and no export of weights
    # that change every epoch.
    options = {"backend": "torch", "precision": "fp32", **tracker_options}
    tracker = SiamFCTracker(model=model, device=device, **options)
    pred = np.empty((end - start, 4))
    pred[0] = seq.boxes[start]
    tracker.init(seq.frame(start), tuple(seq.boxes[start]))
    for i in range(start + 1, end):
        pred[i - start] = tracker.update(seq.frame(i)).box
    return pred, seq.boxes[start:end]


def tracking_auc(
    model,
    seqs: list[Sequence],
    usable: dict,
    max_frames: int,
    min_frames: int,
    device="cpu",
    progress: bool = False,
    **tracker_options,
) -> tuple[float, dict]:
    """Mean success AUC over the sequences with enough frames, and ``{name: auc}``.

    The model is left in eval mode; the caller puts it back into training mode. ``progress``:
    a progress bar over the sequences (validation takes tens of seconds per epoch on a CPU).
    """
    per_seq = {}
    for seq in tqdm(seqs, desc="validation tracking", unit="seq", leave=False, disable=not progress):
        ok = np.flatnonzero(usable[seq.name])
        if len(ok) == 0 or len(seq) - ok[0] < min_frames:
            continue
        pred, gt = track_sequence(model, seq, int(ok[0]), max_frames, device, **tracker_options)
        per_seq[seq.name] = success_auc(pred, gt, seq.name)
    mean = float(np.mean(list(per_seq.values()))) if per_seq else float("nan")
    return mean, per_seq


def tracking_sequences(val: list[Sequence], max_sequences: int, min_frames: int, seed: int) -> list[Sequence]:
    """The held-out sequences the tracking validation runs on: at most ``max_sequences`` of those
    with ``min_frames`` frames, chosen by seed (the same for every run with the same data and seed)."""
    long_enough = [s for s in val if len(s) >= min_frames]
    order = np.random.default_rng([seed, 2]).permutation(len(long_enough))
    return sorted((long_enough[i] for i in order[:max_sequences]), key=lambda s: s.name)


@torch.no_grad()
def validation_loss(model, batches, loss_fn) -> float:
    """Mean loss over fixed pairs, network in eval mode (as the tracker runs it)."""
    model.eval()
    total, n = 0.0, 0
    for z, x, labels in batches:
        total += float(loss_fn(model(z, x), labels)) * len(z)
        n += len(z)
    return total / max(n, 1)
