"""One tracking job at a time: run in a thread, report progress as events, stop when asked.

    runner = JobRunner(folder, engine_options)
    job = runner.start(JobSettings(clip, box, "default", "3s"))   # Busy if one is running
    event = job.next_event(timeout=0.5)    # {"type": "progress" | "done" | "error" | "cancelled" | "wait", ...}
    job.cancel.set()                       # the page went away: the job stops at the next frame

Frames are streamed from the clip through the tracker into the annotated video; nothing keeps
them. A finished job leaves its boxes (OTB text) and annotated video (``.webm``) on disk until
the next job starts.
"""

from __future__ import annotations

import base64
import gc
import logging
import queue
import shutil
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from siamfc.apps.serve.clips import Clip
from siamfc.data.box_files import write_box_file
from siamfc.errors import SiamFCError
from siamfc.io.video import FrameSource
from siamfc.model import weights as weight_files  # its shipped_weights() is the one list of what can be chosen
from siamfc.tracking.params import PRESETS
from siamfc.tracking.tracker import check_box

log = logging.getLogger(__name__)

#: Seconds between two preview frames sent to the page (the last frame is always sent).
PREVIEW_EVERY = 0.2
#: Width of the preview frames (the annotated video keeps the full size).
PREVIEW_WIDTH = 640
#: Events that end a job's stream.
FINAL = ("done", "error", "cancelled")


class Busy(SiamFCError):
    """A job is already running."""


@dataclass(frozen=True)
class JobSettings:
    """What to track: ``box`` is ``(x, y, w, h)`` in 0-based pixels of the clip's frames."""

    clip: Clip
    box: tuple[float, float, float, float]
    weights: str | None = None  # a name from shipped_weights(); None: the first there
    params: str = "3s"
    debug: bool = False

    def check(self, param_sets=PRESETS) -> JobSettings:
        """Raise a SiamFCError naming the first bad field (box, weights, params); ``param_sets``:
        the parameter sets this server offers, by name."""
        x, y, w, h = self.box
        if w < 1 or h < 1:
            raise SiamFCError(
                f"the box is {w:g} x {h:g} pixels: drag on the first frame to draw a box around the target"
            )
        check_box(self.box, (self.clip.height, self.clip.width))
        self.weights_path()
        if self.params not in param_sets:
            raise SiamFCError(f"unknown parameter set {self.params!r}; choose one of {list(param_sets)}")
        return self

    def weights_path(self) -> Path:
        """The file of the chosen shipped weights; SiamFCError if there is no such name."""
        shipped = weight_files.shipped_weights()
        if not shipped:
            raise SiamFCError("this installation ships no weights files, so there is nothing to track with")
        name = self.weights if self.weights is not None else next(iter(shipped))
        if name not in shipped:
            raise SiamFCError(f"unknown weights {name!r}; this server has {', '.join(shipped)}")
        return shipped[name]


class Job:
    """A running or finished job: its events, its cancel flag and its output files."""

    def __init__(self, settings: JobSettings, folder: Path, source: FrameSource) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.settings = settings
        self.source = source  # the clip's frames, opened when the job was accepted
        self.folder = folder / self.id
        self.folder.mkdir(parents=True)
        stem = settings.clip.stem  # only safe characters, never the client's name as given
        self.boxes_path = self.folder / f"{stem}_siamfc.txt"
        self.video_path = self.folder / f"{stem}_siamfc.webm"
        # The names the browser saves them under: the clip's own (already cleaned and truncated) name,
        # which the download header carries encoded (RFC 6266); on disk only the safe stem is used.
        shown = Path(settings.clip.name).stem or stem
        self.download_names = {self.boxes_path: f"{shown}_siamfc.txt", self.video_path: f"{shown}_siamfc.webm"}
        self.cancel = threading.Event()
        self.state = "running"
        self.tracker = lambda: None  # weakref to the tracker while it exists (it is freed when the job ends)
        self._events: queue.Queue = queue.Queue()

    def next_event(self, timeout: float) -> dict:
        """The next event, or ``{"type": "wait"}`` after ``timeout`` seconds without one."""
        try:
            return self._events.get(timeout=timeout)
        except queue.Empty:
            return {"type": "wait"}

    def emit(self, kind: str, **fields) -> None:
        self._events.put({"type": kind, **fields})


