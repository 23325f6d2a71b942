"""Score result folders against a dataset's ground truth; tables (terminal, Markdown), JSON.

    reports = evaluate_results(["results/otb2015/siamfc", "results/otb2015/csrt"], seqs, "ope")
    print(format_table(*summary_table(reports)))
    json.dump(reports_to_json(reports, dataset="otb2015"), open("scores.json", "w"))

Only the ground truth is needed (``open_dataset(..., check_frames=False)``), except that VOT
overlaps are clipped to the frame when the frames are there to tell its size.

A tracker folder is recognised by its content: it holds ``run.json`` (made by ``siamfc eval``) or
a result file of at least one of the dataset's sequences, in the protocol's format (names matched
as :func:`~siamfc.evaluation.results.find_result` matches them). A folder that is not one stands
for the tracker folders inside it; whatever else it holds (a ``README.txt``, ``scores.json``,
plots, another dataset's folders) is skipped and named in :attr:`ResultFolders.skipped` (hidden
entries, ``.*``, silently). A folder made for another dataset (``run.json``) is refused; sequences
without a result are an error naming them (and, for a sharded run, which shard had them and
what its record says), unless ``partial`` (then only the sequences every
tracker has are scored, and the report says how many).

Files are read as the official toolkits read them (see :mod:`siamfc.evaluation.ope`): a one-pass
result of another length than the sequence is scored on the shorter length, with a warning
naming the file (``TrackerReport.warnings``; the commands print them); unusable rows repeat the box before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from siamfc.errors import DataError
from siamfc.evaluation import ope
from siamfc.evaluation.got10k import SR_THRESHOLDS, GOTSummary, score_got10k_sequence
from siamfc.evaluation.plots import attribute_members, plot_attributes, plot_curves
from siamfc.evaluation.results import find_result, read_run_info, read_trajectory, result_files, result_path
from siamfc.evaluation.runner import PROTOCOL_FORMAT
from siamfc.evaluation.shard_records import describe_missing, read_records


@dataclass
class TrackerReport:
    """One tracker's scores on one dataset (``summary`` type depends on the protocol)."""

    name: str
    protocol: str
    summary: object
    folder: Path
    info: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)

    def overall(self) -> dict:
        s = self.summary
        if self.protocol in ("ope", "lasot"):
            return {
                "auc": s.auc,
                "p20": s.p20,
                "norm_precision": s.norm_p,
                "fps": s.fps,
                "n_sequences": len(s.sequences),
            }
        if self.protocol == "got10k":
            d = {"ao": s.ao}
            d.update({f"sr{int(t * 100)}": s.sr(t) for t in SR_THRESHOLDS})
            d.update(fps=s.fps, n_sequences=len(s.sequences))
            return d
        return {
            "eao": s.eao,
            "accuracy": s.accuracy,
            "failures": s.failures,
            "reliability": s.reliability,
            "fps": s.fps,
            "n_sequences": len(s.sequences),
        }

    def per_sequence(self) -> dict:
        return {seq.name: seq.as_dict() for seq in self.summary.sequences}

    def curves(self) -> dict:
        if self.protocol not in ("ope", "lasot"):
            return {}
        s = self.summary
        return {
            "success": s.success.tolist(),
            "precision": s.precision.tolist(),
            "norm_precision": s.norm_precision.tolist(),
        }


# -- finding and reading result folders --------------------------------------------------------
@dataclass
class ResultFolders:
    """The tracker folders that ``paths`` name, and one line per folder whose other entries were skipped."""

    folders: list[Path]
    skipped: list[str] = field(default_factory=list)


def is_tracker_folder(folder: Path, names, fmt: str) -> bool:
    """``folder`` holds ``run.json`` or a result file (format ``fmt``) of one of the sequences ``names``."""
    from siamfc.data.otb import normalise

    if (folder / "run.json").is_file():
        return True
    wanted = {normalise(n) for n in names}
    return any(normalise(n) in wanted for n in result_files(folder, fmt))


