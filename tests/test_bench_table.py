"""siamfc bench's bookkeeping (not a timing test): every variant is run on the same frames and
ratios are relative to the first variant."""
from __future__ import annotations

from siamfc.bench import demo_frames, format_table, run_bench
from siamfc.tracking.tracker import TrackResult


class CountingTracker:
    def __init__(self):
        self.inits, self.updates = 0, 0

    def init(self, frame, box):
        self.inits += 1

    def update(self, frame):
        self.updates += 1
        return TrackResult((0.0, 0.0, 1.0, 1.0), 0.0)


def test_every_variant_tracks_every_frame_and_ratios_are_relative_to_the_first():
    frames, box = demo_frames(12)
    assert len(frames) == 12 and frames[0].ndim == 3 and box[2] > 0 and box[3] > 0
    made = []

    def factory():
        made.append(CountingTracker())
        return made[-1]

    rows = run_bench({"a": factory, "b": factory}, frames, box, repeats=2)
    assert [r["variant"] for r in rows] == ["a", "b"] and rows[0]["ratio"] == 1.0
    for t in made:  # warm-up on 5 frames, then 2 timed repeats over all 12
        assert t.inits == 3 and t.updates == 4 + 2 * 11
    assert rows[1]["ratio"] == rows[1]["fps"] / rows[0]["fps"]
    assert "| a |" in format_table(rows) and "| b |" in format_table(rows)