class JobRunner:
    """Runs one :class:`Job` at a time under ``folder``, with the tracker options ``engine``;
    ``param_sets``: parameter sets offered besides 3s and 5s, name -> TrackerParams (``--params FILE``)."""

    def __init__(self, folder: Path, engine: dict | None = None, param_sets: dict | None = None) -> None:
        self.folder = Path(folder)
        self.engine = dict(engine or {})
        self.param_sets = {**PRESETS, **(param_sets or {})}
        self._lock = threading.Lock()
        self.last: Job | None = None
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def cancel(self) -> None:
        """Stop the running job, if any."""
        if self.last is not None:
            self.last.cancel.set()

    def close(self, timeout: float = 60.0) -> None:
        """Stop the running job, wait for its thread (at most ``timeout`` s), then delete every result
        (the server is shutting down: the folder must not be removed under a job still writing to it)."""
        self.cancel()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("the tracking job did not stop within %g s; removing its files anyway", timeout)
        shutil.rmtree(self.folder, ignore_errors=True)

    def start(self, settings: JobSettings) -> Job:
        """Start tracking in a thread (Busy if a job runs); the clip is opened here, so a clip that
        cannot be read is refused now. Blocking (it opens files): call it from a worker thread."""
        settings.check(self.param_sets)
        if not self._lock.acquire(blocking=False):
            raise Busy(
                "another clip is being tracked (this server runs one job at a time); try again when it has finished"
            )
        source = None
        try:
            if self.last is not None:  # its files are replaced by this job's
                shutil.rmtree(self.last.folder, ignore_errors=True)
            source = settings.clip.open()
            job = self.last = Job(settings, self.folder, source)
            self._thread = threading.Thread(target=self._run, args=(job,), name=f"siamfc-job-{job.id}", daemon=True)
            self._thread.start()
        except BaseException:
            if source is not None:
                source.close()
            self._lock.release()
            raise
        return job

    def _run(self, job: Job) -> None:
        outcome = ("error", {"message": "tracking stopped unexpectedly"})
        try:
            outcome = self._track(job)
        except SiamFCError as exc:
            outcome = ("error", {"message": str(exc)})
        except Exception as exc:  # noqa: BLE001 - the page gets one line; the log gets the traceback
            log.exception("job %s failed", job.id)
            outcome = ("error", {"message": f"tracking failed: {type(exc).__name__}: {exc}"})
        finally:
            job.source.close()  # a no-op once the tracking read it to the end
            job.state = outcome[0]
            if job.state != "done":
                shutil.rmtree(job.folder, ignore_errors=True)
            gc.collect()  # the tracker, its engine and the decoder go now, not at some later collection
            self._lock.release()
            job.emit(outcome[0], **outcome[1])  # after the release: the page may start the next job at once

    def _track(self, job: Job):
        from siamfc.apps.track_video import track_video
        from siamfc.io.video import Prefetch
        from siamfc.tracking import SiamFCTracker

        s = job.settings
        tracker = SiamFCTracker(weights=s.weights_path(), params=self.param_sets[s.params], **self.engine)
        job.tracker = weakref.ref(tracker)
        total = s.clip.frames
        last_preview = [0.0]

        def on_frame(index, box, score, annotated) -> bool:
            if job.cancel.is_set():
                return True
            now = time.monotonic()
            fields = {
                "frame": index,
                "total": total,
                "box": [round(v, 4) for v in box],
                "score": None if np.isnan(score) else round(score, 4),
                "lost": tracker.lost,  # below the weights' lost threshold (siamfc.tracking.lost)
            }
            if now - last_preview[0] >= PREVIEW_EVERY or (total and index == total - 1):
                last_preview[0] = now
                fields["preview"] = _jpeg_data_url(annotated)
            job.emit("progress", **fields)
            return False

        with Prefetch(job.source) as frames:  # its decoder thread is stopped before the job ends, whatever happens
            run = track_video(
                tracker,
                frames,
                s.box,
                total=total,
                fps=s.clip.fps,
                video_out=job.video_path,
                progress=False,
                debug=s.debug,
                on_frame=on_frame,
            )
        if job.cancel.is_set():
            return "cancelled", {"message": f"stopped after {len(run.boxes)} frames"}
        write_box_file(job.boxes_path, run.boxes, one_based=True)
        return "done", {
            "job": job.id,
            "frames": len(run.boxes),
            "fps": s.clip.fps or 30.0,
            "boxes": job.boxes_path.read_text(),
            "scores": [None if np.isnan(v) else round(float(v), 4) for v in run.scores],
            "lost": [bool(v) for v in run.lost],
            "lost_threshold": tracker.lost_threshold,
            "boxes_url": f"/api/jobs/{job.id}/boxes.txt",
            "video_url": f"/api/jobs/{job.id}/video.webm",
            "summary": f"{run.summary().split(';')[0]}; engine {tracker.describe()}",
        }


def _jpeg_data_url(frame: np.ndarray) -> str:
    if frame.shape[1] > PREVIEW_WIDTH:
        frame = cv2.resize(
            frame, (PREVIEW_WIDTH, round(frame.shape[0] * PREVIEW_WIDTH / frame.shape[1])), interpolation=cv2.INTER_AREA
        )
    ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode("ascii")
