"""The checks that let ``precision auto`` choose int8 and bf16 for the shipped weights, decided on
the held-out validation videos of the training runs (never the bench).

    python benchmarks/precision_gates.py runs/e5_finetune_paper runs/e4_scratch_all \
        --data davis=../shared/datasets/train/davis2016 --data otb=OTB_MORE --data uav123=UAV_MORE \
        --weights paper finetuned scratch --floor --json docs/results/precision_gates.json --record

The videos: those the runs held out (``val_videos.txt``; the runs must agree), every usable frame
of them, cut into windows (:mod:`siamfc.evaluation.precision_check`). No shipped weights file saw
them: finetuned and scratch were trained on the other videos of the same data, paper on
ImageNet-VID only, and the int8 graphs were calibrated on the runs' DAVIS training videos.

Against OpenVINO fp32, on OpenVINO (where ``auto`` runs both), for each weights file: int8 (its
shipped graph) and bf16. ``--floor`` adds torch fp32 -- another fp32 implementation, not gated --
to show how much the measures move when nothing but rounding order changes. ``--record`` writes
each check where ``auto`` reads it: the int8 graph's ``export.json`` and the model card (``int8.check``,
``checks.bf16``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from siamfc.evaluation.precision_check import (
    BOUND,
    check_windows,
    compare,
    describe,
    make_check,
    record_bf16_check,
)
from siamfc.io.files import write_text_atomic
from siamfc.model.weights import card_path, load_weights, read_card, resolve_weights
from siamfc.runtime.export import weights_digest
from siamfc.runtime.quantize import record_check
from siamfc.runtime.select import build_engine, int8_export
from siamfc.tracking.tracker import card_resampling
from siamfc.training import TrainConfig
from siamfc.training.data import load_sequences, usable_frames
from siamfc.utils.provenance import made_by


def held_out(runs: list[str]) -> list[str]:
    """The videos every run in ``runs`` held out (they must be the same videos)."""
    lists = {run: sorted(Path(run, "val_videos.txt").read_text().split()) for run in runs}
    first = next(iter(lists.values()))
    if any(videos != first for videos in lists.values()):
        raise SystemExit(f"the runs held out different videos: {lists}")
    return first


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="training runs whose held-out videos (val_videos.txt) are the data")
    ap.add_argument("--data", action="append", help="FORMAT=PATH holding those videos (default: the first run's)")
    ap.add_argument("--weights", nargs="+", default=["paper", "finetuned", "scratch"])
    ap.add_argument("--floor", action="store_true", help="also torch fp32 against openvino fp32 (not gated)")
    ap.add_argument("--json", required=True)
    ap.add_argument("--record", action="store_true", help="write each check where precision auto reads it")
    ap.add_argument("--limit", type=int, help="only the first N windows (a quick try; not with --record)")
    args = ap.parse_args()
    if args.limit and args.record:
        raise SystemExit("--limit measures a part of the held-out frames: not a check to record")
    videos = held_out(args.runs)
    cfg = TrainConfig.load(Path(args.runs[0]) / "config.yaml")
    specs = args.data or json.loads((Path(args.runs[0]) / "run.json").read_text())["data"]
    seqs = [s for s in load_sequences(specs) if s.meta["video"] in videos]
    missing = sorted(set(videos) - {s.meta["video"] for s in seqs})
    if missing:
        raise SystemExit(f"held-out videos not found in {specs}: {missing}")
    windows = check_windows(seqs, {s.name: usable_frames(s, cfg)[0] for s in seqs})[: args.limit]
    data = {"videos": videos, "held_out_by": args.runs, **describe(windows)}
    out = {"made_by": made_by(weights=False), "data": data, "bound": BOUND, "weights": {}}
    command = out["made_by"]["command"]
    print(f"{len(windows)} windows, {data['frames']} frames of {len(data['sequences'])} held-out sequences")
    for name in args.weights:
        model, resampling = load_weights(name), card_resampling(name)
        digest = weights_digest(model)
        int8_dir, found = int8_export(model, name)
        if int8_dir is None:
            raise SystemExit(f"{name}: {found}")
        candidates = {
            "int8": build_engine("openvino", model, "int8", exported=int8_dir),
            "bf16": build_engine("openvino", model, "bf16"),
        }
        if args.floor:
            candidates["torch fp32"] = build_engine("torch", model, "fp32")
        reference = build_engine("openvino", model, "fp32")
        measured = compare(windows, reference, candidates, resampling, progress=True)
        row = {"file": str(resolve_weights(name)), "digest": digest, "resampling": resampling, "int8": str(int8_dir)}
        for precision, m in measured.items():
            row[precision] = m
            print(
                f"{name:10s} {precision:10s} peak moved on {m['peak_moves']}/{m['frames']} frames "
                f"({m['peak_moved_fraction']:.1%}), mean |dAUC| {m['mean_abs_auc_diff']:.4f} "
                f"(max {m['max_abs_auc_diff']:.4f}) over {m['windows']} windows: "
                f"{'passed' if m['passed'] else 'OUTSIDE the bound'}",
                flush=True,
            )
        out["weights"][name] = row
        write_text_atomic(args.json, json.dumps(out, indent=2) + "\n")
        if args.record:
            checks = {
                p: make_check(
                    measured[p],
                    precision=p,
                    backend="openvino",
                    digest=digest,
                    data=data,
                    made_by=command,
                    results=args.json,
                )
                for p in ("int8", "bf16")
            }
            record_check(int8_dir, checks["int8"])
            record_bf16_check(resolve_weights(name), checks["bf16"])
            card = read_card(resolve_weights(name))
            if "int8" in card:  # the card's summary of the shipped graph (scripts/ship_weights.py add-int8)
                card["int8"].pop("accuracy", None)
                card["int8"]["check"] = checks["int8"]
                write_text_atomic(card_path(resolve_weights(name)), json.dumps(card, indent=2) + "\n")


if __name__ == "__main__":
    main()
