"""``siamfc demo``: track the bundled sequence with the bundled weights, write a video, print the AUC."""

from __future__ import annotations

HELP = "track the bundled demo sequence (OTB Crossing), write an annotated video, print the success AUC"
DESCRIPTION = """Track the bundled OTB sequence Crossing (120 frames, a pedestrian crossing a road;
provenance in siamfc/assets/demo/PROVENANCE.md) with the shipped weights, write the annotated
video and the boxes (0-based x,y,w,h per line) to --out, and print the OTB success AUC and the
precision at 20 px against the ground truth.

--weights runs it with any weights file (for example one made by `siamfc convert`)."""


def add_arguments(p) -> None:
    from siamfc.apps.cli.tracker_options import add_tracker_options

    p.add_argument("--out", default="siamfc_demo", metavar="DIR", help="output folder (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--debug", action="store_true", help="draw what the tracker used beside each frame (see siamfc track --help)"
    )
    add_tracker_options(p)


def run(args) -> int:
    from siamfc.apps.cli.tracker_options import tracker_kwargs
    from siamfc.apps.demo import run_demo

    result = run_demo(args.out, progress=not args.quiet, debug=args.debug, **tracker_kwargs(args))
    print(result.summary())
    return 0
