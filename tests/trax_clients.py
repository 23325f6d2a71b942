"""The official TraX clients, each run in a process of its own by tests/test_eval_trax_vot_toolkit.py.

vot-trax's client hands C callbacks (its logger) to libtrax and can crash the interpreter when
they are collected in another order than it expects (seen once in a full test session: SIGSEGV
after a toolkit run). A client process that crashes fails its test; it cannot take the test
session down. Each command writes what it got to a JSON file and leaves with ``os._exit``, so
that no finaliser runs on closed pipes.

    python tests/trax_clients.py toolkit  WORKDIR SEQUENCE_DIR COMMAND...
    python tests/trax_clients.py session  OUT.json SCRIPT.json COMMAND...
    python tests/trax_clients.py dies     OUT.json FRAME ERRFILE COMMAND...
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _finish(path, payload) -> None:
    Path(path).write_text(json.dumps(payload))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def toolkit(workdir: str, sequence_dir: str, command: list[str]) -> None:
    """The toolkit's registry (trackers.ini), legacy sequence reader and supervised experiment."""
    from vot.dataset import read_legacy_sequence
    from vot.experiment.multirun import SupervisedExperiment
    from vot.region import Special
    from vot.tracker import OnlineTrackerRuntime, Registry
    from vot.tracker.results import Trajectory
    from vot.workspace.storage import LocalStorage

    class OneObject(OnlineTrackerRuntime):
        """vot-toolkit 0.8.1 / 0.9.0's SupervisedExperiment hands its TraX runtime one ObjectStatus
        where the runtime wants a list (and gets a list back where it wants one status): bridged
        here, nothing else is changed."""

        def __init__(self, runtime):
            super().__init__(runtime.tracker)
            self._runtime = runtime

        def stop(self):
            self._runtime.stop()

        def restart(self):
            self._runtime.restart()

        def initialize(self, frame, new=None):
            status, elapsed = self._runtime.initialize(frame, [new])
            return status[0], elapsed

        def update(self, frame, new=None):
            status, elapsed = self._runtime.update(frame, [])
            return status[0], elapsed

    work = Path(workdir)
    # The entry docs/evaluation.md documents, with this interpreter and checkout.
    (work / "trackers.ini").write_text(
        "[SiamFC]\nlabel = SiamFC\nprotocol = trax\n"
        f"command = {' '.join(command)}\nenv_PYTHONPATH = {os.environ.get('PYTHONPATH', '')}\n"
    )
    tracker = Registry([str(work)])["SiamFC"]
    sequence = read_legacy_sequence(sequence_dir)
    experiment = SupervisedExperiment(
        "baseline", LocalStorage(str(work / "workspace")), repetitions=1, skip_initialize=5
    )
    experiment._get_runtime = lambda tracker, sequence, multiobject=False: OneObject(tracker.runtime())
    experiment.execute(tracker, sequence)
    regions = Trajectory.read(experiment.results(tracker, sequence), f"{sequence.name}_001").regions()
    out = [{"code": int(r.code)} if isinstance(r, Special) else {"box": [r.x, r.y, r.width, r.height]} for r in regions]
    _finish(work / "regions.json", out)


def _client(command: list[str], err_path: str):
    from trax.client import Client

    with open(err_path, "w") as err:
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
    # vot-trax 4.0.2's Client needs a logger (log=False fails in ctypes); the toolkit passes one too.
    return proc, Client(stream=(proc.stdin.fileno(), proc.stdout.fileno()), timeout=120, log=lambda message: None)


def _region(spec):
    from trax import Polygon, Rectangle

    if len(spec) == 4:
        return Rectangle.create(*map(float, spec))
    return Polygon.create([(float(spec[k]), float(spec[k + 1])) for k in range(0, len(spec), 2)])


def _image(frame: str):
    """A file image, or for ``.npy`` frames the array as a memory image (grey or RGB)."""
    from trax.image import FileImage, MemoryImage

    if frame.endswith(".npy"):
        import numpy as np

        return MemoryImage.create(np.load(frame))
    return FileImage.create(frame)


def session(out: str, script: str, command: list[str]) -> None:
    """Steps ``[["init", frame, region numbers], ["frame", frame], ...]``; records each answer (a
    rectangle) or the client's error, then quits and records the tracker's exit status. A frame
    ending in ``.npy`` is sent as a memory image."""
    from trax import TraxException

    steps = json.loads(Path(script).read_text())
    proc, client = _client(command, str(Path(out).with_suffix(".err")))
    answers, error = [], None
    try:
        for step in steps:
            image = {"color": _image(step[1])}
            if step[0] == "init":
                objects, _ = client.initialize(image, [(_region(step[2]), {})], {})
            else:
                objects, _ = client.frame(image, {}, [])
            answers.append(list(objects[0][0].bounds()))
        client.quit()
    except TraxException as exc:
        error = str(exc)
    _finish(out, {"answers": answers, "error": error, "status": proc.wait(timeout=60)})


def dies(out: str, frame: str, err_path: str, command: list[str]) -> None:
    """Initialise, send one frame, then close the pipes mid-sequence, as a crashed toolkit would."""
    from trax import Rectangle
    from trax.image import FileImage

    proc, client = _client(command, err_path)
    client.initialize({"color": FileImage.create(frame)}, [(Rectangle.create(300, 140, 100, 100), {})], {})
    client.frame({"color": FileImage.create(frame)}, {}, [])
    os.close(proc.stdin.fileno())
    os.close(proc.stdout.fileno())
    _finish(out, {"status": proc.wait(timeout=60)})


if __name__ == "__main__":
    what, args = sys.argv[1], sys.argv[2:]
    if what == "toolkit":
        toolkit(args[0], args[1], args[2:])
    elif what == "session":
        session(args[0], args[1], args[2:])
    elif what == "dies":
        dies(args[0], args[1], args[2], args[3:])
    else:
        sys.exit(f"unknown client {what!r}")
