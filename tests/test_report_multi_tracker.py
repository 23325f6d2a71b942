"""The multi-tracker report: plots with legends ranked by score, per-attribute plots, Markdown/LaTeX tables."""

from __future__ import annotations

import numpy as np
import pytest
from readers_fixtures import write_moving_square, write_rows

from siamfc.apps.cli import main
from siamfc.evaluation import ope
from siamfc.evaluation.plots import KINDS, legend_entries


def test_legend_lists_trackers_best_first_with_their_score():
    success, precision = KINDS[0], KINDS[1]
    curves = {"A": np.full(21, 0.2), "B": np.full(21, 0.6), "C": np.full(21, 0.4)}
    assert legend_entries(success, curves) == [("B", "B [0.600]"), ("C", "C [0.400]"), ("A", "A [0.200]")]
    # Precision ranks by the value at 20 px, not by the curve's mean.
    early, late = np.zeros(51), np.zeros(51)
    early[5:] = 0.5
    late[20:] = 0.9
    assert [n for n, _ in legend_entries(precision, {"early": early, "late": late})] == ["late", "early"]
    assert ope.PRECISION_AT == 20


@pytest.fixture()
def two_trackers(tmp_path):
    root = tmp_path / "data"
    names = ["Alpha", "Beta", "Gamma"]
    attrs = {"Alpha": "SV, OCC", "Beta": "OCC", "Gamma": "SV"}
    gts = {}
    for k, name in enumerate(names):
        rows = write_moving_square(root / name / "img", 6, step=1 + k)
        write_rows(root / name / "groundtruth_rect.txt", rows)
        (root / name / "attrs.txt").write_text(attrs[name])
        gts[name] = (root / name / "groundtruth_rect.txt").read_text().splitlines()
    for tracker, shift in (("Good", 0), ("Poor_one", 6)):
        folder = tmp_path / "results" / tracker
        folder.mkdir(parents=True)
        for name, lines in gts.items():
            shifted = [
                ",".join(str(float(v) + (shift if i == 0 else 0)) for i, v in enumerate(line.split(",")))
                for line in lines
            ]
            (folder / f"{name}.txt").write_text("\n".join(shifted) + "\n")
    return root, tmp_path / "results"


def test_report_writes_plots_attribute_plots_and_tables(two_trackers, tmp_path, capsys):
    root, results = two_trackers
    out = tmp_path / "out"
    assert (
        main(
            [
                "report",
                str(results),
                "--dataset",
                "otb",
                "--root",
                str(root),
                "--plots",
                str(out / "plots"),
                "--markdown",
                str(out / "t.md"),
                "--latex",
                str(out / "t.tex"),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "Success AUC per attribute" in text and "Precision (20 px) per attribute" in text
    for png in ("success", "precision", "norm_precision", "attributes_success", "attributes_precision"):
        assert (out / "plots" / f"{png}.png").stat().st_size > 10_000
    md = (out / "t.md").read_text()
    assert md.index("| Good |") < md.index("| Poor_one |")  # best first
    assert "| OCC | 2 |" in md and "| SV | 2 |" in md
    tex = (out / "t.tex").read_text()
    assert tex.count("\\begin{tabular}") == 3 and "\\toprule" in tex and "Poor\\_one" in tex
    good = next(line for line in tex.splitlines() if line.startswith("Good &"))
    assert "\\textbf{" in good  # the best scores are bold
    poor = next(line for line in tex.splitlines() if line.startswith("Poor\\_one &"))
    assert "\\textbf{" not in poor.split("&")[1]
