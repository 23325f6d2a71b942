"""The bundled demo: OTB *Crossing* (120 frames, see ``assets/demo/PROVENANCE.md``) tracked and scored.

from siamfc.apps.demo import demo_sequence, run_demo
seq = demo_sequence()                  # a Sequence: lazy frames, 0-based ground truth
result = run_demo("siamfc_demo")       # annotated video + boxes + OTB success AUC
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from siamfc.apps.track_video import TrackRun, track_video
from siamfc.data.otb import load_otb_sequence
from siamfc.data.sequence import Sequence
from siamfc.evaluation.ope import SequenceScore, score_sequence

DEMO_DIR = Path(__file__).resolve().parent.parent / "assets" / "demo"
DEMO_NAME = "Crossing"
#: Frame rate of the annotated video (OTB sequences were captured at about 30 fps).
DEMO_FPS = 30.0


def demo_sequence() -> Sequence:
    """The bundled sequence, read by the OTB reader (ground truth converted to 0-based boxes)."""
    folder = DEMO_DIR / DEMO_NAME
    return load_otb_sequence(DEMO_NAME, folder, folder / "groundtruth_rect.txt")


@dataclass
class DemoResult:
    run: TrackRun
    score: SequenceScore  # OTB one-pass evaluation of the run against the ground truth
    engine: str = ""  # backend and precision that ran the network, and the crop resampling

    def summary(self) -> str:
        return (
            f"{DEMO_NAME} (OTB, {self.score.n_frames} frames): success AUC {self.score.auc:.3f}, "
            f"precision at 20 px {self.score.p20:.3f}; {self.run.summary()}; engine {self.engine}"
        )


def run_demo(
    out_dir,
    weights=None,
    params: str = "3s",
    progress: bool = True,
    backend: str = "auto",
    precision: str = "auto",
    exported=None,
    resampling: str | None = None,
    debug: bool = False,
    **tracker_kwargs,
) -> DemoResult:
    """Track the demo sequence with ``weights`` (default: the shipped ones), write and score the result.

    ``tracker_kwargs`` go to :class:`~siamfc.tracking.SiamFCTracker` (``device``, parameter overrides)."""
    from siamfc.tracking import SiamFCTracker

    tracker = SiamFCTracker(
        weights=weights,
        params=params,
        backend=backend,
        precision=precision,
        exported=exported,
        resampling=resampling,
        **tracker_kwargs,
    )
    seq = demo_sequence()
    out_dir = Path(out_dir)
    run = track_video(
        tracker,
        iter(seq),
        seq.boxes[0],
        total=len(seq),
        fps=DEMO_FPS,
        video_out=out_dir / f"demo_{DEMO_NAME.lower()}.mp4",
        boxes_out=out_dir / f"demo_{DEMO_NAME.lower()}_boxes.txt",
        progress=progress,
        desc=DEMO_NAME,
        debug=debug,
    )
    score = score_sequence(run.boxes, seq.boxes, name=DEMO_NAME, rule="otb", fps=run.tracker_fps)
    return DemoResult(run, score, tracker.describe())
