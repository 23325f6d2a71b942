"""Parameter-set files: wherever a set's name is accepted, a YAML file is too, checked key by key."""

from __future__ import annotations

import pytest
from synthetic_scene import PooledPixels

from siamfc.apps.cli import build_parser, main
from siamfc.apps.cli.serve import param_files
from siamfc.errors import ConfigError
from siamfc.model import SiamFC
from siamfc.tracking import PRESETS, SiamFCTracker, get_params, load_params_file, save_params_file

TUNED = {"scale_step": 1.041, "scale_penalty": 0.968, "scale_lr": 0.52, "window_influence": 0.21}


def write(path, text: str):
    path.write_text(text)
    return path


def test_a_saved_set_reads_back_equal_and_records_stay_records(tmp_path):
    tuned = PRESETS["5s"].replace(**TUNED)
    path = save_params_file(tmp_path / "p.yaml", tuned, "5s", {"weights_sha256": "ab" * 32, "held_out": 0.6})
    assert load_params_file(path) == tuned
    assert get_params(path) == tuned and get_params(str(path)) == tuned
    assert get_params(str(path), window_influence=0.3).window_influence == 0.3  # --set still applies on top
    assert get_params(path).num_scales == 5  # the base set's values that the file does not change
    # Only base, params and the records: the file is small enough to read and edit by hand.
    text = path.read_text()
    assert "base: 5s" in text and "weights_sha256" in text and "exemplar_size" not in text


def test_the_tracker_takes_a_file_where_it_takes_a_name(tmp_path):
    path = save_params_file(tmp_path / "p.yaml", PRESETS["3s"].replace(**TUNED), "3s")
    tracker = SiamFCTracker(SiamFC(PooledPixels()), params=str(path))
    assert tracker.params.scale_step == TUNED["scale_step"]
    assert len(tracker.scale_factors) == 3


@pytest.mark.parametrize(
    "text, message",
    [
        ("base: 3s\nparams: {window: 0.2}\n", "unknown tracker parameter"),
        ("base: 3s\nextra: 1\n", "unknown key"),
        ("base: 7s\n", "base must be one of"),
        ("params: {num_scales: 3.0}\n", "num_scales must be a finite int"),
        ("params: {num_scales: true}\n", "num_scales must be a finite int"),
        ("params: {pick_scale_on_raw: 1}\n", "pick_scale_on_raw must be a finite bool"),
        ("params: {scale_lr: fast}\n", "scale_lr must be a finite float"),
        ("params: {scale_lr: .nan}\n", "scale_lr must be a finite float"),
        ("params: {window_influence: 1.5}\n", "window_influence must be in"),
        ("params: {scale_penalty: 1.2}\n", "scale_penalty must be in"),
        ("params: {num_scales: 4}\n", "num_scales must be a positive odd"),
        ("params: [1, 2]\n", "params must be a mapping"),
        ("- 3s\n", "a mapping"),
        ("params: {scale_lr: [0.5\n", "not a readable YAML"),
    ],
)
def test_a_bad_file_is_one_config_error_naming_it(tmp_path, text, message):
    path = write(tmp_path / "bad.yaml", text)
    with pytest.raises(ConfigError, match=message) as err:
        get_params(str(path))
    assert str(path) in str(err.value)


def test_names_and_missing_files():
    with pytest.raises(ConfigError, match="unknown parameter set '7s'.*YAML file"):
        get_params("7s")
    with pytest.raises(ConfigError, match="parameter-set file not found: nowhere/p.yaml"):
        get_params("nowhere/p.yaml")


def test_every_tracking_command_accepts_a_file(tmp_path):
    path = str(save_params_file(tmp_path / "p.yaml", PRESETS["3s"].replace(**TUNED), "3s"))
    parser = build_parser()
    for argv in (
        ["track", "clip.mp4", "--params", path],
        ["demo", "--params", path],
        ["eval", "--dataset", "bench", "--root", "x", "--params", path],
        ["trax", "--params", path],
    ):
        assert parser.parse_args(argv).params == path
    assert parser.parse_args(["bench", "--params", "3s", path]).params == ["3s", path]
    assert parser.parse_args(["serve", "--params", path]).params == [path]
    assert param_files([path]) == {"p": get_params(path)}


@pytest.mark.app
def test_serve_refuses_a_bad_or_clashing_file_before_it_listens(tmp_path, capsys):
    bad = write(tmp_path / "bad.yaml", "params: {scale_lr: 2}\n")
    assert main(["serve", "--port", "0", "--params", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.yaml" in err[0] and "scale_lr" in err[0]
    clash = save_params_file(tmp_path / "3s.yaml", PRESETS["3s"], "3s")
    with pytest.raises(ConfigError, match="taken"):
        param_files([str(clash)])
