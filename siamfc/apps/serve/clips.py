"""Clips the page can track: uploads (streamed to disk, recognised by content, limited, probed) and the bundled sequence.

Nothing here blocks the event loop: an upload's bytes are written, and the upload probed, in
worker threads, so a slow disk or a slow decoder does not hold up the other connections (a
running job's event stream among them).
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import cv2

from siamfc.apps.serve import MAX_FRAMES, MAX_PIXELS, MAX_UPLOAD_MB, MAX_UPLOADS
from siamfc.apps.serve.formats import HEAD_BYTES, UploadFormat, recognise, refusal
from siamfc.errors import DataError, SiamFCError
from siamfc.io.frames import read_image
from siamfc.io.video import FrameSource, FramesTooLarge, open_source, open_video

log = logging.getLogger(__name__)

#: How much of a refused upload is still read (and dropped) so the client sees the message.
DRAIN_BYTES = 64 * 2**20
#: Bytes gathered before each write to disk (one worker-thread call per write).
WRITE_BYTES = 2**20
#: Seconds an upload may send nothing before it is dropped (a stalled client holds an upload slot).
IDLE_SECONDS = 60.0
#: What a request for a clip that was dropped (for newer uploads) is told.
GONE = "that clip is no longer on the server (uploads are kept a short while): upload it again"
#: Longest clip name kept (what the page shows and messages quote).
NAME_CHARS = 100
#: Longest file-name stem made from a clip name (the result files' names).
STEM_CHARS = 60


async def _until_idle(chunks, seconds: float):
    """``chunks`` (an async iterable), ended by a DataError once none has come for ``seconds``."""
    iterator = chunks.__aiter__()
    while True:
        try:
            with anyio.fail_after(seconds):
                chunk = await iterator.__anext__()
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise DataError(f"the upload stalled: nothing came for {seconds:g} s") from None
        yield chunk


async def _drain(chunks, limit: int) -> None:
    read = 0
    async for chunk in chunks:
        read += len(chunk)
        if read > limit:
            return


class UploadTooLarge(SiamFCError):
    """An upload over the server's size limit (413)."""


class UnsupportedUpload(DataError):
    """An upload whose content is none of the accepted formats (415)."""


class TooManyUploads(SiamFCError):
    """More uploads at once than the server takes (503)."""


@dataclass(frozen=True)
class UploadLimits:
    """What the server takes: bytes per upload, pixels per frame (W x H), frames per clip, uploads at once."""

    max_bytes: int = MAX_UPLOAD_MB * 2**20
    max_pixels: int = MAX_PIXELS
    max_frames: int = MAX_FRAMES
    max_uploads: int = MAX_UPLOADS


def clean_name(raw: str) -> str:
    """A client's file name made fit to show and quote: its last path component, without control
    characters, at most ``NAME_CHARS`` characters. It never names a file (see :func:`file_stem`)."""
    name = re.split(r"[/\\]", raw)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    if len(name) > NAME_CHARS:
        suffix = Path(name).suffix[:10]
        name = name[: NAME_CHARS - len(suffix) - 3] + "..." + suffix
    return name or "upload"


