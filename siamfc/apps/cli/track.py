"""``siamfc track``: follow one object through a video, a folder of frames, a glob or a camera."""

from __future__ import annotations

HELP = "track one object through a video, a folder of frames, a glob or a camera"
DESCRIPTION = """Track the object in --box (given on the first frame) through SOURCE and write the
annotated video (--out) and the boxes (--save).

SOURCE: a video file (anything OpenCV/FFmpeg decodes), a folder of images (natural order:
2.jpg before 10.jpg), a quoted glob such as 'frames/*.png', or a camera index such as 0.

--box, three forms:
  x,y,w,h       0-based pixel coordinates with pixel centres at integers (OpenCV's convention:
                the top-left pixel is (0, 0), the box covers columns x .. x+w-1);
  0.4,0.3,0.1,0.2  fractions of the frame's width and height (all four numbers within [0, 1]);
  FILE          an OTB or VOT ground-truth file: its first line (1-based; a VOT polygon becomes
                the box the VOT protocol and siamfc trax start from: the SiamFC authors'
                region box).
Without --box, the first frame opens in a window to draw the box on. That needs a display and
OpenCV's GUI build, which the default install does not have (headless): then pass --box, draw it
in the browser (siamfc serve), or swap in the GUI build with the command printed
(docs/usage.md: "siamfc track").

--save: one line per frame, "x,y,w,h", 0-based floats (up to 4 decimals); the first line is the
box the tracker was initialised with. (OTB/VOT files are 1-based: add 1 to x and y for them.)

--debug draws beside each frame what the tracker used: the search region, the upsampled score
map of the chosen scale (heat map, peak) before and after the cosine window, the scale chosen
and the peak score over time. Ctrl-C (or q in the window) stops early; the outputs then hold
the frames tracked so far."""


def add_arguments(p) -> None:
    from siamfc.apps.cli.tracker_options import add_tracker_options

    p.add_argument("source", metavar="SOURCE", help="video file, folder of frames, glob or camera index")
    p.add_argument(
        "--box",
        metavar="BOX",
        help="the object on the first frame: x,y,w,h in 0-based pixels (negative x: "
        "--box=-5,10,40,60), fractions of the frame, or a ground-truth file; default: draw it",
    )
    p.add_argument("--out", metavar="VIDEO", help="write the annotated video here (.mp4, .avi or .webm)")
    p.add_argument("--save", metavar="BOXES", help="write the boxes here, one x,y,w,h line per frame (0-based)")
    p.add_argument("--show", action="store_true", help="display the tracking live")
    p.add_argument(
        "--debug",
        action="store_true",
        help="draw the search region, score maps, chosen scale and peak score beside each frame (--out, --show)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_tracker_options(p)


def run(args) -> int:
    from siamfc.apps.box_arg import parse_box_arg
    from siamfc.apps.cli.tracker_options import tracker_kwargs
    from siamfc.apps.track_video import gui_problem, track_video
    from siamfc.errors import SiamFCError
    from siamfc.io.video import Prefetch, open_source
    from siamfc.tracking import SiamFCTracker

    box = parse_box_arg(args.box) if args.box else None
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
    tracker = SiamFCTracker(**tracker_kwargs(args))
    source = open_source(args.source)
    # Decoding runs in a background thread, overlapping with tracking.
    result = track_video(
        tracker,
        Prefetch(source),
        box,
        total=source.length,
        fps=source.fps,
        video_out=args.out,
        boxes_out=args.save,
        show=args.show,
        progress=not args.quiet,
        debug=args.debug,
    )
    print(f"{result.summary()}; engine {tracker.describe()}")
    return 0
