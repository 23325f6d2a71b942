"""`siamfc track` with several --box: one tracker, MOTChallenge results, a colour per target."""

from __future__ import annotations

import numpy as np
import test_cli_track_demo as track_demo

from siamfc.apps.cli import main
from siamfc.data.box_files import parse_box_text
from siamfc.io.video import open_source

# The single-target tests' fixtures: a folder of synthetic frames and random weights.
frame_folder, random_weights = track_demo.frame_folder, track_demo.random_weights
N_FRAMES, error_line = track_demo.N_FRAMES, track_demo.error_line


def test_several_boxes_write_motchallenge_results_and_a_video(tmp_path, frame_folder, random_weights, capsys):
    results, video = tmp_path / "results.txt", tmp_path / "out.mp4"
    argv = ["track", str(frame_folder), "--weights", str(random_weights), "--quiet"]
    argv += ["--box", "140.5,96.5,40,48", "--box", "0.1,0.1,0.2,0.25", "--box", "200,150,30,30"]
    assert main([*argv, "--save", str(results), "--out", str(video)]) == 0
    assert f"tracked 3 targets through {N_FRAMES} frames" in capsys.readouterr().out
    rows = parse_box_text(results.read_text(), results, columns=(10,))
    assert rows.shape == (3 * N_FRAMES, 10)
    # frame, id: 1-based frames, ids in --box order, sorted by frame then id
    np.testing.assert_array_equal(rows[:, :2], [(f, i) for f in range(1, N_FRAMES + 1) for i in (1, 2, 3)])
    # The first frame holds the given boxes, 1-based (fractions of the 320x240 frame resolved), score -1.
    np.testing.assert_allclose(rows[:3, 2:7], [[141.5, 97.5, 40, 48, -1], [33, 25, 64, 60, -1], [201, 151, 30, 30, -1]])
    assert np.isfinite(rows[3:, 2:7]).all() and (rows[3:, 6] != -1).all()  # tracked frames carry the score
    assert (rows[:, 7:] == -1).all()
    frames = list(open_source(video))
    assert len(frames) == N_FRAMES
    # Each target in its own colour: target 1 yellow (0, 255, 255), target 2 blue-ish (255, 128, 0) in BGR.
    first = frames[0].astype(int)
    assert (np.abs(first - (0, 255, 255)).sum(axis=2) < 120).any() and (
        np.abs(first - (255, 128, 0)).sum(axis=2) < 120
    ).any()


def test_one_box_keeps_the_plain_box_file(tmp_path, frame_folder, random_weights):
    results = tmp_path / "boxes.txt"
    argv = ["track", str(frame_folder), "--weights", str(random_weights), "--quiet", "--box", "140.5,96.5,40,48"]
    assert main([*argv, "--save", str(results)]) == 0
    assert results.read_text().splitlines()[0] == "140.5,96.5,40,48"


def test_debug_with_several_boxes_is_one_line(tmp_path, frame_folder, random_weights, capsys):
    argv = ["track", str(frame_folder), "--weights", str(random_weights), "--box", "1,2,30,40", "--box", "50,60,30,40"]
    assert main([*argv, "--debug", "--out", str(tmp_path / "v.mp4")]) == 2
    assert "give a single --box" in error_line(capsys)
    assert main([*argv[:-2], "--box", "50,60,0,40"]) == 2
    assert "positive width and height" in error_line(capsys)
