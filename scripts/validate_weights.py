"""Score shipped weights on a training run's held-out validation videos, with each crop resampling.

    python scripts/validate_weights.py runs/e5_finetune_paper --weights paper finetuned scratch \
        --json docs/results/validation_resampling.json [--apply]

The validation sequences are exactly those the run validated on (same data, seed and filters), so
the numbers compare with the run's own validation curve. Every weights file runs on one engine,
eager PyTorch fp32 by default (what the runs validate with); ``auto`` is refused: it may choose
int8 for one file and bf16 for another, and the comparison would no longer be of the weights. Each weights file is tracked with every
crop resampling (``bilinear``, ``bicubic-aa``); ``--apply`` writes the better one into each
weights file's model card (``crop_resampling``), which makes it that file's default. The bench is
never used for this choice.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from siamfc.io.files import write_text_atomic
from siamfc.model.weights import card_path, load_weights, read_card, resolve_weights
from siamfc.tracking.crop import RESAMPLINGS
from siamfc.training import TrainConfig
from siamfc.training.data import load_sequences, split_and_filter
from siamfc.training.validation import tracking_auc, tracking_sequences
from siamfc.utils.provenance import made_by


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", help="a training run folder (its config.yaml and run.json name the data and split)")
    ap.add_argument("--weights", nargs="+", required=True, help="shipped names or files")
    # One engine for every file: not auto, whose choice depends on each file's precision checks.
    ap.add_argument("--backend", default="torch", choices=("torch", "openvino", "onnxruntime"))
    ap.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
    ap.add_argument("--json", required=True, help="where to write the scores")
    ap.add_argument("--apply", action="store_true", help="record the better resampling in each model card")
    ap.add_argument("--reuse", action="store_true", help="take weights already scored in --json from there")
    return ap.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    run = Path(args.run)
    cfg = TrainConfig.load(run / "config.yaml")
    data = json.loads((run / "run.json").read_text())["data"]
    split = split_and_filter(load_sequences(data), cfg)
    seqs = tracking_sequences(split.val, cfg.val_track_sequences, cfg.val_track_min_frames, cfg.seed)
    engine = f"{args.backend}/{args.precision}"
    earlier = json.loads(Path(args.json).read_text()) if args.reuse and Path(args.json).is_file() else {}
    if earlier and earlier.get("made_by", {}).get("engine") != engine:
        earlier = {}  # scored on another engine: not comparable, score again
    out = {
        "made_by": made_by(weights=False, engine=engine),
        "run": str(run),
        "sequences": [s.name for s in seqs],
        "max_frames": cfg.val_track_max_frames,
        "weights": {},
    }
    for name in args.weights:
        if name in earlier.get("weights", {}):
            out["weights"][name] = earlier["weights"][name]
            out["made_by"] = earlier["made_by"]  # the command that measured them
            if args.apply:
                apply_choice(name, out["weights"][name], len(seqs), args)
            continue
        model = load_weights(name)
        scores = {}
        for resampling in RESAMPLINGS:
            mean, per_seq = tracking_auc(
                model,
                seqs,
                split.usable,
                cfg.val_track_max_frames,
                cfg.val_track_min_frames,
                resampling=resampling,
                backend=args.backend,
                precision=args.precision,
            )
            scores[resampling] = {"auc": round(mean, 4), "per_sequence": {k: round(v, 4) for k, v in per_seq.items()}}
            print(f"{name:10s} {resampling:11s} validation AUC {mean:.4f}", flush=True)
        best = max(RESAMPLINGS, key=lambda r: scores[r]["auc"])
        out["weights"][name] = {"file": str(resolve_weights(name)), "scores": scores, "better": best}
        if args.apply:
            apply_choice(name, out["weights"][name], len(seqs), args)
    write_text_atomic(args.json, json.dumps(out, indent=2) + "\n")


def apply_choice(name: str, entry: dict, n_sequences: int, args) -> None:
    """Make the better resampling the default of weights ``name`` (its model card's ``crop_resampling``)."""
    path = resolve_weights(name)
    card = read_card(path)
    card["crop_resampling"] = entry["better"]
    measured = " vs ".join(f"{r} {entry['scores'][r]['auc']}" for r in RESAMPLINGS)
    card["crop_resampling_choice"] = f"validation AUC {measured} on {n_sequences} held-out sequences ({args.json})"
    # The weights as shipped (their own resampling, the default engine) on the held-out videos: the
    # number the `default` alias is chosen by, the same protocol for every shipped file.
    scores = card.setdefault("scores", {})
    scores["validation_auc"] = entry["scores"][entry["better"]]["auc"]
    scores["validation_protocol"] = (
        f"scripts/validate_weights.py: {n_sequences} held-out sequences of {args.run} "
        f"(at most 100 frames each), engine {args.backend}/{args.precision}, "
        f"crop resampling {entry['better']}"
    )
    write_text_atomic(card_path(path), json.dumps(card, indent=2) + "\n")
    print(f"{name}: crop_resampling {entry['better']} ({measured})")


if __name__ == "__main__":
    main()
