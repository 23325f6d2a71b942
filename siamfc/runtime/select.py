"""Choosing an engine: ``backend`` and ``precision``, with ``auto`` for both.

``auto`` precision is the *fastest* of the precisions this machine runs and that were checked for
these weights, measured once per machine (:func:`fastest`, cached in ``autotune.json`` beside the
exports): flags alone do not say it -- on one 2-core Xeon with AVX-512-BF16 both PyTorch and
OpenVINO ran the network in bf16 at half their fp32 speed. The candidates:

* ``int8`` -- OpenVINO only; a CPU with int8 dot-product instructions (AVX-512-VNNI, AVX-VNNI or
  AMX-INT8); an int8 graph calibrated for exactly these weights (:func:`int8_export`: shipped
  beside them as ``<weights>.int8/``) whose check on held-out video holds here;
* ``bf16`` -- a CPU with bf16 instructions (AVX-512-BF16 or AMX), not ONNX Runtime (no fast bf16
  kernels), and a bf16 check on held-out video for these weights and this backend (in their model
  card, :func:`bf16_check`);
* ``fp32`` -- always.

A check (:mod:`siamfc.runtime.checks`) holds for the weights it was made for, on its backend and
with the runtime release that made it; after an OpenVINO or PyTorch upgrade the precision is
unverified (one log line says how to check it again: ``siamfc export --precision P --check VIDEOS``).

An explicit ``int8`` for weights without an int8 graph falls back to ``auto`` (without int8), with
one log line saying why; an explicit precision the CPU cannot run fast is a ``ConfigError``, and
so is ``auto`` that an int8 export folder resolves to int8 on such a CPU.

``auto`` backend tries, in order of the speed measured on the target CPUs (docs/speed.md):
openvino, onnxruntime (fp32 only), torch. A backend that is not installed or fails to build is
skipped with one log line; ``torch`` always works. ``torch-compile`` is never picked by ``auto``:
it needs a C++ compiler and seconds of compilation per process. With an export folder
(``exported``) it tries only the backends that run export folders.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import tempfile
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

from siamfc.errors import BackendUnavailable, ConfigError, SiamFCError
from siamfc.model.backbone import AlexNetEmbedding
from siamfc.runtime.engine import Engine

BACKENDS = ("auto", "torch", "torch-compile", "onnxruntime", "openvino")
PRECISIONS = ("auto", "fp32", "bf16", "int8")
AUTO_ORDER = ("openvino", "onnxruntime", "torch")
EXPORTING = ("onnxruntime", "openvino")
FP32_ONLY = ("onnxruntime",)  # its CPU provider has no fast bf16 convolutions
INT8_BACKENDS = ("openvino",)
#: CPU flags (``/proc/cpuinfo``) of native bf16 arithmetic and of int8 dot products.
BF16_FLAGS = {"avx512_bf16", "amx_bf16", "bf16"}
INT8_FLAGS = {"avx512_vnni", "avx_vnni", "amx_int8"}

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
    return _cpu_has("SIAMFC_CPU_BF16", BF16_FLAGS)


def cpu_has_int8() -> bool:
    """True if the CPU has int8 dot-product instructions (AVX-512-VNNI, AVX-VNNI, AMX-INT8), which
    make int8 convolutions faster than fp32. ``SIAMFC_CPU_INT8=0`` / ``1`` overrides, as for bf16."""
    return _cpu_has("SIAMFC_CPU_INT8", INT8_FLAGS)


def _cpu_has(override_variable: str, flags: set) -> bool:
    override = os.environ.get(override_variable)
    if override in ("0", "1"):
        return override == "1"
    found = _cpu_flags()
    if found is None:  # no /proc/cpuinfo: Apple M2 and newer have bf16, no x86 int8 dot products
        return flags is BF16_FLAGS and platform.machine() == "arm64" and platform.system() == "Darwin"
    return bool(found & flags)


@lru_cache(maxsize=1)
def _cpu_flags() -> frozenset | None:
    try:
        with open("/proc/cpuinfo") as f:
            flags = set()
            for line in f:
                if line.startswith(("flags", "Features")):
                    flags.update(line.split(":", 1)[1].split())
    except OSError:
        return None
    return frozenset(flags)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cache_dir() -> Path:
    """Where exports and compiled blobs are cached: ``$SIAMFC_CACHE``, else ``~/.cache/siamfc``."""
    root = os.environ.get("SIAMFC_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "siamfc"
    )
    path = Path(root)
    try:
        path.mkdir(parents=True, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / f"siamfc-cache-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


def check_precision(precision: str, device: str = "cpu", backend: str = "auto") -> None:
    """An explicit precision this machine or backend cannot run is a one-line ``ConfigError``."""
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    on_cpu = str(device).startswith("cpu")
    if precision == "bf16" and on_cpu and not cpu_has_bf16():
        raise ConfigError(
            "precision bf16 needs a CPU with bf16 instructions (AVX-512-BF16 or AMX-BF16); "
            "this one has neither: use precision fp32 or auto"
        )
    if precision == "int8":
        if not on_cpu or backend not in ("auto", *INT8_BACKENDS):
            raise ConfigError(
                f"precision int8 runs on the CPU with the openvino backend only "
                f"(backend {backend!r}, device {device!r} asked)"
            )
        if not cpu_has_int8():
            raise ConfigError(
                "precision int8 needs a CPU with int8 dot-product instructions (AVX-512-VNNI, "
                "AVX-VNNI or AMX-INT8); this one has none: use precision auto, bf16 or fp32"
            )
    if precision in ("bf16", "int8") and backend in FP32_ONLY:
        raise ConfigError(
            f"the {backend} backend runs fp32 only (its CPU provider has no fast bf16 or int8 convolutions)"
        )


def candidates(
    backend: str,
    precision: str,
    alexnet: bool = True,
    device: str = "cpu",
    int8_ready: bool = False,
    bf16_ready: bool = False,
) -> list[str]:
    """The precisions ``precision`` may mean on ``backend``, fastest-first by expectation; ``auto``
    picks among them by measurement (:func:`fastest`). ``int8_ready`` / ``bf16_ready``: that
    precision's check on held-out video holds for these weights on this backend."""
    if precision != "auto":
        return [precision]
    if not (str(device).startswith("cpu") and alexnet):
        return ["fp32"]  # custom backbones and CUDA: only fp32 was verified
    out = ["int8"] if int8_ready and backend in INT8_BACKENDS and cpu_has_int8() else []
    if bf16_ready and cpu_has_bf16() and backend not in FP32_ONLY:
        out.append("bf16")
    return out + ["fp32"]


