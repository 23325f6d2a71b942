"""Ship a training run's weights under a shipped name (``scratch``, ``finetuned``), with its model card.

    python scripts/ship_weights.py select runs/e4_scratch_all            # which epoch, and why
    python scripts/ship_weights.py ship runs/e4_scratch_all --as scratch # copy + card
    python scripts/ship_weights.py add-validation runs/e5_finetune_paper --epoch 0 --as paper
    python scripts/ship_weights.py add-scores docs/results/bench_scores.json --name siamfc-paper --as paper
    python scripts/ship_weights.py add-int8 --as paper --command "siamfc export ... --precision int8 ..."

Epoch choice (``--epoch best``, the default): validation AUC moves by a few hundredths between
epochs (every SiamFC implementation reports it), so we take the epoch whose validation AUC,
averaged with its neighbours (a 3-epoch window, shrunk at the ends), is highest; ties go to the
later epoch. A fine-tuning run also considers its epoch 0 (the network it started from), so
fine-tuning is shipped only where it improved validation. The bench is never looked at when choosing.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
from pathlib import Path

import yaml

from siamfc.apps.bench import machine_line
from siamfc.io.files import write_text_atomic
from siamfc.model.weights import SHIPPED, card_path, load_weights, resolve_weights, save_weights

#: The 17 videos of ../shared/datasets/more: name, layout, repository, commit (for the model card).
MORE_SOURCES = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "more" / "SOURCES.tsv"


def relative_data(specs: list[str]) -> list[str]:
    """``fmt=/abs/path`` as ``fmt=relative/path`` (from the repository root), for a portable command."""
    out = []
    for spec in specs:
        fmt, _, path = spec.partition("=")
        out.append(f"{fmt}={os.path.relpath(path)}")
    return out


def read_log(run: Path) -> list[dict]:
    with open(run / "log.csv") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def select_epoch(rows: list[dict], include_start: bool = False) -> tuple[int, list[tuple[int, float, float]]]:
    """(chosen epoch, [(epoch, val_auc, smoothed)]) over the trained epochs; epoch 0 (the starting
    network) counts too with ``include_start`` (fine-tuning), never for a from-scratch run."""
    trained = [r for r in rows if r["epoch"] >= (0 if include_start else 1)]
    table = []
    for i, r in enumerate(trained):
        window = trained[max(0, i - 1) : i + 2]
        table.append((int(r["epoch"]), r["val_auc"], sum(w["val_auc"] for w in window) / len(window)))
    best = max(table, key=lambda t: (round(t[2], 6), t[0]))
    return best[0], table


def is_finetune(run: Path) -> bool:
    return bool(yaml.safe_load((run / "config.yaml").read_text()).get("init_from"))


def more_sources(specs: list[str]) -> list[dict]:
    """Provenance rows of the ../shared/datasets/more videos, when a data spec used them."""
    if not MORE_SOURCES.is_file() or not any(s.split("=", 1)[0] in ("otb", "uav123") for s in specs):
        return []
    rows = [line.split("\t") for line in MORE_SOURCES.read_text().splitlines() if line and not line.startswith("#")]
    return [{"sequence": r[0], "layout": r[1], "repository": r[2], "commit": r[3], "object": r[-1]} for r in rows]


def cmd_select(args) -> None:
    epoch, table = select_epoch(read_log(Path(args.run)), include_start=is_finetune(Path(args.run)))
    for e, auc, smooth in table:
        print(f"epoch {e:3d}: val AUC {auc:.3f}, 3-epoch mean {smooth:.3f}{'  <- chosen' if e == epoch else ''}")


def cmd_ship(args) -> None:
    run = Path(args.run)
    rows = read_log(run)
    finetune = is_finetune(run)
    epoch, table = select_epoch(rows, finetune) if args.epoch == "best" else (int(args.epoch), None)
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    info = json.loads((run / "run.json").read_text())
    info["data"] = relative_data(info["data"])
    seen = next(r for r in rows if int(r["epoch"]) == epoch)
    wall = sum(r["train_s"] + r["val_s"] for r in rows if r["epoch"] <= epoch)
    model = load_weights(run / "weights" / f"epoch_{epoch:03d}.safetensors")
    card = {
        "architecture": "siamfc-alexnet (paper Table 1, BN after conv1-4, no padding, stride 8; adjust gain 0.001 + bias)",
        "input": "BGR uint8 frames, crops as float 0..255, no normalisation",
        "name": args.name,
        "trained_by": (
            f"this project (siamfc), fine-tuned from the shipped '{cfg['init_from']}' weights "
            f"(batch norm {cfg['batchnorm']}, frozen layers {cfg['freeze'] or 'none'})"
            if finetune
            else "this project (siamfc), from scratch (no pretrained weights)"
        ),
        "date": datetime.date.today().isoformat(),
        "training_data": {
            "sources": info["data"],
            "summary": (run / "data_summary.txt").read_text().strip().splitlines(),
            "validation_videos": (run / "val_videos.txt").read_text().split(),
            "provenance": (
                "../shared/datasets/README.md: DAVIS-2016 (50 videos) and MOTChallenge-17 snippets, "
                "CC BY-NC; OTB-100 and UAV123@10fps videos laid out by ../shared/datasets/get-more from "
                "the repository snapshots below (research datasets)"
            ),
            "more_videos": more_sources(info["data"]),
        },
        "schedule": {
            "epochs_run": int(max(r["epoch"] for r in rows)),
            "chosen_epoch": epoch,
            "choice": (
                (
                    f"best 3-epoch mean of validation AUC (held-out videos only"
                    f"{', epoch 0 = the starting network included' if finetune else ''})"
                )
                if table
                else "given on the command line"
            ),
            "pairs_seen": int(seen["pairs_seen"]),
            "wall_time_s": round(wall, 1),
            "config": cfg,
        },
        "hardware": f"{machine_line()}, {info.get('threads')} thread(s) per run, other jobs sharing the machine",
        "scores": {
            "validation_auc": round(seen["val_auc"], 4),
            "validation_auc_by_epoch": {int(r["epoch"]): round(r["val_auc"], 4) for r in rows},
        },
        "reproduce": (
            f"siamfc train --config {args.config or run / 'config.yaml'} "
            + " ".join(f"--data {d}" for d in info["data"])
            + f" --out {run}; "
            f"python scripts/ship_weights.py ship {run}"
        ),
    }
    out = resolve_weights(args.name)
    save_weights(model, out, card)
    print(f"shipped epoch {epoch} of {run} -> {out} (+ {card_path(out).name})")


def cmd_add_scores(args) -> None:
    """Copy a tracker's bench scores from `siamfc eval --json` into the shipped card."""
    scores = json.loads(Path(args.scores).read_text())
    trackers = scores["trackers"] if "trackers" in scores else scores
    entry = trackers[args.name]
    path = card_path(resolve_weights(args.name_as))
    card = json.loads(path.read_text())
    card.setdefault("scores", {})["bench"] = {
        "source": args.scores,
        "command": args.command,
        **{k: entry[k] for k in ("auc", "p20", "norm_precision", "fps") if k in entry},
        "per_sequence_auc": {s: round(v["auc"], 4) for s, v in entry.get("sequences", {}).items()},
    }
    write_text_atomic(path, json.dumps(card, indent=2) + "\n")
    print(f"added bench scores of {args.name} to {path}")


