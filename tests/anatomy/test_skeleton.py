"""The skeleton from myo-sim: ids, frame, mirror symmetry, sizes, the anatomical arm pose.

Loading bones needs mujoco and myo-sim==0.2.4, which only the asset venv has:

    .venv-assets/bin/python -m pytest tests/anatomy/test_skeleton.py -p no:cacheprovider

In the app's venv those tests skip; the id tables and the mesh tools are tested in both.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh

from anatomy.errors import AnatomyError
from anatomy.pipeline import skeleton

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
ASSET_VENV = "only the asset venv (.venv-assets) has mujoco and myo-sim"


@pytest.fixture(scope="module")
def sources():
    pytest.importorskip("mujoco", reason=f"mujoco is not installed: {ASSET_VENV}")
    pytest.importorskip("myo_sim", reason=f"myo-sim is not installed: {ASSET_VENV}")


@pytest.fixture(scope="module")
def bones(sources):
    return skeleton.extract_bones()


@pytest.fixture(scope="module")
def centres(sources):
    return skeleton.joint_centres()


def _lowest(mesh: trimesh.Trimesh, depth: float = 0.03) -> np.ndarray:
    """Mean of the vertices within ``depth`` of the mesh's lowest point (a distal end)."""
    v = mesh.vertices
    return v[v[:, 2] < v[:, 2].min() + depth].mean(axis=0)


# --- the id table (no mujoco needed) ------------------------------------------------------


def test_ids_name_every_bone_of_the_skeleton():
    ids = skeleton.bone_ids(mirror=False)
    assert len(ids) >= 86
    assert len(ids) == len(set(ids)) == 146
    expected = {"skull", "mandible", "sacrum", "sternum"}
    expected |= {f"c{n}" for n in range(1, 8)} | {f"t{n}" for n in range(1, 13)}
    expected |= {f"l{n}" for n in range(1, 6)}
    expected |= {f"rib_{n}_{s}" for n in range(1, 13) for s in "lr"}
    for s in "lr":
        expected |= {f"{b}_{s}" for b in ("hip_bone", "femur", "patella", "tibia", "fibula")}
        expected |= {f"{b}_{s}" for b in ("talus", "calcaneus", "navicular", "cuboid")}
        expected |= {f"metatarsal_{n}_{s}" for n in range(1, 6)}
        expected |= {f"toe_phalanx_proximal_{n}_{s}" for n in range(1, 6)}
        expected |= {f"toe_phalanx_distal_{n}_{s}" for n in range(1, 6)}
    expected |= {"clavicle_r", "scapula_r", "humerus_r", "radius_r", "ulna_r", "capitate_r"}
    expected |= {f"metacarpal_{n}_r" for n in range(1, 6)}
    expected |= {"phalanx_proximal_1_r", "phalanx_distal_1_r", "phalanx_middle_2_r"}
    assert expected <= set(ids)
    assert "phalanx_middle_1_r" not in ids and "toe_phalanx_middle_1_r" not in ids
    assert all(ID_PATTERN.match(i) for i in ids)


def test_mirroring_adds_a_left_arm():
    ids = set(skeleton.bone_ids())
    right_arm = set(skeleton._arm_mesh_ids().values())
    assert len(right_arm) == 32
    assert len(ids) == 146 + 32
    assert {i[:-2] + "_l" for i in right_arm} <= ids
    sides = [i for i in ids if i.endswith(("_l", "_r"))]
    assert all((i[:-2] + "_r" in ids) and (i[:-2] + "_l" in ids) for i in sides)


def test_every_myo_sim_mesh_maps_to_an_id():
    table = skeleton.bone_sources()
    assert table["femur_r"] == "r_femur (r_femur.stl)"
    assert table["metacarpal_1_r"] == "1mc_r (1mc.stl)"
    assert table["t7"] == "torso_geom_6_thoracic7_s (thoracic7_s.stl)"
    assert "thorax.stl" in table["rib_5_l"]
    assert "mirrored" in table["humerus_l"]


def test_missing_sources_give_an_anatomy_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "mujoco", None)
    with pytest.raises(AnatomyError, match="mujoco and myo-sim") as caught:
        skeleton._import_sources()
    assert caught.value.zh and ".venv-assets" in caught.value.zh


