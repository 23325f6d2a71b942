"""SiamFC as a TraX tracker (``python -m siamfc.vot``), driven by the official clients.

* the ``vot-toolkit``'s own supervised experiment, tracker registry (``trackers.ini``) and TraX
  runtime over the bench's VOT sequence ``bag``: the boxes equal ``siamfc eval --dataset vot2015``'s
  committed result (docs/results/vot_bench, same weights and engine: paper, torch fp32);
* ``vot-trax``'s Python client: re-initialisation from a rectangle and from a polygon, grey
  memory images, bad regions, and a client that goes away mid-sequence.

The clients run in processes of their own (tests/trax_clients.py): a crash inside vot-trax's
ctypes client fails one test instead of the session.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import BENCH, ROOT, require, requires_shared
from readers_fixtures import write_moving_square

from siamfc.data.box_files import from_file_coords, to_file_coords
from siamfc.evaluation.results import BOX, FAILURE, INIT, SKIPPED, read_trajectory
from siamfc.evaluation.trackers import TrackerSpec
from siamfc.geometry import polygons_to_region_boxes

# vot-trax is imported by the client processes only: with its libtrax loaded in the test session,
# a full session once died of SIGSEGV here (not reproduced with fewer tests).
require("trax")

# The weights and engine of docs/results/vot_bench (named, so that a new default cannot make it stale;
# a change to the tracker itself does: then remake it with the command in docs/evaluation.md).
ENGINE = ["--weights", "paper", "--backend", "torch", "--precision", "fp32"]
SERVER = [sys.executable, "-m", "siamfc.vot", *ENGINE]
CLIENTS = Path(__file__).resolve().parent / "trax_clients.py"


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _run_client(*args, timeout=900):
    out = subprocess.run(
        [sys.executable, str(CLIENTS), *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=timeout,
    )
    assert out.returncode == 0, f"client exited with {out.returncode}: {out.stderr[-3000:]}"
    return out


@requires_shared
@pytest.mark.vot_toolkit  # not imported here: the client process imports it
def test_the_vot_toolkit_runs_siamfc_from_trackers_ini_and_gets_evals_boxes(tmp_path):
    _run_client("toolkit", tmp_path, BENCH / "vot2015" / "bag", *SERVER)
    regions = json.loads((tmp_path / "regions.json").read_text())
    ours = read_trajectory(ROOT / "docs" / "results" / "vot_bench" / "siamfc", "bag", "vot")
    assert len(regions) == len(ours.status) == 196
    codes = {INIT: 1, FAILURE: 2, SKIPPED: 0}
    for i, (region, status) in enumerate(zip(regions, ours.status)):
        if status == BOX:
            theirs = from_file_coords(np.array([region["box"]], dtype=np.float64))[0]
            np.testing.assert_allclose(theirs, ours.boxes[i], atol=1e-3, err_msg=f"frame {i + 1}")
        else:
            assert region.get("code") == codes[int(status)], f"frame {i + 1}"


def _session(tmp_path, steps):
    script = tmp_path / "steps.json"
    script.write_text(json.dumps(steps))
    _run_client("session", tmp_path / "session.json", script, *SERVER, timeout=300)
    result = json.loads((tmp_path / "session.json").read_text())
    return result, (tmp_path / "session.err").read_text()


@requires_shared
def test_reinitialisation_from_rectangles_and_polygons_matches_the_tracker_in_process(tmp_path):
    """Initialise from a rectangle, track 2 frames, initialise again from a polygon, track 2
    frames: the boxes equal a SiamFC tracker run in this process on the same regions."""
    from siamfc.data.registry import open_dataset

    seq = open_dataset("vot2015", BENCH / "vot2015")["bag"]
    files = [str(seq.frames[i]) for i in range(6)]
    rect = to_file_coords(np.array([seq.boxes[0]]))[0].tolist()
    poly = to_file_coords(seq.polygons[3:4])[0].tolist()
    steps = [
        ["init", files[0], rect],
        ["frame", files[1]],
        ["frame", files[2]],
        ["init", files[3], poly],
        ["frame", files[4]],
        ["frame", files[5]],
    ]
    result, _ = _session(tmp_path, steps)
    assert result["error"] is None and result["status"] == 0
    got = from_file_coords(np.array(result["answers"], dtype=np.float64))

    tracker = TrackerSpec("siamfc", weights="paper", backend="torch", precision="fp32").build()
    tracker.init(seq.frame(0), seq.boxes[0])
    want = [seq.boxes[0]] + [tracker.update(seq.frame(i)).box for i in (1, 2)]
    start = polygons_to_region_boxes(seq.polygons[3:4])[0]
    tracker.init(seq.frame(3), start)
    want += [start] + [tracker.update(seq.frame(i)).box for i in (4, 5)]
    np.testing.assert_allclose(got, np.array(want, dtype=np.float64), atol=1e-3)


def test_grey_memory_images_are_tracked_as_their_grey_bgr_copies(tmp_path):
    """vot-trax sends a 2-D array as an 8-bit grey memory image; the tracker once answered it with a
    traceback (cvtColor RGB2BGR on one channel). Now: the same boxes as in-process on grey BGR frames."""
    rows = write_moving_square(tmp_path / "img", 3)
    grey = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in sorted((tmp_path / "img").iterdir())]
    for i, frame in enumerate(grey):
        np.save(tmp_path / f"{i}.npy", frame)
    steps = [["init", str(tmp_path / "0.npy"), rows[0]]] + [["frame", str(tmp_path / f"{i}.npy")] for i in (1, 2)]
    result, err = _session(tmp_path, steps)
    assert result["error"] is None and result["status"] == 0 and "Traceback" not in err
    got = from_file_coords(np.array(result["answers"], dtype=np.float64))

    tracker = TrackerSpec("siamfc", weights="paper", backend="torch", precision="fp32").build()
    bgr = [cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) for frame in grey]
    start = from_file_coords(np.array([rows[0]], dtype=np.float64))[0]
    tracker.init(bgr[0], start)
    want = [start] + [tracker.update(frame).box for frame in bgr[1:]]
    np.testing.assert_allclose(got, np.array(want, dtype=np.float64), atol=1e-3)


@requires_shared
def test_a_client_that_goes_away_mid_sequence_ends_the_tracker_cleanly(tmp_path):
    frame = BENCH / "vot2015" / "bag" / "00000001.jpg"
    _run_client("dies", tmp_path / "dies.json", frame, tmp_path / "server.err", *SERVER, timeout=300)
    assert json.loads((tmp_path / "dies.json").read_text())["status"] == 0  # the tracker's exit status
    err = (tmp_path / "server.err").read_text()
    assert "the client went away" in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("siamfc trax")]) == 1


@requires_shared
@pytest.mark.parametrize(
    "region, words",
    [
        ([10.0, 10.0, 50.0, 10.0, 90.0, 10.0], "box"),  # a polygon of no area
        ([10.0, 10.0, 0.0, 40.0], "box"),  # a rectangle of no width
    ],
)
def test_a_region_siamfc_cannot_start_from_is_one_line_and_status_2(tmp_path, region, words):
    frame = str(BENCH / "vot2015" / "bag" / "00000001.jpg")
    result, err = _session(tmp_path, [["init", frame, region]])
    assert "terminated" in result["error"] and result["status"] == 2
    assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_run_by_hand_without_a_client_it_ends_with_one_line():
    out = subprocess.run(
        [*SERVER], check=False, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=_env(), timeout=120
    )
    assert out.returncode == 0 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [line for line in out.stderr.strip().splitlines() if "went away" in line]


def test_a_polygon_of_fewer_than_3_points_is_refused_by_name():
    """vot-trax's Python client cannot even send one (it asserts); another client could."""
    from siamfc.apps.trax import start_box
    from siamfc.errors import DataError

    class TwoPoints:
        type = "polygon"  # trax.Region.POLYGON

        def __iter__(self):
            return iter([(10.0, 10.0), (50.0, 10.0)])

    with pytest.raises(DataError, match="TraX region: a polygon needs at least 3 points, got 2"):
        start_box(TwoPoints())
