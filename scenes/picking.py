"""Ray picking against world-space boxes, vectorised over every box at once.

Scenes with few large targets (lobby stands, hall booths) pick this way; meshes with
many structures use a BVH (anatomy). Independent of Panda3D's collision system.
"""

from __future__ import annotations

import numpy as np


def ray_box_distances(origin, direction, lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
    """Entry distance of one ray into each box (N,), ``inf`` where it misses (slab test)."""
    origin = np.asarray(origin, dtype=float)
    direction = np.asarray(direction, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / direction
        t1 = (lows - origin) * inv
        t2 = (highs - origin) * inv
    t1 = np.nan_to_num(t1, nan=-np.inf)
    t2 = np.nan_to_num(t2, nan=np.inf)
    near = np.minimum(t1, t2).max(axis=1)
    far = np.maximum(t1, t2).min(axis=1)
    hit = (far >= np.maximum(near, 0.0)) & np.isfinite(far)
    return np.where(hit, np.maximum(near, 0.0), np.inf)


class BoxPicker:
    """Named boxes; ``pick(ray)`` gives the nearest name hit, or None."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._lows = np.empty((0, 3))
        self._highs = np.empty((0, 3))

    def add(self, name: str, low, high) -> None:
        self.names.append(name)
        self._lows = np.vstack([self._lows, np.asarray(low, dtype=float)])
        self._highs = np.vstack([self._highs, np.asarray(high, dtype=float)])

    def pick(self, origin, direction) -> tuple[str, float] | None:
        if not self.names:
            return None
        t = ray_box_distances(origin, direction, self._lows, self._highs)
        i = int(np.argmin(t))
        return (self.names[i], float(t[i])) if np.isfinite(t[i]) else None
