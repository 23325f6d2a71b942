"""The recorded checks that let ``precision auto`` use a reduced precision: does one hold here?

A *check* says whether ``int8`` or ``bf16`` tracks like fp32 for one weights file, measured on
held-out validation video (:mod:`siamfc.evaluation.precision_check`, made by ``siamfc export
--check VIDEOS`` or ``benchmarks/precision_gates.py``). Where it is kept:

* int8: in the int8 graph's ``export.json`` under ``check`` (the graph is what was checked);
* bf16: in the weights' model card under ``checks.bf16`` (bf16 runs the fp32 export: no graph).

A check is a dict with at least ``passed``, ``precision``, ``backend``, ``weights_digest`` and
``versions`` (``openvino`` / ``nncf`` / ``torch``, as :func:`running_versions` reads them). It holds
(:func:`check_problem` returns None) only for those weights, on that backend, and with the version
of the runtime that computed it: another OpenVINO (or PyTorch) release may run other kernels, so
until the check is made again ``auto`` treats the precision as unverified. NNCF only *made* an
int8 graph; a new NNCF changes nothing until a graph is quantised again, which writes a new
manifest without a check -- so its version is recorded, not compared.
"""

from __future__ import annotations

import importlib.metadata

#: The package whose release computes each backend's numbers (compared with the recorded one).
RUNTIME_OF = {"openvino": "openvino", "torch": "torch", "torch-compile": "torch"}
#: The versions recorded with a check.
RECORDED = ("openvino", "nncf", "torch")


def running_versions() -> dict:
    """``{package: version or None}`` of :data:`RECORDED`, from the installed distributions (no import)."""
    out: dict[str, str | None] = {}
    for package in RECORDED:
        try:
            out[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            out[package] = None
    return out


def version_change(check: dict, backend: str) -> str | None:
    """How the runtime of ``backend`` differs from the one that made ``check`` (None: the same release)."""
    package = RUNTIME_OF.get(backend, backend)
    recorded, now = (check.get("versions") or {}).get(package), running_versions().get(package)
    return None if recorded == now else f"made with {package} {recorded}, this is {package} {now}"


def check_problem(check, *, precision: str, backend: str, digest: str) -> str | None:
    """Why ``check`` does not let ``auto`` run ``precision`` on ``backend`` for the weights with
    ``digest`` (None: it does). The reason is one clause, for a log line."""
    if not isinstance(check, dict) or "passed" not in check:
        return f"no {precision} check on held-out video is recorded for these weights"
    if check.get("precision") != precision or check.get("weights_digest") != digest:
        return f"its {precision} check was made for other weights or another precision"
    if check.get("backend") != backend:
        return f"its {precision} check was made on {check.get('backend')}, not {backend}"
    changed = version_change(check, backend)
    if changed:
        return f"its {precision} check was {changed}: check it again"
    if not check["passed"]:
        return f"its {precision} check on held-out video is outside the bound ({check.get('summary', '')})"
    return None
