"""``python -m siamfc.vot``: SiamFC as a TraX tracker for the VOT toolkit (the code is :mod:`siamfc.apps.trax`).

This module stays at this path because VOT toolkit workspaces name it in their ``trackers.ini``.
"""

import sys

from siamfc.apps.trax import main

if __name__ == "__main__":
    sys.exit(main())
