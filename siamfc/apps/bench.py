"""Tracking speed, measured side by side (``siamfc bench``).

Every configuration tracks the same frames -- the bundled Crossing sequence resized to the
chosen frame size (default 640x360), decoded before the clock starts -- in one process, and is
compared with a plain reference run in the same process: the same tracker in eager fp32 PyTorch
with channels-first tensors, which is what existing SiamFC re-implementations run. Ratios are
what to compare across machines; absolute numbers drift with the machine's load.

Per configuration: setup time (engine build: export / compile / warm-up), first-frame latency
(``init`` + the first ``update``), then per tracking step the median ms of crop, network and
post-processing, the mean step (fps = 1000 / mean ms), and the network's achieved GFLOP/s (int8:
giga-operations) as a fraction of a *reference rate*: the throughput of large matrix multiplies
measured here in the same precision. A reference rate is not a bound -- oneDNN's tuned convolution
kernels can beat PyTorch's GEMM -- so a fraction above 100 % is possible and means just that.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import cv2
import numpy as np
import torch
from torch import nn

from siamfc.errors import ConfigError
from siamfc.model.architecture import EXEMPLAR_SIZE, INSTANCE_SIZE

#: name -> (backend, precision); the reference is built separately.
CONFIGS = {
    "torch fp32": ("torch", "fp32"),
    "torch bf16": ("torch", "bf16"),
    "torch-compile fp32": ("torch-compile", "fp32"),
    "torch-compile bf16": ("torch-compile", "bf16"),
    "onnxruntime fp32": ("onnxruntime", "fp32"),
    "openvino fp32": ("openvino", "fp32"),
    "openvino bf16": ("openvino", "bf16"),
    "openvino int8": ("openvino", "int8"),
    "auto": ("auto", "auto"),
}


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ConfigError(f"--size must be WIDTHxHEIGHT, e.g. 640x360, got {text!r}") from None
    if w < 64 or h < 64:
        raise ConfigError(f"--size {text}: frames must be at least 64x64")
    return w, h


def demo_frames(limit: int | None = None, size: tuple[int, int] | None = None):
    """Decoded frames and the first box of the bundled demo sequence, optionally resized to ``size = (W, H)``."""
    from siamfc.apps.demo import demo_sequence

    seq = demo_sequence()
    n = len(seq) if limit is None else min(limit, len(seq))
    frames = [seq.frame(i) for i in range(n)]
    box = np.asarray(seq.boxes[0], dtype=np.float64)
    if size is not None:
        h, w = frames[0].shape[:2]
        sx, sy = size[0] / w, size[1] / h
        frames = [cv2.resize(f, size, interpolation=cv2.INTER_LINEAR) for f in frames]
        box = box * [sx, sy, sx, sy]
    return frames, tuple(float(v) for v in box)


def reference_rate(dtype: torch.dtype, sizes=(1024, 2048), repeats: int = 5) -> float:
    """G(FL)OP/s of square matrix multiplies in ``dtype`` (``torch.int8``: int8 x int8 -> int32),
    best over ``sizes`` and ``repeats``: a *reference rate* to compare the engines with.

    It is PyTorch's GEMM (oneDNN / MKL), not the hardware's datasheet peak, and not a bound:
    well-blocked convolution kernels can run above it. NaN where the dtype has no CPU GEMM here.
    """
    best = 0.0
    for n in sizes:
        if dtype == torch.int8:
            a = torch.randint(-128, 128, (n, n), dtype=torch.int8)
            b = torch.randint(-128, 128, (n, n), dtype=torch.int8)
            multiply = getattr(torch, "_int_mm", None)  # the int8 GEMM PyTorch exposes (used by torchao)
            if multiply is None:
                return float("nan")
        else:
            a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
            multiply = torch.matmul
        try:
            multiply(a, b)  # warm-up
        except RuntimeError:
            return float("nan")
        for _ in range(repeats):
            start = time.perf_counter()
            multiply(a, b)
            best = max(best, 2 * n**3 / (time.perf_counter() - start) / 1e9)
    return best


def conv_flops(module: nn.Module, shape: tuple[int, ...]) -> tuple[float, tuple[int, ...]]:
    """FLOPs (2 x multiply-adds) of the convolutions of ``module`` on an input of ``shape``, and the output shape."""
    total = 0.0

    def count(conv, _inputs, output):
        nonlocal total
        kh, kw = conv.kernel_size
        total += 2.0 * output.numel() * conv.in_channels // conv.groups * kh * kw

    hooks = [m.register_forward_hook(count) for m in module.modules() if isinstance(m, nn.Conv2d)]
    try:
        with torch.inference_mode():
            out = module(torch.zeros(shape))
    finally:
        for h in hooks:
            h.remove()
    return total, tuple(out.shape)


def step_flops(model, num_scales: int) -> float:
    """FLOPs of one tracking step's network: the embedding of S search crops plus the correlation."""
    backbone, feat = conv_flops(model.backbone, (num_scales, 3, INSTANCE_SIZE, INSTANCE_SIZE))
    _, zfeat = conv_flops(model.backbone, (1, 3, EXEMPLAR_SIZE, EXEMPLAR_SIZE))
    c, h, w = zfeat[1:]
    out = (feat[2] - h + 1) * (feat[3] - w + 1)
    return backbone + 2.0 * num_scales * out * c * h * w


