"""SiamFC as a TraX tracker, for the official VOT toolkit: ``python -m siamfc.vot`` (= ``siamfc trax``).

The toolkit starts this command once per sequence run and talks TraX over the process's stdin /
stdout (``vot-trax``'s server; log lines go to stderr, which TraX ignores). Each ``initialize``
message starts the tracker afresh (the toolkit sends one after every failure), each ``frame``
message gets one box back.

Regions (the toolkit's numbers are those of the sequence's ``groundtruth.txt``: 1-based pixels,
converted here as every siamfc reader does):

* in: a **rectangle** ``x, y, w, h`` is the start box; a **polygon** (VOT annotations) becomes
  the box the SiamFC authors start from (:func:`siamfc.geometry.start_box`: a quadrilateral's
  region box, another polygon's bounding box), the same rule as ``siamfc eval --dataset vot20xx``
  and ``siamfc track --box groundtruth.txt`` -- so all three start from the same box;
* out: a **rectangle**, always.

Images: file paths (the toolkit's default) or images in memory: RGB, or grey (8 or 16 bits: the
16-bit ones keep their high byte), made BGR as every siamfc frame is. A client that goes away
mid-sequence ends the process with status 0 and one line on stderr; a region the tracker cannot
start from (a polygon with fewer than 3 points, an empty box) ends it with that error on one line
and status 2, and the toolkit reports the tracker's failure.

A ``trackers.ini`` entry (see docs/evaluation.md)::

    [SiamFC]
    label = SiamFC
    protocol = trax
    command = python -m siamfc.vot --params 3s --backend auto
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from siamfc import geometry
from siamfc.data.box_files import from_file_coords, to_file_coords
from siamfc.errors import DataError, InvalidBoxError, InvalidFrameError, SiamFCError
from siamfc.geometry import as_polygons


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m siamfc.vot", description=__doc__.splitlines()[0])
    add_trax_arguments(p)
    return p.parse_args(argv)


def add_trax_arguments(p) -> None:
    from siamfc.apps.cli.tracker_options import add_tracker_options

    add_tracker_options(p)
    p.add_argument("--trax-log", metavar="FILE", help="write TraX's own protocol log to FILE")


def start_box(region) -> np.ndarray:
    """The 0-based ``(x, y, w, h)`` to start from, for a TraX rectangle or polygon (file numbers)."""
    kind = region.type  # vot-trax's Region.RECTANGLE / Region.POLYGON are these strings
    if kind == "rectangle":
        return from_file_coords(np.array([region.bounds()], dtype=np.float64))[0]
    if kind == "polygon":
        points = [v for point in region for v in point]
        polygon = as_polygons(points, "TraX region")
        return geometry.start_box(from_file_coords(polygon)[0], "TraX region")
    raise DataError(f"TraX region of type {kind!r}: only rectangles and polygons are accepted")


def memory_frame(array) -> np.ndarray:
    """A TraX memory image -- ``(H, W, 3)`` RGB, ``(H, W, 1)`` or ``(H, W)`` grey, uint8 or uint16
    (its high byte) -- as an ``(H, W, 3)`` BGR uint8 frame; InvalidFrameError for anything else."""
    a = np.asarray(array)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 3) or a.shape[0] == 0 or a.shape[1] == 0:
        raise InvalidFrameError(f"TraX memory image of shape {a.shape}: expected H x W x 3 (RGB) or H x W (grey)")
    if a.dtype == np.uint16:
        a = (a >> 8).astype(np.uint8)
    elif a.dtype != np.uint8:
        raise InvalidFrameError(f"TraX memory image of type {a.dtype}: expected 8 or 16 bits per pixel")
    if a.shape[2] == 1:
        return np.ascontiguousarray(np.repeat(a, 3, axis=2))
    return np.ascontiguousarray(a[:, :, ::-1])


def read_image(images: dict) -> np.ndarray:
    """The colour channel of a TraX request as a BGR uint8 frame."""
    import cv2
    from trax import Image

    image = images.get("color")
    if image is None:
        raise InvalidFrameError("TraX request without a colour image")
    kind = image.type()  # a method on vot-trax's images (a property on its regions)
    if kind == Image.PATH:
        frame = cv2.imread(image.path(), cv2.IMREAD_COLOR)
        if frame is None:
            raise InvalidFrameError(f"cannot read the image {image.path()}")
        return frame
    if kind == Image.MEMORY:
        return memory_frame(image.array())
    raise InvalidFrameError(f"TraX image of type {kind!r}: only file paths and memory images are accepted")


def rectangle(box):
    from trax import Rectangle

    x, y, w, h = (float(v) for v in to_file_coords(np.asarray(box, dtype=np.float64).reshape(1, 4))[0])
    return Rectangle.create(x, y, w, h)


def serve(tracker, server) -> None:
    """Answer TraX requests until the client quits (raises TraxException if it goes away)."""
    from trax import TraxStatus

    while True:
        request = server.wait()
        if request.type == TraxStatus.QUIT:
            return
        frame = read_image(request.image)
        if request.type == TraxStatus.INITIALIZE:
            if len(request.objects) != 1:
                raise DataError(f"TraX initialize with {len(request.objects)} objects: SiamFC tracks one")
            box = start_box(request.objects[0][0])
            tracker.init(frame, box)
        else:
            box = tracker.update(frame).box
        server.status([(rectangle(box), {})])


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        from trax import Image, Region, TraxException
        from trax.server import Server
    except ImportError:
        print("siamfc trax: error: the vot-trax package is not installed (pip install vot-trax)", file=sys.stderr)
        return 2
    from siamfc.apps.cli.tracker_options import tracker_kwargs
    from siamfc.tracking import SiamFCTracker

    try:
        tracker = SiamFCTracker(**tracker_kwargs(args))
    except SiamFCError as exc:
        print(f"siamfc trax: error: {exc}", file=sys.stderr)
        return 2
    try:
        server = Server(
            [Region.RECTANGLE, Region.POLYGON],
            [Image.PATH, Image.MEMORY],
            ["color"],
            tracker_name="SiamFC",
            tracker_description="SiamFC (Bertinetto et al. 2016), siamfc package",
            tracker_family="siamfc",
            log=args.trax_log or False,
        )
    except TraxException as exc:
        print(f"siamfc trax: error: no TraX client to talk to ({exc})", file=sys.stderr)
        return 2
    try:
        serve(tracker, server)
    except TraxException as exc:  # the client closed the pipe or socket: nothing left to answer
        print(f"siamfc trax: the client went away ({exc}); exiting", file=sys.stderr)
        return 0
    except (DataError, InvalidBoxError, InvalidFrameError, SiamFCError) as exc:
        print(f"siamfc trax: error: {exc}", file=sys.stderr)
        try:
            server.quit(reason=str(exc))
        except TraxException:
            pass
        return 2
    try:
        server.quit()
    except TraxException:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