# --- mesh tools (no mujoco needed) --------------------------------------------------------


def test_repair_closes_holes_and_keeps_the_volume():
    sphere = trimesh.creation.icosphere(subdivisions=3)
    holed = trimesh.Trimesh(sphere.vertices, sphere.faces[5:], process=False)
    holed = trimesh.util.concatenate(
        [holed, trimesh.Trimesh([[3, 0, 0], [3, 1, 0], [3, 0, 1]], [[0, 1, 2]])]
    )
    assert not holed.is_watertight
    fixed = skeleton.repair_bone(holed)
    assert fixed.is_watertight
    assert fixed.volume == pytest.approx(sphere.volume, rel=0.01)


def test_mirror_keeps_faces_outward():
    box = trimesh.creation.box(extents=(0.1, 0.2, 0.3))
    box.apply_translation((0.5, 0, 0))
    left = skeleton.mirror_left(box)
    assert left.is_watertight and left.volume > 0
    assert left.centroid[0] == pytest.approx(-0.5)


def test_simplify_keeps_a_closed_mesh_closed():
    pytest.importorskip("fast_simplification", reason="trimesh decimates with fast-simplification")
    sphere = trimesh.creation.icosphere(subdivisions=4)
    simple = skeleton.simplify(sphere, 500)
    assert len(simple.faces) <= 500
    assert simple.is_watertight
    assert simple.volume == pytest.approx(sphere.volume, rel=0.05)
    assert skeleton.simplify(simple, 10_000).faces.shape == simple.faces.shape


def test_face_budget_shares_by_area_within_the_total():
    small = trimesh.creation.icosphere(subdivisions=4, radius=0.01)
    big = trimesh.creation.icosphere(subdivisions=2, radius=0.2)
    bones = {"small": small, "big": big}
    assert skeleton.face_budget(bones, 10_000) == {"small": 5120, "big": 320}
    budget = skeleton.face_budget(bones, 1000)
    assert budget["big"] == 320  # already under its share
    assert budget["small"] == 680
    assert skeleton.face_budget(bones, 200, min_faces=96)["small"] == 96


# --- the bones (mujoco and myo-sim) -------------------------------------------------------


def test_bones_match_the_table_and_are_closed(bones):
    assert set(bones) == set(skeleton.bone_ids())
    for bone_id, mesh in bones.items():
        assert len(mesh.faces) > 0, bone_id
        assert mesh.is_watertight, bone_id
        assert mesh.volume > 0, bone_id


def test_frame_z_up_facing_minus_y_left_at_plus_x(bones):
    tops = {k: m.bounds[1][2] for k, m in bones.items()}
    assert max(tops, key=tops.get) == "skull"
    lowest = min(m.bounds[0][2] for m in bones.values())
    assert lowest == pytest.approx(skeleton.HEEL_PAD)
    for side in "lr":
        toes = bones[f"toe_phalanx_distal_1_{side}"].centroid
        heel = bones[f"calcaneus_{side}"].centroid
        assert heel[1] - toes[1] > 0.15  # toes forward, at -Y
    assert bones["mandible"].centroid[1] < bones["skull"].centroid[1]  # the face at -Y
    assert bones["sternum"].centroid[1] < bones["t6"].centroid[1]
    assert bones["femur_l"].centroid[0] > 0.05 > -0.05 > bones["femur_r"].centroid[0]
    assert bones["humerus_l"].centroid[0] > 0.1
    assert abs(bones["t7"].centroid[0]) < 0.003  # the spine on the midsagittal plane


def test_left_and_right_mirror_each_other(bones):
    from scipy.spatial import cKDTree

    arm = {i[:-2] + "_l" for i in skeleton._arm_mesh_ids().values()}
    pairs = [k for k in bones if k.endswith("_l")]
    assert len(pairs) == 75
    for left in pairs:
        right = left[:-2] + "_r"
        mirrored = bones[left].vertices * [-1.0, 1.0, 1.0]
        if left in arm:
            np.testing.assert_allclose(mirrored, bones[right].vertices, atol=1e-12)
            continue
        # the legs and ribs come as two files each side: the same shape within millimetres
        gaps = np.concatenate(
            [
                cKDTree(bones[right].vertices).query(mirrored)[0],
                cKDTree(mirrored).query(bones[right].vertices)[0],
            ]
        )
        assert np.percentile(gaps, 95) < 0.004, left
        assert gaps.max() < 0.01, left


