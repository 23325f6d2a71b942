"""Drive a tracker over a dataset: one sequence per task, parallel processes, resumable, atomic files.

    from siamfc.data.registry import open_dataset
    from siamfc.evaluation.runner import run_dataset
    from siamfc.evaluation.trackers import TrackerSpec

    seqs = open_dataset("otb2015", "/data/OTB100")
    run_dataset(seqs, TrackerSpec("csrt"), "results/otb2015", dataset="otb2015", workers=2)

Results go to ``<results>/<tracker name>/`` in the protocol's standard format
(:mod:`siamfc.evaluation.results`). A sequence whose result file exists is skipped, so an
interrupted run continues where it stopped; a sequence is written only when finished (time
file first, result file last, each atomically), so an interruption loses at most the
sequences in progress. ``run.json`` records the dataset and tracker; a folder that holds another
dataset's or another tracker configuration's results is refused rather than mixed.

Sharded (``shard=Shard(K, N)``, :mod:`siamfc.utils.sharding`): only the sequences of shard K are
tracked, into the same folder as the other shards. Shards may run at once, on other machines
sharing the folder: they never write the same result file, the first of them creates
``run.json`` (the others check theirs against it), and each writes its own record
(:mod:`siamfc.evaluation.shard_records`).

Timing covers ``init`` / ``update`` only (not reading the frames), as the toolkits measure it.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from siamfc.data.sequence import Sequence
from siamfc.errors import DataError, SiamFCError
from siamfc.evaluation.results import Trajectory, create_run_info, has_result, read_run_info, write_trajectory
from siamfc.evaluation.shard_records import write_record
from siamfc.evaluation.trackers import TrackerSpec, box_is_usable
from siamfc.io.files import writable_folder
from siamfc.utils.provenance import made_by
from siamfc.utils.sharding import Shard
from siamfc.utils.worker_pool import worker_pool

#: Result-file format of each protocol.
PROTOCOL_FORMAT = {"ope": "otb", "lasot": "otb", "got10k": "got10k", "vot": "vot"}


def track_one_pass(tracker, seq: Sequence) -> Trajectory:
    """OTB one-pass: initialise on frame 1's ground truth, then ``update`` on every later frame."""
    if not box_is_usable(seq.boxes[0]):
        raise DataError(f"{seq.name}: the first frame has no usable ground-truth box ({seq.boxes[0].tolist()})")
    n = len(seq)
    boxes = np.full((n, 4), np.nan)
    times = np.zeros(n)
    frame = seq.frame(0)
    start = time.perf_counter()
    tracker.init(frame, seq.boxes[0])
    times[0] = time.perf_counter() - start
    boxes[0] = seq.boxes[0]
    for i in range(1, n):
        frame = seq.frame(i)
        start = time.perf_counter()
        boxes[i] = tracker.update(frame).box
        times[i] = time.perf_counter() - start
    return Trajectory(boxes, None, times)


def track_sequence(tracker, seq: Sequence, protocol: str) -> Trajectory:
    if protocol == "vot":
        from siamfc.evaluation.vot_protocol import track_supervised

        return track_supervised(tracker, seq)
    return track_one_pass(tracker, seq)


@dataclass
class RunSummary:
    """What a run did: sequences tracked now, found done already, and failed (name -> error);
    sharded, of its shard's sequences only."""

    tracker_dir: Path
    shard: Shard | None = None
    tracked: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)


# -- worker processes --------------------------------------------------------------------------
_WORKER: dict = {}


def _set_threads(threads: int | None) -> None:
    if not threads:
        return
    import cv2
    import torch

    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)


def _worker_init(spec: TrackerSpec, seqs, tracker_dir: str, protocol: str, threads: int | None) -> None:
    _set_threads(threads)
    _WORKER.update(tracker=spec.build(), seqs=seqs, tracker_dir=tracker_dir, protocol=protocol)


def _run_one(name: str, tracker=None, seqs=None, tracker_dir=None, protocol=None):
    """Track one sequence and write its files; returns ``(name, fps, error or None)``."""
    tracker = tracker if tracker is not None else _WORKER["tracker"]
    seqs = seqs if seqs is not None else _WORKER["seqs"]
    tracker_dir = tracker_dir if tracker_dir is not None else _WORKER["tracker_dir"]
    protocol = protocol if protocol is not None else _WORKER["protocol"]
    try:
        seq = seqs[name]
        traj = track_sequence(tracker, seq, protocol)
        write_trajectory(tracker_dir, name, PROTOCOL_FORMAT[protocol], traj)
        return name, traj.fps, None
    except SiamFCError as exc:
        return name, None, str(exc)


