"""When is the target lost? Calibrate the peak-score threshold per weights file on held-out video,
and measure re-detection (:mod:`siamfc.tracking.redetect`) side by side with plain tracking.

Held-out video: the DAVIS videos that training runs e4/e5 held out for validation, and the videos of
``benchmarks/lost_videos.tsv`` (car10 and Dog, held out by e4/e5 too, and five UAV123 videos no
shipped weights trained on), laid out OTB-style from snapshots of public repositories::

    python benchmarks/lost_calibration.py layout ../.mirror tmp/lost_videos

``calibrate`` tracks every held-out sequence from its first annotated frame to its end with each
weights file (default engine), labels each frame tracked (IoU >= 0.5) or lost (IoU = 0, or the
target out of view), chooses the threshold with the highest F1 of "lost" (score < threshold), and
writes the scores, the choice and a plot; ``--apply`` stores the choice in each model card's ``lost``
entry (which makes it the tracker's default threshold)::

    python benchmarks/lost_calibration.py calibrate --weights paper finetuned scratch \\
        --data davis=../shared/datasets/train/davis2016 otb=tmp/lost_videos \\
        --json docs/results/lost_calibration.json --plot docs/results/lost_calibration.png --apply

``redetect`` tracks the held-out sequences (and, with ``--bench``, the bench: measured, never used to
choose) with and without re-detection, with the card's threshold, and writes success AUCs and the
frames spent lost::

    python benchmarks/lost_calibration.py redetect --weights paper \\
        --data davis=../shared/datasets/train/davis2016 otb=tmp/lost_videos \\
        --bench ../shared/datasets/bench --json docs/results/redetect.json

The bench is never used to choose anything here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np

from siamfc.evaluation.metrics import box_iou
from siamfc.io.files import file_sha256, write_text_atomic
from siamfc.tracking.lost import LOST_IOU, TRACKED_IOU, choose_threshold, evaluate_threshold, frame_labels
from siamfc.utils.provenance import made_by

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "lost_videos.tsv"
#: DAVIS videos held out for validation by runs e4 and e5 (runs/e5_finetune_paper/val_videos.txt).
DAVIS_HELD_OUT = ("bear", "bmx-trees", "car-shadow", "drift-turn", "lucia")


def source_rows() -> list[dict]:
    keys = ("name", "layout", "repo", "commit", "frames_path", "first", "last", "gt_path", "frames", "object")
    lines = [line for line in SOURCES.read_text().splitlines() if line and not line.startswith("#")]
    return [dict(zip(keys, line.split("\t"))) for line in lines]


def held_out_names() -> list[str]:
    """``davis:<video>`` and ``otb:<video>`` names, as :func:`load_sequences` names them."""
    return [f"davis:{n}" for n in DAVIS_HELD_OUT] + [f"otb:{r['name']}" for r in source_rows()]


# -- layout ---------------------------------------------------------------------------------------
def layout(args) -> None:
    """Lay out the videos of lost_videos.tsv OTB-style under OUT (frames byte for byte)."""
    for row in source_rows():
        git = Path(args.mirror) / row["repo"].replace("/", "+") / "repo"
        git = git / ".git" if (git / ".git").is_dir() else git
        if not git.is_dir():
            raise SystemExit(f"fetch github:{row['repo']} first (no snapshot at {git})")
        out = Path(args.out) / row["name"]
        img = out / "img"
        n = int(row["frames"])
        if (out / "groundtruth_rect.txt").is_file() and img.is_dir() and len(list(img.iterdir())) == n:
            continue
        img.mkdir(parents=True, exist_ok=True)

        def run(*cmd, git=git):
            return subprocess.run(["git", "--git-dir", str(git), *cmd], check=True, capture_output=True).stdout

        listing = run("ls-tree", f"{row['commit']}:{row['frames_path']}").decode().splitlines()
        entries = [(meta.split()[2], f) for meta, f in (line.split("\t", 1) for line in listing)]
        files = [(sha, f) for sha, f in entries if f.endswith(".jpg") and row["first"] <= f <= row["last"]]
        for sha, f in files:
            (img / f).write_bytes(run("cat-file", "blob", sha))
        gt = run("show", f"{row['commit']}:{row['gt_path']}").decode().replace("\r", "")
        write_text_atomic(out / "groundtruth_rect.txt", "".join(line + "\n" for line in gt.splitlines() if line))
        rows = len((out / "groundtruth_rect.txt").read_text().splitlines())
        if len(files) != n or rows != n:
            raise SystemExit(f"{row['name']}: {len(files)} frames, {rows} boxes, expected {n}")
        print(f"{row['name']} ({row['object']}): {n} frames")


# -- tracking -------------------------------------------------------------------------------------
def load_held_out(specs: list[str], names: list[str]):
    from siamfc.training.data import load_sequences

    seqs = {s.name: s for s in load_sequences(specs)}
    missing = [n for n in names if n not in seqs]
    if missing:
        raise SystemExit(f"held-out sequences not found in {specs}: {missing}")
    return [seqs[n] for n in names]


def absent_frames(seq) -> np.ndarray:
    """True where the target is not in view: no usable box in the annotation, or flagged absent."""
    out = ~(np.isfinite(seq.boxes).all(axis=1) & (seq.boxes[:, 2] > 0) & (seq.boxes[:, 3] > 0))
    return out | (seq.absent if seq.absent is not None else False)


def track(tracker, seq) -> dict:
    """Track ``seq`` from its first annotated frame to its end: boxes ``(N, 4)`` and scores ``(N,)``
    (NaN on the first frame), ``start`` (the first frame's index) and the seconds spent."""
    start = int(np.flatnonzero(~absent_frames(seq))[0])
    boxes, scores = [tuple(seq.boxes[start])], [float("nan")]
    t0 = time.perf_counter()
    tracker.init(seq.frame(start), boxes[0])
    for i in range(start + 1, len(seq)):
        box, score = tracker.update(seq.frame(i))
        boxes.append(box)
        scores.append(score)
    return {"start": start, "boxes": np.array(boxes), "scores": np.array(scores), "seconds": time.perf_counter() - t0}


def sequence_record(seq, run: dict) -> dict:
    """What the calibration keeps of one tracked sequence (enough to recompute every number)."""
    gt = seq.boxes[run["start"] :]
    absent = absent_frames(seq)[run["start"] :]
    iou = box_iou(run["boxes"], gt)
    return {
        "start": run["start"],
        "score": [None if np.isnan(v) else round(float(v), 4) for v in run["scores"]],
        "iou": [None if np.isnan(v) else round(float(v), 4) for v in iou],
        "absent": [int(i) for i in np.flatnonzero(absent)],
        "seconds": round(run["seconds"], 2),
    }


def pooled(records: dict, seq_index: dict | None = None):
    """``(scores, lost, tracked, sequence index)`` over the scored frames of ``records`` (``{name: record}``
    or ``{name: [record, ...]}``); a record's ``first`` frames are not scored (1: the init frame)."""
    seq_index = seq_index or {name: k for k, name in enumerate(records)}
    scores, lost, tracked, which = [], [], [], []
    for name, recs in records.items():
        for rec in recs if isinstance(recs, list) else [recs]:
            s = np.array([np.nan if v is None else v for v in rec["score"]], np.float64)
            iou = np.array([np.nan if v is None else v for v in rec["iou"]], np.float64)
            absent = np.zeros(len(s), bool)
            absent[rec["absent"]] = True
            lo, tr = frame_labels(iou, absent)
            first = rec.get("first", 1)
            scores.append(s[first:])
            lost.append(lo[first:])
            tracked.append(tr[first:])
            which.append(np.full(len(s) - first, seq_index[name]))
    if not scores:
        return tuple(np.empty(0, t) for t in (np.float64, bool, bool, int))
    return tuple(np.concatenate(a) for a in (scores, lost, tracked, which))


def episodes(mask: np.ndarray, which: np.ndarray) -> int:
    """Runs of consecutive True frames (within a sequence): how many separate losses."""
    starts = mask & ~np.concatenate([[False], mask[:-1] & (which[1:] == which[:-1])])
    return int(starts.sum())


def counts(scores, lost, tracked, which, names, threshold) -> dict:
    """Frame counts of one set of frames, and how the threshold does on them."""
    labelled = lost | tracked
    r = evaluate_threshold(threshold, scores[labelled], lost[labelled]).as_dict()
    return {
        "frames": int(len(scores)),
        "lost_frames": int(lost.sum()),
        "lost_episodes": episodes(lost, which),
        "sequences_with_lost_frames": sorted({names[k] for k in which[lost]}),
        "tracked_frames": int(tracked.sum()),
        "between_frames": int((~labelled).sum()),
        "between_called_lost": int((scores[~labelled] < threshold).sum()),
        "at_threshold": {k: r[k] for k in ("precision", "recall", "f1", "true_lost", "false_lost")},
    }


def summarise(natural: dict, induced: dict) -> dict:
    """The threshold chosen on every labelled frame (natural and induced), and how it does on each set."""
    names = list(natural)
    index = {n: k for k, n in enumerate(names)}
    parts = {"natural": pooled(natural, index), "induced": pooled(induced, index)}
    scores, lost, tracked, which = (np.concatenate(a) for a in zip(*parts.values()))
    labelled = lost | tracked
    if not (lost.any() and tracked.any()):
        raise SystemExit(f"{int(lost.sum())} lost and {int(tracked.sum())} tracked frames: nothing to calibrate on")
    choice = choose_threshold(scores[labelled], lost[labelled])
    return {
        "choice": choice.as_dict(),
        "counts": {part: counts(*arrays, names, choice.threshold) for part, arrays in parts.items()},
        "score_quantiles": {
            kind: {
                q: round(float(np.quantile(scores[m], float(q))), 4) for q in ("0.05", "0.25", "0.5", "0.75", "0.95")
            }
            for kind, m in (("tracked", tracked), ("lost", lost))
        },
        # The threshold chosen without one sequence's frames, judged on them (how well it carries over).
        "leave_one_sequence_out": leave_one_out(scores, lost, tracked, which),
    }


def leave_one_out(scores, lost, tracked, which) -> dict:
    """Choose on all sequences but one, count on that one; pooled precision / recall of those counts."""
    tp = fp = positives = 0
    for k in np.unique(which):
        train, test = (which != k) & (lost | tracked), (which == k) & (lost | tracked)
        if not (lost[train].any() and tracked[train].any()):
            continue
        t = choose_threshold(scores[train], lost[train]).threshold
        r = evaluate_threshold(t, scores[test], lost[test])
        tp, fp, positives = tp + r.true_lost, fp + r.false_lost, positives + r.lost_frames
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / positives if positives else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "true_lost": tp, "false_lost": fp}


