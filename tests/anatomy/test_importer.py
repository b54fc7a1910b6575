"""Importing full-detail meshes a user owns in place of the shipped structures."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh

from anatomy.body_model import load_body
from anatomy.catalog import load_catalog
from anatomy.errors import AnatomyError
from anatomy.gltf_io import StructureMesh, write_glb
from anatomy.importer import frame_rotation, import_meshes, save_imports


@pytest.fixture
def body_dir(tmp_path):
    """A small body with a liver, stomach and heart to be replaced."""
    parts = {
        "skin": trimesh.creation.capsule(height=1.2, radius=0.22).apply_translation([0, 0, 0.95]),
        "liver": trimesh.creation.box([0.2, 0.12, 0.1]).apply_translation([-0.06, -0.02, 1.12]),
        "stomach": trimesh.creation.icosphere(2, 0.06).apply_translation([0.08, -0.04, 1.1]),
        "heart": trimesh.creation.icosphere(2, 0.06).apply_translation([0.02, -0.04, 1.28]),
    }
    folder = tmp_path / "assets"
    write_glb(
        folder / "body.glb", [StructureMesh(k, m.vertices, m.faces) for k, m in parts.items()]
    )
    manifest = {"default_shape": "t", "shapes": {"t": {"files": ["body.glb"]}}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder, parts


def write_files(folder, parts, units=0.001):
    """The same organs as files in a Y-up, millimetre frame, richer in triangles."""
    folder.mkdir(parents=True, exist_ok=True)
    to_file = np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]])  # ours (Z up) → Y-up, front +Z
    names = {}
    for sid in ("liver", "stomach", "heart"):
        detailed = parts[sid].subdivide()
        v = detailed.vertices @ to_file.T / units
        trimesh.Trimesh(v, detailed.faces).export(folder / f"{sid}.obj")
        names[sid] = f"{sid}.obj"
    return names


def test_frame_rotation_identity_and_y_up():
    assert np.allclose(frame_rotation("z", "-y", "m"), np.eye(3))
    r = frame_rotation("y", "z", "m")  # Y up, facing +Z (MakeHuman, many OBJ exports)
    assert np.allclose(r @ [0, 1, 0], [0, 0, 1]) and np.allclose(r @ [0, 0, 1], [0, -1, 0])


def test_imported_meshes_replace_and_land_in_place(body_dir, tmp_path):
    folder, parts = body_dir
    files = tmp_path / "mine"
    names = write_files(files, parts)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"units": "mm", "up": "y", "front": "z", "structures": names}))
    body = load_body(folder)
    imported = import_meshes(files, mapping, body.meshes, load_catalog())
    path = save_imports(tmp_path / "data", imported)
    replaced = load_body(folder, imports=path)
    for sid in ("liver", "stomach", "heart"):
        mesh = replaced.mesh(sid)
        assert len(mesh.faces) > len(parts[sid].faces), "the detailed mesh is used"
        assert np.allclose(mesh.centroid, parts[sid].centroid, atol=2e-3)
        assert replaced.structures[sid].extras["imported_from"] == f"{sid}.obj"
    assert len(replaced.mesh("skin").faces) == len(parts["skin"].faces)


def test_mapping_errors_are_one_line(body_dir, tmp_path):
    folder, parts = body_dir
    body = load_body(folder)
    catalog = load_catalog()
    cases = {
        '{"units": "furlong", "structures": {"liver": "a.obj"}}': "units",
        '{"structures": {"hepar_x": "a.obj"}}': "structures.hepar_x",
        '{"structures": {}}': "structures",
        '{"up": "q", "structures": {"liver": "a.obj"}}': "up",
        '{"structures": {"liver": "a.obj"}': "line 1",
    }
    for text, fragment in cases.items():
        mapping = tmp_path / "m.json"
        mapping.write_text(text)
        with pytest.raises(AnatomyError) as e:
            import_meshes(tmp_path, mapping, body.meshes, catalog)
        assert fragment in str(e.value) and str(mapping) in str(e.value)
        assert "\n" not in str(e.value) and e.value.zh
    mapping = tmp_path / "m.json"
    mapping.write_text('{"structures": {"liver": "missing.obj"}}')
    with pytest.raises(AnatomyError, match="missing.obj: file missing"):
        import_meshes(tmp_path, mapping, body.meshes, catalog)
    (tmp_path / "broken.stl").write_bytes(b"solid nothing\nendsolid\n")
    mapping.write_text('{"structures": {"liver": "broken.stl"}}')
    with pytest.raises(AnatomyError, match="broken.stl"):
        import_meshes(tmp_path, mapping, body.meshes, catalog)