# -- the run -----------------------------------------------------------------------------------
def _check_folder(tracker_dir: Path, info: dict) -> None:
    old = read_run_info(tracker_dir)
    if not old:
        return
    if old.get("dataset") != info["dataset"]:
        raise DataError(
            f"{tracker_dir} holds results of dataset {old.get('dataset')!r}, not {info['dataset']!r}: "
            "choose another --results folder"
        )
    if old.get("tracker") != info["tracker"]:
        raise DataError(
            f"{tracker_dir} holds results of another tracker configuration ({old.get('tracker')}); "
            "use --name or another --results folder instead of mixing them"
        )


def run_dataset(
    seqs,
    spec: TrackerSpec,
    results_root,
    *,
    dataset: str,
    protocol: str = "ope",
    workers: int = 1,
    threads: int | None = None,
    progress: bool = True,
    root=None,
    shard: Shard | None = None,
) -> RunSummary:
    """Run ``spec``'s tracker on every sequence of ``seqs`` that has no result yet.

    Args:
        seqs: a :class:`~siamfc.data.registry.SequenceList` (picklable: workers read their own).
        spec: the tracker recipe; results go to ``results_root/spec.name``.
        dataset, protocol: recorded in ``run.json``; the protocol picks the loop and file format.
        workers: processes (1: in this process). ``threads``: torch/OpenCV threads per process
            (default with several workers: the cores divided among them).
        shard: only this shard's sequences (see the module doc); None: all.
    """
    from tqdm import tqdm

    if protocol not in PROTOCOL_FORMAT:
        raise DataError(f"unknown protocol {protocol!r}")
    if workers < 1:
        raise DataError(f"--workers must be at least 1, got {workers}")
    fmt = PROTOCOL_FORMAT[protocol]
    tracker_dir = Path(results_root) / spec.name
    info = {
        "dataset": dataset,
        "protocol": protocol,
        "format": fmt,
        "tracker": spec.describe(),
        "root": str(root) if root else None,
    }
    _check_folder(tracker_dir, info)
    writable_folder(tracker_dir, "results", keep=False)  # e.g. --results naming a file: one line, before the build
    tracker = spec.build()  # fails here, once, with a clear message (e.g. missing weights)
    writable_folder(tracker_dir, "results")
    made = None
    if not read_run_info(tracker_dir) or shard:
        engine = getattr(getattr(tracker, "engine", None), "describe", lambda: None)()  # what `auto` resolved to
        resolved = {"engine": engine, "resampling": getattr(tracker, "resampling", None)}
        made = made_by(spec.weights if spec.kind == "siamfc" else False, engine)
        if not create_run_info(tracker_dir, {**info, **resolved, "created": made["created"], "made_by": made}):
            _check_folder(tracker_dir, info)  # another shard made it first: is it ours?
    names = shard.select(seqs.names) if shard else list(seqs.names)
    if shard:
        write_record(tracker_dir, shard, names, "running", made)
    summary = RunSummary(tracker_dir, shard)
    todo = []
    for name in names:
        (summary.skipped if has_result(tracker_dir, name, fmt) else todo).append(name)
    desc = f"{spec.name} on {dataset}" + (f" (shard {shard})" if shard else "")
    bar = tqdm(total=len(todo), desc=desc, unit="seq", disable=not progress or not todo)

    def record(name, fps, error):
        if error:
            summary.failed[name] = error
        else:
            summary.tracked.append(name)
        bar.set_postfix_str(f"{name} {fps:.1f} fps" if fps else name)
        bar.update(1)

    try:
        if workers == 1 or len(todo) <= 1:
            _set_threads(threads)
            for name in todo:
                record(*_run_one(name, tracker, seqs, str(tracker_dir), protocol))
        else:
            threads = threads or max(1, (os.cpu_count() or 1) // workers)
            ctx = multiprocessing.get_context("spawn")
            with worker_pool(
                workers,
                mp_context=ctx,
                initializer=_worker_init,
                initargs=(spec, seqs, str(tracker_dir), protocol, threads),
            ) as pool:
                futures = [pool.submit(_run_one, name) for name in todo]
                try:
                    for fut in as_completed(futures):
                        record(*fut.result())
                except BaseException:
                    for fut in futures:
                        fut.cancel()
                    raise
    finally:
        bar.close()
    if shard:
        write_record(tracker_dir, shard, names, "finished", made, summary.failed)
    return summary
