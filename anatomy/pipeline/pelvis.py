"""Pelvic organs placed on the fitted pelvis: the bladder behind the pubic symphysis, the
uterus of female bodies over the bladder and in front of the rectum, the prostate of male
bodies under the bladder neck.

Every target is read off the fitted hip bones and sacrum (``PelvicLandmarks``), so the same
code serves any body shape. The bladder and the uterus are scaffoldmaker scaffolds (see
``organs.py``); the prostate is schematic (signed-distance field, marching cubes).

Build-time only: the uterus needs scaffoldmaker, the prostate scikit-image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from anatomy.errors import AnatomyError

X = np.array([1.0, 0.0, 0.0])
Y = np.array([0.0, 1.0, 0.0])
Z = np.array([0.0, 0.0, 1.0])


def _unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


def _extreme(points: np.ndarray, direction) -> np.ndarray:
    return points[int(np.argmax(points @ np.asarray(direction, float)))].copy()


@dataclass(frozen=True)
class PelvicLandmarks:
    """Points of the fitted bony pelvis on the midline (metres, the MedVR frame)."""

    symphysis_top: np.ndarray  # upper border of the pubic symphysis
    symphysis_back: np.ndarray  # its posterior surface, the front of the retropubic space
    symphysis_low: np.ndarray  # its lower border, above the pubic arch
    promontory: np.ndarray  # sacral promontory, the back of the pelvic brim
    sacrum_tip: np.ndarray  # the lowest point of the sacrum on the midline

    @property
    def inlet(self) -> tuple[np.ndarray, np.ndarray]:
        """(point, normal) of the pelvic inlet: the plane through the promontory and the top
        of the symphysis, square to the midsagittal plane; the normal points up, out of the
        lesser pelvis."""
        along = self.symphysis_top - self.promontory
        normal = _unit(np.cross(along, X))
        if normal[2] < 0:
            normal = -normal
        return (self.promontory + self.symphysis_top) / 2, normal


def pelvic_landmarks(bones: dict[str, trimesh.Trimesh]) -> PelvicLandmarks:
    """The midline landmarks of the lesser pelvis from the fitted hip bones and sacrum."""
    missing = [b for b in ("hip_bone_l", "hip_bone_r", "sacrum") if b not in bones]
    if missing:
        raise AnatomyError(
            f"the pelvic organs need the bones {', '.join(missing)}",
            f"盆腔器官需要骨骼 {', '.join(missing)}",
        )
    hips = np.vstack([bones["hip_bone_l"].vertices, bones["hip_bone_r"].vertices])
    # Near the midline the hip bones are only their pubic bodies, meeting at the symphysis.
    pubis = hips[np.abs(hips[:, 0]) < 0.012]
    sacrum = np.asarray(bones["sacrum"].vertices)
    midline = sacrum[np.abs(sacrum[:, 0]) < 0.015]
    return PelvicLandmarks(
        symphysis_top=_extreme(pubis, Z),
        symphysis_back=_extreme(pubis, Y),
        symphysis_low=_extreme(pubis, -Z),
        promontory=_extreme(midline, Z - Y),
        sacrum_tip=_extreme(midline, -Z),
    )


# --- the bladder ---------------------------------------------------------------------------

# A bladder holding a little urine (about 5.5 cm from neck to apex, 25-30 mL inside), which
# leaves the uterus room to lie on it: the neck 2.5 cm behind the symphysis, level with
# its lower half; the apex leaning forward to 3 cm above and just behind its upper border
# (Gray's 42; 系统解剖学9).
BLADDER_NECK_BEHIND = 0.025
BLADDER_NECK_HEIGHT = 0.35  # share of the symphysis' height above its lower border
BLADDER_APEX_ABOVE = 0.03
BLADDER_APEX_FORWARD = 0.005


def bladder_targets(pelvis: PelvicLandmarks) -> tuple[np.ndarray, np.ndarray]:
    """(neck, apex) of the bladder in this pelvis, on the midline."""
    low, top, back = pelvis.symphysis_low[2], pelvis.symphysis_top[2], pelvis.symphysis_back[1]
    neck = np.array([0.0, back + BLADDER_NECK_BEHIND, low + BLADDER_NECK_HEIGHT * (top - low)])
    apex = np.array([0.0, back - BLADDER_APEX_FORWARD, top + BLADDER_APEX_ABOVE])
    return neck, apex


def bladder_transform(pelvis: PelvicLandmarks) -> np.ndarray:
    """4×4 from the bladder scaffold's coordinates into this pelvis: its neck (the scaffold's
    origin) on the neck target, its apex on the apex target, its left side to the left."""
    from anatomy.pipeline.organs import Placement, organ_transform

    neck, apex = bladder_targets(pelvis)
    axis = apex - neck
    placement = Placement(
        tuple(neck), float(np.linalg.norm(axis)), tuple(_unit(axis)), tuple(X), note="pelvis"
    )
    matrix = organ_transform("bladder", placement)
    matrix[:3, 3] = neck  # the scaffold's origin is the centre of the bladder neck
    return matrix


# --- the uterus -----------------------------------------------------------------------------

# The scaffold's uterus is rounder than an adult's: its parts are scaled apart along the
# scaffold's own axes to a nulliparous uterus of about 8 × 5 × 3 cm (fundus to external os,
# across the fundus, front to back; Gray's 42; 系统解剖学9).
UTERUS_SIZE = np.array([0.08, 0.05, 0.032])
UTERUS_PARTS = ("fundus_of_uterus", "body_of_uterus")
# Tilt of the long axis from the vertical, fundus forward (anteversion over a moderately
# filled bladder): tried in this range, the preferred one winning a tie.
UTERUS_TILTS = np.radians([35.0, 45.0, 55.0, 65.0, 75.0])
UTERUS_PREFERRED_TILT = np.radians(55.0)
UTERUS_CLEARANCE = 0.002  # kept from the bones, bladder and bowel around it
UTERUS_BRIM_CLEARANCE = 0.005  # the fundus stays this far below the pelvic inlet
UTERUS_ON_BLADDER = 0.004  # the gap it is drawn toward over the bladder's back
SEARCH_PITCH = 0.002


def uterus_scaffold_scale(parts: list[trimesh.Trimesh]) -> np.ndarray:
    """3×3 scaling the scaffold's uterus (x fundus to cervix, y across, z front to back)."""
    lo, hi = trimesh.util.concatenate(parts).bounds
    return np.diag(UTERUS_SIZE / (hi - lo))


