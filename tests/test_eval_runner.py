"""The runner and the two commands: resumable, parallel, standard files, clear errors, JSON."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from readers_fixtures import write_moving_square, write_otb_root, write_rows

from siamfc.apps.cli import main
from siamfc.data.registry import open_dataset
from siamfc.errors import ConfigError, DataError
from siamfc.evaluation.results import FAILURE, INIT, SKIPPED, read_trajectory, write_trajectory
from siamfc.evaluation.runner import run_dataset
from siamfc.evaluation.trackers import OpenCVTracker, TrackerSpec, to_cv_rect
from siamfc.evaluation.vot_protocol import track_supervised
from siamfc.tracking import TrackResult

N = 8


@pytest.fixture()
def otb_root(tmp_path):
    return write_otb_root(tmp_path / "data", ["Alpha", "Beta", "Gamma"], N)


def test_run_writes_standard_files_and_resumes(otb_root, tmp_path):
    seqs = open_dataset("otb", otb_root)
    out = tmp_path / "results"
    first = run_dataset(seqs, TrackerSpec("kcf"), out, dataset="otb", progress=False)
    assert sorted(first.tracked) == ["Alpha", "Beta", "Gamma"] and not first.failed
    lines = (out / "kcf" / "Beta.txt").read_text().splitlines()
    gt_lines = (otb_root / "Beta" / "groundtruth_rect.txt").read_text().splitlines()
    assert len(lines) == N and lines[0] == gt_lines[0].replace(".0", "")
    assert len((out / "kcf" / "Beta_time.txt").read_text().split()) == N
    assert json.loads((out / "kcf" / "run.json").read_text())["dataset"] == "otb"
    # Interrupted run: one result missing -> only that sequence is tracked again.
    (out / "kcf" / "Gamma.txt").unlink()
    second = run_dataset(seqs, TrackerSpec("kcf"), out, dataset="otb", progress=False)
    assert second.tracked == ["Gamma"] and sorted(second.skipped) == ["Alpha", "Beta"]
    assert not list((out / "kcf").glob(".*tmp"))  # no half-written files left behind


def test_run_refuses_a_folder_of_another_dataset_or_tracker(otb_root, tmp_path):
    seqs = open_dataset("otb", otb_root)
    run_dataset(seqs.subset(["Alpha"]), TrackerSpec("kcf"), tmp_path / "r", dataset="otb", progress=False)
    with pytest.raises(DataError, match="holds results of dataset 'otb', not 'dtb70'"):
        run_dataset(seqs, TrackerSpec("kcf"), tmp_path / "r", dataset="dtb70", progress=False)
    with pytest.raises(DataError, match="another tracker configuration"):
        run_dataset(seqs, TrackerSpec("csrt", name="kcf"), tmp_path / "r", dataset="otb", progress=False)


def test_parallel_workers_give_the_same_results(otb_root, tmp_path):
    seqs = open_dataset("otb", otb_root)
    run_dataset(seqs, TrackerSpec("kcf"), tmp_path / "one", dataset="otb", progress=False)
    two = run_dataset(seqs, TrackerSpec("kcf"), tmp_path / "two", dataset="otb", workers=2, progress=False)
    assert sorted(two.tracked) == ["Alpha", "Beta", "Gamma"]
    for name in seqs.names:
        assert (tmp_path / "one" / "kcf" / f"{name}.txt").read_text() == (
            tmp_path / "two" / "kcf" / f"{name}.txt"
        ).read_text()


class Scripted:
    """A fake tracker: the ground truth, except a far-away box on the frames listed in ``lost``."""

    def __init__(self, gt, lost):
        self.gt, self.lost, self.i = gt, set(lost), 0

    def init(self, frame, box):
        self.i = int(np.flatnonzero((self.gt == np.asarray(box)).all(axis=1))[0])

    def update(self, frame):
        self.i += 1
        box = (500.0, 500.0, 5.0, 5.0) if self.i in self.lost else tuple(self.gt[self.i])
        return TrackResult(box, 1.0)


def test_vot_supervised_reinitialises_five_frames_after_a_failure(tmp_path):
    d = tmp_path / "vot" / "s"
    rows = write_moving_square(d, 16, digits=8)
    write_rows(d / "groundtruth.txt", rows)
    seq = open_dataset("vot2016", tmp_path / "vot")["s"]
    traj = track_supervised(Scripted(seq.boxes, lost={4}), seq)
    assert traj.status[0] == INIT and traj.status[4] == FAILURE
    assert (traj.status[5:9] == SKIPPED).all() and traj.status[9] == INIT
    write_trajectory(tmp_path / "res", "s", "vot", traj)
    text = (tmp_path / "res" / "baseline" / "s" / "s_001.txt").read_text().splitlines()
    assert text[0] == "1" and text[4] == "2" and text[5] == "0" and text[9] == "1" and "," in text[1]
    back = read_trajectory(tmp_path / "res", "s", "vot")
    assert (back.status == traj.status).all()
    np.testing.assert_allclose(back.boxes[1], traj.boxes[1], atol=1e-4)


def test_opencv_wrapper_contract():
    assert to_cv_rect((1.4, 2.6, 10.2, 0.3)) == (1, 3, 10, 1)
    with pytest.raises(ConfigError, match="ONNX file not found"):
        OpenCVTracker("nano", ("missing_backbone.onnx", "missing_head.onnx"))
    with pytest.raises(ConfigError, match="unknown tracker"):
        TrackerSpec("goturn")


def test_eval_and_report_commands(otb_root, tmp_path, capsys):
    res = tmp_path / "results"
    rc = main(
        [
            "eval",
            "--dataset",
            "otb",
            "--root",
            str(otb_root),
            "--tracker",
            "kcf",
            "csrt",
            "--results",
            str(res),
            "--no-progress",
            "--json",
            str(tmp_path / "eval.json"),
            "--plots",
            str(tmp_path / "plots"),
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert "kcf" in out and "csrt" in out and "AUC" in out
    assert (tmp_path / "plots" / "success.png").stat().st_size > 1000
    scores = json.loads((tmp_path / "eval.json").read_text())
    assert set(scores["trackers"]) == {"kcf", "csrt"}
    csrt = scores["trackers"]["csrt"]
    assert set(csrt["sequences"]) == {"Alpha", "Beta", "Gamma"}
    assert csrt["auc"] == pytest.approx(np.mean([s["auc"] for s in csrt["sequences"].values()]))
    assert csrt["auc"] > 0.5  # a textured square on noise: CSRT keeps it
    # The report works from the annotations alone.
    ann = tmp_path / "annotations"
    for name in ["Alpha", "Beta", "Gamma"]:
        (ann / name).mkdir(parents=True)
        shutil.copy(otb_root / name / "groundtruth_rect.txt", ann / name)
    rc = main(
        [
            "report",
            str(res),
            "--dataset",
            "otb",
            "--root",
            str(ann),
            "--json",
            str(tmp_path / "rep.json"),
            "--markdown",
            str(tmp_path / "rep.md"),
            "--per-sequence",
        ]
    )
    assert rc == 0
    rep = json.loads((tmp_path / "rep.json").read_text())
    assert rep["trackers"]["csrt"]["auc"] == pytest.approx(csrt["auc"])
    md = (tmp_path / "rep.md").read_text()
    assert "| Tracker |" in md
    # Every result file says what made it: the report's command, and each tracker's eval command.
    assert rep["made_by"]["command"].startswith(f"siamfc report {res}") and rep["made_by"]["siamfc_version"]
    eval_command = rep["trackers"]["csrt"]["run"]["made_by"]["command"]
    assert eval_command.startswith(f"siamfc eval --dataset otb --root {otb_root} --tracker kcf csrt")
    assert f"`{eval_command}`" in md and f"`{rep['made_by']['command']}`" in md


def test_report_errors_are_one_line(otb_root, tmp_path, capsys):
    res = tmp_path / "results"
    assert (
        main(
            [
                "eval",
                "--dataset",
                "otb",
                "--root",
                str(otb_root),
                "--tracker",
                "kcf",
                "--results",
                str(res),
                "--no-progress",
            ]
        )
        == 0
    )
    capsys.readouterr()
    (res / "kcf" / "Beta.txt").unlink()
    assert main(["report", str(res), "--dataset", "otb", "--root", str(otb_root)]) == 2
    err = capsys.readouterr().err
    assert "lacks results for 1 of 3 sequences (Beta)" in err and "--partial" in err and err.count("\n") == 1
    assert main(["report", str(res), "--dataset", "otb", "--root", str(otb_root), "--partial"]) == 0
    assert "Partial: 2 of 3" in capsys.readouterr().out
    assert main(["report", str(res), "--dataset", "dtb70", "--root", str(otb_root)]) == 2
    assert "holds results of dataset 'otb', not 'dtb70'" in capsys.readouterr().err
    assert (
        main(
            [
                "eval",
                "--dataset",
                "otb",
                "--root",
                str(otb_root),
                "--tracker",
                "siamfc",
                "--weights",
                str(tmp_path / "none.safetensors"),
                "--results",
                str(res),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "weights file not found" in err and err.count("\n") == 1


def test_siamfc_runs_through_the_harness(otb_root, tmp_path):
    import torch

    from siamfc.model import SiamFC
    from siamfc.model.weights import save_weights

    torch.manual_seed(0)
    weights = save_weights(SiamFC(), tmp_path / "random.safetensors")
    seqs = open_dataset("otb", otb_root).subset(["Alpha"])
    summary = run_dataset(
        seqs, TrackerSpec("siamfc", weights=str(weights)), tmp_path / "r", dataset="otb", progress=False
    )
    assert summary.tracked == ["Alpha"]
    traj = read_trajectory(tmp_path / "r" / "siamfc", "Alpha", "otb")
    assert traj.boxes.shape == (N, 4) and np.isfinite(traj.boxes).all() and traj.fps > 0
    from siamfc.io.files import file_sha256

    run = json.loads((tmp_path / "r" / "siamfc" / "run.json").read_text())
    assert (
        run["made_by"]["weights_sha256"] == file_sha256(weights) and run["engine"] and run["resampling"] == "bilinear"
    )


def test_vot_got10k_and_lasot_protocols_end_to_end(tmp_path, capsys):
    from siamfc.evaluation.report import evaluate_results

    vot = tmp_path / "vot"
    for name in ["a", "b"]:
        write_rows(vot / name / "groundtruth.txt", write_moving_square(vot / name, N, digits=8))
    assert (
        main(
            [
                "eval",
                "--dataset",
                "vot2016",
                "--root",
                str(vot),
                "--tracker",
                "kcf",
                "--results",
                str(tmp_path / "rv"),
                "--no-progress",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "EAO" in out and "Failures" in out
    assert (tmp_path / "rv" / "kcf" / "baseline" / "a" / "a_001.txt").read_text().startswith("1\n")

    got = tmp_path / "got" / "val"
    name = "GOT-10k_Val_000001"
    write_rows(got / name / "groundtruth.txt", write_moving_square(got / name, N, digits=8))
    seqs = open_dataset("got10k-val", tmp_path / "got")
    run_dataset(seqs, TrackerSpec("csrt"), tmp_path / "rg", dataset="got10k-val", protocol="got10k", progress=False)
    assert (tmp_path / "rg" / "csrt" / name / f"{name}_001.txt").is_file()
    assert (tmp_path / "rg" / "csrt" / name / f"{name}_time.txt").is_file()
    (report,) = evaluate_results([tmp_path / "rg" / "csrt"], seqs, "got10k")
    assert 0.5 < report.overall()["ao"] <= 1.0

    las = tmp_path / "lasot" / "cat" / "cat-1"
    write_rows(las / "groundtruth.txt", write_moving_square(las / "img", N, digits=8))
    (las / "full_occlusion.txt").write_text(",".join("0" * N))
    (las / "out_of_view.txt").write_text(",".join("0" * (N - 1) + "1"))
    seqs = open_dataset("lasot-all", tmp_path / "lasot")
    run_dataset(seqs, TrackerSpec("csrt"), tmp_path / "rl", dataset="lasot-all", protocol="lasot", progress=False)
    (report,) = evaluate_results([tmp_path / "rl"], seqs, "lasot")
    # The absent last frame can never be a success: at most 7 of 8 frames.
    assert report.summary.success[0] <= 7 / 8 + 1e-9


def test_a_broken_sequence_does_not_cost_the_others(otb_root, tmp_path, capsys):
    (otb_root / "Beta" / "img" / "0004.png").unlink()
    res = tmp_path / "results"
    assert (
        main(
            [
                "eval",
                "--dataset",
                "otb",
                "--root",
                str(otb_root),
                "--tracker",
                "kcf",
                "--results",
                str(res),
                "--no-progress",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "1 sequence(s) failed" in err and "Beta" in err and "7 frames" in err
    assert (res / "kcf" / "Alpha.txt").is_file() and (res / "kcf" / "Gamma.txt").is_file()
    assert not (res / "kcf" / "Beta.txt").exists()