def cmd_add_validation(args) -> None:
    """Record a run's validation AUC at ``--epoch`` in a shipped card (epoch 0 of a fine-tuning run is
    the starting network itself, measured on the same held-out videos as the other weights)."""
    run = Path(args.run)
    row = next(r for r in read_log(run) if int(r["epoch"]) == args.epoch)
    path = card_path(resolve_weights(args.name))
    card = json.loads(path.read_text())
    card.setdefault("scores", {})["validation_auc"] = round(row["val_auc"], 4)
    card["scores"]["validation"] = {
        "run": str(run),
        "epoch": args.epoch,
        "videos": (run / "val_videos.txt").read_text().split(),
    }
    write_text_atomic(path, json.dumps(card, indent=2) + "\n")
    print(f"added validation AUC {row['val_auc']:.4f} ({run}, epoch {args.epoch}) to {path}")


def cmd_add_int8(args) -> None:
    """Summarise the int8 graph shipped beside the weights (``<stem>.int8/export.json``: calibration,
    what stayed fp32, its check on held-out video, benchmarks/precision_gates.py) in the weights' card."""
    weights = resolve_weights(args.name)
    manifest = json.loads((weights.with_suffix(".int8") / "export.json").read_text())
    path = card_path(weights)
    card = json.loads(path.read_text())
    card["int8"] = {
        "graph": weights.with_suffix(".int8").name,
        "made_by": args.command,
        "quantizer": manifest["quantizer"],
        "keep_fp32": manifest["keep_fp32"],
        "calibration": {k: manifest["calibration"][k] for k in ("sequences", "crops", "resampling", "held_out_videos")}
        | {"data": relative_data(manifest["calibration"]["data"])},
    }
    if "check" in manifest:
        card["int8"]["check"] = manifest["check"]
    write_text_atomic(path, json.dumps(card, indent=2) + "\n")
    print(f"added the int8 graph of {args.name} to {path}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("select")
    s.add_argument("run")
    s.set_defaults(fn=cmd_select)
    s = sub.add_parser("ship")
    s.add_argument("run")
    s.add_argument("--epoch", default="best")
    s.add_argument("--config", help="the config file the run was started with (for the card)")
    s.add_argument("--as", dest="name", required=True, choices=list(SHIPPED))
    s.set_defaults(fn=cmd_ship)
    s = sub.add_parser("add-validation")
    s.add_argument("run")
    s.add_argument("--epoch", type=int, default=0)
    s.add_argument("--as", dest="name", required=True, choices=list(SHIPPED))
    s.set_defaults(fn=cmd_add_validation)
    s = sub.add_parser("add-scores")
    s.add_argument("scores")
    s.add_argument("--name", default="siamfc")
    s.add_argument("--command", default="")
    s.add_argument("--as", dest="name_as", required=True, choices=list(SHIPPED))
    s.set_defaults(fn=cmd_add_scores)
    s = sub.add_parser("add-int8")
    s.add_argument("--command", default="")
    s.add_argument("--as", dest="name", required=True, choices=list(SHIPPED))
    s.set_defaults(fn=cmd_add_int8)
    args = p.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
