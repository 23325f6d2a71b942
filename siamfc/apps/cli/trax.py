"""``siamfc trax``: SiamFC as a TraX tracker for the official VOT toolkit (same as ``python -m siamfc.vot``)."""

from __future__ import annotations

HELP = "serve SiamFC over TraX, for the official VOT toolkit (trackers.ini: command = siamfc trax ...)"
DESCRIPTION = """Run SiamFC as a TraX tracker: the VOT toolkit starts this command and sends it frames.

Accepts rectangles and polygons (a polygon becomes the SiamFC authors' start box: centred on the
corners' mean, with the rotated rectangle's area) and answers rectangles, in the numbers of the
sequence's groundtruth.txt. Not meant to be run by hand. A trackers.ini entry:

  [SiamFC]
  label = SiamFC
  protocol = trax
  command = siamfc trax --params 3s --backend auto
"""


def add_arguments(p) -> None:
    from siamfc.apps.trax import add_trax_arguments

    add_trax_arguments(p)


def run(args) -> int:
    from siamfc.apps.trax import main

    argv = [
        "--params",
        args.params,
        "--device",
        args.device,
        "--backend",
        args.backend,
        "--precision",
        args.precision,
        "--set",
        args.overrides,
    ]
    for flag, value in (
        ("--weights", args.weights),
        ("--exported", args.exported),
        ("--resampling", args.resampling),
        ("--trax-log", args.trax_log),
    ):
        if value:
            argv += [flag, value]
    return main(argv)
