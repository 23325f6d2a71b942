"""Many targets, side by side (``siamfc bench --targets N``): one batched tracker against N separate ones.

Both sides track the same N targets through the same frames with the same engine (built once
and shared): the batched side is one :class:`~siamfc.tracking.MultiTargetTracker` (the N*S search
crops through the network in one call), the separate side N :class:`~siamfc.tracking.SiamFCTracker`
updated one after the other. The frames are the bundled Crossing sequence resized to ``size``
(decoded before the clock starts); the targets are its annotated pedestrian and N - 1 boxes of the
same size spread across the frame (what is in a box does not change what a step costs).

The two sides take turns, in alternating order, for ``rounds`` passes each, so that a slow spell
of a shared machine hits both alike. Per side: the median over passes of the mean step (all N
targets, ms; fps = 1000 / ms) with its crop / network / post-processing parts, and the ratio
separate / batched (the median of the per-round ratios); also the process's CPU seconds per step
(the work done, less sensitive to other people's load than the wall clock). Each pass starts afresh (``add`` /
``init`` on frame 0 and the first update are not timed: the first update after the number of
targets changes may compile the network for the new batch).
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
    """Batched against separate on ``boxes`` (see the module doc): both sides' timings, the ratio
    separate / batched, and the largest box difference between the two sides (pixels)."""
    options = {"params": params, "resampling": resampling}
    batched, separate = [], []
    for r in range(rounds):
        sides = [(_pass_batched, batched), (_pass_separate, separate)]
        for run, out in sides if r % 2 == 0 else sides[::-1]:
            out.append(run(engine, options, frames, boxes))
    ratios = [np.mean(s[1]) / np.mean(b[1]) for b, s in zip(batched, separate)]
    return {
        "targets": len(boxes),
        "batched": _summary(batched),
        "separate": _summary(separate),
        "ratio": float(np.median(ratios)),
        "round_ratios": [float(v) for v in ratios],
        "cpu_ratio": float(np.median([s[4] / b[4] for b, s in zip(batched, separate)])),
        "max_box_difference_px": float(np.abs(batched[-1][3] - separate[-1][3]).max()),
    }


def isa_line() -> str:
    """The CPU's AMX flags and any limit set on oneDNN's instruction sets (``ONEDNN_MAX_CPU_ISA``)."""
    from siamfc.runtime.select import _cpu_flags

    amx = sorted(f for f in _cpu_flags() or () if f.startswith("amx"))
    limits = [f"{v}={os.environ[v]}" for v in ISA_VARIABLES if os.environ.get(v)]
    return f"AMX flags: {', '.join(amx) or 'none'}" + (f"; oneDNN limited by {', '.join(limits)}" if limits else "")


def format_targets_table(rows: list[dict]) -> str:
    lines = [
        "| config | targets | batched fps | separate fps | batched ms (crop / network / post) "
        "| separate ms (crop / network / post) | × separate | CPU ms batched / separate | max box diff px |",
        "|---|---:|---:|---:|---|---|---:|---:|---:|",
    ]
    for r in rows:
        b, s = r["batched"], r["separate"]
        lines.append(
            f"| {r['config']} | {r['targets']} | {b['fps']:.1f} | {s['fps']:.1f} | "
            f"{b['step_ms']:.1f} ({b['crop_ms']:.1f} / {b['network_ms']:.1f} / {b['post_ms']:.1f}) | "
            f"{s['step_ms']:.1f} ({s['crop_ms']:.1f} / {s['network_ms']:.1f} / {s['post_ms']:.1f}) | "
            f"{r['ratio']:.2f} | {b['cpu_ms']:.1f} / {s['cpu_ms']:.1f} | {r['max_box_difference_px']:.3g} |"
        )
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
    if json_out:
        write_text_atomic(json_out, json.dumps(report, indent=2) + "\n")
        print(f"wrote {json_out}")
    return report
