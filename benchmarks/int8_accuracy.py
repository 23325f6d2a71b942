"""Does int8 track like fp32? Two checks, for each weights file.

``validate`` -- the *choice* (which layers stay fp32), made on the held-out validation videos of a
training run, never the bench. For each variant of ``keep_fp32`` it calibrates an int8 graph on the
run's DAVIS training videos, then, along the fp32 tracker's own trajectory on every validation
sequence, counts the frames where the int8 score maps put the peak (scale and position, before the
window) elsewhere, and tracks the sequences with int8 for the validation AUC:

    python benchmarks/int8_accuracy.py validate runs/e5_finetune_paper --weights paper finetuned scratch \
        --json docs/results/int8_validation.json

``bench`` -- a *report*: every bench sequence with fp32 and with the shipped int8 graph of each
weights file (OpenVINO both, so that only the precision differs). It decides nothing: the bench is
for reporting, and per-sequence AUC on 11 sequences mostly measures tracking chaos. Whether
``precision auto`` may choose int8 is decided on held-out video by benchmarks/precision_gates.py.

    python benchmarks/int8_accuracy.py bench --weights paper finetuned scratch --json docs/results/int8_bench.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from siamfc.io.files import write_text_atomic
from siamfc.model.weights import load_weights, resolve_weights
from siamfc.runtime import create_engine
from siamfc.runtime.export import export
from siamfc.runtime.quantize import calibration_crops, quantize
from siamfc.runtime.select import time_engine
from siamfc.tracking import SiamFCTracker
from siamfc.tracking.crop import crop_and_resize
from siamfc.tracking.tracker import card_resampling
from siamfc.utils.provenance import made_by

VARIANTS = {"all int8": (), "conv5 fp32": ("conv5",), "conv1 fp32": ("conv1",), "conv1+conv5 fp32": ("conv1", "conv5")}
MEAN_BOUND, SEQUENCE_BOUND = 0.005, 0.02


def peak_moves(model, resampling: str, seq, start: int, engines: dict, max_frames: int) -> dict:
    """Frames of ``seq`` (from ``start``, at most ``max_frames``, as validation tracks them) where
    each engine's peak differs from fp32's, along the fp32 tracker's trajectory (its own crops)."""
    ref = SiamFCTracker(model=model, backend="openvino", precision="fp32", resampling=resampling)
    first = seq.frame(start)
    ref.init(first, seq.boxes[start])
    z = crop_and_resize(
        first, tuple(ref.center), ref.z_size, ref.params.exemplar_size, ref.avg_color, resampling=resampling
    )[None]
    kernels = {name: engine.embed(z) for name, engine in engines.items()}
    moved = {name: {"moved": 0, "scale_changed": 0, "shift_px": []} for name in engines}
    end = min(len(seq), start + max_frames)
    for i in range(start + 1, end):
        ref.update(seq.frame(i))  # leaves this frame's crops (along the fp32 trajectory) in ref.crops
        scale, peak = ref.unwindowed_peak(ref.last_responses)
        for name, engine in engines.items():
            other_scale, other_peak = ref.unwindowed_peak(engine.score(kernels[name], ref.crops))
            if (other_scale, other_peak) != (scale, peak):
                moved[name]["moved"] += 1
                moved[name]["scale_changed"] += other_scale != scale
                # how far, in pixels of the search crop (the upsampled map has response_up px per stride)
                moved[name]["shift_px"].append(
                    float(np.hypot(*np.subtract(other_peak, peak))) * ref.stride / ref.params.response_up
                )
    return {"frames": end - start - 1, **moved}


