"""Regression guard for the shipped weights: they must keep tracking real sequences well.

The thresholds sit below the scores measured when the weights were shipped (model card
``scores``), with room for floating-point differences between CPUs, but far above an untrained
network (AUC 0.01-0.2 on these sequences): a broken tracker, crop, or weights file fails them.
"""
from __future__ import annotations

import json

import pytest

from conftest import BENCH, requires_shared
from siamfc.data.vot import load_vot_sequence
from siamfc.demo import demo_sequence
from siamfc.evaluation.ope import score_sequence
from siamfc.evaluation.runner import track_one_pass
from siamfc.model.weights import DEFAULT_WEIGHTS, card_path
from siamfc.tracking import SiamFCTracker


def test_weights_and_card_are_shipped():
    assert DEFAULT_WEIGHTS.is_file(), "the package must ship trained weights"
    card = json.loads(card_path(DEFAULT_WEIGHTS).read_text())
    for key in ("architecture", "training_data", "schedule", "hardware", "scores", "reproduce", "date"):
        assert key in card, f"model card lacks {key!r}"
    assert card["schedule"]["pairs_seen"] > 0
    assert 0 < card["scores"]["validation_auc"] <= 1


def _auc(tracker, seq) -> float:
    return score_sequence(track_one_pass(tracker, seq).boxes, seq.boxes, name=seq.name).auc


@pytest.mark.slow
def test_shipped_weights_track_the_bundled_sequence():
    # OTB Crossing (bundled, no ../shared needed): measured AUC 0.578 in fp32 when shipped.
    seq = demo_sequence()
    fp32 = _auc(SiamFCTracker(backend="torch", precision="fp32"), seq)
    assert fp32 > 0.50
    # The default (fastest) engine, bf16 where the CPU has it, tracks as well as fp32
    # (all bench sequences: benchmarks/precision_accuracy.py, README).
    assert abs(_auc(SiamFCTracker(), seq) - fp32) < 0.005


@pytest.mark.slow
@requires_shared
def test_shipped_weights_track_vot_bag():
    # VOT-2015 bag against its polygons' bounding boxes: measured AUC 0.697 when shipped.
    seq = load_vot_sequence(BENCH / "vot2015" / "bag")
    traj = track_one_pass(SiamFCTracker(), seq)
    assert score_sequence(traj.boxes, seq.boxes, name=seq.name).auc > 0.60
