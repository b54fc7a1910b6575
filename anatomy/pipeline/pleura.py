"""The pleural sacs, derived from the placed lung lobes (scaffoldmaker has no pleura).

Each side's parietal pleura is drawn as one closed envelope around that side's lobes: the
lobes are voxelised, closed across their fissures and the hilum, grown outward by the
width of the pleural cavity, cut back to the rib cage's outer surface below the thoracic
inlet (above it the cervical pleura domes into the root of the neck over the lung's apex,
as it does in the body), meshed by marching cubes, Taubin-smoothed and decimated.

Build-time only: needs scipy and scikit-image (the asset venv ``.venv-assets``).
"""

from __future__ import annotations

import numpy as np
import trimesh

from anatomy.errors import AnatomyError
from anatomy.pipeline.schematic import Grid, mesh_field, occupancy, signed_distance_to

PITCH = 0.0015  # voxel edge (m)
GAP = 0.003  # how far the pleura lies outside the lung surface
EDGE = 0.001  # the least room left outside a lobe where the ribs would cut closer
CLOSING = 0.008  # fissures and clefts narrower than twice this are bridged
FACES = 4000
CAGE_PREFIXES = ("rib_", "t", "sternum")


def rib_cage(bones: dict[str, trimesh.Trimesh]) -> list[trimesh.Trimesh]:
    """The ribs, the sternum with its costal cartilages and the thoracic vertebrae."""
    ids = [k for k in bones if k.startswith("rib_") or k == "sternum" or _thoracic(k)]
    if not any(k.startswith("rib_") for k in ids) or "sternum" not in ids:
        raise AnatomyError(
            "the pleura needs the ribs and the sternum of the fitted skeleton",
            "胸膜需要已拟合骨架中的肋骨和胸骨",
        )
    return [bones[k] for k in sorted(ids)]


def _thoracic(bone_id: str) -> bool:
    return bone_id[:1] == "t" and bone_id[1:].isdigit()


def thoracic_inlet(bones: dict[str, trimesh.Trimesh]) -> tuple[np.ndarray, np.ndarray]:
    """(point, upward unit normal) of the plane through the top of the manubrium and the
    highest points of the two first ribs (their necks, beside T1)."""
    sternum = np.asarray(bones["sternum"].vertices)
    mid = sternum[np.abs(sternum[:, 0]) < 0.01]
    notch = mid[np.argmax(mid[:, 2])]
    tops = [np.asarray(bones[f"rib_1_{s}"].vertices) for s in ("l", "r")]
    left, right = (v[np.argmax(v[:, 2])] for v in tops)
    normal = np.cross(left - notch, right - notch)
    normal /= np.linalg.norm(normal)
    if normal[2] < 0:
        normal = -normal
    return (notch + left + right) / 3, normal


def pleural_sac(
    lobes: list[trimesh.Trimesh],
    cage: list[trimesh.Trimesh],
    inlet: tuple[np.ndarray, np.ndarray],
    *,
    name: str = "pleura",
    pitch: float = PITCH,
    gap: float = GAP,
    closing: float = CLOSING,
    max_faces: int = FACES,
) -> trimesh.Trimesh:
    """A closed surface ``gap`` outside the union of ``lobes``, no further out than the
    outer surface (convex hull) of the ``cage`` bones below the thoracic ``inlet``."""
    from scipy.ndimage import distance_transform_edt

    hull = trimesh.util.concatenate(cage).convex_hull
    point, normal = np.asarray(inlet[0], float), np.asarray(inlet[1], float)
    lo, hi = trimesh.util.concatenate(lobes).bounds
    reach = closing + gap + 2 * pitch

    def field(grid: Grid, points: np.ndarray) -> np.ndarray:
        inside = np.zeros(grid.shape, dtype=bool)
        for lobe in lobes:
            inside |= occupancy(lobe, grid)
        # Closing (grow, then shrink by the same distance) bridges the fissures.
        grown = distance_transform_edt(~inside) * pitch <= closing
        closed = (distance_transform_edt(grown) * pitch > closing) | inside
        sac = signed_distance_to(closed, pitch) - gap
        # Where a lobe itself reaches past the ribs, the pleura keeps just outside it.
        wall = np.minimum(
            signed_distance_to(occupancy(hull, grid), pitch),
            signed_distance_to(inside, pitch) - EDGE,
        )
        above_inlet = (points - point) @ normal > 0
        return np.maximum(sac, np.where(above_inlet, -1.0, wall))

    return mesh_field(field, lo - reach, hi + reach, pitch, max_faces, name=name)
