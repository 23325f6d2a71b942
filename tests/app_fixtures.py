"""Helpers for the browser-demo tests: a real server on localhost, a short clip, the tracker's own boxes."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

import cv2
import numpy as np

#: The server runs the network in fp32 on eager PyTorch: the reference below uses the same engine.
ENGINE = {"backend": "torch", "precision": "fp32"}
#: The first box of OTB Crossing (0-based), the target of every test clip.
CROSSING_BOX = (204, 150, 17, 50)


def write_clip(path: Path, n: int, size: tuple[int, int] | None = None) -> Path:
    """A video of the first ``n`` frames of the bundled Crossing sequence (cycled if longer), in the
    container and codec ``path``'s extension picks (.avi: MJPEG, .mp4: MPEG-4, .webm: VP8);
    ``size``: resized to ``(width, height)``."""
    from siamfc.apps.demo import demo_sequence
    from siamfc.io.video import VIDEO_CODECS

    seq = demo_sequence()
    first = seq.frame(0)
    size = size or (first.shape[1], first.shape[0])
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*VIDEO_CODECS[path.suffix]), 30, size)
    for i in range(n):
        frame = seq.frame(i % len(seq))
        writer.write(frame if frame.shape[1::-1] == size else cv2.resize(frame, size))
    writer.release()
    return path


def tracker_boxes(clip: Path, box, weights: str | None = None, params: str = "3s") -> np.ndarray:
    """What the tracker itself gives on ``clip`` from ``box``: ``(N, 4)`` 0-based boxes.

    ``weights``: a name from ``shipped_weights()``; None, the first (what the server picks by default).
    """
    from siamfc.apps.track_video import track_video
    from siamfc.io.video import open_source
    from siamfc.model.weights import shipped_weights
    from siamfc.tracking import SiamFCTracker

    shipped = shipped_weights()
    tracker = SiamFCTracker(weights=shipped[weights or next(iter(shipped))], params=params, **ENGINE)
    return track_video(tracker, open_source(clip), box, progress=False).boxes


@contextlib.contextmanager
def live_server(app):
    """Serve ``app`` with Uvicorn on a free localhost port, in a thread; yields the base URL."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    # As siamfc serve: connections still open a moment after the stop (a job's stream) are closed.
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