@dataclass
class Timing:
    """One configuration's run. Times in ms unless named ``_s``."""

    name: str
    params: str
    engine: str
    setup_s: float
    first_frame_ms: float
    crop_ms: float
    network_ms: float
    post_ms: float
    step_ms: float
    extra: dict = field(default_factory=dict)

    @property
    def fps(self) -> float:
        return 1000.0 / self.step_ms


def _track(tracker, frames, box):
    """One pass: (first-frame seconds, per-step seconds, per-step (crop, network, post) seconds)."""
    start = time.perf_counter()
    tracker.init(frames[0], box)
    tracker.update(frames[1])
    first = time.perf_counter() - start
    steps, parts = [], []
    for frame in frames[2:]:
        start = time.perf_counter()
        tracker.update(frame)
        steps.append(time.perf_counter() - start)
        parts.append(getattr(tracker, "last_timings", (np.nan,) * 3))
    return first, steps, parts


def run_bench(configs: dict, frames, box, params: str = "3s", rounds: int = 3) -> list[Timing]:
    """Time each ``name -> tracker factory`` on the same frames; the first is the reference.

    Every tracker is built first (timed: setup), then the configurations take turns, ``rounds``
    passes each, so that a slow spell of a noisy machine hits them all alike. A configuration's
    step time is the median over rounds of its mean step; the first-frame latency is that of its
    very first pass (right after setup, as a user meets it).
    """
    trackers, setup = {}, {}
    for name, factory in configs.items():
        start = time.perf_counter()
        trackers[name] = factory()
        setup[name] = time.perf_counter() - start
    passes = {name: [] for name in configs}
    for _ in range(rounds):
        for name, tracker in trackers.items():
            passes[name].append(_track(tracker, frames, box))
    timings = []
    for name, runs in passes.items():
        parts = [p for _, _, run_parts in runs for p in run_parts]
        crop, net, post = (1000 * np.median(parts, axis=0)).tolist()
        step = 1000 * float(np.median([np.mean(steps) for _, steps, _ in runs]))
        engine = getattr(getattr(trackers[name], "engine", None), "describe", lambda: "-")()
        timings.append(Timing(name, params, engine, setup[name], 1000 * runs[0][0], crop, net, post, step))
    return timings


def rows_for(timings: list[Timing], flops: float, rates: dict) -> list[dict]:
    """Table rows: the timings, speed-up over the first (the reference), GFLOP/s and the fraction of
    the reference rate of the engine's precision."""
    rows = []
    for t in timings:
        row = {
            "config": t.name,
            "params": t.params,
            "engine": t.engine,
            "fps": t.fps,
            "step_ms": t.step_ms,
            "crop_ms": t.crop_ms,
            "network_ms": t.network_ms,
            "post_ms": t.post_ms,
            "setup_s": t.setup_s,
            "first_frame_ms": t.first_frame_ms,
            "speedup": timings[0].step_ms / t.step_ms,
            **t.extra,
        }
        if np.isfinite(t.network_ms) and t.network_ms > 0:
            precision = next((p for p in ("int8", "bf16") if p in t.engine), "fp32")
            row["gflops"] = flops / (t.network_ms / 1000) / 1e9
            row["rate_fraction"] = row["gflops"] / rates[precision]
        rows.append(row)
    return rows


