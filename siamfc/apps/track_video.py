"""Track one object through a stream of frames: progress, annotated video, box file, live window.

Used by ``siamfc track`` and ``siamfc demo``. The box file (``--save``) has one line per frame,
``x,y,w,h``: 0-based pixel coordinates (pixel centres at integers, OpenCV's convention), decimals
as needed; the first line is the box the tracker was initialised with. With ``save_scores`` each
line goes on with ``,score,lost``: the peak score (``nan`` on the first line) and 1 where the score
was below the weights' lost threshold (:mod:`siamfc.tracking.lost`), else 0.
"""

from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from siamfc.apps.box_arg import parse_box  # noqa: F401 - re-exported: `siamfc bench --box` reads it from here
from siamfc.apps.debug_overlay import debug_frame
from siamfc.data.box_files import write_box_file
from siamfc.errors import DataError, InvalidBoxError, InvalidFrameError
from siamfc.io.video import VideoWriter, check_video_path, draw_box

WINDOW = "siamfc"


#: The OpenCV wheels on PyPI: all four install the same ``cv2`` folder, so two of them overwrite
#: each other's files; only the two without ``-headless`` can open windows.
OPENCV_WHEELS = ("opencv-python", "opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless")


def opencv_wheels() -> dict[str, str]:
    """The OpenCV wheels installed here, ``name -> version``."""
    from importlib import metadata

    found = {}
    for name in OPENCV_WHEELS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def gui_swap_command(installed: dict[str, str]) -> str:
    """The commands that replace the installed OpenCV wheels by the GUI build of the same version.

    Every installed wheel is removed first: uninstalling one of two wheels that share ``cv2``
    deletes files the other one needs.
    """
    version = installed.get("opencv-contrib-python-headless") or next(iter(installed.values()), None)
    pin = f"=={version}" if version else ""
    names = " ".join(sorted(installed)) or "opencv-contrib-python-headless"
    return f"pip uninstall -y {names} && pip install opencv-contrib-python{pin}"


def gui_problem() -> str | None:
    """Why OpenCV cannot open a window here, or None if it can."""
    import cv2

    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "no display (DISPLAY is not set)"
    gui = re.search(r"^\s*GUI:\s*(\S+)", cv2.getBuildInformation(), re.MULTILINE)
    if gui and gui.group(1).upper() == "NONE":
        return (
            "the OpenCV installed with siamfc is the headless build, which has no windows; to draw boxes in a "
            f"window, swap it for the GUI build: {gui_swap_command(opencv_wheels())}"
        )
    return None


def select_box(frame: np.ndarray) -> tuple[float, float, float, float]:
    """Let the user draw the first box (cv2.selectROI); DataError if they cancel."""
    import cv2

    x, y, w, h = cv2.selectROI(WINDOW, frame, showCrosshair=True, fromCenter=False)
    if w <= 0 or h <= 0:
        raise InvalidBoxError("no box was drawn (selection cancelled)")
    return float(x), float(y), float(w), float(h)


class AnnotatedOutput:
    """Where annotated frames go: a video file (opened on the first frame, at its size) and/or a live
    window. :meth:`put` returns True when the user asked to stop (``q`` or Esc in the window)."""

    def __init__(self, video_out=None, fps: float | None = None, show: bool = False) -> None:
        if video_out is not None:
            check_video_path(video_out)
        self.video_out, self.fps, self.show = video_out, fps, show
        self.writer = None

    @property
    def wanted(self) -> bool:
        return self.video_out is not None or self.show

    def put(self, annotated: np.ndarray) -> bool:
        if self.video_out is not None:
            if self.writer is None:
                self.writer = VideoWriter(self.video_out, self.fps, (annotated.shape[1], annotated.shape[0]))
            self.writer.write(annotated)
        return self.show and _show(annotated)

    def close(self) -> Path | None:
        """Finish the video (its path; None if none was written) and close the window."""
        if self.show:
            _close_windows()
        return self.writer.close() if self.writer is not None else None


@dataclass
class TrackRun:
    """What a run produced: ``boxes (N, 4)`` 0-based, ``scores (N,)`` (NaN for the first frame),
    ``lost (N,)`` bool (the tracker's ``lost`` after each frame; False without a lost threshold)."""

    boxes: np.ndarray
    scores: np.ndarray
    seconds: float  # wall clock, decoding and writing included
    tracker_seconds: float  # init + updates only
    video: Path | None = None
    boxes_file: Path | None = None
    lost: np.ndarray | None = None

    @property
    def fps(self) -> float:
        return len(self.boxes) / self.seconds if self.seconds > 0 else float("nan")

    @property
    def tracker_fps(self) -> float:
        return len(self.boxes) / self.tracker_seconds if self.tracker_seconds > 0 else float("nan")

    #: What the boxes file holds, in the summary line (a subclass names its format).
    boxes_format = ""

    def tracked(self) -> str:
        return f"{len(self.boxes)} frames"

    def summary(self) -> str:
        parts = [
            f"tracked {self.tracked()} in {self.seconds:.1f} s "
            f"({self.fps:.1f} fps overall, {self.tracker_fps:.1f} fps tracker)"
        ]
        if self.boxes_file:
            parts.append(f"boxes{self.boxes_format} -> {self.boxes_file}")
        if self.video:
            parts.append(f"video -> {self.video}")
        return "; ".join(parts)