def induced_losses(tracker, seq, start: int, branches: int, length: int, seed: int) -> list[dict]:
    """Put the tracker where the target is not, and let it track from there for ``length`` frames.

    ``branches`` starting frames are spread evenly over the sequence; at each, the search centre goes
    to a random place in the frame where a box of the target's annotated size does not overlap it
    (IoU 0), with the annotated size; the frames after are labelled by the IoU the tracker actually
    reaches (it may find the target again). The exemplar is the one of the natural run's first frame.
    """
    from siamfc.tracking.crop import context_size

    rng = np.random.default_rng([seed, len(seq)])
    first = seq.frame(start)
    tracker.init(first, tuple(seq.boxes[start]))
    h, w = first.shape[:2]
    absent = absent_frames(seq)
    out = []
    for i in np.linspace(start + 1, len(seq) - length, branches).round().astype(int):
        if i <= start or absent[i]:
            continue
        gw, gh = seq.boxes[i, 2:]
        for _ in range(100):  # a place the box does not overlap the target
            c = rng.uniform([0, 0], [w - 1, h - 1])
            if box_iou([c[0] - (gw - 1) / 2, c[1] - (gh - 1) / 2, gw, gh], seq.boxes[i])[0] == 0:
                break
        else:
            continue  # the target fills the frame
        tracker.center, tracker.target_size = c, np.array([gw, gh], np.float64)
        tracker.x_size = context_size(gw, gh, tracker.params.context) * tracker.params.instance_size
        tracker.x_size /= tracker.params.exemplar_size
        boxes, scores = [], []
        for k in range(i, i + length):
            box, score = tracker.update(seq.frame(k))
            boxes.append(box)
            scores.append(score)
        iou = box_iou(np.array(boxes), seq.boxes[i : i + length])
        out.append(
            {
                "start": int(i),
                "first": 0,
                "score": [round(float(v), 4) for v in scores],
                "iou": [None if np.isnan(v) else round(float(v), 4) for v in iou],
                "absent": [int(k) for k in np.flatnonzero(absent[i : i + length])],
            }
        )
    return out


