"""Write the bundled Crossing sequence as a video file, for `siamfc bench --video`.

python benchmarks/make_demo_video.py --size 1920x1080 --out crossing_1080p.mp4
siamfc bench --video crossing_1080p.mp4 --box 1088,675,90,225   # the first box, scaled to 1080p
"""

from __future__ import annotations

import argparse

from siamfc.apps.bench import demo_frames, parse_size
from siamfc.io.video import VideoWriter


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--out", default="crossing_1080p.mp4")
    args = ap.parse_args()
    frames, box = demo_frames(size=parse_size(args.size))
    writer = VideoWriter(args.out, 30.0, (frames[0].shape[1], frames[0].shape[0]))
    for frame in frames:
        writer.write(frame)
    print(f"wrote {writer.close()}: {len(frames)} frames; first box {', '.join(f'{v:.0f}' for v in box)}")


if __name__ == "__main__":
    main()
