"""siamfc bench's bookkeeping (not a timing test): every configuration tracks the same frames,
speed-ups are relative to the first (the reference), FLOPs are counted right."""

from __future__ import annotations

import numpy as np
import pytest

from siamfc.apps.bench import (
    Timing,
    demo_frames,
    format_table,
    rows_for,
    run_bench,
    step_flops,
)
from siamfc.model import SiamFC
from siamfc.tracking.tracker import TrackResult


class CountingTracker:
    def __init__(self):
        self.frames = []
        self.last_timings = (0.001, 0.002, 0.0005)

    def init(self, frame, box):
        self.frames.append(frame)

    def update(self, frame):
        self.frames.append(frame)
        return TrackResult((0.0, 0.0, 1.0, 1.0), 0.0)


def test_every_configuration_tracks_the_same_frames_and_speedups_are_relative_to_the_reference():
    frames, box = demo_frames(12)
    made = []

    def factory():
        made.append(CountingTracker())
        return made[-1]

    timings = run_bench({"ref": factory, "fast": factory}, frames, box, rounds=2)
    assert [t.name for t in timings] == ["ref", "fast"] and len(made) == 2  # built once, tracked in 2 rounds
    for t in made:
        assert len(t.frames) == 24 and all(a is b for a, b in zip(t.frames, frames + frames))
    assert timings[0].crop_ms == pytest.approx(1.0) and timings[0].network_ms == pytest.approx(2.0)
    rows = rows_for(timings, flops=2e9, rates={"fp32": 100.0, "bf16": 200.0, "int8": 400.0})
    assert rows[0]["speedup"] == 1.0 and rows[1]["speedup"] == pytest.approx(timings[0].step_ms / timings[1].step_ms)
    assert rows[0]["gflops"] == pytest.approx(1000.0) and rows[0]["rate_fraction"] == pytest.approx(10.0)
    table = format_table(rows)
    assert "| ref |" in table and "| fast |" in table


def test_speedup_uses_the_precision_of_each_engine():
    t = [
        Timing("a", "3s", "torch fp32", 0, 0, 1, 10, 1, 12),
        Timing("b", "3s", "openvino bf16", 0, 0, 1, 5, 1, 6),
        Timing("c", "3s", "openvino int8", 0, 0, 1, 2, 1, 4),
    ]
    rows = rows_for(t, flops=1e9, rates={"fp32": 100.0, "bf16": 400.0, "int8": 1000.0})
    assert rows[0]["rate_fraction"] == pytest.approx(1.0) and rows[1]["rate_fraction"] == pytest.approx(0.5)
    assert rows[2]["rate_fraction"] == pytest.approx(0.5)  # int8 against the int8 GEMM rate
    assert rows[1]["speedup"] == pytest.approx(2.0) and rows[1]["fps"] == pytest.approx(1000 / 6)


def test_frames_are_resized_with_their_box():
    (small, *_), box = demo_frames(2)
    (big, *_), big_box = demo_frames(2, size=(640, 360))
    assert big.shape == (360, 640, 3)
    sx, sy = 640 / small.shape[1], 360 / small.shape[0]
    np.testing.assert_allclose(big_box, np.array(box) * [sx, sy, sx, sy])


def test_step_flops_match_the_architecture():
    # Hand count: conv1..5 on 255x255 = 2.72 G multiply-adds; 3 scales, x2 = 16.3 GFLOP (+ 8 MFLOP correlation).
    flops = step_flops(SiamFC(), 3)
    assert 16.2e9 < flops < 16.5e9
    assert step_flops(SiamFC(), 5) == pytest.approx(flops * 5 / 3)
