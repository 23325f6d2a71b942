"""Property: what users type or hand over -- the three ``--box`` forms, tracker overrides, model
cards -- gives sane values or one error naming the problem (tests/hostile_input.py)."""

from __future__ import annotations

import dataclasses
import json
import math
import tempfile
from pathlib import Path

import numpy as np
from hostile_input import FAST, check_refusal, file_bytes, json_values, number_rows, numbers, row_files, separators
from hypothesis import given, settings
from hypothesis import strategies as st

from siamfc.apps.box_arg import parse_box_arg
from siamfc.errors import ConfigError, SiamFCError, WeightsError
from siamfc.model.weights import read_card
from siamfc.tracking.crop import RESAMPLINGS
from siamfc.tracking.params import PRESETS, TrackerParams, get_params, parse_overrides
from siamfc.tracking.tracker import card_resampling


def check_box(values) -> None:
    assert len(values) == 4 and all(isinstance(v, float) and math.isfinite(v) for v in values)
    assert values[2] > 0 and values[3] > 0


# -- --box -----------------------------------------------------------------------------------------
box_texts = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="0123456789.,-e ", max_size=24),
    number_rows(good_lengths=(4,)),
    st.lists(st.floats(0, 1), min_size=4, max_size=4).map(lambda v: ",".join(map(str, v))),
    st.sampled_from(["a" * 300, "x/" * 200 + "gt.txt", "missing/groundtruth.txt", "\x00", "-5,10,40,60"]),
)


@settings(FAST, max_examples=100)
@given(text=box_texts, height=st.integers(1, 2000), width=st.integers(1, 2000))
def test_box_numbers_give_a_finite_box_or_one_line(text, height, width):
    try:
        arg = parse_box_arg(text)
    except Exception as exc:  # noqa: BLE001 - the property: only our own errors, on one line
        assert isinstance(exc, SiamFCError), f"{type(exc).__name__}: {exc}"
        assert "\n" not in str(exc) and "--box" in str(exc)
        return
    check_box(arg.values)
    if arg.fractions:
        assert all(0 <= v <= 1 for v in arg.values)
    check_box(arg.resolve((height, width, 3)))


@settings(FAST, max_examples=40)
@given(data=file_bytes(row_files(number_rows(good_lengths=(4, 8)))))
def test_box_files_give_a_finite_box_or_name_the_file(data):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "groundtruth.txt"
        path.write_bytes(data)
        try:
            arg = parse_box_arg(str(path))
        except Exception as exc:  # noqa: BLE001 - the property: only our own errors, naming the file
            check_refusal(exc, path, data.decode("utf-8-sig", errors="replace"))
            return
        check_box(arg.values)
        assert not arg.fractions and arg.source == str(path)


# -- tracker overrides -----------------------------------------------------------------------------
FIELDS = [f.name for f in dataclasses.fields(TrackerParams)]
values = st.one_of(
    numbers,
    st.integers(-100, 2000).map(str),
    st.sampled_from(["true", "False", "1", "0", "yes", "3.0", "1e309", "9" * 5000, "", "=", "0.5=1"]),
)
items = st.one_of(
    st.tuples(st.sampled_from(FIELDS), values).map(lambda kv: f"{kv[0]}={kv[1]}"),
    st.text(max_size=15),
)


@settings(FAST, max_examples=100)
@given(
    text=st.lists(items, max_size=4).flatmap(lambda parts: separators.map(lambda sep: sep.join(parts))),
    preset=st.sampled_from(sorted(PRESETS)),
)
def test_overrides_give_sane_parameters_or_a_config_error(text, preset):
    try:
        params = get_params(preset, **parse_overrides(text))
    except ConfigError as exc:
        assert "\n" not in str(exc)
        return
    p = params
    numbers = [getattr(p, f.name) for f in dataclasses.fields(p) if f.name != "pick_scale_on_raw"]
    assert all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in numbers), p
    assert isinstance(p.pick_scale_on_raw, (bool, np.bool_))
    # What one tracking step needs to make sense and to fit in memory.
    assert 1 <= p.num_scales <= 31 and p.num_scales % 2 == 1, p
    assert 1 <= p.scale_step <= 2 and 0 < p.scale_penalty <= 1 and 0 <= p.scale_lr <= 1, p
    assert 0 <= p.window_influence <= 1 and 0 <= p.context <= 10 and 1 <= p.response_up <= 64, p
    assert 87 <= p.exemplar_size <= p.instance_size <= 1024, p  # 87 px: AlexNet's smallest input
    assert 0 < p.min_scale <= 1 <= p.max_scale <= 100, p


# -- model cards -----------------------------------------------------------------------------------
cards = st.one_of(
    json_values.map(json.dumps).map(str.encode),
    st.dictionaries(
        st.sampled_from(["crop_resampling", "weights_sha256", "architecture", "scores"]), json_values, max_size=3
    )
    .map(json.dumps)
    .map(str.encode),
    st.fixed_dictionaries({"crop_resampling": st.sampled_from([*RESAMPLINGS, "nearest", 3, None])})
    .map(json.dumps)
    .map(str.encode),
    st.binary(max_size=60),
    st.sampled_from([b"[" * 50_000, b"\xef\xbb\xbf{}", "{}".encode("utf-16"), b""]),
)


@settings(FAST, max_examples=50)
@given(card=cards, with_weights=st.booleans())
def test_model_cards_read_as_a_dict_or_are_refused_by_name(card, with_weights):
    with tempfile.TemporaryDirectory() as d:
        weights = Path(d) / "w.safetensors"
        if with_weights:
            weights.write_bytes(b"not really weights")  # the card's hash is checked against these bytes
        weights.with_suffix(".json").write_bytes(card)
        try:
            read = read_card(weights)
        except Exception as exc:  # noqa: BLE001 - the property: only our own errors, naming the card
            assert isinstance(exc, WeightsError), f"{type(exc).__name__}: {exc}"
            check_refusal(exc, weights.with_suffix(".json"))
        else:
            assert isinstance(read, dict)
        try:
            assert card_resampling(weights) in RESAMPLINGS
        except (WeightsError, ConfigError) as exc:
            check_refusal(exc, weights.with_suffix(".json"))
