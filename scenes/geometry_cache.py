"""Built Panda3D geometry kept on disk in Panda3D's own format (bam).

Turning a body's meshes into GeomNodes costs its vertex normals and packing every time
the anatomy lab opens; a bam file of the finished nodes loads straight into Panda3D.
The file name carries a key of everything the nodes were made from (the asset files'
sizes and times, the colours, this format's version and Panda3D's), so a changed input
is a new file and never a stale picture. A file that cannot be read is rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from panda3d.core import (
    Filename,
    GeomNode,
    Loader,
    LoaderOptions,
    NodePath,
    PandaSystem,
)

CACHE_VERSION = 1  # bump when the node layout or vertex format changes
KEEP_FILES = 4  # per cache name: other shapes, the previous assets

log = logging.getLogger(__name__)


def file_key(paths: Iterable[Path]) -> list[str]:
    """Identity of input files for a cache key: name, size and modification time."""
    out = []
    for p in paths:
        try:
            st = p.stat()
            out.append(f"{p.resolve()}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            out.append(f"{p}:missing")
    return out


def cache_file(cache_dir: Path, name: str, key: Iterable[str]) -> Path:
    h = hashlib.sha256()
    for part in (str(CACHE_VERSION), PandaSystem.getVersionString(), *key):
        h.update(part.encode())
        h.update(b"\0")
    return cache_dir / "geometry" / f"{name}-{h.hexdigest()[:20]}.bam"


def cached_geom_nodes(
    cache_dir: Path | None,
    name: str,
    key: Iterable[str],
    build: Callable[[], dict[str, GeomNode]],
    expect: Iterable[str] | None = None,
) -> tuple[dict[str, GeomNode], str]:
    """{node name: GeomNode} from the cache, or built and then cached.

    ``expect``: the node names a good file holds (others are rebuilt).

    Returns the nodes and how they came: "cache", "built" or "built, not cached".
    """
    if cache_dir is None:
        return build(), "built, not cached"
    path = cache_file(cache_dir, name, key)
    if path.is_file():
        nodes = _read(path)
        if nodes is not None and (expect is None or set(nodes) == set(expect)):
            return nodes, "cache"
    nodes = build()
    how = "built" if _write(path, nodes) else "built, not cached"
    _prune(path)
    return nodes, how


def _read(path: Path) -> dict[str, GeomNode] | None:
    options = LoaderOptions(LoaderOptions.LF_no_cache | LoaderOptions.LF_report_errors)
    try:
        node = Loader.getGlobalPtr().loadSync(Filename.fromOsSpecific(str(path)), options)
    except Exception as e:  # noqa: BLE001 - any unreadable file is rebuilt
        log.warning("%s: geometry cache unreadable (%s); rebuilding", path, e)
        node = None
    if node is None:
        log.warning("%s: geometry cache unreadable; rebuilding", path)
        return None
    root = NodePath(node)
    nodes = {}
    for child in root.getChildren():
        if not isinstance(child.node(), GeomNode):
            log.warning("%s: unexpected node %s; rebuilding", path, child.getName())
            return None
        nodes[child.getName()] = child.node()
    for child in root.getChildren():
        child.detachNode()
    return nodes


def _write(path: Path, nodes: dict[str, GeomNode]) -> bool:
    root = NodePath("geometry")
    for node in nodes.values():
        root.attachNewNode(node)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.bam")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ok = root.writeBamFile(Filename.fromOsSpecific(str(tmp)))
        if ok:
            os.replace(tmp, path)
    except OSError as e:
        log.warning("%s: cannot write the geometry cache (%s)", path, e)
        ok = False
    finally:
        for child in root.getChildren():
            child.detachNode()
        tmp.unlink(missing_ok=True)
    return bool(ok)


def _prune(keep: Path) -> None:
    """Keep the newest few cache files of this name."""
    prefix = keep.name.rsplit("-", 1)[0] + "-"
    try:
        files = sorted(
            (p for p in keep.parent.glob(prefix + "*.bam") if p != keep),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
    except OSError:
        return
    for old in files[KEEP_FILES - 1 :]:
        old.unlink(missing_ok=True)


def geom_arrays(node: GeomNode) -> tuple[np.ndarray, np.ndarray]:
    """The packed vertex rows and (M, 3) triangles of a one-Geom node (``scenes.meshes``)."""
    geom = node.getGeom(0)
    vdata = geom.getVertexData()
    rows = np.frombuffer(memoryview(vdata.getArray(0)), dtype=np.float32)
    rows = rows.reshape(vdata.getNumRows(), -1)
    prim = geom.getPrimitive(0)
    index = np.frombuffer(memoryview(prim.getVertices()), dtype=np.uint32)
    return rows, index.reshape(-1, 3)
