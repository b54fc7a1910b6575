"""Panda3D geometry from numpy arrays and trimesh meshes, built a whole array at a time."""

from __future__ import annotations

import numpy as np
import trimesh
from panda3d.core import (
    Geom,
    GeomEnums,
    GeomNode,
    GeomTriangles,
    GeomVertexArrayFormat,
    GeomVertexData,
    GeomVertexFormat,
    InternalName,
)

_FORMAT = None


def _vertex_format() -> GeomVertexFormat:
    global _FORMAT
    if _FORMAT is None:
        array = GeomVertexArrayFormat()
        array.addColumn(InternalName.getVertex(), 3, Geom.NT_float32, Geom.C_point)
        array.addColumn(InternalName.getNormal(), 3, Geom.NT_float32, Geom.C_normal)
        array.addColumn(InternalName.getColor(), 4, Geom.NT_float32, Geom.C_color)
        _FORMAT = GeomVertexFormat.registerFormat(GeomVertexFormat(array))
    return _FORMAT


def pack_vertices(
    vertices: np.ndarray,
    normals: np.ndarray,
    colors: np.ndarray | tuple[float, float, float, float] = (1, 1, 1, 1),
) -> np.ndarray:
    """Rows of our vertex format (position, normal, colour): an (N, 10) float32 array."""
    vertices = np.asarray(vertices, dtype=np.float32)
    n = len(vertices)
    rgba = np.asarray(colors, dtype=np.float32)
    if rgba.ndim == 1:
        rgba = np.broadcast_to(rgba, (n, 4))
    packed = np.empty((n, 10), dtype=np.float32)
    packed[:, 0:3] = vertices
    packed[:, 3:6] = np.asarray(normals, dtype=np.float32)
    packed[:, 6:10] = rgba
    return packed


def packed_geom_node(name: str, packed: np.ndarray, faces: np.ndarray) -> GeomNode:
    """One Geom (one draw call) from packed vertex rows and (M, 3) triangle indices."""
    packed = np.ascontiguousarray(packed, dtype=np.float32)
    vdata = GeomVertexData(name, _vertex_format(), Geom.UH_static)
    vdata.uncleanSetNumRows(len(packed))
    memoryview(vdata.modifyArray(0)).cast("B")[:] = packed.tobytes()

    prim = GeomTriangles(Geom.UH_static)
    prim.setIndexType(GeomEnums.NT_uint32)
    index = np.ascontiguousarray(np.asarray(faces, dtype=np.uint32).reshape(-1))
    handle = prim.modifyVertices()
    handle.uncleanSetNumRows(len(index))
    memoryview(handle).cast("B")[:] = index.tobytes()

    geom = Geom(vdata)
    geom.addPrimitive(prim)
    node = GeomNode(name)
    node.addGeom(geom)
    return node


def merged_geom_node(
    name: str, parts: list[tuple[np.ndarray, np.ndarray]], offsets: list | None = None
) -> GeomNode:
    """Many packed meshes as one Geom: their rows stacked, their faces re-indexed.

    ``offsets`` (one (3,) translation per part, or None) moves parts as they are merged.
    """
    rows = np.concatenate([p for p, _ in parts])
    starts = np.cumsum([0] + [len(p) for p, _ in parts[:-1]])
    faces = np.concatenate(
        [f.astype(np.uint32) + s for (_, f), s in zip(parts, starts, strict=True)]
    )
    if offsets is not None:
        for (p, _), start, offset in zip(parts, starts, offsets, strict=True):
            if offset is not None:
                rows[start : start + len(p), 0:3] += np.asarray(offset, dtype=np.float32)
    return packed_geom_node(name, rows, faces)


def geom_node(
    name: str,
    vertices: np.ndarray,
    normals: np.ndarray,
    faces: np.ndarray,
    colors: np.ndarray | tuple[float, float, float, float] = (1, 1, 1, 1),
) -> GeomNode:
    """A GeomNode of triangles: vertices/normals (N, 3), faces (M, 3), colours (N, 4) or one."""
    return packed_geom_node(name, pack_vertices(vertices, normals, colors), faces)


def mesh_node(name: str, mesh: trimesh.Trimesh, color=(1, 1, 1, 1), smooth: bool = True):
    """A GeomNode from a trimesh mesh; flat-shaded meshes get one normal per face corner."""
    if smooth:
        return geom_node(name, mesh.vertices, mesh.vertex_normals, mesh.faces, color)
    corners = mesh.vertices[mesh.faces].reshape(-1, 3)
    normals = np.repeat(mesh.face_normals, 3, axis=0)
    faces = np.arange(len(corners)).reshape(-1, 3)
    return geom_node(name, corners, normals, faces, color)
