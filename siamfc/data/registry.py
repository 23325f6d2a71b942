"""Dataset names -> readers, and the lazy list of sequences every reader returns.

    from siamfc.data.registry import open_dataset
    seqs = open_dataset("otb2015", "/data/OTB100")    # SequenceList: names now, sequences on demand
    for seq in seqs: ...                              # each Sequence is parsed when reached

Names (``DATASETS``): ``otb2015``, ``otb2013``, ``otb`` (every OTB-style folder), ``vot2015`` ...
``vot2018``, ``got10k-train|val|test``, ``lasot`` (test split), ``lasot-all``, ``uav123``,
``uav123_10fps``, ``uav20l``, ``dtb70``, ``folder``, and ``bench`` (the project's evaluation
bench: ``otb/``, ``vot2015/``, ``uav123_10fps/`` and ``dtb70/`` sub-folders scored together).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from siamfc.data.sequence import Sequence
from siamfc.errors import DataError


class SequenceList:
    """Sequence names known up front; each :class:`Sequence` is read only when asked for.

    Indexable by position or by name, iterable (one sequence parsed at a time), picklable when
    ``loader`` is (a module-level function or ``functools.partial`` of one).
    """

    def __init__(self, names: list[str], loader: Callable[[str], Sequence], meta: dict | None = None):
        self.names = list(names)
        self.loader = loader
        self.meta = dict(meta or {})
        if len(set(self.names)) != len(self.names):
            dup = sorted({n for n in self.names if self.names.count(n) > 1})
            raise DataError(f"duplicate sequence names: {dup}")

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[Sequence]:
        for name in self.names:
            yield self.loader(name)

    def __getitem__(self, key) -> Sequence:
        if isinstance(key, int):
            return self.loader(self.names[key])
        if key not in self.names:
            raise KeyError(f"no sequence {key!r}")
        return self.loader(key)

    def __contains__(self, name) -> bool:
        return name in self.names

    def subset(self, names) -> SequenceList:
        """Only ``names`` (in the given order); unknown names are an error."""
        names = list(names)
        unknown = [n for n in names if n not in self.names]
        if unknown:
            raise DataError(f"unknown sequence(s) {unknown[:5]}; known: {self.names[:5]}...")
        return SequenceList(names, self.loader, self.meta)


@dataclass(frozen=True)
class DatasetSpec:
    """How to open one dataset name: ``module.function(root, **kwargs)`` and its protocol."""

    module: str
    function: str
    kwargs: tuple = ()
    protocol: str = "ope"  # "ope" (OTB one-pass), "vot" (supervised), "got10k", "lasot"
    description: str = ""

    def open(self, root, check_frames: bool = True) -> SequenceList:
        fn = getattr(importlib.import_module(f"siamfc.data.{self.module}"), self.function)
        return fn(root, check_frames=check_frames, **dict(self.kwargs))


DATASETS: dict[str, DatasetSpec] = {
    "otb2015": DatasetSpec("otb", "read_otb", (("version", "otb2015"),), "ope", "OTB-2015 (OTB-100)"),
    "otb2013": DatasetSpec("otb", "read_otb", (("version", "otb2013"),), "ope", "OTB-2013 (OTB-51, CVPR13)"),
    "otb": DatasetSpec("otb", "read_otb", (), "ope", "every OTB-style folder under ROOT"),
    "vot2015": DatasetSpec("vot", "read_vot", (("year", 2015),), "vot", "VOT-2015 supervised"),
    "vot2016": DatasetSpec("vot", "read_vot", (("year", 2016),), "vot", "VOT-2016 supervised"),
    "vot2017": DatasetSpec("vot", "read_vot", (("year", 2017),), "vot", "VOT-2017 supervised"),
    "vot2018": DatasetSpec("vot", "read_vot", (("year", 2018),), "vot", "VOT-2018 supervised"),
    "got10k-train": DatasetSpec("got10k", "read_got10k", (("split", "train"),), "got10k", "GOT-10k train"),
    "got10k-val": DatasetSpec("got10k", "read_got10k", (("split", "val"),), "got10k", "GOT-10k val"),
    "got10k-test": DatasetSpec("got10k", "read_got10k", (("split", "test"),), "got10k", "GOT-10k test (no GT)"),
    "lasot": DatasetSpec("lasot", "read_lasot", (("split", "test"),), "lasot", "LaSOT test split (280)"),
    "lasot-all": DatasetSpec("lasot", "read_lasot", (("split", None),), "lasot", "every LaSOT sequence under ROOT"),
    "uav123": DatasetSpec("uav123", "read_uav123", (("subset", "UAV123"),), "ope", "UAV123 (native or OTB-style)"),
    "uav123_10fps": DatasetSpec("uav123", "read_uav123", (("subset", "UAV123_10fps"),), "ope", "UAV123@10fps"),
    "uav20l": DatasetSpec("uav123", "read_uav123", (("subset", "UAV20L"),), "ope", "UAV20L (long-term)"),
    "dtb70": DatasetSpec("dtb70", "read_dtb70", (), "ope", "DTB70"),
    "folder": DatasetSpec("folder", "read_folder", (), "ope", "frames + one box file per sequence folder"),
    "bench": DatasetSpec("registry", "read_bench", (), "ope", "otb/ vot2015/ uav123_10fps/ dtb70/ sub-folders"),
}


def get_spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")
    return DATASETS[name]


def open_dataset(name: str, root, check_frames: bool = True) -> SequenceList:
    """The sequences of dataset ``name`` under ``root`` (``check_frames=False``: annotations only)."""
    spec = get_spec(name)
    seqs = spec.open(root, check_frames=check_frames)
    seqs.meta.setdefault("dataset", name)
    seqs.meta.setdefault("protocol", spec.protocol)
    return seqs


#: Sub-folders of the bench and the dataset each one is read as.
BENCH_LAYOUTS = (("otb", "otb"), ("vot2015", "vot2015"), ("uav123_10fps", "uav123_10fps"), ("dtb70", "dtb70"))


def _bench_loader(parts: dict, name: str) -> Sequence:
    seqs = parts[name]
    seq = seqs[name]
    seq.meta["bench_layout"] = seqs.meta["dataset"]
    return seq


def read_bench(root, check_frames: bool = True) -> SequenceList:
    """The bench: every layout sub-folder present under ``root``, scored one-pass (OTB-style).

    VOT sequences keep their polygons; their ``boxes`` are the polygons' axis-aligned bounding
    boxes, which is what the one-pass scoring compares against.
    """
    import functools

    root = Path(root)
    if not root.is_dir():
        raise DataError(f"bench folder not found: {root}")
    found = [(sub, ds) for sub, ds in BENCH_LAYOUTS if (root / sub).is_dir()]
    if not found:
        raise DataError(f"{root} holds none of the bench layouts {[s for s, _ in BENCH_LAYOUTS]}")
    by_name: dict[str, SequenceList] = {}
    names = []
    for sub, ds in found:
        part = open_dataset(ds, root / sub, check_frames=check_frames)
        for n in part.names:
            if n in by_name:
                raise DataError(f"sequence {n!r} appears in two bench layouts")
            by_name[n] = part
            names.append(n)
    return SequenceList(names, functools.partial(_bench_loader, by_name), {"layouts": [s for s, _ in found]})
