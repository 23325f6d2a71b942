"""OTB-2013 / OTB-2015 (and every OTB-style folder): ``<Seq>/img/NNNN.jpg`` + ``groundtruth_rect.txt``.

Layout quirks handled here, as the official OTB toolkit defines them:

* **Two targets in one video** -- ``Jogging``, ``Skating2`` (and ``Human4``) hold
  ``groundtruth_rect.1.txt`` / ``.2.txt``; they become the sequences ``Jogging-1``, ``Jogging-2``,
  ``Skating2-1``, ``Skating2-2`` and ``Human4-2`` (OTB-2015 uses only Human4's second target).
  A folder already split (``Jogging-1/`` or ``Jogging1/`` with ``groundtruth_rect.txt``) also works;
  names match case-insensitively, ignoring ``-`` and ``_``.
* **Sub-ranges** (:data:`FRAME_RANGES`, the official ``startFrame``/``endFrame``): David is
  evaluated on frames 300-770, Football1 on 1-74, Freeman3 on 1-460, Freeman4 on 1-283, Diving on
  1-215, Tiger1 (OTB-2015) on 6-354, BlurCar1 on 247-988, BlurCar3 on 3-359, BlurCar4 on 18-397.
  Frames are chosen by the number in their file name; the ground truth may hold either one row
  per frame of the range, or one row per frame from frame 1 (then the range's rows are taken).
* **Invalid rows**: a ground-truth row is valid only if all four numbers are > 0 in the file
  (the official ``sum(rect_anno > 0, 2) == 4``), e.g. Biker's rows where the box leaves the top of
  the frame, or the ``0,0,0,0`` padding of some copies; invalid rows become NaN.
* Separators may be commas, tabs or spaces; ``attrs.txt`` (``SV, DEF, FM``) gives
  ``meta["attributes"]``; without it (e.g. ``OTB100.json``), an official OTB-100 sequence gets its
  attributes from the benchmark's ``tb_100.txt`` (:func:`official_attributes`), for the
  per-attribute tables and plots.

Any other mismatch between frames and ground-truth rows is an error naming the file.

``read_otb_json`` reads the single-file annotations of pysot / DaSiamRPN (``OTB100.json``: per
sequence ``name``, ``image_files``, ``gt_rect``), so results can be scored without the videos.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import numpy as np

from siamfc.data.box_files import from_file_coords, parse_box_text
from siamfc.data.frame_files import frame_number, list_frames, numbered_frames
from siamfc.data.sequence import Sequence
from siamfc.errors import DataError
from siamfc.io.files import read_json, read_text

#: OTB-2015 (OTB-100): the 100 sequences of the official ``tb_100`` list.
OTB2015 = (
    "Basketball Biker Bird1 Bird2 BlurBody BlurCar1 BlurCar2 BlurCar3 BlurCar4 BlurFace BlurOwl Board Bolt Bolt2 "
    "Box Boy Car1 Car2 Car24 Car4 CarDark CarScale ClifBar Coke Couple Coupon Crossing Crowds Dancer Dancer2 David "
    "David2 David3 Deer Diving Dog Dog1 Doll DragonBaby Dudek FaceOcc1 FaceOcc2 Fish FleetFace Football Football1 "
    "Freeman1 Freeman3 Freeman4 Girl Girl2 Gym Human2 Human3 Human4-2 Human5 Human6 Human7 Human8 Human9 Ironman "
    "Jogging-1 Jogging-2 Jump Jumping KiteSurf Lemming Liquor Man Matrix Mhyang MotorRolling MountainBike Panda "
    "RedTeam Rubik Shaking Singer1 Singer2 Skater Skater2 Skating1 Skating2-1 Skating2-2 Skiing Soccer Subway "
    "Surfer Suv Sylvester Tiger1 Tiger2 Toy Trans Trellis Twinnings Vase Walking Walking2 Woman"
).split()

#: OTB-2013 (OTB-50/51, CVPR 2013): 51 sequences (Jogging counted twice).
OTB2013 = (
    "Basketball Bolt Boy Car4 CarDark CarScale Coke Couple Crossing David David2 David3 Deer Dog1 Doll Dudek "
    "FaceOcc1 FaceOcc2 Fish FleetFace Football Football1 Freeman1 Freeman3 Freeman4 Girl Ironman Jogging-1 "
    "Jogging-2 Jumping Lemming Liquor Matrix Mhyang MotorRolling MountainBike Shaking Singer1 Singer2 Skating1 "
    "Skiing Soccer Subway Suv Sylvester Tiger1 Tiger2 Trellis Walking Walking2 Woman"
).split()

#: Official evaluated frame ranges (first, last; 1-based frame numbers), by normalised name.
FRAME_RANGES = {
    "david": (300, 770),
    "football1": (1, 74),
    "freeman3": (1, 460),
    "freeman4": (1, 283),
    "diving": (1, 215),
    "tiger1": (6, 354),
    "blurcar1": (247, 988),
    "blurcar3": (3, 359),
    "blurcar4": (18, 397),
}
#: Ranges that differ in OTB-2013 (its Tiger1 starts at frame 1).
FRAME_RANGES_2013 = {"tiger1": (1, 354)}

VERSIONS = {"otb2015": OTB2015, "otb2013": OTB2013}

OTB_ATTRIBUTES = {
    "IV": "illumination variation",
    "SV": "scale variation",
    "OCC": "occlusion",
    "DEF": "deformation",
    "MB": "motion blur",
    "FM": "fast motion",
    "IPR": "in-plane rotation",
    "OPR": "out-of-plane rotation",
    "OV": "out of view",
    "BC": "background clutters",
    "LR": "low resolution",
}

_GT_FILE = "groundtruth_rect.txt"
_MULTI_GT = re.compile(r"^groundtruth_rect\.(\d+)\.txt$")


def normalise(name: str) -> str:
    """``Jogging-1`` / ``jogging_1`` / ``Jogging1`` -> ``jogging1`` (how folders are matched)."""
    return re.sub(r"[-_ ]", "", name).lower()


def read_otb_rows(path) -> np.ndarray:
    """An OTB ground-truth file as ``(N, 4)`` 0-based boxes, invalid rows (any value <= 0) as NaN."""
    path = Path(path)
    rows = parse_box_text(read_text(path, "ground-truth file"), path, columns=(4,))
    return otb_rows_to_boxes(rows)


def otb_rows_to_boxes(rows) -> np.ndarray:
    """1-based file rows -> 0-based boxes; the official validity rule (all four > 0) makes NaN rows."""
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, 4)
    with np.errstate(invalid="ignore"):
        invalid = ~(rows > 0).all(axis=1)
    boxes = from_file_coords(rows)
    boxes[invalid] = np.nan
    return boxes


# -- discovering the sequences of a root --------------------------------------------------------
def _targets(seq_dir: Path) -> list[tuple[str, Path]]:
    """``(name, gt_file)`` for each target annotated in one sequence folder."""
    if (seq_dir / _GT_FILE).is_file():
        return [(seq_dir.name, seq_dir / _GT_FILE)]
    multi = sorted(
        ((int(m.group(1)), p) for p in seq_dir.iterdir() if (m := _MULTI_GT.match(p.name))), key=lambda t: t[0]
    )
    return [(f"{seq_dir.name}-{k}", p) for k, p in multi]


def scan_otb(root) -> dict[str, tuple[Path, Path]]:
    """Every target under ``root``: name -> (sequence folder, ground-truth file)."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"dataset folder not found: {root}")
    found = {}
    for seq_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for name, gt in _targets(seq_dir):
            found[name] = (seq_dir, gt)
    if not found:
        raise DataError(f"no OTB-style sequences (<Seq>/{_GT_FILE}) under {root}")
    return found


