"""Files from the field: read them, or say why not.

* the VOT toolkit's own result files (vot-toolkit 0.9, written here by its own code): binary
  trajectories (its default) and ``_time.value`` files, read by ``siamfc report``;
* a folder of tracker folders with a stray file: trackers are found by their content, and what was
  skipped is named;
* blank lines: one rule for box files and result files;
* ``--results`` naming a file; one start box for a polygon, from TraX and from ``--box FILE``;
  grey TraX memory images; the box-drawing window that headless OpenCV cannot open.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from readers_fixtures import write_moving_square, write_otb_root

from siamfc.apps.cli import main
from siamfc.data.box_files import format_row, read_box_file
from siamfc.errors import DataError, InvalidFrameError
from siamfc.evaluation.results import BOX, FAILURE, INIT, SKIPPED, read_trajectory


# -- the VOT toolkit's own files -------------------------------------------------------------------
def _vot_root(root: Path, n: int = 40) -> dict[str, np.ndarray]:
    """An annotation-only VOT root of two sequences of slowly moving, slightly rotated quadrilaterals."""
    root.mkdir(parents=True)
    polygons = {}
    for k, name in enumerate(("alpha", "beta")):
        t = np.arange(n)[:, None]
        cx, cy, a = 60 + 2 * t + 10 * k, 50 + t, 0.1 + 0.01 * t
        dx, dy = 20 * np.cos(a), 20 * np.sin(a)
        ex, ey = -12 * np.sin(a), 12 * np.cos(a)
        poly = np.hstack([cx - dx - ex, cy - dy - ey, cx + dx - ex, cy + dy - ey, cx + dx + ex, cy + dy + ey])
        poly = np.hstack([poly, cx - dx + ex, cy - dy + ey])
        polygons[name] = poly
        (root / name).mkdir()
        (root / name / "groundtruth.txt").write_text("".join(format_row(r) + "\n" for r in poly))
    (root / "list.txt").write_text("alpha\nbeta\n")
    return polygons


def _toolkit_trajectory(poly: np.ndarray, failures: list[int], shift: float):
    """The toolkit's supervised trajectory: init, rectangles near the target, a failure at each
    frame of ``failures``, then 4 frames without a region or a time, and a new init."""
    from vot.region import Special
    from vot.region.shapes import Polygon, Rectangle
    from vot.tracker.results import Trajectory

    n = len(poly)
    traj = Trajectory(n)
    frame = 0
    while frame < n:
        traj.set(frame, Special(Trajectory.INITIALIZATION), {"time": 0.02})
        frame += 1
        while frame < n:
            if frame in failures:
                traj.set(frame, Special(Trajectory.FAILURE), {"time": 0.01})
                frame += 5
                break
            xs, ys = poly[frame, 0::2], poly[frame, 1::2]
            if frame % 7 == 0:  # the toolkit's trackers may answer with polygons too
                traj.set(frame, Polygon(list(zip(xs + shift, ys))), {"time": 0.01 + 0.001 * frame})
            else:
                box = (xs.min() + shift, ys.min(), xs.max() - xs.min(), ys.max() - ys.min())
                traj.set(frame, Rectangle(*box), {"time": 0.01 + 0.001 * frame})
            frame += 1
    return traj


def _write_toolkit_results(folder: Path, tracker: str, polygons: dict, binary: bool, failures: dict, shift: float):
    from vot import config
    from vot.tracker.results import Results
    from vot.workspace.storage import LocalStorage

    before = config.results_binary
    config.results_binary = binary
    try:
        for name, poly in polygons.items():
            storage = LocalStorage(str(folder / tracker / "baseline" / name))
            _toolkit_trajectory(poly, failures[name], shift).write(Results(storage), f"{name}_001")
    finally:
        config.results_binary = before


def test_report_reads_the_vot_toolkits_binary_and_text_trajectories_and_times(tmp_path, capsys):
    pytest.importorskip("vot.tracker.results", reason="the official vot-toolkit package (test extra)")
    from vot.region import Special
    from vot.region.shapes import Rectangle
    from vot.tracker.results import Results
    from vot.tracker.results import Trajectory as ToolkitTrajectory
    from vot.workspace.storage import LocalStorage

    polygons = _vot_root(tmp_path / "vot")
    failures = {"alpha": [12], "beta": [9, 25]}
    results = tmp_path / "workspace" / "results"
    _write_toolkit_results(results, "Binary", polygons, True, failures, 1.5)
    _write_toolkit_results(results, "Text", polygons, False, failures, 1.5)
    (results / "README.txt").write_text("Results of the toolkit's runs.\n")
    seq_dir = results / "Binary" / "baseline" / "alpha"
    assert sorted(p.name for p in seq_dir.iterdir()) == ["alpha_001.bin", "alpha_001_time.value"]
    assert "\n\n" in (seq_dir / "alpha_001_time.value").read_text()  # skipped frames: no time

    for name in polygons:
        binary, text = read_trajectory(results / "Binary", name, "vot"), read_trajectory(results / "Text", name, "vot")
        np.testing.assert_array_equal(binary.status, text.status)
        np.testing.assert_allclose(binary.boxes, text.boxes, atol=1e-4)  # float32 in the binary file
        np.testing.assert_array_equal(binary.times, text.times)
        # The toolkit's own reading of its binary file, region by region.
        regions = ToolkitTrajectory.read(
            Results(LocalStorage(str(results / "Binary" / "baseline" / name))), f"{name}_001"
        )
        for i, region in enumerate(regions.regions()):
            if isinstance(region, Special):
                assert binary.status[i] == {0: SKIPPED, 1: INIT, 2: FAILURE}[region.code], f"{name} frame {i + 1}"
            else:
                if isinstance(region, Rectangle):
                    want = [region.x - 1, region.y - 1, region.width, region.height]
                else:  # a polygon: scored by its bounding box
                    points = np.array(region.points())
                    want = [*(points.min(axis=0) - 1), *np.ptp(points, axis=0)]
                assert binary.status[i] == BOX
                np.testing.assert_allclose(binary.boxes[i], want, atol=1e-4)
        assert int(np.sum(binary.status == FAILURE)) == len(failures[name])
        timed = binary.times[np.isfinite(binary.times)]
        assert len(timed) == int(np.sum(binary.status != SKIPPED))
        assert binary.fps == pytest.approx(len(timed) / timed.sum())

    out = tmp_path / "scores.json"
    code = main(["report", str(results), "--dataset", "vot2015", "--root", str(tmp_path / "vot"), "--json", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "skipped README.txt" in err
    scores = json.loads(out.read_text())["trackers"]
    assert sorted(scores) == ["Binary", "Text"]
    assert scores["Binary"]["failures"] == scores["Text"]["failures"] == 3
    assert scores["Binary"]["accuracy"] == pytest.approx(scores["Text"]["accuracy"], abs=1e-5)
    assert scores["Binary"]["fps"] == pytest.approx(scores["Text"]["fps"], rel=1e-12)


# -- folders of tracker folders --------------------------------------------------------------------
@pytest.fixture()
def otb_results(tmp_path):
    root = write_otb_root(tmp_path / "data", ["Alpha", "Beta"], 5)
    results = tmp_path / "results"
    for tracker, shift in (("Good", 0), ("Shifted", 3)):
        (results / tracker).mkdir(parents=True)
        for name in ("Alpha", "Beta"):
            rows = read_box_file(root / name / "groundtruth_rect.txt", columns=(4,), one_based=False)
            rows[:, 0] += shift
            (results / tracker / f"{name}.txt").write_text("".join(format_row(r) + "\n" for r in rows))
    return root, results


def test_a_stray_file_beside_tracker_folders_is_skipped_and_named(otb_results, capsys):
    root, results = otb_results
    (results / "README.txt").write_text("Two trackers on OTB.\n")
    (results / "plots").mkdir()
    (results / ".DS_Store").write_bytes(b"\x00\x01")
    code = main(["report", str(results), "--dataset", "otb", "--root", str(root)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Good" in captured.out and "Shifted" in captured.out
    notes = [line for line in captured.err.splitlines() if "skipped" in line]
    assert len(notes) == 1 and "README.txt, plots/" in notes[0] and ".DS_Store" not in notes[0]


def test_a_folder_with_neither_results_nor_tracker_folders_says_what_was_expected(otb_results, tmp_path, capsys):
    root, _ = otb_results
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "README.txt").write_text("nothing here\n")
    assert main(["report", str(tmp_path / "notes"), "--dataset", "otb", "--root", str(root)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no otb-format results of the 2 sequences" in err


@pytest.mark.parametrize("command", ["eval", "report"])
def test_results_naming_a_file_is_one_line(otb_results, tmp_path, capsys, command):
    root, _ = otb_results
    (tmp_path / "scores.txt").write_text("not a folder\n")
    argv = ["--dataset", "otb", "--root", str(root)]
    if command == "eval":
        argv = ["eval", *argv, "--tracker", "kcf", "--results", str(tmp_path / "scores.txt"), "--no-progress"]
    else:
        argv = ["report", str(tmp_path / "scores.txt"), *argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "scores.txt is a file" in err


# -- blank lines: one rule -------------------------------------------------------------------------
def test_blank_lines_follow_one_rule_in_box_and_result_files(tmp_path):
    """Trailing blank lines are ignored; a blank line between rows is an error naming the file and line."""
    vot = tmp_path / "T" / "baseline" / "s"
    vot.mkdir(parents=True)
    box = tmp_path / "gt.txt"
    for name, path, rows in [("box", box, ["1,2,3,4", "2,2,3,4"]), ("vot", vot / "s_001.txt", ["1", "2,2,3,4"])]:
        path.write_text("\n".join(rows) + "\n\n\n")
        read = (lambda: read_box_file(box)) if name == "box" else (lambda: read_trajectory(tmp_path / "T", "s", "vot"))
        assert len(read() if name == "box" else read().status) == 2
        path.write_text(rows[0] + "\n\n" + rows[1] + "\n")
        with pytest.raises(DataError, match=rf"{path.name}:2: blank line between rows"):
            read()


# -- one start box for a polygon -------------------------------------------------------------------
def test_trax_and_box_file_start_from_the_same_box_for_a_polygon(tmp_path):
    from siamfc.apps.box_arg import parse_box_arg
    from siamfc.apps.trax import start_box
    from siamfc.geometry import polygons_to_region_boxes

    polygon = [120.5, 40.0, 160.0, 62.0, 148.0, 84.0, 108.5, 62.0]  # a rotated rectangle, 1-based
    (tmp_path / "groundtruth.txt").write_text(",".join(map(str, polygon)) + "\n")

    class TraxPolygon:
        type = "polygon"  # trax.Region.POLYGON

        def __iter__(self):
            return iter(zip(polygon[0::2], polygon[1::2]))

    from_trax = start_box(TraxPolygon())
    from_file = parse_box_arg(str(tmp_path / "groundtruth.txt")).values
    np.testing.assert_allclose(from_file, from_trax, rtol=0, atol=1e-12)
    # ... which is the authors' region box (what the VOT protocol starts from), not the bounding box.
    np.testing.assert_allclose(from_trax, polygons_to_region_boxes(np.array([polygon]) - 1)[0], atol=1e-12)
    assert from_trax[2] < 160.0 - 108.5  # smaller than the bounding box: the rotated rectangle's area


# -- grey TraX memory images -----------------------------------------------------------------------
def test_trax_memory_images_of_every_format_vot_trax_sends_become_bgr():
    from siamfc.apps.trax import memory_frame

    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    grey = rng.integers(0, 256, (5, 7), dtype=np.uint8)
    np.testing.assert_array_equal(memory_frame(rgb), rgb[:, :, ::-1])
    for g in (grey, grey[:, :, None]):
        np.testing.assert_array_equal(memory_frame(g), np.repeat(grey[:, :, None], 3, axis=2))
    np.testing.assert_array_equal(memory_frame(grey.astype(np.uint16) * 257)[:, :, 0], grey)  # 16 bits: high byte
    for bad in (np.zeros((5, 7, 2), np.uint8), np.zeros((5, 7, 4), np.uint8), np.zeros((5, 7), np.float32)):
        with pytest.raises(InvalidFrameError, match="TraX memory image"):
            memory_frame(bad)


# -- the box-drawing window ------------------------------------------------------------------------
def test_track_without_box_on_headless_opencv_prints_the_swap_and_the_alternatives(tmp_path, monkeypatch, capsys):
    import cv2

    from siamfc.apps.track_video import gui_swap_command, opencv_wheels

    write_moving_square(tmp_path / "frames", 3)
    monkeypatch.setenv("DISPLAY", ":0")  # a display: what is missing is OpenCV's GUI
    monkeypatch.setattr(cv2, "getBuildInformation", lambda: "  GUI:                           NONE\n")
    assert main(["track", str(tmp_path / "frames"), "--weights", "paper"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "headless" in err and "--box" in err and "siamfc serve" in err
    assert gui_swap_command(opencv_wheels()) in err  # every OpenCV wheel installed here, and the same version


def test_the_swap_removes_every_opencv_wheel_and_pins_the_version():
    from siamfc.apps.track_video import gui_swap_command

    assert gui_swap_command({"opencv-contrib-python-headless": "4.10.0.84"}) == (
        "pip uninstall -y opencv-contrib-python-headless && pip install opencv-contrib-python==4.10.0.84"
    )
    both = {"opencv-python": "4.11.0.86", "opencv-contrib-python-headless": "4.10.0.84"}
    assert gui_swap_command(both) == (
        "pip uninstall -y opencv-contrib-python-headless opencv-python && pip install opencv-contrib-python==4.10.0.84"
    )


def test_an_opencv_with_a_gui_and_a_display_is_no_problem(monkeypatch):
    import cv2

    from siamfc.apps.track_video import gui_problem

    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(cv2, "getBuildInformation", lambda: "  GUI:                           QT5\n")
    assert gui_problem() is None
    monkeypatch.delenv("DISPLAY")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert "no display" in gui_problem()
