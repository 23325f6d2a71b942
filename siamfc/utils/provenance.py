"""What made a result file: recorded in every file that evaluation, reports and the bench write.

``made_by()`` gives the command line that is running, the package version and, where a network
ran, its weights (path and SHA-256) and the engine that ran it; result files carry it under the
key ``made_by`` so that every number in the docs can be traced to the command that produced it.
"""

from __future__ import annotations

import contextlib
import platform
import shlex
import sys
import time
from pathlib import Path

_running: list[list[str]] = []


@contextlib.contextmanager
def running_command(argv):
    """Within this block, :func:`command_line` is ``argv`` (the ``siamfc`` command runs its
    subcommands in it, so that a programmatic ``main([...])`` records its own arguments)."""
    _running.append(list(argv))
    try:
        yield
    finally:
        _running.pop()


def command_line(argv=None) -> str:
    """The command being run, as one would type it: ``siamfc eval ...`` or ``python benchmarks/x.py ...``."""
    if argv is None and _running:
        return " ".join(map(shlex.quote, _running[-1]))
    argv = list(sys.argv if argv is None else argv)
    program = Path(argv[0]).name if argv else "python"
    if program.endswith(".py"):
        program = f"python {argv[0]}"
    elif program in ("__main__.py", "-m", "-c"):
        program = "python -m siamfc"
    return " ".join([program, *map(shlex.quote, argv[1:])])


def made_by(weights=None, engine: str | None = None, **extra) -> dict:
    """Provenance of a result: command, package version, Python, time; ``weights`` (a path, or
    None for the shipped ones) with its SHA-256; ``engine`` (what ran the network)."""
    from siamfc import __version__

    info = {
        "command": command_line(),
        "siamfc_version": __version__,
        "python": platform.python_version(),
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    if weights is not False:
        info.update(weights_provenance(weights))
    if engine is not None:
        info["engine"] = engine
    info.update(extra)
    return info


def weights_provenance(weights=None) -> dict:
    """``{"weights": path, "weights_sha256": hex}`` of a weights file (default: the shipped one)."""
    from siamfc.io.files import file_sha256
    from siamfc.model.weights import resolve_weights

    path = resolve_weights(weights or None)
    return {"weights": str(path), "weights_sha256": file_sha256(path) if path.is_file() else None}
