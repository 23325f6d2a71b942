"""Whole training runs on tiny synthetic data: files, determinism, resume after SIGKILL, DDP, bad input."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
import yaml
from conftest import TRAIN, requires_shared
from train_fixtures import write_davis

from siamfc.apps.cli import main
from siamfc.errors import ConfigError, DataError
from siamfc.model import SiamFC
from siamfc.model.weights import load_weights
from siamfc.training import TrainConfig, export_model, train
from siamfc.training.checkpoint import load_checkpoint

TINY = dict(
    epochs=2,
    pairs_per_epoch=8,
    batch_size=4,
    val_pairs=4,
    val_track_min_frames=3,
    val_track_max_frames=6,
    precision="fp32",
    threads=1,
    seed=0,
)


@pytest.fixture(scope="module")
def davis(tmp_path_factory):
    return write_davis(tmp_path_factory.mktemp("run") / "davis", videos=3, frames=6)


def write_config(path, **overrides):
    path.write_text(yaml.safe_dump({**TINY, **overrides}))
    return path


def steps(run):
    with open(run / "steps.csv") as f:
        return [float(r["loss"]) for r in csv.DictReader(f)]


def final_weights(run, epoch=2):
    return load_weights(run / "weights" / f"epoch_{epoch:03d}.safetensors").state_dict()


def test_cli_run_writes_everything(tmp_path, davis):
    run = tmp_path / "run"
    cfg = write_config(tmp_path / "c.yaml")
    assert main(["train", "--config", str(cfg), "--data", f"davis={davis}", "--out", str(run), "--no-progress"]) == 0
    for name in (
        "config.yaml",
        "run.json",
        "log.csv",
        "steps.csv",
        "checkpoint.pt",
        "val_videos.txt",
        "data_summary.txt",
        "val_sequences.csv",
        "weights/epoch_001.safetensors",
        "weights/epoch_002.json",
    ):
        assert (run / name).is_file(), name
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run / "tb"))
    events.Reload()
    assert [e.step for e in events.Scalars("epoch/val_loss")] == [0, 1, 2]  # epoch 0 too, as in log.csv
    assert TrainConfig.load(run / "config.yaml") == TrainConfig(**TINY)
    with open(run / "log.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"]  # epoch 0: the untrained network
    assert all(np.isfinite(float(r["val_auc"])) and np.isfinite(float(r["val_loss"])) for r in rows)
    assert float(rows[1]["lr"]) == pytest.approx(1e-2) and float(rows[2]["lr"]) == pytest.approx(1e-5)
    assert len(steps(run)) == 4 and (run / "val_videos.txt").read_text().strip().startswith("davis:")
    # A finished run resumed does nothing more; a new run into the same folder is refused.
    assert main(["train", "--out", str(run), "--resume", "--no-progress"]) == 0
    assert len(steps(run)) == 4
    assert main(["train", "--config", str(cfg), "--data", f"davis={davis}", "--out", str(run)]) == 2


def test_same_seed_same_steps(tmp_path, davis):
    cfg = TrainConfig(**{**TINY, "epochs": 1, "val_pairs": 0, "val_fraction": 0.0})
    a = train(cfg, [f"davis={davis}"], tmp_path / "a", progress=False)
    b = train(cfg, [f"davis={davis}"], tmp_path / "b", progress=False)
    train(TrainConfig(**{**cfg.to_dict(), "seed": 1}), [f"davis={davis}"], tmp_path / "c", progress=False)
    assert steps(tmp_path / "a") == steps(tmp_path / "b")
    assert steps(tmp_path / "a") != steps(tmp_path / "c")
    assert a[-1]["train_loss"] == b[-1]["train_loss"]


def test_resume_after_sigkill_continues_identically(tmp_path, davis):
    cfg = write_config(tmp_path / "c.yaml", epochs=3, val_pairs=0, val_track_max_frames=0)
    args = ["--config", str(cfg), "--data", f"davis={davis}", "--no-progress"]
    ref = tmp_path / "ref"
    assert main(["train", *args, "--out", str(ref)]) == 0

    run = tmp_path / "killed"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "siamfc", "train", *args, "--out", str(run)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 120
        while not (run / "checkpoint.pt").exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)  # mid-epoch 2 (or later): at most that epoch is lost
    finally:
        proc.wait()
    assert (run / "checkpoint.pt").exists()
    done = load_checkpoint(run / "checkpoint.pt")["epoch"]  # weights_only, as everywhere
    assert 1 <= done <= 3
    assert main(["train", "--out", str(run), "--resume", "--no-progress"]) == 0
    assert steps(run) == steps(ref)
    for k, v in final_weights(ref, 3).items():
        assert torch.equal(v, final_weights(run, 3)[k]), k


def test_resume_with_another_config_is_refused(tmp_path, davis):
    cfg = write_config(tmp_path / "c.yaml", epochs=1, val_pairs=0, val_fraction=0.0)
    run = tmp_path / "run"
    assert main(["train", "--config", str(cfg), "--data", f"davis={davis}", "--out", str(run), "--no-progress"]) == 0
    other = write_config(tmp_path / "o.yaml", epochs=1, val_pairs=0, val_fraction=0.0, weight_decay=1e-3)
    with pytest.raises(ConfigError, match="weight_decay"):
        train(TrainConfig.load(other), None, run, resume=True)
    with pytest.raises(ConfigError, match="different data"):
        train(None, [f"davis={tmp_path}"], run, resume=True)
    assert main(["train", "--out", str(tmp_path / "nothing"), "--resume"]) == 2  # no checkpoint: one-line error


def test_resume_from_another_directory_with_relative_data(tmp_path, davis, monkeypatch):
    """The run stores resolved paths: relative --data works from anywhere, and the same data
    given as an absolute path is the same data."""
    cfg = write_config(tmp_path / "c.yaml", epochs=1, val_pairs=0, val_fraction=0.0)
    monkeypatch.chdir(davis.parent)
    assert main(["train", "--config", str(cfg), "--data", f"davis={davis.name}", "--out", "run", "--no-progress"]) == 0
    run = davis.parent / "run"
    assert load_checkpoint(run / "checkpoint.pt")["data"] == [f"davis={davis.resolve()}"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["train", "--out", str(run), "--resume", "--no-progress"]) == 0
    assert main(["train", "--out", str(run), "--resume", "--data", f"davis={davis.resolve()}", "--no-progress"]) == 0
    monkeypatch.chdir(davis.parent)
    assert main(["train", "--out", "run", "--resume", "--data", f"davis=./{davis.name}", "--no-progress"]) == 0


@pytest.mark.parametrize("where", ["a file", "under a file", "/proc"])
def test_a_bad_out_fails_at_once_in_one_line(tmp_path, davis, capsys, monkeypatch, where):
    (tmp_path / "file").write_text("")
    out = {"a file": tmp_path / "file", "under a file": tmp_path / "file" / "run", "/proc": "/proc/siamfc-run"}[where]
    loaded = []
    import siamfc.training.trainer as trainer_module

    monkeypatch.setattr(trainer_module, "load_sequences", lambda specs: loaded.append(specs) or [])
    assert main(["train", "--data", f"davis={davis}", "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"siamfc train: error: cannot write the run to {out}") and "\n" not in err
    assert not loaded  # checked before any data was read


def test_unreadable_frames_are_skipped_and_reported(tmp_path):
    root = write_davis(tmp_path / "davis", videos=2, frames=4)
    (root / "video0" / "JPEGImages" / "00004.jpg").write_bytes(b"not a jpeg")
    (root / "video1" / "JPEGImages" / "00008.jpg").write_bytes(b"")
    cut = root / "video1" / "JPEGImages" / "00004.jpg"  # a real JPEG cut short: counted and skipped too
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])
    messages = []
    cfg = TrainConfig(**{**TINY, "epochs": 1, "val_pairs": 0, "val_fraction": 0.0})
    train(cfg, [f"davis={root}"], tmp_path / "run", progress=False, log=messages.append)
    assert any("skipped 3 unreadable" in m and "00004.jpg" in m for m in messages)
    # A frame listed in frames.txt but missing is a broken layout: a clear error before training.
    (root / "video1" / "JPEGImages" / "00008.jpg").unlink()
    with pytest.raises(DataError, match="00008"):
        train(cfg, [f"davis={root}"], tmp_path / "run2", progress=False)
    # All frames unreadable: an error, not an empty training.
    for p in root.glob("*/JPEGImages/*.jpg"):
        p.write_bytes(b"")
    (root / "video1" / "frames.txt").write_text("00000\n00004\n00012\n")
    (root / "video1" / "groundtruth_rect.txt").write_text("1,1,24,30\n5,5,24,30\n9,9,24,30\n")
    with pytest.raises(DataError, match="could be read"):
        train(cfg, [f"davis={root}"], tmp_path / "run3", progress=False)


def test_export_folds_the_score_gain():
    torch.manual_seed(0)
    model = SiamFC(gain=0.01).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.01)
        z, x = torch.rand(1, 3, 127, 127) * 255, torch.rand(1, 3, 255, 255) * 255
        exported = export_model(model, 0.01)
        assert exported.head.gain == 1e-3
        assert torch.allclose(model(z, x), exported(z, x), rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_ddp_two_processes_match_one(tmp_path, davis):
    """torchrun with 2 CPU processes (gloo, synced batch norm) = 1 process on the same global batch."""
    cfg = write_config(tmp_path / "c.yaml", epochs=1, pairs_per_epoch=12, val_pairs=0, val_fraction=0.0)
    args = ["--config", str(cfg), "--data", f"davis={davis}", "--no-progress"]
    assert main(["train", *args, "--out", str(tmp_path / "one")]) == 0
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            "-m",
            "siamfc",
            "train",
            *args,
            "--out",
            str(tmp_path / "two"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]  # torchrun's own account of what failed
    one, two = steps(tmp_path / "one"), steps(tmp_path / "two")
    assert len(one) == len(two) == 3
    assert np.allclose(one, two, rtol=1e-4, atol=1e-5), (one, two)
    a, b = final_weights(tmp_path / "one", 1), final_weights(tmp_path / "two", 1)
    for k in a:
        # float summation order differs (~1e-4); per-process batch norm would differ by 1e-2..4e-1
        assert (a[k] - b[k]).abs().max() <= 1e-3 * a[k].abs().max() + 1e-6, k


def test_bf16_follows_fp32(tmp_path, davis):
    """bf16 autocast changes the numbers a little, not the training: same first steps within 1 %."""
    base = {**TINY, "epochs": 1, "pairs_per_epoch": 16, "val_pairs": 0, "val_fraction": 0.0}
    train(TrainConfig(**base), [f"davis={davis}"], tmp_path / "fp32", progress=False)
    train(TrainConfig(**{**base, "precision": "bf16"}), [f"davis={davis}"], tmp_path / "bf16", progress=False)
    a, b = np.array(steps(tmp_path / "fp32")), np.array(steps(tmp_path / "bf16"))
    assert len(a) == len(b) == 4 and not np.array_equal(a, b)
    assert np.allclose(a, b, rtol=0.01), (a, b)  # measured: within 0.05 %


def test_workers_and_disk_crops_give_the_same_run(tmp_path, davis):
    """Pairs are a function of (seed, index): DataLoader workers and reading crops at each use change nothing."""
    base = {**TINY, "epochs": 1, "val_pairs": 0, "val_fraction": 0.0}
    train(TrainConfig(**base), [f"davis={davis}"], tmp_path / "ram", progress=False)
    train(
        TrainConfig(**{**base, "workers": 1, "cache_crops": False}),
        [f"davis={davis}"],
        tmp_path / "disk",
        progress=False,
    )
    assert steps(tmp_path / "ram") == steps(tmp_path / "disk")


def test_ddp_ranks_split_each_global_batch_exactly():
    """What DDP guarantees exactly: N ranks see, together, the very pairs one process sees."""
    from siamfc.training.distributed import DistInfo
    from siamfc.training.trainer import rank_batches

    cfg = TrainConfig(batch_size=8, pairs_per_epoch=64)
    for epoch in (1, 3):
        one = rank_batches(epoch, cfg, DistInfo(0, 1, 0))
        for world in (2, 4):
            parts = [rank_batches(epoch, cfg, DistInfo(r, world, r)) for r in range(world)]
            assert [sum((p[s] for p in parts), []) for s in range(len(one))] == one


@pytest.mark.slow
@requires_shared
def test_ddp_on_real_data_in_the_default_precision(tmp_path):
    """2 CPU ranks against 1 process on real DAVIS videos, default config precision (bf16): the
    first step's loss agrees within bf16 rounding, the next steps within a looser bound, and the
    weights after 3 steps are close but not equal. docs/training.md states exactly this."""
    root = tmp_path / "davis"
    root.mkdir()
    for name in ("bear", "blackswan", "bmx-bumps"):
        (root / name).symlink_to(TRAIN / "davis2016" / name)
    assert TrainConfig().precision == "bf16"
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "epochs": 1,
                "pairs_per_epoch": 24,
                "batch_size": 8,
                "val_pairs": 0,
                "val_fraction": 0.0,
                "threads": 1,
                "seed": 0,
            }
        )
    )
    args = ["-m", "siamfc", "train", "--config", str(cfg), "--data", f"davis={root}", "--no-progress"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    # Both runs in fresh processes, as a user runs them (the test process may hold other libraries'
    # threads and kernels, e.g. OpenVINO's, loaded by earlier tests).
    # The runs' exits send this process SIGCHLD. After an earlier test has trained with DataLoader
    # workers in this process, torch's Python-level SIGCHLD handler is installed here, and in full
    # suite runs delivering it killed pytest: SIGSEGV with si_code SI_KERNEL (a signal the kernel
    # could not deliver, not a fault), the main thread asleep in subprocess.wait, no thread faulting
    # (core dump, 3 of 3 full runs). With SIGCHLD at its default while the runs go, full runs pass.
    previous = signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    try:
        for command, out in (
            ([], "one"),
            (["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"], "two"),
        ):
            done = subprocess.run(
                [sys.executable, *command, *args, "--out", str(tmp_path / out)],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                start_new_session=True,
            )
            assert done.returncode == 0, done.stderr[-2000:]
    finally:
        signal.signal(signal.SIGCHLD, previous)
    one, two = np.array(steps(tmp_path / "one")), np.array(steps(tmp_path / "two"))
    rel = np.abs(one - two) / np.abs(one)
    assert len(one) == len(two) == 3
    assert rel[0] < 1e-3 and rel.max() < 1e-2, rel  # measured: 8e-6, then 3e-4
    a, b = final_weights(tmp_path / "one", 1), final_weights(tmp_path / "two", 1)
    diff = {k: ((a[k] - b[k]).abs().max() / (a[k].abs().max() + 1e-12)).item() for k in a}
    # Convolution weights and batch-norm statistics: measured up to 4e-3 and 1.4e-2 of their maximum.
    # (Biases of conv1-4 are left out: batch norm cancels them, so no gradient holds them to anything.)
    assert max(v for k, v in diff.items() if k.endswith(".0.weight")) < 1e-2, diff
    assert max(v for k, v in diff.items() if "running" in k) < 5e-2, diff
