"""Binary glTF (glb) files of named structures: one node and mesh per structure, its
metadata in the node's ``extras``. Written byte-for-byte reproducibly, so a rebuilt
asset can be compared with the committed one."""

from __future__ import annotations

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


def read_glb(path: Path) -> tuple[list[StructureMesh], dict]:
    """The structures of a glb written by ``write_glb``, and the scene's extras."""
    try:
        gltf = pygltflib.GLTF2().load_binary(str(path))
    except FileNotFoundError:
        raise AnatomyError(f"{path}: asset file missing", f"{path}：缺少资源文件") from None
    except Exception as e:
        raise AnatomyError(
            f"{path}: not a readable glb file ({e})", f"{path}：不是可读取的 glb 文件（{e}）"
        ) from None
    blob = gltf.binary_blob()
    if blob is None:
        raise AnatomyError(f"{path}: glb has no binary chunk", f"{path}：glb 文件缺少二进制数据")
    out = []
    for i, node in enumerate(gltf.nodes):
        where = f"{path}: node {i} ({node.name})"
        try:
            primitive = gltf.meshes[node.mesh].primitives[0]
            vertices = _accessor(gltf, blob, primitive.attributes.POSITION, np.float32, 3)
            faces = _accessor(gltf, blob, primitive.indices, np.uint32, 1).reshape(-1, 3)
        except (IndexError, TypeError, ValueError) as e:
            raise AnatomyError(
                f"{where}: broken mesh data ({e})", f"{where}：网格数据损坏（{e}）"
            ) from None
        if len(faces) and faces.max() >= len(vertices):
            raise AnatomyError(f"{where}: indices out of range", f"{where}：顶点索引越界")
        out.append(StructureMesh(node.name, vertices, faces, dict(node.extras or {})))
    scene_extras = dict(gltf.scenes[0].extras or {}) if gltf.scenes else {}
    return out, scene_extras


def _accessor(gltf, blob: bytes, index: int, dtype, width: int) -> np.ndarray:
    accessor = gltf.accessors[index]
    view = gltf.bufferViews[accessor.bufferView]
    start = view.byteOffset + (accessor.byteOffset or 0)
    count = accessor.count * width
    data = np.frombuffer(blob, dtype=dtype, count=count, offset=start)
    return data.reshape(-1, width).copy() if width > 1 else data.copy()


def geometry_digest(structure: StructureMesh) -> str:
    """A short fingerprint of a structure's geometry, for rebuild checks and caches."""
    import hashlib

    h = hashlib.sha256()
    h.update(np.ascontiguousarray(structure.vertices, dtype=np.float32).tobytes())
    h.update(np.ascontiguousarray(structure.faces, dtype=np.uint32).tobytes())
    return h.hexdigest()[:16]
