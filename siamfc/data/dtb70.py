"""DTB70 (drone tracking benchmark, 70 sequences): ``<Seq>/img/00001.jpg`` + ``groundtruth_rect.txt``.

The layout is OTB's, one 1-based ``x,y,w,h`` row per frame (decimals allowed), no sub-ranges and
no two-target folders, so the OTB reader does the work; this module only names the dataset.
"""

from __future__ import annotations

from siamfc.data.otb import read_otb


def read_dtb70(root, check_frames: bool = True, names=None):
    """DTB70 sequences under ``root`` as a lazy :class:`~siamfc.data.registry.SequenceList`."""
    return read_otb(root, check_frames=check_frames, names=names, ranges=False, layout="dtb70")