def uterus_rotation(tilt: float) -> np.ndarray:
    """3×3 turning the scaffold's axes into the body: +x (fundus to cervix) down and back at
    ``tilt`` from the vertical, +y (the subject's right) to -X, +z (posterior) up and back."""
    s, c = np.sin(tilt), np.cos(tilt)
    return np.column_stack([[0.0, s, -c], [-1.0, 0.0, 0.0], [0.0, c, s]])


class _Field:
    """Signed distance to the union of some closed meshes, sampled on a grid (m, < 0
    inside), read anywhere by trilinear interpolation (far outside the grid: far away)."""

    def __init__(self, meshes: list[trimesh.Trimesh], lo, hi, pitch: float):
        from anatomy.pipeline.schematic import Grid, occupancy, signed_distance_to

        self.grid = Grid.around(lo, hi, pitch)
        inside = np.zeros(self.grid.shape, dtype=bool)
        for mesh in meshes:
            m_lo, m_hi = mesh.bounds
            if np.any(m_hi < self.grid.lo) or np.any(m_lo > self.grid.hi):
                continue
            inside |= occupancy(mesh, self.grid)
        self.values = signed_distance_to(inside, pitch)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        from scipy.ndimage import map_coordinates

        index = (np.asarray(points) - self.grid.origin) / self.grid.pitch
        return map_coordinates(self.values, index.T, order=1, mode="nearest")


def place_uterus(
    parts: list[trimesh.Trimesh],
    pelvis: PelvicLandmarks,
    bladder: trimesh.Trimesh,
    obstacles: list[trimesh.Trimesh],
) -> np.ndarray:
    """4×4 from the uterus scaffold's coordinates into this pelvis.

    The uterus is tilted forward over the bladder and moved, on the midline, to where it
    stays clear of the bones, the bladder and the bowel (``obstacles``), its fundus below
    the pelvic inlet, as close as it can to resting on the bladder's back and upper face.
    """
    scaffold = trimesh.util.concatenate(parts)
    scale = uterus_scaffold_scale(parts)
    centre = scaffold.bounds.mean(axis=0)
    surface = np.asarray(scaffold.vertices)[:: max(1, len(scaffold.vertices) // 800)]
    local = (surface - centre) @ scale.T
    inlet, up = pelvis.inlet
    back, front_of_sacrum = pelvis.symphysis_back[1], pelvis.sacrum_tip[1]
    lo = np.array([-0.07, back - 0.04, pelvis.symphysis_low[2] - 0.04])
    hi = np.array([0.07, front_of_sacrum + 0.04, pelvis.promontory[2] + 0.03])
    clear = _Field(obstacles, lo, hi, SEARCH_PITCH)
    near_bladder = _Field([bladder], lo, hi, SEARCH_PITCH)
    ys = np.arange(back, front_of_sacrum, SEARCH_PITCH)
    zs = np.arange(pelvis.symphysis_low[2], pelvis.promontory[2], SEARCH_PITCH)
    # The middle of the lesser pelvis: what the uterus is drawn toward when it has room.
    middle = (pelvis.symphysis_back + pelvis.promontory + pelvis.sacrum_tip) / 3 * [0, 1, 1]
    best: tuple[float, float, np.ndarray] | None = None
    for tilt in UTERUS_TILTS:
        turned = local @ uterus_rotation(tilt).T
        gy, gz = np.meshgrid(ys, zs, indexing="ij")
        offsets = np.stack([np.zeros(gy.size), gy.ravel(), gz.ravel()], axis=1)
        points = turned[None, :, :] + offsets[:, None, :]
        flat = points.reshape(-1, 3)
        depth = clear(flat).reshape(len(offsets), -1)
        above = ((flat - inlet) @ up).reshape(len(offsets), -1)
        gap = near_bladder(flat).reshape(len(offsets), -1).min(axis=1)
        collide = np.clip(UTERUS_CLEARANCE - depth, 0.0, None).sum(axis=1)
        brim = np.clip(above + UTERUS_BRIM_CLEARANCE, 0.0, None).sum(axis=1)
        off_centre = np.linalg.norm(offsets - middle, axis=1)
        cost = 10.0 * (collide + brim) + np.abs(gap - UTERUS_ON_BLADDER) + 0.2 * off_centre
        cost = cost + 0.01 * abs(tilt - UTERUS_PREFERRED_TILT)
        k = int(np.argmin(cost))
        if best is None or cost[k] < best[0]:
            best = (float(cost[k]), float(tilt), offsets[k])
    _, tilt, offset = best
    linear = uterus_rotation(tilt) @ scale
    matrix = np.eye(4)
    matrix[:3, :3] = linear
    matrix[:3, 3] = offset - linear @ centre
    return matrix
