"""Shared test fixtures, and the one place that decides skips.

Each optional dependency (the shared datasets, a package, a CPU feature) is a marker listed in
:data:`NEEDS`; a test that needs one carries the marker and is skipped, with the reason, where it is
missing. At the end, ``pytest -q`` prints how many tests each missing group skipped and why."""

from __future__ import annotations

import importlib.util
import os
import signal
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
#: The read-only data folder beside the checkout (present in CI, absent on a bare clone).
SHARED = Path(os.environ.get("SIAMFC_SHARED", ROOT.parent / "shared"))
BENCH = SHARED / "datasets" / "bench"
TRAIN = SHARED / "datasets" / "train"
REFERENCE = SHARED / "datasets" / "reference"


def _installed(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


def _cpu(flag: str) -> bool:
    from siamfc.runtime import select

    return {"bf16": select.cpu_has_bf16, "int8": select.cpu_has_int8}[flag]()


#: Which optional inference packages are installed (the exporting backends need onnx too).
HAS_ONNX = _installed("onnx")
HAS_ORT = HAS_ONNX and _installed("onnxruntime")
HAS_OV = HAS_ONNX and _installed("openvino")
HAS_NNCF = HAS_OV and _installed("nncf")

#: The one place that decides skips: marker -> (is it available?, what is missing and how to get it).
#: A test says what it needs with the marker (``@pytest.mark.openvino``; a module: ``pytestmark``);
#: ``require(name)`` does the same for a module that must import the package at its top.
NEEDS = {
    "shared": (
        lambda: (SHARED / "datasets").is_dir(),
        f"needs the shared datasets at {SHARED} (absent on a bare clone)",
    ),
    "onnxruntime": (lambda: HAS_ORT, "needs onnxruntime: pip install 'siamfc[onnxruntime]'"),
    "openvino": (lambda: HAS_OV, "needs openvino and onnx (core dependencies): pip install -e ."),
    "nncf": (lambda: HAS_NNCF, "needs NNCF to make int8 graphs: pip install 'siamfc[quantize]'"),
    "app": (lambda: _installed("starlette", "uvicorn"), "needs the app extra: pip install 'siamfc[app]'"),
    "playwright": (lambda: _installed("playwright"), "needs playwright (test extra): pip install -e '.[test]'"),
    "trax": (lambda: _installed("trax"), "needs vot-trax: pip install 'siamfc[vot]'"),
    "optuna": (lambda: _installed("optuna"), "needs optuna for siamfc tune: pip install 'siamfc[tune]'"),
    "vot_toolkit": (lambda: _installed("vot"), "needs the official vot-toolkit (test extra)"),
    "got10k": (lambda: _installed("got10k"), "needs the official got10k toolkit (test extra)"),
    "tflite": (lambda: _installed("tflite"), "needs the tflite reader: pip install 'siamfc[convert]'"),
    "scipy": (lambda: _installed("scipy"), "needs scipy to read .mat files: pip install 'siamfc[convert]'"),
    "bf16_cpu": (lambda: _cpu("bf16"), "this CPU has no bf16 instructions"),
    "int8_cpu": (lambda: _cpu("int8"), "this CPU has no int8 dot-product instructions (VNNI / AMX-INT8)"),
}
_available: dict[str, bool] = {}


def available(name: str) -> bool:
    if name not in _available:
        _available[name] = bool(NEEDS[name][0]())
    return _available[name]


def require(name: str) -> None:
    """Skip the calling module unless ``name`` (a key of :data:`NEEDS`) is available."""
    if not available(name):
        pytest.skip(NEEDS[name][1], allow_module_level=True)


#: Kept for the tests written before the markers: the same as ``@pytest.mark.shared``.
requires_shared = pytest.mark.shared


@pytest.fixture(autouse=True)
def _sigchld_at_its_default():
    """Every test starts with SIGCHLD at its default.

    A test that trains with DataLoader workers leaves torch's Python SIGCHLD handler installed in
    this process; a later test's child process exiting (torchrun, a tuning worker, a server) then
    brought the whole pytest process down with SIGSEGV in full runs (seen in the DDP test and in
    the tuning tests). The handler only matters while DataLoader workers run, inside their test.
    """
    if hasattr(signal, "SIGCHLD"):
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    yield


def pytest_configure(config):
    for name, (_, why) in NEEDS.items():
        config.addinivalue_line("markers", f"{name}: {why} (skipped otherwise)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        for name in NEEDS:
            if item.get_closest_marker(name) and not available(name):
                item.add_marker(pytest.mark.skip(reason=NEEDS[name][1]))


def pytest_terminal_summary(terminalreporter):
    """At the end of ``pytest -q``: which groups of tests were skipped, how many, and why."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    if reasons:
        terminalreporter.write_sep("-", "skipped groups")
        for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1]):
            terminalreporter.write_line(f"{count:4d} skipped: {reason}")


# Two cores: keep each test process on one thread so parallel jobs don't thrash.
torch.set_num_threads(1)

# Exports made by the tests (random weights) go to a throw-away cache, not the user's ~/.cache.
if "SIAMFC_CACHE" not in os.environ:
    import tempfile

    os.environ["SIAMFC_CACHE"] = tempfile.mkdtemp(prefix="siamfc-test-cache-")
