"""Data: readers, one per dataset format, yielding :class:`Sequence` objects."""
from .sequence import Sequence

__all__ = ["Sequence"]
