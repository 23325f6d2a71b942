"""Bad boxes and frames given to the tracker: a clear error naming the problem, or documented handling."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_scene import PooledPixels, Scene

from siamfc.errors import InvalidBoxError, InvalidFrameError, SiamFCError, TrackerStateError
from siamfc.model import SiamFC
from siamfc.tracking import SiamFCTracker, TrackerSiamFC

FRAME = Scene(0).frame((160, 120))  # 320 x 240
BOX = Scene.box((160, 120))


def tracker() -> SiamFCTracker:
    return SiamFCTracker(SiamFC(PooledPixels()), num_scales=1)


@pytest.mark.parametrize(
    "box, message",
    [
        ((10, 10, 0, 20), "positive width and height"),
        ((10, 10, 20, 0), "positive width and height"),
        ((10, 10, -5, 20), "positive width and height"),
        ((10, 10, float("nan"), 20), "non-finite"),
        ((float("nan"), 10, 20, 20), "non-finite"),
        ((10, 10, float("inf"), 20), "non-finite"),
        ((400, 10, 20, 20), "entirely outside the 320x240 frame"),
        ((10, -50, 20, 30), "entirely outside"),
        ((-30, 10, 30, 20), "entirely outside"),  # covers x = -30 .. -1
        ((10, 10, 20), "four numbers"),
        ("10,10,20,20", "four numbers"),
    ],
)
def test_bad_boxes(box, message):
    with pytest.raises(InvalidBoxError, match=message):
        tracker().init(FRAME, box)


def test_box_partly_outside_is_fine():
    t = tracker()
    t.init(FRAME, (-10, -10, 30, 30))  # tracked with mean-colour padding
    assert len(t.update(FRAME).box) == 4


def test_update_before_init():
    with pytest.raises(TrackerStateError, match=r"update\(\) called before init\(\)"):
        tracker().update(FRAME)
    with pytest.raises(TrackerStateError):
        TrackerSiamFC(tracker()).update(FRAME)


def test_frame_size_changed_after_init():
    t = tracker()
    t.init(FRAME, BOX)
    with pytest.raises(InvalidFrameError, match="frame size changed from 320x240 at init to 160x240"):
        t.update(FRAME[:, :160])


@pytest.mark.parametrize(
    "frame, message",
    [
        (FRAME.astype(np.float32), "must be uint8, got float32"),
        (FRAME[..., :2], "1, 3 or 4 channels, got 2"),
        (np.zeros((0, 10, 3), np.uint8), "got shape"),
        (np.zeros((4, 4, 4, 3), np.uint8), "got shape"),
        (FRAME.tolist(), "numpy array, got list"),
        (None, "numpy array, got NoneType"),
    ],
)
def test_bad_frames(frame, message):
    with pytest.raises(InvalidFrameError, match=message):
        tracker().init(frame, BOX)
    t = tracker()
    t.init(FRAME, BOX)
    with pytest.raises(InvalidFrameError, match=message):
        t.update(frame)


def boxes(frames, rgb=False):
    t = SiamFCTracker(SiamFC(PooledPixels()), num_scales=1, rgb=rgb)
    t.init(frames[0], BOX)
    return [t.update(f) for f in frames[1:]]


def test_grey_frames_are_converted():
    """Documented: H x W (and H x W x 1) grey frames are replicated to three channels."""
    scene = Scene(1)
    colour = [scene.frame((160 + 2 * i, 120 - i)) for i in range(3)]
    grey = [f[..., 1] for f in colour]
    as_three = [np.dstack([g, g, g]) for g in grey]
    assert boxes(grey) == boxes(as_three) == boxes([g[..., None] for g in grey])


def test_rgba_frames_lose_their_alpha():
    """Documented: 4-channel frames are BGRA (or RGBA with rgb=True); the alpha channel is dropped."""
    scene = Scene(2)
    bgr = [scene.frame((160 - 3 * i, 120 + i)) for i in range(3)]
    alpha = np.random.default_rng(0).integers(0, 256, bgr[0].shape[:2], dtype=np.uint8)
    bgra = [np.dstack([f, alpha]) for f in bgr]
    assert boxes(bgra) == boxes(bgr)
    rgba = [np.dstack([f[..., ::-1], alpha]) for f in bgr]
    assert boxes(rgba, rgb=True) == boxes(bgr)


def test_errors_are_siamfc_errors():
    """Every user error derives from SiamFCError (the command line prints it as one line)."""
    for cls in (InvalidBoxError, InvalidFrameError, TrackerStateError):
        assert issubclass(cls, SiamFCError)


def test_unknown_precision_is_a_config_error():
    with pytest.raises(SiamFCError, match="precision must be one of auto, fp32, bf16"):
        SiamFCTracker(model=SiamFC(), precision="fp16")