def _resolve(found: dict, wanted: list[str], root) -> dict[str, tuple[Path, Path]]:
    """Map each official name onto the folders present (normalised, two-target aware)."""
    by_key = {normalise(n): v for n, v in found.items()}
    out, missing = {}, []
    for name in wanted:
        hit = by_key.get(normalise(name))
        if hit is None and "-" in name:  # Human4-2 from a folder "Human4" holding only .2.txt -> "Human4-2"
            hit = by_key.get(normalise(name.replace("-", "")))
        if hit is None:
            missing.append(name)
        else:
            out[name] = hit
    if missing:
        raise DataError(
            f"{len(missing)} sequence(s) of the list not found under {root}: {', '.join(missing[:8])}"
            f"{' ...' if len(missing) > 8 else ''}"
        )
    return out


@functools.lru_cache(maxsize=1)
def _attribute_table() -> dict[str, list[str]]:
    path = Path(__file__).resolve().parent.parent / "assets" / "otb" / "tb_100_attributes.txt"
    table = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, attrs = line.split("\t")
            table[normalise(name)] = [a.strip() for a in attrs.split(",") if a.strip()]
    return table


def official_attributes(name: str) -> list[str] | None:
    """The OTB-100 attributes of ``name`` (``IV``, ``SV``, ... from ``tb_100.txt``), or None."""
    return _attribute_table().get(normalise(name))


