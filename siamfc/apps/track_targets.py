"""Track several objects through a stream of frames: ``siamfc track`` with several ``--box``.

One :class:`~siamfc.tracking.MultiTargetTracker` follows every target; the annotated video draws
each target in its own colour with its id, and the results file (``--save``) is in MOTChallenge's
text format (:func:`siamfc.data.mot.write_mot_results`: ``frame,id,x,y,w,h,score,-1,-1,-1``,
1-based frames and pixels), one line per target and frame; a target's first line is the box it
was given, with score -1.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from siamfc.apps.track_video import AnnotatedOutput, TrackRun, first_frame, follow_frames
from siamfc.data.mot import write_mot_results
from siamfc.io.video import draw_box

#: BGR colours of targets 1, 2, ... (cycled), chosen to stay apart from each other.
COLOURS = (
    (0, 255, 255),
    (255, 128, 0),
    (0, 0, 255),
    (0, 200, 0),
    (255, 0, 255),
    (255, 255, 0),
    (0, 128, 255),
    (128, 0, 255),
    (255, 255, 255),
    (0, 100, 100),
)


def colour(target_id: int) -> tuple[int, int, int]:
    return COLOURS[(target_id - 1) % len(COLOURS)]


def draw_targets(frame: np.ndarray, results: dict, index: int) -> np.ndarray:
    """A copy of ``frame`` with each target's box in its colour, its id (and score) at the box's corner,
    and the frame number in the top-left corner. ``results``: ``{id: (box, score, ...)}``."""
    out = draw_box(frame, (np.nan,) * 4, label=f"#{index + 1}")
    for target_id, result in results.items():
        box, score = result[0], result[1]
        out = draw_box(out, box, color=colour(target_id))  # draws on a copy: fine at a few targets
        text = f"{target_id}" + ("" if np.isnan(score) else f" {score:.2f}")
        org = (int(round(box[0])), max(12, int(round(box[1])) - 4))
        cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour(target_id), 1, cv2.LINE_AA)
    return out


@dataclass
class TargetsRun(TrackRun):
    """A :class:`~siamfc.apps.track_video.TrackRun` of several targets: ``boxes (F, N, 4)`` 0-based and
    ``scores (F, N)`` (NaN on the first frame) of the targets ``ids`` over ``F`` frames."""

    ids: list[int] = field(default_factory=list)
    boxes_format = " (MOTChallenge format)"

    def tracked(self) -> str:
        return f"{len(self.ids)} targets through {len(self.boxes)} frames"


def track_targets(
    tracker,
    frames,
    boxes,
    *,
    total: int | None = None,
    fps: float | None = None,
    video_out=None,
    boxes_out=None,
    show: bool = False,
    progress: bool = True,
    desc: str = "tracking",
) -> TargetsRun:
    """Add each of ``boxes`` to ``tracker`` (a :class:`~siamfc.tracking.MultiTargetTracker`) on the first
    frame and follow them all; see the module doc. ``boxes``: ``(x, y, w, h)`` in 0-based pixels or
    :class:`~siamfc.apps.box_arg.BoxArg`. Other arguments as :func:`~siamfc.apps.track_video.track_video`;
    the outputs are written even when the run is interrupted, with the frames so far."""
    output = AnnotatedOutput(video_out, fps, show)
    frames, first = first_frame(frames)
    boxes = [b.resolve(first.shape) if hasattr(b, "resolve") else b for b in boxes]
    start = time.perf_counter()
    ids = [tracker.add(first, box) for box in boxes]
    init_seconds = time.perf_counter() - start
    history = [{i: (tuple(float(v) for v in box), float("nan")) for i, box in zip(ids, boxes)}]

    def shown(frame) -> bool:
        return output.wanted and output.put(draw_targets(frame, history[-1], len(history) - 1))

    try:
        tracker_seconds = init_seconds + follow_frames(
            first,
            frames,
            lambda frame: history.append(tracker.update(frame)),
            shown,
            total=total,
            progress=progress,
            desc=desc,
        )
    finally:
        video = output.close()
        box_array = np.array([[r[i][0] for i in ids] for r in history], dtype=np.float64).reshape(-1, len(ids), 4)
        scores = np.array([[r[i][1] for i in ids] for r in history], dtype=np.float64).reshape(-1, len(ids))
        boxes_file = None
        if boxes_out is not None:
            f, n = np.meshgrid(np.arange(len(history)), np.arange(len(ids)), indexing="ij")
            boxes_file = write_mot_results(
                boxes_out, f.ravel(), np.asarray(ids)[n.ravel()], box_array.reshape(-1, 4), scores.ravel()
            )
    return TargetsRun(box_array, scores, time.perf_counter() - start, tracker_seconds, video, boxes_file, ids=ids)
