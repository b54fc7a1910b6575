"""Which structure a ray hits: one BVH over every structure's triangles, queried for many
rays at once, skipping hidden structures and whatever a section plane has cut away.

Embree (through ``embreex``) answers where it is installed; trimesh's own BVH otherwise.
Independent of Panda3D: the same picker serves the mouse, a VR laser and the quiz.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh


@dataclass(frozen=True)
class Hit:
    structure_id: str
    distance: float
    point: np.ndarray  # (3,) world position of the hit


def _intersector(mesh: trimesh.Trimesh):
    try:
        from trimesh.ray.ray_pyembree import RayMeshIntersector

        return RayMeshIntersector(mesh), "embree"
    except Exception:  # embreex missing or unusable on this CPU
        from trimesh.ray.ray_triangle import RayMeshIntersector

        return RayMeshIntersector(mesh), "trimesh"


class StructurePicker:
    """Built once from every structure's mesh; hides and sections are query arguments."""

    def __init__(self, meshes: dict[str, trimesh.Trimesh]):
        self.ids = list(meshes)
        self._index = {sid: i for i, sid in enumerate(self.ids)}
        parts = [meshes[sid] for sid in self.ids]
        self._owner = np.repeat(
            np.arange(len(parts)), [len(m.faces) for m in parts]
        )  # face → structure index
        combined = trimesh.util.concatenate(parts)
        self._intersector, self.backend = _intersector(combined)

    def mask(self, visible: set[str] | None) -> np.ndarray:
        if visible is None:
            return np.ones(len(self.ids), dtype=bool)
        keep = np.zeros(len(self.ids), dtype=bool)
        keep[[self._index[s] for s in visible if s in self._index]] = True
        return keep

    def pick_many(
        self,
        origins: np.ndarray,
        directions: np.ndarray,
        visible: set[str] | None = None,
        section: tuple[float, float, float, float] | None = None,
    ) -> list[Hit | None]:
        """Nearest visible hit for each ray; ``section`` (a, b, c, d) keeps a·p + d >= 0."""
        origins = np.atleast_2d(np.asarray(origins, dtype=float))
        directions = np.atleast_2d(np.asarray(directions, dtype=float))
        directions = directions / np.linalg.norm(directions, axis=1, keepdims=True)
        points, ray_idx, tri_idx = self._intersector.intersects_location(
            origins, directions, multiple_hits=True
        )
        results: list[Hit | None] = [None] * len(origins)
        if len(points) == 0:
            return results
        owner = self._owner[tri_idx]
        keep = self.mask(visible)[owner]
        if section is not None:
            a, b, c, d = section
            keep &= points @ np.array([a, b, c]) + d >= 0
        dist = np.einsum("ij,ij->i", points - origins[ray_idx], directions[ray_idx])
        keep &= dist >= 0
        if not keep.any():
            return results
        points, ray_idx, owner, dist = points[keep], ray_idx[keep], owner[keep], dist[keep]
        order = np.lexsort((dist, ray_idx))  # by ray, nearest first
        first = order[np.r_[True, ray_idx[order][1:] != ray_idx[order][:-1]]]
        for k in first:
            results[ray_idx[k]] = Hit(self.ids[owner[k]], float(dist[k]), points[k])
        return results

    def pick(self, origin, direction, visible=None, section=None) -> Hit | None:
        return self.pick_many([origin], [direction], visible, section)[0]
