"""The training config: the paper's defaults, strict YAML, round trip."""

from __future__ import annotations

import pytest

from siamfc.errors import ConfigError
from siamfc.training.config import TrainConfig
from siamfc.training.trainer import lr_at


def test_defaults_are_the_papers():
    c = TrainConfig()
    assert (c.epochs, c.pairs_per_epoch, c.batch_size) == (50, 53_200, 8)
    assert (c.lr_initial, c.lr_final, c.momentum, c.weight_decay) == (1e-2, 1e-5, 0.9, 5e-4)
    assert (c.exemplar_size, c.instance_size, c.search_size, c.label_radius) == (127, 255, 239, 16.0)
    assert (c.max_frame_distance, c.stretch, c.val_fraction, c.gray_prob) == (100, 0.05, 0.1, 0.25)
    assert c.same_frame_prob == c.negative_prob == c.paste_prob == c.flip_prob == c.blur_prob == 0.0


def test_learning_rate_is_geometric_per_epoch():
    c = TrainConfig()
    assert lr_at(c, 1) == pytest.approx(1e-2) and lr_at(c, 50) == pytest.approx(1e-5)
    ratios = [lr_at(c, e + 1) / lr_at(c, e) for e in range(1, 50)]
    assert max(ratios) == pytest.approx(min(ratios))


def test_yaml_round_trip(tmp_path):
    c = TrainConfig(epochs=3, val_videos=["bear"], precision="fp32")
    c.save(tmp_path / "c.yaml")
    assert TrainConfig.load(tmp_path / "c.yaml") == c


def test_unknown_key_is_named_with_a_suggestion(tmp_path):
    (tmp_path / "c.yaml").write_text("epochs: 3\nlearning_rate: 0.1\nweight_decy: 0.001\n")
    with pytest.raises(ConfigError, match=r"'weight_decy' \(did you mean 'weight_decay'\?\)"):
        TrainConfig.load(tmp_path / "c.yaml")


@pytest.mark.parametrize(
    "text, match",
    [
        ("epochs: ten\n", "epochs must be int"),
        ("epochs: 2.5\n", "epochs must be int"),
        ("lr_initial: '0.1'\n", "lr_initial must be float"),
        ("channels_last: true\n", "unknown key"),
        ("precision: fp8\n", "precision must be"),
        ("gray_prob: 1.5\n", "gray_prob must be a probability"),
        ("- a\n- b\n", "expected a mapping"),
        ("epochs: [1\n", "not valid YAML"),
        ("lr_initial: 0.0\n", "lr_initial must be positive"),
        ("lr_final: -1.0e-5\n", "lr_final must be positive"),
    ],
)
def test_bad_values_are_errors(tmp_path, text, match):
    (tmp_path / "c.yaml").write_text(text)
    with pytest.raises(ConfigError, match=match):
        TrainConfig.load(tmp_path / "c.yaml")


def test_ints_are_accepted_for_floats():
    assert TrainConfig.from_dict({"weight_decay": 0, "lr_initial": 1}).lr_initial == 1.0


def test_cli_print_config_and_set(capsys, tmp_path):
    from siamfc.apps.cli import main

    assert main(["train", "--print-config", "--set", "epochs=3", "--set", "val_videos=[bear, cows]"]) == 0
    printed = capsys.readouterr().out
    assert TrainConfig.from_dict(__import__("yaml").safe_load(printed)) == TrainConfig(
        epochs=3, val_videos=["bear", "cows"]
    )
    assert main(["train", "--set", "epoch=3", "--out", str(tmp_path / "r")]) == 2
    assert "did you mean 'epochs'" in capsys.readouterr().err
