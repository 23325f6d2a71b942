"""Inference engines: what runs SiamFC's network for the tracker, and how it is chosen.

    engine = create_engine(backend="auto", precision="auto")   # the fastest installed and verified, measured
    kernel = engine.embed(z)                                    # z: (1, 127, 127, 3) uint8
    scores = engine.score(kernel, x)                            # x: (S, 255, 255, 3) uint8 -> (S, 17, 17)
    kernels = engine.stack_kernels([k1, k2])                   # N targets' kernels, kept as one batch
    scores = engine.score_many(kernels, xs)                     # xs: (N*S, 255, 255, 3) -> (N*S, 17, 17), one call

Precisions: ``fp32``, ``bf16``, ``int8`` (OpenVINO, with a calibrated graph: :mod:`.quantize`).
Backends: ``torch`` (eager), ``torch-compile`` (Inductor), ``onnxruntime`` and ``openvino`` (both
run an export: :func:`export`, ``siamfc export``).
"""

from siamfc.errors import BackendUnavailable
from siamfc.runtime.engine import Engine
from siamfc.runtime.export import export, read_manifest
from siamfc.runtime.onnx_engines import OnnxRuntimeEngine, OpenVINOEngine
from siamfc.runtime.select import (
    AUTO_ORDER,
    BACKENDS,
    PRECISIONS,
    build_engine,
    candidates,
    check_precision,
    cpu_has_bf16,
    cpu_has_int8,
    create_engine,
    int8_export,
)
from siamfc.runtime.torch_engine import TorchEngine

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
    "candidates",
    "check_precision",
    "cpu_has_bf16",
    "cpu_has_int8",
    "create_engine",
    "export",
    "int8_export",
    "read_manifest",
]
