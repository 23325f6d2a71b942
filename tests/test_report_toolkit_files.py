"""``siamfc report`` on other toolkits' result files: short, NaN, odd names, the official STRUCK numbers."""

from __future__ import annotations

import json

import pytest
from conftest import REFERENCE, requires_shared
from readers_fixtures import write_otb_root

from siamfc.apps.cli import main
from siamfc.data.box_files import parse_box_text
from siamfc.data.registry import open_dataset
from siamfc.evaluation.ope import score_sequence
from siamfc.evaluation.report import evaluate_results
from siamfc.evaluation.runner import run_dataset
from siamfc.evaluation.trackers import TrackerSpec

N = 8


@pytest.fixture()
def otb_root(tmp_path):
    return write_otb_root(tmp_path / "data", ["Jogging-1", "Human4-2", "Skating2-1"], N)


def _gt(otb_root, name):
    return (otb_root / name / "groundtruth_rect.txt").read_text()


def test_result_files_named_as_other_toolkits_name_them(otb_root, tmp_path):
    folder = tmp_path / "Other"
    folder.mkdir()
    (folder / "jogging_1.txt").write_text(_gt(otb_root, "Jogging-1"))
    (folder / "human4-2.txt").write_text(_gt(otb_root, "Human4-2"))
    (folder / "SKATING2_1.txt").write_text(_gt(otb_root, "Skating2-1"))
    (report,) = evaluate_results([folder], open_dataset("otb", otb_root, check_frames=False), "ope")
    assert len(report.summary.sequences) == 3 and report.summary.p20 == 1.0
    assert report.summary.success[-2] == 1.0  # every frame exact
    # Two files that could both be Jogging-1's: refused, naming them.
    (folder / "Jogging_1.txt").write_text(_gt(otb_root, "Jogging-1"))
    with pytest.raises(Exception, match="could be Jogging-1's: Jogging_1.txt, jogging_1.txt"):
        evaluate_results([folder], open_dataset("otb", otb_root, check_frames=False), "ope")


def test_short_and_nan_results_are_scored_as_the_toolkits_do(otb_root, tmp_path, capsys):
    folder = tmp_path / "Other"
    folder.mkdir()
    for name in ("Human4-2", "Skating2-1"):
        (folder / f"{name}.txt").write_text(_gt(otb_root, name))
    rows = _gt(otb_root, "Jogging-1").splitlines()
    rows[3] = "NaN,NaN,NaN,NaN"  # repeats row 3 (the box of frame 3, one step behind)
    (folder / "Jogging-1.txt").write_text("\n".join(rows[:6]) + "\n")  # 6 of 8 rows
    code = main(
        ["report", str(folder), "--dataset", "otb", "--root", str(otb_root), "--json", str(tmp_path / "s.json")]
    )
    err = capsys.readouterr().err
    assert code == 0
    assert "Jogging-1.txt: 6 rows for the 8 frames of Jogging-1; scored on the first 6" in err
    jog = json.loads((tmp_path / "s.json").read_text())["trackers"]["Other"]["sequences"]["Jogging-1"]
    assert jog["frames"] == 6
    # The same as a 6-row file where frame 4 holds frame 3's box, scored on 6 frames of ground truth.
    rows[3] = rows[2]
    expected = score_sequence(parse_box_text("\n".join(rows[:6])), parse_box_text(_gt(otb_root, "Jogging-1"))[:6])
    assert expected.auc < 20 / 21  # the repeated box is not exact
    assert jog["auc"] == pytest.approx(expected.auc, abs=1e-12)


def test_eval_does_not_run_a_short_result_again(otb_root, tmp_path, capsys):
    seqs = open_dataset("otb", otb_root)
    out = tmp_path / "results"
    run_dataset(seqs, TrackerSpec("kcf"), out, dataset="otb", progress=False)
    short = out / "kcf" / "Jogging-1.txt"
    short.write_text("\n".join(short.read_text().splitlines()[:5]) + "\n")
    again = run_dataset(seqs, TrackerSpec("kcf"), out, dataset="otb", progress=False)
    assert again.tracked == [] and "Jogging-1" in again.skipped
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
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert "0 sequences tracked, 3 already done" in captured.out
    assert "5 rows for the 8 frames of Jogging-1" in captured.err


@pytest.mark.parametrize(
    "text, words",
    [
        ("1,2,3\n", "expected 4 numbers, found 3"),
        ("1,2,3,4\n1,2,x,4\n", "txt:2: not a row of numbers"),
        ("\n\n", "is empty"),
        ("1,2,3,4,5,6,7,8\n", "expected 4 numbers, found 8"),  # a polygon is no OTB result row
    ],
)
def test_malformed_result_files_are_one_line_errors(otb_root, tmp_path, capsys, text, words):
    folder = tmp_path / "Other"
    folder.mkdir()
    for name in ("Human4-2", "Skating2-1"):
        (folder / f"{name}.txt").write_text(_gt(otb_root, name))
    (folder / "Jogging-1.txt").write_text(text)
    assert main(["report", str(folder), "--dataset", "otb", "--root", str(otb_root)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err and "Jogging-1.txt" in err


@requires_shared
def test_cli_reproduces_the_official_struck_numbers(tmp_path, capsys):
    out = tmp_path / "struck.json"
    assert (
        main(
            [
                "report",
                str(REFERENCE / "otb_results" / "STRUCK"),
                "--dataset",
                "otb2015",
                "--root",
                str(REFERENCE / "otb100_annotations.json"),
                "--json",
                str(out),
            ]
        )
        == 0
    )
    assert "ClifBar.json: 329 rows for the 472 frames of ClifBar" in capsys.readouterr().err
    struck = json.loads(out.read_text())["trackers"]["STRUCK"]
    assert struck["n_sequences"] == 100
    assert struck["auc"] == pytest.approx(0.4617, abs=0.002)
    assert struck["p20"] == pytest.approx(0.6391, abs=0.002)


@requires_shared
def test_raw_results_as_distributed_cover_all_100_sequences(tmp_path):
    seqs = open_dataset("otb2015", REFERENCE / "otb100_annotations.json", check_frames=False)
    raw = REFERENCE / "otb_results_raw"
    reports = {r.name: r for r in evaluate_results([raw], seqs, "ope", dataset="otb2015")}
    assert sorted(reports) == ["CFNet", "DaSiamRPN", "SiamFC"]
    assert all(len(r.summary.sequences) == 100 for r in reports.values())
    # The values ../shared/datasets/reference/README.md quotes for these files.
    assert reports["SiamFC"].summary.auc == pytest.approx(0.586, abs=0.0005)
    assert reports["CFNet"].summary.auc == pytest.approx(0.587, abs=0.0005)
    assert reports["DaSiamRPN"].summary.auc == pytest.approx(0.658, abs=0.0005)
