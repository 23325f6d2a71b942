"""The routes of ``siamfc serve`` (Starlette), and the stream that ties a job to its browser connection.

    GET  /                          the page (static/index.html; its JS and CSS are served from static/)
    GET  /api/options               weights, parameter sets, upload limit
    POST /api/clips                 upload a video (raw body, percent-encoded name in X-Filename) -> the clip
    POST /api/clips/demo            the bundled Crossing sequence -> the clip
    GET  /api/clips/{id}/first.jpg  its first frame, to draw the box on
    POST /api/track                 {clip, box: [x, y, w, h], weights, params, debug} -> NDJSON events
    GET  /api/jobs/{id}/boxes.txt   the boxes, OTB format (1-based x,y,w,h per line)
    GET  /api/jobs/{id}/video.webm  the annotated video

Every user error is a JSON ``{"error": "..."}`` with status 400 (413: upload too large, 409: busy);
the page shows the message and the server goes on serving.
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
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from siamfc.apps.demo import DEMO_NAME
from siamfc.apps.serve import MAX_UPLOAD_MB
from siamfc.apps.serve.clips import ClipStore, UploadTooLarge
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


def error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(
    max_upload_mb: float = MAX_UPLOAD_MB, engine: dict | None = None, folder=None, param_sets: dict | None = None
) -> Starlette:
    """The application; ``engine``: tracker options (``backend``, ``precision``, ``exported``);
    ``param_sets``: parameter sets offered besides 3s and 5s (name -> TrackerParams)."""
    workdir = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="siamfc-serve-"))
    clips = ClipStore(workdir / "uploads", max_bytes=int(max_upload_mb * 2**20))
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
        name = unquote(request.headers.get("x-filename", "upload"))  # the page percent-encodes it (headers are latin-1)
        length = request.headers.get("content-length")
        clip = await clips.receive(name, request.stream(), int(length) if length and length.isdigit() else None)
        return JSONResponse(clip.describe())

    async def demo_clip(request: Request):
        clip = await anyio.to_thread.run_sync(clips.add_bundled)
        return JSONResponse(clip.describe())

    async def first_frame(request: Request):
        return Response(clips.get(request.path_params["clip"]).first_jpeg, media_type="image/jpeg")

    async def track(request: Request):
        try:
            body = await request.json()
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
        return JobEvents(runner.start(settings))

    def job_file(attr: str, media_type: str):
        async def endpoint(request: Request):
            job = runner.last
            path = getattr(job, attr) if job is not None and job.id == request.path_params["job"] else None
            if path is None or job.state != "done" or not path.is_file():
                return error("no such result: it belongs to a job that was replaced or did not finish", 404)
            return FileResponse(path, media_type=media_type, filename=path.name)

        return endpoint

    async def siamfc_error(request: Request, exc: SiamFCError):
        status = 413 if isinstance(exc, UploadTooLarge) else 409 if isinstance(exc, Busy) else 400
        return error(str(exc), status)

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

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        runner.cancel()
        if folder is None:  # ours: uploads, results and all
            shutil.rmtree(workdir, ignore_errors=True)

    app = Starlette(routes=routes, exception_handlers={SiamFCError: siamfc_error}, lifespan=lifespan)
    app.state.clips, app.state.runner, app.state.workdir = clips, runner, workdir
    return app
