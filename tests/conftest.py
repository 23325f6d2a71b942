"""Shared test fixtures: where ../shared is, a marker that skips tests needing it, and which
optional inference packages are installed."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
#: The read-only data folder beside the checkout (present in CI, absent on a bare clone).
SHARED = Path(os.environ.get("SIAMFC_SHARED", ROOT.parent / "shared"))
BENCH = SHARED / "datasets" / "bench"
TRAIN = SHARED / "datasets" / "train"
REFERENCE = SHARED / "datasets" / "reference"

requires_shared = pytest.mark.skipif(
    not (SHARED / "datasets").is_dir(), reason=f"needs the shared datasets at {SHARED} (absent on a bare clone)"
)

#: Which optional inference packages are installed (the exporting backends need onnx too).
HAS_ONNX = importlib.util.find_spec("onnx") is not None
HAS_ORT = HAS_ONNX and importlib.util.find_spec("onnxruntime") is not None
HAS_OV = HAS_ONNX and importlib.util.find_spec("openvino") is not None
HAS_NNCF = HAS_OV and importlib.util.find_spec("nncf") is not None

# Two cores: keep each test process on one thread so parallel jobs don't thrash.
torch.set_num_threads(1)

# Exports made by the tests (random weights) go to a throw-away cache, not the user's ~/.cache.
if "SIAMFC_CACHE" not in os.environ:
    import tempfile

    os.environ["SIAMFC_CACHE"] = tempfile.mkdtemp(prefix="siamfc-test-cache-")
