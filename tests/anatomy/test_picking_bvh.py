"""Picking structures with rays: nearest visible hit, hidden and cut structures skipped."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from anatomy.picking import StructurePicker


@pytest.fixture(scope="module")
def nested():
    """A 'skin' sphere around a 'heart' sphere, and a 'liver' box to the side."""
    skin = trimesh.creation.icosphere(3, radius=1.0)
    heart = trimesh.creation.icosphere(3, radius=0.3)
    liver = trimesh.creation.box([0.4, 0.4, 0.4]).apply_translation([3, 0, 0])
    return StructurePicker({"skin": skin, "heart": heart, "liver": liver})


def test_nearest_surface_wins(nested):
    hit = nested.pick((0, -5, 0), (0, 1, 0))
    assert hit.structure_id == "skin"
    assert hit.distance == pytest.approx(4.0, abs=0.01)


def test_hidden_structures_let_the_ray_through(nested):
    hit = nested.pick((0, -5, 0), (0, 1, 0), visible={"heart", "liver"})
    assert hit.structure_id == "heart"
    assert hit.distance == pytest.approx(4.7, abs=0.01)


def test_section_plane_removes_the_near_half(nested):
    # Keep y >= 0: the skin's near wall is cut away, the heart's far half remains.
    hit = nested.pick((0, -5, 0), (0, 1, 0), section=(0, 1, 0, 0))
    assert hit.structure_id == "heart"
    assert hit.point[1] == pytest.approx(0.3, abs=0.01)


def test_many_rays_at_once_and_misses(nested):
    origins = np.array([[0, -5, 0], [3, -5, 0], [10, -5, 10]], dtype=float)
    directions = np.tile([0, 1, 0], (3, 1)).astype(float)
    hits = nested.pick_many(origins, directions)
    assert [h.structure_id if h else None for h in hits] == ["skin", "liver", None]


def test_uses_embree_when_installed(nested):
    pytest.importorskip("embreex")
    assert nested.backend == "embree"
