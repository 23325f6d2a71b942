"""The automatic choices are decided where the project says: ``precision auto`` runs int8 or bf16
only for weights whose check on held-out video holds with the running OpenVINO / PyTorch; users can
make that check (``siamfc export --check``); an export folder runs only the weights and precision it
holds; the measured ranking survives a busy machine and a winner that no longer builds."""

from __future__ import annotations

import importlib.util
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import BENCH, HAS_NNCF, HAS_OV, ROOT, requires_shared

from siamfc.errors import ConfigError
from siamfc.model.weights import SHIPPED, card_path, load_weights, read_card, resolve_weights, save_weights
from siamfc.runtime import create_engine, select
from siamfc.runtime.export import read_manifest, weights_digest, write_manifest

# What is new is imported inside the tests, so that each test fails on its own without it.

needs_ov = pytest.mark.skipif(not HAS_OV, reason="openvino backend not installed: pip install openvino")


def running_versions() -> dict:
    from siamfc.runtime.checks import running_versions

    return running_versions()


def check_problem(*args, **kwargs):
    from siamfc.runtime.checks import check_problem

    return check_problem(*args, **kwargs)


def _check(digest, precision, backend="openvino", passed=True, **changes) -> dict:
    """A check as the measurement records it (the fields ``auto`` reads)."""
    check = {
        "passed": passed,
        "precision": precision,
        "backend": backend,
        "weights_digest": digest,
        "versions": running_versions(),
        "summary": "made by the test",
    }
    return {**check, **changes}


def _record_in_card(weights, check) -> None:
    card = read_card(weights)
    card.setdefault("checks", {})["bf16"] = check
    card_path(weights).write_text(json.dumps(card))


def _record_in_graph(folder, **changes) -> None:
    manifest = read_manifest(folder)
    write_manifest(folder, {k: v for k, v in manifest.items() if k != "files"} | changes, list(manifest["files"]))


class _Offered:
    """Stands in for :func:`select.fastest`: records the candidates ``auto`` offers, builds nothing."""

    def __init__(self):
        self.offered = []

    def __call__(self, backend, precisions, build, threads=None):
        self.offered.append(list(precisions))
        return self

    def warm_up(self, scales):
        pass


@pytest.fixture
def own_weights(tmp_path):
    """Weights no shipped card or graph was made for (the default ones, changed a little), saved with a card."""
    model = load_weights()
    with torch.no_grad():
        model.backbone.conv1[0].weight.mul_(1.01)
    return model, save_weights(model, tmp_path / "mine.safetensors")


# -- the checks auto reads --------------------------------------------------------------------------
def test_a_check_holds_only_for_its_weights_backend_and_runtime_release():
    ok = _check("abc", "int8")
    assert check_problem(ok, precision="int8", backend="openvino", digest="abc") is None
    assert "no int8 check" in check_problem(None, precision="int8", backend="openvino", digest="abc")
    assert "other weights" in check_problem(ok, precision="int8", backend="openvino", digest="xyz")
    assert "made on openvino, not torch" in check_problem(
        _check("abc", "bf16"), precision="bf16", backend="torch", digest="abc"
    )
    old = _check("abc", "int8", versions=dict(running_versions(), openvino="2023.0.0"))
    problem = check_problem(old, precision="int8", backend="openvino", digest="abc")
    assert "made with openvino 2023.0.0" in problem and "check it again" in problem
    failed = _check("abc", "int8", passed=False)
    assert "outside the bound" in check_problem(failed, precision="int8", backend="openvino", digest="abc")
    # a bench-based record of the kind shipped before (within_bound) is no check at all
    assert "no int8 check" in check_problem({"within_bound": True}, precision="int8", backend="openvino", digest="abc")


def test_bf16_is_offered_only_with_a_check_that_holds(own_weights, monkeypatch, caplog):
    model, mine = own_weights
    digest = weights_digest(model)
    monkeypatch.setattr(select, "cpu_has_bf16", lambda: True)
    monkeypatch.setattr(select, "cpu_has_int8", lambda: False)
    spy = _Offered()
    monkeypatch.setattr(select, "fastest", spy)

    def offered():
        create_engine(weights=mine, backend="torch", precision="auto", warm_up_scales=None)
        return "bf16" in spy.offered[-1]

    assert not offered()  # no check: AlexNet weights alone no longer mean bf16
    _record_in_card(mine, _check(digest, "bf16", backend="torch"))
    assert offered()
    _record_in_card(mine, _check(digest, "bf16", backend="torch", passed=False))
    assert not offered()
    _record_in_card(mine, _check(digest, "bf16", backend="openvino"))  # checked on another backend
    assert not offered()
    stale = _check(digest, "bf16", backend="torch", versions=dict(running_versions(), torch="1.0.0"))
    _record_in_card(mine, stale)
    monkeypatch.setattr(select, "_said", set())
    with caplog.at_level(logging.INFO, logger="siamfc"):
        assert not offered()
    lines = [r.getMessage() for r in caplog.records if r.name == "siamfc"]
    assert len(lines) == 1 and "made with torch 1.0.0" in lines[0] and "--check VIDEOS" in lines[0]


