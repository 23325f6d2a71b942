"""Does a reduced precision track like fp32? The check ``precision auto`` relies on, on held-out video.

    windows = check_windows(sequences, usable)                                 # every usable frame, once
    measured = compare(windows, reference_engine, {"int8": engine}, resampling)  # against fp32
    check = make_check(measured["int8"], precision="int8", backend="openvino", ...)

The videos must be held out from everything the weights (and an int8 graph's calibration) saw,
and never the bench. Two measures, both chosen to be stable at a few hundred frames:

* **peak moves**: along the fp32 tracker's own trajectory (its crops, so both see the same
  pixels), the fraction of frames where the candidate's score maps put the peak -- the chosen
  scale's upsampled map, before the cosine window -- at another scale or more than
  :data:`MOVE_PX` search-crop pixels away. A per-frame count: no single sequence can swing it.
* **mean |dAUC|**: every window tracked from its ground-truth box by fp32 and by the candidate;
  the mean over windows of the absolute difference of their success AUCs. Short windows
  (:data:`WINDOW` frames), so that one divergence is one term among dozens, and absolute values,
  so that a window won and another lost do not cancel (a difference of *mean* AUCs would).

:data:`BOUND` holds both limits. A half-pixel move is the upsampled map's grid (8 px stride / 16):
not a different answer; more than a pixel is.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import numpy as np

from siamfc.data.sequence import Sequence
from siamfc.evaluation.ope import score_sequence

#: Frames per window: each usable stretch of a sequence is cut into windows this long (a shorter
#: remainder joins the last window); a window is tracked from its first frame's ground truth.
WINDOW = 25
#: Windows shorter than this are not tracked (the training validation's ``val_track_min_frames``).
MIN_FRAMES = 10
#: A peak that moves more than this (search-crop pixels), or to another scale, counts as moved.
MOVE_PX = 1.0
#: The limits a precision must stay within to be chosen by ``auto``.
BOUND = {"peak_moved_fraction": 0.05, "mean_abs_auc_diff": 0.01}


@dataclass
class Window:
    seq: Sequence
    start: int
    end: int  # exclusive

    @property
    def name(self) -> str:
        return f"{self.seq.name}@{self.start}"


def check_windows(seqs: list[Sequence], usable: dict, window: int = WINDOW, min_frames: int = MIN_FRAMES) -> list:
    """Consecutive windows of ``window`` frames over every sequence, each starting on a usable frame
    (``usable[name]``: ``(N,)`` bool) and at least ``min_frames`` long; deterministic."""
    out = []
    for seq in seqs:
        ok = np.asarray(usable[seq.name], bool)
        starts, i = [], 0
        while True:
            later = np.flatnonzero(ok[i:])
            if not len(later) or len(seq) - (i + later[0]) < min_frames:
                break
            starts.append(i + int(later[0]))
            i = starts[-1] + window
        # each window runs to the next one's start; the last to the end (a remainder shorter than
        # min_frames is no window of its own)
        ends = starts[1:] + [len(seq)]
        out += [Window(seq, start, end) for start, end in zip(starts, ends)]
    return out


def _exemplar(tracker, frame) -> np.ndarray:
    """The ``(1, 127, 127, 3)`` exemplar crop ``tracker.init`` made from ``frame``."""
    from siamfc.tracking.crop import crop_and_resize

    p = tracker.params
    return crop_and_resize(
        frame, tuple(tracker.center), tracker.z_size, p.exemplar_size, tracker.avg_color, resampling=tracker.resampling
    )[None]


def _track(engine, frames, box, resampling) -> np.ndarray:
    from siamfc.tracking import SiamFCTracker

    tracker = SiamFCTracker(engine=engine, resampling=resampling)
    tracker.init(frames[0], box)
    return np.array([box] + [tracker.update(f).box for f in frames[1:]], dtype=np.float64)


def compare_window(win: Window, reference, candidates: dict, resampling: str) -> dict:
    """One window: peak moves of each candidate along the reference trajectory, and every engine's AUC."""
    from siamfc.tracking import SiamFCTracker

    frames = [win.seq.frame(i) for i in range(win.start, win.end)]
    gt = np.asarray(win.seq.boxes[win.start : win.end], dtype=np.float64)
    box = tuple(gt[0])
    ref = SiamFCTracker(engine=reference, resampling=resampling)
    ref.init(frames[0], box)
    z = _exemplar(ref, frames[0])
    kernels = {name: engine.embed(z) for name, engine in candidates.items()}
    moved = dict.fromkeys(candidates, 0)
    boxes = [box]
    for frame in frames[1:]:
        boxes.append(ref.update(frame).box)  # leaves this frame's search crops in ref.crops
        scale, peak = ref.unwindowed_peak(ref.last_responses)
        for name, engine in candidates.items():
            other_scale, other_peak = ref.unwindowed_peak(engine.score(kernels[name], ref.crops))
            shift = float(np.hypot(*np.subtract(other_peak, peak))) * ref.stride / ref.params.response_up
            moved[name] += other_scale != scale or shift > MOVE_PX
    out = {"window": win.name, "frames": len(frames), "fp32_auc": score_sequence(np.array(boxes), gt).auc}
    for name, engine in candidates.items():
        auc = score_sequence(_track(engine, frames, box, resampling), gt).auc
        out[name] = {"auc": auc, "peak_moves": int(moved[name])}
    return out


