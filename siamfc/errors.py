"""Errors that name the problem.

Every error a user can cause (bad box, bad frame, bad file, bad weights, bad config) is a
subclass of :class:`SiamFCError`; the command line prints its message as one line and exits
non-zero, instead of a traceback from deep inside torch or OpenCV.
"""


class SiamFCError(Exception):
    """Base class of every error caused by the user's input."""


class InvalidBoxError(SiamFCError, ValueError):
    """A box of zero, negative or non-finite size, or one entirely outside the frame."""


class InvalidFrameError(SiamFCError, ValueError):
    """A frame that is not an image (wrong dtype, shape, channels) or changed size after init."""


class TrackerStateError(SiamFCError, RuntimeError):
    """``update`` called before ``init``."""


class WeightsError(SiamFCError):
    """A weights file that is missing, unreadable or made for another architecture."""


class DataError(SiamFCError):
    """A missing, empty or malformed data file (frames, ground truth, index)."""


class ConfigError(SiamFCError, ValueError):
    """A configuration with unknown or mistyped keys or values."""


class BackendUnavailable(SiamFCError):
    """An inference backend whose package is not installed, or that this machine cannot run."""
