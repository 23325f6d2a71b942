"""The ``siamfc`` command: argument parsing only; each subcommand is a module of this package.

Every subcommand module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args)``.
A :class:`~siamfc.errors.SiamFCError` becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from siamfc.errors import SiamFCError

#: subcommand -> module (in ``siamfc.apps.cli``); the order is the order of ``siamfc --help``.
COMMANDS = {
    "track": "track",
    "demo": "demo",
    "eval": "eval",
    "report": "report",
    "trax": "trax",
    "curate": "curate",
    "train": "train",
    "tune": "tune",
    "plot-train": "plot_train",
    "convert": "convert",
    "export": "export",
    "bench": "bench",
    "serve": "serve",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="siamfc", description="SiamFC tracking: track, evaluate, train.")
    from siamfc import __version__

    parser.add_argument("--version", action="version", version=f"siamfc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"{__name__}.{module_name}")
        p = sub.add_parser(
            name,
            help=module.HELP,
            description=getattr(module, "DESCRIPTION", module.HELP),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    # Library notes worth a line (e.g. which backend `auto` fell back to) go to stderr.
    logging.basicConfig(level=logging.INFO, format="siamfc: %(message)s", stream=sys.stderr)
    logging.getLogger("siamfc").setLevel(logging.INFO)
    from siamfc.utils.provenance import running_command

    try:
        with running_command(["siamfc", *(sys.argv[1:] if argv is None else argv)]):
            return int(args._run(args) or 0)
    except SiamFCError as exc:
        print(f"siamfc {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"siamfc {args.command}: interrupted", file=sys.stderr)
        return 130