def exported_model(model, fmt: str = "onnx") -> Path:
    """The export of ``model`` in the cache, made once per weights and format.

    A cached export is reused only if it is intact (every file's hash, :func:`read_manifest`) and
    was made by this exporter version and toolchain (:func:`stale_reason`); otherwise it is rebuilt,
    with one log line saying why.
    """
    from siamfc.runtime.export import export, read_manifest, stale_reason, weights_digest

    folder = cache_dir() / "exports" / f"{weights_digest(model)}-{fmt}"
    if folder.exists():
        try:
            why = stale_reason(read_manifest(folder))
        except SiamFCError as exc:
            why = str(exc)
        if why is None:
            return folder
        _say_once(f"rebuilding the cached export {folder}: {why}")
    # Export into a private folder, then rename it into place (atomic): processes that export the
    # same weights at once (e.g. `siamfc eval --workers 2`) never read each other's half-written files.
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    export(model, tmp, format=fmt)
    if folder.exists():  # a stale or corrupt one: move it aside first (a rename cannot replace a folder)
        old = folder.with_name(f".{folder.name}.{os.getpid()}.old")
        try:
            os.rename(folder, old)
        except OSError:
            pass  # another process moved it already
        shutil.rmtree(old, ignore_errors=True)
    try:
        os.rename(tmp, folder)
    except OSError:  # another process got there first: use its (identical) export
        shutil.rmtree(tmp, ignore_errors=True)
        read_manifest(folder)
    return folder


def int8_cache(digest: str) -> Path:
    """Where ``siamfc export --precision int8`` puts a graph for weights it must not write beside
    (the shipped ones): in the cache, by the weights' digest; :func:`int8_graphs` looks there."""
    return cache_dir() / "int8" / digest


