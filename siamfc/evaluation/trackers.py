"""Trackers the harness can run: SiamFC and OpenCV's peers, all behind one ``init`` / ``update`` contract.

``init(frame, box)`` takes an ``H x W x 3`` uint8 BGR frame and a 0-based ``(x, y, w, h)`` box;
``update(frame)`` returns a :class:`~siamfc.tracking.TrackResult` ``(box, score)``.

Peers (``opencv-contrib``):

* ``csrt``, ``kcf``, ``mil``: ``cv2.TrackerCSRT_create()`` etc. with OpenCV's default parameters.
* ``nano``: ``cv2.TrackerNano`` -- needs its two ONNX files (backbone, neck/head): ``onnx=(b, n)``.
* ``vit``: ``cv2.TrackerVit`` -- needs its ONNX file: ``onnx=(net,)``.

OpenCV trackers take integer rectangles: the box is rounded (position to the nearest pixel, size
at least 1 px) before ``init``. When an OpenCV tracker reports a failure (``ok`` False, as KCF
does when its peak is too weak), the box it returns is not a location (KCF gives ``0,0,0,0``);
the wrapper then repeats its last box and gives score 0 -- the convention of the OTB toolkit's
wrappers and of ``cv2`` demo code. ``score`` is 1.0 when ``ok``; NanoTrack and VitTrack expose
their confidence through ``getTrackingScore()``, which is used when present.

A :class:`TrackerSpec` is a picklable recipe (worker processes build their own tracker from it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from siamfc.errors import ConfigError, InvalidBoxError
from siamfc.io.frames import as_bgr
from siamfc.tracking.tracker import TrackResult, check_box

PEERS = ("csrt", "kcf", "mil", "nano", "vit")
KINDS = ("siamfc",) + PEERS


def _opencv_factory(kind: str, onnx: tuple):
    if kind == "csrt":
        return cv2.TrackerCSRT_create
    if kind == "kcf":
        return cv2.TrackerKCF_create
    if kind == "mil":
        return cv2.TrackerMIL_create
    missing = [p for p in onnx if not Path(p).is_file()]
    if missing:
        raise ConfigError(f"{kind}: ONNX file not found: {missing[0]}")
    if kind == "nano":
        if len(onnx) != 2:
            raise ConfigError("nano needs two ONNX files: --onnx BACKBONE.onnx NECKHEAD.onnx")
        params = cv2.TrackerNano_Params()
        params.backbone, params.neckhead = str(onnx[0]), str(onnx[1])
        return lambda: cv2.TrackerNano_create(params)
    if kind == "vit":
        if len(onnx) != 1:
            raise ConfigError("vit needs one ONNX file: --onnx VITTRACK.onnx")
        params = cv2.TrackerVit_Params()
        params.net = str(onnx[0])
        return lambda: cv2.TrackerVit_create(params)
    raise ConfigError(f"unknown OpenCV tracker {kind!r}; one of {PEERS}")


def to_cv_rect(box) -> tuple[int, int, int, int]:
    """A float ``(x, y, w, h)`` as the integer rectangle OpenCV trackers accept."""
    x, y, w, h = (float(v) for v in box)
    return int(round(x)), int(round(y)), max(1, int(round(w))), max(1, int(round(h)))


class OpenCVTracker:
    """An OpenCV tracker with the harness's contract (see the module doc)."""

    def __init__(self, kind: str, onnx: tuple = ()):
        self.kind = kind
        self._create = _opencv_factory(kind, tuple(onnx))
        self._tracker = None
        self._last = None

    def init(self, frame, box) -> None:
        img = as_bgr(frame)
        box = check_box(box, img.shape)
        self._tracker = self._create()  # a fresh tracker: OpenCV's cannot be re-initialised reliably
        try:
            self._tracker.init(img, to_cv_rect(box))
        except cv2.error as exc:
            raise InvalidBoxError(
                f"OpenCV {self.kind} rejected the box {box}: {str(exc).strip().splitlines()[-1]}"
            ) from None
        self._last = tuple(float(v) for v in box)

    def update(self, frame) -> TrackResult:
        if self._tracker is None:
            from siamfc.errors import TrackerStateError

            raise TrackerStateError("update() called before init()")
        ok, rect = self._tracker.update(as_bgr(frame))
        score = 1.0 if ok else 0.0
        get_score = getattr(self._tracker, "getTrackingScore", None)
        if ok and get_score is not None:
            score = float(get_score())
        if ok and rect[2] > 0 and rect[3] > 0:
            self._last = tuple(float(v) for v in rect)
        return TrackResult(self._last, score)


@dataclass(frozen=True)
class TrackerSpec:
    """A picklable recipe for a tracker: ``kind`` plus what building it needs.

    Args:
        kind: ``siamfc``, ``csrt``, ``kcf``, ``mil``, ``nano`` or ``vit``.
        name: the name used for the results folder and in reports (default: ``kind``).
        weights: SiamFC weights file (default: the shipped weights).
        params: SiamFC parameter set (``3s``/``5s``); ``overrides``: single values.
        onnx: ONNX files of NanoTrack / VitTrack.
        device: torch device for SiamFC; ``backend`` / ``precision``: its inference engine.
        resampling: SiamFC's crop resampling (default: from the weights' model card).
    """

    kind: str
    name: str = ""
    weights: str | None = None
    params: str = "3s"
    overrides: tuple = ()
    onnx: tuple = ()
    device: str = "cpu"
    backend: str = "auto"
    precision: str = "auto"
    exported: str | None = None
    resampling: str | None = None
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ConfigError(f"unknown tracker {self.kind!r}; choose one of {', '.join(KINDS)}")
        if not self.name:
            object.__setattr__(self, "name", self.kind)

    def build(self):
        """A ready tracker (raises WeightsError / ConfigError with one clear line if it cannot be)."""
        if self.kind == "siamfc":
            from siamfc.tracking import SiamFCTracker

            return SiamFCTracker(
                params=self.params,
                weights=self.weights,
                device=self.device,
                backend=self.backend,
                precision=self.precision,
                exported=self.exported,
                resampling=self.resampling,
                **dict(self.overrides),
            )
        return OpenCVTracker(self.kind, self.onnx)

    def describe(self) -> dict:
        d = {"tracker": self.kind, "name": self.name}
        if self.kind == "siamfc":
            d.update(
                weights=str(self.weights) if self.weights else "default",
                params=self.params,
                overrides=dict(self.overrides),
                device=self.device,
                backend=self.backend,
                precision=self.precision,
                exported=self.exported,
            )
            if self.resampling:  # else the model card's, recorded as run.json's "resampling"
                d["resampling"] = self.resampling
        elif self.onnx:
            d["onnx"] = [str(p) for p in self.onnx]
        else:
            d["opencv"] = cv2.__version__
        return d


def box_is_usable(box) -> bool:
    """True for a finite box of positive size (what a tracker may be initialised with)."""
    b = np.asarray(box, dtype=np.float64)
    return bool(np.isfinite(b).all() and b[2] > 0 and b[3] > 0)
