"""The Optuna study behind ``siamfc tune``: its storage, its setup, and the loop each worker runs.

Storage: a journal file (``optuna.storages.JournalStorage``; the default, ``<out>/study.journal``),
which several processes -- on one machine, or on several through a shared file system -- append
to under a lock; or an RDB URL (``sqlite:///...``, ``postgresql://...``; needs SQLAlchemy).
Everything lives in the storage, so a killed run continues where it stopped and a second worker
joins by naming the same storage and study.

The study records its *setup* (weights digest, base set, search space, clips, engine) when it is
created; a worker whose own setup differs is refused instead of mixing scores of different
experiments. Trials are counted in the storage: a worker stops when the finished trials (complete
or pruned) plus those running elsewhere reach ``trials``, so several workers share one budget.

A trial whose worker died (killed, machine lost) would stay RUNNING forever: every trial records
its worker (machine and process id) and a heartbeat (the time of its last scored clip). Before each
trial a worker fails the running trials of dead processes on its own machine, and those without a
heartbeat for ``stale_after`` seconds anywhere, and queues their parameters again, so that the
interrupted trial is the first one a resumed run scores.
"""

from __future__ import annotations

import os
import socket
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from siamfc.errors import ConfigError
from siamfc.tracking.params import TrackerParams
from siamfc.tuning import space
from siamfc.tuning.scoring import EngineSpec, mean, score_clips
from siamfc.tuning.videos import Clip

#: Name of the default journal file in the output folder.
JOURNAL = "study.journal"
#: Setup keys that must agree between the study and a worker joining it.
COMPARED = ("weights_sha256", "base", "base_params", "space", "tune", "frames_per_video", "min_frames", "engine")


def storage_url(storage, out) -> str:
    """The storage a run uses: ``storage`` (an RDB URL or a journal file path) or ``<out>/study.journal``."""
    if storage:
        return str(storage)
    return str(Path(out) / JOURNAL)


def open_storage(url: str):
    """An Optuna storage for ``url``: an RDB URL (``scheme://...``) or a journal file path."""
    import optuna

    if "://" in url:
        try:
            import sqlalchemy  # noqa: F401 - optuna's RDB storage needs it
        except ImportError:
            raise ConfigError(
                f"--storage {url}: an RDB storage needs SQLAlchemy (pip install sqlalchemy); "
                "or give a journal file path, which needs nothing more"
            ) from None
        return optuna.storages.RDBStorage(url)
    from optuna.storages.journal import JournalFileBackend

    path = Path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    return optuna.storages.JournalStorage(JournalFileBackend(str(path)))


def machine_id() -> str:
    """This machine: host name and boot id (two containers of one host have different host names)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    return f"{socket.gethostname()}/{boot}"


def process_alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, TypeError, ValueError, OverflowError):
        return True  # exists (another user's) or unknown: not ours to call dead
    return True


def open_study(url: str, name: str, setup: dict, base_point: dict):
    """Create the study (recording ``setup`` and queueing the base set as its first trial) or open
    it and check that ``setup`` is the one it was made with; returns the Optuna study."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=open_storage(url), study_name=name, direction="maximize", load_if_exists=True)
    old = study.user_attrs.get("setup")
    if old is None:
        study.set_user_attr("setup", setup)
        study.enqueue_trial(base_point, user_attrs={"base": True}, skip_if_exists=True)
        return study
    differ = [k for k in COMPARED if old.get(k) != setup.get(k)]
    if differ:
        raise ConfigError(
            f"study {name!r} in {url} was made with another {', '.join(differ)}: "
            "resume it with the same weights, --params, --data, split and engine, or choose another --out / --study"
        )
    return study


def counts(study) -> dict:
    """``{state name: trials}`` of the study."""
    out: dict[str, int] = {}
    for t in study.get_trials(deepcopy=False):
        out[t.state.name] = out.get(t.state.name, 0) + 1
    return out


def fail_stale_trials(study, stale_after: float, me: dict) -> list[int]:
    """Fail the running trials whose worker is gone (see the module doc) and queue their parameters
    again; returns their numbers."""
    from optuna.trial import TrialState

    failed = []
    now = time.time()
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = t.user_attrs.get("worker") or {}
        beat = t.user_attrs.get("beat") or (t.datetime_start.timestamp() if t.datetime_start else now)
        if worker == me:
            continue
        dead_here = worker.get("machine") == me["machine"] and not process_alive(worker.get("pid"))
        if not (dead_here or now - beat > stale_after):
            continue
        frozen = study.tell(t.number, state=TrialState.FAIL, skip_if_finished=True)
        if frozen.state != TrialState.FAIL:
            continue
        failed.append(t.number)
        if set(t.params) == set(space.KEYS):
            requeue(study, t.number, t.params, t.user_attrs)
    return failed


