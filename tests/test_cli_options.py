"""Every command that builds a tracker takes the tracker options from one definition."""

from __future__ import annotations

import pytest

from siamfc.apps.cli import build_parser
from siamfc.apps.trax import parse_args as trax_parse_args

TRACKER_OPTIONS = (
    "--weights",
    "--params",
    "--set",
    "--device",
    "--backend",
    "--precision",
    "--resampling",
    "--exported",
)


def _subparser(name):
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices[name]


def _options(parser) -> dict:
    return {s: a for a in parser._actions for s in a.option_strings}


@pytest.mark.parametrize("command", ["track", "demo", "eval", "trax"])
def test_commands_share_every_tracker_option_with_one_help_text(command):
    reference = _options(_subparser("track"))
    options = _options(_subparser(command))
    for flag in TRACKER_OPTIONS:
        assert flag in options, f"siamfc {command} lacks {flag}"
        assert options[flag].help == reference[flag].help, f"siamfc {command} {flag} has its own help text"
        assert options[flag].dest == reference[flag].dest
        assert options[flag].default == reference[flag].default


def test_serve_and_bench_take_the_parts_that_are_theirs():
    serve, bench = _options(_subparser("serve")), _options(_subparser("bench"))
    assert {"--backend", "--precision", "--resampling", "--exported"} <= set(serve)
    assert "--weights" not in serve  # the page chooses the weights
    assert {"--weights", "--params", "--set"} <= set(bench)
    assert "--backend" not in bench  # its configurations are the backends


def test_override_is_an_alias_of_set_everywhere():
    for command in ("track", "eval"):
        args = build_parser().parse_args([command, *_required(command), "--override", "scale_lr=0.5"])
        assert args.overrides == "scale_lr=0.5"


def test_python_m_siamfc_vot_parses_like_siamfc_trax():
    args = trax_parse_args(
        ["--weights", "scratch", "--params", "5s", "--set", "scale_lr=0.3", "--resampling", "bilinear"]
    )
    assert (args.weights, args.params, args.overrides, args.resampling) == ("scratch", "5s", "scale_lr=0.3", "bilinear")


def test_tracker_kwargs_build_what_the_options_say():
    from siamfc.apps.cli.tracker_options import tracker_kwargs

    args = build_parser().parse_args(
        [
            "track",
            "clip.mp4",
            "--weights",
            "paper",
            "--params",
            "5s",
            "--set",
            "window_influence=0.2",
            "--backend",
            "torch",
        ]
    )
    kw = tracker_kwargs(args)
    assert kw["weights"] == "paper" and kw["params"] == "5s" and kw["window_influence"] == 0.2
    assert kw["backend"] == "torch" and kw["device"] == "cpu"


def _required(command):
    return {"track": ["clip.mp4"], "eval": ["--dataset", "otb2015", "--root", "x"]}[command]