def compare(windows: list, reference, candidates: dict, resampling: str, progress: bool = False) -> dict:
    """Every window (:func:`compare_window`), summed up per candidate: ``{name: summary}`` (see
    :func:`summarise`), each with its per-window rows."""
    from tqdm import tqdm

    rows = [
        compare_window(w, reference, candidates, resampling)
        for w in tqdm(windows, desc="precision check", unit="window", disable=not progress)
    ]
    return {name: summarise(rows, name) for name in candidates}


def summarise(rows: list, name: str) -> dict:
    """The measures of candidate ``name`` over the window ``rows``, and whether they are within :data:`BOUND`."""
    steps = sum(r["frames"] - 1 for r in rows)
    moves = sum(r[name]["peak_moves"] for r in rows)
    diffs = np.array([r[name]["auc"] - r["fp32_auc"] for r in rows])
    measured = {
        "windows": len(rows),
        "frames": steps,
        "peak_moves": moves,
        "peak_moved_fraction": round(moves / max(steps, 1), 4),
        "mean_abs_auc_diff": round(float(np.abs(diffs).mean()), 4) if len(rows) else float("nan"),
        "max_abs_auc_diff": round(float(np.abs(diffs).max()), 4) if len(rows) else float("nan"),
        "mean_auc": {
            "fp32": round(float(np.mean([r["fp32_auc"] for r in rows])), 4),
            name: round(float(np.mean([r[name]["auc"] for r in rows])), 4),
        },
    }
    measured["passed"] = bool(all(measured[key] <= limit for key, limit in BOUND.items()))
    measured["per_window"] = {
        r["window"]: {
            "fp32_auc": round(r["fp32_auc"], 4),
            "auc": round(r[name]["auc"], 4),
            "moves": r[name]["peak_moves"],
        }
        for r in rows
    }
    return measured


def describe(windows: list) -> dict:
    """What a check ran on: its windows, sequences and frames (recorded with the check)."""
    return {
        "windows": len(windows),
        "sequences": sorted({w.seq.name for w in windows}),
        "frames": sum(w.end - w.start for w in windows),
    }


def make_check(
    measured: dict, *, precision: str, backend: str, digest: str, data: dict, made_by: str, results: str | None = None
) -> dict:
    """The record ``auto`` reads (:mod:`siamfc.runtime.checks`): verdict, measures, bound, data, versions."""
    from siamfc.runtime.checks import running_versions
    from siamfc.runtime.select import cpu_model

    summary = (
        f"peak moved on {measured['peak_moved_fraction']:.1%} of {measured['frames']} frames, "
        f"mean |dAUC| {measured['mean_abs_auc_diff']:.4f} over {measured['windows']} windows"
    )
    return {
        "passed": measured["passed"],
        "precision": precision,
        "backend": backend,
        "reference": f"{backend} fp32",
        "weights_digest": digest,
        "summary": summary,
        "measure": {k: measured[k] for k in ("windows", "frames", "peak_moved_fraction", "mean_abs_auc_diff")}
        | {"max_abs_auc_diff": measured["max_abs_auc_diff"], "mean_auc": measured["mean_auc"]},
        "bound": dict(BOUND, move_px=MOVE_PX, window_frames=WINDOW),
        "data": data,
        "versions": running_versions(),
        "cpu": cpu_model(),
        "measured": time.strftime("%Y-%m-%d"),
        "made_by": made_by,
        **({"results": results} if results else {}),
    }


def check_sequences(specs: list[str]) -> tuple[list[Sequence], dict]:
    """Annotated video (``FORMAT=PATH`` specs, as ``siamfc train --data``) for a check: every
    sequence, and its usable frames by the training filters (absent, tiny, huge ... boxes dropped)."""
    from siamfc.training import TrainConfig
    from siamfc.training.data import load_sequences, usable_frames

    seqs = load_sequences(specs)
    cfg = TrainConfig()
    return seqs, {s.name: usable_frames(s, cfg)[0] for s in seqs}


def record_bf16_check(weights_path, check: dict) -> None:
    """Write a bf16 check into the model card beside ``weights_path`` (made if there is none)."""
    from siamfc.io.files import file_sha256, write_text_atomic
    from siamfc.model.architecture import ARCHITECTURE
    from siamfc.model.weights import card_path, read_card

    card = read_card(weights_path) or {"architecture": ARCHITECTURE, "weights_sha256": file_sha256(weights_path)}
    card.setdefault("checks", {})["bf16"] = check
    write_text_atomic(card_path(weights_path), json.dumps(card, indent=2) + "\n")