@needs_ov
def test_auto_offers_int8_only_with_a_check_on_held_out_video_that_holds(own_weights, tmp_path, monkeypatch, caplog):
    """The shipped graph of other weights stands in for one of these (only its manifest is read)."""
    import siamfc.model.weights as weights_module

    model, mine = own_weights
    digest = weights_digest(model)
    graph = shutil.copytree(resolve_weights("scratch").with_suffix(".int8"), tmp_path / "mine.int8")
    _record_in_graph(graph, weights_digest=digest, accuracy={"within_bound": True})
    monkeypatch.setattr(weights_module, "shipped_int8_exports", lambda: [])
    monkeypatch.setattr(select, "cpu_has_int8", lambda: True)
    spy = _Offered()
    monkeypatch.setattr(select, "fastest", spy)

    def offered():
        create_engine(weights=mine, backend="openvino", precision="auto", warm_up_scales=None)
        return "int8" in spy.offered[-1]

    assert not offered()  # the bench's within_bound decides nothing
    from siamfc.runtime.quantize import record_check

    record_check(graph, _check(digest, "int8"))
    assert "accuracy" not in read_manifest(graph) and offered()
    record_check(graph, _check(digest, "int8", passed=False))
    assert not offered()
    record_check(graph, _check(digest, "int8", versions=dict(running_versions(), openvino="2023.0.0")))
    monkeypatch.setattr(select, "_said", set())
    with caplog.at_level(logging.INFO, logger="siamfc"):
        assert not offered()
    lines = [r.getMessage() for r in caplog.records if r.name == "siamfc"]
    assert len(lines) == 1 and "openvino 2023.0.0" in lines[0] and "siamfc export" in lines[0]


# -- what ships ---------------------------------------------------------------------------------------
def _bench_names() -> set:
    return {p.name for layout in BENCH.iterdir() if layout.is_dir() for p in layout.iterdir()}


@pytest.mark.parametrize("name", list(SHIPPED))
def test_each_shipped_check_was_made_on_the_held_out_videos_and_says_so(name):
    """int8 (in the graph's manifest) and bf16 (in the card) for every shipped weights file: made on
    the videos runs e4 and e5 held out, on OpenVINO, with the versions recorded, the verdict the
    bound's, and the committed output the docs cite."""
    from siamfc.evaluation.precision_check import BOUND
    from siamfc.runtime.select import bf16_check, int8_export

    model = load_weights(name)
    digest = weights_digest(model)
    folder, manifest = int8_export(model, name)
    assert folder is not None, manifest
    held_out = sorted((ROOT / "runs" / "e5_finetune_paper" / "val_videos.txt").read_text().split())
    assert held_out == sorted((ROOT / "runs" / "e4_scratch_all" / "val_videos.txt").read_text().split())
    card = read_card(name)
    for precision, check in (("int8", manifest.get("check")), ("bf16", bf16_check(digest, name))):
        assert check and check["precision"] == precision and check["backend"] == "openvino", f"{name} {precision}"
        assert check["weights_digest"] == digest and check["data"]["videos"] == held_out
        assert set(check["versions"]) == {"openvino", "nncf", "torch"} and check["versions"]["openvino"]
        measure = check["measure"]
        assert check["passed"] == all(measure[key] <= limit for key, limit in check["bound"].items() if key in BOUND)
        assert check["bound"]["peak_moved_fraction"] == BOUND["peak_moved_fraction"]
        results = json.loads((ROOT / check["results"]).read_text())
        assert results["weights"][name][precision]["passed"] == check["passed"]
        assert results["data"]["videos"] == held_out
    assert card["int8"]["check"] == manifest["check"]
    assert "accuracy" not in manifest and "accuracy" not in card["int8"]


@requires_shared
def test_no_bench_sequence_is_among_the_held_out_videos():
    held_out = (ROOT / "runs" / "e5_finetune_paper" / "val_videos.txt").read_text().split()
    assert not {v.split(":", 1)[1] for v in held_out} & _bench_names()