def test_sizes_are_those_of_an_adult(bones):
    for side in "lr":
        femur = bones[f"femur_{side}"].extents[2]
        assert 0.38 < femur < 0.52
        assert 0.26 < bones[f"humerus_{side}"].extents[2] < 0.37
        assert 0.30 < bones[f"tibia_{side}"].extents[2] < 0.45
    head = trimesh.util.concatenate([bones["skull"], bones["mandible"]])
    assert 0.18 < head.extents[2] < 0.26  # vertex to menton
    stature = max(m.bounds[1][2] for m in bones.values())
    assert 1.55 < stature < 1.90
    rib_tops = [bones[f"rib_{n}_l"].bounds[1][2] for n in range(1, 13)]
    assert rib_tops == sorted(rib_tops, reverse=True)  # rib 1 highest


def test_arms_hang_at_the_sides_with_palms_forward(bones, centres):
    for side, lateral in (("r", -1.0), ("l", 1.0)):
        shoulder, elbow, wrist = (centres[f"{j}_{side}"] for j in ("shoulder", "elbow", "wrist"))
        assert shoulder[2] > elbow[2] + 0.2 > wrist[2] + 0.4
        upper = (elbow - shoulder) / np.linalg.norm(elbow - shoulder)
        assert upper[2] < -0.95  # the upper arm hangs nearly straight down
        # Forearm bones side by side in the coronal plane, the ulna medial.
        radius, ulna = _lowest(bones[f"radius_{side}"]), _lowest(bones[f"ulna_{side}"])
        across = (radius - ulna)[0] * lateral
        assert across > 0.015
        assert across > abs((radius - ulna)[1])
        # Palm forward: thumb lateral of the little finger, the two about level front to back.
        thumb = bones[f"phalanx_distal_1_{side}"].centroid
        little = bones[f"metacarpal_5_{side}"].centroid
        assert (thumb - little)[0] * lateral > 0.02
        index_mc = bones[f"metacarpal_2_{side}"].centroid
        assert abs((index_mc - little)[1]) < 0.5 * abs((index_mc - little)[0])


def test_the_model_pose_keeps_the_palm_facing_the_thigh(sources):
    bones = skeleton.extract_bones(pose="model", mirror=False)
    index_mc, little = bones["metacarpal_2_r"].centroid, bones["metacarpal_5_r"].centroid
    assert abs((index_mc - little)[1]) > abs((index_mc - little)[0])
    assert skeleton.forearm_supination("model") == 0.0
    assert -np.pi / 2 < skeleton.forearm_supination() < -np.pi / 4


def test_joint_centres_sit_in_their_joints(bones, centres):
    names = {"hip", "knee", "ankle", "shoulder", "elbow", "wrist"}
    assert set(centres) == {f"{n}_{s}" for n in names for s in "lr"}
    for side in "lr":
        hip, knee, ankle = (centres[f"{j}_{side}"] for j in ("hip", "knee", "ankle"))
        assert hip[2] > knee[2] > ankle[2] > 0
        femur, tibia = bones[f"femur_{side}"], bones[f"tibia_{side}"]
        assert np.linalg.norm(femur.vertices - hip, axis=1).min() < 0.04
        assert femur.bounds[0][2] - 0.03 < knee[2] < tibia.bounds[1][2] + 0.03
        humerus = bones[f"humerus_{side}"]
        assert np.linalg.norm(humerus.vertices - centres[f"shoulder_{side}"], axis=1).min() < 0.04
    for joint in ("shoulder", "elbow", "wrist"):  # the left arm is the right one mirrored
        np.testing.assert_allclose(centres[f"{joint}_l"] * [-1, 1, 1], centres[f"{joint}_r"])
    np.testing.assert_allclose(centres["hip_l"] * [-1, 1, 1], centres["hip_r"], atol=0.002)
    assert abs(centres["ankle_l"][1] + centres["ankle_r"][1]) < 1e-9  # y = 0 between ankles


