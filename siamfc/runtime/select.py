"""Choosing an engine: ``backend`` and ``precision``, with ``auto`` for both.

``auto`` precision is bf16 where it is fast and verified -- a CPU with bf16 instructions
(AVX-512-BF16 or AMX) running the shipped AlexNet embedding (bench AUC within 0.005 of fp32,
README) -- and fp32 otherwise (other CPUs, custom backbones, CUDA).

``auto`` backend tries, in order of the speed measured on the target CPUs (README, `siamfc bench`):
bf16: openvino, torch; fp32: openvino, onnxruntime, torch. A backend that is not installed or
fails to build is skipped with one log line; ``torch`` always works. ``torch-compile`` is never
picked by ``auto``: it needs a C++ compiler and seconds of compilation per process.
"""
from __future__ import annotations

import logging
import os
import platform
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from ..errors import BackendUnavailable, ConfigError, SiamFCError
from ..model.backbone import AlexNetEmbedding
from .engine import Engine

BACKENDS = ("auto", "torch", "torch-compile", "onnxruntime", "openvino")
PRECISIONS = ("auto", "fp32", "bf16")
AUTO_ORDER = {"bf16": ("openvino", "torch"), "fp32": ("openvino", "onnxruntime", "torch")}
EXPORTING = ("onnxruntime", "openvino")
FP32_ONLY = ("onnxruntime",)  # its CPU provider has no fast bf16 convolutions

log = logging.getLogger("siamfc")
_said: set[str] = set()


def _say_once(message: str) -> None:
    if message not in _said:
        _said.add(message)
        log.info(message)


def cpu_has_bf16() -> bool:
    """True if the CPU has native bf16 arithmetic (x86 AVX-512-BF16 / AMX-BF16, Arm BF16).

    ``SIAMFC_CPU_BF16=0`` or ``1`` overrides the detection (to try both paths on one machine);
    it is read at every call, so setting it later in a process takes effect. Only the CPU's
    flags, which cannot change, are read once.
    """
    override = os.environ.get("SIAMFC_CPU_BF16")
    if override in ("0", "1"):
        return override == "1"
    return _cpu_flags_have_bf16()


@lru_cache(maxsize=1)
def _cpu_flags_have_bf16() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            flags = set()
            for line in f:
                if line.startswith(("flags", "Features")):
                    flags.update(line.split(":", 1)[1].split())
    except OSError:
        return platform.machine() == "arm64" and platform.system() == "Darwin"  # Apple M2 and newer
    return bool(flags & {"avx512_bf16", "amx_bf16", "bf16"})


