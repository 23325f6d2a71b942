"""``siamfc serve``: the browser demo on a local web page (needs ``pip install 'siamfc[app]'``)."""

from __future__ import annotations

HELP = "start the browser demo: upload a clip or pick the bundled one, draw the box, watch it tracked"
DESCRIPTION = """Start a local web page (works offline: everything it needs is served from the package)
where you can upload a clip or pick the bundled Crossing sequence, draw the box on the first frame
with the mouse, choose the weights and the parameter set, watch the tracking with the score curve,
and download the boxes (OTB text, 1-based) and the annotated video (.webm).

One clip is tracked at a time; a second request is told to wait. Closing the page stops its job.
Uploads are accepted only as self-contained videos (MP4/MOV, Matroska/WebM, AVI) or still images
(JPEG, PNG), recognised by their content, within the limits below; the server answers only to
the host names it is bound to, and only its own page may upload or start a job.
Needs the app extra: pip install 'siamfc[app]'."""


def add_arguments(p) -> None:
    from siamfc.apps.cli.tracker_options import add_tracker_options
    from siamfc.apps.serve import MAX_FRAMES, MAX_PIXELS, MAX_UPLOAD_MB, MAX_UPLOADS

    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s, this machine only; 0.0.0.0 exposes it to the network)",
    )
    p.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer to this host name (repeatable; e.g. the name the machine has on your network)",
    )
    p.add_argument("--port", type=int, default=8000, help="port (default: %(default)s; 0 picks a free one)")
    p.add_argument(
        "--max-upload-mb",
        type=float,
        default=MAX_UPLOAD_MB,
        help="largest video accepted, in MB (default: %(default)s)",
    )
    p.add_argument(
        "--max-pixels",
        type=int,
        default=MAX_PIXELS,
        help="largest frame accepted, in pixels W x H (default: %(default)s, 4K UHD)",
    )
    p.add_argument(
        "--max-frames",
        type=int,
        default=MAX_FRAMES,
        help="longest clip accepted, in frames (default: %(default)s, ten minutes at 30 fps)",
    )
    p.add_argument(
        "--max-uploads", type=int, default=MAX_UPLOADS, help="uploads received at once (default: %(default)s)"
    )
    p.add_argument(
        "--params",
        nargs="+",
        default=[],
        metavar="FILE",
        help="parameter-set YAML files (siamfc tune writes them) the page offers besides 3s and 5s, by file name",
    )
    # The page chooses the weights and the parameter set; the command chooses what runs the network.
    add_tracker_options(p, model=False, device=False)


def run(args) -> int:
    import socket

    from siamfc.apps.cli.tracker_options import engine_kwargs
    from siamfc.apps.serve import require_app_extra
    from siamfc.errors import SiamFCError

    require_app_extra()
    import uvicorn

    from siamfc.apps.serve.server import create_app

    for option in ("max_upload_mb", "max_pixels", "max_frames", "max_uploads"):
        if getattr(args, option) <= 0:
            raise SiamFCError(f"--{option.replace('_', '-')} must be positive, got {getattr(args, option):g}")
    param_sets = param_files(args.params)  # a bad file is reported before the server starts
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
        sock.listen(64)  # connections wait from now on, so the address printed below works at once
    except OSError as exc:
        sock.close()
        raise SiamFCError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc} "
            "(another server there? pick one with --port)"
        ) from None
    host, port = sock.getsockname()[:2]
    app = create_app(
        max_upload_mb=args.max_upload_mb,
        engine=engine_kwargs(args),
        max_pixels=args.max_pixels,
        max_frames=args.max_frames,
        max_uploads=args.max_uploads,
        host=args.host,
        allow_hosts=args.allow_host,
        param_sets=param_sets,
    )
    print(
        f"siamfc serve: open http://{host if host not in ('0.0.0.0', '::') else 'localhost'}:{port}/ "
        "in a browser (Ctrl-C stops)",
        flush=True,
    )
    # Ctrl-C: connections still open after a few seconds (a job's event stream) are closed, which
    # cancels the job; the shutdown then waits for it and removes the uploads and results.
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=3))
    try:
        server.run(sockets=[sock])
    finally:
        app.state.close()  # again, in case a second Ctrl-C skipped the shutdown
    return 0


def param_files(paths) -> dict:
    """``{file stem: TrackerParams}`` of ``--params`` files (a ConfigError names a bad file or a clash)."""
    from pathlib import Path

    from siamfc.errors import ConfigError
    from siamfc.tracking.params import PRESETS
    from siamfc.tracking.params_file import load_params_file

    sets = {}
    for path in paths:
        name = Path(path).stem
        if name in PRESETS or name in sets:
            raise ConfigError(f"--params {path}: the name {name!r} is taken; rename the file")
        sets[name] = load_params_file(path)
    return sets
