"""An OpenCV-style face for the tracker, so ``cv2.TrackerCSRT_create()`` code switches by one line.

tracker = siamfc.TrackerSiamFC_create()      # was: cv2.TrackerCSRT_create()
tracker.init(frame, (x, y, w, h))
ok, (x, y, w, h) = tracker.update(frame)
"""

from __future__ import annotations

from siamfc.tracking.tracker import SiamFCTracker


class TrackerSiamFC:
    """``init(frame, box)`` / ``update(frame) -> (ok, box)`` as OpenCV's trackers do.

    ``ok`` is False when the peak score falls below ``min_score``: by default the tracker's lost
    threshold (``lost_threshold``, calibrated per weights file on held-out video and stored in its
    model card, see :mod:`siamfc.tracking.lost`; never False where the card has none); the box is
    then still the tracker's best guess. ``min_score`` overrides it (``float("-inf")``: always ok).
    ``redetect=True`` wraps the tracker in a :class:`~siamfc.tracking.redetect.Redetector`, which
    searches wider after a few lost frames. Boxes are returned as ``(x, y, w, h)`` floats
    (``cv2.rectangle`` wants ints: round them).
    """

    def __init__(
        self, tracker: SiamFCTracker | None = None, min_score: float | None = None, redetect: bool = False, **kwargs
    ):
        tracker = tracker if tracker is not None else SiamFCTracker(**kwargs)
        if redetect:
            from siamfc.tracking.redetect import Redetector

            self.tracker: SiamFCTracker | Redetector = Redetector(tracker)
        else:
            self.tracker = tracker
        if min_score is None:
            threshold = getattr(self.tracker, "lost_threshold", None)
            min_score = float("-inf") if threshold is None else threshold
        self.min_score = min_score
        self.score = None

    @classmethod
    def create(cls, **kwargs) -> TrackerSiamFC:
        return cls(**kwargs)

    def init(self, frame, box) -> None:
        self.tracker.init(frame, box)

    def update(self, frame):
        box, score = self.tracker.update(frame)
        self.score = score
        return score >= self.min_score, box


def create(**kwargs) -> TrackerSiamFC:
    """Like ``cv2.TrackerCSRT_create()``: an OpenCV-style SiamFC tracker (kwargs go to SiamFCTracker)."""
    return TrackerSiamFC.create(**kwargs)


TrackerSiamFC_create = create