def file_stem(name: str) -> str:
    """The stem of ``name`` reduced to ASCII letters, digits, ``-`` and ``_``: safe in any file system."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(name).stem).strip("_")
    return stem[:STEM_CHARS] or "clip"


@dataclass
class Clip:
    """A clip the page can track: an upload of format ``fmt`` at ``source``, or (``fmt`` None) the bundled frames."""

    id: str
    name: str
    source: Path
    width: int
    height: int
    frames: int | None
    fps: float | None
    first_jpeg: bytes = field(repr=False)
    uploaded: bool = True  # an upload (deleted when dropped), not the bundled sequence
    box: list[float] | None = None  # a suggested first box (the bundled sequence's ground truth)
    fmt: UploadFormat | None = None
    max_frames: int | None = None

    @property
    def stem(self) -> str:
        return file_stem(self.name)

    def describe(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "width": self.width,
            "height": self.height,
            "frames": self.frames,
            "fps": self.fps,
            "first_frame": f"/api/clips/{self.id}/first.jpg",
            "box": self.box,
        }

    def open(self) -> FrameSource:
        """Its frames, as at upload: the same demuxer; a frame of another size, or frames past
        ``max_frames`` (a container that understated its length), end it with a DataError."""
        if self.fmt is None:
            return open_source(self.source)
        try:
            if self.fmt.still:
                return FrameSource(self.name, iter([read_image(self.source)]), 1, None)
            video = open_video(self.source, demuxer=self.fmt.demuxer, max_pixels=self.width * self.height)
        except (FileNotFoundError, DataError):
            if not self.source.exists():  # dropped for newer uploads since the page was given it
                raise DataError(GONE) from None
            raise
        return FrameSource(self.name, self._checked(video), video.length, video.fps, video.close)

    def _checked(self, frames):
        for index, frame in enumerate(frames):
            if frame.shape[:2] != (self.height, self.width):
                raise DataError(
                    f"frame {index + 1} of {self.name!r} is {frame.shape[1]} x {frame.shape[0]} pixels, "
                    f"not {self.width} x {self.height} like the first"
                )
            if self.max_frames is not None and index >= self.max_frames:
                raise DataError(f"{self.name!r} has more than {self.max_frames} frames, this server's limit")
            yield frame


def _first_frame(frames: FrameSource):
    iterator = iter(frames)
    try:
        return next(iterator, None)
    finally:
        iterator.close()  # stop the decoder: only the first frame is needed here


def _clip(source: Path, name: str, first, frames: int | None, fps: float | None, **fields) -> Clip:
    ok, jpeg = cv2.imencode(".jpg", first, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return Clip(
        uuid.uuid4().hex[:12], name, source, first.shape[1], first.shape[0], frames, fps, jpeg.tobytes(), **fields
    )


def probe_upload(path: Path, name: str, fmt: UploadFormat, limits: UploadLimits) -> Clip:
    """Open the upload at ``path`` as ``fmt`` and read its first frame, within ``limits``; else a DataError
    saying why. Blocking: run it in a worker thread."""
    try:
        return _probe_upload(path, name, fmt, limits)
    except SiamFCError:
        raise
    except Exception:  # noqa: BLE001 - a decoder failing in its own way on a hostile file: one line for the client
        log.warning("probing upload %s (%s) failed", path.name, fmt.name, exc_info=True)
        raise DataError(f"{name!r} looks like {fmt.name} but cannot be decoded (corrupt)") from None


def _probe_upload(path: Path, name: str, fmt: UploadFormat, limits: UploadLimits) -> Clip:
    too_large = f"{name!r} has frames of {{}} x {{}} pixels, over this server's limit of {limits.max_pixels} pixels"
    cannot = f"{name!r} looks like {fmt.name} but cannot be decoded (truncated, corrupt, or a codec this server lacks)"
    if fmt.still:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path, formats=[fmt.name]) as image:  # reads the header only
                width, height = image.size
        except Image.DecompressionBombError:  # Pillow's own limit, far above ours
            raise DataError(f"{name!r} has more pixels than this server's limit of {limits.max_pixels}") from None
        except (UnidentifiedImageError, OSError):
            raise DataError(cannot) from None
        if width * height > limits.max_pixels:
            raise DataError(too_large.format(width, height))
        try:
            first = read_image(path)
        except DataError:
            raise DataError(cannot) from None
        return _clip(path, name, first, 1, None, fmt=fmt, max_frames=1)
    try:
        video = open_video(path, demuxer=fmt.demuxer, max_pixels=limits.max_pixels)
    except FramesTooLarge as exc:
        raise DataError(too_large.format(exc.width, exc.height)) from None
    except DataError:
        raise DataError(cannot) from None
    if video.length is not None and video.length > limits.max_frames:
        video.close()
        duration = f" ({video.length / video.fps:.0f} s at {video.fps:g} fps)" if video.fps else ""
        raise DataError(
            f"{name!r} has {video.length} frames{duration}, over this server's limit of {limits.max_frames}"
        )
    first = _first_frame(video)
    if first is None:
        raise DataError(cannot)
    if first.shape[0] * first.shape[1] > limits.max_pixels:  # the container did not say its frame size
        raise DataError(too_large.format(first.shape[1], first.shape[0]))
    return _clip(path, name, first, video.length, video.fps, fmt=fmt, max_frames=limits.max_frames)


class ClipStore:
    """The uploads under ``folder`` (the ``keep`` newest; older ones are deleted) and the bundled clip.

    Uploads are written to disk as they arrive, never held in memory, refused past
    ``limits.max_bytes``, refused unless their first bytes are an accepted format, and saved
    under a name of the server's making with that format's extension.
    """

    def __init__(self, folder: Path, limits: UploadLimits | None = None, keep: int = 4) -> None:
        self.folder, self.limits, self.keep = Path(folder), limits or UploadLimits(), keep
        self.folder.mkdir(parents=True, exist_ok=True)
        self._clips: dict[str, Clip] = {}
        self._lock = threading.Lock()  # the bundled clip is added from a worker thread
        self._receiving = 0  # uploads under way (counted on the event loop: no lock)
        self.idle_seconds = IDLE_SECONDS

    @property
    def max_bytes(self) -> int:
        return self.limits.max_bytes

    def too_large(self, size: int) -> UploadTooLarge:
        return UploadTooLarge(
            f"the upload is larger than this server's limit of {self.max_bytes / 2**20:.0f} MB "
            f"({size / 2**20:.1f} MB or more); trim the clip or start siamfc serve --max-upload-mb"
        )

    async def receive(self, name: str, chunks, declared: int | None = None) -> Clip:
        """Write an upload's ``chunks`` (an async iterable of bytes) to disk and probe it.

        A refused upload (too large, too many at once, not an accepted format) is read on, and
        dropped, up to ``DRAIN_BYTES`` more, so that the client gets the message rather than a
        connection reset (a server that stops reading while the client still sends makes the
        kernel reset the connection); past that it is cut.
        """
        name = clean_name(name)
        chunks = _until_idle(chunks, self.idle_seconds)
        if declared is not None and declared > self.max_bytes:
            if declared <= self.max_bytes + DRAIN_BYTES:
                await _drain(chunks, DRAIN_BYTES + self.max_bytes)
            raise self.too_large(declared)
        if self._receiving >= self.limits.max_uploads:
            await _drain(chunks, min(declared or DRAIN_BYTES, DRAIN_BYTES))
            raise TooManyUploads(
                f"this server is already receiving {self.limits.max_uploads} uploads; try again in a moment"
            )
        self._receiving += 1
        try:
            clip = await self._receive(name, chunks)
        finally:
            self._receiving -= 1
        self._add(clip)
        return clip

    async def _receive(self, name: str, chunks) -> Clip:
        pending, size, fmt, path, out = bytearray(), 0, None, None, None
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > self.max_bytes:
                    await _drain(chunks, DRAIN_BYTES)
                    raise self.too_large(size)
                pending += chunk
                if fmt is None and len(pending) >= HEAD_BYTES:
                    fmt, path, out = await self._start_file(name, bytes(pending[:HEAD_BYTES]), chunks)
                if out is not None and len(pending) >= WRITE_BYTES:
                    pending, data = bytearray(), pending
                    await anyio.to_thread.run_sync(out.write, data)
            if size == 0:
                raise DataError(f"{name!r} is empty: choose a video file")
            if fmt is None:  # shorter than HEAD_BYTES
                fmt, path, out = await self._start_file(name, bytes(pending), chunks)
            await anyio.to_thread.run_sync(_write_and_close, out, pending)
            out = None
            return await anyio.to_thread.run_sync(probe_upload, path, name, fmt, self.limits)
        except BaseException:
            if out is not None:
                out.close()
            if path is not None:
                path.unlink(missing_ok=True)
            raise

    async def _start_file(self, name: str, head: bytes, chunks):
        """The format of an upload starting with ``head``, and the file to write it to; refused if none."""
        fmt = recognise(head)
        if fmt is None:
            await _drain(chunks, self.max_bytes)
            raise UnsupportedUpload(refusal(name, head))
        path = self.folder / f"{uuid.uuid4().hex[:12]}{fmt.suffix}"
        return fmt, path, await anyio.to_thread.run_sync(open, path, "xb")

    def add_bundled(self) -> Clip:
        """The bundled sequence (OTB Crossing, a folder of frames), registered once, with its first box."""
        from siamfc.apps.demo import DEMO_FPS, demo_sequence

        with self._lock:
            for clip in self._clips.values():
                if not clip.uploaded:
                    return clip
            seq = demo_sequence()
            folder = Path(seq.frames[0]).parent
            frames = open_source(folder)
            clip = _clip(folder, seq.name, _first_frame(frames), frames.length, DEMO_FPS, uploaded=False)
            clip.box = [round(float(v), 4) for v in seq.boxes[0]]
            self._clips[clip.id] = clip
            return clip

    def get(self, clip_id: str) -> Clip:
        with self._lock:
            clip = self._clips.get(clip_id)
        if clip is None:
            raise DataError(GONE)
        return clip

    def _add(self, clip: Clip) -> None:
        with self._lock:
            self._clips[clip.id] = clip
            uploads = [c for c in self._clips.values() if c.uploaded]
            dropped = uploads[: -self.keep]
            for old in dropped:
                del self._clips[old.id]
        for old in dropped:  # a job that opened one goes on reading it (the file lives until it is closed)
            old.source.unlink(missing_ok=True)

    def close(self) -> None:
        """Forget every clip and delete the uploads folder (the server is shutting down)."""
        with self._lock:
            self._clips.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


def _write_and_close(out, data: bytes) -> None:
    try:
        out.write(data)
    finally:
        out.close()
