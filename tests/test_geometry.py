"""Box and polygon conversions (siamfc.geometry)."""

from __future__ import annotations

import numpy as np
import pytest

from siamfc.errors import DataError
from siamfc.geometry import as_polygons, boxes_to_polygons, polygons_to_boxes, polygons_to_region_boxes


def test_box_polygon_round_trip():
    boxes = np.array([[3.0, 4.0, 10.0, 6.0], [np.nan] * 4])
    back = polygons_to_boxes(boxes_to_polygons(boxes))
    np.testing.assert_allclose(back[0], boxes[0])
    assert np.isnan(back[1]).all()


def test_region_box_of_an_axis_aligned_rectangle_is_it_plus_one_pixel():
    poly = boxes_to_polygons([[10.0, 20.0, 30.0, 40.0]])
    box = polygons_to_region_boxes(poly)[0]
    # Same centre (mean of the corners = 25, 40), size + 1 (the authors' pixel count).
    np.testing.assert_allclose(box, [10.0, 20.0, 31.0, 41.0])


def test_region_box_of_a_rotated_square_keeps_area_and_centre():
    c, r = np.array([50.0, 60.0]), 10.0  # a square of side r * sqrt(2), turned 45 degrees
    poly = np.array([[c[0], c[1] - r, c[0] + r, c[1], c[0], c[1] + r, c[0] - r, c[1]]])
    box = polygons_to_region_boxes(poly)[0]
    side = r * np.sqrt(2)
    np.testing.assert_allclose(box[2:], [side + 1, side + 1])
    np.testing.assert_allclose(box[:2] + (box[2:] - 1) / 2, c)
    # The min/max box is twice as large in area.
    np.testing.assert_allclose(polygons_to_boxes(poly)[0], [40.0, 50.0, 20.0, 20.0])


@pytest.mark.parametrize("values, words", [([1, 2, 3, 4], "at least 3 points"), ([1, 2, 3, 4, 5], "even count")])
def test_bad_polygons_are_one_line_errors(values, words):
    with pytest.raises(DataError, match=words):
        as_polygons(values, "trax region")
