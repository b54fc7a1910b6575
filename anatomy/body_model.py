"""A body ready to study: every structure's mesh for one body shape, the catalog entry
of each, and the landmarks. Read from the pipeline's output folder (``manifest.json``,
glb files, ``landmarks.json``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import trimesh

from anatomy.catalog import Catalog, load_catalog
from anatomy.errors import AnatomyError
from anatomy.gltf_io import StructureMesh, read_glb
from anatomy.json_file import load_json


@dataclass
class Body:
    shape: str
    structures: dict[str, StructureMesh]
    catalog: Catalog
    landmarks: dict[str, np.ndarray] = field(default_factory=dict)

    def mesh(self, structure_id: str) -> trimesh.Trimesh:
        return self.meshes[structure_id]

    @cached_property
    def meshes(self) -> dict[str, trimesh.Trimesh]:
        return {
            sid: trimesh.Trimesh(s.vertices, s.faces, process=False)
            for sid, s in self.structures.items()
        }

    def summary(self, structure_id: str) -> dict:
        """Centroid, bounding box and volume (m³; area-weighted where not closed)."""
        mesh = self.mesh(structure_id)
        low, high = mesh.bounds
        closed = mesh.is_watertight
        return {
            "centroid": mesh.centroid.round(5).tolist(),
            "bbox": {"min": low.round(5).tolist(), "max": high.round(5).tolist()},
            "volume_m3": round(abs(float(mesh.volume)), 9) if closed else None,
        }

    @cached_property
    def centre(self) -> np.ndarray:
        low = np.min([m.bounds[0] for m in self.meshes.values()], axis=0)
        high = np.max([m.bounds[1] for m in self.meshes.values()], axis=0)
        return (low + high) / 2

    def systems_present(self) -> list[str]:
        present = {self.catalog[sid].system for sid in self.structures}
        return [s for s in self.catalog.systems if s in present]


def read_manifest(asset_dir: Path) -> dict:
    return load_json(
        asset_dir / "manifest.json",
        "the anatomy assets are missing (run `medvr assets build`)",
        "缺少解剖资源（请运行 `medvr assets build`）",
    )


def load_body(
    asset_dir: Path,
    shape: str | None = None,
    catalog: Catalog | None = None,
    imports: Path | None = None,
) -> Body:
    """The body of ``shape`` (default: the manifest's) with every structure it has;
    structures in the ``imports`` glb (``medvr assets import``) replace the shipped ones."""
    manifest = read_manifest(asset_dir)
    catalog = catalog or load_catalog()
    shapes = manifest.get("shapes", {})
    shape = shape or manifest.get("default_shape")
    if shape not in shapes:
        known = ", ".join(shapes)
        raise AnatomyError(
            f"no body shape {shape!r} (shapes: {known})", f"没有体型 {shape!r}（可用体型：{known}）"
        )
    structures: dict[str, StructureMesh] = {}
    for name in shapes[shape]["files"]:
        path = asset_dir / name
        meshes, _ = read_glb(path)
        for s in meshes:
            if s.structure_id not in catalog.structures:
                raise AnatomyError(
                    f"{path}: node {s.structure_id!r} is not in the structure catalog",
                    f"{path}：节点 {s.structure_id!r} 不在结构目录中",
                )
            structures[s.structure_id] = s
    vertices_file = shapes[shape].get("vertices")
    if vertices_file:
        structures = _with_shape_vertices(asset_dir / vertices_file, structures)
    if imports is not None and imports.exists():
        for s in read_glb(imports)[0]:
            if s.structure_id in catalog.structures:
                structures[s.structure_id] = s
    landmarks = {
        k: np.asarray(v, dtype=float) for k, v in shapes[shape].get("landmarks", {}).items()
    }
    return Body(shape=shape, structures=structures, catalog=catalog, landmarks=landmarks)


def _with_shape_vertices(
    path: Path, structures: dict[str, StructureMesh]
) -> dict[str, StructureMesh]:
    """The same triangles with this shape's vertex positions."""
    try:
        arrays = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise AnatomyError(
            f"{path}: cannot read body-shape vertices ({e})", f"{path}：无法读取体型顶点（{e}）"
        ) from None
    out = {}
    for sid, s in structures.items():
        if sid not in arrays.files:
            raise AnatomyError(
                f"{path}: no vertices for structure {sid!r}", f"{path}：缺少结构 {sid!r} 的顶点"
            )
        v = arrays[sid]
        if v.shape != s.vertices.shape:
            raise AnatomyError(
                f"{path}: {sid}: {v.shape[0]} vertices where the mesh has {s.vertices.shape[0]}",
                f"{path}：{sid}：顶点数 {v.shape[0]} 与网格的 {s.vertices.shape[0]} 不符",
            )
        out[sid] = StructureMesh(sid, v, s.faces, s.extras)
    return out


def export_body(body: Body) -> dict:
    """What ``medvr anatomy export`` writes: structures with names and sizes, landmarks."""
    out = []
    for sid in body.structures:
        entry = body.catalog[sid]
        out.append(
            {
                "id": sid,
                "names": {"zh-CN": entry.names.zh, "en": entry.names.en, "la": entry.names.la},
                "system": entry.system,
                "schematic": entry.schematic and "imported_from" not in body.structures[sid].extras,
                **body.summary(sid),
            }
        )
    return {
        "shape": body.shape,
        "frame": "metres, Z up, soles at z = 0, facing -Y, subject's left +X",
        "structures": out,
        "landmarks": {k: np.round(v, 5).tolist() for k, v in body.landmarks.items()},
    }
