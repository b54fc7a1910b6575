"""Which structure a ray hits: one BVH over every structure's triangles, queried for many
rays at once, skipping hidden structures and whatever a section plane has cut away.

Embree (through ``embreex``) answers where it is installed; trimesh's own BVH otherwise.
Independent of Panda3D: the same picker serves the mouse, a VR laser and the quiz.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

MAX_SKIPS = 64  # hidden or cut-away surfaces one ray may pass through
SKIP_STEP = 1e-5  # metres past a skipped surface before casting again


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
        shown = self.mask(visible)
        plane = None if section is None else np.asarray(section, dtype=float)
        results: list[Hit | None] = [None] * len(origins)
        # First hits only; where that surface is hidden or cut away, cast again just past
        # it. Most rays finish in one cast, unlike collecting every hit along the ray.
        active = np.arange(len(origins))
        start = origins.copy()
        for _ in range(MAX_SKIPS):
            if len(active) == 0:
                break
            tri, ray, points = self._intersector.intersects_id(
                start[active], directions[active], multiple_hits=False, return_locations=True
            )
            if len(tri) == 0:
                break
            rays = active[ray]
            owner = self._owner[tri]
            keep = shown[owner]
            if plane is not None:
                keep &= points @ plane[:3] + plane[3] >= 0
            for k in np.nonzero(keep)[0]:
                r = rays[k]
                dist = float((points[k] - origins[r]) @ directions[r])
                results[r] = Hit(self.ids[owner[k]], dist, points[k])
            retry = ~keep
            start[rays[retry]] = points[retry] + directions[rays[retry]] * SKIP_STEP
            active = rays[retry]
        return results

    def pick(self, origin, direction, visible=None, section=None) -> Hit | None:
        return self.pick_many([origin], [direction], visible, section)[0]
