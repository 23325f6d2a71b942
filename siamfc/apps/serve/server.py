"""The routes of ``siamfc serve`` (Starlette), and the stream that ties a job to its browser connection.

    GET  /                          the page (static/index.html; its JS and CSS are served from static/)
    GET  /api/options               weights, parameter sets, upload limit
    POST /api/clips                 upload a video (raw body, percent-encoded name in X-Filename) -> the clip
    POST /api/clips/demo            the bundled Crossing sequence -> the clip
    GET  /api/clips/{id}/first.jpg  its first frame, to draw the box on
    POST /api/track                 {clip, box: [x, y, w, h], weights, params, debug} -> NDJSON events
    GET  /api/jobs/{id}/boxes.txt   the boxes, OTB format (1-based x,y,w,h per line)
    GET  /api/jobs/{id}/video.webm  the annotated video

Every user error is a JSON ``{"error": "..."}`` with status 400 (413: upload too large, 415: not
a format the server accepts, 409: busy, 503: too many uploads at once, 403: a state change from
another site's page); the page shows the message and the server goes on serving. Requests for
another Host, or state changes from another Origin, are refused before any route
(:mod:`siamfc.apps.serve.guard`).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from pathlib import Path
from urllib.parse import unquote

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from siamfc.apps.demo import DEMO_NAME
from siamfc.apps.serve import MAX_FRAMES, MAX_PIXELS, MAX_UPLOAD_MB, MAX_UPLOADS
from siamfc.apps.serve.clips import ClipStore, TooManyUploads, UnsupportedUpload, UploadLimits, UploadTooLarge
from siamfc.apps.serve.guard import HostPolicy, RequestGuard
from siamfc.apps.serve.jobs import FINAL, Busy, Job, JobRunner, JobSettings
from siamfc.errors import SiamFCError
from siamfc.model import weights as weight_files

STATIC = Path(__file__).resolve().parent / "static"


class JobEvents(Response):
    """A job's events as newline-delimited JSON; the job is cancelled when the client goes away.

    Two ways to notice that the page was closed, whichever comes first: the server reports the
    disconnect (``http.disconnect``), or writing the next event fails. The job is also cancelled
    when the stream ends for any other reason (a no-op once it has finished).
    """

    media_type = "application/x-ndjson"

    def __init__(self, job: Job, heartbeat: float = 0.5) -> None:
        # No body and so no Content-Length: the events are streamed until the job ends.
        self.status_code, self.background = 200, None
        self.init_headers({"Cache-Control": "no-store"})
        self.job, self.heartbeat = job, heartbeat

    async def __call__(self, scope, receive, send) -> None:
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._watch_disconnect, receive, group.cancel_scope)
                await self._pump(send)
                group.cancel_scope.cancel()
        except OSError:  # the connection broke while writing
            pass
        finally:
            self.job.cancel.set()

    async def _watch_disconnect(self, receive, scope) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        self.job.cancel.set()
        scope.cancel()

    async def _pump(self, send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        while True:
            # "wait" events are heartbeats: writing them is how a closed page is noticed during a slow start.
            event = await anyio.to_thread.run_sync(self.job.next_event, self.heartbeat)
            body = (json.dumps(event) + "\n").encode()
            await send({"type": "http.response.body", "body": body, "more_body": True})
            if event["type"] in FINAL:
                break
        await send({"type": "http.response.body", "body": b"", "more_body": False})


#: Worker threads of the server (anyio's default is 40).
WORKER_THREADS = 8
#: Largest JSON body read (a track request is a few dozen bytes).
JSON_BYTES = 64 * 1024


async def _read_at_most(request: Request, limit: int) -> bytes | None:
    """The request body, or None (and no more read) once it passes ``limit`` bytes."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


#: Status of each kind of refusal (any other SiamFCError: 400).
STATUS = ((UploadTooLarge, 413), (UnsupportedUpload, 415), (Busy, 409), (TooManyUploads, 503))


