"""``siamfc demo``: track the bundled sequence with the bundled weights, write a video, print the AUC."""

from __future__ import annotations

HELP = "track the bundled demo sequence (OTB Crossing), write an annotated video, print the success AUC"
DESCRIPTION = """Track the bundled OTB sequence Crossing (120 frames, a pedestrian crossing a road;
provenance in siamfc/assets/demo/PROVENANCE.md) with the shipped weights, write the annotated
video and the boxes (0-based x,y,w,h per line) to --out, and print the OTB success AUC and the
precision at 20 px against the ground truth.

Until this version ships trained weights the demo says so and exits non-zero; --weights runs it
with any weights file (for example one made by `siamfc convert`)."""


def add_arguments(p) -> None:
    from siamfc.apps.cli.engine_options import WEIGHTS_HELP, add_engine_arguments

    p.add_argument("--out", default="siamfc_demo", metavar="DIR", help="output folder (default: %(default)s)")
    p.add_argument("--weights", metavar="W", help=WEIGHTS_HELP)
    p.add_argument("--params", default="3s", choices=["3s", "5s"], help="parameter set (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--debug", action="store_true", help="draw what the tracker used beside each frame (see siamfc track --help)"
    )
    add_engine_arguments(p)


def run(args) -> int:
    from siamfc.apps.cli.engine_options import engine_kwargs
    from siamfc.apps.demo import run_demo

    result = run_demo(
        args.out,
        weights=args.weights,
        params=args.params,
        progress=not args.quiet,
        debug=args.debug,
        **engine_kwargs(args),
    )
    print(result.summary())
    return 0
