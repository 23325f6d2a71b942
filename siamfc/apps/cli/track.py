"""``siamfc track``: follow one object through a video, a folder of frames, a glob or a camera."""

from __future__ import annotations

HELP = "track one object, or several, through a video, a folder of frames, a glob or a camera"
DESCRIPTION = """Track the object in --box (given on the first frame) through SOURCE and write the
annotated video (--out) and the boxes (--save). Several --box options track several objects with
one tracker (their search crops go through the network together).

SOURCE: a video file (anything OpenCV/FFmpeg decodes), a folder of images (natural order:
2.jpg before 10.jpg), a quoted glob such as 'frames/*.png', or a camera index such as 0.

--box, three forms:
  x,y,w,h       0-based pixel coordinates with pixel centres at integers (OpenCV's convention:
                the top-left pixel is (0, 0), the box covers columns x .. x+w-1);
  0.4,0.3,0.1,0.2  fractions of the frame's width and height (all four numbers within [0, 1]);
  FILE          an OTB or VOT ground-truth file: its first line (1-based; a VOT polygon becomes
                its bounding box).
Without --box, the first frame opens in a window to draw the box on (needs a display; without
one, pass --box or draw it in the browser: siamfc serve).

--save: one line per frame, "x,y,w,h", 0-based floats (up to 4 decimals); the first line is the
box the tracker was initialised with. (OTB/VOT files are 1-based: add 1 to x and y for them.)
With several --box, --save writes the MOTChallenge text format instead, what multi-object tools
read: one line per target and frame, "frame,id,x,y,w,h,score,-1,-1,-1", frames and pixels
1-based as in MOTChallenge files, ids 1, 2, ... in the order of the --box options; a target's
first line is its --box, with score -1. The annotated video draws each target in its colour.

--debug draws beside each frame what the tracker used: the search region, the upsampled score
map of the chosen scale (heat map, peak) before and after the cosine window, the scale chosen
and the peak score over time. Ctrl-C (or q in the window) stops early; the outputs then hold
the frames tracked so far."""


def add_arguments(p) -> None:
    from siamfc.apps.cli.engine_options import WEIGHTS_HELP, add_engine_arguments

    p.add_argument("source", metavar="SOURCE", help="video file, folder of frames, glob or camera index")
    p.add_argument(
        "--box",
        metavar="BOX",
        action="append",
        help="the object on the first frame: x,y,w,h in 0-based pixels (negative x: "
        "--box=-5,10,40,60), fractions of the frame, or a ground-truth file; repeat it to track "
        "several objects; default: draw one",
    )
    p.add_argument("--weights", metavar="W", help=WEIGHTS_HELP)
    p.add_argument(
        "--params",
        default="3s",
        choices=["3s", "5s"],
        help="parameter set: 3s = SiamFC-3s (3 scales, faster), 5s = SiamFC (5 scales) (default: %(default)s)",
    )
    p.add_argument(
        "--set",
        dest="overrides",
        default="",
        metavar="NAME=VALUE,...",
        help="override tracker parameters, e.g. --set window_influence=0.2,scale_lr=0.5",
    )
    p.add_argument("--out", metavar="VIDEO", help="write the annotated video here (.mp4, .avi or .webm)")
    p.add_argument("--save", metavar="BOXES", help="write the boxes here, one x,y,w,h line per frame (0-based)")
    p.add_argument("--show", action="store_true", help="display the tracking live")
    p.add_argument(
        "--debug",
        action="store_true",
        help="draw the search region, score maps, chosen scale and peak score beside each frame (--out, --show)",
    )
    p.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda (default: %(default)s)")
    add_engine_arguments(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    from siamfc.apps.box_arg import parse_box_arg
    from siamfc.apps.cli.engine_options import engine_kwargs
    from siamfc.apps.track_targets import track_targets
    from siamfc.apps.track_video import gui_problem, track_video
    from siamfc.errors import SiamFCError
    from siamfc.io.video import Prefetch, open_source
    from siamfc.tracking import MultiTargetTracker, SiamFCTracker, parse_overrides

    boxes = [parse_box_arg(b) for b in args.box or ()]
    box = boxes[0] if boxes else None
    if args.debug and len(boxes) > 1:
        raise SiamFCError("--debug draws one target's score maps: give a single --box with it")
    if args.debug and not (args.out or args.show):
        raise SiamFCError("--debug draws into the annotated video or the live window: add --out VIDEO or --show")
    problem = gui_problem() if args.show or box is None else None
    if problem and box is None:
        raise SiamFCError(
            f"no --box given and no window to draw it in ({problem}): pass --box x,y,w,h (pixels), "
            "--box 0.4,0.3,0.1,0.2 (fractions of the frame) or --box groundtruth.txt, or draw it in the "
            "browser: pip install 'siamfc[app]' && siamfc serve"
        )
    if problem:
        raise SiamFCError(f"--show needs a window, but {problem}; leave out --show (--out writes the video)")
    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise SiamFCError(f"--device {args.device}: no CUDA device is available here (use --device cpu)")
    several = len(boxes) > 1
    tracker = (MultiTargetTracker if several else SiamFCTracker)(
        weights=args.weights,
        params=args.params,
        device=args.device,
        **engine_kwargs(args),
        **parse_overrides(args.overrides),
    )
    source = open_source(args.source)
    # Decoding runs in a background thread, overlapping with tracking.
    outputs = {
        "total": source.length,
        "fps": source.fps,
        "video_out": args.out,
        "boxes_out": args.save,
        "show": args.show,
        "progress": not args.quiet,
    }
    if several:
        result = track_targets(tracker, Prefetch(source), boxes, **outputs)
    else:
        result = track_video(tracker, Prefetch(source), box, debug=args.debug, **outputs)
    print(f"{result.summary()}; engine {tracker.describe()}")
    return 0
