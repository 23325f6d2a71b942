"""Tracking: the crop, the tracker state machine (one target or many), parameter sets, the OpenCV-style adapter."""

from siamfc.tracking.crop import context_size, crop_and_resize
from siamfc.tracking.multi import MultiTargetTracker
from siamfc.tracking.opencv import TrackerSiamFC, TrackerSiamFC_create, create
from siamfc.tracking.params import PRESETS, TrackerParams, get_params, parse_overrides
from siamfc.tracking.params_file import load_params_file, save_params_file
from siamfc.tracking.tracker import SiamFCTracker, TrackResult, check_box, hann_window

__all__ = [
    "context_size",
    "crop_and_resize",
    "TrackerSiamFC",
    "TrackerSiamFC_create",
    "create",
    "PRESETS",
    "TrackerParams",
    "get_params",
    "parse_overrides",
    "load_params_file",
    "save_params_file",
    "SiamFCTracker",
    "MultiTargetTracker",
    "TrackResult",
    "check_box",
    "hann_window",
]
