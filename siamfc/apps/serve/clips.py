"""Clips the page can track: uploads (streamed to disk, size-limited, checked) and the bundled sequence."""

from __future__ import annotations

import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import cv2

from siamfc.errors import DataError, SiamFCError
from siamfc.io.video import open_source

#: How much of an upload over the limit is still read (and dropped) so the client sees the message.
DRAIN_BYTES = 64 * 2**20


async def _drain(chunks, limit: int) -> None:
    read = 0
    async for chunk in chunks:
        read += len(chunk)
        if read > limit:
            return


class UploadTooLarge(SiamFCError):
    """An upload over the server's size limit."""


@dataclass
class Clip:
    """A video the page can track: ``source`` is what :func:`~siamfc.io.video.open_source` opens."""

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


def probe(source: Path, name: str, fps: float | None = None, uploaded: bool = True) -> Clip:
    """Open ``source`` and read its first frame; DataError saying it is not a video if that fails."""
    try:
        frames = open_source(source)
        iterator = iter(frames)
        first = next(iterator, None)
        getattr(iterator, "close", lambda: None)()  # stop the decoder: only the first frame is needed here
    except DataError:
        first = None
    if first is None:
        raise DataError(f"{name!r} is not a video this server can read (give a video file such as .mp4, .avi or .webm)")
    ok, jpeg = cv2.imencode(".jpg", first, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return Clip(
        uuid.uuid4().hex[:12],
        name,
        source,
        first.shape[1],
        first.shape[0],
        frames.length,
        fps or frames.fps,
        jpeg.tobytes(),
        uploaded,
    )


class ClipStore:
    """The uploads under ``folder`` (the ``keep`` newest; older ones are deleted) and the bundled clip.

    Uploads are written to disk as they arrive, never held in memory, and refused past
    ``max_bytes``.
    """

    def __init__(self, folder: Path, max_bytes: int, keep: int = 4) -> None:
        self.folder, self.max_bytes, self.keep = Path(folder), int(max_bytes), keep
        self.folder.mkdir(parents=True, exist_ok=True)
        self._clips: dict[str, Clip] = {}

    def too_large(self, size: int) -> UploadTooLarge:
        return UploadTooLarge(
            f"the upload is larger than this server's limit of {self.max_bytes / 2**20:.0f} MB "
            f"({size / 2**20:.1f} MB or more); trim the clip or start siamfc serve --max-upload-mb"
        )

    async def receive(self, name: str, chunks, declared: int | None = None) -> Clip:
        """Write an upload's ``chunks`` (an async iterable of bytes) to disk and probe it.

        An upload over the limit is read on, and dropped, up to ``DRAIN_BYTES`` more, so that
        the client gets the message rather than a connection reset (a server that stops reading
        while the client still sends makes the kernel reset the connection); past that it is cut.
        """
        if declared is not None and declared > self.max_bytes:
            if declared <= self.max_bytes + DRAIN_BYTES:
                await _drain(chunks, DRAIN_BYTES + self.max_bytes)
            raise self.too_large(declared)
        suffix = Path(name).suffix.lower()  # kept (if plain): some decoders go by it
        suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ""
        path = self.folder / f"{uuid.uuid4().hex[:12]}{suffix}"
        size = 0
        try:
            with open(path, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        await _drain(chunks, DRAIN_BYTES)
                        raise self.too_large(size)
                    out.write(chunk)
            if size == 0:
                raise DataError(f"{name!r} is empty: choose a video file")
            clip = probe(path, name)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        self._add(clip)
        return clip

    def add_bundled(self) -> Clip:
        """The bundled sequence (OTB Crossing, a folder of frames), registered once, with its first box."""
        from siamfc.apps.demo import DEMO_FPS, demo_sequence

        for clip in self._clips.values():
            if not clip.uploaded:
                return clip
        seq = demo_sequence()
        clip = probe(Path(seq.frames[0]).parent, seq.name, fps=DEMO_FPS, uploaded=False)
        clip.box = [round(float(v), 4) for v in seq.boxes[0]]
        self._clips[clip.id] = clip
        return clip

    def get(self, clip_id: str) -> Clip:
        if clip_id not in self._clips:
            raise DataError("that clip is no longer on the server (uploads are kept a short while): upload it again")
        return self._clips[clip_id]

    def _add(self, clip: Clip) -> None:
        self._clips[clip.id] = clip
        uploads = [c for c in self._clips.values() if c.uploaded]
        for old in uploads[: -self.keep]:
            del self._clips[old.id]
            old.source.unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
