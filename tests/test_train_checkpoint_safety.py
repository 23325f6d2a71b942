"""Checkpoints load with weights_only: a file carrying arbitrary pickled objects is refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from siamfc.errors import DataError
from siamfc.training.checkpoint import load_checkpoint, save_checkpoint


class Payload:
    def __reduce__(self):  # what a malicious pickle would run on load
        return (print, ("this must never run",))


def test_checkpoint_round_trip_with_numpy_values(tmp_path):
    state = {"epoch": 3, "rows": [{"auc": np.float64(0.5), "n": np.int64(2)}], "w": torch.ones(2), "arr": np.arange(3)}
    path = save_checkpoint(tmp_path / "c.pt", state)
    back = load_checkpoint(path)
    assert back["epoch"] == 3 and back["rows"][0] == {"auc": 0.5, "n": 2} and back["arr"] == [0, 1, 2]
    assert torch.equal(back["w"], torch.ones(2))


def test_checkpoint_with_code_is_refused(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    torch.save({"epoch": 1, "x": Payload()}, path)
    with pytest.raises(DataError, match="cannot read checkpoint"):
        load_checkpoint(path)
    assert "must never run" not in capsys.readouterr().out
