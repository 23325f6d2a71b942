"""Training speed on this machine: pairs/s for fp32 and bf16, with and without the data pipeline.

    python benchmarks/train_speed.py                                   # DAVIS from ../shared if present
    python benchmarks/train_speed.py --data davis=/data/davis2016 --steps 20 --threads 2

* ``network``: SGD steps on one fixed batch (no data work at all);
* ``pipeline``: pair making alone (crop augmentation from the in-RAM crops), pairs/s;
* ``full``: what ``siamfc train`` does per step: make the batch's pairs, then the SGD step.

Each configuration runs ``--warmup`` steps first. The network cost is fixed by the paper's
architecture: about 2.8 GMAC forward per pair (search 239 px + exemplar 127 px), about 8.4 GMAC
with the backward pass, i.e. ~17 GFLOP per pair; divide the machine's bf16 matmul GFLOP/s
(also printed) by 17 for the ceiling.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from siamfc.training import TrainConfig
from siamfc.training.crops import ArrayBank, MemoryBank
from siamfc.training.data import load_sequences, split_and_filter
from siamfc.training.pairs import PairMaker
from siamfc.training.trainer import PairDataset, Trainer, to_batch

DEFAULT_DAVIS = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "train" / "davis2016"


def synthetic_bank(cfg: TrainConfig, objects: int = 20, frames: int = 10) -> ArrayBank:
    from siamfc.training.crops import stored_side

    rng = np.random.default_rng(0)
    side = stored_side(cfg)
    crops = [rng.integers(0, 255, (side, side, 3), dtype=np.uint8) for _ in range(objects * frames)]
    obj = np.repeat(np.arange(objects), frames)
    fid = np.tile(np.arange(frames), objects)
    names = [f"o{k}" for k in range(objects)]
    return ArrayBank(crops, obj, fid, names)


def matmul_gflops(dtype, n=2048, reps=10) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    for _ in range(2):
        a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n**3 * reps / (time.perf_counter() - t) / 1e9


def make_trainer(cfg: TrainConfig, bank) -> Trainer:
    trainer = Trainer(cfg, [], Path(tempfile.mkdtemp()), progress=False, log=lambda m: None)
    trainer.bank, trainer.maker = bank, PairMaker(bank, cfg)
    trainer.prepare_model()
    trainer.net.train()
    return trainer


def timed(fn, steps: int, warmup: int) -> float:
    for _ in range(warmup):
        fn()
    t = time.perf_counter()
    for _ in range(steps):
        fn()
    return time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--data", action="append", default=[], help="FORMAT=PATH (default: ../shared DAVIS, else synthetic crops)"
    )
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--precisions", default="fp32,bf16")
    ap.add_argument("--memory-formats", default="contiguous,channels_last")
    ap.add_argument("--compile", action="store_true", help="also try torch.compile on the network")
    ap.add_argument("--json", metavar="OUT", help="also write every number (with the command that made them) here")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    base = dict(batch_size=args.batch_size, threads=args.threads, pairs_per_epoch=10**6, val_fraction=0.0)
    cfg = TrainConfig(**base)

    specs = args.data or ([f"davis={DEFAULT_DAVIS}"] if DEFAULT_DAVIS.is_dir() else [])
    if specs:
        split = split_and_filter(load_sequences(specs), cfg)
        bank = MemoryBank(split.train, split.usable, cfg, progress=False)
        source = ", ".join(specs)
    else:
        bank, source = synthetic_bank(cfg), "synthetic random crops"
    print(
        f"# train_speed: torch {torch.__version__}, {args.threads} threads, batch {args.batch_size}, "
        f"CPU capability {torch.backends.cpu.get_cpu_capability()}; data: {source} ({len(bank)} crops)"
    )
    print(
        f"matmul peak: fp32 {matmul_gflops(torch.float32):.0f} GFLOP/s, bf16 {matmul_gflops(torch.bfloat16):.0f} GFLOP/s"
    )

    dataset = PairDataset(PairMaker(bank, cfg))
    n = args.steps * args.batch_size
    counter = itertools.count()
    seconds = timed(lambda: dataset[next(counter)], n, args.batch_size)
    print(f"pipeline only: {n / seconds:.0f} pairs/s (one process)")

    runs = []
    for precision, fmt, compiled in itertools.product(
        args.precisions.split(","), args.memory_formats.split(","), [False, True] if args.compile else [False]
    ):
        c = TrainConfig(**{**base, "precision": precision, "memory_format": fmt})
        trainer = make_trainer(c, bank)
        if compiled:
            trainer.net = torch.compile(trainer.net)
        fixed = to_batch(next(iter(trainer.loader(1))), trainer.device, c.channels_last)
        runs.append(((precision, fmt, compiled), trainer, fixed, iter(trainer.loader(2)), {"net": [], "full": []}))
    # Rounds interleave the configurations, so that load from other processes hits them alike;
    # the best round is reported (the least disturbed), the median beside it.
    per = args.steps * args.batch_size
    for _ in range(args.rounds):
        for _, trainer, fixed, it, rates in runs:
            cl = trainer.cfg.channels_last
            # the lambdas run inside timed(), within this iteration: binding the loop variables late is intended
            rates["net"].append(per / timed(lambda: trainer.step(fixed), args.steps, args.warmup))  # noqa: B023
            rates["full"].append(
                per / timed(lambda: trainer.step(to_batch(next(it), trainer.device, cl)), args.steps, args.warmup)  # noqa: B023
            )
    print(f"pairs/s, best (median) of {args.rounds} rounds of {args.steps} steps:")
    print("| precision | memory format | compile | network only | with data pipeline |")
    print("|---|---|---|---|---|")
    for (precision, fmt, compiled), _, _, _, rates in runs:
        cell = lambda v: f"{max(v):.1f} ({np.median(v):.1f})"  # noqa: E731
        print(f"| {precision} | {fmt} | {'yes' if compiled else 'no'} | {cell(rates['net'])} | {cell(rates['full'])} |")
    if args.json:
        from siamfc.apps.bench import machine_line
        from siamfc.io.files import write_text_atomic
        from siamfc.utils.provenance import made_by

        report = {
            "made_by": made_by(weights=False),
            "machine": machine_line(),
            "threads": args.threads,
            "batch_size": args.batch_size,
            "data": source,
            "crops": len(bank),
            "pipeline_pairs_per_s": n / seconds,
            "rows": [
                {
                    "precision": p,
                    "memory_format": f,
                    "compile": c,
                    "network_pairs_per_s": {"best": max(r["net"]), "median": float(np.median(r["net"]))},
                    "full_pairs_per_s": {"best": max(r["full"]), "median": float(np.median(r["full"]))},
                }
                for (p, f, c), _, _, _, r in runs
            ],
        }
        write_text_atomic(args.json, json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
