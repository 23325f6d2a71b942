"""The ONNX export and backend: same features, same boxes as PyTorch; clear errors without onnx."""
from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from siamfc.errors import SiamFCError, WeightsError
from siamfc.model import SiamFC
from siamfc.model.weights import save_weights
from siamfc.tracking import SiamFCTracker
from siamfc.tracking.backends import OnnxEmbedding, export_onnx, onnx_model


def _random_model(seed=0):
    torch.manual_seed(seed)
    model = SiamFC().eval()
    for m in model.modules():  # non-trivial BN statistics, so the export must carry them
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
    return model


def test_export_without_onnx_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` raise ImportError
    with pytest.raises(SiamFCError, match="pip install 'siamfc\\[onnx\\]'"):
        export_onnx(SiamFC(), tmp_path / "m.onnx")


def test_missing_onnx_file_is_a_weights_error(tmp_path):
    pytest.importorskip("onnxruntime", reason="the ONNX backend is optional: pip install 'siamfc[onnx]'")
    with pytest.raises(WeightsError, match="ONNX file not found"):
        OnnxEmbedding(tmp_path / "missing.onnx")


def test_onnx_backend_matches_pytorch(tmp_path):
    pytest.importorskip("onnx", reason="the ONNX backend is optional: pip install 'siamfc[onnx]'")
    pytest.importorskip("onnxruntime", reason="the ONNX backend is optional: pip install 'siamfc[onnx]'")
    model = _random_model()
    weights = save_weights(model, tmp_path / "w.safetensors")
    path = export_onnx(model, tmp_path / "m.onnx")
    x = torch.rand(3, 3, 255, 255) * 255
    with torch.inference_mode():
        ref, got = model.backbone(x), OnnxEmbedding(path)(x)
    assert got.shape == ref.shape == (3, 256, 22, 22)
    assert torch.allclose(got, ref, rtol=1e-4, atol=1e-3 * ref.abs().max().item())

    # Whole tracker: the ONNX-backed model follows the same boxes as the PyTorch one.
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (120, 160, 3), dtype=np.uint8) for _ in range(3)]
    box = (60.0, 40.0, 30.0, 36.0)
    a, b = SiamFCTracker(model=model), SiamFCTracker(model=onnx_model(path, weights))
    a.init(frames[0], box)
    b.init(frames[0], box)
    for frame in frames[1:]:
        assert np.allclose(a.update(frame).box, b.update(frame).box, atol=0.5)
