"""The options of every command that builds a SiamFC tracker, defined once.

``track``, ``demo``, ``eval``, ``bench``, ``serve`` and ``trax`` (= ``python -m siamfc.vot``) call
:func:`add_tracker_options`, so ``--weights``, ``--params``, ``--set``, ``--device``, ``--backend``,
``--precision``, ``--resampling`` and ``--exported`` mean the same everywhere, with one help text each;
:func:`tracker_kwargs` turns the parsed values into ``SiamFCTracker`` keyword arguments.
"""

from __future__ import annotations

import argparse

#: Help of every command's ``--weights``: a shipped name or a file.
WEIGHTS_HELP = (
    "weights: a shipped name (default = the best on validation, paper = the authors' network, "
    "scratch = trained from scratch by this project, finetuned) or a .safetensors/.pth file "
    "(default: default)"
)

PARAMS_HELP = (
    "tracker parameter set: 3s = SiamFC-3s (3 scales, faster), 5s = SiamFC (5 scales), or a parameter-set YAML file"
)

SET_HELP = "override single tracker parameters, e.g. --set window_influence=0.2,scale_lr=0.5"


def add_tracker_options(
    p: argparse.ArgumentParser,
    *,
    model: bool = True,
    engine: bool = True,
    device: bool = True,
    several_params: bool = False,
) -> None:
    """Add the tracker options to ``p`` (in a group of their own in ``--help``).

    ``model=False`` leaves out the weights and parameters (``--weights``, ``--params``, ``--set``: the
    browser demo's page chooses them), ``engine=False`` what runs the network (``--backend``, ``--precision``, ``--exported``,
    ``--resampling``) and ``device=False`` the torch device, for commands that choose those
    themselves; ``several_params`` lets ``--params`` take several sets (``bench``).
    """
    from siamfc.runtime import BACKENDS, PRECISIONS

    g = p.add_argument_group("tracker")
    if model:
        g.add_argument("--weights", metavar="W", help=WEIGHTS_HELP)
        if several_params:
            g.add_argument(
                "--params",
                nargs="+",
                default=None,
                metavar="P",
                help=PARAMS_HELP + " (default: 3s 5s; bench --targets: 3s)",
            )
        else:
            g.add_argument("--params", default="3s", metavar="P", help=PARAMS_HELP + " (default: %(default)s)")
        # `--override` is the name `siamfc eval` used before the options were unified; both stay accepted.
        g.add_argument("--set", "--override", dest="overrides", default="", metavar="NAME=VALUE,...", help=SET_HELP)
    if device:
        g.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda (default: %(default)s)")
    if not engine:
        return
    g.add_argument(
        "--backend",
        default="auto",
        choices=BACKENDS,
        help="inference backend; auto = the fastest installed (openvino > onnxruntime > torch) (default: %(default)s)",
    )
    g.add_argument(
        "--precision",
        default="auto",
        choices=PRECISIONS,
        help="network precision; int8 runs an int8 graph calibrated for the weights (shipped "
        "ones have one; siamfc export --precision int8 makes one) on OpenVINO; auto = the "
        "fastest on this CPU of fp32 and the precisions whose check on held-out video holds "
        "for the weights (siamfc export --check), measured once and cached (siamfc bench "
        "--retune measures again); the correlation is always fp32 (default: %(default)s)",
    )
    g.add_argument(
        "--resampling",
        choices=("bilinear", "bicubic-aa"),
        default=None,
        help="how crops are resized: bilinear (OpenCV warpAffine) or bicubic-aa (the authors' MATLAB "
        "imresize: bicubic, antialiased when shrinking); default: the weights' model card "
        "(crop_resampling), else bilinear",
    )
    g.add_argument(
        "--exported",
        metavar="DIR",
        help="run this export folder (siamfc export) with --backend onnxruntime or openvino; it runs "
        "the precision it holds and, with --weights, only if exported from them",
    )


def engine_kwargs(args: argparse.Namespace) -> dict:
    """What runs the network: ``backend``, ``precision``, ``exported``, ``resampling``."""
    return {
        "backend": args.backend,
        "precision": args.precision,
        "exported": args.exported,
        "resampling": args.resampling,
    }


def overrides(args: argparse.Namespace) -> dict:
    """The ``--set`` values, typed (a ``ConfigError`` names a bad one)."""
    from siamfc.tracking.params import parse_overrides

    return parse_overrides(args.overrides)


def tracker_kwargs(args: argparse.Namespace) -> dict:
    """``SiamFCTracker`` keyword arguments from the options :func:`add_tracker_options` added."""
    kwargs = {"weights": args.weights, "params": args.params, **overrides(args)}
    if hasattr(args, "device"):
        kwargs["device"] = args.device
    if hasattr(args, "backend"):
        kwargs.update(engine_kwargs(args))
    return kwargs
