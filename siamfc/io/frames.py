"""Frames in, frames checked: the one place that turns user images into H x W x 3 uint8 BGR."""

from __future__ import annotations

import os

import cv2
import numpy as np

from siamfc.errors import DataError, InvalidFrameError


def as_bgr(frame, rgb: bool = False) -> np.ndarray:
    """Return ``frame`` as a contiguous ``H x W x 3`` uint8 BGR array.

    Documented handling: grey frames (``H x W`` or ``H x W x 1``) are replicated to three
    channels; RGBA/BGRA frames lose their alpha; ``rgb=True`` means the input is RGB.
    Anything else (wrong dtype, empty, other channel counts) raises InvalidFrameError.
    """
    if not isinstance(frame, np.ndarray):
        raise InvalidFrameError(f"frame must be a numpy array, got {type(frame).__name__}")
    if frame.dtype != np.uint8:
        raise InvalidFrameError(f"frame must be uint8, got {frame.dtype}")
    if frame.ndim == 2:
        frame = frame[:, :, None]
    if frame.ndim != 3 or frame.shape[0] == 0 or frame.shape[1] == 0:
        raise InvalidFrameError(f"frame must be H x W x 3 (or grey H x W), got shape {frame.shape}")
    channels = frame.shape[2]
    if channels == 1:
        return np.ascontiguousarray(np.repeat(frame, 3, axis=2))
    if channels == 4:
        frame = frame[:, :, :3]
    elif channels != 3:
        raise InvalidFrameError(f"frame must have 1, 3 or 4 channels, got {channels}")
    if rgb:
        frame = frame[:, :, ::-1]
    return np.ascontiguousarray(frame)


def jpeg_is_truncated(data: bytes) -> bool:
    """True for a JPEG cut short inside its image data: a scan (after the last SOS marker,
    FF DA) with no end-of-image marker (FF D9) after it. Inside scan data a 0xFF byte is always
    stuffed (FF 00) or a restart marker (FF D0-D7), so FF D9 there can only be the real end.
    libjpeg decodes such a file anyway, greying out the missing rows, and only prints a warning.
    (A file cut before its first scan does not decode at all.)"""
    last_scan = data.rfind(b"\xff\xda")
    return last_scan >= 0 and data.find(b"\xff\xd9", last_scan + 2) < 0


def read_image(path) -> np.ndarray:
    """Read an image file as BGR uint8, with an error naming the file if it is missing or corrupt.

    Corrupt includes a JPEG cut short (a partial copy or download), which OpenCV would decode
    with its missing part grey: see :func:`jpeg_is_truncated`.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DataError(f"image file not found: {path}")
    if os.path.getsize(path) == 0:
        raise DataError(f"image file is empty: {path}")
    data = np.fromfile(path, dtype=np.uint8)
    if data[:2].tobytes() == b"\xff\xd8" and jpeg_is_truncated(data.tobytes()):
        raise DataError(f"truncated JPEG (no end-of-image marker after its last scan): {path}")
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise DataError(f"cannot decode image (corrupt or not an image): {path}")
    return image