def int8_graphs(model, weights=None) -> tuple[list[tuple[Path, dict]], list[str]]:
    """Every int8 graph calibrated for ``model``'s weights, ``[(folder, manifest)]``, and what was
    wrong with the others.

    Looked for in the cache (:func:`int8_cache`: where ``siamfc export`` puts a graph made anew for
    the shipped weights), beside the weights file (``<stem>.int8/``, as the shipped weights have
    it) and among the shipped int8 graphs, in that order. A graph counts
    only if it is intact (file hashes), was made from exactly these weights (digest) and by this
    exporter version; a corrupt or mismatched one is never trusted.
    """
    from siamfc.model.weights import resolve_weights, shipped_int8_exports
    from siamfc.runtime.export import MANIFEST, read_manifest, stale_reason, weights_digest

    digest = weights_digest(model)
    places = [int8_cache(digest)]
    if weights is not None or model is None:
        places.append(resolve_weights(weights).with_suffix(".int8"))
    places += [p for p in shipped_int8_exports() if p not in places]
    found, problems = [], []
    for folder in places:
        if not folder.is_dir():
            continue
        try:
            claimed = json.loads((folder / MANIFEST).read_text())
        except (OSError, ValueError):
            claimed = {}
        if isinstance(claimed, dict) and (
            claimed.get("precision") != "int8" or claimed.get("weights_digest") != digest
        ):
            continue  # another network's graph: not looked at further
        try:
            manifest = read_manifest(folder)  # every file against its hash
        except SiamFCError as exc:
            problems.append(str(exc))
            continue
        why = stale_reason(manifest, keys=("siamfc_export",))
        if why:
            problems.append(f"{folder} is {why}")
            continue
        found.append((folder, manifest))
    return found, problems


def int8_export(model, weights=None) -> tuple[Path | None, dict | str]:
    """The first int8 graph for ``model``'s weights (:func:`int8_graphs`): ``(folder, manifest)``, or
    ``(None, why not)``. Checked or not: an explicit ``precision int8`` runs it all the same."""
    found, problems = int8_graphs(model, weights)
    if found:
        return found[0]
    why = "; ".join(problems) or "no int8 graph was calibrated for these weights"
    return None, f"{why} (make one: siamfc export --precision int8 --calibrate DATA)"


def checked_int8(model, weights=None) -> Path | None:
    """The first int8 graph for ``model``'s weights whose check on held-out video holds here (what
    ``auto`` may run); a graph whose check is stale (another OpenVINO) gets one log line."""
    from siamfc.runtime.checks import check_problem, version_change
    from siamfc.runtime.export import weights_digest

    found, _ = int8_graphs(model, weights)
    for folder, manifest in found:
        check = manifest.get("check")
        if check_problem(check, precision="int8", backend="openvino", digest=weights_digest(model)) is None:
            return folder
        if isinstance(check, dict) and version_change(check, "openvino"):
            _say_once(
                f"precision auto: not int8: the check of {folder} was {version_change(check, 'openvino')}; {_RECHECK}"
            )
    return None


def bf16_check(digest: str, weights=None) -> dict | None:
    """The bf16 check recorded for the weights with ``digest``: in the model card of ``weights``,
    else in a shipped card made for the same weights (a model passed without its file)."""
    from siamfc.model.weights import read_card, shipped_weights

    paths = ([weights] if weights is not None else []) + list(shipped_weights().values())
    for path in paths:
        try:
            check = (read_card(path).get("checks") or {}).get("bf16")
        except SiamFCError:
            continue  # an unreadable card or one of other weights: no check from it
        if isinstance(check, dict) and check.get("weights_digest") == digest:
            return check
    return None


def bf16_ready(digest: str, weights, backend: str) -> bool:
    """Whether ``auto`` may offer bf16 on ``backend`` for these weights (their check holds here)."""
    from siamfc.runtime.checks import check_problem, version_change

    if not cpu_has_bf16() or backend in FP32_ONLY:
        return False
    check = bf16_check(digest, weights)
    if check_problem(check, precision="bf16", backend=backend, digest=digest) is None:
        return True
    if check is not None and check.get("backend") == backend and version_change(check, backend):
        _say_once(f"precision auto on {backend}: not bf16: its check was {version_change(check, backend)}; {_RECHECK}")
    return False


_RECHECK = "check it again on held-out video: siamfc export --weights W --precision P --check VIDEOS (docs/speed.md)"


