"""Score one parameter set on clips: the tracker the commands run, one engine shared by every set.

Only the post-processing depends on the tracking parameters, so a process builds its engine
(the network, compiled or exported once) and makes a fresh :class:`~siamfc.tracking.SiamFCTracker`
around it for each clip. The score of a clip is its OTB one-pass success AUC (the training's
validation measure, :func:`siamfc.training.validation.success_auc`); a set's score is the mean
over clips, each clip weighing the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from siamfc.tracking.params import TrackerParams
from siamfc.tuning.videos import Clip


@dataclass(frozen=True)
class EngineSpec:
    """What runs the network (picklable: each worker process builds its own engine from it):
    the weights file, or ``model`` (a SiamFC object, for Python callers; no model card: bilinear crops)."""

    weights: str | None
    backend: str = "auto"
    precision: str = "auto"
    device: str = "cpu"
    exported: str | None = None
    resampling: str | None = None
    threads: int | None = None
    model: object = None

    def build(self, num_scales: int):
        """``(engine, resampling)``: the engine, warmed up for ``num_scales``, and the crops it gets."""
        from siamfc.runtime import create_engine
        from siamfc.tracking.tracker import card_resampling

        engine = create_engine(
            self.model,
            self.backend,
            self.precision,
            weights=self.weights,
            device=self.device,
            threads=self.threads,
            exported=self.exported,
            warm_up_scales=num_scales,
        )
        return engine, self.resampling or card_resampling(self.weights, has_file=self.model is None)


def clip_auc(engine, resampling: str, params: TrackerParams, clip: Clip) -> float:
    """Success AUC of ``params`` on one clip (tracking starts from the clip's first box)."""
    from siamfc.training.validation import success_auc, track_sequence

    pred, gt = track_sequence(
        None, clip.seq, clip.start, clip.end - clip.start, engine=engine, params=params, resampling=resampling
    )
    return success_auc(pred, gt, clip.name)


def score_clips(
    engine, resampling: str, params: TrackerParams, clips: list[Clip], after_each: Callable | None = None
) -> dict[str, float]:
    """``{clip name: AUC}`` over ``clips`` in order; ``after_each(step, running_mean)`` is called
    after each clip (it may raise to stop, as a pruned trial does)."""
    scores: dict[str, float] = {}
    for step, clip in enumerate(clips):
        scores[clip.name] = clip_auc(engine, resampling, params, clip)
        if after_each is not None:
            after_each(step, float(np.mean(list(scores.values()))))
    return scores


def mean(scores: dict[str, float]) -> float:
    return float(np.mean(list(scores.values()))) if scores else float("nan")
