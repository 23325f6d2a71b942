"""Many targets in one tracker: N SiamFC targets in the same video, one network call per frame.

    tracker = MultiTargetTracker()                      # same arguments as SiamFCTracker
    a = tracker.add(frame, (x, y, w, h))                # -> target id (1, 2, ...)
    b = tracker.add(frame, (x2, y2, w2, h2))
    for frame in frames:
        results = tracker.update(frame)                 # {id: TrackResult(box, score)}
        tracker.remove(a)                               # targets come and go between frames

Each target is a :class:`~siamfc.tracking.SiamFCTracker` of its own -- its state, its crops and
its post-processing are exactly the single tracker's -- sharing this tracker's engine. What is
batched: the N exemplar features are kept stacked (``engine.stack_kernels``), the N x S search
crops are written into one ``(N*S, 255, 255, 3)`` buffer (each target's ``crops`` is its slice of
it) and go through the network in one call (``engine.score_many``); the targets' crops and
post-processing run in a few threads. With one target, every step is the single tracker's, so the
boxes are bit-identical to :class:`SiamFCTracker`'s.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from siamfc.errors import ConfigError, TrackerStateError
from siamfc.io.frames import as_bgr
from siamfc.tracking.tracker import SiamFCTracker, TrackResult, check_frame_size


class MultiTargetTracker:
    """Follow any number of targets through one video; see the module doc.

    Args: those of :class:`~siamfc.tracking.SiamFCTracker` (model, params, weights, rgb, device,
    backend, precision, threads, engine, exported, resampling, parameter overrides), and
    ``workers``: threads that make the targets' crops and post-processing side by side (OpenCV,
    Pillow and NumPy release the GIL); default: the CPU count; 1 makes them one after the other.
    Targets touch only their own state, so the results do not depend on it.

    After each :meth:`update`, ``last_timings`` holds the seconds of (crops of every target, the
    one network call, post-processing of every target). Target ids start at 1 and are never reused.
    """

    def __init__(self, model=None, params="3s", *, workers: int | None = None, **options) -> None:
        if workers is not None and not (isinstance(workers, int) and workers >= 1):
            raise ConfigError(f"workers must be a whole number >= 1, got {workers!r}")
        self.workers = workers or os.cpu_count() or 1
        self._pool: ThreadPoolExecutor | None = None  # started on the first update with two targets or more
        # Building one SiamFCTracker resolves the engine, the parameters and the crop resampling
        # exactly as a single tracker does; every target then shares what it built.
        first = SiamFCTracker(model, params, **options)
        self.engine = first.engine
        self.params = first.params
        self.resampling = first.resampling
        self.rgb = first.rgb
        self._targets: dict[int, SiamFCTracker] = {}
        self._next_id = 1
        self._kernels = None
        self.frame_shape: tuple | None = None
        p = self.params
        self.crops = np.empty((0, p.instance_size, p.instance_size, 3), np.uint8)
        self.last_timings = (0.0, 0.0, 0.0)

    @property
    def ids(self) -> list[int]:
        """The ids of the targets being tracked, in the order they were added."""
        return list(self._targets)

    def __len__(self) -> int:
        return len(self._targets)

    def __contains__(self, target_id) -> bool:
        return target_id in self._targets

    def target(self, target_id: int) -> SiamFCTracker:
        """The tracker of one target (its state and its last score maps, as :class:`SiamFCTracker` documents)."""
        try:
            return self._targets[target_id]
        except (KeyError, TypeError):
            raise TrackerStateError(f"no target with id {target_id!r}; tracking {self.ids}") from None

    def describe(self) -> str:
        return f"{self.engine.describe()}, {self.resampling} crops"

    def add(self, frame, box) -> int:
        """Start tracking the object in ``box = (x, y, w, h)`` (0-based pixels) of ``frame``; its id.

        ``frame`` is the frame the box is drawn on (the other targets are not moved by it); every
        target must be given frames of the same size.
        """
        img = as_bgr(frame, rgb=self.rgb)
        if self._targets:
            check_frame_size(img.shape, self.frame_shape)
        target = SiamFCTracker(engine=self.engine, params=self.params, resampling=self.resampling)
        target.init(img, box)  # checks the box; nothing is registered when it is bad
        target_id = self._next_id
        self._next_id += 1
        self._targets[target_id] = target
        self.frame_shape = img.shape
        self._rebatch()
        return target_id

    def remove(self, target_id: int) -> None:
        """Stop tracking one target (a :class:`TrackerStateError` if there is no such id)."""
        self.target(target_id)
        del self._targets[target_id]
        if not self._targets:
            self.frame_shape = None  # an empty tracker takes frames of any size again
        self._rebatch()

    def _rebatch(self) -> None:
        """Stack the kernels and give each target its slice of one ``(N*S, 255, 255, 3)`` crop buffer."""
        s = self.params.num_scales
        targets = list(self._targets.values())
        crops = np.empty((len(targets) * s, *self.crops.shape[1:]), np.uint8)
        for i, target in enumerate(targets):
            crops[i * s : (i + 1) * s] = target.crops  # keep its last crops (the debug fields point into them)
            target.crops = crops[i * s : (i + 1) * s]
        self.crops = crops
        self._kernels = self.engine.stack_kernels([t.kernel for t in targets]) if targets else None

    def update(self, frame) -> dict[int, TrackResult]:
        """Locate every target in the next ``frame``: ``{id: TrackResult(box, score)}`` ({} with no targets)."""
        if not self._targets:
            self.last_timings = (0.0, 0.0, 0.0)
            return {}
        img = as_bgr(frame, rgb=self.rgb)
        check_frame_size(img.shape, self.frame_shape)
        s = self.params.num_scales
        t0 = time.perf_counter()
        self._each(lambda i, target: target._crop_search(img))  # into its slice of self.crops
        t1 = time.perf_counter()
        responses = self.engine.score_many(self._kernels, self.crops)
        t2 = time.perf_counter()
        located = self._each(lambda i, target: target._locate(responses[i * s : (i + 1) * s]))
        self.last_timings = (t1 - t0, t2 - t1, time.perf_counter() - t2)
        return dict(zip(self._targets, located))

    def _each(self, work) -> list:
        """``work(i, target)`` for every target, in the worker threads when there are several."""
        targets = list(self._targets.values())
        if self.workers < 2 or len(targets) < 2:
            return [work(i, t) for i, t in enumerate(targets)]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="siamfc-targets")
        return list(self._pool.map(work, range(len(targets)), targets))