def build_engine(backend: str, model, precision: str, *, device="cpu", threads=None, exported=None) -> Engine:
    """One engine, no fall-back. ``exported``: an export folder to run instead of exporting ``model``
    (for precision int8: the int8 export, :func:`int8_export`)."""
    if backend in ("torch", "torch-compile"):
        from siamfc.runtime.torch_engine import TorchEngine

        if model is None:
            raise ConfigError(f"the {backend} backend needs the model (weights), not only an export folder")
        if backend == "torch-compile":
            _check_compiler()
        return TorchEngine(model, precision, device, compile=backend == "torch-compile", threads=threads)
    if backend not in EXPORTING:
        raise ConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if not str(device).startswith("cpu"):
        raise ConfigError(f"the {backend} backend runs on the CPU only (device {device!r} asked)")
    from siamfc.runtime.onnx_engines import OnnxRuntimeEngine, OpenVINOEngine

    _check_installed(backend)
    if exported is None:
        if not isinstance(getattr(model, "backbone", None), AlexNetEmbedding):
            raise ConfigError(
                f"the {backend} backend runs SiamFC's AlexNet embedding only; use backend 'torch' for a custom backbone"
            )
        exported = exported_model(model, "openvino" if backend == "openvino" else "onnx")
    if backend == "onnxruntime":
        return OnnxRuntimeEngine(exported, precision, threads)
    return OpenVINOEngine(exported, precision, threads, cache_dir=cache_dir() / "openvino")


def unavailable(backend: str, precision: str = "fp32") -> str | None:
    """Why ``backend`` cannot run ``precision`` on this machine (None if it can): the checks the
    engines themselves make, without building one (for int8: not whether the weights have an int8 graph)."""
    try:
        check_precision(precision, backend=backend)
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
        raise BackendUnavailable(f"backend {backend} needs the onnx package to export the model: pip install onnx")


def _check_compiler() -> None:
    if not any(shutil.which(cc) for cc in ("g++", "c++", "clang++", "cl")):
        raise BackendUnavailable("backend torch-compile needs a C++ compiler (g++ or clang++) on the PATH")


# -- auto: measured ------------------------------------------------------------------------------
AUTOTUNE_FILE = "autotune.json"


def _autotune_key(backend: str, threads: int | None) -> str:
    """What a measured ranking depends on: backend and its version, CPU, threads."""
    if backend == "openvino":
        import openvino

        version = openvino.__version__
    else:
        import torch

        version = torch.__version__
    return f"{backend} {version} | {cpu_model()} | {threads or os.cpu_count()} threads"


#: Steps each candidate is timed for; candidates take turns (so that a busy spell of a shared
#: machine hits them alike) and the median counts.
TUNE_STEPS = 15
TUNE_WARM_UP = 2


def time_engines(engines: dict, num_scales: int = 3, steps: int = TUNE_STEPS, warm_up: int = TUNE_WARM_UP) -> dict:
    """``{name: median ms}`` of one tracking step's network (``score`` of ``num_scales`` search
    crops) for each of ``engines``, on fixed random crops, after ``warm_up`` steps each; the
    engines take turns, one step at a time."""
    from siamfc.model.architecture import EXEMPLAR_SIZE, INSTANCE_SIZE

    rng = np.random.default_rng(0)
    exemplar = rng.integers(0, 256, (1, EXEMPLAR_SIZE, EXEMPLAR_SIZE, 3), dtype=np.uint8)
    search = rng.integers(0, 256, (num_scales, INSTANCE_SIZE, INSTANCE_SIZE, 3), dtype=np.uint8)
    kernels = {name: engine.embed(exemplar) for name, engine in engines.items()}
    times: dict[str, list[float]] = {name: [] for name in engines}
    for step in range(warm_up + steps):
        for name, engine in engines.items():
            start = time.perf_counter()
            engine.score(kernels[name], search)
            if step >= warm_up:
                times[name].append(time.perf_counter() - start)
    return {name: 1000 * float(np.median(t)) for name, t in times.items()}


def time_engine(engine: Engine, num_scales: int = 3, repeats: int = TUNE_STEPS) -> float:
    """Median ms of one tracking step's network for one engine (:func:`time_engines`)."""
    return time_engines({"engine": engine}, num_scales, repeats)["engine"]


