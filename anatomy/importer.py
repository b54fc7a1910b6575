"""Importing full-detail meshes a user owns (e.g. BodyParts3D OBJ files named by FMA id)
in place of MedVR's structures.

A mapping file (JSON) says which file is which structure and how the files' frame
relates to ours:

    {"units": "mm", "up": "z", "front": "-y",
     "structures": {"liver": "FJ3402.obj", "kidney_l": "FJ3378.obj"}}

All imported meshes move together by one similarity transform (rotation from the axes,
then scale and offset fitted so their centres land on the structures they replace), so a
set that was consistent in its own frame stays consistent in ours.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from anatomy.catalog import Catalog
from anatomy.errors import AnatomyError
from anatomy.gltf_io import StructureMesh, read_glb, write_glb
from anatomy.json_file import load_json

UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001, "dm": 0.1}
AXES = {"x": 0, "y": 1, "z": 2}
IMPORT_FILE = "imported.glb"


def _axis(spec: str, where: str) -> np.ndarray:
    sign = -1.0 if spec.startswith("-") else 1.0
    name = spec.lstrip("+-")
    if name not in AXES:
        raise AnatomyError(
            f"{where}: expected an axis like z or -y, found {spec!r}",
            f"{where}：应为坐标轴（如 z 或 -y），实际为 {spec!r}",
        )
    v = np.zeros(3)
    v[AXES[name]] = sign
    return v


def frame_rotation(up: str, front: str, where: str) -> np.ndarray:
    """3×3 taking the files' axes to ours (Z up, the body's front toward −Y)."""
    u, f = _axis(up, f"{where} up"), _axis(front, f"{where} front")
    if abs(u @ f) > 0.5:
        raise AnatomyError(
            f"{where}: up and front must be different axes",
            f"{where}：up 与 front 必须是不同的坐标轴",
        )
    # Rows: where our x, y, z come from in the file's frame (our +Y is the body's back).
    our_y, our_z = -f, u
    our_x = np.cross(our_y, our_z)
    return np.array([our_x, our_y, our_z])


def read_mapping(path: Path, catalog: Catalog) -> dict:
    data = load_json(path, "mapping file missing", "缺少映射文件")
    units = data.get("units", "m")
    if units not in UNITS:
        raise AnatomyError(
            f"{path}: units: expected one of {', '.join(UNITS)}, found {units!r}",
            f"{path}：units：应为 {', '.join(UNITS)} 之一，实际为 {units!r}",
        )
    structures = data.get("structures")
    if not isinstance(structures, dict) or not structures:
        raise AnatomyError(
            f"{path}: structures: expected a table of structure id → file name",
            f"{path}：structures：应为“结构编号 → 文件名”的表",
        )
    for sid, name in structures.items():
        if sid not in catalog.structures:
            raise AnatomyError(
                f"{path}: structures.{sid}: not a structure of the catalog",
                f"{path}：structures.{sid}：不是结构目录中的结构",
            )
        if not isinstance(name, str) or not name:
            raise AnatomyError(
                f"{path}: structures.{sid}: expected a file name",
                f"{path}：structures.{sid}：应为文件名",
            )
    rotation = frame_rotation(data.get("up", "z"), data.get("front", "-y"), str(path))
    return {"scale": UNITS[units], "rotation": rotation, "structures": structures}


def load_mesh(path: Path) -> trimesh.Trimesh:
    """One mesh from an OBJ, STL, PLY or glTF/glb file (scenes are merged)."""
    if not path.is_file():
        raise AnatomyError(f"{path}: file missing", f"{path}：文件不存在")
    try:
        loaded = trimesh.load(path, force="mesh", process=True)
    except Exception as e:
        raise AnatomyError(
            f"{path}: cannot read the mesh ({e})", f"{path}：无法读取网格（{e}）"
        ) from None
    if not isinstance(loaded, trimesh.Trimesh) or len(loaded.faces) == 0:
        raise AnatomyError(f"{path}: holds no triangles", f"{path}：不含三角形")
    return loaded


def import_meshes(folder: Path, mapping_file: Path, body_meshes: dict, catalog: Catalog):
    """Imported structures in our frame, placed over the structures they replace."""
    mapping = read_mapping(mapping_file, catalog)
    loaded = {}
    for sid, name in mapping["structures"].items():
        mesh = load_mesh(folder / name)
        loaded[sid] = mesh.vertices @ mapping["rotation"].T * mapping["scale"], mesh.faces
    missing = [sid for sid in loaded if sid not in body_meshes]
    if missing:
        raise AnatomyError(
            f"{mapping_file}: {missing[0]} is not in the body to replace",
            f"{mapping_file}：身体模型中没有要替换的 {missing[0]}",
        )
    ids = list(loaded)
    src = np.array([loaded[s][0].mean(axis=0) for s in ids])
    dst = np.array([body_meshes[s].centroid for s in ids])
    if len(ids) >= 3:
        from anatomy.pipeline.fit import similarity

        m = similarity(src, dst)
        scale_rot, offset = m[:3, :3], m[:3, 3]
    else:
        # Too few to fit a rotation: keep the axes, match size and place by centres.
        own = np.ptp(np.vstack([loaded[s][0] for s in ids]), axis=0).max()
        ours = np.ptp(np.vstack([body_meshes[s].vertices for s in ids]), axis=0).max()
        scale_rot = np.eye(3) * (ours / own)
        offset = dst.mean(axis=0) - scale_rot @ src.mean(axis=0)
    out = []
    for sid in ids:
        vertices, faces = loaded[sid]
        placed = vertices @ scale_rot.T + offset
        extras = {"imported_from": mapping["structures"][sid]}
        out.append(StructureMesh(sid, placed.astype(np.float32), faces.astype(np.uint32), extras))
    return out


def save_imports(data_dir: Path, structures: list[StructureMesh]) -> Path:
    """Merge into the user's imports (a later import of a structure replaces the earlier)."""
    path = data_dir / "anatomy" / IMPORT_FILE
    existing = {s.structure_id: s for s in read_glb(path)[0]} if path.exists() else {}
    existing.update({s.structure_id: s for s in structures})
    write_glb(path, list(existing.values()), {"kind": "user imports"})
    return path
