"""Schematic organs, vessels, nerves and muscles built on the myo-sim skeleton.

Building them needs the skeleton (mujoco, myo-sim) and scikit-image, which only the asset
venv has:

    .venv-assets/bin/python -m pytest tests/anatomy/test_schematic.py -p no:cacheprovider

In the app's venv those tests skip; the geometry tools and the sources table are tested in
both.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import trimesh

from anatomy.catalog import load_catalog
from anatomy.errors import AnatomyError
from anatomy.pipeline import schematic

ASSET_VENV = "only the asset venv (.venv-assets) has it"
SOURCES = Path(schematic.__file__).with_name("SCHEMATIC_SOURCES.md")


@pytest.fixture(scope="module")
def skeleton():
    pytest.importorskip("mujoco", reason=f"mujoco is not installed: {ASSET_VENV}")
    pytest.importorskip("myo_sim", reason=f"myo-sim is not installed: {ASSET_VENV}")
    pytest.importorskip("skimage", reason=f"scikit-image is not installed: {ASSET_VENV}")
    from anatomy.pipeline import skeleton as source

    return source.extract_bones(), source.joint_centres()


@pytest.fixture(scope="module")
def bones(skeleton):
    return skeleton[0]


@pytest.fixture(scope="module")
def built(skeleton):
    bones, joints = skeleton
    return schematic.build_schematic(bones, joints)


def _systems() -> dict[str, str]:
    return {s.structure_id: s.system for s in load_catalog().structures.values()}


def _symmetric_pairs(built) -> list[tuple[str, str]]:
    """Left/right pairs built as mirror images: muscles and the limb and neck vessels and
    nerves (not kidneys, ureters, carotid, subclavian or iliac arteries, phrenic or vagus)."""
    systems = _systems()
    mirrored = set(schematic._MIRRORED_VESSELS_AND_NERVES)
    pairs = []
    for name in built:
        if not name.endswith("_r"):
            continue
        if systems[name] == "muscular" or name in mirrored:
            pairs.append((name, name[:-2] + "_l"))
    return pairs


def _tube_length_and_radius(mesh: trimesh.Trimesh) -> tuple[float, float]:
    """A tube's length and radius from its area and volume, taken as a capsule:
    A = 2 pi r L + 4 pi r^2 and V = pi r^2 L + 4/3 pi r^3, so 2/3 pi r^3 - A r / 2 + V = 0."""
    area, volume = float(mesh.area), float(mesh.volume)
    roots = np.roots([2.0 * np.pi / 3.0, 0.0, -area / 2.0, volume])
    roots = roots[np.isreal(roots)].real
    radius = float(roots[np.argmin(np.abs(roots - 2.0 * volume / area))])
    return (area - 4.0 * np.pi * radius**2) / (2.0 * np.pi * radius), radius


def _inside_fraction(mesh: trimesh.Trimesh, bones, count: int = 1500, seed: int = 7) -> float:
    """Share of points sampled inside ``mesh`` that also lie inside a bone."""
    rng = np.random.default_rng(seed)
    lo, hi = mesh.bounds
    points = rng.uniform(lo, hi, (count * 6, 3))
    points = points[mesh.contains(points)][:count]
    hit = np.zeros(len(points), dtype=bool)
    for bone in bones.values():
        b_lo, b_hi = bone.bounds
        near = np.all((points >= b_lo) & (points <= b_hi), axis=1)
        if near.any():
            hit[near] |= bone.contains(points[near])
    return float(hit.mean()) if len(points) else 0.0


# --- the catalog and the sources table (no skeleton needed) -----------------------------


def test_schematic_ids_are_the_catalog_entries_we_build():
    ids = schematic.schematic_ids()
    catalog = load_catalog()
    assert len(ids) == len(set(ids)) >= 120
    for structure_id in ids:
        entry = catalog[structure_id]
        assert entry.schematic and entry.source.startswith("MedVR schematic")
    assert {"liver", "kidney_l", "aortic_arch", "sciatic_nerve_r", "deltoid_l"} <= set(ids)
    muscles = [i for i in ids if catalog[i].system == "muscular" and i != "diaphragm"]
    assert len(muscles) >= 60


def test_sources_document_every_structure_in_one_line():
    text = SOURCES.read_text(encoding="utf-8")
    rows = {
        m.group(1): m.group(2) for m in re.finditer(r"^\| `([a-z0-9_]+)` \|(.+)\|$", text, re.M)
    }
    missing = [i for i in schematic.schematic_ids() if i not in rows]
    assert not missing, f"SCHEMATIC_SOURCES.md lacks {missing}"
    assert "Gray's Anatomy" in text and "系统解剖学" in text


# --- geometry tools (no skeleton needed) ----------------------------------------------------


def test_tube_is_closed_and_follows_its_path():
    path = schematic.spline([[0, 0, 0], [0.05, 0.02, 0.1], [0.0, 0.05, 0.2]], 0.002)
    assert np.allclose(path[0], [0, 0, 0]) and np.allclose(path[-1], [0, 0.05, 0.2])
    mesh = schematic.tube(path, 0.006)
    assert mesh.is_watertight and mesh.is_winding_consistent and mesh.volume > 0
    length, radius = _tube_length_and_radius(mesh)
    assert radius == pytest.approx(0.006, rel=0.08)
    assert length == pytest.approx(float(schematic.arc_length(path)[-1]), rel=0.12)


def test_occupancy_fills_a_closed_mesh():
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=0.05)
    grid = schematic.Grid.around([-0.06] * 3, [0.06] * 3, 0.002)
    inside = schematic.occupancy(sphere, grid)
    assert inside.sum() * grid.pitch**3 == pytest.approx(sphere.volume, rel=0.03)
    centre = tuple(int(round((0 - grid.origin[i]) / grid.pitch)) for i in range(3))
    assert inside[centre] and not inside[0, 0, 0]


def test_polygon_distance_is_negative_inside():
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=float)
    u = np.array([0.5, 1.5, 0.5])
    v = np.array([0.5, 0.5, -0.25])
    assert np.allclose(schematic.polygon_distance(u, v, square), [-0.5, 0.5, 0.25])


# --- the built set ---------------------------------------------------------------------------


def test_every_schematic_catalog_id_is_built(built):
    assert list(built) == sorted(built)
    assert set(built) == set(schematic.schematic_ids())


def test_every_structure_is_closed_with_positive_volume(built):
    for name, mesh in built.items():
        assert mesh.is_watertight, name
        assert mesh.is_winding_consistent, name
        assert mesh.volume > 0, name


def test_the_set_keeps_to_its_triangle_budget(built):
    assert sum(len(m.faces) for m in built.values()) <= 200_000


def test_organ_sizes_are_adult(built):
    liver = built["liver"].volume * 1e3  # litres
    assert 1.2 <= liver <= 2.0
    for side in "lr":
        kidney = built[f"kidney_{side}"]
        along = kidney.vertices @ kidney.principal_inertia_vectors.T
        assert 0.095 <= np.ptp(along, axis=0).max() <= 0.13, side  # about 11 cm long
        assert 90 <= kidney.volume * 1e6 <= 250, side
    assert 80 <= built["spleen"].volume * 1e6 <= 300
    assert 20 <= built["pancreas"].volume * 1e6 <= 120
    assert 20 <= built["gallbladder"].volume * 1e6 <= 80
    assert 10 <= built["thyroid_gland"].volume * 1e6 <= 40
    assert 15 <= built["prostate"].volume * 1e6 <= 30
    assert 700 <= built["cerebrum"].volume * 1e6 <= 1400
    assert 70 <= built["cerebellum"].volume * 1e6 <= 200


def test_vessel_and_nerve_calibres_and_the_aortas_length(built):
    pieces = ("aorta_ascending", "aortic_arch", "aorta_thoracic", "aorta_abdominal")
    lengths = [_tube_length_and_radius(built[p])[0] for p in pieces]
    assert 0.32 <= sum(lengths) <= 0.55  # adult aorta about 40-45 cm
    assert 0.012 <= _tube_length_and_radius(built["aorta_ascending"])[1] <= 0.016
    assert 0.009 <= _tube_length_and_radius(built["aorta_abdominal"])[1] <= 0.013
    for name, low, high in (
        ("femoral_artery_r", 0.0032, 0.0048),
        ("sciatic_nerve_r", 0.006, 0.0095),
        ("median_nerve_r", 0.002, 0.0035),
        ("common_carotid_artery_l", 0.003, 0.0048),
        ("inferior_vena_cava", 0.009, 0.013),
    ):
        assert low <= _tube_length_and_radius(built[name])[1] <= high, name
    assert 0.3 <= _tube_length_and_radius(built["femoral_artery_l"])[0] <= 0.45
    assert 0.35 <= _tube_length_and_radius(built["spinal_cord"])[0] <= 0.5


def test_organs_lie_where_the_atlases_put_them(built, bones):
    c = {name: mesh.centroid for name, mesh in built.items()}
    assert c["liver"][0] < 0 < c["spleen"][0]
    assert c["liver"][0] < c["spleen"][0] - 0.08
    assert c["kidney_l"][0] > 0 > c["kidney_r"][0]
    assert 0.005 <= c["kidney_l"][2] - c["kidney_r"][2] <= 0.03  # the right lies lower
    # kidneys beside T12-L3, behind the pancreas
    t12, l3 = bones["t12"].bounds, bones["l3"].bounds
    for side in "lr":
        assert l3[0][2] - 0.02 <= c[f"kidney_{side}"][2] <= t12[1][2]
    assert c["pancreas"][1] < min(c["kidney_l"][1], c["kidney_r"][1])
    # the liver's dome under the diaphragm's, the gallbladder on its underside
    assert built["diaphragm"].bounds[1][2] > built["liver"].bounds[1][2]
    assert c["gallbladder"][2] < c["liver"][2] and c["gallbladder"][0] < 0
    # brain inside the skull
    skull_lo, skull_hi = bones["skull"].bounds
    for name in ("cerebrum", "cerebellum"):
        lo, hi = built[name].bounds
        assert np.all(lo >= skull_lo - 1e-3) and np.all(hi <= skull_hi + 1e-3), name
    assert c["cerebellum"][1] > c["cerebrum"][1] and c["cerebellum"][2] < c["cerebrum"][2]
    # neck: thyroid in front of the trachea, trachea in front of the spine
    assert c["thyroid_gland"][1] < c["trachea"][1] < bones["t2"].centroid[1]
    assert c["aorta_thoracic"][0] > 0  # descending left of the vertebral bodies
    assert c["inferior_vena_cava"][0] < 0 < c["aorta_abdominal"][0] + 0.01
    # the prostate under the bladder neck, behind the pubic symphysis
    from anatomy.pipeline.pelvis import bladder_targets, pelvic_landmarks

    pelvis = pelvic_landmarks(bones)
    neck, _ = bladder_targets(pelvis)
    prostate = built["prostate"]
    assert abs(prostate.bounds[1][2] - neck[2]) < 0.004  # its base holds the neck
    assert c["prostate"][1] > pelvis.symphysis_back[1] and abs(c["prostate"][0]) < 0.003
    assert pelvis.symphysis_low[2] - 0.03 < c["prostate"][2] < pelvis.symphysis_top[2]


def test_limb_vessels_and_nerves_lie_on_the_right_side_of_the_bones(built, bones):
    for side in "lr":
        femur = bones[f"femur_{side}"].centroid
        assert built[f"femoral_artery_{side}"].centroid[1] < femur[1], side
        assert built[f"femoral_vein_{side}"].centroid[1] < femur[1], side
        assert built[f"sciatic_nerve_{side}"].centroid[1] > femur[1] + 0.02, side
        humerus = bones[f"humerus_{side}"].centroid
        # the median nerve and brachial artery run medial to the humerus
        sign = 1.0 if side == "l" else -1.0
        assert sign * built[f"brachial_artery_{side}"].centroid[0] < sign * humerus[0], side
        wrist_level = bones[f"lunate_{side}"].centroid[2]
        assert built[f"median_nerve_{side}"].bounds[0][2] < wrist_level, side


def test_left_and_right_mirror_each_other(built):
    from scipy.spatial import cKDTree

    pairs = _symmetric_pairs(built)
    assert len(pairs) >= 45
    for right, left in pairs:
        mirrored = built[right].vertices * [-1.0, 1.0, 1.0]
        gap, _ = cKDTree(built[left].vertices).query(mirrored)
        assert gap.max() <= 1e-3, (right, left, gap.max())
        assert built[left].volume == pytest.approx(built[right].volume, rel=1e-6)


def test_muscles_lie_on_the_bones_not_through_them(built, bones):
    systems = _systems()
    worst = {}
    for name, mesh in built.items():
        if systems[name] == "muscular" and name != "diaphragm":
            worst[name] = _inside_fraction(mesh, bones)
    bad = {k: round(v, 3) for k, v in worst.items() if v > 0.03}
    assert not bad, f"muscles cutting through bone: {bad}"


def test_vessels_and_nerves_run_beside_the_bones(built, bones):
    systems = _systems()
    bad = {}
    for name, mesh in built.items():
        if systems[name] in ("cardiovascular", "nervous") and name not in (
            "cerebrum",
            "cerebellum",
        ):
            share = _inside_fraction(mesh, bones, count=600)
            if share > 0.06:
                bad[name] = round(share, 3)
    assert not bad, f"vessels or nerves cutting through bone: {bad}"


def test_building_again_gives_the_same_vertices(skeleton, built):
    bones, joints = skeleton
    names = [
        "liver",
        "kidney_l",
        "cerebrum",
        "deltoid_r",
        "deltoid_l",
        "femoral_artery_l",
        "brachial_plexus_r",
    ]
    again = schematic.build_schematic(bones, joints, only=names)
    assert list(again) == sorted(names)
    for name in names:
        assert np.array_equal(again[name].vertices, built[name].vertices), name
        assert np.array_equal(again[name].faces, built[name].faces), name


def test_missing_inputs_give_a_clear_error(skeleton):
    bones, joints = skeleton
    without_sternum = {k: v for k, v in bones.items() if k != "sternum"}
    with pytest.raises(AnatomyError, match="sternum"):
        schematic.build_schematic(without_sternum, joints, only=["liver"])
    with pytest.raises(AnatomyError, match="hip_r"):
        schematic.build_schematic(
            bones, {k: v for k, v in joints.items() if k != "hip_r"}, only=["liver"]
        )
    with pytest.raises(AnatomyError, match="heart_of_gold"):
        schematic.build_schematic(bones, joints, only=["heart_of_gold"])


def test_the_build_follows_a_moved_skeleton(skeleton, built):
    """Anchors come from the bones given: a skeleton lifted 5 cm lifts every structure."""
    bones, joints = skeleton
    lift = np.array([0.0, 0.0, 0.05])
    moved = {
        k: trimesh.Trimesh(m.vertices + lift, m.faces, process=False) for k, m in bones.items()
    }
    moved_joints = {k: np.asarray(v) + lift for k, v in joints.items()}
    names = ["kidney_r", "sciatic_nerve_l", "biceps_brachii_r"]
    again = schematic.build_schematic(moved, moved_joints, only=names)
    for name in names:
        shift = again[name].centroid - built[name].centroid
        assert np.allclose(shift, lift, atol=2.5e-3), (name, shift)