def format_table(rows: list[dict]) -> str:
    def num(row, key, fmt):
        v = row.get(key)
        return fmt.format(v) if v is not None and np.isfinite(v) else "-"

    lines = [
        "| config | engine | fps | step ms | crop | network | post | GFLOP/s | of ref. rate | setup s | 1st frame ms | × ref |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['config']} | {r['engine']} | {r['fps']:.1f} | {r['step_ms']:.1f} | {num(r, 'crop_ms', '{:.1f}')} | "
            f"{num(r, 'network_ms', '{:.1f}')} | {num(r, 'post_ms', '{:.2f}')} | {num(r, 'gflops', '{:.0f}')} | "
            f"{num(r, 'rate_fraction', '{:.0%}')} | {r['setup_s']:.2f} | {r['first_frame_ms']:.0f} | {r['speedup']:.2f} |"
        )
    return "\n".join(lines)


def machine_line() -> str:
    from siamfc.runtime.select import cpu_has_bf16, cpu_has_int8, cpu_model

    isa = torch.backends.cpu.get_cpu_capability()
    extras = (" + bf16" if cpu_has_bf16() else "") + (" + VNNI" if cpu_has_int8() else "")
    return (
        f"{cpu_model()}, {os.cpu_count()} logical cores, {isa}{extras}, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads)"
    )


def autotune_note(backend: str, threads: int | None = None) -> tuple[str, dict | None]:
    """What ``precision auto`` has cached for ``backend`` on this machine (the ranking it builds the
    winner of, :func:`siamfc.runtime.select.fastest`), and how to measure it again: a line and the entry."""
    from siamfc.runtime.select import autotune_entry

    path, key, entry = autotune_entry(backend, threads)
    if entry is None:
        return f"auto on {backend}: no ranking cached for {key} (a single candidate is not measured)", None
    ranked = ", ".join(f"{p} {ms:.1f} ms" for p, ms in sorted(entry["ms"].items(), key=lambda item: item[1]))
    line = (
        f"auto on {backend} uses the ranking cached for {key}: {ranked} ({entry.get('what', 'ms a step')}, "
        f"measured {entry.get('measured', '?')}); measure it again: siamfc bench --retune (or delete {path})"
    )
    return line, dict(entry, key=key, file=str(path))


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory of this process in MiB: now (``VmRSS``) or its peak (``VmHWM``); Linux, NaN elsewhere.

    (Not ``getrusage``'s ``ru_maxrss``: that survives ``exec`` and would count the parent's peak.)
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return float("nan")


def memory_probe(backend: str, precision: str, params: str, size: tuple[int, int], frames: int = 30) -> dict:
    """In *this* process (meant to be a fresh one): RSS before and after building a tracker and tracking."""
    from siamfc.tracking import SiamFCTracker

    video, box = demo_frames(frames, size)
    before = rss_mb()
    start = time.perf_counter()
    tracker = SiamFCTracker(backend=backend, precision=precision, params=params)
    setup = time.perf_counter() - start
    tracker.init(video[0], box)
    for frame in video[1:]:
        tracker.update(frame)
    after = rss_mb()
    peak = rss_mb("VmHWM")
    return {
        "engine": tracker.engine.describe(),
        "rss_before_mb": before,
        "rss_after_mb": after,
        "tracker_mb": after - before,
        "peak_rss_mb": peak,
        "setup_s": setup,
    }