def autotune_entry(backend: str, threads: int | None = None) -> tuple[Path, str, dict | None]:
    """``(file, key, entry)`` of the cached ranking of ``backend`` on this machine (entry None if none)."""
    path = cache_dir() / AUTOTUNE_FILE
    key = _autotune_key(backend, threads)
    try:
        table = json.loads(path.read_text())
        entry = table.get(key) if isinstance(table, dict) else None
    except (OSError, ValueError):
        entry = None
    return path, key, entry if isinstance(entry, dict) and isinstance(entry.get("ms"), dict) else None


def forget_autotune() -> Path:
    """Delete the cached rankings (``siamfc bench --retune``): ``auto`` measures again on its next run."""
    path = cache_dir() / AUTOTUNE_FILE
    path.unlink(missing_ok=True)
    return path


def fastest(backend: str, precisions: list[str], build, threads: int | None = None) -> Engine:
    """The engine of the fastest of ``precisions`` (``build(precision) -> Engine``) on ``backend``.

    Measured once per machine (:func:`time_engines`: the median of :data:`TUNE_STEPS` steps, the
    candidates taking turns; a few seconds) and kept in ``<cache>/autotune.json``, keyed by
    backend version, CPU model and threads; later runs build only the winner, and if it fails to
    build, the next one in the measured order. ``siamfc bench`` says what is cached; ``siamfc
    bench --retune`` (or deleting the file) measures again.
    """
    if len(precisions) == 1:
        return build(precisions[0])
    from siamfc.io.files import write_text_atomic

    path, key, entry = autotune_entry(backend, threads)
    known = (entry or {}).get("ms", {})
    if all(isinstance(known.get(p), (int, float)) for p in precisions):
        return _build_first(backend, sorted(precisions, key=lambda p: known[p]), build)
    engines = {}
    for precision in precisions:
        try:
            engines[precision] = build(precision)
        except Exception as exc:  # noqa: BLE001 - a candidate that cannot build here is not the fastest
            if precision == precisions[-1] and not engines:
                raise
            _say_once(f"precision auto on {backend}: skipped {precision} ({exc})")
    ms = {p: round(v, 2) for p, v in time_engines(engines).items()}
    best = min(ms, key=lambda p: ms[p])
    try:
        table = json.loads(path.read_text())
    except (OSError, ValueError):
        table = {}
    table = table if isinstance(table, dict) else {}
    table[key] = {
        "ms": {**known, **ms},
        "measured": time.strftime("%Y-%m-%d %H:%M:%S"),
        "what": f"median ms of the network for 3 search crops over {TUNE_STEPS} steps, candidates in turns",
    }
    try:
        write_text_atomic(path, json.dumps(table, indent=2))
    except OSError:
        pass  # a read-only cache: measure again next time
    _say_once(
        f"precision auto on {backend}: measured {', '.join(f'{p} {v:.0f} ms' for p, v in ms.items())} "
        f"a step; using {best} (cached in {path})"
    )
    return engines[best]


def _build_first(backend: str, order: list[str], build) -> Engine:
    """Build the first of ``order`` that builds; one log line for each that does not."""
    for i, precision in enumerate(order):
        try:
            return build(precision)
        except Exception as exc:  # noqa: BLE001 - the cached winner may fail here now (e.g. a changed graph)
            if i == len(order) - 1:
                raise
            _say_once(
                f"precision auto on {backend}: the cached fastest, {precision}, failed to build ({exc}); "
                f"trying {order[i + 1]}"
            )
    raise AssertionError("unreachable: the last candidate either builds or raises")


