"""The SiamFC tracker: a fixed exemplar, a few scales, a cosine window, a bicubic ×16 peak.

State machine (the authors' reference behaviour):

* ``init``: centre and size from the box; exemplar side ``s_z = sqrt((w+p)(h+p))`` with
  ``p = (w+h)/2`` maps to 127 px; the search side ``s_x = s_z * 255/127`` uses the same scale;
  ``phi(z)`` is computed once and kept.
* ``update``: crop S search images of side ``s_x * step^k``, score them in one batch, multiply
  the non-centre scales by the scale penalty, take the scale whose (upsampled) map peaks
  highest, blend that map (min-subtracted, sum-normalised) with a Hann window (sum 1), move the
  centre by the peak's displacement (through ×16, stride 8 and the crop's scale) and damp the
  size change of both the search side ``s_x`` and the target; only ``s_x`` is clamped, to
  [0.2, 5] × its first value (``tracker.m``: the box keeps following the chosen scale).
"""

from __future__ import annotations

import math
import time
from typing import NamedTuple

import cv2
import numpy as np

from siamfc.errors import ConfigError, InvalidBoxError, InvalidFrameError, TrackerStateError
from siamfc.io.frames import as_bgr
from siamfc.tracking.crop import RESAMPLINGS, context_size, crop_and_resize
from siamfc.tracking.lost import card_lost_threshold
from siamfc.tracking.params import get_params


class TrackResult(NamedTuple):
    """What ``update`` returns: the box ``(x, y, w, h)`` (0-based pixels) and the peak score."""

    box: tuple[float, float, float, float]
    score: float


def check_box(box, frame_shape) -> tuple[float, float, float, float]:
    """Validate an ``(x, y, w, h)`` box against a frame of shape ``(H, W, ...)``."""
    try:
        x, y, w, h = (float(v) for v in box)
    except (TypeError, ValueError):
        raise InvalidBoxError(f"box must be four numbers (x, y, w, h), got {box!r}") from None
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        raise InvalidBoxError(f"box has a non-finite value: {(x, y, w, h)}")
    if w <= 0 or h <= 0:
        raise InvalidBoxError(f"box must have positive width and height, got w={w}, h={h}")
    H, W = frame_shape[:2]
    if x >= W or y >= H or x + w <= 0 or y + h <= 0:
        raise InvalidBoxError(f"box {(x, y, w, h)} lies entirely outside the {W}x{H} frame")
    return x, y, w, h


def check_frame_size(shape, first_shape) -> None:
    """A frame of ``shape`` must have the size of the one the target was given on (``first_shape``)."""
    if shape != first_shape:
        raise InvalidFrameError(
            f"frame size changed from {first_shape[1]}x{first_shape[0]} at init to {shape[1]}x{shape[0]}"
        )


def card_resampling(weights=None, has_file: bool = True) -> str:
    """The crop resampling the model card of ``weights`` (default: the shipped ones) asks for.

    ``bilinear`` when there is no weights file (``has_file=False``), no card, or no
    ``crop_resampling`` key in it; an unknown value is a ConfigError naming the card.
    """
    if not has_file:
        return "bilinear"
    from siamfc.model.weights import DEFAULT_WEIGHTS, card_path, read_card

    path = weights if weights is not None else DEFAULT_WEIGHTS
    value = read_card(path).get("crop_resampling", "bilinear")
    if value not in RESAMPLINGS:
        raise ConfigError(
            f"model card {card_path(path)}: crop_resampling {str(value)[:40]!r} is not one of {', '.join(RESAMPLINGS)}"
        )
    return value


def upsampling_matrix(size: int, out_size: int) -> np.ndarray:
    """``(out_size, size)`` float32 matrix ``A`` with ``A @ M @ A.T`` = OpenCV's bicubic resize of a
    ``(size, size)`` map to ``(out_size, out_size)`` (a = -0.75, OpenCV's borders), up to float32
    rounding: the resize is linear and separable, so each column of ``A`` is the resize of a unit
    vector along one axis. One small matrix product for all S maps instead of S ``cv2.resize``
    calls (docs/speed.md: the post-processing share of a step)."""
    return cv2.resize(np.eye(size, dtype=np.float32), (size, out_size), interpolation=cv2.INTER_CUBIC)


