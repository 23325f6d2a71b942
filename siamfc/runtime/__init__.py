"""Inference engines: what runs SiamFC's network for the tracker, and how it is chosen.

    engine = create_engine(backend="auto", precision="auto")   # the fastest installed, bf16 where verified
    kernel = engine.embed(z)                                    # z: (1, 127, 127, 3) uint8
    scores = engine.score(kernel, x)                            # x: (S, 255, 255, 3) uint8 -> (S, 17, 17)

Backends: ``torch`` (eager), ``torch-compile`` (Inductor), ``onnxruntime`` and ``openvino`` (both
run an export: :func:`export`, ``siamfc export``).
"""
from ..errors import BackendUnavailable
from .engine import Engine
from .export import export, read_manifest
from .onnx_engines import OnnxRuntimeEngine, OpenVINOEngine
from .select import (
    AUTO_ORDER,
    BACKENDS,
    PRECISIONS,
    build_engine,
    cpu_has_bf16,
    create_engine,
    resolve_precision,
)
from .torch_engine import TorchEngine

__all__ = [
    "AUTO_ORDER",
    "BACKENDS",
    "PRECISIONS",
    "BackendUnavailable",
    "Engine",
    "OnnxRuntimeEngine",
    "OpenVINOEngine",
    "TorchEngine",
    "build_engine",
    "cpu_has_bf16",
    "create_engine",
    "export",
    "read_manifest",
    "resolve_precision",
]