# -- one sequence -------------------------------------------------------------------------------
def _frame_range(name: str, version: str | None):
    key = normalise(name)
    if version == "otb2013" and key in FRAME_RANGES_2013:
        return FRAME_RANGES_2013[key]
    return FRAME_RANGES.get(key)


def load_otb_sequence(
    name: str,
    seq_dir,
    gt_file,
    version: str | None = None,
    check_frames: bool = True,
    ranges: bool = True,
    layout: str = "otb",
) -> Sequence:
    """One OTB-style target: frames of its official range, boxes aligned to them (see the module doc).

    ``ranges=False`` (UAV123, DTB70 in OTB layout): no official sub-ranges, one row per frame.
    """
    seq_dir, gt_file = Path(seq_dir), Path(gt_file)
    boxes = read_otb_rows(gt_file)
    rng = _frame_range(name, version) if ranges else None
    img_dir = seq_dir / "img"
    if check_frames:
        frames = list_frames(img_dir)
        numbers = [frame_number(f) for f in frames]
        if rng is not None:
            frames = [f for f, n in zip(frames, numbers) if n is not None and rng[0] <= n <= rng[1]]
            if len(frames) != rng[1] - rng[0] + 1:
                raise DataError(f"{img_dir}: {name} needs frames {rng[0]}-{rng[1]}, found {len(frames)} of them")
        first = frame_number(frames[0]) or 1
    else:
        first, last = rng if rng is not None else (1, len(boxes))
        frames = numbered_frames(img_dir, first, last, 4)
    if rng is not None and len(boxes) != len(frames) and len(boxes) >= rng[1]:
        boxes = boxes[rng[0] - 1 : rng[1]]  # ground truth counted from frame 1: keep the range's rows
    if len(boxes) != len(frames):
        raise DataError(
            f"{gt_file} has {len(boxes)} rows but {name} has {len(frames)} frames"
            f"{f' (official range {rng[0]}-{rng[1]})' if rng else ''}; one row per frame needed"
        )
    meta = {"layout": layout, "gt_file": str(gt_file), "first_frame": first}
    attrs = seq_dir / "attrs.txt"
    if attrs.is_file():
        meta["attributes"] = [a.strip() for a in read_text(attrs).replace("\n", ",").split(",") if a.strip()]
    elif layout == "otb" and official_attributes(name):
        meta["attributes"] = official_attributes(name)
    frame_ids = np.arange(first, first + len(frames))
    return Sequence(name, frames, boxes, frame_ids=frame_ids, meta=meta)


def _load_from_map(targets: dict, version, check_frames: bool, ranges: bool, layout: str, name: str) -> Sequence:
    seq_dir, gt = targets[name]
    return load_otb_sequence(
        name, seq_dir, gt, version=version, check_frames=check_frames, ranges=ranges, layout=layout
    )