def test_check_windows_cover_every_usable_frame_once():
    from siamfc.apps.demo import demo_sequence
    from siamfc.evaluation.precision_check import check_windows

    seq = demo_sequence()
    usable = np.ones(len(seq), bool)
    usable[:3] = False  # the target absent at first: the first window starts where it is seen
    windows = check_windows([seq], {seq.name: usable}, window=25, min_frames=10)
    assert windows[0].start == 3 and all(w.end == n.start for w, n in zip(windows, windows[1:]))
    assert windows[-1].end == len(seq) and all(w.end - w.start >= 10 for w in windows)
    assert all(w.end - w.start < 25 + 10 for w in windows)


# -- siamfc export --check -------------------------------------------------------------------------
@pytest.mark.skipif(not HAS_NNCF, reason="making int8 graphs needs NNCF: pip install 'siamfc[quantize]'")
@pytest.mark.skipif(not select.cpu_has_int8(), reason="this CPU has no int8 dot-product instructions")
def test_export_int8_for_the_shipped_weights_lands_where_the_lookup_finds_it_and_records_its_check(
    tmp_path, monkeypatch, capsys
):
    from readers_fixtures import write_otb_root

    from siamfc.apps.cli import main

    monkeypatch.setenv("SIAMFC_CACHE", str(tmp_path / "cache"))
    calibrate = write_otb_root(tmp_path / "train", ["a", "b", "c"], 12)
    held_out = write_otb_root(tmp_path / "held_out", ["d"], 14)
    assert main(["export", "--precision", "int8", "--calibrate", f"otb={calibrate}", "--check", f"otb={held_out}"]) == 0
    model = load_weights()
    folder = select.int8_cache(weights_digest(model))
    assert select.int8_export(model)[0] == folder  # found first: before the shipped graph
    check = read_manifest(folder)["check"]
    assert check["precision"] == "int8" and check["data"]["videos"] == [f"otb={held_out.resolve()}"]
    assert check["weights_digest"] == weights_digest(model) and check["versions"] == running_versions()
    assert "int8 check: peak moved on" in capsys.readouterr().out
    assert (
        main(["export", "--precision", "int8", "--calibrate", f"otb={calibrate}", "--check", f"otb={calibrate}"]) == 2
    )
    assert "--check needs video held out from the calibration" in capsys.readouterr().err


@needs_ov
@pytest.mark.skipif(not select.cpu_has_bf16(), reason="this CPU has no bf16 instructions")
def test_export_check_records_a_bf16_check_in_the_model_card(own_weights, tmp_path, capsys):
    from readers_fixtures import write_otb_root

    from siamfc.apps.cli import main

    model, mine = own_weights
    held_out = write_otb_root(tmp_path / "held_out", ["d"], 12)
    assert main(["export", "--weights", str(mine), "--precision", "bf16", "--check", f"otb={held_out}"]) == 0
    check = read_card(mine)["checks"]["bf16"]
    assert check["backend"] == "openvino" and check["weights_digest"] == weights_digest(model)
    assert check["measure"]["windows"] == 1 and check["measure"]["frames"] == 11
    assert check_problem(check, precision="bf16", backend="openvino", digest=weights_digest(model)) in (
        None,
        f"its bf16 check on held-out video is outside the bound ({check['summary']})",
    )
    capsys.readouterr()
    assert main(["export", "--weights", str(mine), "--precision", "bf16"]) == 2
    assert "give --check VIDEOS" in capsys.readouterr().err
    assert main(["export", "--check", f"otb={held_out}"]) == 2
    assert "--check is for --precision int8 or bf16" in capsys.readouterr().err


# -- an export folder runs what it holds ------------------------------------------------------------
@needs_ov
def test_an_export_folder_runs_only_its_own_weights_and_precision(tmp_path, monkeypatch):
    from siamfc.runtime import export

    scratch_int8 = resolve_weights("scratch").with_suffix(".int8")
    with pytest.raises(ConfigError, match="holds an int8 graph: run it with precision int8"):
        create_engine(backend="auto", precision="fp32", exported=scratch_int8)
    with pytest.raises(ConfigError, match="was exported from other weights"):
        create_engine(weights="paper", backend="openvino", precision="int8", exported=scratch_int8)
    with pytest.raises(ConfigError, match="was exported from other weights"):
        create_engine(load_weights("paper"), backend="auto", exported=scratch_int8)
    fp32 = export(load_weights("scratch"), tmp_path / "fp32", format="openvino")
    with pytest.raises(ConfigError, match="holds fp32 graphs: precision int8 needs an int8 export"):
        create_engine(backend="openvino", precision="int8", exported=fp32)
    with pytest.raises(ConfigError, match="was exported from other weights"):
        create_engine(weights="paper", backend="openvino", precision="fp32", exported=fp32)
    # the CPU check runs on what auto resolved to: an int8 folder is int8
    monkeypatch.setenv("SIAMFC_CPU_INT8", "0")
    with pytest.raises(ConfigError, match="int8 needs a CPU with int8 dot-product instructions"):
        create_engine(backend="auto", precision="auto", exported=scratch_int8)


