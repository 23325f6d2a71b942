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
                the box the VOT protocol and siamfc trax start from: the SiamFC authors'
                region box).
Without --box, the first frame opens in a window to draw the box on. That needs a display and
OpenCV's GUI build, which the default install does not have (headless): then pass --box, draw it
in the browser (siamfc serve), or swap in the GUI build with the command printed
(docs/usage.md: "siamfc track").

--save: one line per frame, "x,y,w,h", 0-based floats (up to 4 decimals); the first line is the
box the tracker was initialised with. (OTB/VOT files are 1-based: add 1 to x and y for them.)
With --save-scores each line goes on with ",score,lost": the peak score (nan on the first line)
and 1 where it fell below the weights' lost threshold (calibrated on held-out video, in the
weights' model card), else 0.

--redetect: after 5 lost frames in a row, search wider (a 3x3 block of search regions around the
last place the target was found, then the whole frame in tiles, a few regions per frame) until the
peak score is back above the lost threshold, and resume tracking there. Off by default: on
held-out video it changed nothing, on the bench it lowered the mean AUC (README, results).

With several --box, --save writes the MOTChallenge text format instead, what multi-object tools
read: one line per target and frame, "frame,id,x,y,w,h,score,-1,-1,-1", frames and pixels
1-based as in MOTChallenge files, ids 1, 2, ... in the order of the --box options; a target's
first line is its --box, with score -1. The annotated video draws each target in its colour.

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
        action="append",
        help="the object on the first frame: x,y,w,h in 0-based pixels (negative x: "
        "--box=-5,10,40,60), fractions of the frame, or a ground-truth file; repeat it to track "
        "several objects; default: draw one",
    )
    p.add_argument("--out", metavar="VIDEO", help="write the annotated video here (.mp4, .avi or .webm)")
    p.add_argument("--save", metavar="BOXES", help="write the boxes here, one x,y,w,h line per frame (0-based)")
    p.add_argument(
        "--save-scores",
        action="store_true",
        help="--save writes x,y,w,h,score,lost: the peak score and 1 where it fell below the lost threshold",
    )
    p.add_argument(
        "--redetect",
        action="store_true",
        help="search the surroundings, then the whole frame, when the target has been lost for 5 frames",
    )
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
    from siamfc.apps.track_targets import track_targets
    from siamfc.apps.track_video import gui_problem, track_video
    from siamfc.errors import SiamFCError
    from siamfc.io.video import Prefetch, open_source
    from siamfc.tracking import MultiTargetTracker, SiamFCTracker

    boxes = [parse_box_arg(b) for b in args.box or ()]
    box = boxes[0] if boxes else None
    if args.debug and len(boxes) > 1:
        raise SiamFCError("--debug draws one target's score maps: give a single --box with it")
    if args.save_scores and not args.save:
        raise SiamFCError("--save-scores adds columns to the --save file: add --save BOXES")
    if len(boxes) > 1 and (args.save_scores or args.redetect):
        raise SiamFCError("--save-scores and --redetect follow one target: give a single --box with them")
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
    tracker = (MultiTargetTracker if several else SiamFCTracker)(**tracker_kwargs(args))
    if args.redetect:
        from siamfc.tracking.redetect import Redetector

        tracker = Redetector(tracker)
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
        result = track_video(tracker, Prefetch(source), box, debug=args.debug, save_scores=args.save_scores, **outputs)
    print(f"{result.summary()}; engine {tracker.describe()}")
    return 0
