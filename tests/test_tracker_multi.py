"""Many targets in one tracker: one target is the single tracker bit for bit, several are each
what a tracker of its own gives, targets come and go between frames, engines batch N kernels."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import HAS_ORT, HAS_OV
from synthetic_scene import PooledPixels, Scene

from siamfc.apps.bench import demo_frames
from siamfc.errors import ConfigError, InvalidBoxError, InvalidFrameError, TrackerStateError
from siamfc.model import SiamFC
from siamfc.model.weights import load_weights
from siamfc.runtime import Engine, TorchEngine, create_engine
from siamfc.tracking import MultiTargetTracker, SiamFCTracker, crop_and_resize

ENGINES = (
    [("torch", "fp32")] + ([("onnxruntime", "fp32")] if HAS_ORT else []) + ([("openvino", "fp32")] if HAS_OV else [])
)


@pytest.fixture(scope="module")
def model():
    return load_weights()


@pytest.fixture(scope="module", params=ENGINES, ids=lambda e: " ".join(e))
def engine(request, model):
    """Each installed backend's engine (built once for the tests of this module)."""
    return create_engine(model, *request.param)


@pytest.fixture(scope="module")
def frames():
    """8 frames of the bundled Crossing sequence and its first box."""
    return demo_frames(8)


def test_one_target_is_the_single_tracker_bit_for_bit(engine, frames):
    video, box = frames
    single = SiamFCTracker(engine=engine, resampling="bicubic-aa")
    multi = MultiTargetTracker(engine=engine, resampling="bicubic-aa")
    single.init(video[0], box)
    target = multi.add(video[0], box)
    for frame in video[1:]:
        expected, got = single.update(frame), multi.update(frame)
        assert list(got) == [target]
        assert got[target] == expected  # the same floats, not merely close
        np.testing.assert_array_equal(multi.target(target).last_responses, single.last_responses)


class PerTarget(Engine):
    """An engine with only ``embed`` and ``score``: the default ``score_many`` scores target by target."""

    def __init__(self, inner: Engine) -> None:
        self.inner = inner

    def embed(self, exemplar):
        return self.inner.embed(exemplar)

    def score(self, kernel, search):
        return self.inner.score(kernel, search)


def three_targets(video):
    """Three exemplar crops of frame 0 and, for frame 1, three search crops per target."""
    centres = [(212.0, 174.0), (120.0, 150.0), (60.0, 60.0)]
    z = np.stack([crop_and_resize(video[0], c, 60.0, 127) for c in centres])
    x = np.stack([crop_and_resize(video[1], c, 120.0 * s, 255) for c in centres for s in (0.96, 1.0, 1.04)])
    return z, x


def test_engines_score_n_targets_in_one_call_as_each_alone(engine, frames):
    z, x = three_targets(frames[0])
    kernels = [engine.embed(z[i : i + 1]) for i in range(3)]
    alone = np.concatenate([engine.score(k, x[3 * i : 3 * i + 3]) for i, k in enumerate(kernels)])
    for eng in (engine, PerTarget(engine)):
        together = eng.score_many(eng.stack_kernels(kernels), x)
        assert together.shape == (9, 17, 17) and together.dtype == np.float32
        # A batch of 9 crops may take other kernels (summation order) than a batch of 3: close, not equal.
        np.testing.assert_allclose(together, alone, atol=1e-5 * np.ptp(alone))
    with pytest.raises(InvalidFrameError, match="8 search crops cannot be split among 3 targets"):
        engine.score_many(engine.stack_kernels(kernels), x[:8])


# -- state: synthetic scene, a cheap hand-set embedding ----------------------------------------
def scene_frames(n: int):
    """Two textured objects moving apart on a flat background (two renders blended)."""
    a, b = Scene(0), Scene(1)
    out = []
    for i in range(n):
        fa, fb = a.frame((100 + 3 * i, 100)), b.frame((220 - 2 * i, 140 + i))
        out.append(np.where(np.abs(fb.astype(int) - 128) > np.abs(fa.astype(int) - 128), fb, fa))
    return out, Scene.box((100, 100)), Scene.box((220, 140))


@pytest.mark.parametrize("workers", [1, 2])
def test_targets_come_and_go_between_frames_each_as_its_own_tracker(workers):
    engine = TorchEngine(SiamFC(PooledPixels()), "fp32", fuse=False)
    video, box_a, box_b = scene_frames(9)
    multi = MultiTargetTracker(engine=engine, workers=workers)  # 2: crops and post-processing in threads
    assert multi.update(video[0]) == {} and len(multi) == 0  # nothing to track yet
    a = multi.add(video[0], box_a)
    alone_a = SiamFCTracker(engine=engine)
    alone_a.init(video[0], box_a)
    alone_b, b = SiamFCTracker(engine=engine), None
    for i, frame in enumerate(video[1:], 1):
        results = multi.update(frame)
        expected = {a: alone_a.update(frame)} if a in multi else {}
        if i >= 4:  # b joined on frame 3
            expected[b] = alone_b.update(frame)
        assert list(results) == list(expected)
        for tid, result in expected.items():
            np.testing.assert_allclose(results[tid].box, result.box, rtol=1e-6)
        if i == 3:
            b = multi.add(frame, box_b)  # the frame b is drawn on; a was already moved on it
            alone_b.init(frame, box_b)
            assert multi.ids == [a, b] and multi.crops.shape == (6, 255, 255, 3)
        if i == 6:
            multi.remove(a)
            assert multi.ids == [b] and multi.crops.shape == (3, 255, 255, 3)
    assert results[b].box[0] < box_b[0] - 4  # b moved left with its object
    assert multi.add(video[-1], box_a) == b + 1


def test_bad_input_is_one_clear_error_and_changes_nothing():
    multi = MultiTargetTracker(SiamFC(PooledPixels()))
    video, box_a, box_b = scene_frames(2)
    a = multi.add(video[0], box_a)
    with pytest.raises(InvalidBoxError, match="positive width and height"):
        multi.add(video[0], (10, 10, 0, 5))
    with pytest.raises(InvalidFrameError, match="frame size changed from 320x240 at init to 160x120"):
        multi.add(video[0][:120, :160], box_b)
    with pytest.raises(InvalidFrameError, match="frame size changed"):
        multi.update(video[1][:120, :160])
    with pytest.raises(TrackerStateError, match=r"no target with id 7; tracking \[1\]"):
        multi.remove(7)
    assert multi.ids == [a] and multi.add(video[0], box_b) == a + 1  # failed adds took no id
    multi.remove(a)
    multi.remove(a + 1)
    with pytest.raises(ConfigError, match="workers must be a whole number >= 1, got 0"):
        MultiTargetTracker(SiamFC(PooledPixels()), workers=0)
    assert multi.add(video[0][:120, :160], (10, 10, 40, 40)) == a + 2  # empty again: any frame size
