"""Frames in from anything a user points at (video file, folder, glob, camera); annotated video out.

    source = open_source("clip.mp4")          # or "frames/", "frames/*.png", "0" (camera 0)
    for frame in source:                      # H x W x 3 uint8 BGR
        ...

Every failure a user can cause (missing path, empty folder, a file OpenCV cannot decode, a camera
that does not open) is a :class:`~siamfc.errors.DataError` naming the source.
"""

from __future__ import annotations

import glob
import os
import queue
import threading
from pathlib import Path

import cv2
import numpy as np

from siamfc.data.frame_files import IMAGE_EXTENSIONS, list_frames, natural_key
from siamfc.errors import DataError
from siamfc.io.files import AtomicFile
from siamfc.io.frames import read_image

#: Container -> FourCC of the annotated videos we write.
VIDEO_CODECS = {".mp4": "mp4v", ".avi": "MJPG", ".webm": "VP80"}  # webm (VP8): what browsers play


class FrameSource:
    """An iterable of BGR frames with what is known about them.

    Attributes:
        name: what the user gave (path, glob or ``camera N``).
        length: number of frames if known in advance (None for a camera; approximate for videos).
        fps: frame rate if the source has one (videos, cameras), else None.
    """

    def __init__(self, name: str, frames, length: int | None, fps: float | None, release=None) -> None:
        self.name, self.length, self.fps = name, length, fps
        self._frames, self._release = frames, release

    def __iter__(self):
        try:
            yield from self._frames
        finally:
            self.close()

    def close(self) -> None:
        if self._release is not None:
            self._release()
            self._release = None


class Prefetch:
    """Decode frames in a background thread, ``depth`` frames ahead of the consumer.

    OpenCV releases the GIL while it decodes, so reading the next frames overlaps with tracking
    the current one and the command's fps approaches the tracker's. Errors of the source are
    raised in the consumer, at the frame where they happened. Use as an iterable; ``close()``
    (or leaving a ``with`` block) stops the thread early.
    """

    _END = object()

    def __init__(self, frames, depth: int = 8) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(iter(frames),), name="siamfc-decode", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _read(self, frames) -> None:
        try:
            for frame in frames:
                if not self._put(frame):
                    break
            else:
                self._put(self._END)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            self._put(exc)
        finally:
            getattr(frames, "close", lambda: None)()

    def __iter__(self):
        try:
            while True:
                item = self._queue.get()
                if item is self._END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _image_files(paths, name: str) -> FrameSource:
    paths = list(paths)
    return FrameSource(name, (read_image(p) for p in paths), len(paths), None)


def _capture_frames(cap: cv2.VideoCapture, name: str):
    """Frames of an opened capture; the first one is read eagerly so a bad file fails at open time."""
    ok, first = cap.read()
    if not ok or first is None:
        cap.release()
        raise DataError(
            f"cannot read video {name}: OpenCV opened it but decoded no frame (corrupt, or a codec it lacks)"
        )

    def frames():
        frame = first
        while True:
            yield frame
            ok, frame = cap.read()
            if not ok or frame is None:
                return

    return frames()


class FramesTooLarge(DataError):
    """A video whose frames have more pixels than the caller allows (``width``, ``height``)."""

    def __init__(self, message: str, width: int, height: int) -> None:
        super().__init__(message)
        self.width, self.height = width, height


#: OpenCV reads FFmpeg's open options from this variable at every open ("key;value|key;value").
_CAPTURE_OPTIONS = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
#: What OpenCV uses when the variable is not set.
_OPENCV_DEFAULT_OPTIONS = "rtsp_transport;tcp"
_capture_options_lock = threading.Lock()


def _open_capture(path: str, demuxer: str | None) -> cv2.VideoCapture:
    """``cv2.VideoCapture(path)``; with ``demuxer`` (an FFmpeg format name such as ``"avi"``), that
    demuxer and no other, reading local files only.

    By default FFmpeg chooses the demuxer from the file's name and content, and some demuxers
    (HLS playlists, concat lists, SDP) open the other files or URLs the file names. OpenCV passes
    its options to FFmpeg only through an environment variable, read at each open: it is set for
    the open, under a lock, and put back. It is never removed (only replaced, which other
    threads reading the environment can race with safely; adding and removing variables cannot).
    """
    if demuxer is None:
        return cv2.VideoCapture(path)
    # input_format: no probing; format_whitelist: nothing a nested open might try either;
    # protocol_whitelist: every open is of a local file.
    options = f"input_format;{demuxer}|format_whitelist;{demuxer}|protocol_whitelist;file"
    with _capture_options_lock:
        previous = os.environ.get(_CAPTURE_OPTIONS, _OPENCV_DEFAULT_OPTIONS)
        os.environ[_CAPTURE_OPTIONS] = options
        try:
            return cv2.VideoCapture(path, cv2.CAP_FFMPEG)
        finally:
            os.environ[_CAPTURE_OPTIONS] = previous


