"""siamfc: SiamFC (Bertinetto et al., 2016), fully-convolutional Siamese tracking.

import siamfc
tracker = siamfc.SiamFCTracker()            # the shipped weights, SiamFC-3s parameters
tracker.init(frame, (x, y, w, h))           # BGR uint8 frame, 0-based pixel box
box, score = tracker.update(next_frame)

targets = siamfc.MultiTargetTracker()      # many objects, one network call per frame
ids = [targets.add(frame, box) for box in boxes]
results = targets.update(next_frame)        # {id: (box, score)}
"""

from siamfc.errors import (
    ConfigError,
    DataError,
    InvalidBoxError,
    InvalidFrameError,
    SiamFCError,
    TrackerStateError,
    WeightsError,
)
from siamfc.model import SiamFC
from siamfc.model.weights import DEFAULT_WEIGHTS, load_weights, save_weights
from siamfc.tracking import (
    MultiTargetTracker,
    SiamFCTracker,
    TrackerParams,
    TrackerSiamFC,
    TrackerSiamFC_create,
    create,
    get_params,
)

__version__ = "0.1.0"

__all__ = [
    "SiamFC",
    "SiamFCTracker",
    "MultiTargetTracker",
    "TrackerParams",
    "TrackerSiamFC",
    "TrackerSiamFC_create",
    "create",
    "get_params",
    "load_weights",
    "save_weights",
    "DEFAULT_WEIGHTS",
    "SiamFCError",
    "ConfigError",
    "DataError",
    "InvalidBoxError",
    "InvalidFrameError",
    "TrackerStateError",
    "WeightsError",
]
