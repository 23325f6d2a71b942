"""Inference backends: the same score maps and boxes as eager PyTorch fp32, auto selection and
its fall-backs, and a clear error for every bad input (missing package, CPU without bf16, an
ONNX file of another architecture, an export path that cannot be written)."""

from __future__ import annotations

import importlib.util
import json
import logging
import shutil
import sys

import numpy as np
import pytest
import torch
from conftest import HAS_ONNX, HAS_ORT, HAS_OV

from siamfc.apps.bench import demo_frames
from siamfc.errors import BackendUnavailable, ConfigError, SiamFCError, WeightsError
from siamfc.model import SiamFC
from siamfc.model.fuse import fold_batchnorm
from siamfc.model.weights import load_weights
from siamfc.runtime import (
    OnnxRuntimeEngine,
    OpenVINOEngine,
    TorchEngine,
    create_engine,
    export,
    select,
)
from siamfc.tracking import SiamFCTracker, crop_and_resize

needs_ort = pytest.mark.onnxruntime
needs_ov = pytest.mark.openvino
needs_bf16 = pytest.mark.bf16_cpu


@pytest.fixture(scope="module")
def model():
    return load_weights()


@pytest.fixture(scope="module")
def crops():
    """Real crops: the exemplar and 3 search scales of the bundled Crossing sequence, frame 1."""
    frames, (x, y, w, h) = demo_frames(2)
    center = (x + (w - 1) / 2, y + (h - 1) / 2)
    z = crop_and_resize(frames[0], center, 40.0, 127)[None]
    xs = np.stack([crop_and_resize(frames[1], center, 80.0 * s, 255) for s in (0.96, 1.0, 1.04)])
    return z, xs


@pytest.fixture(scope="module")
def reference_scores(model, crops):
    z, xs = crops
    engine = TorchEngine(model, "fp32", channels_last=False, fuse=False)  # the plain reference
    return engine.score(engine.embed(z), xs)


def _close(scores, ref, tol):
    """Max absolute difference relative to the reference map's range."""
    return np.abs(scores - ref).max() / np.ptp(ref) < tol


def test_batchnorm_folding_keeps_the_function(model):
    x = torch.rand(2, 3, 127, 127) * 255
    with torch.inference_mode():
        ref, folded = model.backbone.eval()(x), fold_batchnorm(model.backbone)(x)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fold_batchnorm(model.backbone).modules())
    torch.testing.assert_close(folded, ref, rtol=1e-4, atol=1e-3)


def test_fp32_engines_give_the_reference_scores(model, crops, reference_scores):
    z, xs = crops
    engines = [TorchEngine(model, "fp32")]
    if HAS_ORT:
        engines.append(create_engine(model, "onnxruntime", "fp32"))
    if HAS_OV:
        engines.append(create_engine(model, "openvino", "fp32"))
    for engine in engines:
        scores = engine.score(engine.embed(z), xs)
        assert scores.shape == (3, 17, 17) and scores.dtype == np.float32
        assert _close(scores, reference_scores, 1e-4), engine


@needs_bf16
def test_bf16_engines_keep_the_correlation_in_fp32_and_the_peak_in_place(model, crops, reference_scores):
    z, xs = crops
    engines = [TorchEngine(model, "bf16")] + ([create_engine(model, "openvino", "bf16")] if HAS_OV else [])
    for engine in engines:
        kernel = engine.embed(z)
        assert kernel.dtype in (torch.float32, np.float32)  # the correlation's input is fp32
        scores = engine.score(kernel, xs)
        assert _close(scores, reference_scores, 0.03), engine
        for s, r in zip(scores, reference_scores):
            assert np.unravel_index(s.argmax(), s.shape) == np.unravel_index(r.argmax(), r.shape)