def read_otb(
    root, version: str | None = None, check_frames: bool = True, names=None, ranges: bool = True, layout: str = "otb"
):
    """OTB sequences under ``root`` as a lazy :class:`~siamfc.data.registry.SequenceList`.

    Args:
        root: folder of ``<Seq>/`` folders, or a pysot-style ``OTB100.json`` annotation file.
        version: ``"otb2015"`` or ``"otb2013"`` (the official list, every sequence required), or
            None (every OTB-style folder under ``root``, named after the folder).
        check_frames: False for an annotation-only root (scoring results without the videos).
        names: only these sequences.
        ranges: apply the official sub-ranges (False for other datasets stored OTB-style).
        layout: recorded as ``meta["layout"]``.
    """
    from siamfc.data.registry import SequenceList

    if version is not None and version not in VERSIONS:
        raise DataError(f"unknown OTB version {version!r}; choose one of {sorted(VERSIONS)}")
    if Path(root).suffix == ".json":
        return read_otb_json(root, version=version, check_frames=check_frames, names=names)
    found = scan_otb(root)
    targets = _resolve(found, list(VERSIONS[version]), root) if version else found
    if names is not None:
        targets = _resolve(targets, list(names), root)
    loader = functools.partial(_load_from_map, targets, version, check_frames, ranges, layout)
    return SequenceList(list(targets), loader, {"layout": layout, "version": version})


# -- pysot / DaSiamRPN single-file annotations --------------------------------------------------
def _json_list(value, path, key):
    if isinstance(value, str):  # some copies store the lists as their Python repr
        try:
            value = json.loads(value.replace("'", '"'))
        except json.JSONDecodeError:
            raise DataError(f"{path}: {key} is neither a list nor a list's text") from None
    return value


def _load_json_entry(entries: dict, images_root: Path, check_frames: bool, path, name: str) -> Sequence:
    entry = entries[name]
    files = _json_list(entry.get("image_files", []), path, f"{name}.image_files")
    if not isinstance(files, list) or not all(isinstance(f, str) and f for f in files):
        raise DataError(f"{path}: {name}.image_files is not a list of file names")
    rows = _json_list(entry.get("gt_rect"), path, f"{name}.gt_rect")
    try:
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, 4)
    except (TypeError, ValueError, OverflowError):
        rows = np.empty((0, 4))
    if len(rows) == 0 or np.isinf(rows).any():
        raise DataError(f"{path}: {name}.gt_rect is not a list of 4-number boxes (finite or NaN)")
    boxes = otb_rows_to_boxes(rows)
    folder = images_root / entry.get("name", name) / "img"
    frames = [folder / f for f in files] if files else numbered_frames(folder, 1, len(boxes), 4)
    if len(frames) != len(boxes):
        raise DataError(f"{path}: {name} lists {len(frames)} images but {len(boxes)} boxes")
    if check_frames and not frames[0].is_file():
        raise DataError(f"frame not found: {frames[0]} (pass the folder holding the videos)")
    first = frame_number(frames[0]) or 1
    meta = {"layout": "otb-json", "gt_file": str(path), "first_frame": first}
    if official_attributes(name):
        meta["attributes"] = official_attributes(name)
    return Sequence(name, frames, boxes, frame_ids=np.arange(first, first + len(frames)), meta=meta)


def read_otb_json(path, version: str | None = None, check_frames: bool = False, names=None, images_root=None):
    """Sequences from a pysot-style annotation file (``{key: {name, image_files, gt_rect}}``).

    Keys such as ``jogging_1`` / ``human4_2`` become ``Jogging-1`` / ``Human4-2``. Frames are
    expected at ``images_root/<name>/img/<file>`` (default: the JSON's folder).
    """
    from siamfc.data.registry import SequenceList

    path = Path(path)
    data = read_json(path, "annotation file")
    if not isinstance(data, dict) or not all(isinstance(v, dict) and "gt_rect" in v for v in data.values()):
        raise DataError(f"{path}: expected {{sequence: {{name, image_files, gt_rect}}}}")
    entries = {}
    for key, entry in data.items():
        base = entry.get("name", key)
        if not isinstance(base, str) or not base.strip() or "/" in base:
            raise DataError(f"{path}: {key}.name is not a sequence name: {str(base)[:40]!r}")
        suffix = re.search(r"[-_](\d)$", key)
        entries[f"{base}-{suffix.group(1)}" if suffix else base] = entry
    if version is not None:
        entries = {n: entries[n] for n in _resolve({n: n for n in entries}, list(VERSIONS[version]), path).values()}
    if names is not None:
        entries = {n: entries[n] for n in _resolve({n: n for n in entries}, list(names), path).values()}
    loader = functools.partial(_load_json_entry, entries, Path(images_root or path.parent), check_frames, path)
    return SequenceList(list(entries), loader, {"layout": "otb-json", "version": version})
