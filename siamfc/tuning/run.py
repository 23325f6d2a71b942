"""``tune()``: search the tracking parameters for given weights, then check the result on held-out video.

    from siamfc.tuning import tune
    result = tune(data=["davis=/data/davis2016"], weights="my.safetensors", out="tune_out", trials=30)
    result.params_path        # tune_out/params.yaml: use it as params=... / --params FILE
    result.report["held_out"]  # base vs tuned on the videos the search never saw

The search maximises the mean success AUC over the *tuning* clips; the base set (3s or 5s) is its
first trial. The best set is then scored, with the base set, on the *held-out* clips, and both
splits are reported side by side: a set that wins on the videos it was chosen on may lose on
others, and the held-out split is the only evidence that it does not.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from siamfc.errors import ConfigError
from siamfc.tracking.params import PRESETS, TrackerParams
from siamfc.tuning import space
from siamfc.tuning.scoring import EngineSpec, mean, score_clips
from siamfc.tuning.study import WorkerJob, counts, open_study, run_worker, storage_url
from siamfc.tuning.videos import Videos, load_videos, split_videos

#: Files a run writes in its output folder (besides the default journal storage).
REPORT_FILE = "tune.json"
PARAMS_FILE = "params.yaml"


@dataclass
class TuneResult:
    report: dict
    json_path: Path
    params_path: Path
    params: TrackerParams

    def summary(self) -> str:
        return summary_text(self.report)


def tune(
    *,
    data,
    out,
    weights=None,
    model=None,
    params: str = "3s",
    trials: int = 30,
    workers: int = 1,
    storage=None,
    study: str = "siamfc-tune",
    frames_per_video: int = 100,
    min_frames: int = 10,
    held_out=None,
    held_out_fraction: float = 0.25,
    held_out_data=(),
    seed: int = 0,
    backend: str = "auto",
    precision: str = "auto",
    device: str = "cpu",
    exported=None,
    resampling: str | None = None,
    threads: int | None = None,
    overrides: dict | None = None,
    stale_after: float = 600.0,
    timeout: float | None = None,
    progress: bool = True,
) -> TuneResult:
    """Tune ``params`` (``3s`` or ``5s``) for ``weights`` on the videos of ``data`` (``FORMAT=PATH``
    specs) and write ``out/params.yaml`` and ``out/tune.json``; see ``siamfc tune --help``.

    Runs until the study holds ``trials`` finished trials (a resumed or shared study counts the
    trials already there), with ``workers`` processes; then scores the base and the best set on
    the held-out clips; ``timeout``: seconds after which no new trial starts (the held-out check
    then runs on the trials done; running the command again continues). ``overrides``: other tracker parameters, fixed for every trial. ``model``:
    a SiamFC object to tune for instead of a weights file (recorded by a digest of its state).
    """
    from siamfc.io.files import file_sha256, writable_folder
    from siamfc.model.weights import resolve_weights
    from siamfc.tracking.tracker import card_resampling
    from siamfc.training.data import resolve_data_specs

    if params not in PRESETS:
        raise ConfigError(f"--params must be one of {sorted(PRESETS)} (the set the search starts from), got {params!r}")
    if trials < 1 or workers < 1:
        raise ConfigError("--trials and --workers must be at least 1")
    overrides = dict(overrides or {})
    clash = sorted(set(overrides) & set(space.KEYS))
    if clash:
        raise ConfigError(f"--set {', '.join(clash)}: these are the parameters the search tunes")
    base = PRESETS[params].replace(**overrides)
    data = list([data] if isinstance(data, str) else data)
    held_out_data = list([held_out_data] if isinstance(held_out_data, str) else held_out_data)
    if not data:
        raise ConfigError("no videos to tune on: give --data FORMAT=PATH (e.g. davis=/data/davis2016)")
    weights_path = None if model is not None else resolve_weights(weights)
    if weights_path is not None and not weights_path.is_file():
        from siamfc.errors import WeightsError

        raise WeightsError(f"weights file not found: {weights_path}")
    videos = split_videos(
        load_videos(data),
        frames_per_video=frames_per_video,
        min_frames=min_frames,
        held_out=held_out,
        held_out_fraction=held_out_fraction,
        held_out_seqs=load_videos(held_out_data) if held_out_data else (),
    )
    if model is None:
        resampling = resampling or card_resampling(weights_path)
    engine = EngineSpec(
        None if model is not None else str(weights_path),
        backend,
        precision,
        device,
        exported,
        resampling or "bilinear",
        threads,
        model,
    )
    setup = {
        "weights_sha256": file_sha256(weights_path) if model is None else model_digest(model),
        "base": params,
        "base_params": dataclasses.asdict(base),
        "space": space.describe(),
        "tune": [c.describe() for c in videos.tune],
        "frames_per_video": frames_per_video,
        "min_frames": min_frames,
        "engine": {k: getattr(engine, k) for k in ("backend", "precision", "device", "exported", "resampling")},
    }
    out = writable_folder(out, "the tuning results")
    url = storage_url(storage, out)
    the_study = open_study(url, study, setup, space.point_of(base))
    job = WorkerJob(url, study, trials, engine, base, tuple(videos.tune), seed, 0, stale_after, progress, timeout)
    if progress:
        c = counts(the_study)
        print(
            f"siamfc tune: {len(videos.tune)} tuning clips, {len(videos.held_out)} held-out clips; "
            f"study {study!r} in {url}: {c.get('COMPLETE', 0) + c.get('PRUNED', 0)} of {trials} trials done",
            flush=True,
        )
        if videos.missing:
            print(f"siamfc tune: held-out videos not in the data (skipped): {', '.join(videos.missing)}", flush=True)
    run_workers(job, workers, threads)
    report, tuned = finish(the_study, job, videos, setup, data_specs=resolve_data_specs(data + held_out_data))
    report["study"] = {"storage": url, "name": study}
    return write_outputs(report, tuned, params, out)


def model_digest(model) -> str:
    """SHA-256 of a model's state (names, shapes and values): what stands for a weights file's digest."""
    import hashlib

    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        t = tensor.detach().cpu().contiguous()
        h.update(f"{name}:{tuple(t.shape)}:{t.dtype}".encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def run_workers(job: WorkerJob, workers: int, threads: int | None) -> None:
    """Run ``job`` in this process, or in ``workers`` processes sharing the study."""
    if workers == 1:
        run_worker(job)
        return
    import multiprocessing

    from siamfc.utils.worker_pool import worker_pool

    per_worker = threads or max(1, (os.cpu_count() or 1) // workers)
    jobs = [
        dataclasses.replace(job, worker=i, engine=dataclasses.replace(job.engine, threads=per_worker))
        for i in range(workers)
    ]
    with worker_pool(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for future in [pool.submit(run_worker, j) for j in jobs]:
            future.result()


def finish(study, job: WorkerJob, videos: Videos, setup: dict, data_specs: list[str]) -> tuple[dict, TrackerParams]:
    """Score the base and the best set on the held-out clips; the report (a dict) and the best set."""
    from optuna.trial import TrialState

    from siamfc.utils.provenance import made_by

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not done:
        raise ConfigError(
            f"study {job.study!r} has no complete trial yet (a --timeout shorter than one trial?): "
            "run the command again to continue it"
        )
    best = max(done, key=lambda t: t.value)
    base_point = space.point_of(job.base)
    base_trials = [t for t in done if t.user_attrs.get("base") or space.rounded(t.params) == base_point]
    tuned = job.base.replace(**space.rounded(best.params))
    engine, resampling = job.engine.build(job.base.num_scales)
    held = list(videos.held_out)
    base_held = score_clips(engine, resampling, job.base, held)
    tuned_held = base_held if tuned == job.base else score_clips(engine, resampling, tuned, held)
    base_tune = base_trials[0].user_attrs.get("per_clip") if base_trials else None
    if base_tune is None:  # the base trial was lost (e.g. failed); score it here
        base_tune = score_clips(engine, resampling, job.base, list(job.clips))
    c = counts(study)
    if job.engine.model is None:
        provenance = made_by(job.engine.weights, engine.describe())
    else:
        provenance = made_by(False, engine.describe())
        provenance.update(weights="(a model object)", weights_sha256=setup["weights_sha256"])
    report = {
        "made_by": provenance,
        "objective": "mean OTB success AUC over clips (21 IoU thresholds), one-pass from the clip's first box",
        "data": data_specs,
        "setup": setup,
        "videos": videos.describe(),
        "trials": {
            "complete": c.get("COMPLETE", 0),
            "pruned": c.get("PRUNED", 0),
            "failed": c.get("FAIL", 0),
            "running": c.get("RUNNING", 0),
            "best": best.number,
            "list": [_trial_row(t) for t in study.get_trials(deepcopy=False)],
        },
        "base": {"name": setup["base"], "params": base_point},
        "tuned": {"params": space.rounded(best.params), "trial": best.number},
        "tuning_split": _compare(base_tune, best.user_attrs.get("per_clip") or {}),
        "held_out": _compare(base_held, tuned_held),
    }
    report["verdict"] = verdict(report)
    return report, tuned


def _trial_row(t) -> dict:
    return {
        "number": t.number,
        "state": t.state.name,
        "value": None if t.value is None else round(t.value, 6),
        "params": space.rounded(t.params) if t.params else {},
        "seconds": t.user_attrs.get("seconds"),
        "pruned_after_clips": t.user_attrs.get("pruned_after_clips"),
        "base": bool(t.user_attrs.get("base")),
    }


#: Resamples of the paired bootstrap of the mean change over clips (fixed seed: a report is reproducible).
BOOTSTRAP = 10000


def change_interval(changes, level: float = 0.95, seed: int = 0) -> list[float]:
    """Paired bootstrap interval of the mean per-clip change: resample the clips with replacement.

    A rough guide with a handful of clips (the clips are not independent draws of all video), but
    it tells a gain carried by one or two clips from one that most clips share.
    """
    d = np.asarray(list(changes), dtype=np.float64)
    if len(d) < 2:
        return [float("nan"), float("nan")]
    means = d[np.random.default_rng(seed).integers(0, len(d), (BOOTSTRAP, len(d)))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return [round(float(lo), 4), round(float(hi), 4)]


def _compare(base: dict, tuned: dict) -> dict:
    """Means and per-clip scores of the base and the tuned set, how many clips went up or down,
    a bootstrap interval of the mean change, and the clips that changed most."""
    names = [k for k in base if k in tuned]
    changes = sorted(((tuned[k] - base[k], k) for k in names), reverse=True)
    per_clip = {k: {"base": round(base[k], 4), "tuned": round(tuned[k], 4)} for k in names}
    return {
        "clips": len(base),
        "base_auc": round(mean(base), 4),
        "tuned_auc": round(mean(tuned), 4),
        "change": round(mean(tuned) - mean(base), 4),
        "change_interval_95": change_interval(c for c, _ in changes),
        "clips_better": sum(c > 0 for c, _ in changes),
        "clips_worse": sum(c < 0 for c, _ in changes),
        "largest_gain": {"clip": changes[0][1], **per_clip[changes[0][1]]} if changes else None,
        "largest_drop": {"clip": changes[-1][1], **per_clip[changes[-1][1]]} if changes else None,
        "per_clip": per_clip,
    }


def verdict(report: dict) -> str:
    """One line: use the tuned set or keep the base set, by the held-out split alone -- and only
    for a gain whose bootstrap interval lies above zero, not one that a clip or two carry."""
    base, held = report["base"]["name"], report["held_out"]
    change, (lo, hi) = held["change"], held["change_interval_95"]
    if report["tuned"]["params"] == report["base"]["params"]:
        return f"the search found no set better than {base} on the tuning clips: keep --params {base}"
    counts = f"{held['clips_better']} of {held['clips']} held-out clips better, {held['clips_worse']} worse"
    if change > 0 and lo > 0:
        return f"use the tuned set: {change:+.4f} AUC over {base} on the held-out clips ({counts}; 95% interval {lo:+.4f} to {hi:+.4f})"
    if change > 0:
        return (
            f"keep --params {base}: the held-out gain {change:+.4f} is within noise ({counts}; "
            f"95% interval {lo:+.4f} to {hi:+.4f}); more held-out video could tell"
        )
    return f"keep --params {base}: the tuned set scored {change:+.4f} against it on the held-out clips ({counts})"


def write_outputs(report: dict, tuned: TrackerParams, base: str, out: Path) -> TuneResult:
    """``out/params.yaml`` (the tuned set and its record) and ``out/tune.json`` (everything)."""
    import json

    from siamfc.io.files import write_text_atomic
    from siamfc.tracking.params_file import save_params_file

    record = {
        "weights": report["made_by"].get("weights"),
        "weights_sha256": report["made_by"].get("weights_sha256"),
        "engine": report["made_by"].get("engine"),
        "data": report["data"],
        "trials": {k: report["trials"][k] for k in ("complete", "pruned", "best")},
        "frames_per_video": report["setup"]["frames_per_video"],
        "tuning_split": {k: report["tuning_split"][k] for k in ("clips", "base_auc", "tuned_auc")},
        "held_out": {k: report["held_out"][k] for k in ("clips", "base_auc", "tuned_auc", "change_interval_95")},
        "held_out_videos": report["videos"]["held_out_videos"],
        "split": report["videos"]["split"],
        "verdict": report["verdict"],
        "command": report["made_by"].get("command"),
        "created": report["made_by"].get("created"),
    }
    params_path = save_params_file(Path(out) / PARAMS_FILE, tuned, base, record, keys=space.KEYS)
    report["params_file"] = str(params_path)
    json_path = write_text_atomic(Path(out) / REPORT_FILE, json.dumps(report, indent=1) + "\n")
    return TuneResult(report, json_path, params_path, tuned)


def summary_text(report: dict) -> str:
    """The lines ``siamfc tune`` prints at the end: both splits side by side, and the verdict."""
    base = report["base"]["name"]
    lines = [f"{'split':<12} {'clips':>5} {base + ' AUC':>9} {'tuned AUC':>9} {'change':>8}  (bootstrap over clips)"]
    for key, label in (("tuning_split", "tuning"), ("held_out", "held-out")):
        r = report[key]
        lo, hi = r["change_interval_95"]
        lines.append(
            f"{label:<12} {r['clips']:>5} {r['base_auc']:>9.4f} {r['tuned_auc']:>9.4f} {r['change']:>+8.4f}"
            f"  (95% interval {lo:+.4f} to {hi:+.4f}; clips better/worse {r['clips_better']}/{r['clips_worse']})"
        )
    drop = report["held_out"]["largest_drop"]
    if drop and drop["tuned"] < drop["base"]:
        lines.append(f"largest held-out drop: {drop['clip']} {drop['base']:.4f} -> {drop['tuned']:.4f}")
    tuned = ", ".join(f"{k} {v:g}" for k, v in report["tuned"]["params"].items())
    t = report["trials"]
    lines.append(f"tuned set (trial {t['best']} of {t['complete']} complete, {t['pruned']} pruned): {tuned}")
    lines.append(f"verdict: {report['verdict']}")
    lines.append(f"wrote {report['params_file']} and {Path(report['params_file']).with_name(REPORT_FILE)}")
    return "\n".join(lines)
