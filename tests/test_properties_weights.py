"""Property: weight files of other projects -- TFLite flatbuffers, MatConvNet ``.mat`` files --
give finite weights or a WeightsError naming the file, whatever their bytes (tests/hostile_input.py).

Cases: arbitrary bytes (with and without the TFLite identifier / the MATLAB header text), and
valid files damaged -- bytes changed in the header or anywhere, or cut short. The valid ``.mat`` is
made here (tests/test_weights_convert.py's DagNN writer); the valid TFLite file is the authors'
(``../shared``), so that part skips on a bare clone.
"""

from __future__ import annotations

import functools
import importlib.util
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import SHARED
from hostile_input import FAST, check_refusal
from hypothesis import example, given, settings
from hypothesis import strategies as st

from siamfc.errors import WeightsError

HAS_TFLITE = importlib.util.find_spec("tflite") is not None
HAS_SCIPY = importlib.util.find_spec("scipy") is not None
INT8 = SHARED / "weights" / "siamfc-2016-08-17-color-int8"
CORRELATION = INT8 / "cross_correlation_scale3.tflite"
EMBEDDING = INT8 / "template_image_feature_extractor_full_quant_scale1.tflite"


@st.composite
def damaged(draw, original: bytes, head: int, tail: int = 0):
    """``original`` with a few bytes changed -- often within its first ``head`` or last ``tail``
    bytes, where the file's structure is -- or cut short."""
    data = bytearray(original)
    if draw(st.integers(0, 3)) == 0:
        return bytes(data[: draw(st.integers(0, len(data) - 1))])
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.sampled_from(["head", "tail", "anywhere"] if tail else ["head", "anywhere"]))
        low, high = {"head": (0, head), "tail": (len(data) - tail, len(data)), "anywhere": (0, len(data))}[where]
        data[draw(st.integers(low, high - 1))] = draw(st.integers(0, 255))
    return bytes(data)


def _refused_or_finite(read, path: Path) -> None:
    try:
        out = read(path)
    except Exception as exc:  # noqa: BLE001 - the property: only WeightsError, naming the file
        assert isinstance(exc, WeightsError), f"{type(exc).__name__}: {exc}"
        check_refusal(exc, path)
        return
    for value in out if isinstance(out, (tuple, list)) else [out]:
        if isinstance(value, torch.nn.Module):
            assert all(bool(torch.isfinite(t).all()) for t in value.state_dict().values() if t.is_floating_point())
        elif value is not None and not isinstance(value, dict):
            assert np.isfinite(value).all()


def _write(data: bytes, name: str):
    d = tempfile.TemporaryDirectory()
    path = Path(d.name) / name
    path.write_bytes(data)
    return d, path


# -- TFLite ----------------------------------------------------------------------------------------
def _tflite_readers(path: Path):
    from siamfc.model.tflite import read_score_adjustment, read_tflite

    _refused_or_finite(read_score_adjustment, path)
    _refused_or_finite(lambda p: read_tflite(p).filters["conv1"], path)


@pytest.mark.skipif(not HAS_TFLITE, reason="the tflite package (convert extra)")
@settings(FAST, max_examples=40)
@given(
    data=st.one_of(
        st.binary(max_size=64),
        st.tuples(st.binary(min_size=4, max_size=4), st.binary(max_size=200)).map(lambda t: t[0] + b"TFL3" + t[1]),
    )
)
def test_any_bytes_as_a_tflite_file(data):
    d, path = _write(data, "net.tflite")
    with d:
        _tflite_readers(path)


@pytest.mark.skipif(not (HAS_TFLITE and EMBEDDING.is_file()), reason=f"the tflite package and {INT8}")
@pytest.mark.parametrize(
    "name, examples, flip",
    # The embedding file with a table offset in its last 8 KB changed: struct.error deep in the reader, once.
    [(CORRELATION.name, 40, None), (EMBEDDING.name, 12, (-2362, 52))],
)
def test_damaged_tflite_files(name, examples, flip):
    original = (INT8 / name).read_bytes()
    flipped = bytearray(original)
    if flip:
        flipped[flip[0]] = flip[1]

    @settings(FAST, max_examples=examples)
    @given(data=damaged(original, head=min(4096, len(original)), tail=min(8192, len(original))))
    @example(data=bytes(flipped))
    def check(data):
        d, path = _write(data, name)
        with d:
            _tflite_readers(path)

    check()


