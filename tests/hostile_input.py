"""Strategies and checks shared by the property tests (tests/test_properties_*.py).

The property every parser of outside input must have: any input either parses to finite, sane
values, or raises the project's own error (:class:`~siamfc.errors.SiamFCError`) with a one-line
message naming the file -- and, where it names a line, a line the file has. Anything else (a
traceback from inside numpy, a hang) fails the test. The generated cases are small and few
(``max_examples`` in each test) so that the whole set stays fast; ``deadline`` is a guard against
hangs (seconds per example, far above what any case takes), not a speed measurement.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from siamfc.errors import SiamFCError

#: Per test: few, small cases; a hang guard far above any real case; no shrinking budget blown on
#: slow file systems.
FAST = settings(
    max_examples=60, deadline=timedelta(seconds=10), suppress_health_check=[HealthCheck.too_slow], derandomize=False
)

#: Tokens a hostile or broken file may hold where a number belongs.
ODD_TOKENS = [
    "nan",
    "NaN",
    "-nan",
    "inf",
    "-Infinity",
    "1e999",
    "-1e999",
    "1e-999",
    "0x10",
    "1_000",
    "1,5",
    "--1",
    "",
    " ",
    "x",
    "٣",
    "1e",
    "+.5",
    "\x00",
    "\u2028",
    "m0,0,2,2,1,3",
]

numbers = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True, width=64).map(repr),
    st.floats(-1e4, 1e4, allow_nan=False).map(lambda v: f"{v:.3f}"),
    st.sampled_from(ODD_TOKENS),
)
#: Any JSON value: what a JSON file from the field may hold where an object was expected.
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(allow_nan=True), st.integers(-(10**20), 10**20), st.text(max_size=8)),
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
separators = st.sampled_from([",", "\t", " ", ";", ", ", "  ", ",\t", "|"])


@st.composite
def number_rows(draw, lengths=(1, 2, 3, 4, 5, 6, 7, 8, 9), good_lengths=(4, 8)):
    """One row of numbers (mostly of a length the format allows) joined by one or mixed separators."""
    n = draw(st.sampled_from(good_lengths) if draw(st.booleans()) else st.sampled_from(lengths))
    tokens = draw(st.lists(numbers, min_size=n, max_size=n))
    seps = draw(st.lists(separators, min_size=max(n - 1, 0), max_size=max(n - 1, 0)))
    out = tokens[0] if tokens else ""
    for sep, tok in zip(seps, tokens[1:]):
        out += sep + tok
    return out


@st.composite
def row_files(draw, rows=None, max_rows=12):
    """The text of a row-per-frame file: rows, some blank or junk lines, a BOM, CRLF or CR line ends."""
    rows = rows if rows is not None else number_rows()
    lines = draw(
        st.lists(
            st.one_of(rows, rows, rows, st.sampled_from(["", "   ", "\t"]), st.text(max_size=20)),
            min_size=0,
            max_size=max_rows,
        )
    )
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = ending.join(lines) + draw(st.sampled_from(["", ending, ending * 3]))
    return draw(st.sampled_from(["", "\ufeff"])) + text


def file_bytes(text_strategy):
    """Bytes of a file: the text as UTF-8 mostly, sometimes in another encoding or raw bytes."""
    return st.one_of(
        text_strategy.map(lambda t: t.encode("utf-8")),
        text_strategy.map(lambda t: t.encode("utf-16")),
        st.binary(max_size=200),
    )


def check_refusal(exc: BaseException, path: Path, text: str | None = None) -> None:
    """A refusal must be the project's own error, on one line, naming ``path``; a line it names
    (``path:LINE``) must be one of the file's lines."""
    assert isinstance(exc, SiamFCError), f"{type(exc).__name__}: {exc}"
    message = str(exc)
    assert "\n" not in message, message
    assert str(path) in message, f"{message!r} does not name {path}"
    line = re.search(re.escape(str(path)) + r":(\d+)", message)
    if line and text is not None:
        assert 1 <= int(line.group(1)) <= max(1, len(re.split(r"\r\n|\r|\n", text))), message


def check_rows(rows: np.ndarray, columns=(4, 8)) -> None:
    """Sane rows: a 2-D float array of an allowed width, each row all finite or all NaN."""
    assert rows.ndim == 2 and rows.shape[1] in columns and len(rows) > 0, rows.shape
    finite = np.isfinite(rows).all(axis=1)
    missing = np.isnan(rows).all(axis=1)
    assert (finite | missing).all(), rows
