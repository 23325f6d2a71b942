"""int8: the NNCF-quantised backbone tracks like fp32, is only used with the weights it was calibrated
for, and every way it can be missing, stale or corrupt ends in a fall-back or an error that says why."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import torch
from conftest import HAS_ORT, NEEDS, available

from siamfc.apps.bench import demo_frames
from siamfc.apps.demo import demo_sequence
from siamfc.errors import ConfigError, WeightsError
from siamfc.model.weights import SHIPPED, load_weights, save_weights, shipped_int8_exports
from siamfc.runtime import OpenVINOEngine, create_engine, export, select
from siamfc.runtime.export import EXPORT_VERSION, read_manifest, weights_digest, write_manifest
from siamfc.tracking import SiamFCTracker

pytestmark = pytest.mark.openvino  # int8 runs on the openvino backend
needs_nncf = pytest.mark.nncf
needs_vnni = pytest.mark.int8_cpu


@pytest.fixture(scope="module")
def model():
    return load_weights()


@pytest.fixture(scope="module")
def int8_dir(model, tmp_path_factory):
    """An int8 graph of the default weights, calibrated on real tracker crops (the bundled sequence)."""
    if not available("nncf"):
        pytest.skip(NEEDS["nncf"][1])
    from siamfc.runtime.quantize import calibration_crops, quantize

    tmp = tmp_path_factory.mktemp("int8")
    crops = calibration_crops([demo_sequence()], frames_per_sequence=8)
    return quantize(
        export(model, tmp / "fp32", format="openvino"),
        crops,
        tmp / "default.int8",
        calibration={"data": ["the bundled Crossing sequence"]},
    )


def _auc(tracker, frames, gt):
    from siamfc.evaluation.ope import score_sequence

    boxes = [gt[0]]
    tracker.init(frames[0], gt[0])
    boxes += [tracker.update(f).box for f in frames[1:]]
    return score_sequence(np.array(boxes), gt[: len(frames)]).auc


@needs_nncf
def test_quantised_graph_is_int8_and_records_what_made_it(model, int8_dir):
    manifest = read_manifest(int8_dir)
    assert manifest["precision"] == "int8" and manifest["weights_digest"] == weights_digest(model)
    assert manifest["toolchain"]["siamfc_export"] == EXPORT_VERSION and manifest["keep_fp32"] == []
    assert manifest["calibration"]["crops"] == 1 + 8 * 3  # one exemplar, 8 frames x 3 scales
    # int8 weights on disk: about a quarter of the 2.3 M fp32 parameters' 9.3 MB
    assert (int8_dir / "backbone.bin").stat().st_size < 3_000_000
    import openvino as ov

    def int8_weights(conv) -> bool:
        """The weights input comes from an int8 constant (through Convert / Subtract / Multiply ...)."""
        todo = [conv.input_value(1).get_node()]
        for _ in range(6):
            nodes, todo = todo, []
            for node in nodes:
                if node.get_type_name() == "Constant" and node.get_element_type().get_type_name() == "i8":
                    return True
                todo += [node.input_value(i).get_node() for i in range(node.get_input_size())]
        return False

    graph = ov.Core().read_model(str(int8_dir / "backbone.xml"))
    convs = [op for op in graph.get_ops() if op.get_type_name() in ("Convolution", "GroupConvolution")]
    assert len(convs) == 5 and all(int8_weights(c) for c in convs)  # the grouped conv2, 4, 5 too
    assert sum(op.get_type_name() == "FakeQuantize" for op in graph.get_ops()) >= 5  # and their inputs


@needs_nncf
@needs_vnni
def test_int8_tracks_crossing_like_fp32(model, int8_dir):
    seq = demo_sequence()
    frames, gt = [seq.frame(i) for i in range(len(seq))], np.asarray(seq.boxes)
    fp32 = _auc(SiamFCTracker(model=model, backend="openvino", precision="fp32"), frames, gt)
    int8_tracker = SiamFCTracker(model=model, backend="openvino", precision="int8", exported=int8_dir)
    assert int8_tracker.precision == "int8"
    assert abs(_auc(int8_tracker, frames, gt) - fp32) < 0.02


@needs_nncf
def test_an_int8_graph_runs_only_as_int8(int8_dir, tmp_path):
    with pytest.raises(ConfigError, match="is an int8 export: run it with precision int8"):
        OpenVINOEngine(int8_dir, "fp32")
    from siamfc.runtime import OnnxRuntimeEngine

    if HAS_ORT:
        with pytest.raises(ConfigError, match="int8 OpenVINO export: run it with the openvino backend"):
            OnnxRuntimeEngine(int8_dir)
    fp32 = export(load_weights(), tmp_path / "fp32", format="openvino")
    with pytest.raises(ConfigError, match="is not quantised"):
        OpenVINOEngine(fp32, "int8")


@needs_nncf
@needs_vnni
def test_int8_graph_is_found_beside_its_weights_and_only_for_them(model, int8_dir, tmp_path, caplog, monkeypatch):
    import shutil

    mine = save_weights(model, tmp_path / "mine.safetensors")
    shutil.copytree(int8_dir, tmp_path / "mine.int8")
    assert create_engine(weights=mine, backend="openvino", precision="int8").precision == "int8"
    # other weights with the same file name beside the graph: the digest differs -> not used
    other = load_weights()
    with torch.no_grad():
        other.backbone.conv1[0].weight.mul_(1.01)
    save_weights(other, mine)
    monkeypatch.setattr(select, "_said", set())
    with caplog.at_level(logging.INFO, logger="siamfc"):
        engine = create_engine(weights=mine, backend="openvino", precision="int8")
    assert engine.precision != "int8"
    lines = [r.getMessage() for r in caplog.records if r.name == "siamfc" and "precision int8" in r.getMessage()]
    assert len(lines) == 1 and "no int8 graph was calibrated for these weights" in lines[0]


@needs_nncf
@needs_vnni
def test_a_corrupt_or_stale_int8_graph_is_not_trusted(model, int8_dir, tmp_path, caplog, monkeypatch):
    import shutil

    import siamfc.model.weights as weights_module

    monkeypatch.setattr(weights_module, "shipped_int8_exports", lambda: [])  # only the graph beside the file
    mine = save_weights(model, tmp_path / "mine.safetensors")
    graph = shutil.copytree(int8_dir, tmp_path / "mine.int8")
    data = bytearray((graph / "backbone.bin").read_bytes())
    data[1000] ^= 0xFF  # one flipped byte in the int8 weights
    (graph / "backbone.bin").write_bytes(bytes(data))
    folder, why = select.int8_export(model, mine)
    assert folder is None and "backbone.bin is corrupt" in why
    shutil.rmtree(graph)
    graph = shutil.copytree(int8_dir, graph)
    manifest = json.loads((graph / "export.json").read_text())
    manifest["toolchain"]["siamfc_export"] = EXPORT_VERSION - 1  # an older exporter made it
    files = list(manifest.pop("files"))
    write_manifest(graph, manifest, files)
    folder, why = select.int8_export(model, mine)
    assert folder is None and "made by another exporter (siamfc_export" in why
    monkeypatch.setattr(select, "_said", set())
    with caplog.at_level(logging.INFO, logger="siamfc"):
        engine = create_engine(weights=mine, backend="openvino", precision="int8")
    assert engine.precision != "int8"
    assert any("made by another exporter" in r.getMessage() for r in caplog.records if r.name == "siamfc")


@needs_nncf
def test_export_cli_makes_an_int8_graph_beside_user_weights(model, tmp_path, capsys):
    from readers_fixtures import write_otb_root

    from siamfc.apps.cli import main

    frames_root = write_otb_root(tmp_path / "otb", ["a", "b", "c"], 12)  # annotated video, OTB layout
    mine = save_weights(model, tmp_path / "mine.safetensors")
    assert (
        main(
            [
                "export",
                "--weights",
                str(mine),
                "--precision",
                "int8",
                "--calibrate",
                f"otb={frames_root}",
                "--keep-fp32",
                "conv5",
            ]
        )
        == 0
    )
    manifest = read_manifest(tmp_path / "mine.int8")
    assert manifest["precision"] == "int8" and manifest["keep_fp32"] == ["conv5"]
    assert manifest["calibration"]["data"] == [f"otb={frames_root.resolve()}"]
    capsys.readouterr()
    assert main(["export", "--weights", str(mine), "--precision", "int8"]) == 2
    assert "--precision int8 needs calibration data: --calibrate FORMAT=PATH" in capsys.readouterr().err


# -- what ships -------------------------------------------------------------------------------------
def test_every_shipped_weights_file_ships_a_current_checked_int8_graph():
    """Fails when the exporter changes (EXPORT_VERSION) or weights are replaced without making their
    int8 graph again (siamfc export --precision int8 ...; see the model cards). What the check holds
    is tested in test_precision_checks."""
    graphs = {p.name for p in shipped_int8_exports()}
    for name, file in SHIPPED.items():
        assert file.replace(".safetensors", ".int8") in graphs, f"{name} ships no int8 graph"
        model = load_weights(name)
        folder, manifest = select.int8_export(model, name)
        assert folder is not None, manifest
        assert {"passed", "measure", "bound", "data", "versions"} <= set(manifest.get("check") or {}), (
            f"{name}: no check on held-out video"
        )


@needs_vnni
def test_the_default_tracker_in_int8_follows_fp32_on_crossing(model):
    frames, box = demo_frames(80)
    seq = demo_sequence()
    gt = np.asarray(seq.boxes)
    fp32 = _auc(SiamFCTracker(backend="openvino", precision="fp32"), frames, gt)
    int8 = SiamFCTracker(backend="openvino", precision="int8")
    assert int8.precision == "int8"
    assert abs(_auc(int8, frames, gt) - fp32) < 0.02


def test_read_manifest_names_a_missing_file(int8_dir, tmp_path):
    import shutil

    graph = shutil.copytree(int8_dir, tmp_path / "g")
    (graph / "correlation.bin").unlink()
    with pytest.raises(WeightsError, match="is missing correlation.bin"):
        read_manifest(graph)
