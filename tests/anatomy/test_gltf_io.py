"""glb files of named structures: round trip, reproducible bytes, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from anatomy.errors import AnatomyError
from anatomy.gltf_io import StructureMesh, geometry_digest, read_glb, write_glb


def structures():
    sphere = trimesh.creation.icosphere(2, radius=0.1).apply_translation([0.02, -0.03, 1.3])
    box = trimesh.creation.box([0.2, 0.1, 0.3]).apply_translation([0.1, 0, 1.1])
    return [
        StructureMesh("heart", sphere.vertices, sphere.faces, {"system": "cardiovascular"}),
        StructureMesh("liver", box.vertices, box.faces, {"system": "digestive", "schematic": True}),
    ]


def test_round_trip_keeps_names_geometry_and_extras(tmp_path):
    path = tmp_path / "organs.glb"
    write_glb(path, structures(), {"shape": "male_average"})
    back, scene = read_glb(path)
    assert scene == {"shape": "male_average"}
    assert [s.structure_id for s in back] == ["heart", "liver"]
    for original, loaded in zip(structures(), back, strict=True):
        assert np.allclose(original.vertices, loaded.vertices, atol=1e-6)
        assert np.array_equal(original.faces, loaded.faces)
        assert loaded.extras == original.extras
    mesh = trimesh.Trimesh(back[0].vertices, back[0].faces)
    assert mesh.is_watertight


def test_same_input_same_bytes(tmp_path):
    a, b = tmp_path / "a.glb", tmp_path / "b.glb"
    write_glb(a, structures())
    write_glb(b, structures())
    assert a.read_bytes() == b.read_bytes()
    assert geometry_digest(read_glb(a)[0][0]) == geometry_digest(structures()[0])


def test_broken_and_missing_files_are_one_line(tmp_path):
    with pytest.raises(AnatomyError, match="asset file missing") as e:
        read_glb(tmp_path / "nope.glb")
    assert "缺少资源文件" in e.value.zh
    bad = tmp_path / "bad.glb"
    bad.write_bytes(b"glTF\x02\x00\x00\x00garbage")
    with pytest.raises(AnatomyError, match="not a readable glb file") as e:
        read_glb(bad)
    assert "\n" not in str(e.value)
    good = tmp_path / "good.glb"
    write_glb(good, structures())
    data = bytearray(good.read_bytes())
    truncated = tmp_path / "truncated.glb"
    truncated.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(AnatomyError, match=str(truncated)):
        read_glb(truncated)


def test_bad_structures_are_refused(tmp_path):
    with pytest.raises(AnatomyError, match="structure empty has no vertices"):
        write_glb(tmp_path / "x.glb", [StructureMesh("empty", np.zeros((0, 3)), np.zeros((0, 3)))])
