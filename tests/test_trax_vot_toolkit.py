"""SiamFC as a TraX tracker (``python -m siamfc.vot``), driven by the official clients.

* the ``vot-toolkit``'s own supervised experiment, tracker registry (``trackers.ini``) and TraX
  runtime over the bench's VOT sequence ``bag``: the boxes equal ``siamfc eval --dataset vot2015``'s
  committed result (docs/results/vot_bench, same engine: torch fp32);
* ``vot-trax``'s Python client: re-initialisation from a rectangle and from a polygon, bad
  regions, and a client that goes away mid-sequence.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import BENCH, ROOT, requires_shared

from siamfc.data.folder import from_file_coords, to_file_coords
from siamfc.evaluation.results import BOX, FAILURE, INIT, SKIPPED, read_trajectory
from siamfc.evaluation.trackers import TrackerSpec
from siamfc.geometry import polygons_to_region_boxes

trax = pytest.importorskip("trax", reason="the vot-trax package (test extra)")
from trax import Polygon as TraxPolygon  # noqa: E402
from trax import Rectangle  # noqa: E402
from trax.client import Client  # noqa: E402
from trax.image import FileImage  # noqa: E402

ENGINE = ["--backend", "torch", "--precision", "fp32"]  # the engine of docs/results/vot_bench
SERVER = [sys.executable, "-m", "siamfc.vot", *ENGINE]


def _env():
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


@requires_shared
def test_the_vot_toolkit_runs_siamfc_from_trackers_ini_and_gets_evals_boxes(tmp_path):
    from vot.dataset import read_legacy_sequence
    from vot.experiment.multirun import SupervisedExperiment
    from vot.region import Special
    from vot.tracker import OnlineTrackerRuntime, Registry
    from vot.tracker.results import Trajectory
    from vot.workspace.storage import LocalStorage

    class OneObject(OnlineTrackerRuntime):
        """vot-toolkit 0.9.0's SupervisedExperiment hands its TraX runtime one ObjectStatus where
        the runtime wants a list (and gets a list back where it wants one): bridged here, nothing
        else is changed."""

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

    # The entry docs/evaluation.md documents, with this interpreter and checkout.
    (tmp_path / "trackers.ini").write_text(textwrap.dedent(f"""\
        [SiamFC]
        label = SiamFC
        protocol = trax
        command = {sys.executable} -m siamfc.vot {' '.join(ENGINE)}
        env_PYTHONPATH = {ROOT}
        """))
    tracker = Registry([str(tmp_path)])["SiamFC"]
    sequence = read_legacy_sequence(str(BENCH / "vot2015" / "bag"))
    experiment = SupervisedExperiment("baseline", LocalStorage(str(tmp_path / "workspace")), repetitions=1,
                                      skip_initialize=5)
    experiment._get_runtime = lambda tracker, sequence, multiobject=False: OneObject(tracker.runtime())
    experiment.execute(tracker, sequence)
    regions = Trajectory.read(experiment.results(tracker, sequence), "bag_001").regions()

    ours = read_trajectory(ROOT / "docs" / "results" / "vot_bench" / "siamfc", "bag", "vot")
    assert len(regions) == len(ours.status) == 196
    codes = {INIT: 1, FAILURE: 2, SKIPPED: 0}
    for i, (region, status) in enumerate(zip(regions, ours.status)):
        if status == BOX:
            theirs = from_file_coords(np.array([[region.x, region.y, region.width, region.height]]))[0]
            np.testing.assert_allclose(theirs, ours.boxes[i], atol=1e-3, err_msg=f"frame {i + 1}")
        else:
            assert isinstance(region, Special) and region.code == codes[int(status)], f"frame {i + 1}"


def _start_server(tmp_path, *extra):
    with open(tmp_path / "server.err", "w") as err:  # the child keeps its own descriptor
        proc = subprocess.Popen([*SERVER, *extra], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                env=_env(), cwd=tmp_path)
    # vot-trax 4.0.2's Client needs a logger (log=False fails in ctypes); the toolkit passes one too.
    client = Client(stream=(proc.stdin.fileno(), proc.stdout.fileno()), timeout=120, log=lambda message: None)
    return proc, client


def _box(objects) -> np.ndarray:
    region = objects[0][0]
    return from_file_coords(np.array([region.bounds()], dtype=np.float64))[0]


@requires_shared
def test_reinitialisation_from_rectangles_and_polygons_matches_the_tracker_in_process(tmp_path):
    """Initialise from a rectangle, track 2 frames, initialise again from a polygon, track 2
    frames: the boxes equal a SiamFC tracker run in this process on the same regions."""
    from siamfc.data.registry import open_dataset

    seq = open_dataset("vot2015", BENCH / "vot2015")["bag"]
    files = [str(seq.frames[i]) for i in range(6)]
    rect = to_file_coords(np.array([seq.boxes[0]]))[0]
    poly = to_file_coords(seq.polygons[3:4])[0]
    proc, client = _start_server(tmp_path)
    try:
        got = [_box(client.initialize({"color": FileImage.create(files[0])},
                                      [(Rectangle.create(*map(float, rect)), {})], {})[0])]
        got += [_box(client.frame({"color": FileImage.create(f)}, {}, [])[0]) for f in files[1:3]]
        points = [(float(poly[k]), float(poly[k + 1])) for k in range(0, 8, 2)]
        got += [_box(client.initialize({"color": FileImage.create(files[3])}, [(TraxPolygon.create(points), {})], {})[0])]
        got += [_box(client.frame({"color": FileImage.create(f)}, {}, [])[0]) for f in files[4:6]]
        client.quit()
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
    tracker = TrackerSpec("siamfc", backend="torch", precision="fp32").build()
    tracker.init(seq.frame(0), seq.boxes[0])
    want = [seq.boxes[0]] + [tracker.update(seq.frame(i)).box for i in (1, 2)]
    start = polygons_to_region_boxes(seq.polygons[3:4])[0]
    tracker.init(seq.frame(3), start)
    want += [start] + [tracker.update(seq.frame(i)).box for i in (4, 5)]
    np.testing.assert_allclose(np.array(got), np.array(want, dtype=np.float64), atol=1e-3)


CLIENT_THAT_DIES = """
import os, subprocess, sys
from trax import Rectangle
from trax.client import Client
from trax.image import FileImage
server, frame, err = sys.argv[1].split(" "), sys.argv[2], sys.argv[3]
proc = subprocess.Popen(server, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(err, "w"))
client = Client(stream=(proc.stdin.fileno(), proc.stdout.fileno()), timeout=120, log=lambda message: None)
client.initialize({"color": FileImage.create(frame)}, [(Rectangle.create(300, 140, 100, 100), {})], {})
client.frame({"color": FileImage.create(frame)}, {}, [])
os.close(proc.stdin.fileno())  # the toolkit's end of the pipes is gone, mid-sequence
os.close(proc.stdout.fileno())
print(proc.wait(timeout=60), flush=True)
os._exit(0)  # without a goodbye (vot-trax's client cannot be finalised on closed pipes)
"""


@requires_shared
def test_a_client_that_goes_away_mid_sequence_ends_the_tracker_cleanly(tmp_path):
    frame = str(BENCH / "vot2015" / "bag" / "00000001.jpg")
    out = subprocess.run([sys.executable, "-c", CLIENT_THAT_DIES, " ".join(SERVER), frame, str(tmp_path / "server.err")],
                         check=False, capture_output=True, text=True, env=_env(), timeout=180, cwd=tmp_path)
    assert out.stdout.strip() == "0", out.stderr[-2000:]  # the tracker's exit status
    err = (tmp_path / "server.err").read_text()
    assert "the client went away" in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("siamfc trax")]) == 1


@requires_shared
@pytest.mark.parametrize("region, words", [
    (lambda: TraxPolygon.create([(10.0, 10.0), (50.0, 10.0), (90.0, 10.0)]), "box"),  # no area
    (lambda: Rectangle.create(10.0, 10.0, 0.0, 40.0), "box"),
])
def test_a_region_siamfc_cannot_start_from_is_one_line_and_status_2(tmp_path, region, words):
    frame = str(BENCH / "vot2015" / "bag" / "00000001.jpg")
    proc, client = _start_server(tmp_path)
    try:
        with pytest.raises(trax.TraxException, match="terminated"):
            client.initialize({"color": FileImage.create(frame)}, [(region(), {})], {})
        assert proc.wait(timeout=60) == 2
    finally:
        proc.kill()
    err = (tmp_path / "server.err").read_text()
    assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_run_by_hand_without_a_client_it_ends_with_one_line():
    out = subprocess.run([*SERVER], check=False, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=_env(),
                         timeout=120)
    assert out.returncode == 0 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [line for line in out.stderr.strip().splitlines() if "went away" in line]


def test_a_polygon_of_fewer_than_3_points_is_refused_by_name():
    """vot-trax's Python client cannot even send one (it asserts); another client could."""
    from trax import Region

    from siamfc.errors import DataError
    from siamfc.vot import start_box

    class TwoPoints:
        type = Region.POLYGON

        def __iter__(self):
            return iter([(10.0, 10.0), (50.0, 10.0)])

    with pytest.raises(DataError, match="TraX region: a polygon needs at least 3 points, got 2"):
        start_box(TwoPoints())
