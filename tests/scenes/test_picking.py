"""Ray picking against boxes, vectorised over all boxes."""

from __future__ import annotations

import numpy as np

from scenes.picking import BoxPicker, ray_box_distances


def test_nearest_box_along_the_ray_wins():
    picker = BoxPicker()
    picker.add("far", (-1, 4, -1), (1, 5, 1))
    picker.add("near", (-1, 1, -1), (1, 2, 1))
    assert picker.pick((0, 0, 0), (0, 1, 0)) == ("near", 1.0)
    assert picker.pick((0, 3, 0), (0, 1, 0)) == ("far", 1.0)


def test_misses_and_boxes_behind_the_origin():
    picker = BoxPicker()
    assert picker.pick((0, 0, 0), (0, 1, 0)) is None
    picker.add("behind", (-1, -3, -1), (1, -2, 1))
    assert picker.pick((0, 0, 0), (0, 1, 0)) is None
    assert picker.pick((5, 0, 0), (0, -1, 0)) is None


def test_origin_inside_a_box_hits_at_zero_and_axis_parallel_rays():
    t = ray_box_distances(
        (0, 0, 0),
        (1, 0, 0),
        np.array([[-1, -1, -1], [2, -1, -1]]),
        np.array([[1, 1, 1], [3, 1, 1]]),
    )
    assert t.tolist() == [0.0, 2.0]
    # A ray in the plane of a box face but outside the slab misses.
    t = ray_box_distances((0, 2, 0), (1, 0, 0), np.array([[2, -1, -1]]), np.array([[3, 1, 1]]))
    assert np.isinf(t[0])
