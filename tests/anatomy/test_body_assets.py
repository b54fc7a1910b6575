"""The committed anatomy assets: complete, closed, inside the skin, symmetric, per shape,
and reproducible from their sources."""

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
