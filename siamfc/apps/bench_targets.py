"""Many targets, side by side (``siamfc bench --targets N``): one batched tracker against N separate ones.

Every side tracks the same N targets through the same frames with the same engine (built once
and shared): ``batched`` is one :class:`~siamfc.tracking.MultiTargetTracker` (the N*S search crops
through the network in one call; the targets' crops and post-processing in threads),
``batched_1_worker`` the same with ``workers=1`` (what the one network call alone gives), and
``separate`` N :class:`~siamfc.tracking.SiamFCTracker` updated one after the other. The frames
are the bundled Crossing sequence resized to ``size`` (decoded before the clock starts); the
targets are its annotated pedestrian and N - 1 boxes of the same size spread across the frame
(what is in a box does not change what a step costs).

The sides take turns, in a rotated order, for ``rounds`` passes each, so that a slow spell of a
shared machine hits them alike. Per side: the median over passes of the mean step (all N targets,
ms; fps = 1000 / ms) with its crop / network / post-processing parts, and the process's CPU
seconds per step (the work done, which other people's load changes less than the wall clock);
the ratios separate / batched are medians of the per-round ratios. Each pass starts afresh
(``add`` / ``init`` on frame 0 and the first update are not timed: the first update after the
number of targets changes may compile the network for the new batch). The load average of the
machine before and after is recorded with the numbers.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np

from siamfc.errors import ConfigError

#: Environment variables that limit the instruction sets oneDNN (in PyTorch and OpenVINO) may use,
#: e.g. ``ONEDNN_MAX_CPU_ISA=AVX512_CORE_VNNI`` runs a CPU with AMX as one without it.
ISA_VARIABLES = ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA")


def target_boxes(first_box, n: int, frame_width: int) -> list[tuple[float, float, float, float]]:
    """``first_box`` and ``n - 1`` boxes of its size, moved right by multiples of ``frame_width / n``
    (wrapping round), so the ``n`` boxes are spread across the frame at the same height."""
    x, y, w, h = first_box
    span = frame_width - w
    return [(float((x + k * frame_width / n) % span), y, w, h) for k in range(n)]


def _timed_pass(start, step, frames):
    """``start(frames[0])`` and the first ``step`` (untimed: first-frame seconds), then ``step(frame)
    -> (boxes, (crop, network, post) seconds)`` on the rest: (first, step seconds, parts, boxes,
    CPU seconds of the process per step)."""
    t0 = time.perf_counter()
    start(frames[0])
    step(frames[1])
    first = time.perf_counter() - t0
    steps, parts, boxes = [], [], []
    cpu = time.process_time()
    for frame in frames[2:]:
        t0 = time.perf_counter()
        out, timings = step(frame)
        steps.append(time.perf_counter() - t0)
        parts.append(timings)
        boxes.append(out)
    cpu = (time.process_time() - cpu) / len(steps)
    return first, steps, parts, np.array(boxes), cpu


def _pass_batched(engine, options, frames, boxes):
    """One pass of one MultiTargetTracker (``options`` may set its ``workers``)."""
    from siamfc.tracking import MultiTargetTracker

    tracker = MultiTargetTracker(engine=engine, **options)
    ids = []

    def step(frame):
        results = tracker.update(frame)
        return [results[i].box for i in ids], tracker.last_timings

    return _timed_pass(lambda frame: ids.extend(tracker.add(frame, b) for b in boxes), step, frames)


def _pass_separate(engine, options, frames, boxes):
    from siamfc.tracking import SiamFCTracker

    trackers = [SiamFCTracker(engine=engine, **options) for _ in boxes]

    def start(frame):
        for tracker, box in zip(trackers, boxes):
            tracker.init(frame, box)

    def step(frame):
        out = [tracker.update(frame).box for tracker in trackers]
        return out, np.sum([t.last_timings for t in trackers], axis=0)

    return _timed_pass(start, step, frames)


def _summary(passes) -> dict:
    step = 1000 * float(np.median([np.mean(p[1]) for p in passes]))
    crop, net, post = (1000 * np.median([t for p in passes for t in p[2]], axis=0)).tolist()
    return {
        "fps": 1000 / step,
        "step_ms": step,
        "crop_ms": crop,
        "network_ms": net,
        "post_ms": post,
        # CPU time of the process (all its threads) per step: the work done, which other people's
        # load on a shared machine changes less than the wall clock.
        "cpu_ms": 1000 * float(np.median([p[4] for p in passes])),
        "first_frame_ms": 1000 * passes[0][0],
        "pass_step_ms": [1000 * float(np.mean(p[1])) for p in passes],
    }


def compare_targets(engine, frames, boxes, *, params="3s", resampling="bilinear", rounds: int = 5) -> dict:
    """Batched against separate on ``boxes`` (see the module doc): each side's timings, the ratios
    separate / batched, and the largest box difference between the sides (pixels).

    Three sides: ``batched`` (the default tracker: crops and post-processing in threads),
    ``batched_1_worker`` (the same with ``workers=1``: what the batched network call alone gives)
    and ``separate``; each round runs them in a rotated order."""
    options = {"params": params, "resampling": resampling}
    sides = {
        "batched": lambda: _pass_batched(engine, options, frames, boxes),
        "batched_1_worker": lambda: _pass_batched(engine, dict(options, workers=1), frames, boxes),
        "separate": lambda: _pass_separate(engine, options, frames, boxes),
    }
    passes = {name: [] for name in sides}
    for r in range(rounds):
        names = list(sides)
        for name in names[r % 3 :] + names[: r % 3]:
            passes[name].append(sides[name]())

    def ratio(side, field=1, mean=np.mean):
        return float(np.median([mean(s[field]) / mean(b[field]) for b, s in zip(passes[side], passes["separate"])]))

    separate = passes["separate"][-1][3]
    return {
        "targets": len(boxes),
        **{name: _summary(runs) for name, runs in passes.items()},
        "ratio": ratio("batched"),
        "ratio_1_worker": ratio("batched_1_worker"),
        "round_ratios": [float(np.mean(s[1]) / np.mean(b[1])) for b, s in zip(passes["batched"], passes["separate"])],
        "cpu_ratio": ratio("batched", 4, float),
        "max_box_difference_px": float(
            max(np.abs(passes[name][-1][3] - separate).max() for name in ("batched", "batched_1_worker"))
        ),
    }


def isa_line() -> str:
    """The CPU's AMX flags and any limit set on oneDNN's instruction sets (``ONEDNN_MAX_CPU_ISA``)."""
    from siamfc.runtime.select import _cpu_flags

    amx = sorted(f for f in _cpu_flags() or () if f.startswith("amx"))
    limits = [f"{v}={os.environ[v]}" for v in ISA_VARIABLES if os.environ.get(v)]
    return f"AMX flags: {', '.join(amx) or 'none'}" + (f"; oneDNN limited by {', '.join(limits)}" if limits else "")


def format_targets_table(rows: list[dict]) -> str:
    lines = [
        "| config | targets | side | fps | ms / step | crop | network | post | CPU ms / step | × separate |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ratios = {"batched": "ratio", "batched_1_worker": "ratio_1_worker"}
    for r in rows:
        for side in ("batched", "batched_1_worker", "separate"):
            t = r[side]
            times = " | ".join(f"{t[k]:.1f}" for k in ("step_ms", "crop_ms", "network_ms", "post_ms", "cpu_ms"))
            ratio = f"{r[ratios[side]]:.2f}" if side in ratios else "1"
            lines.append(f"| {r['config']} | {r['targets']} | {side} | {t['fps']:.1f} | {times} | {ratio} |")
    return "\n".join(lines)


def run_targets_command(
    *,
    targets,
    size: str = "640x360",
    params=("3s",),
    frames: int = 40,
    rounds: int = 5,
    configs=None,
    weights=None,
    threads: int | None = None,
    json_out=None,
) -> dict:
    """What ``siamfc bench --targets N ...`` does: for each configuration (default ``auto``), each
    parameter set and each N, :func:`compare_targets`; prints a table, returns (and with
    ``json_out`` writes, atomically) every number with its provenance under ``made_by``."""
    import torch

    from siamfc.apps.bench import CONFIGS, demo_frames, machine_line, parse_size
    from siamfc.io.files import write_text_atomic
    from siamfc.model.weights import load_weights
    from siamfc.runtime import create_engine
    from siamfc.runtime.select import unavailable
    from siamfc.tracking import get_params
    from siamfc.tracking.tracker import card_resampling
    from siamfc.utils.provenance import made_by

    if threads:
        torch.set_num_threads(threads)
    if not targets or min(targets) < 1:
        raise ConfigError("--targets takes whole numbers >= 1")
    if frames < 5 or rounds < 1:
        raise ConfigError("--frames must be at least 5 and --rounds at least 1")
    size = parse_size(size)
    model = load_weights(weights)
    resampling = card_resampling(weights)
    decoded, first_box = demo_frames(frames, size)
    names = configs or ["auto"]
    skipped = {n: why for n in names if n != "auto" and (why := unavailable(*CONFIGS[n]))}
    print(f"machine: {machine_line()}; {isa_line()}")
    print(
        f"frames: {len(decoded)} of {size[0]}x{size[1]} (bundled Crossing, resized), {rounds} rounds, {resampling} crops"
    )
    for name, why in skipped.items():
        print(f"skipped {name}: {why}")
    report = {
        "made_by": made_by(weights),
        "machine": machine_line(),
        "isa": isa_line(),
        "size": list(size),
        "frames": len(decoded),
        "rounds": rounds,
        "resampling": resampling,
        "load_average_before": list(os.getloadavg()),
        "skipped_why": skipped,
        "results": {},
    }
    for name in (n for n in names if n not in skipped):
        backend, precision = CONFIGS[name]
        for ps in params:
            engine = create_engine(
                model,
                backend,
                precision,
                weights=weights,
                threads=threads,
                warm_up_scales=get_params(ps).num_scales,
            )
            rows = []
            for n in targets:
                row = compare_targets(
                    engine,
                    decoded,
                    target_boxes(first_box, n, size[0]),
                    params=ps,
                    resampling=resampling,
                    rounds=rounds,
                )
                rows.append({"config": name, "engine": engine.describe(), "params": ps, **row})
            kernels = getattr(engine, "convolution_kernels", lambda: None)()
            report["results"].setdefault(name, {})[ps] = {"engine": engine.describe(), "kernels": kernels, "rows": rows}
            print(f"\n{name} ({engine.describe()}), SiamFC-{ps}" + (f"; convolutions: {kernels}" if kernels else ""))
            print(format_targets_table(rows))
            print(
                f"boxes: batched and separate differ by at most {max(r['max_box_difference_px'] for r in rows):.3g} px"
            )
    report["load_average_after"] = list(os.getloadavg())
    print(f"load average (1, 5, 15 min) before {report['load_average_before']}, after {report['load_average_after']}")
    if json_out:
        write_text_atomic(json_out, json.dumps(report, indent=2) + "\n")
        print(f"wrote {json_out}")
    return report