def requeue(study, number: int, params: dict, user_attrs: dict) -> None:
    """Queue a trial's parameters again (it was interrupted); a base trial stays the base trial."""
    attrs = {"retry_of": number, **({"base": True} if user_attrs.get("base") else {})}
    study.enqueue_trial(dict(params), user_attrs=attrs)


@dataclass(frozen=True)
class WorkerJob:
    """Everything a worker process needs (picklable)."""

    url: str
    study: str
    trials: int
    engine: EngineSpec
    base: TrackerParams
    clips: tuple[Clip, ...]
    seed: int = 0
    worker: int = 0
    stale_after: float = 600.0
    progress: bool = True
    timeout: float | None = None  # seconds after which no new trial starts (None: no limit)


def sampler_and_pruner(job: WorkerJob, trials_at_start: int):
    """TPE (constant liar: workers running at once spread out) seeded by the seed, the worker and
    the trials already in the study -- so a resumed run does not replay the random start of the
    killed one -- and the median pruner over the running mean AUC after each clip."""
    import optuna

    seed = zlib.crc32(f"{job.seed}:{job.worker}:{trials_at_start}".encode())
    sampler = optuna.samplers.TPESampler(
        seed=seed, constant_liar=True, n_startup_trials=min(10, max(2, job.trials // 3))
    )
    pruner = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=max(1, len(job.clips) // 3))
    return sampler, pruner


def run_worker(job: WorkerJob) -> int:
    """Run trials until the study has ``job.trials`` finished or running ones (or until
    ``job.timeout`` seconds have passed: no trial starts after that); returns how many this
    worker finished."""
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = open_storage(job.url)
    trials_at_start = len(optuna.load_study(study_name=job.study, storage=storage).trials)
    sampler, pruner = sampler_and_pruner(job, trials_at_start)
    study = optuna.load_study(study_name=job.study, storage=storage, sampler=sampler, pruner=pruner)
    engine, resampling = job.engine.build(job.base.num_scales)
    me = {"machine": machine_id(), "pid": os.getpid()}
    done = 0
    started = time.monotonic()
    while True:
        if job.timeout is not None and time.monotonic() - started > job.timeout:
            if job.progress:
                print(f"siamfc tune: --timeout {job.timeout:g} s reached; no new trial started", flush=True)
            return done
        retried = fail_stale_trials(study, job.stale_after, me)
        if retried and job.progress:
            print(f"siamfc tune: trial(s) {retried} were interrupted; their parameters are queued again", flush=True)
        c = counts(study)
        if c.get("COMPLETE", 0) + c.get("PRUNED", 0) + c.get("RUNNING", 0) >= job.trials:
            return done
        trial = study.ask()
        trial.set_user_attr("worker", me)
        trial.set_user_attr("beat", time.time())
        start = time.perf_counter()
        try:
            value = objective(trial, job, engine, resampling)
        except optuna.TrialPruned:
            study.tell(trial, state=TrialState.PRUNED)
            line = f"pruned after {trial.user_attrs.get('pruned_after_clips', '?')} of {len(job.clips)} clips"
        except BaseException:
            study.tell(trial, state=TrialState.FAIL)
            requeue(study, trial.number, trial.params, trial.user_attrs)
            raise
        else:
            study.tell(trial, value)
            line = f"AUC {value:.4f}"
        done += 1
        if job.progress:
            best = _best(study)
            print(
                f"siamfc tune: trial {trial.number} ({time.perf_counter() - start:.0f} s): {line}"
                + (f"; best so far {best.value:.4f} (trial {best.number})" if best else ""),
                flush=True,
            )


def _best(study):
    try:
        return study.best_trial
    except ValueError:  # no complete trial yet
        return None


def objective(trial, job: WorkerJob, engine, resampling: str) -> float:
    """Score the trial's set on the tuning clips: the running mean is reported after each clip for
    pruning (never for the base set, the reference every other set is compared with)."""
    import optuna

    point = space.suggest(trial)
    params = job.base.replace(**point)
    is_base = bool(trial.user_attrs.get("base"))
    t0 = time.perf_counter()

    def after_each(step: int, running: float) -> None:
        trial.set_user_attr("beat", time.time())
        trial.report(running, step)
        if not is_base and trial.should_prune():
            trial.set_user_attr("pruned_after_clips", step + 1)
            raise optuna.TrialPruned()

    scores = score_clips(engine, resampling, params, list(job.clips), after_each)
    trial.set_user_attr("per_clip", {k: round(v, 6) for k, v in scores.items()})
    trial.set_user_attr("seconds", round(time.perf_counter() - t0, 1))
    return mean(scores)
