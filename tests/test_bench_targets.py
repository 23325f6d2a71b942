"""`siamfc bench --targets`: batched against separate trackers (bookkeeping and files, never timings)."""

from __future__ import annotations

import json

import numpy as np
from synthetic_scene import PooledPixels, Scene

from siamfc.apps.bench_targets import compare_targets, target_boxes
from siamfc.apps.cli import main
from siamfc.model import SiamFC
from siamfc.runtime import TorchEngine


def test_target_boxes_are_spread_across_the_frame_at_the_first_box_size():
    boxes = target_boxes((204.0, 150.0, 17.0, 50.0), 4, 360)
    assert boxes[0] == (204.0, 150.0, 17.0, 50.0)
    assert all(b[1:] == (150.0, 17.0, 50.0) and 0 <= b[0] <= 360 - 17 for b in boxes)
    xs = sorted(b[0] for b in boxes)
    assert min(np.diff(xs)) > 17  # no two overlap


def test_compare_targets_times_both_sides_on_the_same_boxes():
    engine = TorchEngine(SiamFC(PooledPixels()), "fp32", fuse=False)
    scene = Scene(0)
    frames = [scene.frame((160 + 2 * i, 120)) for i in range(6)]
    row = compare_targets(engine, frames, target_boxes(Scene.box((160, 120)), 3, 320), rounds=2)
    assert row["targets"] == 3 and len(row["round_ratios"]) == 2 and row["ratio"] > 0 and row["ratio_1_worker"] > 0
    assert row["max_box_difference_px"] < 1e-6  # the same tracking on every side
    for side in ("batched", "batched_1_worker", "separate"):
        s = row[side]
        assert len(s["pass_step_ms"]) == 2 and s["fps"] == 1000 / s["step_ms"]
        assert s["crop_ms"] > 0 and s["network_ms"] > 0 and s["post_ms"] > 0


def test_bench_targets_writes_every_number_with_its_command(tmp_path, capsys):
    out = tmp_path / "targets.json"
    argv = ["bench", "--targets", "1", "2", "--frames", "5", "--rounds", "1", "--size", "320x180"]
    assert main([*argv, "--configs", "torch fp32", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    report = json.loads(out.read_text())
    result = report["results"]["torch fp32"]["3s"]
    assert [r["targets"] for r in result["rows"]] == [1, 2] and result["engine"].startswith("torch fp32")
    assert result["rows"][0]["max_box_difference_px"] == 0  # one target: the single tracker exactly
    assert "AMX flags" in report["isa"] and report["size"] == [320, 180] and "× separate" in printed
    assert len(report["load_average_before"]) == len(report["load_average_after"]) == 3
    assert report["made_by"]["command"] == " ".join(["siamfc", *argv, "--configs", "'torch fp32'", "--json", str(out)])