def hann_window(size: int) -> np.ndarray:
    """Outer product of Hann windows, normalised to sum 1."""
    h = np.hanning(size)
    window = np.outer(h, h)
    return window / window.sum()


class SiamFCTracker:
    """SiamFC tracking with OpenCV's contract: ``init(frame, box)``, ``update(frame)``.

    Args:
        model: a :class:`~siamfc.model.SiamFC` (or anything with ``backbone``, ``head`` and
            ``stride``); by default the shipped weights (or those at ``weights``).
        params: ``"3s"``, ``"5s"``, a parameter-set YAML file (``siamfc tune`` writes them) or a
            :class:`TrackerParams`; ``overrides`` change single values.
        rgb: frames are RGB instead of OpenCV's BGR.
        device: torch device for the network.
        backend: ``auto`` (default: the fastest installed), ``torch``, ``torch-compile``,
            ``onnxruntime`` or ``openvino`` (see :mod:`siamfc.runtime`).
        precision: ``auto`` (default: the fastest on this CPU of fp32 and the reduced precisions
            checked for these weights on held-out video, see :mod:`siamfc.runtime.select`),
            ``fp32``, ``bf16`` or ``int8``. The correlation is always fp32.
        threads: threads of the network: the ONNX Runtime / OpenVINO session's, or PyTorch's
            (``torch.set_num_threads``, which is process-wide).
        engine: an already built :class:`~siamfc.runtime.Engine` (shared between trackers).
        exported: an export folder (``siamfc export``) for the onnxruntime / openvino backends.
        resampling: how crops are resized, ``bilinear`` or ``bicubic-aa`` (the authors' MATLAB
            ``imresize``; see :mod:`siamfc.tracking.crop`). Default: the one ``exported`` records,
            else the ``crop_resampling`` of the weights' model card, ``bilinear`` where the card has
            none or no weights file is used (a ``model`` or ``engine`` given directly).
        lost_threshold: the peak score below which the target counts as lost (:attr:`lost`). Default:
            the ``lost.threshold`` of the weights' model card (:mod:`siamfc.tracking.lost`), None (never
            lost) where the card has none or no weights file is used.

    The engine works on its own copy of ``model``, so tracking never changes a model being trained.
    After each ``update``, ``last_timings`` holds the seconds spent in (crop, network, post-processing),
    and these hold what the step used (references to arrays it computed anyway, so reading them is
    optional and free; they are replaced, never written into, by the next ``update``):

    * ``last_responses``: ``(S, 17, 17)`` raw score maps, one per scale;
    * ``last_response``: ``(U, U)`` the chosen scale's map upsampled (bicubic x16), before the window;
    * ``last_windowed``: ``(U, U)`` that map normalised and blended with the cosine window (the
      argmax of this one moved the box); ``last_peak``: its ``(row, col)``;
    * ``last_scale_id`` (index into ``scale_factors``) and ``last_scale`` (the factor);
    * ``last_search``: ``(centre_xy, side)`` of the chosen scale's search region in the frame;
      ``crops[last_scale_id]`` is that region as the network saw it (overwritten by the next step).
    """

    def __init__(
        self,
        model=None,
        params="3s",
        *,
        weights=None,
        rgb: bool = False,
        device="cpu",
        backend: str = "auto",
        precision: str = "auto",
        threads: int | None = None,
        engine=None,
        exported=None,
        resampling: str | None = None,
        lost_threshold: float | None = None,
        **overrides,
    ):
        # The card of ``weights`` names the crops its network expects; a bare model object has no card;
        # an export folder records the crops it was made for (an int8 graph: calibrated on).
        has_card = engine is None and (model is None or weights is not None)
        if resampling is None and exported is not None and engine is None:
            from siamfc.runtime.export import export_resampling

            resampling = export_resampling(exported)
        self.resampling = resampling or card_resampling(weights, has_file=has_card)
        if self.resampling not in RESAMPLINGS:
            raise ConfigError(f"unknown crop resampling {self.resampling!r}; choose one of {', '.join(RESAMPLINGS)}")
        self.lost_threshold = (
            lost_threshold if lost_threshold is not None else card_lost_threshold(weights, has_file=has_card)
        )
        self.params = get_params(params, **overrides)  # a set's name, a parameter-set file or TrackerParams
        p = self.params
        if engine is None:
            from siamfc.runtime import create_engine

            engine = create_engine(
                model,
                backend,
                precision,
                weights=weights,
                device=device,
                threads=threads,
                exported=exported,
                warm_up_scales=p.num_scales,
            )
        self.engine = engine
        self.rgb = rgb
        self.stride = engine.stride
        self.upscale_size = p.response_up * ((p.instance_size - p.exemplar_size) // self.stride + 1)
        self.window = hann_window(self.upscale_size)
        self._window_term = p.window_influence * self.window  # the cosine window's share, added every step
        self._up = upsampling_matrix(self.upscale_size // p.response_up, self.upscale_size)
        self.scale_factors = p.scale_step ** np.linspace(-(p.num_scales // 2), p.num_scales // 2, p.num_scales)
        self.penalties = np.full(p.num_scales, p.scale_penalty)
        self.penalties[p.num_scales // 2] = 1.0
        # The S search crops are warped straight into this batch buffer: no stacking copy.
        self.crops = np.empty((p.num_scales, p.instance_size, p.instance_size, 3), np.uint8)
        self.kernel = None
        self.last_timings = (0.0, 0.0, 0.0)
        # Set by update(); see the class doc.
        self.last_responses: np.ndarray | None = None
        self.last_response: np.ndarray | None = None
        self.last_windowed: np.ndarray | None = None
        self.last_scale_id: int | None = None
        self.last_peak: tuple[int, int] | None = None
        self.last_search: tuple | None = None
        self.last_score: float | None = None  # the peak score of the last update (None right after init)

    @property
    def backend(self) -> str:
        return self.engine.backend

    @property
    def precision(self) -> str:
        return self.engine.precision

    @property
    def last_scale(self) -> float | None:
        """The scale factor the last ``update`` chose (1.0: same size); None before the first update."""
        return None if self.last_scale_id is None else float(self.scale_factors[self.last_scale_id])

    @property
    def lost(self) -> bool:
        """The last ``update``'s peak score was below :attr:`lost_threshold` (False without a threshold
        or before the first update)."""
        return self.lost_threshold is not None and self.last_score is not None and self.last_score < self.lost_threshold

    def describe(self) -> str:
        """What runs: the engine and the crop resampling, e.g. ``openvino bf16, bilinear crops``."""
        return f"{self.engine.describe()}, {self.resampling} crops"

    def _frame(self, frame) -> np.ndarray:
        return as_bgr(frame, rgb=self.rgb)

    # -- the contract ------------------------------------------------------------------------
    def init(self, frame, box) -> None:
        """Start tracking the object in ``box = (x, y, w, h)`` (0-based pixels) of ``frame``."""
        img = self._frame(frame)
        x, y, w, h = check_box(box, img.shape)
        p = self.params
        self.frame_shape = img.shape
        self.center = np.array([x + (w - 1) / 2, y + (h - 1) / 2])
        self.target_size = np.array([w, h], dtype=np.float64)
        self.z_size = context_size(w, h, p.context)
        self.x_size = self.z_size * p.instance_size / p.exemplar_size
        self.min_x_size = p.min_scale * self.x_size
        self.max_x_size = p.max_scale * self.x_size
        self.avg_color = img.reshape(-1, 3).mean(axis=0)
        z = crop_and_resize(
            img, tuple(self.center), self.z_size, p.exemplar_size, self.avg_color, resampling=self.resampling
        )
        self.kernel = self.engine.embed(z[None])
        self.last_score = None

    def update(self, frame) -> TrackResult:
        """Locate the object in the next ``frame``; return its box and the peak score."""
        if self.kernel is None:
            raise TrackerStateError("update() called before init(): give the tracker a first frame and box")
        img = self._frame(frame)
        check_frame_size(img.shape, self.frame_shape)
        t0 = time.perf_counter()
        self._crop_search(img)
        t1 = time.perf_counter()
        responses = self.engine.score(self.kernel, self.crops)
        t2 = time.perf_counter()
        result = self._locate(responses)
        self.last_timings = (t1 - t0, t2 - t1, time.perf_counter() - t2)
        return result

    def _crop_search(self, img: np.ndarray) -> None:
        """The S search crops around the current state, written into ``self.crops`` (S, 255, 255, 3)."""
        p = self.params
        for crop, f in zip(self.crops, self.scale_factors):
            crop_and_resize(
                img,
                tuple(self.center),
                self.x_size * f,
                p.instance_size,
                self.avg_color,
                out=crop,
                resampling=self.resampling,
            )

    def _locate(self, responses: np.ndarray) -> TrackResult:
        """Turn the S raw score maps into the new state (and box)."""
        p = self.params
        scale_id, up = self.pick_scale(responses)
        score = float(responses[scale_id].max())
        response = up - up.min()
        response *= (1 - p.window_influence) / (response.sum() + 1e-16)  # normalised to sum 1, weighted
        response = response + self._window_term
        row, col = np.unravel_index(int(np.argmax(response)), response.shape)
        self.last_responses, self.last_response, self.last_windowed = responses, up, response
        self.last_scale_id, self.last_peak, self.last_score = scale_id, (int(row), int(col)), score
        self.last_search = (
            self.center,
            self.x_size * self.scale_factors[scale_id],
        )  # center is replaced below, not mutated
        # Displacement from the map centre -> search-crop pixels (stride, ×16) -> frame pixels.
        disp = np.array([col, row], dtype=np.float64) - (self.upscale_size - 1) / 2
        disp *= self.stride / p.response_up
        disp *= self.x_size * self.scale_factors[scale_id] / p.instance_size
        self.center = self.center + disp
        # Damped size update, as the authors' tracker.m: the search side is damped and then
        # clamped to [min_scale, max_scale] x its first value; the target size is damped from the
        # same chosen scale but never clamped (the clamp bounds the search region, not the box).
        scale = (1 - p.scale_lr) + p.scale_lr * self.scale_factors[scale_id]
        self.x_size = float(np.clip(self.x_size * scale, self.min_x_size, self.max_x_size))
        self.target_size = self.target_size * scale
        w, h = self.target_size
        box = (self.center[0] - (w - 1) / 2, self.center[1] - (h - 1) / 2, w, h)
        return TrackResult((float(box[0]), float(box[1]), float(box[2]), float(box[3])), score)

    def upsample(self, score_maps: np.ndarray) -> np.ndarray:
        """``(17, 17)`` maps (or ``(S, 17, 17)``), bicubic (OpenCV's, a = -0.75) to ``(272, 272)``
        (``response_up`` ×), as :func:`upsampling_matrix` products."""
        return self._up @ np.asarray(score_maps, dtype=np.float32) @ self._up.T

    def raw_peak_scale(self, responses: np.ndarray) -> int:
        """The scale whose penalised *raw* ``(17, 17)`` peak is highest (``pick_scale_on_raw``)."""
        return int(np.argmax(responses.reshape(len(responses), -1).max(axis=1) * self.penalties))

    def unwindowed_peak(self, responses: np.ndarray) -> tuple[int, tuple[int, int]]:
        """``(scale_id, (row, col))`` of the chosen scale's upsampled-map peak, before the window (not
        to be confused with :meth:`raw_peak_scale`, which reads the raw 17x17 maps):
        what the precision checks compare between engines (benchmarks/correlation_precision.py,
        benchmarks/int8_accuracy.py). Reads no state but the parameters."""
        scale_id, up = self.pick_scale(responses)
        row, col = np.unravel_index(int(np.argmax(up)), up.shape)
        return scale_id, (int(row), int(col))

    def pick_scale(self, responses: np.ndarray, on_raw: bool | None = None) -> tuple[int, np.ndarray]:
        """The scale whose penalised peak is highest, and its map upsampled.

        The reference (and the default) compares the peaks of the *upsampled* maps; ``on_raw``
        (default: ``params.pick_scale_on_raw``) compares the raw 17x17 peaks and upsamples one map
        instead of S. The two are *not* equivalent: along the reference trajectories on the bench
        they chose differently on 8 to 48 frames per sequence (``raw_pick_disagreements`` in
        docs/results/precision_accuracy.json, made by benchmarks/precision_accuracy.py; docs/speed.md).
        """
        if self.params.pick_scale_on_raw if on_raw is None else on_raw:
            scale_id = self.raw_peak_scale(responses)
            return scale_id, self.upsample(responses[scale_id])
        up = self.upsample(responses)
        scale_id = int(np.argmax(up.reshape(len(up), -1).max(axis=1) * self.penalties))
        return scale_id, up[scale_id]
