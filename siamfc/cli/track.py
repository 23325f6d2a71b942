"""``siamfc track``: follow one object through a video, a folder of frames, a glob or a camera."""
from __future__ import annotations

HELP = "track one object through a video, a folder of frames, a glob or a camera"
DESCRIPTION = """Track the object in --box (given on the first frame) through SOURCE and write the
annotated video (--out) and the boxes (--save).

SOURCE: a video file (anything OpenCV/FFmpeg decodes), a folder of images (natural order:
2.jpg before 10.jpg), a quoted glob such as 'frames/*.png', or a camera index such as 0.

Boxes (--box, --save): x,y,w,h in 0-based pixel coordinates with pixel centres at integers
(OpenCV's convention: the top-left pixel is (0, 0), the box covers columns x .. x+w-1). The
--save file has one line per frame, "x,y,w,h", floats (up to 4 decimals); the first line is the
box the tracker was initialised with. (OTB/VOT files are 1-based: add 1 to x and y for them.)

With --show and no --box, draw the box on the first frame (needs a display). Ctrl-C (or q in the
window) stops early; the outputs then hold the frames tracked so far."""


def add_arguments(p) -> None:
    from .engine_options import WEIGHTS_HELP, add_engine_arguments

    p.add_argument("source", metavar="SOURCE", help="video file, folder of frames, glob or camera index")
    p.add_argument("--box", metavar="X,Y,W,H", help="the object on the first frame, 0-based pixels (negative x: --box=-5,10,40,60)")
    p.add_argument("--weights", metavar="W", help=WEIGHTS_HELP)
    p.add_argument("--params", default="3s", choices=["3s", "5s"],
                   help="parameter set: 3s = SiamFC-3s (3 scales, faster), 5s = SiamFC (5 scales) (default: %(default)s)")
    p.add_argument("--set", dest="overrides", default="", metavar="NAME=VALUE,...",
                   help="override tracker parameters, e.g. --set window_influence=0.2,scale_lr=0.5")
    p.add_argument("--out", metavar="VIDEO", help="write the annotated video here (.mp4 or .avi)")
    p.add_argument("--save", metavar="BOXES", help="write the boxes here, one x,y,w,h line per frame (0-based)")
    p.add_argument("--show", action="store_true", help="display the tracking live (and draw the box if --box is missing)")
    p.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda (default: %(default)s)")
    add_engine_arguments(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    from ..errors import InvalidBoxError, SiamFCError
    from ..track_video import gui_problem, parse_box, track_video
    from ..tracking import SiamFCTracker, parse_overrides
    from ..video import Prefetch, open_source
    from .engine_options import engine_kwargs

    box = parse_box(args.box) if args.box else None
    if box is None and not args.show:
        raise InvalidBoxError("give the first box with --box x,y,w,h (or draw it with --show where a display exists)")
    problem = gui_problem() if args.show else None
    if problem:
        what = "drawing the first box" if box is None else "--show"
        raise SiamFCError(f"{what} needs a window, but {problem}; pass --box x,y,w,h and leave out --show")
    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise SiamFCError(f"--device {args.device}: no CUDA device is available here (use --device cpu)")
    tracker = SiamFCTracker(weights=args.weights, params=args.params, device=args.device,
                            **engine_kwargs(args), **parse_overrides(args.overrides))
    source = open_source(args.source)
    # Decoding runs in a background thread, overlapping with tracking.
    result = track_video(tracker, Prefetch(source), box, total=source.length, fps=source.fps, video_out=args.out,
                         boxes_out=args.save, show=args.show, progress=not args.quiet)
    print(f"{result.summary()}; engine {tracker.describe()}")
    return 0
