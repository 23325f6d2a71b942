"""ILSVRC-2015 VID (ImageNet Video): the paper's training set. One :class:`Sequence` per object track.

Layout (as the official archive unpacks)::

    <root>/Data/VID/<split>/[ILSVRC2015_VID_train_NNNN/]<snippet>/000000.JPEG ...
    <root>/Annotations/VID/<split>/[ILSVRC2015_VID_train_NNNN/]<snippet>/000000.xml ...

Each XML holds the frame size and, per object, ``trackid``, ``name`` (WordNet id),
``bndbox`` (``xmin, ymin, xmax, ymax``: inclusive 0-based pixel indices, so ``w = xmax - xmin + 1``)
and ``occluded``. A track becomes the sequence ``<snippet>/<trackid>`` spanning its first to last
frame, NaN where the object is not annotated; ``meta['occluded']`` flags occluded frames and
``meta['frame_size']`` is ``(W, H)`` from the XML (no image needs to be opened).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from siamfc.data.sequence import Sequence
from siamfc.errors import DataError


def _int(node, tag, path):
    found = node.find(tag)
    try:
        return int(float(found.text))
    except (AttributeError, TypeError, ValueError):
        raise DataError(f"{path}: missing or bad <{tag}>") from None


def read_vid_snippet(ann_dir, data_dir, name: str | None = None) -> list[Sequence]:
    """The tracks of one snippet (annotation folder ``ann_dir``, frames in ``data_dir``)."""
    ann_dir, data_dir = Path(ann_dir), Path(data_dir)
    xmls = sorted(ann_dir.glob("*.xml"))
    if not xmls:
        raise DataError(f"no XML annotations in {ann_dir}")
    name = name or ann_dir.name
    tracks: dict[int, dict] = {}
    size = None
    for xml in xmls:
        try:
            root = ET.parse(xml).getroot()
        except ET.ParseError as exc:
            raise DataError(f"{xml}: not valid XML ({exc})") from None
        fid = int(xml.stem)
        node = root.find("size")
        if node is not None and size is None:
            size = (_int(node, "width", xml), _int(node, "height", xml))
        for obj in root.iter("object"):
            box = obj.find("bndbox")
            if box is None:
                raise DataError(f"{xml}: an <object> without <bndbox>")
            x0, y0, x1, y1 = (_int(box, t, xml) for t in ("xmin", "ymin", "xmax", "ymax"))
            occluded = obj.find("occluded")
            t = tracks.setdefault(
                _int(obj, "trackid", xml), {"rows": {}, "class": (obj.findtext("name") or "").strip()}
            )
            t["rows"][fid] = ([x0, y0, x1 - x0 + 1, y1 - y0 + 1], occluded is not None and occluded.text.strip() == "1")
    out = []
    for tid in sorted(tracks):
        rows = tracks[tid]["rows"]
        first, last = min(rows), max(rows)
        ids = np.arange(first, last + 1)
        boxes = np.full((len(ids), 4), np.nan)
        occluded = np.zeros(len(ids), bool)
        for fid, (box, occ) in rows.items():
            boxes[fid - first] = box
            occluded[fid - first] = occ
        frames = [data_dir / f"{i:06d}.JPEG" for i in ids]
        for f in (frames[0], frames[-1]):
            if not f.is_file():
                raise DataError(f"{ann_dir}: track {tid} needs frame {f}, which does not exist")
        meta = {"video": name, "class": tracks[tid]["class"], "occluded": occluded}
        if size is not None:
            meta["frame_size"] = size
        out.append(Sequence(f"{name}/{tid}", frames, boxes, frame_ids=ids, meta=meta))
    return out


def load_imagenet_vid(root, split: str = "train") -> list[Sequence]:
    """Every object track of the ``split`` snippets under ``root`` (the folder holding ``Data/`` and ``Annotations/``)."""
    root = Path(root)
    ann_root, data_root = root / "Annotations" / "VID" / split, root / "Data" / "VID" / split
    if not ann_root.is_dir() or not data_root.is_dir():
        raise DataError(f"not an ILSVRC-2015 VID folder: expected {ann_root} and {data_root}")
    snippets = sorted({p.parent for p in ann_root.rglob("*.xml")})
    if not snippets:
        raise DataError(f"no VID annotations under {ann_root}")
    out = []
    for ann_dir in snippets:
        rel = ann_dir.relative_to(ann_root)
        out.extend(read_vid_snippet(ann_dir, data_root / rel, name=rel.as_posix()))
    return out
