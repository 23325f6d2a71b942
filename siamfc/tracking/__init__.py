"""Tracking: the crop, the tracker state machine, parameter sets, the OpenCV-style adapter."""
from .crop import context_size, crop_and_resize
from .opencv import TrackerSiamFC, TrackerSiamFC_create, create
from .params import PRESETS, TrackerParams, get_params, parse_overrides
from .tracker import SiamFCTracker, TrackResult, check_box, hann_window

__all__ = [
    "context_size", "crop_and_resize", "TrackerSiamFC", "TrackerSiamFC_create", "create",
    "PRESETS", "TrackerParams", "get_params", "parse_overrides",
    "SiamFCTracker", "TrackResult", "check_box", "hann_window",
]
