"""The committed anatomy assets: complete, closed, inside the skin, symmetric, per shape,
and reproducible from their sources; the pleura around the lungs, the head upright, the
uterus only in female bodies and the prostate only in male ones."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import trimesh

from anatomy.body_model import export_body, load_body, read_manifest
from anatomy.catalog import load_catalog
from anatomy.errors import AnatomyError
from anatomy.pipeline.build import SEX_ORGANS, shape_sex
from anatomy.pipeline.pelvis import pelvic_landmarks
from anatomy.pipeline.pleura import rib_cage, thoracic_inlet
from anatomy.pipeline.schematic import HEAD_DOWN
from scenes.anatomy_lab import asset_dir

ASSETS = asset_dir()
SHAPES = list(read_manifest(ASSETS)["shapes"])


@pytest.fixture(scope="module")
def bodies():
    return {shape: load_body(ASSETS, shape) for shape in SHAPES}


def test_four_body_shapes_of_different_statures(bodies):
    assert len(SHAPES) >= 4
    heights = {s: b.mesh("skin").bounds[1][2] for s, b in bodies.items()}
    assert all(1.5 < h < 1.95 for h in heights.values()), heights
    assert len({round(h, 2) for h in heights.values()}) == len(heights)


def test_every_structure_is_in_the_catalog_and_closed(bodies):
    catalog = load_catalog()
    body = bodies[read_manifest(ASSETS)["default_shape"]]
    assert "skin" in body.structures
    skeletal = {s for s, e in catalog.structures.items() if e.system == "skeletal"}
    assert skeletal <= set(body.structures), "every bone of the catalog is built"
    open_meshes = [sid for sid, m in body.meshes.items() if not m.is_watertight]
    assert open_meshes == []


SKIN_TOLERANCE = 0.003  # where arm and chest skin nearly touch, "inside" is within a hair
# 26 directions: toward the faces, edges and corners of a cube around a point.
LOOKS = np.array([d for d in np.ndindex(3, 3, 3) if d != (1, 1, 1)], dtype=float) - 1.0


def _seen_from_outside(skin: trimesh.Trimesh, points: np.ndarray) -> np.ndarray:
    """Which points (outside the skin) lie in the open rather than in a pocket of it:
    MakeHuman's skin also lines the mouth and the eye sockets, where the teeth and the
    orbits' rims belong. From such a pocket a point sees out only through a slit (between
    the lips); from the open, through a quarter of the directions or more."""
    escapes = np.zeros(len(points), dtype=int)
    for direction in LOOKS / np.linalg.norm(LOOKS, axis=1, keepdims=True):
        rays = np.tile(direction, (len(points), 1))
        escapes += ~skin.ray.intersects_any(points, rays)
    return escapes >= len(LOOKS) // 4


@pytest.mark.parametrize("shape", SHAPES)
def test_every_structure_lies_inside_the_skin(bodies, shape):
    body = bodies[shape]
    skin = body.mesh("skin")
    ids = [sid for sid in body.structures if sid != "skin"]
    points = np.vstack([body.mesh(sid).vertices[::5] for sid in ids])
    owner = np.concatenate([[sid] * len(body.mesh(sid).vertices[::5]) for sid in ids])
    depth = trimesh.proximity.signed_distance(skin, points)  # > 0 inside
    # The sign of a closest-point distance can flip beside the folded armpit skin of a
    # heavy body; a point counts as outside only if a ray test agrees.
    suspect = depth < -SKIN_TOLERANCE
    suspect[suspect] = ~skin.contains(points[suspect])
    suspect[suspect] = _seen_from_outside(skin, points[suspect])
    outside = sorted(set(owner[suspect]))
    assert outside == [], f"outside the skin by more than 3 mm: {outside}"


# Pairs that differ by nature: the left carotid and subclavian arteries leave the aortic
# arch while the right ones leave the brachiocephalic trunk; the right kidney sits lower;
# the vagus and phrenic nerves take different courses around the heart and great vessels.
ASYMMETRIC = (
    "common_carotid_artery",
    "subclavian_artery",
    "internal_jugular_vein",
    "subclavian_vein",
    "kidney",
    "ureter",
    "vagus_nerve",
    "phrenic_nerve",
    "common_iliac_artery",
)


def test_left_and_right_mirror_each_other(bodies):
    body = bodies[read_manifest(ASSETS)["default_shape"]]
    worst = 0.0
    for sid in body.structures:
        if not sid.endswith("_l") or sid.startswith(ASYMMETRIC):
            continue
        left, right = body.mesh(sid), body.mesh(sid[:-2] + "_r")
        mirrored = right.centroid * [-1, 1, 1]
        worst = max(worst, float(np.linalg.norm(left.centroid - mirrored)))
        assert abs(left.area - right.area) / right.area < 0.05, sid
    assert worst < 0.005, f"worst left/right centroid mismatch {worst:.4f} m"


def test_anatomical_position_and_frame(bodies):
    body = bodies[read_manifest(ASSETS)["default_shape"]]
    skull, sacrum = body.mesh("skull").centroid, body.mesh("sacrum").centroid
    assert skull[2] > 1.4 and sacrum[2] < 1.1
    assert body.mesh("femur_l").centroid[0] > 0 > body.mesh("femur_r").centroid[0]
    # Palms forward: the radius lies lateral to the ulna at the wrist.
    for side, sign in (("l", 1), ("r", -1)):
        radius, ulna = body.mesh(f"radius_{side}"), body.mesh(f"ulna_{side}")
        assert sign * (radius.centroid[0] - ulna.centroid[0]) > 0
    # Toes point forward (−Y) from the heel.
    assert body.mesh("toe_phalanx_distal_1_l").centroid[1] < body.mesh("calcaneus_l").centroid[1]


def test_export_lists_structures_and_landmarks(bodies):
    data = export_body(bodies[SHAPES[0]])
    json.dumps(data)
    ids = {s["id"] for s in data["structures"]}
    assert {"skin", "femur_l", "skull"} <= ids
    femur = next(s for s in data["structures"] if s["id"] == "femur_l")
    assert femur["volume_m3"] and 1e-4 < femur["volume_m3"] < 6e-4
    assert {"suprasternal_notch", "umbilicus", "acromion_l"} <= set(data["landmarks"])


def test_unknown_shape_and_missing_assets_are_clear(tmp_path):
    with pytest.raises(AnatomyError, match="no body shape 'giant'"):
        load_body(ASSETS, "giant")
    with pytest.raises(AnatomyError, match="anatomy assets are missing"):
        load_body(tmp_path)


def test_skin_rebuilds_to_the_committed_geometry(tmp_path):
    """The pipeline's skin step, run here from the pinned MakeHuman source, gives the
    same geometry as the committed glb."""
    code = (
        "from pathlib import Path; from anatomy.pipeline.build import build, skin_digest; "
        f"build(Path({str(tmp_path)!r}), steps=('skin',), force=True); "
        f"print(skin_digest(Path({str(tmp_path)!r}) / 'skin.glb'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    from anatomy.pipeline.build import skin_digest

    assert out.stdout.strip().splitlines()[-1] == skin_digest(ASSETS / "skin.glb")


def test_committed_assets_match_the_pipeline_code():
    """Changing a pipeline step's code without `make assets` leaves stale assets."""
    from anatomy.pipeline.build import step_fingerprints

    manifest = read_manifest(ASSETS)
    current = step_fingerprints(tuple(manifest["shapes"]))
    stale = [s for s, fp in manifest["steps"].items() if current[s] != fp]
    assert stale == [], f"rebuild with `make assets`: {stale} changed"


