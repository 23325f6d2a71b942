"""Data: readers, one per dataset format, yielding :class:`Sequence` objects."""

from siamfc.data.sequence import Sequence

__all__ = ["Sequence"]
