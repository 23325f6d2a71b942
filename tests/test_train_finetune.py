"""Fine-tuning (start from weights, frozen batch norm, frozen layers), the crop-cache limit and the
OTB-style / UAV123 training readers, on tiny synthetic data."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from train_fixtures import write_davis

from siamfc.apps.cli import main
from siamfc.errors import ConfigError, DataError, WeightsError
from siamfc.model.weights import load_weights, save_weights
from siamfc.training import TrainConfig, train
from siamfc.training.data import load_sequences, split_and_filter
from siamfc.training.trainer import build_model

TINY = dict(
    epochs=1, pairs_per_epoch=8, batch_size=4, val_pairs=0, val_fraction=0.0, precision="fp32", threads=1, seed=0
)


@pytest.fixture(scope="module")
def davis(tmp_path_factory):
    return write_davis(tmp_path_factory.mktemp("ft") / "davis", videos=3, frames=6)


@pytest.fixture(scope="module")
def start_weights(tmp_path_factory):
    """A network with non-identity batch-norm statistics, saved as a weights file."""
    model = build_model(TrainConfig(**TINY))
    g = torch.Generator().manual_seed(3)
    for i in range(1, 5):
        bn = getattr(model.backbone, f"conv{i}")[1]
        bn.running_mean.copy_(torch.randn(bn.num_features, generator=g))
        bn.running_var.copy_(torch.rand(bn.num_features, generator=g) + 0.5)
    return save_weights(model.eval(), tmp_path_factory.mktemp("start") / "start.safetensors")


def _state(path):
    return {k: v.clone() for k, v in load_weights(path).state_dict().items()}


def test_finetune_keeps_frozen_layers_and_batch_norm(tmp_path, davis, start_weights):
    cfg = TrainConfig(
        **TINY,
        init_from=str(start_weights),
        batchnorm="frozen",
        freeze=["conv1", "conv2"],
        lr_initial=1e-3,
        lr_final=1e-3,
    )
    train(cfg, [f"davis={davis}"], tmp_path / "run", progress=False)
    before, after = _state(start_weights), _state(tmp_path / "run" / "weights" / "epoch_001.safetensors")
    for key in before:
        same = torch.equal(before[key], after[key])
        if key.startswith(("backbone.conv1.", "backbone.conv2.")) or ".1." in key:
            assert same, f"{key} must stay fixed (frozen layer or frozen batch norm)"
        elif key.endswith("0.weight") and key.startswith(("backbone.conv3", "backbone.conv4", "backbone.conv5")):
            assert not same, f"{key} must be trained"


def test_training_mode_batch_norm_moves_the_statistics(tmp_path, davis, start_weights):
    # The default (from-scratch) behaviour is unchanged: BN statistics follow the batches.
    cfg = TrainConfig(**TINY, init_from=str(start_weights), lr_initial=1e-3, lr_final=1e-3)
    train(cfg, [f"davis={davis}"], tmp_path / "run", progress=False)
    before, after = _state(start_weights), _state(tmp_path / "run" / "weights" / "epoch_001.safetensors")
    assert not torch.equal(before["backbone.conv1.1.running_mean"], after["backbone.conv1.1.running_mean"])


def test_finetune_from_a_missing_or_unknown_start_is_an_error(tmp_path, davis):
    with pytest.raises(WeightsError, match="unknown weights name 'nope'"):
        train(TrainConfig(**TINY, init_from="nope"), [f"davis={davis}"], tmp_path / "a", progress=False)
    with pytest.raises(WeightsError, match="not found"):
        train(
            TrainConfig(**TINY, init_from=str(tmp_path / "x.safetensors")),
            [f"davis={davis}"],
            tmp_path / "b",
            progress=False,
        )
    with pytest.raises(ConfigError, match="freeze: unknown layer"):
        TrainConfig(**TINY, freeze=["conv9"])


def test_crop_cache_over_its_limit_reads_from_disk_with_the_same_pairs(tmp_path, davis):
    logs = []
    train(TrainConfig(**TINY), [f"davis={davis}"], tmp_path / "ram", progress=False)
    train(
        TrainConfig(**TINY, cache_limit_mib=0), [f"davis={davis}"], tmp_path / "disk", progress=False, log=logs.append
    )
    assert any("reading crops from disk" in line for line in logs)
    read = lambda run: [r["loss"] for r in csv.DictReader(open(run / "steps.csv"))]  # noqa: E731
    assert read(tmp_path / "ram") == read(tmp_path / "disk")


def write_otb_style(root: Path, name: str, first: int, rows: list[str], size=(96, 72)) -> Path:
    """``root/<name>/img/NNNNNN.jpg`` numbered from ``first`` (a sub-sequence keeps its original names)."""
    d = root / name / "img"
    d.mkdir(parents=True)
    rng = np.random.default_rng(first)
    for k in range(len(rows)):
        cv2.imwrite(str(d / f"{first + k:06d}.jpg"), rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    (root / name / "groundtruth_rect.txt").write_text("\n".join(rows) + "\n")
    return root / name


def test_uav123_sub_sequences_nan_rows_and_videos(tmp_path):
    root = tmp_path / "uav123_10fps"
    write_otb_style(root, "car16_1", 1, ["10,10,20,20"] * 4)
    write_otb_style(root, "car16_2", 139, ["12,10,20,20", "NaN,NaN,NaN,NaN", "14,10,20,20", "15,10,20,20"])
    write_otb_style(root, "bike1", 1, ["5,5,20,30"] * 4)
    seqs = {s.name: s for s in load_sequences([f"uav123={root}"])}
    assert [f.name for f in seqs["uav123:car16_2"].frames][:2] == ["000139.jpg", "000140.jpg"]
    assert seqs["uav123:car16_2"].valid.tolist() == [True, False, True, True]
    # The two parts of car16 share frames: one video, held out together.
    assert seqs["uav123:car16_1"].meta["video"] == seqs["uav123:car16_2"].meta["video"] == "uav123:car16"
    split = split_and_filter(list(seqs.values()), TrainConfig(**{**TINY, "val_fraction": 0.5}))
    held = {s.meta["video"] for s in split.val}
    assert all(s.meta["video"] not in held for s in split.train)


def test_otb_style_training_folder_and_row_mismatch(tmp_path, capsys):
    root = tmp_path / "otb"
    write_otb_style(root, "Dog", 1, ["10,10,20,20"] * 5)
    assert [s.name for s in load_sequences([f"otb={root}"])] == ["otb:Dog"]
    write_otb_style(root, "Bird2", 1, ["10,10,20,20"] * 3)
    (root / "Bird2" / "groundtruth_rect.txt").write_text("10,10,20,20\n" * 2)  # 2 rows for 3 frames
    with pytest.raises(DataError, match="2 rows but Bird2 has 3 frames"):
        load_sequences([f"otb={root}"])
    out = tmp_path / "run"
    assert main(["train", "--data", f"otb={root}", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "rows" in err[0]
    assert not out.exists(), "no partial run folder"