def calibrate(args) -> None:
    from siamfc.model.weights import resolve_weights
    from siamfc.tracking import SiamFCTracker

    names = args.sequences or held_out_names()
    seqs = load_held_out(args.data, names)
    earlier = json.loads(Path(args.json).read_text()) if args.reuse and Path(args.json).is_file() else {}
    induced_spec = {"branches": args.branches, "length": args.branch_length, "seed": 0}
    out = {
        "made_by": made_by(weights=False, engine=f"{args.backend}/{args.precision}"),
        "labels": {
            "tracked": f"IoU >= {TRACKED_IOU}",
            "lost": f"IoU = {LOST_IOU} or target out of view",
            "rule": "lost = peak score < threshold; threshold = highest F1 of lost (ties: lower), "
            "on the natural and induced frames together",
        },
        "natural": "every frame after the first of each held-out sequence, tracked from its first annotated frame",
        "induced": {
            **induced_spec,
            "what": "at `branches` frames spread over each sequence, the tracker is put where the target is not "
            "(a random place where a box of the annotated size has IoU 0, with that size) and tracks `length` "
            "frames from there; frames are labelled by the IoU it actually reaches",
        },
        "data": args.data,
        "sources": str(SOURCES.relative_to(HERE.parent)),
        "sequences": names,
        "weights": {},
    }
    for name in args.weights:
        path = resolve_weights(name)
        entry = earlier.get("weights", {}).get(name, {})
        if earlier.get("sequences") != names or entry.get("weights_sha256") != file_sha256(path):
            entry = {}
        kept = ("file", "weights_sha256", "engine", "tracked_by", "sequences", "induced", "induced_spec", "induced_by")
        entry = {k: entry[k] for k in kept if k in entry}  # measurements only: the summary is recomputed
        if entry:
            entry.setdefault("tracked_by", earlier["made_by"]["command"])
        tracker = None
        if "sequences" not in entry or ("induced" not in entry or entry.get("induced_spec") != induced_spec):
            tracker = SiamFCTracker(weights=path, backend=args.backend, precision=args.precision, threads=args.threads)
            if entry and entry.get("engine") != tracker.describe():
                entry = {}
        if "sequences" not in entry:
            records = {}
            for seq in seqs:
                records[seq.name] = r = sequence_record(seq, track(tracker, seq))
                print(f"{name:10s} {seq.name:18s} {len(r['score']):4d} frames, {r['seconds']:6.1f} s", flush=True)
            entry = {
                "file": os.path.relpath(path),
                "weights_sha256": file_sha256(path),
                "engine": tracker.describe(),
                "tracked_by": out["made_by"]["command"],
                "sequences": records,
            }
        if "induced" not in entry or entry.get("induced_spec") != induced_spec:
            entry["induced"] = {
                seq.name: induced_losses(
                    tracker, seq, entry["sequences"][seq.name]["start"], args.branches, args.branch_length, 0
                )
                for seq in seqs
            }
            entry["induced_spec"] = induced_spec
            entry["induced_by"] = out["made_by"]["command"]
            print(f"{name:10s} induced losses: {sum(map(len, entry['induced'].values()))} branches", flush=True)
        entry.update(summarise(entry["sequences"], entry["induced"]))
        out["weights"][name] = entry
        c, nat = entry["choice"], entry["counts"]["natural"]
        print(
            f"{name:10s} threshold {c['threshold']:.3f}: precision {c['precision']:.3f}, recall {c['recall']:.3f} "
            f"({c['lost_frames']} lost, {c['tracked_frames']} tracked frames); natural frames only: "
            f"precision {nat['at_threshold']['precision']:.3f}, recall {nat['at_threshold']['recall']:.3f} "
            f"({nat['lost_frames']} lost in {nat['lost_episodes']} losses, {nat['tracked_frames']} tracked)"
        )
        if args.apply:
            apply_card(path, name, entry, out, args.json, names)
        write_text_atomic(args.json, json.dumps(out, indent=1) + "\n")  # after each file: a long run keeps its part
    if args.plot:
        plot(out, args.plot)


