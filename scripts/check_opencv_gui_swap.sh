#!/usr/bin/env bash
# Check the OpenCV swap that `siamfc track` prints when it cannot open its box-drawing window.
#
#   scripts/check_opencv_gui_swap.sh > docs/results/opencv_gui_swap.txt
#
# In a throw-away virtual environment (needs PyPI): install the headless contrib wheel siamfc
# depends on, plus opencv-python as vot-toolkit (the test extra) pulls it in -- two wheels that
# write one cv2 folder; show what cv2 is then; run the exact command siamfc prints for those
# wheels (siamfc.apps.track_video.gui_swap_command); show cv2 again: GUI backend, CSRT present,
# and -- where xvfb-run exists -- whether a window opens on a virtual display.
# Run it from the checkout with the project's Python on PATH (it formats the command).
set -euo pipefail
VERSION="${1:-$(python -c 'from importlib.metadata import version; print(version("opencv-contrib-python-headless"))')}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
python -m venv "$WORK/venv"
PIP="$WORK/venv/bin/pip"
PY="$WORK/venv/bin/python"

cat > "$WORK/probe.py" <<'EOF'
import re
import sys

import cv2
import numpy as np

gui = re.search(r"^\s*GUI:\s*(\S+)", cv2.getBuildInformation(), re.MULTILINE).group(1)
print(f"  cv2 {cv2.__version__}: GUI {gui}, CSRT (contrib) {'present' if hasattr(cv2, 'TrackerCSRT_create') else 'absent'}")
if len(sys.argv) > 1:  # on a (virtual) display: does a window open?
    try:
        cv2.namedWindow("siamfc")
        cv2.imshow("siamfc", np.zeros((120, 160, 3), np.uint8))
        cv2.waitKey(50)
        print(f"  window on the virtual display: visible={cv2.getWindowProperty('siamfc', cv2.WND_PROP_VISIBLE):g}")
    except cv2.error as exc:
        print(f"  window on the virtual display: cv2.error ({str(exc).splitlines()[0][:100]})")
EOF
probe() {
    "$PY" "$WORK/probe.py"
    if command -v xvfb-run >/dev/null; then xvfb-run -a "$PY" "$WORK/probe.py" window | tail -n 1; fi
}
wheels() { "$PIP" list --format=freeze 2>/dev/null | grep -i '^opencv' | tr '\n' ' '; echo; }

echo "# scripts/check_opencv_gui_swap.sh $VERSION ($(date -u +%Y-%m-%d), $(python --version), $(uname -sm))"
"$PIP" install -q "opencv-contrib-python-headless==$VERSION" "opencv-python==$VERSION" 2>&1 | grep -v "is ignored" || true
echo "1. siamfc's wheel and vot-toolkit's, as the test extra installs them: $(wheels)"
probe
COMMAND="$(python -c "
import json, sys
from siamfc.apps.track_video import gui_swap_command
print(gui_swap_command(json.loads(sys.argv[1])))
" "$("$PY" -c "
import json
from importlib import metadata
names = ('opencv-python', 'opencv-python-headless', 'opencv-contrib-python', 'opencv-contrib-python-headless')
found = {}
for n in names:
    try:
        found[n] = metadata.version(n)
    except metadata.PackageNotFoundError:
        pass
print(json.dumps(found))
")")"
echo "2. the command siamfc prints: $COMMAND"
PATH="$WORK/venv/bin:$PATH" bash -c "$COMMAND" 2>&1 | grep -E '^(Successfully|ERROR)' || true
echo "3. after it: $(wheels)"
probe