# -- MatConvNet .mat -------------------------------------------------------------------------------
@functools.cache
def _valid_mat(full: bool) -> bytes:
    """A DagNN .mat as MatConvNet saves it: SiamFC's parameters (``full``) or a few small ones."""
    from test_weights_convert import matconvnet_params, write_dagnn_mat

    params = matconvnet_params() if full else {"br_conv1f": np.ones((2, 2, 3, 4), np.float32), "x": np.zeros(1)}
    with tempfile.TemporaryDirectory() as d:
        write_dagnn_mat(Path(d) / "net.mat", params)
        return (Path(d) / "net.mat").read_bytes()


def _mat_readers(path: Path):
    from siamfc.model.convert import from_matconvnet, read_matconvnet_params

    _refused_or_finite(lambda p: from_matconvnet(read_matconvnet_params(p), source=str(p)), path)


@pytest.mark.skipif(not HAS_SCIPY, reason="scipy (convert extra)")
@settings(FAST, max_examples=20)
@given(data=st.one_of(st.binary(max_size=200), st.binary(max_size=200).map(lambda b: b"MATLAB 5.0 MAT-file" + b)))
def test_any_bytes_as_a_mat_file(data):
    d, path = _write(data, "net.mat")
    with d:
        _mat_readers(path)


@pytest.mark.skipif(not HAS_SCIPY, reason="scipy (convert extra)")
@pytest.mark.parametrize("full, examples", [(False, 15), (True, 3)])
def test_damaged_mat_files(full, examples):
    original = _valid_mat(full)
    d, path = _write(original, "net.mat")
    with d:
        _mat_readers(path)  # the undamaged file: converted (full) or refused by name (small)

    @settings(FAST, max_examples=examples)
    @given(data=damaged(original, head=256))
    def check(data):
        d, path = _write(data, "net.mat")
        with d:
            _mat_readers(path)

    check()


@pytest.mark.skipif(not HAS_SCIPY, reason="scipy (convert extra)")
@pytest.mark.parametrize("where", ["br_conv3f", "fin_adjust_bnx"])
def test_non_finite_mat_parameters_are_refused_not_converted(where, tmp_path):
    """A NaN in a filter (or the score adjustment's moments) once became a network of NaN scores."""
    from test_weights_convert import matconvnet_params, write_dagnn_mat

    params = matconvnet_params()
    params[where] = params[where].copy()
    params[where].flat[1] = np.nan
    write_dagnn_mat(tmp_path / "net.mat", params)
    with pytest.raises(WeightsError, match=rf"net.mat: parameter '{where}' holds numbers that are not finite"):
        _mat_readers_strict(tmp_path / "net.mat")


def _mat_readers_strict(path: Path):
    from siamfc.model.convert import from_matconvnet, read_matconvnet_params

    return from_matconvnet(read_matconvnet_params(path), source=str(path))


@pytest.mark.skipif(not HAS_SCIPY, reason="scipy (convert extra)")
def test_a_mat_file_that_crashes_scipys_reader_is_a_weights_error(tmp_path):
    """One byte of an element's type code changed (9, miDOUBLE -> 24073): scipy's reader indexes its
    type table with it and crashes the process (a segmentation fault, in most runs). Read in a child
    process, it is one WeightsError naming the file."""
    data = bytearray(_valid_mat(False))
    at = data.index(b"\x09\x00\x00\x00\x08\x00\x00\x00", 128)  # the tag of a 1-number double
    data[at + 1] = 94
    (tmp_path / "net.mat").write_bytes(bytes(data))
    with pytest.raises(WeightsError, match=r"cannot read .*net.mat as a .mat file"):
        _mat_readers_strict(tmp_path / "net.mat")