def open_video(path, demuxer: str | None = None, max_pixels: int | None = None) -> FrameSource:
    """A video file (anything OpenCV's FFmpeg backend decodes).

    ``demuxer``: open it with that FFmpeg demuxer only (``"avi"``, ``"mov"``, ``"matroska"``), for
    files from someone else whose format was recognised by content (see :func:`_open_capture`).
    ``max_pixels``: refuse (FramesTooLarge), before decoding any, frames of more pixels (W x H) than that.
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise DataError(f"video file is empty: {path}")
    cap = _open_capture(str(path), demuxer)
    if not cap.isOpened():
        raise DataError(f"cannot read video {path}: not a video, or a format OpenCV cannot decode")
    width, height = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
    if max_pixels is not None and width * height > max_pixels:
        cap.release()
        raise FramesTooLarge(
            f"the frames of {path} are {width} x {height} pixels, over the limit of {max_pixels}", width, height
        )
    frames = _capture_frames(cap, str(path))
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0) or None
    return FrameSource(str(path), frames, count if count > 0 else None, fps, cap.release)


def open_camera(index: int) -> FrameSource:
    cap = cv2.VideoCapture(index)
    if not cap.isOpened():
        raise DataError(f"cannot open camera {index} (no such device, or it is busy)")
    frames = _capture_frames(cap, f"camera {index}")
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0) or None
    return FrameSource(f"camera {index}", frames, None, fps, cap.release)


def open_source(source) -> FrameSource:
    """Open ``source``: a camera index (``0`` or ``"0"``), a folder of images, a glob, or a video file.

    Folders and globs are read in natural order (``2.jpg`` before ``10.jpg``).
    """
    text = str(source)
    if isinstance(source, int) or text.isdigit():
        return open_camera(int(text))
    path = Path(text)
    if path.is_dir():
        return _image_files(list_frames(path), text)
    if path.is_file():
        if path.suffix.lower() in IMAGE_EXTENSIONS:
            raise DataError(
                f"{text} is a single image; give a video, a folder of frames or a glob such as 'frames/*.jpg'"
            )
        return open_video(path)
    if glob.has_magic(text):
        paths = sorted((p for p in glob.glob(text) if p.lower().endswith(IMAGE_EXTENSIONS)), key=natural_key)
        if not paths:
            raise DataError(f"no image files ({', '.join(IMAGE_EXTENSIONS)}) match {text!r}")
        return _image_files(paths, text)
    raise DataError(f"source not found: {text} (expected a video file, a folder of frames, a glob or a camera index)")


def check_video_path(path) -> Path:
    """``path`` if we can write a video there (by its extension), else DataError."""
    path = Path(path)
    if path.suffix.lower() not in VIDEO_CODECS:
        raise DataError(f"cannot write {path}: use a .mp4, .avi or .webm file name")
    return path


class VideoWriter:
    """Write BGR frames to ``.mp4`` (MPEG-4 part 2), ``.avi`` (MJPEG) or ``.webm`` (VP8); the file appears complete or not at all."""

    def __init__(self, path, fps: float | None, frame_size: tuple[int, int]) -> None:
        self.path = check_video_path(path)
        ext = self.path.suffix.lower()
        # The temporary file keeps the extension: OpenCV picks the container from it.
        self._file = AtomicFile(self.path)
        self._writer = cv2.VideoWriter(
            str(self._file.tmp),
            cv2.VideoWriter_fourcc(*VIDEO_CODECS[ext]),  # type: ignore[attr-defined]  # not in OpenCV's stubs
            fps or 30.0,
            tuple(int(v) for v in frame_size),
        )
        if not self._writer.isOpened():
            self._file.discard()
            raise DataError(f"cannot write video {self.path} (OpenCV has no encoder for {ext} here)")
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        self._writer.write(frame)
        self.frames += 1

    def close(self) -> Path:
        self._writer.release()
        return self._file.commit()


def draw_box(frame: np.ndarray, box, color=(0, 255, 255), label: str | None = None, thickness: int = 2) -> np.ndarray:
    """A copy of ``frame`` with ``box = (x, y, w, h)`` (0-based, floats) drawn, and an optional label."""
    out = frame.copy()
    x, y, w, h = (float(v) for v in box)
    if all(np.isfinite((x, y, w, h))):
        # The box covers pixel centres x .. x + w - 1.
        p1 = (int(round(x)), int(round(y)))
        p2 = (int(round(x + w - 1)), int(round(y + h - 1)))
        cv2.rectangle(out, p1, p2, color, thickness)
    if label:
        cv2.putText(out, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(out, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return out