@pytest.mark.parametrize("resampling", ["bilinear", "bicubic-aa"])
@pytest.mark.parametrize(
    "backend", ["torch", pytest.param("onnxruntime", marks=needs_ort), pytest.param("openvino", marks=needs_ov)]
)
def test_exported_and_fast_trackers_follow_the_reference_boxes(model, backend, resampling):
    """60 frames of Crossing: every fp32 backend stays within 0.5 px of the eager reference, with
    either crop resampling (the crop is made before the engine sees it; 15 frames for bicubic-aa)."""
    frames, box = demo_frames(60 if resampling == "bilinear" else 15)
    ref = SiamFCTracker(engine=TorchEngine(model, "fp32", channels_last=False, fuse=False), resampling=resampling)
    fast = SiamFCTracker(model=model, backend=backend, precision="fp32", resampling=resampling)
    ref.init(frames[0], box)
    fast.init(frames[0], box)
    for frame in frames[1:]:
        np.testing.assert_allclose(fast.update(frame).box, ref.update(frame).box, atol=0.5)
    assert fast.backend == backend and fast.precision == "fp32"


@needs_ort
def test_tracker_runs_an_export_folder(model, tmp_path):
    folder = export(model, tmp_path / "exp", format="onnx")
    assert {p.name for p in folder.iterdir()} == {"backbone.onnx", "correlation.onnx", "export.json"}
    manifest = json.loads((folder / "export.json").read_text())
    assert manifest["architecture"] == "siamfc-alexnet" and manifest["bias"] == pytest.approx(model.head.bias.item())
    frames, box = demo_frames(3)
    tracker = SiamFCTracker(backend="onnxruntime", exported=folder)
    tracker.init(frames[0], box)
    assert tracker.update(frames[1]).box[2] > 0


def _rehash(folder, drop=()):
    """Rewrite an export's manifest for the files now in it (as if they had been exported so)."""
    from siamfc.runtime.export import write_manifest

    manifest = json.loads((folder / "export.json").read_text())
    files = [name for name in manifest.pop("files") if name not in drop]
    write_manifest(folder, manifest, files)


@needs_ov
def test_openvino_format_writes_ir_that_gives_the_reference_scores(model, crops, reference_scores, tmp_path):
    folder = export(model, tmp_path / "ov", format="openvino")
    assert {"backbone.xml", "backbone.bin", "correlation.xml", "correlation.bin"} <= {p.name for p in folder.iterdir()}
    for onnx_file in folder.glob("*.onnx"):  # the engine must run the IR itself, not the ONNX files
        onnx_file.unlink()
    _rehash(folder, drop=("backbone.onnx", "correlation.onnx"))
    engine = OpenVINOEngine(folder, "fp32")
    z, xs = crops
    assert _close(engine.score(engine.embed(z), xs), reference_scores, 1e-4)
    (folder / "backbone.bin").write_bytes(b"\0" * 64)  # a broken IR is named, not run
    with pytest.raises(WeightsError, match="backbone.bin is corrupt"):
        OpenVINOEngine(folder, "fp32")
    _rehash(folder)
    with pytest.raises(WeightsError, match="backbone"):
        OpenVINOEngine(folder, "fp32")


@pytest.mark.slow
def test_torch_compile_matches_eager(model, crops, reference_scores):
    if not (shutil.which("g++") or shutil.which("clang++")):
        pytest.skip("torch-compile needs a C++ compiler")
    z, xs = crops
    engine = create_engine(model, "torch-compile", "fp32")
    assert _close(engine.score(engine.embed(z), xs), reference_scores, 1e-4)