def measure_memory(backend: str, precision: str, params: str = "3s", size=(640, 360), cold: bool = False) -> dict:
    """:func:`memory_probe` in a fresh Python process, so nothing else this process holds is counted.

    ``cold``: with an empty export cache, so ``setup_s`` includes exporting and compiling (what a
    first run on a new machine costs). Also reports the seconds ``import siamfc`` took there.
    """
    code = (
        "import json, time; t = time.perf_counter(); import siamfc.apps.bench as b; t = time.perf_counter() - t; "
        f"r = b.memory_probe({backend!r}, {precision!r}, {params!r}, {tuple(size)!r}); r['import_s'] = t; "
        "print(json.dumps(r))"
    )
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="siamfc-cold-cache-") as empty:
        if cold:
            env["SIAMFC_CACHE"] = empty
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env)
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def video_throughput(path, make_tracker, box=None, limit: int | None = None) -> dict:
    """End-to-end fps on a video file, decoding included: a plain loop vs. decoding in a background thread
    (and, for scale, how fast the file decodes alone)."""
    from siamfc.io.video import Prefetch, open_video

    start = time.perf_counter()
    decoded = sum(1 for i, _ in zip(range(limit or 10**9), open_video(path)))
    out = {"decode_only": {"frames": decoded, "fps": decoded / (time.perf_counter() - start)}}
    for mode in ("inline", "prefetch"):
        source = open_video(path)
        tracker = make_tracker()
        frames = Prefetch(source) if mode == "prefetch" else iter(source)
        n, tracker_s = 0, 0.0
        start = time.perf_counter()
        for frame in frames:
            t0 = time.perf_counter()
            if n == 0:
                h, w = frame.shape[:2]
                tracker.init(frame, box or (w * 3 / 8, h * 3 / 8, w / 4, h / 4))
            else:
                tracker.update(frame)
            tracker_s += time.perf_counter() - t0
            n += 1
            if limit and n >= limit:
                break
        if hasattr(frames, "close"):
            frames.close()
        source.close()
        total = time.perf_counter() - start
        out[mode] = {"frames": n, "fps": n / total, "tracker_fps": n / tracker_s}
    return out


