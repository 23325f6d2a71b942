"""What ``siamfc serve`` accepts as an upload, recognised by its first bytes, never by its name.

Only self-contained files: three video containers, each opened with its FFmpeg demuxer fixed
(:func:`siamfc.io.video.open_video`), and two still-image formats, decoded by OpenCV's own image
codecs (a one-frame clip). Everything else is refused, and by name the formats that make FFmpeg
open other files or URLs (an HLS playlist whose entry is ``file:///home/you/private.mp4`` would
otherwise hand that file to whoever uploaded the playlist).

    fmt = recognise(first_bytes)     # an UploadFormat, or None: refuse with refusal(name, first_bytes)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UploadFormat:
    """A format uploads may have: ``suffix``, the extension the upload is saved under;
    ``demuxer``, the FFmpeg demuxer it is opened with (None: a still image)."""

    name: str
    suffix: str
    demuxer: str | None

    @property
    def still(self) -> bool:
        return self.demuxer is None


MP4 = UploadFormat("MP4/MOV", ".mp4", "mov")
MATROSKA = UploadFormat("Matroska/WebM", ".mkv", "matroska")
AVI = UploadFormat("AVI", ".avi", "avi")
JPEG = UploadFormat("JPEG", ".jpg", None)
PNG = UploadFormat("PNG", ".png", None)
ACCEPTED = (MP4, MATROSKA, AVI, JPEG, PNG)

#: How many first bytes :func:`recognise` looks at.
HEAD_BYTES = 16

#: First bytes of formats that refer to other files or URLs (after any byte-order mark and blank space),
#: named in the refusal so the user knows why. They are refused whether listed here or not.
REFERRING = (
    (b"#EXTM3U", "an HLS playlist (.m3u8)"),
    (b"ffconcat", "an FFmpeg concat list"),
    (b"v=", "an SDP session description"),
    (b"<?xml", "an XML document (a DASH manifest or a playlist)"),
    (b"<MPD", "a DASH manifest"),
    (b"[playlist]", "a PLS playlist"),
    (b"#EXTINF", "an M3U playlist"),
    (b"file ", "a concat list"),
)


def recognise(head: bytes) -> UploadFormat | None:
    """The accepted format whose signature ``head`` (the file's first bytes) starts with, if any."""
    if head[4:8] == b"ftyp":  # ISO base media (MP4, MOV, 3GP, M4V): a file-type box first
        return MP4
    if head[:4] == b"\x1a\x45\xdf\xa3":  # EBML header: Matroska and WebM
        return MATROSKA
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return AVI
    if head[:3] == b"\xff\xd8\xff":
        return JPEG
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    return None


def accepted_formats() -> str:
    videos = ", ".join(f.name for f in ACCEPTED if not f.still)
    stills = " or ".join(f.name for f in ACCEPTED if f.still)
    return f"a video ({videos}) or a still image ({stills})"


def refusal(name: str, head: bytes) -> str:
    """One line saying why an upload whose first bytes are ``head`` is refused."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    what = next((label for magic, label in REFERRING if text.startswith(magic)), None)
    wanted = f"this server reads only self-contained files, recognised by their content: {accepted_formats()}"
    if what is not None:
        return f"{name!r} is {what}, which makes the decoder open other files or URLs: refused; {wanted}"
    return f"{name!r} is not a video this server accepts; {wanted}"