def find_tracker_folders(paths, names, protocol: str) -> ResultFolders:
    """The tracker folders named by ``paths`` (see the module doc): each path is one, or a folder of them."""
    fmt = PROTOCOL_FORMAT[protocol]
    names = list(names)
    if not names:
        raise DataError("no sequences to score results of")
    out = ResultFolders([])
    for p in map(Path, paths):
        if p.is_file():
            raise DataError(f"{p} is a file: results are given as a tracker's folder or a folder of them")
        if not p.is_dir():
            raise DataError(f"results folder not found: {p}")
        if is_tracker_folder(p, names, fmt):
            out.folders.append(p)
            continue
        entries = sorted(c for c in p.iterdir() if not c.name.startswith("."))
        trackers = [c for c in entries if c.is_dir() and is_tracker_folder(c, names, fmt)]
        if not trackers:
            raise DataError(
                f"{p} holds no {fmt}-format results of the {len(names)} sequences, nor tracker folders that do "
                f"(expected e.g. {result_path(p, names[0], fmt)} or {result_path(p / 'TRACKER', names[0], fmt)})"
            )
        out.folders += trackers
        others = [c.name + ("/" if c.is_dir() else "") for c in entries if c not in trackers]
        if others:
            shown = ", ".join(others[:8]) + (f" and {len(others) - 8} more" if len(others) > 8 else "")
            out.skipped.append(
                f"{p}: skipped {shown} (not tracker folders: no {fmt}-format results of these sequences)"
            )
    names_seen = [f.name for f in out.folders]
    dup = sorted({n for n in names_seen if names_seen.count(n) > 1})
    if dup:
        raise DataError(f"two result folders share the tracker name {dup[0]!r}; rename one")
    return out


def available(folder: Path, names, protocol: str) -> list[str]:
    fmt = PROTOCOL_FORMAT[protocol]
    return [n for n in names if find_result(folder, n, fmt) is not None]


def check_folder(folder: Path, names, protocol: str, dataset: str | None, partial: bool) -> list[str]:
    """The sequences of ``names`` with results in ``folder``; errors for wrong or incomplete folders."""
    info = read_run_info(folder)
    made_for = info.get("dataset")
    # "otb" (any OTB-style folder, e.g. the bench's OTB sequences) is scored by the OTB lists too.
    same_family = made_for == "otb" and dataset in ("otb2015", "otb2013")
    if dataset and made_for and made_for != dataset and dataset != "bench" and not same_family:
        raise DataError(f"{folder} holds results of dataset {info['dataset']!r}, not {dataset!r}")
    have = available(folder, names, protocol)
    if not have:
        fmt = PROTOCOL_FORMAT[protocol]
        raise DataError(
            f"{folder} has no {fmt}-format results for any of the {len(names)} sequences "
            f"(expected e.g. {result_path(folder, names[0], fmt)}); is it a results folder of this dataset?"
        )
    lacks = lacking(folder, names, have)
    if lacks and not partial:
        raise DataError(f"{lacks}; finish the run (siamfc eval resumes) or pass --partial")
    return have


def lacking(folder: Path, names, have) -> str | None:
    """The words saying which of ``names`` have no result in ``folder`` (and, sharded, why); None if none."""
    have = set(have)
    missing = [n for n in names if n not in have]
    if not missing:
        return None
    return f"{folder} lacks results for {len(missing)} of {len(names)} sequences ({describe_missing(folder, missing)})"


def evaluate_tracker(
    folder, seqs, protocol: str, names=None, year: int | None = None, name: str | None = None
) -> TrackerReport:
    """Score one tracker folder on the sequences ``names`` (default: all of ``seqs``)."""
    folder = Path(folder)
    names = list(names if names is not None else seqs.names)
    fmt = PROTOCOL_FORMAT[protocol]
    warnings = []
    if protocol == "vot":
        from siamfc.evaluation.vot_protocol import sequence_bounds, summarize_vot

        triples = []
        for n in names:
            seq = seqs[n]
            triples.append((read_trajectory(folder, n, fmt), seq, sequence_bounds(seq)))
        summary = summarize_vot(triples, year=year)
    else:
        scores = []
        for n in names:
            seq = seqs[n]
            traj = read_trajectory(folder, n, fmt)
            if len(traj.boxes) != len(seq) and protocol != "got10k":  # GOT-10k's toolkit refuses these too
                warnings.append(
                    f"{find_result(folder, n, fmt)}: {len(traj.boxes)} rows for the {len(seq)} frames of "
                    f"{n}; scored on the first {min(len(traj.boxes), len(seq))}, as the toolkits do"
                )
            if protocol == "got10k":
                scores.append(score_got10k_sequence(traj.boxes, seq, times=traj.times))
            else:
                rule = "lasot" if protocol == "lasot" else "otb"
                score = ope.score_sequence(
                    traj.boxes, seq.boxes, name=n, absent=seq.absent, rule=rule, trim=True, fps=traj.fps
                )
                if seq.meta.get("attributes"):
                    score.extra["attributes"] = list(seq.meta["attributes"])
                scores.append(score)
        summary = GOTSummary(scores) if protocol == "got10k" else ope.summarize(scores)
    return TrackerReport(name or folder.name, protocol, summary, folder, read_run_info(folder), warnings)