def cache_dir() -> Path:
    """Where exports and compiled blobs are cached: ``$SIAMFC_CACHE``, else ``~/.cache/siamfc``."""
    root = os.environ.get("SIAMFC_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "siamfc")
    path = Path(root)
    try:
        path.mkdir(parents=True, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / f"siamfc-cache-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


def resolve_precision(precision: str, alexnet: bool = True, device: str = "cpu", backend: str = "auto") -> str:
    """``auto`` -> fp32 or bf16; an explicit bf16 the machine cannot do fast is an error.

    ``alexnet``: the network is SiamFC's AlexNet embedding (whose bf16 accuracy was verified).
    """
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    on_cpu = str(device).startswith("cpu")
    if precision == "bf16" and on_cpu and not cpu_has_bf16():
        raise ConfigError("precision bf16 needs a CPU with bf16 instructions (AVX-512-BF16 or AMX-BF16); "
                          "this one has neither: use precision fp32 or auto")
    if precision == "auto":
        precision = "bf16" if on_cpu and alexnet and backend not in FP32_ONLY and cpu_has_bf16() else "fp32"
    return precision


def exported_model(model, fmt: str = "onnx") -> Path:
    """The export of ``model`` in the cache (made once per weights and format)."""
    from .export import export, read_manifest, weights_digest

    folder = cache_dir() / "exports" / f"{weights_digest(model)}-{fmt}"
    try:
        read_manifest(folder)
        return folder
    except SiamFCError:
        pass
    # Export into a private folder, then rename it into place (atomic): processes that export the
    # same weights at once (e.g. `siamfc eval --workers 2`) never read each other's half-written files.
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    export(model, tmp, format=fmt)
    try:
        os.rename(tmp, folder)
    except OSError:  # another process got there first: use its (identical) export
        shutil.rmtree(tmp, ignore_errors=True)
        read_manifest(folder)
    return folder


def build_engine(backend: str, model, precision: str, *, device="cpu", threads=None, exported=None) -> Engine:
    """One engine, no fall-back. ``exported``: an export folder to run instead of exporting ``model``."""
    if backend in ("torch", "torch-compile"):
        from .torch_engine import TorchEngine

        if model is None:
            raise ConfigError(f"the {backend} backend needs the model (weights), not only an export folder")
        if backend == "torch-compile":
            _check_compiler()
        return TorchEngine(model, precision, device, compile=backend == "torch-compile", threads=threads)
    if backend not in EXPORTING:
        raise ConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if not str(device).startswith("cpu"):
        raise ConfigError(f"the {backend} backend runs on the CPU only (device {device!r} asked)")
    from .onnx_engines import OnnxRuntimeEngine, OpenVINOEngine

    _check_installed(backend)
    if exported is None:
        if not isinstance(getattr(model, "backbone", None), AlexNetEmbedding):
            raise ConfigError(f"the {backend} backend runs SiamFC's AlexNet embedding only; use backend 'torch' "
                              "for a custom backbone")
        exported = exported_model(model, "openvino" if backend == "openvino" else "onnx")
    if backend == "onnxruntime":
        return OnnxRuntimeEngine(exported, precision, threads)
    return OpenVINOEngine(exported, precision, threads, cache_dir=cache_dir() / "openvino")


def unavailable(backend: str, precision: str = "fp32") -> str | None:
    """Why ``backend`` cannot run ``precision`` on this machine (None if it can): the checks the
    engines themselves make, without building one."""
    try:
        if precision == "bf16":
            resolve_precision("bf16")
            if backend in FP32_ONLY:
                raise ConfigError(f"the {backend} backend runs fp32 only")
        if backend in EXPORTING:
            _check_installed(backend)
        elif backend == "torch-compile":
            _check_compiler()
    except SiamFCError as exc:
        return str(exc)
    return None


def _check_installed(backend: str) -> None:
    import importlib.util

    package, extra = {"onnxruntime": ("onnxruntime", "onnx"), "openvino": ("openvino", "openvino")}[backend]
    if importlib.util.find_spec(package) is None:
        raise BackendUnavailable(f"backend {backend} is not installed: pip install 'siamfc[{extra}]'")
    if importlib.util.find_spec("onnx") is None:
        raise BackendUnavailable(f"backend {backend} needs the onnx package to export the model: pip install 'siamfc[onnx]'")


def _check_compiler() -> None:
    if not any(shutil.which(cc) for cc in ("g++", "c++", "clang++", "cl")):
        raise BackendUnavailable("backend torch-compile needs a C++ compiler (g++ or clang++) on the PATH")


def create_engine(model=None, backend: str = "auto", precision: str = "auto", *, weights=None, device="cpu",
                  threads: int | None = None, exported=None, warm_up_scales: int | None = 3) -> Engine:
    """The engine for ``backend`` / ``precision`` (see the module doc), warmed up for ``warm_up_scales``.

    Args:
        model: a SiamFC; default: the weights at ``weights`` (default: the shipped ones), unless
            an explicit onnxruntime / openvino backend runs ``exported`` without them.
        exported: an export folder (``siamfc export``) for the onnxruntime / openvino backends.
    """
    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if model is None and (exported is None or backend not in EXPORTING):
        from ..model.weights import load_weights

        model = load_weights(weights)
    alexnet = model is None or _is_alexnet(model)
    precision = resolve_precision(precision, alexnet, device, backend)
    if backend != "auto":
        engine = build_engine(backend, model, precision, device=device, threads=threads, exported=exported)
    else:
        engine = _auto(model, precision, device, threads, exported)
    if warm_up_scales:
        engine.warm_up(warm_up_scales)
    return engine


def _is_alexnet(model) -> bool:
    return isinstance(getattr(model, "backbone", None), AlexNetEmbedding)


def _auto(model, precision, device, threads, exported) -> Engine:
    """The first candidate that builds; one log line names what was skipped and why."""
    candidates = AUTO_ORDER[precision] if str(device).startswith("cpu") else ("torch",)
    if model is not None and not _is_alexnet(model) and exported is None:
        candidates = ("torch",)  # the exporting backends run the shipped architecture only
    skipped = []
    for backend in candidates:
        try:
            engine = build_engine(backend, model, precision, device=device, threads=threads, exported=exported)
        except Exception as exc:  # noqa: BLE001 - any failure of a candidate means: try the next one
            if backend == candidates[-1]:
                raise
            skipped.append(f"{backend}: {exc if isinstance(exc, SiamFCError) else f'{type(exc).__name__}: {exc}'}")
            continue
        if skipped:
            _say_once(f"backend auto: using {engine.describe()} (skipped {'; '.join(skipped)})")
        return engine
    raise AssertionError("unreachable: the last candidate either builds or raises")