def test_a_triangle_budget_keeps_bones_closed_and_arms_mirrored(sources):
    small = skeleton.extract_bones(max_total_faces=100_000)
    assert set(small) == set(skeleton.bone_ids())
    assert sum(len(m.faces) for m in small.values()) <= 100_000
    assert all(m.is_watertight for m in small.values())
    np.testing.assert_allclose(
        small["capitate_l"].vertices * [-1, 1, 1], small["capitate_r"].vertices, atol=1e-12
    )


def test_bone_sources_name_files_that_myo_sim_ships(sources):
    from pathlib import Path

    import myo_sim

    meshes = Path(myo_sim.__file__).parent / "models" / "meshes"
    names = set(skeleton.SINGLE_BONE_MESHES) | set(skeleton.MULTI_BONE_MESHES)
    assert all((meshes / skeleton.stl_file(n)).is_file() for n in names)


def test_bones_are_the_stl_files_moved_rigidly(sources):
    """Same area as the file myo-sim ships: placed without scaling or distortion."""
    from pathlib import Path

    import myo_sim

    meshes = Path(myo_sim.__file__).parent / "models" / "meshes"
    raw = skeleton.extract_bones(repair=False, mirror=False)
    for mesh_name in ("r_femur", "humerus_r", "hat_skull", "capitate_r", "l_talus"):
        source = trimesh.load(meshes / skeleton.stl_file(mesh_name))  # vertices merged
        bone = raw[skeleton.SINGLE_BONE_MESHES[mesh_name]]
        assert len(bone.vertices) == len(source.vertices), mesh_name
        assert bone.area == pytest.approx(source.area, rel=1e-5), mesh_name
        spread = np.linalg.svd(bone.vertices - bone.vertices.mean(0), compute_uv=False)
        expected = np.linalg.svd(source.vertices - source.vertices.mean(0), compute_uv=False)
        assert spread == pytest.approx(expected, rel=1e-4), mesh_name


def test_an_unknown_pose_is_an_anatomy_error(sources):
    with pytest.raises(AnatomyError, match="unknown skeleton pose 'sitting'"):
        skeleton.extract_bones(pose="sitting")


# --- the head fitted into the committed bodies ---------------------------------------------

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "anatomy"


def _polar_rotation(linear: np.ndarray) -> np.ndarray:
    u, _, vt = np.linalg.svd(linear)
    return u @ vt


def test_the_fitted_head_is_myo_sims_upright_and_barely_pushed(sources):
    """In every body the skull and jaw are one affine copy of myo-sim's (scaled, moved,
    not turned: its upright pitch kept) with only small pushes under the skin."""
    from anatomy.body_model import load_body, read_manifest
    from anatomy.pipeline.build import SKELETON_FACES

    source = skeleton.extract_bones(max_total_faces=SKELETON_FACES)
    src = np.vstack([source["skull"].vertices, source["mandible"].vertices])
    n = len(source["skull"].vertices)
    design = np.hstack([src, np.ones((len(src), 1))])
    for shape in read_manifest(ASSETS)["shapes"]:
        body = load_body(ASSETS, shape)
        dst = np.vstack([body.structures["skull"].vertices, body.structures["mandible"].vertices])
        solution, *_ = np.linalg.lstsq(design, dst, rcond=None)
        rotation = _polar_rotation(solution[:3].T)
        turned = np.degrees(np.arccos(np.clip((np.trace(rotation) - 1) / 2, -1, 1)))
        assert turned < 0.5, f"{shape}: head turned {turned:.2f} degrees from myo-sim's"
        push = np.linalg.norm(design @ solution - dst, axis=1) * 1000  # mm
        skull, jaw = push[:n], push[n:]
        assert np.percentile(skull, 95) < 2.5 and skull.max() < 10, (shape, skull.max())
        assert np.percentile(jaw, 95) < 4.0 and jaw.max() < 10, (shape, jaw.max())