@needs_ov
def test_a_tracker_running_an_export_folder_crops_as_the_folder_was_made_for(monkeypatch):
    from siamfc.tracking import SiamFCTracker

    monkeypatch.setenv("SIAMFC_CPU_INT8", "1")
    scratch_int8 = resolve_weights("scratch").with_suffix(".int8")
    assert read_card("scratch")["crop_resampling"] != read_card(None)["crop_resampling"]  # else nothing to see
    tracker = SiamFCTracker(backend="openvino", exported=scratch_int8)
    assert tracker.precision == "int8" and tracker.resampling == read_card("scratch")["crop_resampling"]
    assert tracker.engine.export_dir == scratch_int8
    explicit = SiamFCTracker(backend="openvino", exported=scratch_int8, resampling="bicubic-aa")
    assert explicit.resampling == "bicubic-aa"


# -- the measured ranking ---------------------------------------------------------------------------
class _Counting:
    """A stand-in engine that records the order engines were run in."""

    def __init__(self, name, log):
        self.name, self.log, self.precision = name, log, name

    def embed(self, z):
        return None

    def score(self, kernel, x):
        self.log.append(self.name)
        return np.zeros((len(x), 17, 17), np.float32)


def test_candidates_are_timed_in_turns_and_by_the_median():
    log = []
    ms = select.time_engines({"a": _Counting("a", log), "b": _Counting("b", log)}, steps=7, warm_up=2)
    assert set(ms) == {"a", "b"} and log == ["a", "b"] * 9  # interleaved, warm-up included


def test_a_cached_winner_that_fails_to_build_falls_through_to_the_next(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("SIAMFC_CACHE", str(tmp_path))
    path, key, _ = select.autotune_entry("openvino")
    path.write_text(json.dumps({key: {"ms": {"int8": 10.0, "bf16": 30.0, "fp32": 20.0}}}))
    built = []

    def build(precision):
        built.append(precision)
        if precision == "int8":
            raise ConfigError("the int8 graph is gone")
        return _Counting(precision, [])

    monkeypatch.setattr(select, "_said", set())
    with caplog.at_level(logging.INFO, logger="siamfc"):
        engine = select.fastest("openvino", ["int8", "bf16", "fp32"], build)
    assert engine.precision == "fp32" and built == ["int8", "fp32"]  # the next in the measured order, not bf16
    lines = [r.getMessage() for r in caplog.records if r.name == "siamfc"]
    assert len(lines) == 1 and "the cached fastest, int8, failed to build" in lines[0]


def test_bench_says_which_ranking_is_cached_and_how_to_measure_again(tmp_path, monkeypatch):
    from siamfc.apps.bench import autotune_note

    monkeypatch.setenv("SIAMFC_CACHE", str(tmp_path))
    line, entry = autotune_note("openvino")
    assert entry is None and "no ranking cached" in line
    path, key, _ = select.autotune_entry("openvino")
    path.write_text(json.dumps({key: {"ms": {"int8": 10.0, "fp32": 20.0}, "measured": "today"}}))
    line, entry = autotune_note("openvino")
    assert "int8 10.0 ms, fp32 20.0 ms" in line and "siamfc bench --retune" in line and entry["key"] == key
    assert select.forget_autotune() == path and not path.exists()


# -- the default-weights rule compares weights on one engine -----------------------------------------
def test_validate_weights_pins_one_engine(capsys):
    spec = importlib.util.spec_from_file_location("validate_weights", ROOT / "scripts" / "validate_weights.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    args = script.parse_args(["runs/e5_finetune_paper", "--weights", "paper", "--json", "x.json"])
    assert (args.backend, args.precision) == ("torch", "fp32")
    for option in (["--backend", "auto"], ["--precision", "auto"]):
        with pytest.raises(SystemExit):
            script.parse_args(["runs/e5_finetune_paper", "--weights", "paper", "--json", "x.json", *option])
    assert "invalid choice: 'auto'" in capsys.readouterr().err


def test_check_results_in_docs_are_committed_outputs():
    """Each check's ``results`` names a committed output made by the command the check records."""
    for name in SHIPPED:
        card = read_card(name)
        check = card["checks"]["bf16"]
        results = json.loads(Path(ROOT / check["results"]).read_text())
        assert results["made_by"]["command"] == check["made_by"]
