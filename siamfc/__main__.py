"""``python -m siamfc`` (and ``torchrun -m siamfc train ...``) runs the command line."""

import sys

from siamfc.apps.cli import main

sys.exit(main())