def run_command(
    *,
    size: str = "640x360",
    params=("3s", "5s"),
    frames: int = 40,
    rounds: int = 3,
    configs=None,
    weights=None,
    threads: int | None = None,
    peers: bool = False,
    video=None,
    box=None,
    memory: bool = False,
    retune: bool = False,
    json_out=None,
    overrides: dict | None = None,
) -> dict:
    """What ``siamfc bench`` does (see its ``--help``): time every configuration this machine can
    run, print the tables, and return (and with ``json_out`` write, atomically) every number,
    with its provenance (command, version, weights and their SHA-256) under ``made_by``."""
    from siamfc.io.files import write_text_atomic
    from siamfc.model.weights import load_weights
    from siamfc.runtime import TorchEngine
    from siamfc.runtime.select import forget_autotune, int8_export, unavailable
    from siamfc.tracking import SiamFCTracker, get_params
    from siamfc.tracking.tracker import card_resampling
    from siamfc.utils.provenance import made_by

    if threads:
        torch.set_num_threads(threads)
    if frames < 5 or rounds < 1:
        raise ConfigError("--frames must be at least 5 and --rounds at least 1")
    size = parse_size(size)
    model = load_weights(weights)
    if retune:
        print(f"retune: deleted {forget_autotune()}; auto measures its candidates again")

    resampling = card_resampling(weights)  # every configuration, the reference too, crops alike
    names = configs or list(CONFIGS)
    # "auto" always runs (it falls back); the others need their package, compiler, bf16 / int8 CPU,
    # and int8 an int8 graph calibrated for these weights.
    reasons = {n: unavailable(*CONFIGS[n]) for n in names if n != "auto"}
    if "openvino int8" in reasons and not reasons["openvino int8"]:
        found, why = int8_export(model, weights)
        reasons["openvino int8"] = None if found else why
    runnable = {n: CONFIGS[n] for n in names if not reasons.get(n)}
    skipped = sorted(n for n, why in reasons.items() if why)
    decoded, first_box = demo_frames(frames, size)
    rates = {
        "fp32": reference_rate(torch.float32),
        "bf16": reference_rate(torch.bfloat16),
        "int8": reference_rate(torch.int8),
    }
    print(f"machine: {machine_line()}")
    print(
        f"frames: {len(decoded)} of {size[0]}x{size[1]} (bundled Crossing, resized), {rounds} rounds, "
        f"{resampling} crops; reference rates (PyTorch GEMM, not bounds): "
        f"fp32 {rates['fp32']:.0f} GFLOP/s, bf16 {rates['bf16']:.0f} GFLOP/s, int8 {rates['int8']:.0f} GOP/s"
    )
    for name in skipped:
        print(f"skipped {name}: {reasons[name]}")
    report = {
        "made_by": made_by(weights),
        "machine": machine_line(),
        "size": list(size),
        "frames": len(decoded),
        "rounds": rounds,
        "resampling": resampling,
        "reference_rates_gflops": rates,
        "skipped": skipped,
        "skipped_why": {n: reasons[n] for n in skipped},
        "results": {},
    }
    for ps in params:
        variants = {
            "reference (torch fp32 eager, channels-first)": lambda ps=ps: SiamFCTracker(
                engine=TorchEngine(model, "fp32", channels_last=False, fuse=False),
                params=ps,
                pick_scale_on_raw=False,
                resampling=resampling,
                **(overrides or {}),
            )
        }
        for name, (backend, precision) in runnable.items():
            variants[name] = lambda b=backend, p=precision, ps=ps: SiamFCTracker(
                model=model,
                weights=weights,
                params=ps,
                backend=b,
                precision=p,
                threads=threads,
                resampling=resampling,
                **(overrides or {}),
            )
        if peers:
            from siamfc.evaluation.trackers import OpenCVTracker

            variants["opencv csrt"] = lambda: OpenCVTracker("csrt")
            variants["opencv kcf"] = lambda: OpenCVTracker("kcf")
        num_scales = get_params(ps, **(overrides or {})).num_scales
        flops = step_flops(model, num_scales)
        rows = rows_for(run_bench(variants, decoded, first_box, ps, rounds=rounds), flops, rates)
        report["results"][ps] = {"step_gflop": flops / 1e9, "rows": rows}
        print(
            f"\nSiamFC-{ps}: {num_scales} scales, {flops / 1e9:.1f} GFLOP per step "
            f"(the network alone, at the reference rates: fp32 {rates['fp32'] / (flops / 1e9):.0f} fps, "
            f"bf16 {rates['bf16'] / (flops / 1e9):.0f} fps, int8 {rates['int8'] / (flops / 1e9):.0f} fps)"
        )
        print(format_table(rows))
    auto_row = next((r for rows in report["results"].values() for r in rows["rows"] if r["config"] == "auto"), None)
    if auto_row is not None:
        line, report["autotune"] = autotune_note(auto_row["engine"].split()[0], threads)
        print(line)
    if memory:
        report["memory"] = {name: measure_memory(*CONFIGS[name], size=size) for name in ("auto", "torch fp32")}
        report["memory"]["auto, empty cache"] = measure_memory(*CONFIGS["auto"], size=size, cold=True)
        for name, m in report["memory"].items():
            line = m.get("error") or (
                f"{m['engine']}: tracker {m['tracker_mb']:.0f} MiB resident "
                f"(process {m['rss_after_mb']:.0f} MiB, peak {m['peak_rss_mb']:.0f} MiB); "
                f"built in {m['setup_s']:.2f} s after a {m['import_s']:.2f} s import"
            )
            print(f"fresh process, {name}: {line}")
    if video:
        from siamfc.apps.track_video import parse_box

        video_box = parse_box(box) if box else None
        report["video"] = video_throughput(
            video, lambda: SiamFCTracker(model=model, weights=weights, threads=threads), video_box
        )
        v = report["video"]
        print(
            f"video {video}: {v['inline']['fps']:.1f} fps decoding inline, {v['prefetch']['fps']:.1f} fps "
            f"decoding in a background thread (tracker alone: {v['prefetch']['tracker_fps']:.1f} fps; "
            f"decoding alone: {v['decode_only']['fps']:.0f} fps)"
        )
    if json_out:
        write_text_atomic(json_out, json.dumps(report, indent=2) + "\n")
        print(f"wrote {json_out}")
    return report
