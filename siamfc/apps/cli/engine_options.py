"""The ``--weights`` / ``--backend`` / ``--precision`` / ``--resampling`` options shared by the commands that track."""

from __future__ import annotations

#: Help of every command's ``--weights``: a shipped name or a file.
WEIGHTS_HELP = (
    "weights: a shipped name (default = the best on validation, paper = the authors' network, "
    "scratch = trained from scratch by this project, finetuned) or a .safetensors/.pth file "
    "(default: default)"
)


def add_engine_arguments(p) -> None:
    from siamfc.runtime import BACKENDS, PRECISIONS

    p.add_argument(
        "--backend",
        default="auto",
        choices=BACKENDS,
        help="inference backend; auto = the fastest installed (openvino > onnxruntime > torch) (default: %(default)s)",
    )
    p.add_argument(
        "--precision",
        default="auto",
        choices=PRECISIONS,
        help="network precision; int8 runs an int8 graph calibrated for the weights (shipped "
        "ones have one; siamfc export --precision int8 makes one) on OpenVINO; auto = the "
        "fastest on this CPU of fp32 and the precisions whose check on held-out video holds "
        "for the weights (siamfc export --check), measured once and cached (siamfc bench "
        "--retune measures again); the correlation is always fp32 (default: %(default)s)",
    )
    p.add_argument(
        "--resampling",
        choices=("bilinear", "bicubic-aa"),
        default=None,
        help="how crops are resized: bilinear (OpenCV warpAffine) or bicubic-aa (the authors' MATLAB "
        "imresize: bicubic, antialiased when shrinking); default: the weights' model card "
        "(crop_resampling), else bilinear",
    )
    p.add_argument(
        "--exported",
        metavar="DIR",
        help="run this export folder (siamfc export) with --backend onnxruntime or openvino; it runs "
        "the precision it holds and, with --weights, only if exported from them",
    )


def engine_kwargs(args) -> dict:
    return {
        "backend": args.backend,
        "precision": args.precision,
        "exported": args.exported,
        "resampling": args.resampling,
    }
