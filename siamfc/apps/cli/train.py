"""``siamfc train``: train SiamFC on pairs from annotated videos (the paper's offline training)."""

from __future__ import annotations

HELP = "train SiamFC weights (paper's recipe; resumable, DDP through torchrun)"
DESCRIPTION = """Train SiamFC on pairs of frames from annotated videos.

  siamfc train --config configs/paper.yaml --data davis=DAVIS_ROOT --data mot=MOT_ROOT --out runs/a
  siamfc train --out runs/a --resume              # continue after a stop or a kill
  torchrun --nproc_per_node 2 -m siamfc train ...  # several processes (DDP; gloo on CPU, NCCL on GPU)

Data formats (--data FORMAT=PATH, repeatable): davis, mot, vid (ILSVRC-2015 VID), got10k, lasot,
otb (OTB-style folders), uav123 (UAV123@10fps, native or OTB-style), folder, curated (a folder written by `siamfc curate`). The run directory gets config.yaml,
log.csv, steps.csv, checkpoint.pt, weights/epoch_NNN.safetensors and TensorBoard events (tb/).
See docs/training.md."""


def add_arguments(parser) -> None:
    parser.add_argument("--config", help="YAML config (keys of siamfc.training.TrainConfig; defaults: the paper's)")
    parser.add_argument("--data", action="append", default=[], metavar="FORMAT=PATH", help="training data (repeatable)")
    parser.add_argument("--out", help="run directory (required to train)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config value (YAML syntax), e.g. --set epochs=10 (repeatable)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--print-config",
        action="store_true",
        help="print the effective config (defaults + --config + --set) as YAML and exit",
    )


def run(args) -> int:
    import yaml

    from siamfc.errors import ConfigError
    from siamfc.training import TrainConfig, train

    data = {}
    if args.config:
        cfg = TrainConfig.load(args.config)
        data = cfg.to_dict()
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set expects KEY=VALUE, got {item!r}")
        data[key.strip()] = yaml.safe_load(value)
    cfg = TrainConfig.from_dict(data, source="--config/--set") if (args.config or args.set) else None
    if args.print_config:
        print(yaml.safe_dump((cfg or TrainConfig()).to_dict(), sort_keys=False), end="")
        return 0
    if not args.out:
        raise ConfigError("--out RUN_DIR is required")
    if cfg is None and not args.resume:
        cfg = TrainConfig()
    history = train(cfg, args.data or None, args.out, resume=args.resume, progress=not args.no_progress)
    if history:
        last = history[-1]
        print(
            f"done: {len(history) - 1} epochs in {args.out}; last train loss {last['train_loss']:.4f}, "
            f"val AUC {last['val_auc']:.3f}"
        )
        scored = [r for r in history[1:] if r["val_auc"] == r["val_auc"]]  # not NaN
        if scored:
            best = max(scored, key=lambda r: r["val_auc"])
            print(
                f"best validation AUC {best['val_auc']:.3f} at epoch {best['epoch']} "
                f"(untrained: {history[0]['val_auc']:.3f}): {args.out}/weights/epoch_{best['epoch']:03d}.safetensors"
            )
    return 0
