"""The `siamfc` command: track, demo, convert end to end; --help everywhere; one-line errors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from synthetic_scene import Scene

import siamfc.apps.demo as demo_module
from siamfc.apps.cli import COMMANDS, build_parser, main
from siamfc.data.box_files import read_box_file
from siamfc.data.sequence import Sequence
from siamfc.io.video import open_source
from siamfc.model import SiamFC
from siamfc.model.weights import save_weights

N_FRAMES = 4


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory):
    torch.manual_seed(0)
    return save_weights(SiamFC(), tmp_path_factory.mktemp("w") / "random.safetensors", card={"note": "random"})


@pytest.fixture(scope="module")
def frame_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frames")
    scene = Scene(0)
    for i in range(N_FRAMES):  # 2.png, ..., 10.png would sort wrongly as text: natural order is used
        cv2.imwrite(str(folder / f"{2 * i + 2}.png"), scene.frame((160 + 4 * i, 120)))
    return folder


def error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_every_command_has_help(capsys):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"track", "demo", "convert"} <= set(sub.choices)
    for name in sub.choices:
        assert name in COMMANDS
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])
        assert exit_info.value.code == 0
        assert "usage: siamfc " + name in capsys.readouterr().out


def test_track_help_states_the_box_convention(capsys):
    with pytest.raises(SystemExit):
        main(["track", "--help"])
    out = capsys.readouterr().out
    assert "0-based" in out and "first line" in out and "one line per frame" in out


def test_track_folder_writes_boxes_and_video(tmp_path, frame_folder, random_weights, capsys):
    boxes_file, video = tmp_path / "boxes.txt", tmp_path / "out.mp4"
    rc = main(
        [
            "track",
            str(frame_folder),
            "--box",
            "140.5,96.5,40,48",
            "--weights",
            str(random_weights),
            "--save",
            str(boxes_file),
            "--out",
            str(video),
            "--quiet",
            "--params",
            "5s",
            "--set",
            "window_influence=0.3",
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert f"tracked {N_FRAMES} frames" in out and "fps" in out
    boxes = read_box_file(boxes_file, columns=(4,), one_based=False)
    assert boxes.shape == (N_FRAMES, 4)
    np.testing.assert_allclose(boxes[0], (140.5, 96.5, 40, 48))  # the first line is the init box
    assert np.isfinite(boxes).all()
    written = open_source(video)
    assert sum(1 for _ in written) == N_FRAMES


def test_track_resampling_from_the_card_or_the_command_line(tmp_path, frame_folder, capsys):
    torch.manual_seed(0)
    weights = save_weights(SiamFC(), tmp_path / "aa.safetensors", card={"crop_resampling": "bicubic-aa"})
    for extra, expected in [([], "bicubic-aa"), (["--resampling", "bilinear"], "bilinear")]:
        assert (
            main(
                [
                    "track",
                    str(frame_folder),
                    "--box",
                    "140.5,96.5,40,48",
                    "--weights",
                    str(weights),
                    "--quiet",
                    "--backend",
                    "torch",
                    "--precision",
                    "fp32",
                    *extra,
                ]
            )
            == 0
        )
        assert f"{expected} crops" in capsys.readouterr().out  # the tracker's own account of its crops


def test_track_video_file_and_glob(tmp_path, frame_folder, random_weights):
    # A video made from the frames, then tracked as a video source.
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for i in range(N_FRAMES):
        writer.write(cv2.imread(str(frame_folder / f"{2 * i + 2}.png")))
    writer.release()
    for source in (str(video), str(frame_folder / "*.png")):
        boxes_file = tmp_path / "boxes.txt"
        assert (
            main(
                [
                    "track",
                    source,
                    "--box",
                    "140,96,40,48",
                    "--weights",
                    str(random_weights),
                    "--save",
                    str(boxes_file),
                    "--quiet",
                ]
            )
            == 0
        )
        assert len(read_box_file(boxes_file, columns=(4,), one_based=False)) == N_FRAMES


@pytest.mark.parametrize(
    "argv, message",
    [
        (["track", "{frames}", "--box", "1,2,3", "--weights", "{w}"], "expected x,y,w,h in 0-based pixels"),
        (["track", "{frames}", "--box", "{frames}/gt.txt", "--weights", "{w}"], "ground-truth file not found"),
        (["track", "{frames}", "--box", "0.5,0.5,0,0.2", "--weights", "{w}"], "positive width and height"),
        (["track", "{frames}", "--box", "1,2,30,40", "--weights", "{w}", "--debug"], "add --out VIDEO or --show"),
        (["track", "{frames}", "--box", "10,10,0,10", "--weights", "{w}"], "positive width and height"),
        (["track", "{frames}", "--box", "900,10,20,20", "--weights", "{w}"], "entirely outside"),
        (["track", "{frames}/missing.mp4", "--box", "1,2,3,4", "--weights", "{w}"], "source not found"),
        (["track", "{frames}", "--box", "1,2,3,4", "--weights", "{frames}/none.safetensors"], "weights file not found"),
        (["track", "{frames}", "--box", "1,2,3,4", "--weights", "{w}", "--set", "windw=1"], "bad tracker override"),
        (
            ["track", "{frames}", "--box", "1,2,3,4", "--weights", "{w}", "--out", "{frames}/x.mkv"],
            "use a .mp4, .avi or .webm",
        ),
    ],
)
def test_track_errors_are_one_line(argv, message, frame_folder, random_weights, capsys, tmp_path):
    argv = [a.format(frames=frame_folder, w=random_weights) for a in argv]
    assert main(argv) == 2
    line = error_line(capsys)
    assert line.startswith("siamfc track: error: ") and message in line


@pytest.fixture
def no_display(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("sys.platform", "linux")


def test_no_box_without_a_display_says_how_to_pass_it(frame_folder, random_weights, capsys, no_display):
    assert main(["track", str(frame_folder), "--weights", str(random_weights)]) == 2
    line = error_line(capsys)
    assert "no --box given and no window to draw it in" in line
    assert "--box x,y,w,h" in line and "fractions" in line and "siamfc serve" in line
    assert main(["track", str(frame_folder), "--show", "--box", "1,2,30,40", "--weights", str(random_weights)]) == 2
    assert "--show needs a window" in error_line(capsys)


def test_no_box_with_a_display_draws_it_on_the_first_frame(frame_folder, random_weights, tmp_path, monkeypatch):
    import siamfc.apps.track_video as track_video_module

    drawn = []

    def fake_select(frame):  # what cv2.selectROI would return after a drag
        drawn.append(frame.shape)
        return (140.0, 96.0, 40.0, 48.0)

    monkeypatch.setattr(track_video_module, "gui_problem", lambda: None)
    monkeypatch.setattr(track_video_module, "select_box", fake_select)
    boxes_file = tmp_path / "b.txt"
    assert (
        main(["track", str(frame_folder), "--weights", str(random_weights), "--save", str(boxes_file), "--quiet"]) == 0
    )
    assert drawn == [(240, 320, 3)]
    np.testing.assert_allclose(read_box_file(boxes_file, columns=(4,), one_based=False)[0], (140, 96, 40, 48))


@pytest.mark.parametrize(
    "box_text, expected",
    [
        ("0.4375,0.4,0.125,0.2", (140, 96, 40, 48)),  # fractions of the 320 x 240 frame
        ("{gt_otb}", (140, 96, 40, 48)),  # OTB ground truth: first line, 1-based
        # VOT polygon: the box TraX and the VOT protocol start from (the authors' +1 px on the size)
        ("{gt_vot}", (140, 96, 41, 49)),
    ],
)
def test_box_as_fractions_or_ground_truth_file(box_text, expected, frame_folder, random_weights, tmp_path):
    (tmp_path / "otb.txt").write_text("141,97,40,48\n150,100,40,48\n")
    (tmp_path / "vot.txt").write_text("141,97,181,97,181,145,141,145\n")
    boxes_file = tmp_path / "b.txt"
    box_text = box_text.format(gt_otb=tmp_path / "otb.txt", gt_vot=tmp_path / "vot.txt")
    assert (
        main(
            [
                "track",
                str(frame_folder),
                "--box",
                box_text,
                "--weights",
                str(random_weights),
                "--save",
                str(boxes_file),
                "--quiet",
            ]
        )
        == 0
    )
    np.testing.assert_allclose(read_box_file(boxes_file, columns=(4,), one_based=False)[0], expected)


def test_track_debug_writes_the_panels_beside_the_frames(frame_folder, random_weights, tmp_path):
    from siamfc.apps.debug_overlay import TILE

    video = tmp_path / "debug.avi"
    assert (
        main(
            [
                "track",
                str(frame_folder),
                "--box",
                "140,96,40,48",
                "--weights",
                str(random_weights),
                "--out",
                str(video),
                "--debug",
                "--quiet",
            ]
        )
        == 0
    )
    frames = list(open_source(video))
    assert len(frames) == N_FRAMES
    assert frames[0].shape == (2 * TILE, 320 + 2 * TILE, 3)


def test_demo_sequence_is_bundled():
    seq = demo_module.demo_sequence()
    assert seq.name == "Crossing" and len(seq) == 120
    np.testing.assert_allclose(seq.boxes[0], (204, 150, 17, 50))  # OTB's 205,151 made 0-based
    assert seq.frame(0).shape == (240, 360, 3)
    assert (demo_module.DEMO_DIR / "PROVENANCE.md").is_file()


def test_demo_with_missing_or_unknown_weights_says_so(capsys, tmp_path):
    assert main(["demo", "--out", str(tmp_path / "demo"), "--weights", str(tmp_path / "none.safetensors")]) == 2
    assert "weights file not found" in error_line(capsys)
    assert main(["demo", "--out", str(tmp_path / "demo"), "--weights", "papr"]) == 2
    assert "unknown weights name 'papr'" in error_line(capsys)
    assert not (tmp_path / "demo").exists()


def test_demo_writes_video_and_prints_auc(capsys, monkeypatch, tmp_path, random_weights):
    full = demo_module.demo_sequence()
    short = Sequence(full.name, full.frames[:N_FRAMES], full.boxes[:N_FRAMES])  # keep the test fast
    monkeypatch.setattr(demo_module, "demo_sequence", lambda: short)
    assert main(["demo", "--out", str(tmp_path), "--weights", str(random_weights), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "success AUC" in out and "precision at 20 px" in out
    assert sum(1 for _ in open_source(tmp_path / "demo_crossing.mp4")) == N_FRAMES
    assert len((tmp_path / "demo_crossing_boxes.txt").read_text().splitlines()) == N_FRAMES


def test_frame_of_another_size_is_named(tmp_path, frame_folder, random_weights, capsys):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for i, name in enumerate(["1.png", "2.png", "3.png"]):
        image = cv2.imread(str(frame_folder / "2.png"))
        cv2.imwrite(str(folder / name), image if i < 2 else image[:100])
    assert main(["track", str(folder), "--box", "140,96,40,48", "--weights", str(random_weights), "--quiet"]) == 2
    assert "frame 3 of the source: frame size changed from 320x240 at init to 320x100" in error_line(capsys)


def test_interrupted_run_keeps_what_was_tracked(tmp_path):
    from synthetic_scene import PooledPixels

    from siamfc.apps.track_video import track_video
    from siamfc.tracking import SiamFCTracker

    scene = Scene(0)

    def frames():
        for i in range(3):
            yield scene.frame((160 + i, 120))
        raise KeyboardInterrupt

    tracker = SiamFCTracker(SiamFC(PooledPixels()), num_scales=1)
    run = track_video(
        tracker,
        frames(),
        (140.5, 96.5, 40, 48),
        boxes_out=tmp_path / "b.txt",
        video_out=tmp_path / "v.avi",
        progress=False,
    )
    assert len(run.boxes) == 3 and len((tmp_path / "b.txt").read_text().splitlines()) == 3
    assert sum(1 for _ in open_source(tmp_path / "v.avi")) == 3


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_device_without_cuda(frame_folder, random_weights, capsys):
    assert (
        main(["track", str(frame_folder), "--box", "1,2,3,4", "--weights", str(random_weights), "--device", "cuda"])
        == 2
    )
    assert "no CUDA device is available" in error_line(capsys)


def test_serve_without_the_app_extra_says_how_to_install_it(capsys, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "starlette" else real_find_spec(name, *a)
    )
    assert main(["serve"]) == 2
    line = error_line(capsys)
    assert "needs the app extra (starlette not installed)" in line and "pip install 'siamfc[app]'" in line
