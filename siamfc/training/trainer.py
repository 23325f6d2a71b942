"""The training loop: ``siamfc train`` in one function, :func:`train`.

Run directory (everything a run needs to be understood, continued and compared)::

    config.yaml           the exact config (a resume must match it)
    run.json              data specs, world size, versions
    data_summary.txt      how many frames/objects/videos the filters kept, per dataset
    val_videos.txt        the held-out videos
    log.csv               per epoch: lr, train loss, val loss, val AUC, pairs/s, time
    steps.csv             per step: global loss
    val_sequences.csv     per epoch and held-out sequence: tracking AUC
    checkpoint.pt         model, optimiser, RNG, history (written atomically every epoch)
    weights/epoch_NNN.safetensors   the weights of each epoch (+ model card), for choosing by val AUC
    tb/                   TensorBoard events
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from siamfc.errors import ConfigError, SiamFCError
from siamfc.io.files import writable_folder, write_text_atomic
from siamfc.model import SiamFC
from siamfc.training import distributed
from siamfc.training.checkpoint import load_checkpoint, save_checkpoint
from siamfc.training.config import TrainConfig
from siamfc.training.crops import DiskBank, MemoryBank, cache_bytes
from siamfc.training.data import load_sequences, resolve_data_specs, split_and_filter, summary
from siamfc.training.loss import balanced_logistic_loss, make_labels
from siamfc.training.pairs import TRAIN_STREAM, VAL_STREAM, PairMaker
from siamfc.training.validation import tracking_auc, tracking_sequences, validation_loss


class TrainingDiverged(SiamFCError):
    """The loss became NaN or infinite (lower the learning rate; the last checkpoint is intact)."""


#: The head gain the tracker and the weight files assume; other gains are folded into conv5 on export.
DEFAULT_GAIN = 1e-3
LOG_FIELDS = ["epoch", "lr", "train_loss", "val_loss", "val_auc", "pairs_per_s", "train_s", "val_s", "pairs_seen"]


def lr_at(cfg: TrainConfig, epoch: int) -> float:
    """Learning rate of 1-based ``epoch``: geometric from lr_initial (first) to lr_final (last)."""
    if cfg.epochs == 1:
        return cfg.lr_initial
    return cfg.lr_initial * (cfg.lr_final / cfg.lr_initial) ** ((epoch - 1) / (cfg.epochs - 1))


def init_weights(model: nn.Module, how: str = "kaiming") -> None:
    """Gaussian weights scaled by the "improved Xavier" rule (He et al.), zero biases, BN = identity."""
    if how == "default":
        return
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def build_model(cfg: TrainConfig) -> SiamFC:
    """The network to train: initialised by ``cfg.init``, or loaded from ``cfg.init_from`` to fine-tune."""
    torch.manual_seed(cfg.seed)
    model = SiamFC(gain=cfg.score_gain)
    if not cfg.init_from:
        init_weights(model, cfg.init)
        return model
    from siamfc.model.weights import load_weights, resolve_weights

    start = load_weights(resolve_weights(cfg.init_from))
    state = start.state_dict()
    if cfg.score_gain != DEFAULT_GAIN:  # undo export_model's fold: the trained gain lives in the head
        k = math.sqrt(DEFAULT_GAIN / cfg.score_gain)
        for name in ("backbone.conv5.0.weight", "backbone.conv5.0.bias"):
            state[name] = state[name] * k
    model.load_state_dict(state)
    return model


def set_train_mode(model: SiamFC, cfg: TrainConfig) -> None:
    """``model.train()``, except batch norm when ``cfg.batchnorm == "frozen"`` and frozen layers.

    A converted network (the authors' SiamFC from TFLite) has its batch norm folded into the
    convolutions and identity BN layers. Training-mode BN would normalise by the batch statistics,
    which are not the identity the weights were folded for, and destroy the pretrained function at
    the first step; frozen BN keeps the normalisation the weights were made with.
    """
    model.train()
    for name, layer in model.backbone.named_children():
        for m in layer.modules():
            if isinstance(m, nn.BatchNorm2d) and (cfg.batchnorm == "frozen" or name in cfg.freeze):
                m.eval()


def trainable_parameters(model: SiamFC, cfg: TrainConfig) -> list:
    """Parameters SGD updates: all but frozen layers' (and BN's, when BN is frozen)."""
    params = []
    for name, layer in model.backbone.named_children():
        for m in layer.modules():
            fixed = name in cfg.freeze or (isinstance(m, nn.BatchNorm2d) and cfg.batchnorm == "frozen")
            for p in m.parameters(recurse=False):
                p.requires_grad_(not fixed)
                if not fixed:
                    params.append(p)
    return params + list(model.head.parameters())


def export_model(model: SiamFC, gain: float) -> SiamFC:
    """A copy of ``model`` with the tracker's standard gain: other gains are folded into conv5.

    The score is ``gain * <phi(z), phi(x)> + b``; scaling conv5 (weights and bias) by
    ``sqrt(gain / DEFAULT_GAIN)`` scales both embeddings, hence the correlation, by ``gain / DEFAULT_GAIN``.
    """
    out = SiamFC(gain=DEFAULT_GAIN)
    state = {k: v.detach().clone().float() for k, v in model.state_dict().items()}
    if gain != DEFAULT_GAIN:
        k = math.sqrt(gain / DEFAULT_GAIN)
        for name in ("backbone.conv5.0.weight", "backbone.conv5.0.bias"):
            state[name] = state[name] * k
    out.load_state_dict(state)
    return out.eval()


@dataclass
class Batch:
    exemplar: torch.Tensor  # (B, 3, 127, 127) float, 0..255 BGR
    search: torch.Tensor  # (B, 3, 239, 239)
    offsets: torch.Tensor  # (B, 2)
    positive: torch.Tensor  # (B,) bool


def worker_context() -> str | None:
    """How DataLoader workers start: forked (the default: no copy of the crops), unless OpenVINO
    has been loaded in this process -- its runtime threads are not fork-safe (forking after an
    OpenVINO tracker had run crashed the parent with a segfault in our tests); then ``forkserver``,
    which forks the workers from a clean process and sends them the dataset."""
    return "forkserver" if "openvino" in sys.modules and sys.platform.startswith("linux") else None


class PairDataset(torch.utils.data.Dataset):
    """Pair ``g`` of a :class:`PairMaker` as uint8 tensors (DataLoader workers make them in parallel)."""

    def __init__(self, maker: PairMaker):
        self.maker = maker

    def __len__(self) -> int:
        return 2**62

    def __getitem__(self, g):
        p = self.maker(g)
        return (
            torch.from_numpy(np.ascontiguousarray(p.exemplar)),
            torch.from_numpy(np.ascontiguousarray(p.search)),
            torch.tensor(p.offset, dtype=torch.float32),
            torch.tensor(p.positive),
        )


def to_batch(items, device, channels_last: bool) -> Batch:
    z, x, off, pos = items
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    z = z.to(device).permute(0, 3, 1, 2).float().contiguous(memory_format=fmt)
    x = x.to(device).permute(0, 3, 1, 2).float().contiguous(memory_format=fmt)
    return Batch(z, x, off.to(device), pos.to(device))


def rank_batches(epoch: int, cfg: TrainConfig, info: distributed.DistInfo) -> list[list[int]]:
    """This process's slice of each global batch of (1-based) ``epoch``: pair indices."""
    local = cfg.batch_size // info.world
    steps = cfg.pairs_per_epoch // cfg.batch_size
    first = (epoch - 1) * cfg.pairs_per_epoch
    return [[first + s * cfg.batch_size + info.rank * local + j for j in range(local)] for s in range(steps)]