def evaluate_results(
    paths, seqs, protocol: str, *, dataset: str | None = None, year: int | None = None, partial: bool = False
) -> list[TrackerReport]:
    """Score every tracker folder of ``paths``; with ``partial``, on the sequences all of them have."""
    folders = find_tracker_folders(paths, seqs.names, protocol).folders
    haves = [check_folder(f, seqs.names, protocol, dataset, partial) for f in folders]
    common = [n for n in seqs.names if all(n in set(h) for h in haves)]
    if not common:
        raise DataError("no sequence has results from every tracker given")
    reports = [evaluate_tracker(f, seqs, protocol, common, year) for f in folders]
    for report, have in zip(reports, haves):
        lacks = lacking(report.folder, seqs.names, have)
        if lacks:
            report.warnings.insert(0, f"{lacks}; scored without them")
    return reports


# -- tables ------------------------------------------------------------------------------------
def _fmt(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return f"{v:.{digits}f}"


COLUMNS = {
    "ope": [
        ("AUC", "auc", 3),
        ("P20", "p20", 3),
        ("NormP", "norm_precision", 3),
        ("FPS", "fps", 1),
        ("Seqs", "n_sequences", 0),
    ],
    "lasot": [
        ("AUC", "auc", 3),
        ("P20", "p20", 3),
        ("NormP", "norm_precision", 3),
        ("FPS", "fps", 1),
        ("Seqs", "n_sequences", 0),
    ],
    "got10k": [
        ("AO", "ao", 3),
        ("SR0.5", "sr50", 3),
        ("SR0.75", "sr75", 3),
        ("FPS", "fps", 1),
        ("Seqs", "n_sequences", 0),
    ],
    "vot": [
        ("EAO", "eao", 3),
        ("Accuracy", "accuracy", 3),
        ("Failures", "failures", 0),
        ("Reliability", "reliability", 3),
        ("FPS", "fps", 1),
        ("Seqs", "n_sequences", 0),
    ],
}
SORT_KEY = {"ope": "auc", "lasot": "auc", "got10k": "ao", "vot": "eao"}


def summary_table(reports: list[TrackerReport]):
    """``(headers, rows)``: one row per tracker, best first."""
    protocol = reports[0].protocol
    cols = COLUMNS[protocol]
    key = SORT_KEY[protocol]
    ordered = sorted(reports, key=lambda r: -(r.overall().get(key) or -1))
    rows = [[r.name] + [_fmt(r.overall().get(k), d) for _, k, d in cols] for r in ordered]
    return ["Tracker"] + [c for c, _, _ in cols], rows


def sequence_table(reports: list[TrackerReport], metrics=("auc", "p20")):
    """``(headers, rows)``: one row per sequence, a column per tracker and metric, and the mean."""
    names = [s.name for s in reports[0].summary.sequences]
    per = [r.per_sequence() for r in reports]
    metrics = [m for m in metrics if m in per[0][names[0]]]
    headers = ["Sequence"] + [f"{r.name} {m.upper()}" for r in reports for m in metrics]
    rows = [[n] + [_fmt(p[n][m]) for p in per for m in metrics] for n in names]
    rows.append(["mean"] + [_fmt(float(np.mean([p[n][m] for n in names]))) for p in per for m in metrics])
    return headers, rows


def attribute_table(reports: list[TrackerReport], metric: str = "auc"):
    """``(headers, rows)``: success AUC (or ``p20``) per attribute -- the mean over the sequences
    that have it, which is the score of their mean curve, as in the per-attribute plots -- or None."""
    if reports[0].protocol not in ("ope", "lasot"):
        return None
    members = attribute_members(reports)
    if not members:
        return None
    headers = ["Attribute", "Seqs"] + [r.name for r in reports]
    rows = []
    for a, names in members.items():
        keep = set(names)
        row = [a, str(len(keep))]
        for r in reports:
            row.append(_fmt(float(np.mean([getattr(s, metric) for s in r.summary.sequences if s.name in keep]))))
        rows.append(row)
    return headers, rows


def format_table(headers, rows, markdown: bool = False) -> str:
    """A plain aligned table, or a Markdown one."""
    if markdown:
        lines = [
            "| " + " | ".join(headers) + " |",
            "|" + "|".join("---" if i == 0 else "---:" for i in range(len(headers))) + "|",
        ]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    fmt = lambda r: "  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(r, widths)))  # noqa: E731
    return "\n".join([fmt(headers), "  ".join("-" * w for w in widths)] + [fmt(r) for r in rows])


#: Columns where a higher value is better (bold in LaTeX); Failures: lower is better; FPS, Seqs: neither.
HIGHER_IS_BETTER = {"AUC", "P20", "NormP", "AO", "SR0.5", "SR0.75", "EAO", "Accuracy", "Reliability"}


def _latex_escape(text: str) -> str:
    return "".join("\\" + c if c in "&%$#_{}" else c for c in str(text))


def _best(values: list[str], lower: bool = False):
    nums = [float(v) for v in values if v not in ("-", "")]
    if not nums:
        return None
    return f"{(min(nums) if lower else max(nums)):.3f}"


def format_latex(headers, rows, caption: str, per_row: bool = False) -> str:
    """A ``booktabs`` table; the best score of each column (``per_row``: of each row, from the
    third column on -- the per-attribute tables) in bold."""
    bold = [[False] * len(r) for r in rows]
    if per_row:
        for i, r in enumerate(rows):
            best = _best(r[2:])
            bold[i] = [j >= 2 and best is not None and r[j] == best for j in range(len(r))]
    else:
        for j, h in enumerate(headers):
            if h in HIGHER_IS_BETTER or h == "Failures":
                best = _best([r[j] for r in rows], lower=h == "Failures")
                for i, r in enumerate(rows):
                    bold[i][j] = best is not None and r[j] == best
    cell = lambda v, b: f"\\textbf{{{_latex_escape(v)}}}" if b else _latex_escape(v)  # noqa: E731
    lines = [
        "\\begin{table}[t]",
        "\\centering",
        f"\\caption{{{_latex_escape(caption)}}}",
        "\\begin{tabular}{l" + "r" * (len(headers) - 1) + "}",
        "\\toprule",
        " & ".join(_latex_escape(h) for h in headers) + " \\\\",
        "\\midrule",
    ]
    lines += [" & ".join(cell(v, b) for v, b in zip(r, bs)) + " \\\\" for r, bs in zip(rows, bold)]
    lines += ["\\bottomrule", "\\end{tabular}", "\\end{table}"]
    return "\n".join(lines)


def reports_to_json(reports: list[TrackerReport], dataset: str, root=None, note: str | None = None) -> dict:
    """Everything other programs need: overall scores, per-sequence scores, curves, thresholds, and
    what made them: ``made_by`` (this report's command and version) and, per tracker, ``run``
    (its ``run.json``: the eval command, engine, weights and their SHA-256)."""
    from siamfc.utils.provenance import made_by

    out = {
        "dataset": dataset,
        "protocol": reports[0].protocol,
        "root": str(root) if root else None,
        "made_by": made_by(weights=False),
        "trackers": {},
    }
    if note:
        out["note"] = note
    if reports[0].protocol in ("ope", "lasot"):
        out["thresholds"] = {
            "success": ope.SUCCESS_THRESHOLDS.tolist(),
            "precision": ope.PRECISION_THRESHOLDS.tolist(),
            "norm_precision": ope.NORM_PRECISION_THRESHOLDS.tolist(),
        }
    for r in reports:
        entry = dict(r.overall())
        entry["sequences"] = r.per_sequence()
        entry["curves"] = r.curves()
        if r.protocol == "vot" and r.summary.eao_range:
            entry["eao_range"] = list(r.summary.eao_range)
        entry["run"] = r.info
        shards = shard_summaries(r.folder)
        if shards:
            entry["shards"] = shards
        if r.warnings:
            entry["warnings"] = list(r.warnings)
        out["trackers"][r.name] = _jsonable(entry)
    return out


def shard_summaries(folder) -> list[dict]:
    """Per shard of a sharded run: ``shard``, ``state`` and ``command`` (empty if not sharded)."""
    return [
        {"shard": r.get("shard"), "state": r.get("state"), "command": (r.get("made_by") or {}).get("command")}
        for r in read_records(folder)
    ]


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return None if math.isnan(float(x)) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    return x


def provenance_lines(reports: list[TrackerReport]) -> str:
    """Markdown lines: the command of this report, and per tracker the command, engine and weights of its run."""
    from siamfc import __version__
    from siamfc.utils.provenance import command_line

    lines = [f"Made by `{command_line()}` (siamfc {__version__}) from:"]
    for r in reports:
        if not r.info:  # another toolkit's files (or ours from before run.json existed)
            lines.append(f"- {r.name}: the result files in {r.folder} (no run.json: not made by siamfc eval)")
            continue
        made = (r.info or {}).get("made_by") or {}
        what = [f"`{made['command']}`" if made.get("command") else "an eval run that recorded no command"]
        if (r.info or {}).get("engine"):
            what.append(f"engine {r.info['engine']}")
        if made.get("weights_sha256"):
            what.append(f"weights {Path(made['weights']).name} (sha256 {made['weights_sha256'][:12]})")
        if made.get("siamfc_version"):
            what.append(f"siamfc {made['siamfc_version']}")
        shards = shard_summaries(r.folder)
        if shards:  # run.json holds the command of the shard that started first
            what.append(
                f"in shards {', '.join(s['shard'] for s in shards)} (each one's command in its run.shard-K-of-N.json)"
            )
        lines.append(f"- {r.name}: " + ", ".join(what))
    return "\n".join(lines)


def publish(
    reports: list[TrackerReport],
    dataset: str,
    root=None,
    *,
    json_out=None,
    markdown_out=None,
    latex_out=None,
    plots_dir=None,
    per_sequence: bool = False,
    note: str | None = None,
) -> str:
    """Write the requested JSON / Markdown / LaTeX / plots and return the text for the terminal.

    Plots (OTB-style protocols): success, precision and normalised precision of the dataset, and
    with sequence attributes (OTB) success and precision per attribute.
    """
    import json

    from siamfc.io.files import write_text_atomic

    key = SORT_KEY[reports[0].protocol]
    reports = sorted(reports, key=lambda r: -(r.overall().get(key) or -1))  # best first in every table
    blocks = [("Scores", summary_table(reports))]
    if per_sequence and reports[0].protocol in ("ope", "lasot", "got10k"):
        metrics = ("ao",) if reports[0].protocol == "got10k" else ("auc", "p20")
        blocks.append(("Per sequence", sequence_table(reports, metrics)))
    for metric, name in (("auc", "Success AUC per attribute"), ("p20", "Precision (20 px) per attribute")):
        attrs = attribute_table(reports, metric)
        if attrs:
            blocks.append((name, attrs))
    title = f"{dataset} ({reports[0].protocol}, {len(reports[0].summary.sequences)} sequences)"
    text = "\n\n".join(f"{name}\n{format_table(*tbl)}" for name, tbl in blocks)
    text = f"{title}\n{text}" + (f"\n{note}" if note else "")
    if json_out:
        write_text_atomic(json_out, json.dumps(reports_to_json(reports, dataset, root, note), indent=2) + "\n")
    if markdown_out:
        md = "\n\n".join(f"**{name}** -- {title}\n\n{format_table(*tbl, markdown=True)}" for name, tbl in blocks)
        md += (f"\n\n{note}" if note else "") + "\n\n" + provenance_lines(reports)
        write_text_atomic(markdown_out, md + "\n")
    if latex_out:
        tex = "\n\n".join(
            format_latex(*tbl, caption=f"{name} -- {title}", per_row="attribute" in name) for name, tbl in blocks
        )
        write_text_atomic(latex_out, f"% needs \\usepackage{{booktabs}}\n{tex}\n")
    if plots_dir and reports[0].protocol in ("ope", "lasot"):
        paths = plot_curves(reports, plots_dir, title=dataset) + plot_attributes(reports, plots_dir, title=dataset)
        text += "\nplots: " + ", ".join(str(p) for p in paths)
    return text