def create_engine(
    model=None,
    backend: str = "auto",
    precision: str = "auto",
    *,
    weights=None,
    device="cpu",
    threads: int | None = None,
    exported=None,
    warm_up_scales: int | None = 3,
) -> Engine:
    """The engine for ``backend`` / ``precision`` (see the module doc), warmed up for ``warm_up_scales``.

    Args:
        model: a SiamFC; default: the weights at ``weights`` (default: the shipped ones), unless
            ``exported`` is run without them.
        weights: where ``model`` came from (a shipped name or a path): its ``.int8`` graph is looked
            for beside it, its bf16 check in its model card.
        exported: an export folder (``siamfc export``) for the onnxruntime / openvino backends. It
            runs only the precision it holds (an int8 folder: int8) and, where weights are given,
            only if it was exported from them.
    """
    from siamfc.runtime.export import weights_digest

    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    int8_dir = None
    if exported is not None:
        model, precision, digest = _export_to_run(exported, model, weights, backend, precision)
        if precision == "int8":
            int8_dir = Path(exported)
    else:
        if model is None:
            from siamfc.model.weights import load_weights

            model = load_weights(weights)
        digest = weights_digest(model)
    if precision != "auto":
        check_precision(precision, device, backend)  # after auto is resolved: an int8 folder is int8
    alexnet = model is None or _is_alexnet(model)
    on_cpu = str(device).startswith("cpu")
    if (
        exported is None
        and precision in ("int8", "auto")
        and alexnet
        and on_cpu
        and cpu_has_int8()
        and backend in ("auto", *INT8_BACKENDS)
        and not unavailable("openvino")
    ):
        if precision == "int8":
            int8_dir, found = int8_export(model, weights)
            if int8_dir is None:
                _say_once(f"precision int8: {found}; using precision auto without int8")
                precision = "auto"
        else:
            int8_dir = checked_int8(model, weights)  # auto: only a graph checked on held-out video
    if backend != "auto":
        backends = [backend]
    elif not on_cpu:
        backends = ["torch"]
    elif exported is not None:  # the backends that run export folders; torch only with the same weights
        backends = list(INT8_BACKENDS) if precision == "int8" else [b for b in AUTO_ORDER if b in EXPORTING]
        backends += ["torch"] if model is not None and precision != "int8" else []
    else:
        backends = list(AUTO_ORDER) if alexnet else ["torch"]  # the exporting backends run SiamFC's AlexNet only
    skipped = []
    for name in backends:

        def build(p, name=name):
            folder = int8_dir if p == "int8" else exported
            return build_engine(name, model, p, device=device, threads=threads, exported=folder)

        ready = {}
        if precision == "auto":
            ready = {"int8_ready": int8_dir is not None, "bf16_ready": bf16_ready(digest, weights, name)}
        try:
            engine = fastest(name, candidates(name, precision, alexnet, device, **ready), build, threads)
        except Exception as exc:  # noqa: BLE001 - any failure of a candidate means: try the next one
            if name == backends[-1]:
                raise
            skipped.append(f"{name}: {exc if isinstance(exc, SiamFCError) else f'{type(exc).__name__}: {exc}'}")
            continue
        if skipped:
            _say_once(f"backend auto: using {engine.describe()} (skipped {'; '.join(skipped)})")
        if warm_up_scales:
            engine.warm_up(warm_up_scales)
        return engine
    raise AssertionError("unreachable: the last candidate either builds or raises")


def _export_to_run(exported, model, weights, backend: str, precision: str) -> tuple:
    """``(model or None, precision, weights digest)`` for running the export folder ``exported``.

    The folder decides the precision ``auto`` means (an int8 folder holds int8 only) and refuses
    one it does not hold; weights asked for (``model``, ``weights``, or the default ones for the
    torch backends, which run weights, not graphs) must be those it was exported from.
    """
    from siamfc.runtime.export import read_manifest, weights_digest

    manifest = read_manifest(exported)
    held = manifest.get("precision", "fp32")
    if held == "int8" and precision not in ("int8", "auto"):
        raise ConfigError(f"{exported} holds an int8 graph: run it with precision int8 (or auto), not {precision}")
    if held != "int8" and precision == "int8":
        raise ConfigError(
            f"{exported} holds {held} graphs: precision int8 needs an int8 export "
            "(siamfc export --precision int8 --calibrate DATA)"
        )
    if model is None and (weights is not None or backend in ("torch", "torch-compile")):
        from siamfc.model.weights import load_weights

        model = load_weights(weights)
    recorded = manifest.get("weights_digest")
    if model is not None and weights_digest(model) != recorded:
        asked = f"the weights {weights}" if weights is not None else "the weights asked for"
        raise ConfigError(
            f"{exported} was exported from other weights (digest {recorded}) than {asked} "
            f"(digest {weights_digest(model)}): export those weights, or run the folder without weights"
        )
    return model, "int8" if held == "int8" else precision, recorded


def _is_alexnet(model) -> bool:
    return isinstance(getattr(model, "backbone", None), AlexNetEmbedding)
