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


def sphere_rows(
    centres: np.ndarray, radius: float, colors, subdivisions: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Packed rows and faces of one small sphere at each centre (one draw call for all)."""
    template = trimesh.creation.icosphere(subdivisions=subdivisions, radius=1.0)
    centres = np.atleast_2d(np.asarray(centres, dtype=np.float32))
    n, k = len(centres), len(template.vertices)
    unit = np.asarray(template.vertices, dtype=np.float32)
    positions = (centres[:, None, :] + unit[None] * radius).reshape(-1, 3)
    normals = np.broadcast_to(unit[None], (n, k, 3)).reshape(-1, 3)
    rgba = np.asarray(colors, dtype=np.float32)
    rgba = np.repeat(rgba, k, axis=0) if rgba.ndim == 2 else rgba
    faces = (template.faces[None] + (np.arange(n) * k)[:, None, None]).reshape(-1, 3)
    return pack_vertices(positions, normals, rgba), faces


def tube_rows(
    polylines: list[np.ndarray], radius: float, color, sides: int = 6
) -> tuple[np.ndarray, np.ndarray]:
    """Packed rows and faces of a thin tube along each polyline (lines that light and
    stay visible at any line-width limit)."""
    rows, faces, start = [], [], 0
    angles = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    for line in polylines:
        line = np.asarray(line, dtype=float)
        if len(line) < 2:
            continue
        tangent = np.gradient(line, axis=0)
        tangent /= np.maximum(np.linalg.norm(tangent, axis=1, keepdims=True), 1e-12)
        ref = np.where(np.abs(tangent[:, 2:3]) > 0.9, [[1.0, 0, 0]], [[0, 0, 1.0]])
        b1 = np.cross(tangent, ref)
        b1 /= np.maximum(np.linalg.norm(b1, axis=1, keepdims=True), 1e-12)
        b2 = np.cross(tangent, b1)
        ring = (
            np.cos(angles)[None, :, None] * b1[:, None]
            + np.sin(angles)[None, :, None] * b2[:, None]
        )
        positions = (line[:, None] + ring * radius).reshape(-1, 3)
        rows.append(pack_vertices(positions, ring.reshape(-1, 3), color))
        m = len(line)
        i = np.arange(m - 1)[:, None]
        j = np.arange(sides)[None, :]
        a = i * sides + j
        b = i * sides + (j + 1) % sides
        quads = np.stack([a, b, a + sides, b, b + sides, a + sides], axis=-1).reshape(-1, 3)
        faces.append(quads + start)
        start += m * sides
    if not rows:
        return np.zeros((0, 10), np.float32), np.zeros((0, 3), np.int64)
    return np.concatenate(rows), np.concatenate(faces)