def create_app(
    max_upload_mb: float = MAX_UPLOAD_MB,
    engine: dict | None = None,
    folder=None,
    *,
    max_pixels: int = MAX_PIXELS,
    max_frames: int = MAX_FRAMES,
    max_uploads: int = MAX_UPLOADS,
    host: str = "127.0.0.1",
    allow_hosts=(),
    param_sets: dict | None = None,
) -> Starlette:
    """The application; ``engine``: tracker options (``backend``, ``precision``, ``exported``);
    ``param_sets``: parameter sets offered besides 3s and 5s (name -> TrackerParams, ``--params FILE``).

    ``folder``: where uploads and results go (emptied at shutdown); None: a temporary folder,
    removed at shutdown. ``host``: the address the server is bound to, and ``allow_hosts`` more
    names, for the Host check. ``app.state.close()`` stops the job, waits for it and removes the
    files; the shutdown does it, and it may be called again (``siamfc serve`` does, in case the
    shutdown was forced).
    """
    workdir = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="siamfc-serve-"))
    limits = UploadLimits(int(max_upload_mb * 2**20), int(max_pixels), int(max_frames), int(max_uploads))
    clips = ClipStore(workdir / "uploads", limits)
    runner = JobRunner(workdir / "jobs", engine, param_sets)

    async def index(request: Request):
        return FileResponse(STATIC / "index.html")

    async def options(request: Request):
        return JSONResponse(
            {
                "weights": list(weight_files.shipped_weights()),
                "params": list(runner.param_sets),
                "max_upload_bytes": clips.max_bytes,
                "demo": DEMO_NAME,
            }
        )

    async def upload(request: Request):
        raw = request.headers.get("x-filename")
        if raw is None:  # a form on another site can send a body, but not this header
            return error("an upload names its file in the X-Filename header (percent-encoded), as the page does")
        length = request.headers.get("content-length")
        clip = await clips.receive(unquote(raw), request.stream(), int(length) if length and length.isdigit() else None)
        return JSONResponse(clip.describe())

    async def demo_clip(request: Request):
        clip = await anyio.to_thread.run_sync(clips.add_bundled)
        return JSONResponse(clip.describe())

    async def first_frame(request: Request):
        return Response(clips.get(request.path_params["clip"]).first_jpeg, media_type="image/jpeg")

    async def track(request: Request):
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":  # a form on another site can send text/plain, not JSON
            return error(f"POST /api/track takes a JSON body (Content-Type: application/json), not {media_type!r}", 415)
        raw = await _read_at_most(request, JSON_BYTES)
        if raw is None:
            return error(f"the request body is larger than {JSON_BYTES // 1024} KB: it holds a clip id and a box", 413)
        try:
            body = json.loads(raw)
            box = tuple(float(v) for v in body["box"])
            if len(box) != 4:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            return error("the request needs a clip and a box [x, y, w, h]: draw the box on the first frame")
        weights = body.get("weights")
        settings = JobSettings(
            clips.get(str(body.get("clip"))),
            box,
            None if weights is None else str(weights),
            str(body.get("params", "3s")),
            bool(body.get("debug", False)),
        )
        return JobEvents(await anyio.to_thread.run_sync(runner.start, settings))

    def job_file(attr: str, media_type: str):
        async def endpoint(request: Request):
            job = runner.last
            path = getattr(job, attr) if job is not None and job.id == request.path_params["job"] else None
            if path is None or job.state != "done" or not path.is_file():
                return error("no such result: it belongs to a job that was replaced or did not finish", 404)
            return FileResponse(path, media_type=media_type, filename=job.download_names.get(path, path.name))

        return endpoint

    async def siamfc_error(request: Request, exc: SiamFCError):
        return error(str(exc), next((status for kind, status in STATUS if isinstance(exc, kind)), 400))

    routes = [
        Route("/", index),
        Route("/api/options", options),
        Route("/api/clips", upload, methods=["POST"]),
        Route("/api/clips/demo", demo_clip, methods=["POST"]),
        Route("/api/clips/{clip}/first.jpg", first_frame),
        Route("/api/track", track, methods=["POST"]),
        Route("/api/jobs/{job}/boxes.txt", job_file("boxes_path", "text/plain")),
        Route("/api/jobs/{job}/video.webm", job_file("video_path", "video/webm")),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    def close() -> None:
        runner.close()  # waits for the job thread before its folder goes
        clips.close()
        if folder is None:  # ours: remove it too
            shutil.rmtree(workdir, ignore_errors=True)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        # Worker threads (file writes, probes, the job's event stream): a few suffice, and each
        # thread that allocates can hold memory of its own (glibc malloc arenas).
        anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        yield
        await anyio.to_thread.run_sync(close)

    app = Starlette(
        routes=routes,
        middleware=[Middleware(RequestGuard, policy=HostPolicy(host, allow_hosts))],
        exception_handlers={SiamFCError: siamfc_error},
        lifespan=lifespan,
    )
    app.state.clips, app.state.runner, app.state.workdir, app.state.close = clips, runner, workdir, close
    return app
