"""Tuning the tracking parameters for given weights on given videos (``siamfc tune``).

Modules: :mod:`~siamfc.tuning.videos` (reading the videos, clips, the held-out split),
:mod:`~siamfc.tuning.space` (what is searched), :mod:`~siamfc.tuning.scoring` (a set's AUC on
clips), :mod:`~siamfc.tuning.study` (the Optuna study: storage, workers, resuming) and
:mod:`~siamfc.tuning.run` (:func:`tune`: the search, the held-out check, the output files).
Optuna is an optional dependency: ``pip install 'siamfc[tune]'``.
"""

from siamfc.tuning.run import TuneResult, tune

__all__ = ["TuneResult", "tune"]