def validate(args) -> None:
    from siamfc.training import TrainConfig
    from siamfc.training.data import load_sequences, split_and_filter
    from siamfc.training.validation import tracking_auc, tracking_sequences

    run = Path(args.run)
    cfg = TrainConfig.load(run / "config.yaml")
    data = json.loads((run / "run.json").read_text())["data"]
    split = split_and_filter(load_sequences(data), cfg)
    val = tracking_sequences(split.val, cfg.val_track_sequences, cfg.val_track_min_frames, cfg.seed)
    davis = [s for s in split.train if s.meta["dataset"] == "davis"]
    out = {
        "made_by": made_by(weights=False),
        "run": str(run),
        "sequences": [s.name for s in val],
        "max_frames": cfg.val_track_max_frames,
        "calibration": f"{len(davis)} DAVIS training sequences of the run",
        "weights": {},
    }
    for name in args.weights:
        model, resampling = load_weights(name), card_resampling(name)
        crops = calibration_crops(davis, resampling=resampling)
        row = {"resampling": resampling, "variants": {}}
        with tempfile.TemporaryDirectory(prefix="siamfc-int8-val-") as tmp:
            fp32_dir = export(model, Path(tmp) / "fp32", format="openvino")
            engines, dirs = {}, {}
            for variant, keep in VARIANTS.items():
                dirs[variant] = quantize(fp32_dir, crops, Path(tmp) / variant.replace(" ", "_"), keep_fp32=keep)
                engines[variant] = create_engine(model, "openvino", "int8", exported=dirs[variant])
            moves = {v: {"moved": 0, "scale_changed": 0, "shift_px": []} for v in VARIANTS}
            frames = 0
            for seq in tqdm(val, desc=f"{name}: peak moves"):
                start = int(np.flatnonzero(split.usable[seq.name])[0])
                counted = peak_moves(model, resampling, seq, start, engines, cfg.val_track_max_frames)
                frames += counted["frames"]
                for v in VARIANTS:
                    for key in moves[v]:
                        moves[v][key] += counted[v][key]
            fp32_auc, _ = tracking_auc(
                model,
                val,
                split.usable,
                cfg.val_track_max_frames,
                cfg.val_track_min_frames,
                resampling=resampling,
                backend="openvino",
                precision="fp32",
            )
            row["fp32_auc"] = round(fp32_auc, 4)
            for variant in VARIANTS:
                auc, _ = tracking_auc(
                    model,
                    val,
                    split.usable,
                    cfg.val_track_max_frames,
                    cfg.val_track_min_frames,
                    resampling=resampling,
                    backend="openvino",
                    precision="int8",
                    exported=dirs[variant],
                )
                m = moves[variant]
                shifts = np.asarray(m["shift_px"])
                row["variants"][variant] = {
                    "keep_fp32": list(VARIANTS[variant]),
                    "frames": frames,
                    "peak_moves": m["moved"],
                    "scale_changes": m["scale_changed"],
                    "median_shift_crop_px": round(float(np.median(shifts)), 2) if len(shifts) else 0.0,
                    "max_shift_crop_px": round(float(shifts.max()), 2) if len(shifts) else 0.0,
                    "auc": round(auc, 4),
                    "network_ms": round(time_engine(engines[variant]), 1),
                }
                print(
                    f"{name:10s} {variant:18s} peak moved on {m['moved']}/{frames} frames ({m['scale_changed']} "
                    f"scale changes, median shift {row['variants'][variant]['median_shift_crop_px']} crop px), "
                    f"validation AUC {auc:.4f} (fp32 {fp32_auc:.4f})",
                    flush=True,
                )
        out["weights"][name] = row
        write_text_atomic(args.json, json.dumps(out, indent=2) + "\n")


def bench(args) -> None:
    from siamfc.data.registry import open_dataset
    from siamfc.evaluation.ope import score_sequence
    from siamfc.evaluation.runner import track_one_pass
    from siamfc.runtime.select import int8_export

    seqs = open_dataset("bench", args.root)
    out = {
        "made_by": made_by(weights=False),
        "bound": {"mean_auc": MEAN_BOUND, "sequence_auc": SEQUENCE_BOUND},
        "reference": "openvino fp32",
        "weights": {},
    }
    for name in args.weights:
        model = load_weights(name)
        int8_dir, manifest = int8_export(model, name)
        if int8_dir is None:
            raise SystemExit(f"{name}: {manifest}")
        row = {
            "weights": str(resolve_weights(name)),
            "int8": str(int8_dir),
            "keep_fp32": manifest.get("keep_fp32"),
            "sequences": {},
            "seconds": {},
        }
        for precision in ("fp32", "int8"):
            start = time.perf_counter()
            for seq in tqdm(seqs, desc=f"{name} {precision}"):
                tracker = SiamFCTracker(model=model, weights=name, backend="openvino", precision=precision)
                traj = track_one_pass(tracker, seq)
                row["sequences"].setdefault(seq.name, {"frames": len(seq)})[precision] = round(
                    score_sequence(traj.boxes, seq.boxes, name=seq.name).auc, 4
                )
            row["seconds"][precision] = round(time.perf_counter() - start, 1)
        per = row["sequences"].values()
        row["mean_auc"] = {p: round(float(np.mean([r[p] for r in per])), 4) for p in ("fp32", "int8")}
        row["mean_abs_diff"] = round(abs(row["mean_auc"]["int8"] - row["mean_auc"]["fp32"]), 4)
        row["max_sequence_diff"] = round(max(abs(r["int8"] - r["fp32"]) for r in per), 4)
        row["within_bound"] = row["mean_abs_diff"] <= MEAN_BOUND and row["max_sequence_diff"] <= SEQUENCE_BOUND
        out["weights"][name] = row
        print(
            f"{name:10s} mean AUC fp32 {row['mean_auc']['fp32']:.4f} int8 {row['mean_auc']['int8']:.4f}; "
            f"largest sequence difference {row['max_sequence_diff']:.4f}: "
            f"{'within' if row['within_bound'] else 'OUTSIDE'} the bound",
            flush=True,
        )
        write_text_atomic(args.json, json.dumps(out, indent=2) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    v = sub.add_parser("validate", help="choose what stays fp32, on a run's validation videos")
    v.add_argument("run")
    b = sub.add_parser("bench", help="report: fp32 against the shipped int8 graphs on every bench sequence")
    b.add_argument("--root", default="../shared/datasets/bench")
    for p in (v, b):
        p.add_argument("--weights", nargs="+", default=["paper"])
        p.add_argument("--json", required=True)
    args = ap.parse_args()
    validate(args) if args.what == "validate" else bench(args)


if __name__ == "__main__":
    main()
