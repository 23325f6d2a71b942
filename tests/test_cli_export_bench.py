"""`siamfc export` and `siamfc bench` end to end (bookkeeping and files, never timings)."""

from __future__ import annotations

import json

import pytest

from siamfc.apps.cli import main
from siamfc.runtime import cpu_has_bf16


@pytest.mark.openvino
def test_export_openvino_then_track_with_it(tmp_path, capsys):
    out = tmp_path / "ov"
    assert main(["export", "--format", "openvino", "--out", str(out)]) == 0
    assert {"backbone.onnx", "correlation.onnx", "backbone.xml", "correlation.xml", "export.json"} <= {
        p.name for p in out.iterdir()
    }
    from siamfc.apps.bench import demo_frames
    from siamfc.tracking import SiamFCTracker

    frames, box = demo_frames(3)
    tracker = SiamFCTracker(backend="openvino", exported=out, precision="fp32")
    tracker.init(frames[0], box)
    assert tracker.update(frames[1]).box[2] > 0


def test_export_to_an_unwritable_place_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert main(["export", "--out", str(tmp_path / "file" / "sub")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("siamfc export: error: cannot write the export to") and "\n" not in err


def test_bench_prints_and_writes_every_number(tmp_path, capsys):
    out = tmp_path / "bench.json"
    configs = ["torch fp32"] + (["torch bf16"] if cpu_has_bf16() else [])
    assert (
        main(
            [
                "bench",
                "--frames",
                "6",
                "--rounds",
                "1",
                "--params",
                "3s",
                "--size",
                "320x180",
                "--configs",
                *configs,
                "--json",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    report = json.loads(out.read_text())
    rows = report["results"]["3s"]["rows"]
    assert [r["config"] for r in rows] == ["reference (torch fp32 eager, channels-first)", *configs]
    assert rows[0]["speedup"] == 1.0 and report["size"] == [320, 180]
    for r in rows:
        assert r["fps"] > 0 and r["network_ms"] > 0 and 0 < r["rate_fraction"] and r["config"] in printed
        assert r["crop_ms"] > 0 and r["post_ms"] > 0 and r["first_frame_ms"] > 0 and r["setup_s"] >= 0
    assert (
        set(report["reference_rates_gflops"]) == {"fp32", "bf16", "int8"}
        and 16.2 < report["results"]["3s"]["step_gflop"] < 16.5
    )
    made = report["made_by"]  # what made the file: command, version, weights and their hash
    assert (
        made["command"]
        == f"siamfc bench --frames 6 --rounds 1 --params 3s --size 320x180 --configs "
        f"{' '.join(repr(c) if ' ' in c else c for c in configs)} --json {out}".replace('"', "'")
    )
    assert made["siamfc_version"] and made["weights"].endswith(".safetensors") and len(made["weights_sha256"]) == 64
    assert [p.name for p in tmp_path.iterdir()] == ["bench.json"]  # written atomically: no temporary left


def test_bench_rejects_a_bad_size(capsys):
    assert main(["bench", "--size", "640by360"]) == 2
    assert "--size must be WIDTHxHEIGHT" in capsys.readouterr().err