def package_versions() -> dict:
    """Versions of what ran the network and the crops (the engine's numbers depend on them)."""
    from importlib.metadata import PackageNotFoundError, version

    import cv2

    out = {"opencv": cv2.__version__}
    for name in ("torch", "openvino", "onnxruntime", "numpy"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


def apply_card(path, name: str, entry: dict, out: dict, results: str, names: list[str]) -> None:
    """Write the choice into the model card of ``path`` as its ``lost`` entry."""
    from siamfc.model.weights import card_path, read_card

    c, nat, ind = entry["choice"], entry["counts"]["natural"], entry["counts"]["induced"]
    card = read_card(path)
    card["lost"] = {
        "threshold": c["threshold"],
        "precision": c["precision"],
        "recall": c["recall"],
        "f1": c["f1"],
        "frames": {"lost": c["lost_frames"], "tracked": c["tracked_frames"]},
        "natural_frames": {
            "lost": nat["lost_frames"],
            "losses": nat["lost_episodes"],
            "tracked": nat["tracked_frames"],
            **{k: nat["at_threshold"][k] for k in ("precision", "recall")},
        },
        "induced_frames": {
            "lost": ind["lost_frames"],
            "tracked": ind["tracked_frames"],
            **{k: ind["at_threshold"][k] for k in ("precision", "recall")},
        },
        "leave_one_sequence_out": entry["leave_one_sequence_out"],
        "rule": out["labels"]["rule"] + f"; lost: {out['labels']['lost']}, tracked: {out['labels']['tracked']}",
        "data": f"{len(names)} held-out sequences ({', '.join(names)}): every frame after the first, and "
        f"induced losses ({out['induced']['branches']} per sequence, {out['induced']['length']} frames each)",
        "engine": entry["engine"],
        "results": results,
        "command": entry["tracked_by"],  # what tracked the frames (``induced_by``: the induced losses)
        "induced_command": entry["induced_by"],
        "applied_by": out["made_by"]["command"],
        "versions": {**{k: out["made_by"][k] for k in ("siamfc_version", "python")}, **package_versions()},
    }
    write_text_atomic(card_path(path), json.dumps(card, indent=2) + "\n")
    print(f"{name}: lost threshold {c['threshold']} written to {card_path(path)}")


# -- re-detection ---------------------------------------------------------------------------------
def success_auc(iou) -> float:
    """OTB success AUC from per-frame IoUs (NaN: target absent or unusable box, never a success)."""
    from siamfc.evaluation.ope import SUCCESS_THRESHOLDS

    iou = np.asarray([np.nan if v is None else v for v in iou], np.float64)
    with np.errstate(invalid="ignore"):
        return float(np.mean([(iou > t).mean() for t in SUCCESS_THRESHOLDS]))


def lost_fraction(rec: dict) -> float:
    """Fraction of frames (after the first) where the box does not overlap the target at all."""
    _, lost, _, _ = pooled({"s": rec})
    return float(lost.mean())


def redetect_sequences(make_tracker, seqs, plain_records: dict, label: str) -> dict:
    """Track each sequence with re-detection; without it only where re-detection searched at least
    once (elsewhere the two runs are the same, frame for frame) and no plain run is in ``plain_records``."""
    out = {}
    for seq in seqs:
        tracker = make_tracker(redetect=True)
        with_re = sequence_record(seq, track(tracker, seq))
        row = {
            "frames": len(with_re["score"]),
            "searching_frames": tracker.searched_frames,
            "redetections": tracker.redetections,
        }
        if not tracker.searched_frames:
            plain = with_re
            row["identical"] = True
        elif seq.name in plain_records:
            plain = plain_records[seq.name]
        else:
            plain = sequence_record(seq, track(make_tracker(redetect=False), seq))
        row.update(
            {
                "auc": {
                    "plain": round(success_auc(plain["iou"]), 4),
                    "redetect": round(success_auc(with_re["iou"]), 4),
                },
                "frames_lost": {"plain": round(lost_fraction(plain), 4), "redetect": round(lost_fraction(with_re), 4)},
                "seconds": {"plain": plain["seconds"], "redetect": with_re["seconds"]},
            }
        )
        out[seq.name] = row
        print(
            f"{label:8s} {seq.name:18s} AUC {row['auc']['plain']:.3f} -> {row['auc']['redetect']:.3f}, "
            f"searched {row['searching_frames']} frames, {row['redetections']} re-detections",
            flush=True,
        )
    return out


def mean_of(rows: dict) -> dict:
    return {
        "sequences": len(rows),
        "auc": {k: round(float(np.mean([r["auc"][k] for r in rows.values()])), 4) for k in ("plain", "redetect")},
        "frames_lost": {
            k: round(float(np.mean([r["frames_lost"][k] for r in rows.values()])), 4) for k in ("plain", "redetect")
        },
        "sequences_changed": sum(not r.get("identical") for r in rows.values()),
        "redetections": sum(r["redetections"] for r in rows.values()),
    }


def redetect(args) -> None:
    from siamfc.data.registry import open_dataset
    from siamfc.model.weights import resolve_weights
    from siamfc.tracking import SiamFCTracker
    from siamfc.tracking.redetect import Redetector, RedetectParams

    params = RedetectParams()
    calibration = json.loads(Path(args.calibration).read_text()) if args.calibration else {}
    out = {
        "made_by": made_by(weights=False, engine=f"{args.backend}/{args.precision}"),
        "params": params.__dict__,
        "note": "plain and re-detection runs are identical up to the first frame re-detection searches; a "
        "sequence where it never searched was tracked once (identical: true)",
        "weights": {},
    }
    for name in args.weights:
        path = resolve_weights(name)
        first = SiamFCTracker(weights=path, backend=args.backend, precision=args.precision)
        threshold = first.lost_threshold

        def make_tracker(redetect: bool, first=first):
            # One engine for every run; with an engine given, the card's resampling and threshold are passed on.
            t = SiamFCTracker(engine=first.engine, resampling=first.resampling, lost_threshold=first.lost_threshold)
            return Redetector(t, params=params) if redetect else t

        entry = {
            "file": os.path.relpath(path),
            "weights_sha256": file_sha256(path),
            "engine": first.describe(),
            "lost_threshold": threshold,
        }
        plain = {}
        cal = calibration.get("weights", {}).get(name)
        if cal and cal["weights_sha256"] == entry["weights_sha256"] and cal["engine"] == entry["engine"]:
            plain = cal["sequences"]  # the calibration's runs are this engine's plain runs
            entry["plain_runs_from"] = args.calibration
        held = redetect_sequences(
            make_tracker, load_held_out(args.data, args.sequences or held_out_names()), plain, "held-out"
        )
        entry["held_out"] = {"mean": mean_of(held), "sequences": held}
        if args.bench:
            bench = redetect_sequences(make_tracker, list(open_dataset("bench", args.bench)), {}, "bench")
            entry["bench"] = {"mean": mean_of(bench), "sequences": bench}
        out["weights"][name] = entry
        for part in ("held_out", "bench"):
            if part in entry:
                m = entry[part]["mean"]
                print(
                    f"{name} {part}: mean AUC {m['auc']['plain']:.4f} -> {m['auc']['redetect']:.4f} ({m['sequences']} sequences)"
                )
        write_text_atomic(args.json, json.dumps(out, indent=1) + "\n")


def plot(result: dict, path) -> None:
    """Per weights file: the peak-score histograms of tracked and lost frames, and the threshold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    entries = result["weights"]
    fig, axes = plt.subplots(1, len(entries), figsize=(4.4 * len(entries), 3.5), squeeze=False)
    for ax, (name, entry) in zip(axes[0], entries.items()):
        index = {n: k for k, n in enumerate(entry["sequences"])}
        s_n, lost_n, tracked_n, _ = pooled(entry["sequences"], index)
        s_i, lost_i, tracked_i, _ = pooled(entry["induced"], index)
        tracked = np.concatenate([s_n[tracked_n], s_i[tracked_i]])
        allv = np.concatenate([s_n, s_i])
        bins = np.linspace(np.nanmin(allv), np.nanmax(allv), 40)
        ax.hist(tracked, bins, density=True, alpha=0.5, label=f"IoU >= 0.5 ({len(tracked)})")
        ax.hist(s_i[lost_i], bins, density=True, alpha=0.5, label=f"lost, induced ({lost_i.sum()})")
        if lost_n.any():
            ax.hist(s_n[lost_n], bins, density=True, histtype="step", lw=1.5, label=f"lost, natural ({lost_n.sum()})")
        c = entry["choice"]
        ax.axvline(c["threshold"], color="k", lw=1)
        ax.set_title(f"{name}: t={c['threshold']:.2f}, P={c['precision']:.2f}, R={c['recall']:.2f}", fontsize=9)
        ax.set_xlabel("peak score")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("layout", help="lay out the videos of lost_videos.tsv")
    p.add_argument("mirror", help="folder of repository snapshots (fetch github:OWNER/NAME)")
    p.add_argument("out", help="where to write OTB-style folders")
    p.set_defaults(run=layout)
    for name, fn in (("calibrate", calibrate), ("redetect", redetect)):
        p = sub.add_parser(name)
        default = ["paper", "finetuned", "scratch"] if name == "calibrate" else ["paper"]
        p.add_argument("--weights", nargs="+", default=default)
        p.add_argument("--data", nargs="+", required=True, help="FORMAT=PATH specs holding the held-out videos")
        p.add_argument("--sequences", nargs="+", help="default: the held-out videos named above")
        p.add_argument("--backend", default="auto")
        p.add_argument("--precision", default="auto")
        p.add_argument("--threads", type=int, default=None)
        p.add_argument("--json", required=True)
        p.set_defaults(run=fn)
        if name == "redetect":
            p.add_argument("--bench", help="also measure on the bench at this root (never used to choose)")
            p.add_argument("--calibration", help="the calibrate output: its runs are the plain runs of the same engine")
            continue
        p.add_argument("--plot")
        p.add_argument("--apply", action="store_true", help="write the threshold into each model card")
        p.add_argument(
            "--reuse", action="store_true", help="take runs already in --json (same weights, engine) from there"
        )
        p.add_argument("--branches", type=int, default=6, help="induced losses per sequence (default: %(default)s)")
        p.add_argument(
            "--branch-length", type=int, default=8, help="frames tracked per induced loss (default: %(default)s)"
        )
    args = ap.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
