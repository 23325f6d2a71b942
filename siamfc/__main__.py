"""``python -m siamfc`` (and ``torchrun -m siamfc train ...``) runs the command line."""
import sys

from .cli import main

sys.exit(main())
