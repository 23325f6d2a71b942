"""Frames decoded in a background thread: same frames, same order, errors where they happened."""

from __future__ import annotations

import threading

import pytest

from siamfc.errors import DataError
from siamfc.io.video import Prefetch


def test_prefetch_yields_every_frame_in_order():
    assert list(Prefetch(iter(range(100)), depth=3)) == list(range(100))


def test_a_source_error_is_raised_in_the_consumer_after_the_good_frames():
    def frames():
        yield 1
        yield 2
        raise DataError("frame 3 is corrupt")

    got = []
    with pytest.raises(DataError, match="frame 3 is corrupt"):
        for frame in Prefetch(frames()):
            got.append(frame)
    assert got == [1, 2]


def test_stopping_early_stops_the_thread_and_closes_the_source():
    closed = threading.Event()

    def frames():
        try:
            yield from range(10_000)
        finally:
            closed.set()

    prefetch = Prefetch(frames(), depth=2)
    for i in prefetch:
        if i == 5:
            break
    prefetch.close()
    assert not prefetch._thread.is_alive() and closed.wait(1.0)