class Trainer:
    """State of one run (see the module doc for the run directory)."""

    def __init__(self, cfg: TrainConfig, data: list[str], out: Path, *, progress: bool = True, log=None):
        self.cfg, self.data, self.out, self.progress = cfg, list(data), Path(out), progress
        self.device = torch.device(
            ("cuda" if torch.cuda.is_available() else "cpu") if cfg.device == "auto" else cfg.device
        )
        self.info = distributed.setup(self.device.type)
        if cfg.batch_size % self.info.world:
            raise ConfigError(f"batch_size {cfg.batch_size} is not divisible by the {self.info.world} processes")
        if self.device.type == "cuda":
            self.device = torch.device("cuda", self.info.local_rank)
            torch.cuda.set_device(self.device)
        self._log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
        torch.set_num_threads(cfg.threads or max(1, (os.cpu_count() or 1) // self.info.world))
        self.history: list[dict] = []
        self.step_losses: list[list[float]] = []  # per epoch
        self.val_rows: list[dict] = []
        self.epoch = 0  # epochs completed

    def log(self, msg: str) -> None:
        if self.info.is_main:
            self._log(msg)

    # -- set-up ---------------------------------------------------------------------------------
    def prepare_data(self) -> None:
        cfg = self.cfg
        seqs = load_sequences(self.data)
        self.split = split_and_filter(seqs, cfg)
        self.log(summary(self.split))
        show = self.progress and self.info.is_main
        masks = cfg.paste_prob > 0
        need = cache_bytes(self.split.train, self.split.usable, cfg, masks)
        in_ram = cfg.cache_crops and need <= cfg.cache_limit_mib * 2**20
        if cfg.cache_crops and not in_ram:
            # ImageNet-VID would need hundreds of GB: never let the cache grow with the data.
            self.log(
                f"the crop cache would need {need / 2**20:,.0f} MiB (cache_limit_mib {cfg.cache_limit_mib}): "
                "reading crops from disk instead (use `siamfc curate` first for speed)"
            )
        if in_ram:
            self.bank = MemoryBank(
                self.split.train,
                self.split.usable,
                cfg,
                masks=cfg.paste_prob > 0,
                progress=show,
                desc="cropping training frames",
            )
        else:
            self.bank = DiskBank(self.split.train, self.split.usable, cfg, masks=cfg.paste_prob > 0)
        if self.bank.bad_frames:
            self.log(
                f"warning: skipped {len(self.bank.bad_frames)} unreadable training frame(s), e.g. "
                f"{self.bank.bad_frames[0]}"
            )
        self.log(
            f"stored crops: {len(self.bank)} of {self.bank.side}x{self.bank.side} px "
            f"({self.bank.nbytes / 2**20:.0f} MiB in RAM)"
        )
        self.maker = PairMaker(self.bank, cfg, TRAIN_STREAM)
        self.val_batches = []
        if self.split.val and cfg.val_pairs > 0 and self.info.is_main:
            # Read from disk: only the crops of the fixed validation pairs are ever needed.
            val_bank = DiskBank(self.split.val, self.split.usable, cfg)
            val_maker = PairMaker(
                val_bank, cfg.__class__(**{**cfg.to_dict(), "negative_prob": 0.0, "paste_prob": 0.0}), VAL_STREAM
            )
            ds = PairDataset(val_maker)
            for start in range(0, cfg.val_pairs, cfg.batch_size):
                items = [ds[g] for g in range(start, min(cfg.val_pairs, start + cfg.batch_size))]
                self.val_batches.append(tuple(torch.stack([it[k] for it in items]) for k in range(4)))
        # The tracking validation: at most val_track_sequences held-out sequences, chosen by seed.
        self.val_track = tracking_sequences(self.split.val, cfg.val_track_sequences, cfg.val_track_min_frames, cfg.seed)

    def prepare_model(self) -> None:
        cfg = self.cfg
        self.model = build_model(cfg)
        if self.info.enabled:
            distributed.convert_sync_batchnorm(self.model)
        self.model.to(self.device)
        if cfg.channels_last:
            self.model.to(memory_format=torch.channels_last)
        self.optimizer = torch.optim.SGD(
            trainable_parameters(self.model, cfg),
            lr=cfg.lr_initial,
            momentum=cfg.momentum,
            weight_decay=cfg.weight_decay,
        )
        self.net = self.model
        if self.info.enabled:
            self.net = torch.nn.parallel.DistributedDataParallel(
                self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None
            )
        self.scaler = torch.amp.GradScaler("cuda") if (cfg.precision == "fp16" and self.device.type == "cuda") else None

    def autocast(self):
        cfg = self.cfg
        if cfg.precision == "fp32":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if cfg.precision == "bf16" else torch.float16
        if self.device.type == "cpu" and dtype == torch.float16:
            raise ConfigError("precision fp16 needs CUDA; use bf16 or fp32 on a CPU")
        return torch.autocast(device_type=self.device.type, dtype=dtype)

    # -- one step ---------------------------------------------------------------------------------
    def loss(self, net, batch: Batch) -> torch.Tensor:
        cfg = self.cfg
        with self.autocast():
            scores = net(batch.exemplar, batch.search)
        labels = make_labels(
            scores.shape[-1], self.model.stride, cfg.label_radius, batch.offsets.cpu(), batch.positive.cpu()
        ).to(scores.device)
        return balanced_logistic_loss(scores, labels, cfg.neg_weight)

    def step(self, batch: Batch) -> float:
        """One SGD step on ``batch`` (this process's share of the global batch); returns its loss."""
        loss = self.loss(self.net, batch)
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self.optimizer.step()
        return float(loss.detach())

    def loader(self, epoch: int):
        """Batches of this process for ``epoch`` (uint8 tensors; see :func:`to_batch`)."""
        return torch.utils.data.DataLoader(
            PairDataset(self.maker),
            batch_sampler=rank_batches(epoch, self.cfg, self.info),
            num_workers=self.cfg.workers,
            persistent_workers=False,
            multiprocessing_context=worker_context() if self.cfg.workers else None,
        )

    def train_epoch(self, epoch: int) -> dict:
        cfg = self.cfg
        lr = lr_at(cfg, epoch)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        set_train_mode(self.model, cfg)
        loader = self.loader(epoch)
        losses = []
        bar = tqdm(
            total=cfg.pairs_per_epoch,
            desc=f"epoch {epoch}/{cfg.epochs}",
            unit="pair",
            leave=False,
            disable=not (self.progress and self.info.is_main),
            dynamic_ncols=True,
        )
        start = time.perf_counter()
        for items in loader:
            value = self.step(to_batch(items, self.device, cfg.channels_last))
            if not math.isfinite(value):
                raise TrainingDiverged(
                    f"training loss became {value} at epoch {epoch}, step {len(losses) + 1} "
                    "(lower lr_initial; --resume restarts from the last checkpoint)"
                )
            losses.append(distributed.mean_over_ranks(value, self.info))
            bar.update(cfg.batch_size)
            if len(losses) % 10 == 0:
                rate = len(losses) * cfg.batch_size / (time.perf_counter() - start)
                bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}", pairs_s=f"{rate:.1f}")
        bar.close()
        seconds = time.perf_counter() - start
        self.step_losses.append(losses)
        return {
            "epoch": epoch,
            "lr": lr,
            "train_loss": float(np.mean(losses)),
            "train_s": seconds,
            "pairs_per_s": cfg.pairs_per_epoch / seconds,
            "pairs_seen": epoch * cfg.pairs_per_epoch,
        }

    # -- validation ---------------------------------------------------------------------------------
    def validate(self, epoch: int) -> dict:
        cfg = self.cfg
        row = {"val_loss": float("nan"), "val_auc": float("nan")}
        start = time.perf_counter()
        if self.val_batches:

            def batches():
                for items in self.val_batches:
                    b = to_batch(items, self.device, cfg.channels_last)
                    yield b.exemplar, b.search, self._labels(b)

            row["val_loss"] = validation_loss(
                self.model, batches(), lambda s, y: balanced_logistic_loss(s, y, cfg.neg_weight)
            )
        due = epoch == 0 or epoch % cfg.val_track_every == 0 or epoch == cfg.epochs
        if self.val_track and due and cfg.val_track_max_frames > 1:
            mean, per_seq = tracking_auc(
                self.model,
                self.val_track,
                self.split.usable,
                cfg.val_track_max_frames,
                cfg.val_track_min_frames,
                self.device,
                progress=self.progress and self.info.is_main,
            )
            row["val_auc"] = mean
            self.val_rows += [{"epoch": epoch, "sequence": k, "auc": v} for k, v in per_seq.items()]
        set_train_mode(self.model, cfg)
        row["val_s"] = time.perf_counter() - start
        return row

    def _labels(self, b: Batch) -> torch.Tensor:
        size = (self.cfg.search_size - self.cfg.exemplar_size) // self.model.stride + 1
        return make_labels(size, self.model.stride, self.cfg.label_radius, b.offsets.cpu(), b.positive.cpu()).to(
            self.device
        )

    # -- files ------------------------------------------------------------------------------------------
    def write_logs(self) -> None:
        def table(rows, fields):
            buf = io.StringIO()
            w = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
            w.writeheader()
            for r in rows:
                w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
            return buf.getvalue()

        write_text_atomic(self.out / "log.csv", table(self.history, LOG_FIELDS))
        steps = [
            {"epoch": e + 1, "step": i + 1, "loss": v}
            for e, ls in enumerate(self.step_losses)
            for i, v in enumerate(ls)
        ]
        write_text_atomic(self.out / "steps.csv", table(steps, ["epoch", "step", "loss"]))
        write_text_atomic(self.out / "val_sequences.csv", table(self.val_rows, ["epoch", "sequence", "auc"]))

    def tensorboard(self, row: dict) -> None:
        if self.tb is None:
            return
        epoch = row["epoch"]
        steps_per_epoch = self.cfg.pairs_per_epoch // self.cfg.batch_size
        if epoch >= 1:
            for i, v in enumerate(self.step_losses[epoch - 1]):
                if i % 10 == 0:
                    self.tb.add_scalar("train/step_loss", v, (epoch - 1) * steps_per_epoch + i)
        for key in ("lr", "train_loss", "val_loss", "val_auc", "pairs_per_s"):
            if key in row and row[key] == row[key]:  # skip NaN
                self.tb.add_scalar(f"epoch/{key}", row[key], epoch)
        self.tb.flush()

    def checkpoint(self) -> None:
        save_checkpoint(
            self.out / "checkpoint.pt",
            {
                "epoch": self.epoch,
                "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "config": self.cfg.to_dict(),
                "data": self.data,
                "history": self.history,
                "step_losses": self.step_losses,
                "val_rows": self.val_rows,
                "torch_rng": torch.get_rng_state(),
            },
        )

    def save_epoch_weights(self, row: dict) -> None:
        from siamfc.model.weights import save_weights

        card = {
            "training": {
                "data": self.data,
                "epoch": row["epoch"],
                "epochs": self.cfg.epochs,
                "pairs_seen": row["pairs_seen"],
                "val_auc": row.get("val_auc"),
                "val_loss": row.get("val_loss"),
                "run": str(self.out),
            }
        }
        save_weights(
            export_model(self.model, self.cfg.score_gain),
            self.out / "weights" / f"epoch_{row['epoch']:03d}.safetensors",
            card,
        )

    def restore(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.epoch = int(state["epoch"])
        self.history = list(state["history"])
        self.step_losses = [list(x) for x in state["step_losses"]]
        self.val_rows = list(state["val_rows"])
        torch.set_rng_state(state["torch_rng"])

    # -- the run ------------------------------------------------------------------------------------------
    def run(self, resume_state: dict | None = None) -> list[dict]:
        cfg, out = self.cfg, self.out
        self.prepare_data()
        self.prepare_model()
        if resume_state is not None:
            self.restore(resume_state)
            self.log(f"resuming {out} after epoch {self.epoch}")
        self.tb = None
        if self.info.is_main:
            out.mkdir(parents=True, exist_ok=True)
            cfg.save(out / "config.yaml")
            write_text_atomic(
                out / "run.json",
                json.dumps(
                    {
                        "data": self.data,
                        "world_size": self.info.world,
                        "device": str(self.device),
                        "torch": torch.__version__,
                        "python": platform.python_version(),
                        "machine": platform.processor() or platform.machine(),
                        "threads": torch.get_num_threads(),
                    },
                    indent=2,
                )
                + "\n",
            )
            write_text_atomic(out / "data_summary.txt", summary(self.split) + "\n")
            write_text_atomic(out / "val_videos.txt", "".join(v + "\n" for v in self.split.val_videos))
            try:
                from torch.utils.tensorboard import SummaryWriter

                steps = cfg.pairs_per_epoch // cfg.batch_size
                self.tb = SummaryWriter(str(out / "tb"), purge_step=self.epoch * steps if self.epoch else None)
            except ImportError:  # tensorboard is a dependency, but a missing one must not stop training
                self.log("tensorboard not installed: no TensorBoard logs")
        if self.epoch == 0 and self.info.is_main:
            row = {
                "epoch": 0,
                "lr": float("nan"),
                "train_loss": float("nan"),
                "pairs_per_s": float("nan"),
                "train_s": 0.0,
                "pairs_seen": 0,
                **self.validate(0),
            }
            self.history.append(row)
            self.tensorboard(row)  # epoch 0 in TensorBoard too, as in log.csv
            self.log(
                f"epoch 0 (untrained): val loss {row['val_loss']:.4f} (large before training: see "
                f"docs/training.md), val AUC {row['val_auc']:.3f}"
            )
        distributed.barrier(self.info)
        try:
            for epoch in range(self.epoch + 1, cfg.epochs + 1):
                row = self.train_epoch(epoch)
                self.epoch = epoch
                if self.info.is_main:
                    row.update(self.validate(epoch))
                    self.history.append(row)
                    self.checkpoint()
                    if cfg.keep_epoch_weights:
                        self.save_epoch_weights(row)
                    self.write_logs()
                    self.tensorboard(row)
                    self.log(
                        f"epoch {epoch}/{cfg.epochs}: lr {row['lr']:.2e}, train loss {row['train_loss']:.4f}, "
                        f"val loss {row['val_loss']:.4f}, val AUC {row['val_auc']:.3f}, "
                        f"{row['pairs_per_s']:.1f} pairs/s"
                    )
                distributed.barrier(self.info)
            if self.info.is_main:
                self.write_logs()
        finally:
            if self.tb is not None:
                self.tb.close()
            distributed.cleanup(self.info)
        return self.history


def train(
    cfg: TrainConfig | None, data: list[str] | None, out, *, resume: bool = False, progress: bool = True, log=None
) -> list[dict]:
    """Train (or continue) a run in ``out``; returns the per-epoch log rows.

    With ``resume``, ``cfg`` and ``data`` may be None (the run's own are used); when given they must
    equal the run's, or a :class:`ConfigError` names the differences.
    """
    out = Path(out)
    state = None
    if resume:
        state = load_checkpoint(out / "checkpoint.pt")
        saved = TrainConfig.from_dict(state["config"], source=str(out / "checkpoint.pt"))
        if cfg is not None and cfg.diff(saved):
            diffs = ", ".join(f"{k}: run has {a!r}, given {b!r}" for k, (a, b) in saved.diff(cfg).items())
            raise ConfigError(f"cannot resume {out} with a different config ({diffs})")
        # Runs store absolute paths; a run made before they did holds the paths as typed,
        # which only resolve from the directory it was started in.
        run_data = resolve_data_specs(state["data"])
        if data and resolve_data_specs(data) != run_data:
            raise ConfigError(
                f"cannot resume {out} with different data: run has {run_data}, given {resolve_data_specs(data)}"
            )
        cfg, data = saved, run_data
        if distributed.launched_rank() == 0:
            writable_folder(out, "the run")
    elif distributed.launched_rank() == 0:
        # Before any data is read, a bad --out fails in one line; nothing is left behind if later steps
        # fail. Rank 0 alone checks (it alone writes the run): ranks checking at once would remove the
        # folder another had just created to test it (seen as "cannot write the run ...: No such file").
        writable_folder(out, "the run", keep=False)
    if not resume:
        if (out / "checkpoint.pt").exists():
            raise ConfigError(
                f"{out} already holds a run (checkpoint.pt); continue it with --resume or choose another --out"
            )
        if cfg is None:
            cfg = TrainConfig()
        if not data:
            raise ConfigError("no training data: give --data FORMAT=PATH (e.g. davis=/data/davis2016)")
        data = resolve_data_specs(data)
    return Trainer(cfg, data, out, progress=progress, log=log).run(state)