# --- the pleura ---------------------------------------------------------------------------


def _lobes(body, side: str) -> list[str]:
    return sorted(sid for sid in body.structures if sid.startswith(f"lung_{side}_"))


@pytest.mark.parametrize("shape", SHAPES)
def test_each_pleural_sac_holds_its_own_lung(bodies, shape):
    body = bodies[shape]
    assert not {"lung_l", "lung_r"} & set(body.structures)
    for side, other in (("l", "r"), ("r", "l")):
        sac = body.mesh(f"pleura_{side}")
        assert sac.is_watertight and sac.is_winding_consistent and sac.volume > 0
        lobes = np.vstack([body.mesh(sid).vertices for sid in _lobes(body, side)])
        depth = trimesh.proximity.signed_distance(sac, lobes)  # > 0 inside
        assert (depth > -0.001).mean() > 0.99, (side, float(depth.min()))
        assert depth.min() > -0.003, (side, float(depth.min()))
        # a few millimetres of pleural cavity around the lung, no more
        assert 0.002 < np.median(depth) < 0.006, (side, float(np.median(depth)))
        lung_volume = sum(body.mesh(sid).volume for sid in _lobes(body, side))
        assert 1.05 < sac.volume / lung_volume < 1.5
        assert not sac.contains(body.mesh(f"lung_{other}_lower_lobe").vertices[::10]).any()


def test_pleural_sacs_mirror_each_other_and_keep_within_the_ribs(bodies):
    body = bodies[read_manifest(ASSETS)["default_shape"]]
    left, right = body.mesh("pleura_l"), body.mesh("pleura_r")
    assert np.linalg.norm(left.centroid - right.centroid * [-1, 1, 1]) < 0.003
    assert abs(left.volume - right.volume) / right.volume < 0.03
    bones = {sid: body.mesh(sid) for sid in body.structures if body.catalog[sid].layer == 4}
    hull = trimesh.util.concatenate(rib_cage(bones)).convex_hull
    point, up = thoracic_inlet(bones)
    for sac in (left, right):
        below = sac.vertices[(sac.vertices - point) @ up < 0]
        depth = trimesh.proximity.signed_distance(hull, below)
        # outside the ribs' outer surface only where a lobe of the scaffold itself is
        assert (depth > -0.002).mean() > 0.97
        assert depth.min() > -0.01
        # the cervical pleura rises above the inlet into the root of the neck
        assert ((sac.vertices - point) @ up).max() > 0.01