# -- auto ---------------------------------------------------------------------------------------
def test_auto_precision_candidates_are_only_what_was_verified(monkeypatch):
    monkeypatch.setattr(select, "cpu_has_bf16", lambda: True)
    monkeypatch.setattr(select, "cpu_has_int8", lambda: True)
    both = {"int8_ready": True, "bf16_ready": True}
    assert select.candidates("openvino", "auto", **both) == ["int8", "bf16", "fp32"]
    assert select.candidates("openvino", "auto", bf16_ready=True) == ["bf16", "fp32"]  # no checked int8 graph
    assert select.candidates("openvino", "auto", int8_ready=True) == ["int8", "fp32"]  # bf16 not checked
    assert select.candidates("torch", "auto", **both) == ["bf16", "fp32"]  # int8 is OpenVINO's
    assert select.candidates("onnxruntime", "auto", **both) == ["fp32"]
    assert select.candidates("openvino", "auto", alexnet=False, **both) == ["fp32"]  # custom backbones
    assert select.candidates("openvino", "auto", device="cuda", **both) == ["fp32"]
    assert select.candidates("openvino", "bf16") == ["bf16"]  # explicit: only that
    monkeypatch.setattr(select, "cpu_has_bf16", lambda: False)
    monkeypatch.setattr(select, "cpu_has_int8", lambda: False)
    assert select.candidates("openvino", "auto", **both) == ["fp32"]


class _FakeEngine:
    """Scores after sleeping ``delay`` seconds: a stand-in engine of known speed."""

    def __init__(self, precision, delay):
        self.precision, self.delay = precision, delay

    def embed(self, z):
        return None

    def score(self, kernel, x):
        import time

        time.sleep(self.delay)
        return np.zeros((len(x), 17, 17), np.float32)


def test_auto_precision_is_the_measured_fastest_and_is_measured_once(tmp_path, monkeypatch):
    """On a CPU where bf16 is slower than fp32 (seen here: a Xeon with AVX-512-BF16), auto must not
    pick bf16 for its flag; the ranking is cached, so later runs build only the winner."""
    monkeypatch.setenv("SIAMFC_CACHE", str(tmp_path))
    built = []

    def build(precision):
        built.append(precision)
        return _FakeEngine(precision, {"int8": 0.004, "bf16": 0.03, "fp32": 0.012}[precision])

    assert select.fastest("openvino", ["bf16", "fp32"], build).precision == "fp32"
    assert built == ["bf16", "fp32"]
    table = json.loads((tmp_path / "autotune.json").read_text())
    (key,) = table
    assert "openvino" in key and table[key]["ms"]["bf16"] > table[key]["ms"]["fp32"]
    built.clear()
    assert select.fastest("openvino", ["bf16", "fp32"], build).precision == "fp32"
    assert built == ["fp32"]  # measured once: only the winner is built
    assert select.fastest("openvino", ["int8", "bf16", "fp32"], build).precision == "int8"  # a new candidate: measured
    (tmp_path / "autotune.json").write_text("{not json")  # a corrupt cache is measured again, not trusted
    built.clear()
    assert select.fastest("openvino", ["bf16", "fp32"], build).precision == "fp32" and built == ["bf16", "fp32"]


def test_auto_backend_takes_the_first_installed(model, monkeypatch):
    expected = "openvino" if HAS_OV else "onnxruntime" if HAS_ORT else "torch"
    monkeypatch.setattr(select, "cpu_has_bf16", lambda: False)
    monkeypatch.setattr(select, "cpu_has_int8", lambda: False)
    assert create_engine(model, "auto", "auto", warm_up_scales=None).backend == expected


def test_auto_falls_back_with_one_log_line(model, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "openvino", None)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("openvino", "onnxruntime") else real_find_spec(name, *a),
    )
    monkeypatch.setattr(select, "_said", set())
    with caplog.at_level(logging.INFO, logger="siamfc"):
        engine = create_engine(model, "auto", "fp32", warm_up_scales=None)
    assert engine.backend == "torch"
    lines = [r.getMessage() for r in caplog.records if r.name == "siamfc"]
    assert len(lines) == 1 and "skipped openvino" in lines[0] and "pip install" in lines[0]