def track_video(
    tracker,
    frames,
    box=None,
    *,
    total: int | None = None,
    fps: float | None = None,
    video_out=None,
    boxes_out=None,
    show: bool = False,
    progress: bool = True,
    desc: str = "tracking",
    debug: bool = False,
    on_frame=None,
    save_scores: bool = False,
) -> TrackRun:
    """Initialise ``tracker`` on the first frame with ``box`` (or one the user draws) and follow it.

    Args:
        tracker: anything with ``init(frame, box)`` and ``update(frame) -> (box, score)``.
        frames: iterable of ``H x W x 3`` uint8 BGR frames.
        box: ``(x, y, w, h)`` in 0-based pixels, or a :class:`~siamfc.apps.box_arg.BoxArg` (resolved on
            the first frame); None to draw it in a window (needs a display).
        total, fps: frame count (for the progress bar) and frame rate (for the video), if known.
        video_out: write the annotated frames here (``.mp4``, ``.avi`` or ``.webm``).
        boxes_out: write the boxes here, one ``x,y,w,h`` line per frame (0-based).
        save_scores: add ``,score,lost`` to each line of ``boxes_out`` (see the module doc).
        show: display the frames live (``q`` or Esc stops early).
        debug: draw what the tracker used beside each frame (:mod:`siamfc.apps.debug_overlay`); needs
            a :class:`~siamfc.tracking.SiamFCTracker`.
        on_frame: called after each frame as ``on_frame(index, box, score, annotated)``
            (``annotated``: the drawn frame); returning True stops the run there.

    The outputs are written even when the run is interrupted (Ctrl-C, ``q``, ``on_frame``), with
    the frames so far. Frames are not kept: memory does not grow with the video's length.
    """
    output = AnnotatedOutput(video_out, fps, show)
    frames, first = first_frame(frames)
    if box is None:
        box = select_box(first)
    elif hasattr(box, "resolve"):
        box = box.resolve(first.shape)
    # Initialise before the progress bar starts: a bad box or frame fails with its message alone.
    start = time.perf_counter()
    tracker.init(first, box)
    init_seconds = time.perf_counter() - start
    boxes, scores, lost = [tuple(float(v) for v in box)], [float("nan")], [False]

    def shown(frame) -> bool:
        annotated = None
        if output.wanted or on_frame is not None:
            label = f"#{len(boxes)}" + ("" if np.isnan(scores[-1]) else f"  score {scores[-1]:.2f}")
            label += "  LOST" if lost[-1] else ""
            annotated = draw_box(frame, boxes[-1], label=label)
            if debug:
                annotated = debug_frame(annotated, tracker if len(boxes) > 1 else None, scores)
            if output.put(annotated):
                return True
        return on_frame is not None and on_frame(len(boxes) - 1, boxes[-1], scores[-1], annotated)

    def step(frame) -> None:
        current, score = tracker.update(frame)
        boxes.append(tuple(float(v) for v in current))
        scores.append(float(score))
        lost.append(bool(getattr(tracker, "lost", False)))

    try:
        tracker_seconds = init_seconds + follow_frames(
            first, frames, step, shown, total=total, progress=progress, desc=desc
        )
    finally:
        video = output.close()
        rows = np.array(boxes)
        if save_scores:  # scores and lost flags as extra columns (write_box_file keeps 0-based rows as they are)
            rows = np.column_stack([rows, scores, np.array(lost, np.float64)])
        boxes_file = write_box_file(boxes_out, rows, one_based=False) if boxes_out is not None else None
    return TrackRun(
        np.array(boxes),
        np.array(scores),
        time.perf_counter() - start,
        tracker_seconds,
        video,
        boxes_file,
        np.array(lost),
    )


def first_frame(frames):
    """``(iterator over the rest, first frame)`` of ``frames``; a DataError if there is none."""
    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        raise DataError("the source gave no frames")
    return frames, first


def follow_frames(first, frames, step, shown, *, total=None, progress=True, desc="tracking") -> float:
    """The tracking loop of a run, with a progress bar: ``shown(frame)`` for ``first``, then for each
    of ``frames`` ``step(frame)`` (the tracking, timed) and ``shown(frame)``. Stops when ``shown``
    returns True, the frames run out or the user presses Ctrl-C; returns the seconds spent in
    ``step``. An InvalidFrameError from ``step`` is raised again naming the frame (1-based)."""
    bar = tqdm(total=total, unit="frame", desc=desc, disable=not progress, dynamic_ncols=True)
    seconds, done = 0.0, 1
    try:
        frame = first
        while True:
            stop = shown(frame)
            bar.update(1)
            if stop:
                break
            frame = next(frames, None)
            if frame is None:
                break
            t0 = time.perf_counter()
            try:
                step(frame)
            except InvalidFrameError as exc:  # say which frame (e.g. a folder of mixed sizes)
                raise InvalidFrameError(f"frame {done + 1} of the source: {exc}") from None
            seconds += time.perf_counter() - t0
            done += 1
    except KeyboardInterrupt:
        print(f"interrupted after {done} frames; writing what was tracked", file=sys.stderr)
    finally:
        bar.close()
    return seconds


def _show(frame) -> bool:
    """Display a frame; True if the user asked to stop."""
    import cv2

    cv2.imshow(WINDOW, frame)
    return (cv2.waitKey(1) & 0xFF) in (ord("q"), 27)


def _close_windows() -> None:
    import cv2

    cv2.destroyAllWindows()