def _first_hit_y(mesh: trimesh.Trimesh, origin: np.ndarray) -> float:
    """Where a needle from ``origin`` straight back (+Y) first meets ``mesh``."""
    hits, _, _ = mesh.ray.intersects_location(origin[None], np.array([[0.0, 1.0, 0.0]]))
    return float(np.min(hits[:, 1])) if len(hits) else np.inf


def test_a_needle_into_the_chest_meets_the_pleura_before_the_lung(bodies):
    body = bodies[read_manifest(ASSETS)["default_shape"]]
    for side in ("l", "r"):
        lung = trimesh.util.concatenate([body.mesh(sid) for sid in _lobes(body, side)])
        origin = np.array([lung.centroid[0], -1.0, lung.centroid[2]])
        pleura = _first_hit_y(body.mesh(f"pleura_{side}"), origin)
        lobe = _first_hit_y(lung, origin)
        assert pleura < lobe < pleura + 0.008, (side, pleura, lobe)


# --- the head -----------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_the_head_stands_upright(bodies, shape):
    """Skull and jaw keep myo-sim's upright head (its Frankfurt plane about level): the
    jaw's centre of mass lies where it does below the skull's in myo-sim, not turned."""
    body = bodies[shape]
    jaw = body.mesh("mandible").center_mass - body.mesh("skull").center_mass
    pitch = np.degrees(np.arctan2(jaw[1], -jaw[2]) - np.arctan2(HEAD_DOWN[1], -HEAD_DOWN[2]))
    assert abs(pitch) < 2.0, f"{shape}: head pitched {pitch:.1f} degrees"


# --- organs of one sex --------------------------------------------------------------------


def test_organs_of_one_sex_are_listed_for_that_sex_only():
    manifest = read_manifest(ASSETS)
    for shape, entry in manifest["shapes"].items():
        sex = shape_sex(shape)
        other = "male" if sex == "female" else "female"
        assert f"reproductive_{sex}.glb" in entry["files"], shape
        assert f"reproductive_{other}.glb" not in entry["files"], shape
    assert set(SEX_ORGANS.values()) == {"female", "male"}


@pytest.mark.parametrize("shape", SHAPES)
def test_uterus_in_female_pelvis_prostate_under_male_bladder(bodies, shape):
    body = bodies[shape]
    sex = shape_sex(shape)
    present = {sid for sid, s in SEX_ORGANS.items() if s == sex}
    assert present <= set(body.structures)
    assert not (set(SEX_ORGANS) - present) & set(body.structures)
    bones = {sid: body.mesh(sid) for sid in ("hip_bone_l", "hip_bone_r", "sacrum")}
    pelvis = pelvic_landmarks(bones)
    bladder = body.mesh("urinary_bladder")
    assert bladder.centroid[1] > pelvis.symphysis_top[1]  # behind the pubis
    assert bladder.bounds[0][2] < pelvis.symphysis_top[2]  # its neck low in the pelvis
    if sex == "female":
        uterus = body.mesh("uterus")
        assert uterus.is_watertight and uterus.volume > 0
        c = uterus.centroid
        assert abs(c[0]) < 0.005
        inlet, up = pelvis.inlet
        assert ((uterus.vertices - inlet) @ up).max() < 0, "the fundus rises above the brim"
        assert c[1] > bladder.centroid[1], "the uterus lies behind the bladder"
        assert c[1] < bones["sacrum"].centroid[1], "and in front of the sacrum"
        assert uterus.bounds[0][2] > pelvis.symphysis_low[2] - 0.03
        inner = uterus.vertices[::7]
        for sid, bone in bones.items():
            assert not bone.contains(inner).any(), sid
        assert not bladder.contains(inner).any()
        extent = np.ptp(uterus.vertices @ uterus.principal_inertia_vectors.T, axis=0)
        assert 0.07 < extent.max() < 0.095  # about 8 cm from fundus to external os
    else:
        prostate = body.mesh("prostate")
        assert prostate.is_watertight and 10e-6 < prostate.volume < 30e-6  # about 20 mL
        assert prostate.bounds[1][2] < bladder.bounds[0][2] + 0.005, "under the bladder"
        assert prostate.centroid[1] > pelvis.symphysis_back[1], "behind the symphysis"
        assert abs(prostate.centroid[0]) < 0.005