def test_custom_backbone_runs_in_torch(monkeypatch):
    from synthetic_scene import PooledPixels

    tracker = SiamFCTracker(model=SiamFC(PooledPixels()), num_scales=1)
    assert tracker.backend == "torch" and tracker.precision == "fp32"
    with pytest.raises(ConfigError, match="AlexNet embedding only"):
        SiamFCTracker(model=SiamFC(PooledPixels()), backend="onnxruntime" if HAS_ORT else "openvino")


# -- bad input ----------------------------------------------------------------------------------
def test_a_backend_that_is_not_installed_says_how_to_install_it(model, monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "openvino" else real_find_spec(name, *a)
    )
    with pytest.raises(
        BackendUnavailable, match=r"backend openvino is not installed: pip install 'siamfc\[openvino\]'"
    ):
        SiamFCTracker(model=model, backend="openvino")


def test_bf16_on_a_cpu_without_bf16_is_a_clear_error(model, monkeypatch):
    monkeypatch.setattr(select, "cpu_has_bf16", lambda: False)
    with pytest.raises(ConfigError, match="bf16 needs a CPU with bf16 instructions"):
        SiamFCTracker(model=model, backend="torch", precision="bf16")


def test_unknown_backend_and_onnxruntime_bf16_are_config_errors(model):
    with pytest.raises(ConfigError, match="unknown backend 'tensorrt'"):
        SiamFCTracker(model=model, backend="tensorrt")
    if HAS_ORT and select.cpu_has_bf16():
        with pytest.raises(ConfigError, match="onnxruntime backend runs fp32 only"):
            SiamFCTracker(model=model, backend="onnxruntime", precision="bf16")


@needs_ort
def test_an_onnx_file_of_another_architecture_is_refused(model, tmp_path):
    folder = export(model, tmp_path / "exp", format="onnx")

    class Wrapped(torch.nn.Module):  # the same input and output names, but not SiamFC's embedding
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 3, stride=4)

        def forward(self, image):
            return self.conv(image.permute(0, 3, 1, 2).float())

    torch.onnx.export(
        Wrapped(),
        (torch.zeros(1, 127, 127, 3, dtype=torch.uint8),),
        str(folder / "backbone.onnx"),
        input_names=["image"],
        output_names=["features"],
        dynamo=False,
        dynamic_axes={"image": {0: "n", 1: "h", 2: "w"}},
    )
    with pytest.raises(WeightsError, match="backbone.onnx is corrupt or was changed after export"):
        OnnxRuntimeEngine(folder)  # the manifest's hash no longer matches
    _rehash(folder)  # an intact folder (hashes right) holding another network
    with pytest.raises(WeightsError, match="backbone.onnx is not SiamFC's AlexNet embedding"):
        OnnxRuntimeEngine(folder)
    (folder / "backbone.onnx").write_bytes(b"not an onnx file")
    _rehash(folder)
    with pytest.raises(WeightsError, match="cannot load .*backbone.onnx"):
        OnnxRuntimeEngine(folder)
    (folder / "export.json").unlink()
    with pytest.raises(WeightsError, match="is not a siamfc export"):
        OnnxRuntimeEngine(folder)


def test_an_export_path_that_cannot_be_written_is_one_line(model, tmp_path):
    if not HAS_ONNX:
        pytest.skip("export needs onnx")
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(SiamFCError, match="cannot write the export to"):
        export(model, blocker / "sub", format="onnx")


