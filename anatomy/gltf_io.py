"""Binary glTF (glb) files of named structures: one node and mesh per structure, its
metadata in the node's ``extras``. Written byte-for-byte reproducibly, so a rebuilt
asset can be compared with the committed one."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pygltflib

from anatomy.errors import AnatomyError

GENERATOR = "MedVR asset pipeline"


@dataclass
class StructureMesh:
    """One structure's triangles in our frame (metres), and its metadata."""

    structure_id: str
    vertices: np.ndarray  # (N, 3) float32
    faces: np.ndarray  # (M, 3) uint32
    extras: dict = field(default_factory=dict)


def _padded(blob: bytes) -> bytes:
    return blob + b"\x00" * (-len(blob) % 4)


def write_glb(path: Path, structures: list[StructureMesh], scene_extras: dict | None = None):
    """Write ``structures`` as one glb; the same input always gives the same bytes."""
    gltf = pygltflib.GLTF2(asset=pygltflib.Asset(version="2.0", generator=GENERATOR))
    gltf.scene = 0
    gltf.scenes = [pygltflib.Scene(nodes=list(range(len(structures))), extras=scene_extras or {})]
    blob = bytearray()
    for s in structures:
        vertices = np.ascontiguousarray(s.vertices, dtype=np.float32)
        faces = np.ascontiguousarray(s.faces, dtype=np.uint32)
        if vertices.ndim != 2 or vertices.shape[1] != 3 or len(vertices) == 0:
            raise AnatomyError(f"{path}: structure {s.structure_id} has no vertices")
        if faces.size == 0 or faces.max() >= len(vertices):
            raise AnatomyError(f"{path}: structure {s.structure_id} has bad faces")
        views = []
        for data, target in ((vertices, pygltflib.ARRAY_BUFFER), (faces, None)):
            offset = len(blob)
            blob += _padded(data.tobytes())
            gltf.bufferViews.append(
                pygltflib.BufferView(
                    buffer=0, byteOffset=offset, byteLength=data.nbytes, target=target
                )
            )
            views.append(len(gltf.bufferViews) - 1)
        gltf.bufferViews[views[1]].target = pygltflib.ELEMENT_ARRAY_BUFFER
        gltf.accessors.append(
            pygltflib.Accessor(
                bufferView=views[0],
                componentType=pygltflib.FLOAT,
                count=len(vertices),
                type=pygltflib.VEC3,
                min=vertices.min(axis=0).tolist(),
                max=vertices.max(axis=0).tolist(),
            )
        )
        gltf.accessors.append(
            pygltflib.Accessor(
                bufferView=views[1],
                componentType=pygltflib.UNSIGNED_INT,
                count=faces.size,
                type=pygltflib.SCALAR,
            )
        )
        position, indices = len(gltf.accessors) - 2, len(gltf.accessors) - 1
        primitive = pygltflib.Primitive(
            attributes=pygltflib.Attributes(POSITION=position), indices=indices
        )
        gltf.meshes.append(pygltflib.Mesh(name=s.structure_id, primitives=[primitive]))
        gltf.nodes.append(
            pygltflib.Node(name=s.structure_id, mesh=len(gltf.meshes) - 1, extras=s.extras)
        )
    gltf.buffers = [pygltflib.Buffer(byteLength=len(blob))]
    gltf.set_binary_blob(bytes(blob))
    path.parent.mkdir(parents=True, exist_ok=True)
    gltf.save_binary(str(path))


GLB_MAGIC = 0x46546C67  # "glTF"
CHUNK_JSON = 0x4E4F534A
CHUNK_BIN = 0x004E4942


def read_glb(path: Path) -> tuple[list[StructureMesh], dict]:
    """The structures of a glb written by ``write_glb``, and the scene's extras.

    Parsed straight from the container (a JSON chunk, a binary chunk): for the few
    hundred nodes of a body this is many times faster than building glTF objects."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AnatomyError(f"{path}: asset file missing", f"{path}：缺少资源文件") from None
    try:
        doc, blob = _chunks(data)
    except (ValueError, struct.error, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise AnatomyError(
            f"{path}: not a readable glb file ({e})", f"{path}：不是可读取的 glb 文件（{e}）"
        ) from None
    out = []
    for i, node in enumerate(doc.get("nodes", [])):
        name = node.get("name", "")
        where = f"{path}: node {i} ({name})"
        try:
            primitive = doc["meshes"][node["mesh"]]["primitives"][0]
            vertices = _accessor(doc, blob, primitive["attributes"]["POSITION"], np.float32, 3)
            faces = _accessor(doc, blob, primitive["indices"], np.uint32, 1).reshape(-1, 3)
        except (IndexError, KeyError, TypeError, ValueError) as e:
            raise AnatomyError(
                f"{where}: broken mesh data ({e})", f"{where}：网格数据损坏（{e}）"
            ) from None
        if len(faces) and faces.max() >= len(vertices):
            raise AnatomyError(f"{where}: indices out of range", f"{where}：顶点索引越界")
        out.append(StructureMesh(name, vertices, faces, dict(node.get("extras") or {})))
    scenes = doc.get("scenes") or [{}]
    return out, dict(scenes[0].get("extras") or {})


def _chunks(data: bytes) -> tuple[dict, bytes]:
    magic, version, length = struct.unpack_from("<III", data, 0)
    if magic != GLB_MAGIC or version != 2:
        raise ValueError("not a glTF 2.0 binary container")
    if length > len(data):
        raise ValueError(f"truncated: {len(data)} of {length} bytes")
    doc, blob, offset = None, b"", 12
    while offset < length:
        size, kind = struct.unpack_from("<II", data, offset)
        body = data[offset + 8 : offset + 8 + size]
        if len(body) < size:
            raise ValueError("truncated chunk")
        if kind == CHUNK_JSON:
            doc = json.loads(body.decode("utf-8"))
        elif kind == CHUNK_BIN:
            blob = body
        offset += 8 + size
    if doc is None:
        raise ValueError("no JSON chunk")
    return doc, blob


def _accessor(doc: dict, blob: bytes, index: int, dtype, width: int) -> np.ndarray:
    accessor = doc["accessors"][index]
    view = doc["bufferViews"][accessor["bufferView"]]
    start = view.get("byteOffset", 0) + accessor.get("byteOffset", 0)
    data = np.frombuffer(blob, dtype=dtype, count=accessor["count"] * width, offset=start)
    return data.reshape(-1, width).copy() if width > 1 else data.copy()


def geometry_digest(structure: StructureMesh) -> str:
    """A short fingerprint of a structure's geometry, for rebuild checks and caches."""
    import hashlib

    h = hashlib.sha256()
    h.update(np.ascontiguousarray(structure.vertices, dtype=np.float32).tobytes())
    h.update(np.ascontiguousarray(structure.faces, dtype=np.uint32).tobytes())
    return h.hexdigest()[:16]