def test_export_without_onnx_is_one_clear_error(model, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` raise ImportError
    with pytest.raises(SiamFCError, match=r"exporting needs the onnx package: pip install onnx"):
        export(model, tmp_path / "x")


def test_engine_input_must_be_uint8_crops(model):
    engine = TorchEngine(model)
    with pytest.raises(SiamFCError, match=r"uint8 crops of shape \(N, H, W, 3\)"):
        engine.embed(np.zeros((1, 3, 127, 127), np.float32))


def test_torch_backend_honours_threads(model):
    """threads= reaches PyTorch's (process-wide) intra-op pool; it used to be silently ignored."""
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        tracker = SiamFCTracker(model=model, backend="torch", precision="fp32", threads=1)
        assert torch.get_num_threads() == 1 and tracker.backend == "torch"
        with pytest.raises(ConfigError, match="threads"):
            create_engine(model, "torch", "fp32", threads=0)
    finally:
        torch.set_num_threads(before)


def test_int8_where_it_cannot_run_is_a_clear_error(model, monkeypatch):
    monkeypatch.setenv("SIAMFC_CPU_INT8", "0")
    with pytest.raises(ConfigError, match="int8 needs a CPU with int8 dot-product instructions"):
        SiamFCTracker(model=model, backend="openvino", precision="int8")
    monkeypatch.setenv("SIAMFC_CPU_INT8", "1")
    with pytest.raises(ConfigError, match="int8 runs on the CPU with the openvino backend only"):
        SiamFCTracker(model=model, backend="torch", precision="int8")
    with pytest.raises(ConfigError, match="int8 runs on the CPU with the openvino backend only"):
        SiamFCTracker(model=model, backend="onnxruntime", precision="int8")


def test_the_bf16_override_is_read_at_every_call(monkeypatch):
    detected = select.cpu_has_bf16()
    monkeypatch.setenv("SIAMFC_CPU_BF16", "0")
    assert select.cpu_has_bf16() is False
    monkeypatch.setenv("SIAMFC_CPU_BF16", "1")
    assert select.cpu_has_bf16() is True
    monkeypatch.delenv("SIAMFC_CPU_BF16")
    assert select.cpu_has_bf16() == detected


# -- the cache: a corrupt or stale entry is rebuilt, never trusted ------------------------------------
@needs_ov
def test_a_corrupt_or_stale_cached_export_is_rebuilt(model, crops, reference_scores, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("SIAMFC_CACHE", str(tmp_path))
    folder = select.exported_model(model, "openvino")
    xml = folder / "backbone.xml"
    xml.write_text(xml.read_text().replace("<layers>", "<layers><!-- edited -->", 1))
    monkeypatch.setattr(select, "_said", set())
    with caplog.at_level(logging.INFO, logger="siamfc"):
        assert select.exported_model(model, "openvino") == folder
    assert any(
        "rebuilding the cached export" in r.getMessage() and "backbone.xml is corrupt" in r.getMessage()
        for r in caplog.records
    )
    assert "edited" not in xml.read_text()
    manifest = json.loads((folder / "export.json").read_text())
    manifest["toolchain"]["siamfc_export"] -= 1  # what an older exporter would have written
    (folder / "export.json").write_text(json.dumps(manifest))
    caplog.clear()
    monkeypatch.setattr(select, "_said", set())
    with caplog.at_level(logging.INFO, logger="siamfc"):
        select.exported_model(model, "openvino")
    assert any("made by another exporter (siamfc_export" in r.getMessage() for r in caplog.records)
    assert (
        json.loads((folder / "export.json").read_text())["toolchain"]["siamfc_export"]
        == manifest["toolchain"]["siamfc_export"] + 1
    )


@needs_ov
def test_corrupt_compiled_blobs_in_the_cache_do_not_change_the_scores(
    model, crops, reference_scores, tmp_path, monkeypatch
):
    """OpenVINO's compiled-model cache (under the same folder) checks its blobs: damaged ones are
    compiled again, not run."""
    monkeypatch.setenv("SIAMFC_CACHE", str(tmp_path))
    create_engine(model, "openvino", "fp32")
    blobs = [p for p in (tmp_path / "openvino").iterdir() if p.is_file()]
    assert blobs
    for blob in blobs:
        data = bytearray(blob.read_bytes())
        data[100::997] = bytes(b ^ 0xFF for b in data[100::997])
        blob.write_bytes(bytes(data))
    z, xs = crops
    engine = create_engine(model, "openvino", "fp32")
    assert _close(engine.score(engine.embed(z), xs), reference_scores, 1e-4)
