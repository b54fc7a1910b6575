"""Schematic soft tissue built from the skeleton: organs, vessels, nerves, superficial muscles.

No package on the registries gives liver, kidneys, spleen, pancreas, gallbladder, the brain,
the great vessels, the nerves or muscle volumes, so :func:`build_schematic` makes them from
a skeleton (:func:`anatomy.pipeline.skeleton.extract_bones` and ``joint_centres``, or the
same skeleton fitted to a skin) and shapes them after the standard references named in
``SCHEMATIC_SOURCES.md``. Every structure is marked ``schematic`` in the catalog.

Three kinds of construction, all in the MedVR body frame (metres, Z up, facing -Y, the
subject's left +X):

- solid organs and muscles: signed-distance fields (ellipsoids, tapered capsules, sweeps
  along splines, sheets lying a set distance over a bone surface) evaluated on a grid of
  1.5-3 mm voxels, the bones carved out of them, meshed by marching cubes
  (scikit-image), Taubin-smoothed and decimated to a triangle budget;
- vessels and nerves: tubes swept along centripetal Catmull-Rom splines through waypoints
  taken from the bones, with rotation-minimising frames and rounded caps;
- every anchor (a vertebral canal, the costal margin, the coracoid, a femoral condyle...)
  is read off the bone meshes passed in, so the same code serves any fitted skeleton.

Paired structures that are symmetric in the body (muscles, limb vessels and nerves) are
built on the right and mirrored, so left and right match exactly. Organs that are not
(kidneys, the aorta's branches, the vagus nerves) are built on their own side.

Build-time only: needs scikit-image and scipy (the asset venv ``.venv-assets``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import trimesh

from anatomy.errors import AnatomyError
from anatomy.pipeline.skeleton import mirror_left, simplify

X = np.array([1.0, 0.0, 0.0])
Y = np.array([0.0, 1.0, 0.0])
Z = np.array([0.0, 0.0, 1.0])
MIRROR = np.array([-1.0, 1.0, 1.0])

# Whole-set triangle budget is about 200k: these are the per-kind shares.
ORGAN_FACES = 4000
SMALL_ORGAN_FACES = 1600
MUSCLE_FACES = 1300
SHEET_FACES = 2000
TUBE_SIDES = 14
NERVE_SIDES = 10


# --- small vector helpers -------------------------------------------------------------------


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 0, n, 1.0)


def _lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    return np.asarray(a) + (np.asarray(b) - np.asarray(a)) * t


def _mirror(p: np.ndarray) -> np.ndarray:
    return np.asarray(p) * MIRROR


# --- grids and signed-distance fields -------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """A regular lattice of sample points: ``origin + pitch * (i, j, k)``."""

    origin: np.ndarray
    pitch: float
    shape: tuple[int, int, int]

    @staticmethod
    def around(lo, hi, pitch: float, pad: int = 3) -> Grid:
        """A grid covering the box, its corners on multiples of ``pitch`` (so that a shape and
        its mirror image, or the same shape built twice, sample the same lattice)."""
        lo = (np.floor(np.asarray(lo, dtype=np.float64) / pitch) - pad) * pitch
        hi = (np.ceil(np.asarray(hi, dtype=np.float64) / pitch) + pad) * pitch
        shape = tuple(int(n) for n in np.round((hi - lo) / pitch).astype(int) + 1)
        return Grid(lo, float(pitch), shape)

    def axes(self) -> list[np.ndarray]:
        return [self.origin[i] + self.pitch * np.arange(self.shape[i]) for i in range(3)]

    def points(self) -> np.ndarray:
        gx, gy, gz = np.meshgrid(*self.axes(), indexing="ij")
        return np.stack([gx, gy, gz], axis=-1)

    @property
    def lo(self) -> np.ndarray:
        return self.origin

    @property
    def hi(self) -> np.ndarray:
        return self.origin + self.pitch * (np.array(self.shape) - 1)


def occupancy(mesh: trimesh.Trimesh, grid: Grid) -> np.ndarray:
    """Which grid points lie inside a closed mesh, by crossing parity along z columns.

    Each triangle is rasterised onto the columns whose (x, y) fall in its shadow; the
    crossings are counted below every grid point. Columns sit a hair off the lattice so
    that none runs exactly through an edge or a vertex.
    """
    nx, ny, nz = grid.shape
    tri = np.asarray(mesh.triangles, dtype=np.float64)
    if len(tri) == 0:
        return np.zeros(grid.shape, dtype=bool)
    nudge = np.array([2.0**-0.5, 3.0**-0.5]) * 1e-4 * grid.pitch
    xy = tri[:, :, :2] - grid.origin[:2] - nudge
    lo = np.maximum(np.ceil(xy.min(axis=1) / grid.pitch).astype(np.int64), 0)
    hi = np.minimum(np.floor(xy.max(axis=1) / grid.pitch).astype(np.int64), [nx - 1, ny - 1])
    span = np.clip(hi - lo + 1, 0, None)
    count = span[:, 0] * span[:, 1]
    t = np.repeat(np.arange(len(tri)), count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    ci = lo[t, 0] + k % np.maximum(span[t, 0], 1)
    cj = lo[t, 1] + k // np.maximum(span[t, 0], 1)
    p = np.column_stack([ci, cj]) * grid.pitch
    a, b, c = xy[t, 0], xy[t, 1], xy[t, 2]
    e0, e1, e2 = b - a, c - a, p - a
    den = e0[:, 0] * e1[:, 1] - e1[:, 0] * e0[:, 1]
    flat = den == 0  # a triangle seen edge-on casts no shadow
    safe = np.where(flat, 1.0, den)
    s = np.where(flat, -1.0, (e2[:, 0] * e1[:, 1] - e1[:, 0] * e2[:, 1]) / safe)
    r = np.where(flat, -1.0, (e0[:, 0] * e2[:, 1] - e2[:, 0] * e0[:, 1]) / safe)
    hit = (s >= 0) & (r >= 0) & (s + r <= 1)
    t, ci, cj, s, r = t[hit], ci[hit], cj[hit], s[hit], r[hit]
    z = tri[t, 0, 2] + s * (tri[t, 1, 2] - tri[t, 0, 2]) + r * (tri[t, 2, 2] - tri[t, 0, 2])
    kz = np.clip(np.ceil((z - grid.origin[2]) / grid.pitch).astype(np.int64), 0, nz)
    crossings = np.zeros((nx, ny, nz + 1), dtype=np.int32)
    np.add.at(crossings, (ci, cj, kz), 1)
    return (np.cumsum(crossings, axis=2)[:, :, :nz] % 2) == 1


def signed_distance_to(inside: np.ndarray, pitch: float) -> np.ndarray:
    """Signed distance (negative inside) to the boundary of a voxel set, by Euclidean
    distance transforms; half a voxel coarse, which the meshes' smoothing hides."""
    from scipy.ndimage import distance_transform_edt

    if not inside.any():
        return np.full(inside.shape, 1.0)
    outside = distance_transform_edt(~inside) * pitch
    depth = distance_transform_edt(inside) * pitch
    return outside - depth + np.where(inside, 0.5, -0.5) * pitch


def bone_field(bones: dict[str, trimesh.Trimesh], grid: Grid, ids=None) -> np.ndarray:
    """Signed distance to the union of the bones (all, or ``ids``) that reach into the grid."""
    inside = np.zeros(grid.shape, dtype=bool)
    lo, hi = grid.lo, grid.hi
    for bone_id in sorted(bones if ids is None else ids):
        mesh = bones[bone_id]
        b_lo, b_hi = mesh.bounds
        if np.any(b_hi < lo) or np.any(b_lo > hi):
            continue
        inside |= occupancy(mesh, grid)
    return signed_distance_to(inside, grid.pitch)


def smooth_min(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """Union of two fields with a rounded seam of size ``k`` (polynomial smooth minimum)."""
    if k <= 0:
        return np.minimum(a, b)
    h = np.clip(0.5 + 0.5 * (b - a) / k, 0.0, 1.0)
    return b + (a - b) * h - k * h * (1.0 - h)


def smooth_max(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """Intersection with a rounded seam."""
    return -smooth_min(-a, -b, k)


def ellipsoid(p: np.ndarray, centre, radii, axes=None) -> np.ndarray:
    """Approximate signed distance to an ellipsoid (scaled-radius form, exact on the axes).

    ``axes``: rows are the ellipsoid's unit axes in the body frame (default X, Y, Z).
    """
    q = p - np.asarray(centre)
    if axes is not None:
        q = q @ np.asarray(axes).T
    radii = np.asarray(radii, dtype=np.float64)
    k0 = np.linalg.norm(q / radii, axis=-1)
    k1 = np.linalg.norm(q / (radii * radii), axis=-1)
    return np.where(k1 > 0, k0 * (k0 - 1.0) / np.where(k1 > 0, k1, 1.0), -radii.min())


def capsule(p: np.ndarray, a, b, ra: float, rb: float) -> np.ndarray:
    """Signed distance to a tapered capsule (a round cone) from ``a`` (radius ``ra``) to ``b``."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ab = b - a
    length2 = float(ab @ ab)
    t = np.clip(((p - a) @ ab) / length2, 0.0, 1.0)
    closest = a + t[..., None] * ab
    return np.linalg.norm(p - closest, axis=-1) - (ra + (rb - ra) * t)


def half_space(p: np.ndarray, point, normal) -> np.ndarray:
    """Signed distance to the half-space behind a plane (negative on the side away from
    ``normal``)."""
    return (p - np.asarray(point)) @ _unit(normal)


def frame_from(forward, up) -> np.ndarray:
    """Rows: unit x' along ``forward``, y' the part of ``up`` across it, z' = x' × y'."""
    f = _unit(forward)
    u = _unit(np.asarray(up) - (np.asarray(up) @ f) * f)
    return np.stack([f, u, np.cross(f, u)])


# --- curves ----------------------------------------------------------------------------------


def spline(waypoints, spacing: float = 0.002, alpha: float = 0.5) -> np.ndarray:
    """A centripetal Catmull-Rom curve through the waypoints, resampled every ``spacing``.

    Centripetal parametrisation never overshoots or loops between close waypoints.
    """
    p = np.asarray(waypoints, dtype=np.float64)
    if len(p) < 2:
        raise AnatomyError("a spline needs two waypoints", "样条至少需要两个路径点")
    ext = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    samples = []
    u = np.linspace(0.0, 1.0, 24, endpoint=False)[:, None]
    for i in range(len(p) - 1):
        p0, p1, p2, p3 = ext[i], ext[i + 1], ext[i + 2], ext[i + 3]
        t0 = 0.0
        t1 = t0 + max(np.linalg.norm(p1 - p0) ** alpha, 1e-9)
        t2 = t1 + max(np.linalg.norm(p2 - p1) ** alpha, 1e-9)
        t3 = t2 + max(np.linalg.norm(p3 - p2) ** alpha, 1e-9)
        t = t1 + u * (t2 - t1)
        a1 = (t1 - t) / (t1 - t0) * p0 + (t - t0) / (t1 - t0) * p1
        a2 = (t2 - t) / (t2 - t1) * p1 + (t - t1) / (t2 - t1) * p2
        a3 = (t3 - t) / (t3 - t2) * p2 + (t - t2) / (t3 - t2) * p3
        b1 = (t2 - t) / (t2 - t0) * a1 + (t - t0) / (t2 - t0) * a2
        b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
        samples.append((t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2)
    samples.append(p[-1:])
    dense = np.vstack(samples)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(dense, axis=0), axis=1))])
    n = max(2, int(np.ceil(arc[-1] / spacing)) + 1)
    s = np.linspace(0.0, arc[-1], n)
    return np.column_stack([np.interp(s, arc, dense[:, i]) for i in range(3)])


def arc_length(points: np.ndarray) -> np.ndarray:
    """Cumulative length along a polyline, starting at 0."""
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])


def curve_frames(points: np.ndarray, up=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tangents and a rotation-minimising normal/binormal pair along a polyline
    (double reflection, Wang et al. 2008). The first normal is ``up`` made perpendicular,
    or the axis least aligned with the first tangent."""
    tangent = np.gradient(points, axis=0)
    tangent = _unit(tangent)
    if up is None:
        up = np.eye(3)[int(np.argmin(np.abs(tangent[0])))]
    normal = np.empty_like(points)
    normal[0] = _unit(np.asarray(up) - (np.asarray(up) @ tangent[0]) * tangent[0])
    for i in range(len(points) - 1):
        v1 = points[i + 1] - points[i]
        c1 = v1 @ v1
        if c1 < 1e-20:
            normal[i + 1] = normal[i]
            continue
        r_l = normal[i] - (2.0 / c1) * (v1 @ normal[i]) * v1
        t_l = tangent[i] - (2.0 / c1) * (v1 @ tangent[i]) * v1
        v2 = tangent[i + 1] - t_l
        c2 = v2 @ v2
        normal[i + 1] = r_l - (2.0 / c2) * (v2 @ r_l) * v2 if c2 > 1e-20 else r_l
    normal = _unit(normal - np.sum(normal * tangent, axis=1, keepdims=True) * tangent)
    return tangent, normal, np.cross(tangent, normal)


def tube(
    points: np.ndarray, radii, sides: int | None = None, cap_rings: int = 3
) -> trimesh.Trimesh:
    """A closed tube along a polyline, radius per point, with rounded end caps.

    Rings are spaced about three radii apart (closer where the path bends), sides by the
    radius, so thin nerves stay cheap: the whole schematic set keeps to its triangle budget.
    """
    points = np.asarray(points, dtype=np.float64)
    radii = np.broadcast_to(np.asarray(radii, dtype=np.float64), (len(points),)).copy()
    points, radii = _resample_for_tube(points, radii)
    if sides is None:
        r = float(radii.max())
        sides = 8 if r < 0.002 else 10 if r < 0.0035 else 14 if r < 0.008 else 20
    tangent, normal, binormal = curve_frames(points)
    # Rounded caps: a few rings shrinking toward a pole beyond each end.
    angles = np.linspace(0.0, 0.5 * np.pi, cap_rings + 2)[1:-1]
    start = [points[0] - tangent[0] * radii[0] * np.sin(a) for a in angles[::-1]]
    end = [points[-1] + tangent[-1] * radii[-1] * np.sin(a) for a in angles]
    ring_centres = np.vstack([start, points, end]) if cap_rings else points
    ring_radii = np.concatenate(
        [radii[0] * np.cos(angles[::-1]), radii, radii[-1] * np.cos(angles)]
    )
    ring_normal = np.vstack(
        [np.repeat(normal[:1], cap_rings, 0), normal, np.repeat(normal[-1:], cap_rings, 0)]
    )
    ring_binormal = np.vstack(
        [np.repeat(binormal[:1], cap_rings, 0), binormal, np.repeat(binormal[-1:], cap_rings, 0)]
    )
    theta = np.linspace(0.0, 2 * np.pi, sides, endpoint=False)
    offsets = (
        np.cos(theta)[None, :, None] * ring_normal[:, None, :]
        + np.sin(theta)[None, :, None] * ring_binormal[:, None, :]
    )
    rings = ring_centres[:, None, :] + ring_radii[:, None, None] * offsets
    n_rings = len(ring_centres)
    vertices = np.vstack(
        [
            rings.reshape(-1, 3),
            ring_centres[:1] - tangent[:1] * radii[0],
            ring_centres[-1:] + tangent[-1:] * radii[-1],
        ]
    )
    idx = np.arange(n_rings * sides).reshape(n_rings, sides)
    a = idx[:-1]
    b = np.roll(idx[:-1], -1, axis=1)
    c = idx[1:]
    d = np.roll(idx[1:], -1, axis=1)
    faces = [np.stack([a, c, b], -1).reshape(-1, 3), np.stack([b, c, d], -1).reshape(-1, 3)]
    first, last = n_rings * sides, n_rings * sides + 1
    faces.append(np.column_stack([np.full(sides, first), idx[0], np.roll(idx[0], -1)]))
    faces.append(np.column_stack([np.full(sides, last), np.roll(idx[-1], -1), idx[-1]]))
    mesh = trimesh.Trimesh(vertices, np.vstack(faces), process=False)
    if mesh.volume < 0:
        mesh.invert()
    return mesh


def _resample_for_tube(points: np.ndarray, radii: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fewer samples where the path is straight: steps of 3 radii (6-14 mm), shorter where
    the (lightly smoothed) tangent turns, one more ring for every 0.25 rad of turning."""
    from scipy.ndimage import gaussian_filter1d

    s = arc_length(points)
    if s[-1] <= 0:
        return points, radii
    spacing = max(float(s[-1]) / max(len(points) - 1, 1), 1e-6)
    smooth = gaussian_filter1d(points, max(1.0, 0.006 / spacing), axis=0, mode="nearest")
    tangent = _unit(np.gradient(smooth, axis=0))
    cosine = np.clip(np.sum(tangent[1:] * tangent[:-1], axis=1), -1, 1)
    bend = np.cumsum(np.concatenate([[0.0], np.arccos(cosine)]))
    step = np.clip(3.0 * radii, 0.006, 0.014)
    length = np.concatenate([[0.0], np.cumsum(np.diff(s) / (0.5 * (step[1:] + step[:-1])))])
    measure = length + bend / 0.25
    n = max(8, int(np.ceil(measure[-1])) + 1)
    m = np.linspace(0.0, measure[-1], n)
    new = np.column_stack([np.interp(m, measure, points[:, i]) for i in range(3)])
    return new, np.interp(m, measure, radii)


def polyline_distance(p: np.ndarray, points: np.ndarray, radii) -> np.ndarray:
    """Signed distance to a tube of varying radius around a densely sampled polyline."""
    from scipy.spatial import cKDTree

    radii = np.broadcast_to(np.asarray(radii, dtype=np.float64), (len(points),))
    flat = p.reshape(-1, 3)
    dist, idx = cKDTree(points).query(flat)
    return (dist - radii[idx]).reshape(p.shape[:-1])


def sweep(
    p: np.ndarray,
    points: np.ndarray,
    width: np.ndarray,
    thickness: np.ndarray,
    outward: np.ndarray,
) -> np.ndarray:
    """Approximate signed distance to a swept elliptical section along a polyline.

    At each sample the section has half-width ``width`` across the path and half-thickness
    ``thickness`` along ``outward`` (made perpendicular to the path). Ends are rounded.
    """
    from scipy.spatial import cKDTree

    tangent = _unit(np.gradient(points, axis=0))
    outward = _unit(outward - np.sum(outward * tangent, axis=1, keepdims=True) * tangent)
    across = np.cross(tangent, outward)
    flat = p.reshape(-1, 3)
    _, i = cKDTree(points).query(flat)
    q = flat - points[i]
    along = np.sum(q * tangent[i], axis=1)
    u = np.sum(q * outward[i], axis=1) / thickness[i]
    v = np.sum(q * across[i], axis=1) / width[i]
    w = along / np.minimum(width[i], thickness[i])
    at_end = (i == 0) & (along < 0) | (i == len(points) - 1) & (along > 0)
    w = np.where(at_end, w, 0.0)
    k = np.sqrt(u * u + v * v + w * w)
    d = (k - 1.0) * np.minimum(width[i], thickness[i])
    return d.reshape(p.shape[:-1])


def spindle_profile(n: int, belly: float = 0.5, tendon: float = 0.25, power: float = 0.8):
    """0..1 fullness along a muscle: thin tendinous ends, full belly at ``belly``."""
    t = np.linspace(0.0, 1.0, n)
    left = np.clip(t / belly, 0, 1)
    right = np.clip((1 - t) / (1 - belly), 0, 1)
    shape = np.sin(0.5 * np.pi * np.minimum(left, right)) ** power
    return tendon + (1.0 - tendon) * shape


# --- meshing ---------------------------------------------------------------------------------


Field = Callable[[Grid, np.ndarray], np.ndarray]


def mesh_field(
    field: Field,
    lo,
    hi,
    pitch: float,
    max_faces: int,
    smoothing: int = 10,
    name: str = "",
    keep: str = "largest",
) -> trimesh.Trimesh:
    """Marching cubes over a signed-distance field, smoothed, decimated, closed.

    ``field(grid, points)`` returns the field on the grid (negative inside). The grid is
    padded so the surface never touches its border, which keeps the mesh closed.
    ``keep``: ``"largest"`` keeps the biggest connected piece (drops specks left by
    carving), ``"all"`` keeps every piece bigger than a few voxels.
    """
    from skimage.measure import marching_cubes

    grid = Grid.around(lo, hi, pitch)
    values = np.asarray(field(grid, grid.points()), dtype=np.float64)
    values[[0, -1], :, :] = np.maximum(values[[0, -1], :, :], pitch)
    values[:, [0, -1], :] = np.maximum(values[:, [0, -1], :], pitch)
    values[:, :, [0, -1]] = np.maximum(values[:, :, [0, -1]], pitch)
    # A sample on (or within a hair of) the level set makes marching cubes put vertices of
    # different edges at one point, and zero-area triangles whose removal opens the
    # surface: nudge such samples off it.
    eps = 1e-3 * pitch
    values = np.where(np.abs(values) < eps, eps, values)
    if values.min() >= 0:
        raise AnatomyError(
            f"schematic {name}: the shape is empty (nothing inside its field)",
            f"示意结构 {name}：形状为空",
        )
    verts, faces, _, _ = marching_cubes(
        values, 0.0, spacing=(pitch, pitch, pitch), allow_degenerate=False
    )
    mesh = trimesh.Trimesh(verts + grid.origin, faces, process=False)
    parts = mesh.split(only_watertight=False)
    if len(parts) > 1:
        parts = sorted(parts, key=lambda m: -len(m.faces))
        if keep == "largest":
            parts = parts[:1]
        else:
            parts = [m for m in parts if len(m.faces) >= 60]
        mesh = trimesh.util.concatenate(parts)
    if mesh.volume < 0:
        mesh.invert()
    if smoothing:
        trimesh.smoothing.filter_taubin(mesh, lamb=0.5, nu=-0.53, iterations=smoothing)
    mesh = simplify(mesh, max_faces)
    return _closed(mesh, name)


def _closed(mesh: trimesh.Trimesh, name: str) -> trimesh.Trimesh:
    mesh = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False)
    mesh.update_faces(mesh.nondegenerate_faces())
    mesh.remove_unreferenced_vertices()
    trimesh.repair.fix_normals(mesh, multibody=True)
    if not mesh.is_watertight:
        trimesh.repair.fill_holes(mesh)
    if not mesh.is_watertight or mesh.volume <= 0:
        raise AnatomyError(
            f"schematic {name}: the mesh is not closed", f"示意结构 {name}：网格未闭合"
        )
    return mesh


# --- anchors read off the bones --------------------------------------------------------------


def _verts(bones: dict[str, trimesh.Trimesh], bone_id: str) -> np.ndarray:
    try:
        return np.asarray(bones[bone_id].vertices, dtype=np.float64)
    except KeyError:
        raise AnatomyError(
            f"schematic structures need the bone {bone_id!r}, which the skeleton lacks",
            f"示意结构需要骨骼 {bone_id!r}，骨架中没有",
        ) from None


def extreme(v: np.ndarray, direction, mask=None) -> np.ndarray:
    """The vertex furthest along ``direction`` (among ``mask``)."""
    if mask is not None:
        v = v[mask]
    if len(v) == 0:
        raise AnatomyError("no bone vertex in the searched region", "搜索区域内没有骨骼顶点")
    return v[int(np.argmax(v @ np.asarray(direction, dtype=np.float64)))].copy()


def _extreme_mean(v: np.ndarray, direction, depth: float, mask=None) -> np.ndarray:
    """Mean of the vertices within ``depth`` of the furthest one along ``direction``."""
    if mask is not None:
        v = v[mask]
    d = v @ _unit(direction)
    return v[d >= d.max() - depth].mean(axis=0)


def _band(v: np.ndarray, axis: int, lo: float, hi: float) -> np.ndarray:
    return (v[:, axis] >= lo) & (v[:, axis] <= hi)


@dataclass(frozen=True)
class Vertebra:
    body: np.ndarray  # centre of the vertebral body (C1: of its anterior arch)
    front: np.ndarray  # the body's anterior surface on the midline, at mid-height
    canal: np.ndarray  # centre of the vertebral canal
    canal_radius: float
    top: float
    bottom: float
    spine: np.ndarray  # tip of the spinous process (most posterior point)
    half_width: float  # half the body's width


VERTEBRAE = tuple(
    [f"c{n}" for n in range(1, 8)]
    + [f"t{n}" for n in range(1, 13)]
    + [f"l{n}" for n in range(1, 6)]
)


def _vertebra(mesh: trimesh.Trimesh) -> Vertebra:
    """Body, canal and spine of a vertebra from a midsagittal occupancy slice (0.5 mm)."""
    lo, hi = mesh.bounds
    pitch = 0.0005
    cx = 0.5 * (lo[0] + hi[0])
    grid = Grid(
        np.array([cx, lo[1] - pitch, lo[2] - pitch]),
        pitch,
        (1, int((hi[1] - lo[1]) / pitch) + 3, int((hi[2] - lo[2]) / pitch) + 3),
    )
    inside = occupancy(mesh, grid)[0]  # (ny, nz)
    ys = grid.origin[1] + pitch * np.arange(grid.shape[1])
    zs = grid.origin[2] + pitch * np.arange(grid.shape[2])
    fronts, backs, gaps, rows = [], [], [], []
    for k in range(grid.shape[2]):
        col = inside[:, k]
        if not col.any():
            continue
        runs = np.flatnonzero(np.diff(np.concatenate([[0], col.astype(np.int8), [0]])))
        starts, ends = runs[::2], runs[1::2]
        if len(starts) >= 2:
            fronts.append(ys[starts[0]])
            backs.append(ys[ends[0] - 1])
            gaps.append((ys[ends[0]], ys[starts[1]]))
            rows.append(zs[k])
    v = np.asarray(mesh.vertices)
    if not rows:
        raise AnatomyError("a vertebra without a canal", "椎骨没有椎管")
    rows = np.array(rows)
    gaps = np.array(gaps)
    width = gaps[:, 1] - gaps[:, 0]
    best = width >= np.percentile(width, 60)
    canal_y = float(np.median(gaps[best].mean(axis=1)))
    canal_z = float(np.median(rows[best]))
    front_y = float(np.median(fronts))
    back_y = float(np.median(backs))
    body_z = float(np.median(rows))
    body_mask = v[:, 1] < back_y + 0.001
    half_width = (
        float(np.percentile(np.abs(v[body_mask, 0] - cx), 95)) if body_mask.any() else 0.015
    )
    return Vertebra(
        body=np.array([cx, 0.5 * (front_y + back_y), body_z]),
        front=np.array([cx, front_y, body_z]),
        canal=np.array([cx, canal_y, canal_z]),
        canal_radius=float(0.5 * np.median(width[best])),
        top=float(hi[2]),
        bottom=float(lo[2]),
        spine=extreme(v, Y),
        half_width=half_width,
    )


@dataclass(frozen=True)
class Cage:
    """The rib cage's outer section at height z: half-width, front and back (smoothed)."""

    z: np.ndarray
    half_width: np.ndarray
    front: np.ndarray
    back: np.ndarray

    def at(self, z):
        return (
            np.interp(z, self.z, self.half_width),
            np.interp(z, self.z, self.front),
            np.interp(z, self.z, self.back),
        )


def _cage(bones: dict[str, trimesh.Trimesh]) -> Cage:
    ribs = np.vstack([_verts(bones, f"rib_{n}_{s}") for n in range(1, 13) for s in "lr"])
    cage = np.vstack([ribs, _verts(bones, "sternum")])
    z = np.arange(cage[:, 2].min() + 0.01, cage[:, 2].max() - 0.005, 0.005)
    half, front, back = [], [], []
    for level in z:
        s = cage[np.abs(cage[:, 2] - level) < 0.015]
        lateral = s[np.abs(s[:, 0]) > 0.03]
        half.append(np.abs(s[:, 0]).max())
        front.append(s[:, 1].min())
        back.append(lateral[:, 1].max() if len(lateral) else s[:, 1].max())
    kernel = np.ones(5) / 5.0

    def smooth(a):
        a = np.asarray(a)
        return np.convolve(np.pad(a, 2, mode="edge"), kernel, mode="valid")

    return Cage(z, smooth(half), smooth(front), smooth(back))


def anchors(bones: dict[str, trimesh.Trimesh], joints: dict[str, np.ndarray]) -> dict:
    """Named points, vertebrae and the rib-cage section, all read off the bones.

    Limb anchors are for the right side (x < 0); the left side mirrors them.
    """
    a: dict = {}
    for name in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist"):
        key = f"{name}_r"
        if key not in joints:
            raise AnatomyError(
                f"schematic structures need the joint centre {key!r}",
                f"示意结构需要关节中心 {key!r}",
            )
        a[name] = np.asarray(joints[key], dtype=np.float64)
    a["vertebrae"] = {v: _vertebra(bones[v]) for v in VERTEBRAE if v in bones}
    missing = [v for v in VERTEBRAE if v not in bones]
    if missing:
        raise AnatomyError(
            f"schematic structures need the vertebrae {', '.join(missing)}",
            f"示意结构需要椎骨 {', '.join(missing)}",
        )
    a["cage"] = _cage(bones)

    # sternum (with the costal cartilages) and the costal margin
    st = _verts(bones, "sternum")
    mid = np.abs(st[:, 0]) < 0.01
    a["jugular_notch"] = extreme(st, Z, mid)
    a["xiphoid"] = extreme(st, -Z, mid)
    a["sternum_front"] = lambda z: float(np.interp(z, *_profile(st[mid], 2, 1, np.min)))
    margin_x = np.linspace(0.0, 0.11, 12)
    margin = []
    for x in margin_x:
        sel = np.abs(st[:, 0] + x) < 0.006
        margin.append(st[sel][np.argmin(st[sel, 2])] if sel.any() else None)
    a["costal_margin"] = np.array([m for m in margin if m is not None])
    for n in range(1, 13):
        r = _verts(bones, f"rib_{n}_r")
        a[f"rib{n}_front"] = extreme(r, -Y)
        a[f"rib{n}_side"] = extreme(r, -X)
        a[f"rib{n}_back"] = extreme(r, Y + 0.3 * -X)
        a[f"rib{n}_low"] = extreme(r, -Z)

    # shoulder girdle and arm (right)
    cl = _verts(bones, "clavicle_r")
    a["clavicle_medial"] = extreme(cl, X)
    a["clavicle_lateral"] = extreme(cl, -X)
    sc = _verts(bones, "scapula_r")
    a["coracoid"] = extreme(sc, -Y)
    a["acromion"] = extreme(sc, -X + 0.6 * Z)
    a["scapula_inferior_angle"] = extreme(sc, -Z)
    a["scapula_superior_angle"] = extreme(sc, Z + X)
    a["scapula_spine_root"] = extreme(sc, X + Y, _band(sc, 2, a["acromion"][2] - 0.05, 10))
    a["scapula_medial_border"] = extreme(sc, X)
    a["scapula_spine"] = extreme(sc, Y)
    hu = _verts(bones, "humerus_r")
    top, bottom = hu[:, 2].max(), hu[:, 2].min()
    length = top - bottom
    a["humerus_top"] = extreme(hu, Z)
    a["greater_tubercle"] = extreme(hu, -X, hu[:, 2] > top - 0.04)
    a["lesser_tubercle"] = extreme(hu, -Y, hu[:, 2] > top - 0.05)
    a["deltoid_tuberosity"] = extreme(
        hu, -X, _band(hu, 2, top - 0.45 * length, top - 0.38 * length)
    )
    a["humerus_mid_front"] = extreme(hu, -Y, _band(hu, 2, top - 0.55 * length, top - 0.45 * length))
    a["medial_epicondyle"] = extreme(hu, X, hu[:, 2] < bottom + 0.05)
    a["lateral_epicondyle"] = extreme(hu, -X, hu[:, 2] < bottom + 0.05)
    a["lateral_supracondylar"] = extreme(hu, -X, _band(hu, 2, bottom + 0.05, bottom + 0.09))
    ra = _verts(bones, "radius_r")
    rtop = ra[:, 2].max()
    a["radius_head"] = extreme(ra, Z)
    a["radial_tuberosity"] = extreme(ra, X - Y, _band(ra, 2, rtop - 0.045, rtop - 0.025))
    a["radius_mid_lateral"] = extreme(ra, -X, _band(ra, 2, rtop - 0.14, rtop - 0.10))
    a["radial_styloid"] = extreme(ra, -Z - X)
    ul = _verts(bones, "ulna_r")
    a["olecranon"] = extreme(ul, Z + Y)
    a["ulna_styloid"] = extreme(ul, -Z + 0.3 * X)
    a["ulna_shaft_back"] = extreme(ul, Y, _band(ul, 2, a["elbow"][2] - 0.14, a["elbow"][2] - 0.08))
    for bone in ("metacarpal_2_r", "metacarpal_3_r", "metacarpal_5_r"):
        m = _verts(bones, bone)
        a[f"{bone[:-2]}_base"] = extreme(m, Z)
        a[f"{bone[:-2]}_head"] = extreme(m, -Z)
    a["pisiform"] = bones["pisiform_r"].centroid.copy() if "pisiform_r" in bones else a["wrist"]

    # pelvis and leg (right)
    hb = _verts(bones, "hip_bone_r")
    hip = a["hip"]
    a["asis"] = extreme(hb, -Y + 0.3 * Z, hb[:, 2] > hip[2] + 0.04)
    a["iliac_crest_top"] = extreme(hb, Z)
    a["iliac_crest_lateral"] = extreme(hb, -X, hb[:, 2] > hip[2] + 0.06)
    a["iliac_tubercle"] = extreme(hb, Z - X, hb[:, 2] > hip[2] + 0.06)
    a["psis"] = extreme(hb, Y + 0.3 * Z, hb[:, 2] > hip[2] + 0.04)
    a["aiis"] = extreme(hb, -Y, _band(hb, 2, hip[2] + 0.015, a["asis"][2] - 0.025))
    a["ischial_tuberosity"] = extreme(hb, -Z + 0.5 * Y)
    a["pubic_symphysis"] = extreme(hb, X + 0.5 * Z, hb[:, 2] < hip[2] + 0.01)
    a["pubic_tubercle"] = extreme(
        hb, -Y + Z, (hb[:, 0] > a["pubic_symphysis"][0] - 0.03) & (hb[:, 2] < hip[2] + 0.02)
    )
    a["pubic_body_low"] = extreme(hb, -Z + X, hb[:, 0] > a["pubic_symphysis"][0] - 0.025)
    sa = _verts(bones, "sacrum")
    a["sacral_promontory"] = extreme(sa, Z - Y, np.abs(sa[:, 0]) < 0.012)
    a["sacrum_tip"] = extreme(sa, -Z, np.abs(sa[:, 0]) < 0.015)
    a["sacrum_back"] = extreme(sa, Y, np.abs(sa[:, 0]) < 0.015)
    a["sacrum_lateral"] = extreme(sa, -X)
    fe = _verts(bones, "femur_r")
    ftop, fbottom = fe[:, 2].max(), fe[:, 2].min()
    flen = ftop - fbottom
    a["greater_trochanter"] = extreme(fe, -X, fe[:, 2] > ftop - 0.08)
    a["greater_trochanter_top"] = extreme(fe, Z - X, fe[:, 0] < a["greater_trochanter"][0] + 0.02)
    a["lesser_trochanter"] = extreme(fe, X + Y, _band(fe, 2, ftop - 0.10, ftop - 0.05))
    a["linea_aspera"] = extreme(fe, Y, _band(fe, 2, ftop - 0.55 * flen, ftop - 0.45 * flen))
    a["femur_mid_front"] = extreme(fe, -Y, _band(fe, 2, ftop - 0.55 * flen, ftop - 0.45 * flen))
    low = fe[:, 2] < fbottom + 0.05
    a["medial_condyle"] = extreme(fe, X, low)
    a["lateral_condyle"] = extreme(fe, -X, low)
    a["medial_condyle_back"] = extreme(fe, Y + 0.5 * X, low & (fe[:, 0] > a["knee"][0]))
    a["lateral_condyle_back"] = extreme(fe, Y - 0.5 * X, low & (fe[:, 0] < a["knee"][0]))
    a["adductor_tubercle"] = extreme(fe, X + Z, _band(fe, 2, fbottom + 0.03, fbottom + 0.07))
    pa = _verts(bones, "patella_r")
    a["patella_base"] = extreme(pa, Z)
    a["patella_apex"] = extreme(pa, -Z)
    a["patella_front"] = extreme(pa, -Y)
    ti = _verts(bones, "tibia_r")
    ttop = ti[:, 2].max()
    a["tibial_tuberosity"] = extreme(ti, -Y, _band(ti, 2, ttop - 0.07, ttop - 0.025))
    a["tibia_medial_condyle"] = extreme(ti, X, ti[:, 2] > ttop - 0.035)
    a["tibia_lateral_condyle"] = extreme(ti, -X, ti[:, 2] > ttop - 0.035)
    a["pes_anserinus"] = extreme(ti, X - Y, _band(ti, 2, ttop - 0.08, ttop - 0.05))
    a["tibia_mid_front"] = extreme(ti, -Y, _band(ti, 2, ttop - 0.22, ttop - 0.16))
    a["medial_malleolus"] = extreme(ti, X - Z, ti[:, 2] < ti[:, 2].min() + 0.03)
    fi = _verts(bones, "fibula_r")
    a["fibula_head"] = extreme(fi, Z)
    a["lateral_malleolus"] = extreme(fi, -Z)
    a["fibula_mid"] = _extreme_mean(
        fi, -X, 0.004, _band(fi, 2, a["fibula_head"][2] - 0.16, a["fibula_head"][2] - 0.12)
    )
    ca = _verts(bones, "calcaneus_r")
    a["calcaneal_tuberosity"] = extreme(ca, Y)
    a["metatarsal_1_base"] = extreme(_verts(bones, "metatarsal_1_r"), Y)
    a["metatarsal_5_base"] = extreme(_verts(bones, "metatarsal_5_r"), Y - X)
    a["cuneiform_medial"] = bones["cuneiform_medial_r"].centroid.copy()
    a["toe_3_distal"] = bones["toe_phalanx_distal_3_r"].centroid.copy()

    # head
    sk = _verts(bones, "skull")
    a["skull_lo"], a["skull_hi"] = np.asarray(bones["skull"].bounds)
    a["vertex"] = extreme(sk, Z)
    a["inion"] = extreme(sk, Y, np.abs(sk[:, 0]) < 0.01)
    # sizes on the head scale with the skull (myo-sim's is 16.9 cm long, 14 cm wide)
    head = float(a["skull_hi"][1] - a["skull_lo"][1]) / SKULL_LENGTH
    a["head_scale"] = head
    mid_x = 0.5 * float(a["skull_lo"][0] + a["skull_hi"][0])
    half_x = 0.5 * float(a["skull_hi"][0] - a["skull_lo"][0])
    a["mastoid"] = extreme(
        sk,
        -Z,
        (sk[:, 0] < mid_x - 0.5 * half_x)
        & (sk[:, 1] > 0.5 * (a["skull_lo"][1] + a["skull_hi"][1]) - 0.01),
    )
    a["zygomatic_arch"] = extreme(
        sk, -X, _band(sk, 2, a["mastoid"][2] + 0.005 * head, a["mastoid"][2] + 0.035 * head)
    )
    mn = _verts(bones, "mandible")
    a["chin"] = extreme(mn, -Y - 0.5 * Z, np.abs(mn[:, 0]) < 0.01)
    a["mandible_angle"] = extreme(mn, -X + Y - Z)
    a["coronoid"] = extreme(mn, Z - Y, mn[:, 0] < mid_x - 0.43 * half_x)
    a["condyle"] = extreme(mn, Z + Y, mn[:, 0] < mid_x - 0.43 * half_x)
    a["incisors_low"] = extreme(mn, Z - Y, np.abs(mn[:, 0]) < 0.01)
    return a


def _profile(v: np.ndarray, along: int, value: int, reduce, step: float = 0.005):
    """(levels, reduced values) of ``v[:, value]`` binned along axis ``along``."""
    levels = np.arange(v[:, along].min(), v[:, along].max() + step, step)
    out = []
    for level in levels:
        sel = np.abs(v[:, along] - level) < step
        out.append(reduce(v[sel, value]) if sel.any() else np.nan)
    out = np.array(out)
    ok = ~np.isnan(out)
    return levels[ok], out[ok]


# --- the body the structures are built in ----------------------------------------------------


class Body:
    """The bones, their anchors, and fields shared between structures (cached)."""

    def __init__(self, bones: dict[str, trimesh.Trimesh], joints: dict[str, np.ndarray]):
        self.bones = bones
        self.joints = {k: np.asarray(v, dtype=np.float64) for k, v in joints.items()}
        self.a = anchors(bones, joints)
        self.v = self.a["vertebrae"]
        self._cache: dict = {}

    def cached(self, key: str, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def bone_field(self, grid: Grid, ids=None) -> np.ndarray:
        return bone_field(self.bones, grid, ids)

    def upright_head(self) -> tuple[Body, np.ndarray | None]:
        """This body with the head turned upright, and the transform turning it back.

        A fitted skeleton may carry its skull nodded forward or back. The head's anchors
        (orbits, inion, cranial base) are found along body axes, so the skull's pitch is
        measured (the jaw's centre of mass below and in front of the skull's, as in the
        myo-sim head), the skull and jaw turned about the skull's centre until it matches,
        the head's structures built there and turned back. Upright already: (self, None).
        """

        def make():
            skull = self.bones["skull"].center_mass
            jaw = self.bones["mandible"].center_mass - skull
            angle = np.arctan2(HEAD_DOWN[1], -HEAD_DOWN[2]) - np.arctan2(jaw[1], -jaw[2])
            if abs(angle) < np.radians(2.0):
                return self, None
            # a turn about the left-right axis through the skull's centre
            turn = trimesh.transformations.rotation_matrix(-angle, X, skull)
            bones = dict(self.bones)
            for k in HEAD_BONES:
                points = trimesh.transform_points(self.bones[k].vertices, turn)
                bones[k] = trimesh.Trimesh(points, self.bones[k].faces, process=False)
            return Body(bones, self.joints), np.linalg.inv(turn)

        return self.cached("upright_head", make)

    def level(self, vertebra: str, where: float = 0.5) -> float:
        """Height within a vertebral body: 0 its lower edge, 1 its upper edge."""
        v = self.v[vertebra]
        return v.bottom + (v.top - v.bottom) * where

    def disc(self, upper: str, lower: str) -> float:
        """Height of the disc between two vertebrae."""
        return 0.5 * (self.v[upper].bottom + self.v[lower].top)

    def prevertebral(self, z: float, x: float = 0.0, gap: float = 0.0) -> np.ndarray:
        """The point ``gap`` in front of the vertebral bodies' anterior surface at height z."""
        names = [n for n in VERTEBRAE if n != "c1"]
        zs = np.array([self.v[n].front[2] for n in names])
        ys = np.array([self.v[n].front[1] for n in names])
        order = np.argsort(zs)
        return np.array([x, float(np.interp(z, zs[order], ys[order])) - gap, z])

    def canal_path(self) -> np.ndarray:
        names = list(VERTEBRAE)
        pts = np.array([self.v[n].canal for n in names])
        smoothed = pts.copy()
        smoothed[1:-1] = 0.25 * pts[:-2] + 0.5 * pts[1:-1] + 0.25 * pts[2:]
        return smoothed


# --- solid organs ----------------------------------------------------------------------------


def _diaphragm_dome(body: Body) -> Callable[[np.ndarray], np.ndarray]:
    """The region under the diaphragm's upper surface: two smooth-joined domes filling the
    lower rib cage, the right dome reaching the 5th rib's anterior end, the left about 1.5 cm
    lower, the saddle between them under the heart."""
    a = body.a
    cage = a["cage"]
    rim = float(a["rib10_low"][2])
    right_top = float(a["rib5_front"][2]) - 0.004
    left_top = right_top - 0.015
    half, front, back = cage.at(0.5 * (rim + right_top))
    depth_c = 0.5 * (front + back)
    ry = 0.5 * (back - front) - 0.02
    rx = 0.5 * half - 0.008
    cx = 0.5 * half - 0.012
    t11 = body.v["t11"]
    spine_a = np.array([0.0, t11.body[1] + 0.004, rim - 0.05])
    spine_b = np.array([0.0, t11.body[1] + 0.004, right_top + 0.05])
    spine_r = t11.half_width + 0.012

    def field(p: np.ndarray) -> np.ndarray:
        right = ellipsoid(p, (-cx, depth_c, rim), (rx, ry, right_top - rim))
        left = ellipsoid(p, (cx, depth_c, rim), (rx, ry, left_top - rim))
        domes = smooth_min(right, left, 0.05)
        # behind, the domes fall away on either side of the vertebral column
        return smooth_max(domes, -capsule(p, spine_a, spine_b, spine_r, spine_r), 0.015)

    return field


DIAPHRAGM_THICKNESS = 0.005


def _diaphragm(body: Body) -> trimesh.Trimesh:
    a = body.a
    dome = _diaphragm_dome(body)
    xiphoid = a["xiphoid"]
    rim_front = float(xiphoid[2]) - 0.01
    rim_back = float(body.level("l1", 0.5))
    y_front, y_back = float(xiphoid[1]), float(body.v["t12"].spine[1])
    half = float(a["cage"].at(rim_front)[0])

    def rim(p):  # attachment line: xiphoid and costal margin in front, arcuate ligaments behind
        t = np.clip((p[..., 1] - y_front) / (y_back - y_front), 0, 1)
        z_mid = rim_front + (rim_back - rim_front) * t
        lateral = np.clip(np.abs(p[..., 0]) / half, 0, 1) ** 2
        return z_mid - 0.06 * lateral * (1 - t)

    def field(grid, p):
        d = dome(p)
        shell = np.abs(d + 0.5 * DIAPHRAGM_THICKNESS) - 0.5 * DIAPHRAGM_THICKNESS
        shell = smooth_max(shell, rim(p) - p[..., 2], 0.004)
        # the crura: two tapering bands from the domes down the front of L1-L3
        for side, lowest in ((-1.0, "l3"), (1.0, "l2")):
            top = body.prevertebral(float(body.level("t12", 0.5)), side * 0.012, 0.002)
            bottom = body.prevertebral(float(body.level(lowest, 0.5)), side * 0.008, -0.004)
            shell = smooth_min(shell, capsule(p, top, bottom, 0.006, 0.003), 0.006)
        return np.maximum(shell, 0.0015 - body.bone_field(grid))

    lo = np.array([-0.16, y_front - 0.03, rim_back - 0.1])
    hi = np.array([0.16, y_back + 0.02, a["rib5_front"][2] + 0.02])
    return mesh_field(field, lo, hi, 0.002, ORGAN_FACES, name="diaphragm")


def _under_diaphragm(body: Body, p: np.ndarray) -> np.ndarray:
    return _diaphragm_dome(body)(p) + DIAPHRAGM_THICKNESS + 0.001


def _kidney_field(body: Body, side: str) -> Callable[[np.ndarray], np.ndarray]:
    """Bean: an 11 x 6 x 3.5 cm ellipsoid, upper pole tilted medially and back, the hilum
    (a smooth notch) turned forward and medially; beside T12-L3, the right 1.5 cm lower."""
    s = -1.0 if side == "r" else 1.0
    z_mid = 0.5 * (body.level("t12", 0.5) + body.level("l3", 0.5))
    z = z_mid + (0.0075 if side == "l" else -0.0075)
    l1 = body.v["l1"]
    centre = np.array([s * (l1.half_width + 0.045), l1.body[1] + 0.004, z])
    long_axis = _unit(np.array([-s * 0.25, 0.2, 1.0]))  # toward the upper pole
    hilum_dir = _unit(np.array([-s * 1.0, -0.6, 0.0]))  # medial and forward
    axes = frame_from(long_axis, hilum_dir)  # rows: long, width (toward hilum), thickness

    def field(p):
        bean = ellipsoid(p, centre, (0.055, 0.03, 0.018), axes)
        notch = ellipsoid(p, centre + axes[1] * 0.036, (0.022, 0.014, 0.012), axes)
        return smooth_max(bean, -notch, 0.006)

    field.centre = centre
    field.hilum = centre + axes[1] * 0.026
    return field


def _kidney(body: Body, side: str) -> trimesh.Trimesh:
    kidney = _kidney_field(body, side)

    def field(grid, p):
        return np.maximum(kidney(p), 0.0015 - body.bone_field(grid))

    c = kidney.centre
    return mesh_field(field, c - 0.07, c + 0.07, 0.0025, SMALL_ORGAN_FACES, name=f"kidney_{side}")


LIVER_VOLUME = 1.45e-3  # m^3, an adult's about 1.5 L at 1.72 m, scaled with stature cubed


def _liver_field(body: Body, drop: float = 0.0) -> Callable[[np.ndarray], np.ndarray]:
    """Right lobe filling the right dome down to the costal margin, left lobe tapering
    across the epigastrium under the left dome's front; the visceral surface a plane facing
    down, back and left from the right flank (below the 10th rib) to the left lobe's edge,
    lowered by ``drop`` for a liver reaching further below the costal margin."""
    a = body.a
    half, front, back = a["cage"].at(float(a["xiphoid"][2]))
    rim = float(a["rib10_low"][2])
    top = float(a["rib5_front"][2])
    mid_y = 0.5 * (front + back)
    right_c = np.array([-0.5 * half, mid_y, rim + 0.02])
    right_r = np.array([0.66 * half, 0.5 * (back - front) + 0.02, top - rim + 0.02])
    left_c = np.array([0.15 * half, front + 0.052, float(a["xiphoid"][2]) - 0.01])
    left_r = np.array([0.6 * half, 0.058, 0.05])
    p1 = np.array([-half, mid_y, rim - 0.055])
    p2 = np.array([0.55 * half, front, float(a["xiphoid"][2]) - 0.02])
    p3 = np.array([-0.01, back - 0.01, rim - 0.025])
    normal = np.cross(p2 - p1, p3 - p1)
    normal = -normal if normal[2] > 0 else normal
    p1 = p1 - Z * drop
    gallbladder = _gallbladder_field(body, drop)
    ivc = _ivc_path(body)

    def field(p):
        lobes = smooth_min(ellipsoid(p, right_c, right_r), ellipsoid(p, left_c, left_r), 0.04)
        d = smooth_max(lobes, _under_diaphragm(body, p), 0.008)
        d = smooth_max(d, half_space(p, p1, normal), 0.015)
        d = smooth_max(d, -(gallbladder(p) - 0.0015), 0.004)
        d = smooth_max(d, -polyline_distance(p, ivc, IVC_RADIUS + 0.001), 0.004)
        return d

    return field


def _liver(body: Body) -> trimesh.Trimesh:
    """The liver of :func:`_liver_field`, its visceral surface lowered by :func:`_liver_drop`."""
    drop, lo, hi = _liver_drop(body)
    return mesh_field(_liver_mesh_field(body, drop), lo, hi, 0.003, ORGAN_FACES, name="liver")


def _liver_mesh_field(body: Body, drop: float):
    liver = _liver_field(body, drop)
    kidney = _kidney_field(body, "r")

    def field(grid, p):
        d = smooth_max(liver(p), -(kidney(p) - 0.003), 0.006)
        return np.maximum(d, 0.002 - body.bone_field(grid))

    return field


def _liver_drop(body: Body) -> tuple[float, np.ndarray, np.ndarray]:
    """How far (at most 6 cm, by bisection on a coarse grid) the liver's visceral surface
    is lowered for its volume to be an adult's at the skeleton's stature: a narrow rib cage
    gets a liver reaching further below the costal margin. Also the box it lives in."""

    def make():
        a = body.a
        half, front, back = a["cage"].at(float(a["xiphoid"][2]))
        lo = np.array([-half - 0.02, front - 0.02, a["rib10_low"][2] - 0.1])
        hi = np.array([half - 0.01, back + 0.01, a["rib5_front"][2] + 0.02])
        # stature: from the skull's top (plus the scalp) and from the hip's height (about
        # 51% of stature), averaged, so a skull fitted too low or too high counts half
        stature = 0.5 * (float(a["vertex"][2]) + 0.008 + float(a["hip"][2]) / 0.51)
        target = LIVER_VOLUME * (stature / 1.72) ** 3
        coarse = Grid.around(lo, hi, 0.005)
        points = coarse.points()

        def volume(drop):
            inside = _liver_mesh_field(body, drop)(coarse, points) < 0
            return float(inside.sum()) * coarse.pitch**3

        low, high = 0.0, 0.06
        if volume(low) < target:
            for _ in range(6):
                mid = 0.5 * (low + high)
                if volume(mid) < target:
                    low = mid
                else:
                    high = mid
        return low, lo, hi

    return body.cached("liver_drop", make)


def _gallbladder_field(body: Body, drop: float = 0.0) -> Callable[[np.ndarray], np.ndarray]:
    """Pear-shaped sac: fundus at the tip of the 9th costal cartilage, neck toward the porta
    hepatis, up, back and medially; about 8 cm long and 3 cm across. ``drop``: how far the
    liver's lower border was lowered; the fundus follows it part of the way."""
    a = body.a
    margin = a["costal_margin"]
    half = a["cage"].at(float(a["xiphoid"][2]))[0]
    tip = margin[np.argmin(np.abs(margin[:, 0] + 0.55 * half))]
    fundus = tip + np.array([0.0, 0.032, -0.6 * drop])
    neck = fundus + np.array([0.032, 0.05, 0.026])
    path = spline([fundus, _lerp(fundus, neck, 0.5) + np.array([0.0, 0.0, -0.004]), neck], 0.001)
    n = len(path)
    t = np.linspace(0, 1, n)
    radii = 0.016 - 0.011 * t**1.6

    def field(p):
        return polyline_distance(p, path, radii)

    field.path = path
    return field


def _gallbladder(body: Body) -> trimesh.Trimesh:
    gb = _gallbladder_field(body, _liver_drop(body)[0])

    def field(grid, p):
        return np.maximum(gb(p), 0.0015 - body.bone_field(grid))

    return mesh_field(
        field,
        gb.path.min(0) - 0.02,
        gb.path.max(0) + 0.02,
        0.0015,
        SMALL_ORGAN_FACES,
        name="gallbladder",
    )


def _spleen_field(body: Body) -> Callable[[np.ndarray], np.ndarray]:
    """Along the left 10th rib, deep to ribs 9-11 in the back of the left upper quadrant,
    12 x 7 x 3.5 cm, convex toward the diaphragm, hollowed on its visceral face."""
    a = body.a
    rib9, rib11 = _mirror(a["rib9_side"]), _mirror(a["rib11_side"])
    back10 = _mirror(a["rib10_back"])
    upper = _lerp(back10, rib9, 0.35) + np.array([-0.022, -0.008, 0.0])
    lower = _lerp(rib11, _mirror(a["rib10_side"]), 0.5) + np.array([-0.03, -0.002, 0.0])
    centre = 0.5 * (upper + lower)
    long_axis = _unit(upper - lower)
    outward = _unit(np.array([1.0, 0.6, 0.0]))
    axes = frame_from(long_axis, outward)

    def field(p):
        d = ellipsoid(p, centre, (0.058, 0.018, 0.036), axes)
        hollow = ellipsoid(p, centre - axes[1] * 0.05, (0.07, 0.04, 0.05), axes)
        return smooth_max(d, -hollow, 0.008)

    field.centre = centre
    return field


def _spleen(body: Body) -> trimesh.Trimesh:
    spleen = _spleen_field(body)
    kidney = _kidney_field(body, "l")

    def field(grid, p):
        d = smooth_max(spleen(p), _under_diaphragm(body, p), 0.006)
        d = smooth_max(d, -(kidney(p) - 0.003), 0.005)
        return np.maximum(d, 0.002 - body.bone_field(grid))

    c = spleen.centre
    return mesh_field(field, c - 0.08, c + 0.08, 0.0025, SMALL_ORGAN_FACES, name="spleen")


def _pancreas(body: Body) -> trimesh.Trimesh:
    """Head in the duodenal curve right of L2, neck in front of L1-L2, body across the aorta
    and the left kidney, tail rising to the splenic hilum; 15 cm, flattened front to back."""
    kidney_l, kidney_r = _kidney_field(body, "l"), _kidney_field(body, "r")
    spleen = _spleen_field(body)
    head = body.prevertebral(body.level("l2", 0.6), -0.035, 0.042)
    neck = body.prevertebral(body.level("l1", 0.2), -0.005, 0.05)
    mid = body.prevertebral(body.level("l1", 0.7), 0.035, 0.038)
    tail = _lerp(kidney_l.centre, spleen.centre, 0.62) + np.array([0.0, -0.032, 0.012])
    path = spline([head, neck, mid, tail], 0.001)
    t = np.linspace(0, 1, len(path))
    head = np.exp(-((t / 0.2) ** 2))
    width = 0.0105 + 0.009 * head
    thick = 0.0075 + 0.005 * head
    outward = np.tile(-Y, (len(path), 1))
    aorta = _aorta_path(body)
    ivc = _ivc_path(body)

    def field(grid, p):
        d = sweep(p, path, width, thick, outward)
        d = smooth_max(d, -(kidney_l(p) - 0.003), 0.004)
        d = smooth_max(d, -(kidney_r(p) - 0.003), 0.004)
        d = smooth_max(d, -(spleen(p) - 0.003), 0.004)
        d = smooth_max(d, -polyline_distance(p, aorta, 0.012), 0.004)
        d = smooth_max(d, -polyline_distance(p, ivc, IVC_RADIUS + 0.002), 0.004)
        return np.maximum(d, 0.002 - body.bone_field(grid))

    return mesh_field(
        field, path.min(0) - 0.03, path.max(0) + 0.03, 0.002, SMALL_ORGAN_FACES, name="pancreas"
    )


# --- points relative to bones ----------------------------------------------------------------


def inside_mesh(mesh: trimesh.Trimesh, points: np.ndarray) -> np.ndarray:
    """Crossing parity along +z for a few points (brute force over the triangles)."""
    points = np.atleast_2d(points)
    tri = np.asarray(mesh.triangles)
    nudge = np.array([2.0**-0.5, 3.0**-0.5]) * 1e-7
    xy = tri[None, :, :, :2] - (points[:, None, None, :2] + nudge)
    a, b, c = xy[:, :, 0], xy[:, :, 1], xy[:, :, 2]
    cross = lambda u, v: u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]  # noqa: E731
    s1, s2, s3 = cross(a, b), cross(b, c), cross(c, a)
    inside_2d = ((s1 > 0) & (s2 > 0) & (s3 > 0)) | ((s1 < 0) & (s2 < 0) & (s3 < 0))
    total = s1 + s2 + s3
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (s2 * tri[None, :, 0, 2] + s3 * tri[None, :, 1, 2] + s1 * tri[None, :, 2, 2]) / total
    above = inside_2d & (z > points[:, None, 2])
    return (above.sum(axis=1) % 2) == 1


def bone_distance_at(body: Body, points: np.ndarray, ids) -> np.ndarray:
    """Signed distance (negative inside) from a few points to the nearest of some bones."""
    points = np.atleast_2d(points)
    best = np.full(len(points), np.inf)
    for bone_id in ids:
        mesh = body.bones[bone_id]
        _, dist, _ = trimesh.proximity.closest_point_naive(mesh, points)
        best = np.minimum(best, np.where(inside_mesh(mesh, points), -dist, dist))
    return best


def clear_of(body: Body, point, direction, ids, margin: float, reach: float = 0.08) -> np.ndarray:
    """``point`` moved along ``direction`` until it lies ``margin`` outside the bones."""
    steps = np.arange(0.0, reach, 0.001)
    samples = np.asarray(point) + steps[:, None] * _unit(direction)
    d = bone_distance_at(body, samples, ids)
    ok = np.flatnonzero(d >= margin)
    return samples[ok[0]] if len(ok) else samples[-1]


def shaft_centre(v: np.ndarray, z: float, band: float = 0.006) -> np.ndarray:
    """Centre of a long bone's cross-section near height z (mean of the nearby vertices)."""
    sel = np.abs(v[:, 2] - z) < band
    while sel.sum() < 6:
        band *= 1.5
        sel = np.abs(v[:, 2] - z) < band
    c = v[sel].mean(axis=0)
    return np.array([c[0], c[1], z])


def around(
    start, end, f: float, theta: float, radius: float, lateral=-X, anterior=-Y
) -> np.ndarray:
    """A point at fraction ``f`` from ``start`` to ``end`` of a limb axis, ``radius`` from it,
    at angle ``theta`` degrees: 0 anterior, 90 lateral, 180 posterior, 270 medial."""
    start, end = np.asarray(start), np.asarray(end)
    axis = _unit(end - start)
    ant = _unit(anterior - (anterior @ axis) * axis)
    lat = _unit(lateral - (lateral @ axis) * axis - (lateral @ ant) * ant)
    t = np.radians(theta)
    return start + (end - start) * f + radius * (np.cos(t) * ant + np.sin(t) * lat)


def _smoothed(path: np.ndarray, sigma: float) -> np.ndarray:
    """A polyline low-pass filtered along its length (ends held)."""
    from scipy.ndimage import gaussian_filter1d

    return gaussian_filter1d(path, sigma, axis=0, mode="nearest")


def clear_path(
    body: Body, path: np.ndarray, radii, margin: float = 0.0012, iterations: int = 6
) -> np.ndarray:
    """A vessel's or nerve's centreline pushed out of the bones it would cut.

    Each sample moves up the bones' distance gradient by what it lacks of ``radius +
    margin``; the pushes are smoothed along the path so it bends rather than kinks.
    """
    from scipy.ndimage import gaussian_filter1d, map_coordinates

    radii = np.broadcast_to(np.asarray(radii, dtype=np.float64), (len(path),))
    lo, hi = path.min(axis=0) - radii.max() - 0.03, path.max(axis=0) + radii.max() + 0.03
    grid = Grid.around(lo, hi, 0.0015, pad=2)
    field = body.bone_field(grid)
    if field.min() > radii.max() + margin:
        return path
    gradient = np.stack(np.gradient(field, grid.pitch), axis=0)
    path = path.copy()
    sigma = max(
        2.0, 0.01 / max(float(np.median(np.linalg.norm(np.diff(path, axis=0), axis=1))), 1e-6)
    )
    for _ in range(iterations):
        idx = ((path - grid.origin) / grid.pitch).T
        d = map_coordinates(field, idx, order=1, mode="nearest")
        g = np.stack(
            [map_coordinates(gradient[i], idx, order=1, mode="nearest") for i in range(3)], axis=1
        )
        lack = np.clip(radii + margin - d, 0.0, None)
        if lack.max() <= 1e-5:
            break
        push = _unit(g) * lack[:, None]
        path = path + 1.5 * gaussian_filter1d(push, sigma, axis=0, mode="nearest")
    return path


# --- vessels ---------------------------------------------------------------------------------


def vessel(body: Body, path: np.ndarray, radii) -> trimesh.Trimesh:
    """A tube along a path kept clear of the bones."""
    radii = np.broadcast_to(np.asarray(radii, dtype=np.float64), (len(path),))
    return tube(clear_path(body, path, radii), radii)


IVC_RADIUS = 0.011


def _mediastinum(body: Body, z: float, depth: float, x: float = 0.0) -> np.ndarray:
    """A point at height z, ``depth`` of the way from the sternum's back to the spine's front."""
    back_of_sternum = body.a["sternum_front"](z) + 0.012
    spine = body.prevertebral(z)[1]
    return np.array([x, back_of_sternum + depth * (spine - back_of_sternum), z])


def _aorta_waypoints(body: Body):
    """Root behind the left half of the sternum at the 3rd costal cartilage; ascending to the
    sternal angle; arch up to mid-manubrium, back and left over the left bronchus to T4;
    descending left of the vertebral bodies, reaching the midline at the aortic hiatus (T12);
    abdominal in front of L1-L4 to the bifurcation at L4."""
    a, v = body.a, body.v
    z3 = float(a["rib3_front"][2]) - 0.015
    sternal_angle = float(_lerp(a["jugular_notch"], a["xiphoid"], 0.28)[2])
    apex_z = float(a["jugular_notch"][2]) - 0.024
    t4 = v["t4"]
    pts = [
        _mediastinum(body, z3, 0.42, 0.006),
        _mediastinum(body, sternal_angle, 0.3, -0.006),
        _mediastinum(body, apex_z, 0.42, 0.002) * [1, 1, 1],
        np.array([t4.half_width + 0.004, t4.front[1] - 0.01, apex_z - 0.01]),
        np.array([t4.half_width + 0.006, t4.body[1] - 0.002, t4.bottom]),
    ]
    marks = {"ascending_end": 1, "arch_end": 4}
    for name, x, gap in (("t6", 0.004, 0.0), ("t8", 0.002, 0.003), ("t10", 0.0, 0.006)):
        vert = v[name]
        pts.append(np.array([vert.half_width + x, vert.body[1] - 0.004 - gap, vert.body[2]]))
    pts.append(body.prevertebral(body.level("t12", 0.5), 0.004, 0.012))
    marks["thoracic_end"] = len(pts) - 1
    for name in ("l1", "l2", "l3"):
        pts.append(body.prevertebral(body.level(name, 0.5), 0.006, 0.012))
    pts.append(body.prevertebral(body.level("l4", 0.5), 0.008, 0.011))
    return np.array(pts), marks


def _aorta_radius(path: np.ndarray, waypoints: np.ndarray, marks: dict) -> np.ndarray:
    s = arc_length(path)
    cut = {k: int(np.argmin(np.linalg.norm(path - waypoints[i], axis=1))) for k, i in marks.items()}
    return np.interp(
        s,
        [0, s[cut["ascending_end"]], s[cut["arch_end"]], s[cut["thoracic_end"]], s[-1]],
        [0.0145, 0.0135, 0.0125, 0.0115, 0.0095],
    )


def _aorta_path(body: Body) -> np.ndarray:
    def make():
        pts, marks = _aorta_waypoints(body)
        path = spline(pts, 0.002)
        return clear_path(body, path, _aorta_radius(path, pts, marks))

    return body.cached("aorta_path", make)


def _aorta_pieces(body: Body) -> dict[str, trimesh.Trimesh]:
    pts, marks = _aorta_waypoints(body)
    path = _aorta_path(body)
    radius = _aorta_radius(path, pts, marks)
    cut = {k: int(np.argmin(np.linalg.norm(path - pts[i], axis=1))) for k, i in marks.items()}
    spans = {
        "aorta_ascending": (0, cut["ascending_end"]),
        "aortic_arch": (cut["ascending_end"], cut["arch_end"]),
        "aorta_thoracic": (cut["arch_end"], cut["thoracic_end"]),
        "aorta_abdominal": (cut["thoracic_end"], len(path) - 1),
    }
    return {k: tube(path[i : j + 1], radius[i : j + 1]) for k, (i, j) in spans.items()}


def _arch_point(body: Body, x: float) -> np.ndarray:
    """The top of the aortic arch where it passes a given x (for its branches)."""
    pts, marks = _aorta_waypoints(body)
    path = _aorta_path(body)
    i0 = int(np.argmin(np.linalg.norm(path - pts[marks["ascending_end"]], axis=1)))
    i1 = int(np.argmin(np.linalg.norm(path - pts[marks["arch_end"]], axis=1)))
    seg = path[i0:i1]
    i = int(np.argmin(np.abs(seg[:, 0] - x) - 0.2 * seg[:, 2]))
    return seg[i] + np.array([0.0, 0.0, 0.008])


def _ivc_path(body: Body) -> np.ndarray:
    """From the union of the common iliac veins at L5 (right of the aortic bifurcation) up the
    right of the vertebral bodies, behind the liver, through the caval opening (T8) to the
    right atrium."""

    def make():
        v = body.v
        pts = [body.prevertebral(body.level("l5", 0.3), -0.012, 0.009)]
        for name, x in (("l4", -0.02), ("l3", -0.024), ("l2", -0.026), ("l1", -0.026)):
            pts.append(body.prevertebral(v[name].body[2], x, 0.012))
        pts.append(body.prevertebral(v["t12"].body[2], -0.024, 0.016))
        pts.append(body.prevertebral(v["t10"].body[2], -0.022, 0.026))
        pts.append(body.prevertebral(v["t8"].body[2] + 0.004, -0.02, 0.04))
        pts.append(body.prevertebral(v["t8"].body[2] + 0.016, -0.02, 0.05))
        return clear_path(body, spline(pts, 0.002), IVC_RADIUS)

    return body.cached("ivc_path", make)


def _vessels(
    body: Body, wants: Callable[[str], bool] = lambda _name: True
) -> dict[str, trimesh.Trimesh]:
    a = body.a
    out = {k: m for k, m in _aorta_pieces(body).items() if wants(k)}
    ivc = _ivc_path(body)
    if wants("inferior_vena_cava"):
        out["inferior_vena_cava"] = tube(ivc, IVC_RADIUS)  # already clear of the spine

    # superior vena cava: behind the right 1st costal cartilage down to the 3rd
    top = a["rib1_front"] + np.array([0.008, 0.018, -0.006])
    svc = spline(
        [
            top,
            _lerp(top, a["rib3_front"], 0.5) + [0.016, 0.026, 0],
            a["rib3_front"] + np.array([0.022, 0.03, -0.012]),
        ]
    )
    if wants("superior_vena_cava"):
        out["superior_vena_cava"] = vessel(body, svc, 0.0095)

    # pulmonary trunk: from the left 3rd costal cartilage up, back and left under the arch
    root = _mediastinum(body, float(a["rib3_front"][2]) - 0.016, 0.12, 0.03)
    split = _mediastinum(body, float(body.level("t5", 0.6)), 0.55, 0.022)
    pt = spline([root, _lerp(root, split, 0.5) + [0.01, -0.004, 0.004], split])
    if wants("pulmonary_trunk"):
        out["pulmonary_trunk"] = vessel(body, pt, 0.0135)

    # arch branches, the right ones from the brachiocephalic trunk behind the right
    # sternoclavicular joint
    sc_r = a["clavicle_medial"] + np.array([-0.002, 0.014, -0.004])
    bct0 = _arch_point(body, -0.004)
    bct = spline([bct0, _lerp(bct0, sc_r, 0.5) + [0.0, -0.002, 0.003], sc_r])
    if wants("brachiocephalic_trunk"):
        out["brachiocephalic_trunk"] = vessel(body, bct, 0.006)
    neck = [body.level(n, 0.5) for n in ("c7", "c6", "c5")]
    bifurcation = body.disc("c3", "c4")

    def carotid(start, s):
        pts = [start]
        for z in neck:
            pts.append(body.prevertebral(z, s * 0.03, 0.012))
        pts.append(body.prevertebral(bifurcation, s * 0.031, 0.016))
        path = spline(pts)
        t = np.linspace(0, 1, len(path))
        return vessel(body, path, 0.0035 + 0.001 * np.clip((t - 0.85) / 0.15, 0, 1))

    if wants("common_carotid_artery_r"):
        out["common_carotid_artery_r"] = carotid(sc_r + np.array([-0.002, 0.0, 0.004]), -1.0)
    lcc0 = _arch_point(body, 0.008)
    if wants("common_carotid_artery_l"):
        out["common_carotid_artery_l"] = carotid(lcc0, 1.0)

    def subclavian_artery(start, s):
        rib1 = a["rib1_side"] * [s * -1.0, 1, 1]
        groove = _lerp(a["rib1_front"] * [-s, 1, 1], rib1, 0.55) + np.array([0.0, 0.0, 0.012])
        apex = _lerp(start, groove, 0.45) + np.array([0.0, 0.004, 0.014])
        end = rib1 + np.array([s * 0.01, -0.014, 0.0])
        return vessel(body, spline([start, apex, groove, end]), 0.0042)

    if wants("subclavian_artery_r"):
        out["subclavian_artery_r"] = subclavian_artery(sc_r + np.array([-0.003, 0.0, 0.0]), -1.0)
    lsc0 = _arch_point(body, 0.02) + np.array([0.004, 0.004, -0.004])
    if wants("subclavian_artery_l"):
        out["subclavian_artery_l"] = subclavian_artery(lsc0, 1.0)

    # veins of the neck and shoulder (symmetric): built on the right, mirrored
    junction = a["clavicle_medial"] + np.array([-0.01, 0.004, -0.004])
    foramen = np.array([a["mastoid"][0] + 0.014, a["mastoid"][1] - 0.008, a["mastoid"][2] + 0.006])
    ijv = [foramen]
    for z in (body.disc("c2", "c3"), body.level("c5", 0.5), body.level("c7", 0.5)):
        ijv.append(body.prevertebral(z, -0.042, 0.01))
    ijv.append(junction)
    path = spline(ijv)
    t = np.linspace(0, 1, len(path))
    if wants("internal_jugular_vein_r"):
        out["internal_jugular_vein_r"] = vessel(
            body, path, 0.0062 + 0.0018 * np.exp(-((t / 0.1) ** 2))
        )
    rib1 = a["rib1_side"]
    cl = a["clavicle_medial"], a["clavicle_lateral"]
    scv = [
        rib1 + np.array([-0.012, -0.024, -0.004]),
        _lerp(*cl, 0.3) + np.array([0.0, 0.012, -0.012]),
        junction,
    ]
    if wants("subclavian_vein_r"):
        out["subclavian_vein_r"] = vessel(body, spline(scv), 0.0058)

    # brachial artery: from the lower border of teres major down the medial arm to the
    # cubital fossa, in front of the elbow
    shoulder, elbow = a["shoulder"], a["elbow"]
    ba = [
        around(shoulder, elbow, 0.2, 280, 0.03),
        around(shoulder, elbow, 0.5, 300, 0.026),
        around(shoulder, elbow, 0.8, 335, 0.026),
        around(shoulder, elbow, 1.0, 355, 0.028) - np.array([0, 0, 0.012]),
    ]
    if wants("brachial_artery_r"):
        out["brachial_artery_r"] = vessel(body, spline(ba), 0.0026)

    # femoral vessels: from the mid-inguinal point through the femoral triangle and the
    # adductor canal to the adductor hiatus
    fa, fv = _femoral_paths(body)
    if wants("femoral_artery_r"):
        out["femoral_artery_r"] = vessel(body, fa, np.linspace(0.0042, 0.0036, len(fa)))
    if wants("femoral_vein_r"):
        out["femoral_vein_r"] = vessel(body, fv, 0.0055)

    # common iliac arteries: from the bifurcation to the front of the sacroiliac joints
    bif = _aorta_path(body)[-1]
    for side, s in (("r", -1.0), ("l", 1.0)):
        end = _iliac_split(body, s)
        path = spline(
            [bif + np.array([s * 0.004, 0, -0.004]), _lerp(bif, end, 0.5) + [0, -0.004, 0], end]
        )
        if wants(f"common_iliac_artery_{side}"):
            out[f"common_iliac_artery_{side}"] = vessel(body, path, 0.0048)
    return out


def _iliac_split(body: Body, s: float) -> np.ndarray:
    """Where a common iliac artery divides: in front of the sacroiliac joint."""
    sac = body.a["sacral_promontory"]
    lateral = body.a["sacrum_lateral"] * [-s, 1, 1]
    return np.array([lateral[0] + s * 0.004, sac[1] - 0.008, sac[2] - 0.012])


def _mid_inguinal(body: Body) -> np.ndarray:
    a = body.a
    return _lerp(a["asis"], a["pubic_tubercle"], 0.5) + np.array([0.0, 0.006, -0.01])


def _femoral_paths(body: Body) -> tuple[np.ndarray, np.ndarray]:
    a = body.a
    fe = _verts(body.bones, "femur_r")
    mip = _mid_inguinal(body)
    hip, knee = a["hip"], a["knee"]
    hiatus_z = knee[2] + 0.33 * (hip[2] - knee[2])

    def at(z, medial, front):
        c = shaft_centre(fe, z)
        return c + np.array([medial, -front, 0.0])

    artery = [
        mip,
        at(hip[2] - 0.07, 0.036, 0.04),
        at(hip[2] - 0.16, 0.032, 0.03),
        at(hiatus_z + 0.09, 0.028, 0.012),
        at(hiatus_z, 0.022, -0.008),
    ]
    vein = [
        mip + np.array([0.013, 0.004, 0.0]),
        at(hip[2] - 0.07, 0.046, 0.034),
        at(hip[2] - 0.16, 0.036, 0.018),
        at(hiatus_z + 0.09, 0.028, 0.0),
        at(hiatus_z, 0.02, -0.018),
    ]
    return spline(artery), spline(vein)


# --- nerves ----------------------------------------------------------------------------------


def _nerves(
    body: Body, wants: Callable[[str], bool] = lambda _name: True
) -> dict[str, trimesh.Trimesh]:
    a, v = body.a, body.v
    out: dict[str, trimesh.Trimesh] = {}
    shoulder, elbow, wrist = a["shoulder"], a["elbow"], a["wrist"]
    axilla = a["coracoid"] + np.array([0.02, 0.022, -0.035])

    # spinal cord: the canal from the foramen magnum to the conus at L1-L2
    canal = body.canal_path()
    names = list(VERTEBRAE)
    stop = names.index("l1")
    top = canal[0] + np.array([0.0, 0.0, 0.02])
    conus = np.array([canal[stop][0], canal[stop][1], body.disc("l1", "l2")])
    path = spline(np.vstack([top, canal[:stop], conus]), 0.002)
    path = _smoothed(path, 6.0)
    z = path[:, 2]
    cervical = np.exp(-(((z - body.level("c6", 0.5)) / 0.035) ** 2))
    lumbar = np.exp(-(((z - body.level("t12", 0.5)) / 0.025) ** 2))
    radius = 0.0042 + 0.0018 * cervical + 0.0008 * lumbar
    radius = np.where(
        z < body.level("l1", 1.0), radius * np.clip((z - conus[2]) / 0.02, 0.35, 1), radius
    )
    if wants("spinal_cord"):
        out["spinal_cord"] = vessel(body, path, radius)

    # median nerve: lateral to the brachial artery above, medial below, then down the middle
    # of the forearm to the carpal tunnel
    median = [
        axilla,
        around(shoulder, elbow, 0.35, 300, 0.028),
        around(shoulder, elbow, 0.7, 315, 0.026),
        around(shoulder, elbow, 1.0, 325, 0.026) - np.array([0, 0, 0.01]),
        around(elbow, wrist, 0.35, 345, 0.018),
        around(elbow, wrist, 0.75, 0, 0.016),
        wrist + np.array([0.0, -0.013, -0.006]),
        wrist + np.array([-0.001, -0.012, -0.024]),
    ]
    if wants("median_nerve_r"):
        out["median_nerve_r"] = vessel(body, spline(median), 0.0026)

    # ulnar nerve: down the medial arm, behind the medial epicondyle, under flexor carpi
    # ulnaris to the wrist beside the pisiform
    ulnar = [
        axilla + np.array([0.008, 0.006, -0.006]),
        around(shoulder, elbow, 0.45, 255, 0.026),
        around(shoulder, elbow, 0.8, 230, 0.026),
        a["medial_epicondyle"] + np.array([0.0, 0.012, 0.002]),
        around(elbow, wrist, 0.3, 250, 0.024),
        around(elbow, wrist, 0.75, 280, 0.022),
        a["pisiform"] + np.array([-0.005, -0.006, 0.006]),
        a["pisiform"] + np.array([-0.006, -0.008, -0.014]),
    ]
    if wants("ulnar_nerve_r"):
        out["ulnar_nerve_r"] = vessel(body, spline(ulnar), 0.0023)

    # radial nerve: the spiral groove behind the humerus, through the lateral intermuscular
    # septum to the front of the lateral epicondyle; its superficial branch under
    # brachioradialis to the dorsum of the wrist
    hu_axis = (a["humerus_top"], elbow)
    radial = [
        axilla + np.array([0.0, 0.014, -0.01]),
        around(*hu_axis, 0.3, 220, 0.024),
        around(*hu_axis, 0.48, 170, 0.022),
        around(*hu_axis, 0.66, 110, 0.022),
        around(*hu_axis, 0.86, 60, 0.024),
        around(elbow, wrist, 0.05, 45, 0.03),
        around(elbow, wrist, 0.4, 60, 0.024),
        around(elbow, wrist, 0.8, 85, 0.018),
        a["radial_styloid"] + np.array([-0.004, 0.008, 0.0]),
        a["metacarpal_2_base"] + np.array([-0.008, 0.014, 0.0]),
    ]
    if wants("radial_nerve_r"):
        out["radial_nerve_r"] = vessel(
            body, spline(radial), np.linspace(0.0029, 0.0017, len(spline(radial)))
        )

    # sciatic nerve: out of the greater sciatic foramen below piriformis, between the greater
    # trochanter and the ischial tuberosity, down the back of the thigh to the popliteal apex
    path = _sciatic_path(body)
    if wants("sciatic_nerve_r"):
        out["sciatic_nerve_r"] = vessel(body, path, np.linspace(0.0085, 0.0062, len(path)))

    # femoral nerve: in the groove between psoas and iliacus, under the inguinal ligament
    # lateral to the artery, dividing a few centimetres below it
    mip = _mid_inguinal(body)
    l4 = v["l4"]
    fem = [
        np.array([-(l4.half_width + 0.022), l4.body[1] + 0.004, l4.body[2]]),
        np.array([-(l4.half_width + 0.035), l4.front[1] - 0.002, body.level("l5", 0.0)]),
        _lerp(mip, a["asis"], 0.22) + np.array([0.0, 0.008, 0.028]),
        mip + np.array([-0.016, 0.004, -0.004]),
        mip + np.array([-0.016, 0.002, -0.055]),
    ]
    if wants("femoral_nerve_r"):
        out["femoral_nerve_r"] = vessel(body, spline(fem), 0.0032)

    # phrenic nerves: on scalenus anterior from C4, behind the subclavian vein, along the
    # mediastinal pleura beside the heart to the diaphragm's domes
    for side, s in (("r", -1.0), ("l", 1.0)):
        c4 = body.prevertebral(body.level("c4", 0.5), s * 0.022, -0.006)
        inlet = _mirror(a["clavicle_medial"]) if s > 0 else a["clavicle_medial"]
        inlet = inlet + np.array([s * 0.012, 0.012, -0.01])
        z_heart = float(a["rib4_front"][2])
        beside = _mediastinum(body, z_heart, 0.45, s * (0.05 if s < 0 else 0.075))
        dome = _mediastinum(
            body, float(a["xiphoid"][2]) + 0.02, 0.45, s * (0.045 if s < 0 else 0.075)
        )
        upper = _mediastinum(body, float(a["rib2_front"][2]), 0.45, s * (0.038 if s < 0 else 0.045))
        path = spline([c4, _lerp(c4, inlet, 0.5) + [s * 0.004, 0, 0], inlet, upper, beside, dome])
        if wants(f"phrenic_nerve_{side}"):
            out[f"phrenic_nerve_{side}"] = vessel(body, path, 0.0014)

    # vagus nerves: in the carotid sheath, then behind the lung roots onto the oesophagus
    # and through the oesophageal hiatus (T10) to the stomach
    foramen = np.array([a["mastoid"][0] + 0.012, a["mastoid"][1] - 0.01, a["mastoid"][2] + 0.006])
    hiatus = body.level("t10", 0.5)
    for side, s in (("r", -1.0), ("l", 1.0)):
        neck_pts = [_mirror(foramen) if s > 0 else foramen]
        for z in (body.disc("c2", "c3"), body.level("c5", 0.5), body.level("c7", 0.5)):
            neck_pts.append(body.prevertebral(z, s * 0.036, 0.008))
        inlet = body.prevertebral(float(a["jugular_notch"][2]) + 0.004, s * 0.03, 0.02)
        if s < 0:
            thorax = [
                body.prevertebral(float(body.level("t3", 0.5)), -0.02, 0.008),
                body.prevertebral(float(body.level("t6", 0.5)), -0.01, 0.006),
                body.prevertebral(float(body.level("t8", 0.5)), -0.004, 0.012),
                body.prevertebral(hiatus, 0.008, 0.018),
                body.prevertebral(hiatus - 0.03, 0.02, 0.03),
            ]
        else:
            thorax = [
                body.prevertebral(float(body.level("t3", 0.5)), 0.038, 0.016),
                body.prevertebral(float(body.level("t5", 0.5)), 0.022, 0.018),
                body.prevertebral(float(body.level("t7", 0.5)), 0.012, 0.03),
                body.prevertebral(hiatus, 0.016, 0.034),
                body.prevertebral(hiatus - 0.03, 0.03, 0.044),
            ]
        path = spline(neck_pts + [inlet] + thorax)
        if wants(f"vagus_nerve_{side}"):
            out[f"vagus_nerve_{side}"] = vessel(body, path, 0.0017)
    return out


def _sciatic_path(body: Body) -> np.ndarray:
    def make():
        a = body.a
        fe = _verts(body.bones, "femur_r")
        hip, knee = a["hip"], a["knee"]
        foramen = _lerp(a["sacrum_lateral"], a["ischial_tuberosity"], 0.42) + np.array(
            [-0.01, 0.012, 0.0]
        )
        between = _lerp(a["greater_trochanter"], a["ischial_tuberosity"], 0.55) + np.array(
            [0.0, 0.036, 0.0]
        )
        pts = [foramen, between]
        for f in (0.25, 0.5, 0.75):
            z = hip[2] - 0.05 - f * (hip[2] - 0.05 - knee[2] - 0.09)
            pts.append(shaft_centre(fe, z) + np.array([0.004, 0.032, 0.0]))
        pts.append(np.array([knee[0] - 0.004, knee[1] + 0.038, knee[2] + 0.075]))
        path = spline(pts)
        return clear_path(body, path, np.linspace(0.0085, 0.0062, len(path)))

    return body.cached("sciatic_path", make)


def _brachial_plexus(body: Body) -> trimesh.Trimesh:
    """Roots C5-T1 from the intervertebral foramina, trunks between the scalenes over the
    1st rib, divisions behind the clavicle, cords around the axillary artery to the lower
    border of pectoralis minor (below the coracoid)."""
    a, v = body.a, body.v
    roots = {
        "c5": body.disc("c4", "c5"),
        "c6": body.disc("c5", "c6"),
        "c7": body.disc("c6", "c7"),
        "c8": body.disc("c7", "t1"),
        "t1": body.disc("t1", "t2"),
    }
    foramina = {}
    for n, z in roots.items():
        vert = v[n] if n in v else v["c7"]
        foramina[n] = np.array([-(vert.half_width + 0.006), vert.canal[1] - 0.004, z])
    rib1 = a["rib1_side"]
    upper = np.array([rib1[0] + 0.016, rib1[1] - 0.004, foramina["c5"][2] - 0.012])
    middle = np.array([rib1[0] + 0.012, rib1[1] - 0.002, foramina["c7"][2] - 0.006])
    lower = np.array([rib1[0] + 0.012, rib1[1] + 0.004, rib1[2] + 0.008])
    behind_clavicle = _lerp(a["clavicle_medial"], a["clavicle_lateral"], 0.55) + np.array(
        [0.0, 0.016, -0.014]
    )
    end = a["coracoid"] + np.array([0.018, 0.024, -0.04])
    cords = {
        "lateral": end + np.array([-0.008, -0.006, 0.004]),
        "posterior": end + np.array([0.0, 0.01, 0.0]),
        "medial": end + np.array([0.009, -0.002, -0.004]),
    }
    paths = []
    for root, trunk in (("c5", upper), ("c6", upper), ("c7", middle), ("c8", lower), ("t1", lower)):
        paths.append(
            spline(
                [foramina[root], _lerp(foramina[root], trunk, 0.5) + [0, 0, -0.002], trunk], 0.001
            )
        )
    for trunk in (upper, middle, lower):
        for cord_end in cords.values():
            paths.append(spline([trunk, behind_clavicle + (cord_end - end) * 0.5, cord_end], 0.001))
    pts = np.vstack(paths)
    radii = np.concatenate([np.full(len(p), 0.0024) for p in paths])

    def field(grid, p):
        d = polyline_distance(p, pts, radii)
        return np.maximum(d, 0.001 - body.bone_field(grid))

    return mesh_field(
        field,
        pts.min(0) - 0.01,
        pts.max(0) + 0.01,
        0.0012,
        SMALL_ORGAN_FACES,
        name="brachial_plexus_r",
        smoothing=6,
    )


# --- head and neck ---------------------------------------------------------------------------


BRAIN_MARGIN = 0.0075  # cranial vault and meninges: the brain lies this far inside the skull
# The jaw's centre of mass relative to the skull's in myo-sim's upright head (direction).
HEAD_DOWN = np.array([0.0, -0.04499, -0.08877]) / np.hypot(0.04499, 0.08877)
HEAD_BONES = ("skull", "mandible")  # turned together to set the head upright
SKULL_LENGTH = 0.169  # myo-sim's skull, glabella to the back: head sizes scale from it


def orbit_centre(skull: trimesh.Trimesh, band: tuple[float, float]) -> np.ndarray:
    """The right orbit of an upright skull: the deepest local recess of its front (depth
    against its surroundings, so the face's backward curve to the sides does not count)
    between the heights ``band`` (the zygomatic arch to the brow), read off a front depth
    map; returns (x, the recess' front y, z)."""
    from scipy.ndimage import uniform_filter

    lo, hi = np.asarray(skull.bounds)
    grid = Grid.around(lo, hi, 0.002, pad=1)
    inside = occupancy(skull, grid)
    xs, ys, zs = grid.axes()
    has = inside.any(axis=1)
    first = np.where(has, ys[np.argmax(inside, axis=1)], np.nan)  # (nx, nz)
    first = np.where(has, first, np.nanmax(first))
    surroundings = uniform_filter(first, size=17, mode="nearest")  # 3.4 cm
    recess = uniform_filter(first - surroundings, size=5, mode="nearest")
    mid_x, half_x = 0.5 * (lo[0] + hi[0]), 0.5 * (hi[0] - lo[0])
    mx = (xs < mid_x - 0.3 * half_x) & (xs > mid_x - 0.75 * half_x)
    mz = (zs > band[0]) & (zs < band[1])
    region = recess[np.ix_(mx, mz)]
    weight = np.clip(region - 0.3 * region.max(), 0, None)  # the orbit's hollow
    if weight.sum() <= 0:
        weight = (region >= region.max()).astype(float)
    gx, gz = np.meshgrid(xs[mx], zs[mz], indexing="ij")
    x, z = (weight * gx).sum() / weight.sum(), (weight * gz).sum() / weight.sum()
    front = float(np.min(first[np.ix_(mx, mz)]))
    return np.array([x, front, z])


def _orbit_centre(body: Body) -> np.ndarray:
    """The right orbit, between the zygomatic arch and the brow (``orbit_centre``)."""

    def make():
        a = body.a
        z0 = a["zygomatic_arch"][2]
        z1 = z0 + 0.28 * (a["skull_hi"][2] - a["skull_lo"][2])
        return orbit_centre(body.bones["skull"], (z0, z1))

    return body.cached("orbit", make)


def _cranial_cavity(body: Body, grid: Grid) -> np.ndarray:
    """Signed distance to the cranial cavity: inside the skull by ``BRAIN_MARGIN`` (scaled
    with the head) from its outer surface and above the cranial base (anterior fossa at the
    orbital roofs, middle fossa at the zygomatic arches, posterior fossa above the foramen
    magnum)."""
    a = body.a
    head = a["head_scale"]
    sdf = signed_distance_to(occupancy(body.bones["skull"], grid), grid.pitch)
    p = grid.points()
    orbit = _orbit_centre(body)
    roof = orbit[2] + 0.012 * head
    middle = a["zygomatic_arch"][2] - 0.004 * head
    magnum = (
        middle - 0.015 * head
    )  # the foramen magnum, between the mastoids' level and the arches'
    y_front_fossa = orbit[1] + 0.045 * head
    y_petrous = max(a["mastoid"][1] - 0.004 * head, y_front_fossa + 0.03 * head)
    y = p[..., 1]
    base = np.interp(
        y,
        [
            y_front_fossa - 0.01 * head,
            y_front_fossa + 0.01 * head,
            y_petrous - 0.008 * head,
            y_petrous + 0.008 * head,
        ],
        [roof, middle, middle, magnum],
    )
    # the middle fossa is deep only laterally (temporal lobes); the sella rises between them
    mid_x = 0.5 * (a["skull_lo"][0] + a["skull_hi"][0])
    sella = np.exp(-(((p[..., 0] - mid_x) / (0.022 * head)) ** 2)) * np.exp(
        -(((y - 0.5 * (y_front_fossa + y_petrous)) / (0.02 * head)) ** 2)
    )
    base = base + 0.016 * head * sella
    return np.maximum(sdf + BRAIN_MARGIN * head, base - p[..., 2])


def _cerebellum_field(body: Body) -> Callable[[np.ndarray], np.ndarray]:
    """Two hemispheres in the posterior cranial fossa, just in front of and below the inion
    (the internal occipital protuberance lies level with it); should that miss the cavity
    (an odd skull), centred on the cavity's part behind the petrous ridges instead."""
    a = body.a
    head = a["head_scale"]
    mid_x = 0.5 * (a["skull_lo"][0] + a["skull_hi"][0])
    centre = np.array([mid_x, a["inion"][1] - 0.0285 * head, a["inion"][2] - 0.013 * head])
    side = np.array([0.022 * head, 0.0, 0.0])
    radii = np.array([0.03, 0.03, 0.022]) * head

    def hemispheres(p, c):
        return smooth_min(ellipsoid(p, c - side, radii), ellipsoid(p, c + side, radii), 0.02 * head)

    def make():
        grid = Grid.around(a["skull_lo"], a["skull_hi"], 0.004, pad=1)
        p = grid.points()
        cavity = _cranial_cavity(body, grid) < 0
        if np.any(cavity & (hemispheres(p, centre) < -0.004 * head)):
            return centre
        behind = cavity & (p[..., 1] > a["mastoid"][1]) & (p[..., 2] < a["inion"][2] + 0.01 * head)
        if not behind.any():
            return centre
        c = p[behind].mean(axis=0)
        return np.array([mid_x, c[1], c[2]])

    placed = body.cached("cerebellum_centre", make)

    def field(p):
        return hemispheres(p, placed)

    field.centre = placed
    return field


def _cerebellum(body: Body) -> trimesh.Trimesh:
    cerebellum = _cerebellum_field(body)

    def field(grid, p):
        return smooth_max(cerebellum(p), _cranial_cavity(body, grid), 0.004)

    c = cerebellum.centre
    return mesh_field(field, c - 0.07, c + 0.07, 0.002, SMALL_ORGAN_FACES, name="cerebellum")


def _cerebrum(body: Body) -> trimesh.Trimesh:
    """The cranial cavity above the tentorium, less the cerebellum and the brainstem, with
    the longitudinal fissure cut down to the corpus callosum."""
    a = body.a
    cerebellum = _cerebellum_field(body)
    head = a["head_scale"]
    canal_y = a["mastoid"][1] + 0.011 * head  # the medulla, between the mastoids
    mid_x = 0.5 * (a["skull_lo"][0] + a["skull_hi"][0])
    top = a["vertex"][2] - BRAIN_MARGIN * head
    brainstem_low = a["zygomatic_arch"][2] - 0.019 * head

    def field(grid, p):
        d = _cranial_cavity(body, grid)
        d = smooth_max(d, -(cerebellum(p) - 0.004), 0.004)
        # tentorium: nothing of the cerebrum below a sheet rising from the inion forward
        tent = cerebellum.centre[2] + 0.012 * head + 0.3 * (cerebellum.centre[1] - p[..., 1])
        behind = p[..., 1] > cerebellum.centre[1] - 0.03 * head
        d = np.where(behind, smooth_max(d, tent - p[..., 2], 0.004), d)
        stem = capsule(
            p,
            [mid_x, canal_y - 0.006 * head, brainstem_low],
            [mid_x, canal_y - 0.018 * head, brainstem_low + 0.05 * head],
            0.012 * head,
            0.014 * head,
        )
        d = smooth_max(d, -stem, 0.006)
        # longitudinal fissure: down to the corpus callosum in the middle, through in front
        # of its genu and behind its splenium
        cc_y = cerebellum.centre[1] - 0.05 * head
        callosum = np.abs(p[..., 1] - cc_y) < 0.036 * head
        fissure = np.abs(p[..., 0] - mid_x) - 0.0012
        cut = (p[..., 2] > top - 0.05 * head) | ~callosum
        d = np.where(cut, np.maximum(d, -fissure), d)
        return smooth_max(d, envelope(p), 0.01)

    cavity_lo, cavity_hi = a["skull_lo"], a["skull_hi"]
    centre = np.array(
        [mid_x, 0.5 * (cavity_lo[1] + cavity_hi[1]) + 0.006 * head, a["vertex"][2] - 0.055 * head]
    )
    radii = np.array(
        [
            0.5 * (cavity_hi[0] - cavity_lo[0]),
            0.5 * (cavity_hi[1] - cavity_lo[1]) + 0.004 * head,
            0.075 * head,
        ]
    )

    def envelope(p):
        return ellipsoid(p, centre, radii)

    lo, hi = a["skull_lo"], a["skull_hi"]
    return mesh_field(field, lo, hi, 0.002, ORGAN_FACES, name="cerebrum", smoothing=8)


def _trachea_path(body: Body) -> np.ndarray:
    """From the cricoid (C6) to the carina (T4/T5 disc), in front of the oesophagus, which
    lies on the vertebral bodies; drifting a little to the right at its lower end."""

    def make():
        top = body.level("c6", 0.5)
        carina = body.disc("t4", "t5")
        zs = np.linspace(top, carina, 6)
        pts = [body.prevertebral(z, -0.004 * (i / 5) ** 2, 0.022) for i, z in enumerate(zs)]
        return spline(pts, 0.002)

    return body.cached("trachea_path", make)


TRACHEA_RADIUS = 0.0085


def _trachea(body: Body) -> trimesh.Trimesh:
    path = _trachea_path(body)
    return tube(path, TRACHEA_RADIUS)


def _thyroid(body: Body) -> trimesh.Trimesh:
    """Two lobes beside the larynx and trachea from C5 to T1 and an isthmus in front of the
    2nd-4th tracheal rings."""
    trachea = _trachea_path(body)
    top, bottom = body.level("c5", 0.8), body.level("t1", 0.5)
    mid = 0.5 * (top + bottom)
    half_height = 0.5 * (top - bottom) + 0.004
    front = body.prevertebral(mid, 0.0, 0.022)[1]
    centre_y = front - 0.003
    isthmus_z = float(trachea[0, 2]) - 0.018

    def field(grid, p):
        d = np.inf
        for s in (-1.0, 1.0):
            lobe = ellipsoid(p, (s * 0.0185, centre_y, mid), (0.0105, 0.009, half_height))
            d = np.minimum(d, lobe)
        isthmus = capsule(
            p, [-0.012, front - 0.011, isthmus_z], [0.012, front - 0.011, isthmus_z], 0.0055, 0.0055
        )
        d = smooth_min(d, isthmus, 0.006)
        d = smooth_max(d, -polyline_distance(p, trachea, TRACHEA_RADIUS + 0.0015), 0.003)
        return np.maximum(d, 0.001 - body.bone_field(grid))

    lo = np.array([-0.035, centre_y - 0.03, bottom - 0.02])
    hi = np.array([0.035, centre_y + 0.03, top + 0.02])
    return mesh_field(field, lo, hi, 0.0015, SMALL_ORGAN_FACES, name="thyroid_gland")


PROSTATE_LENGTH = 0.03  # base to apex
PROSTATE_APEX = np.array([0.0, 0.02, -0.012])  # from the symphysis' lower border


def _prostate(body: Body) -> trimesh.Trimesh:
    """A chestnut about 3.6 cm across, 3.5 cm from base to apex and 2.8 cm deep (17 mL):
    the base under the bladder neck (placed by ``pelvis.bladder_targets``, as the
    bladder is), the apex down toward the pelvic floor behind the symphysis' lower border."""
    from anatomy.pipeline.pelvis import bladder_targets, pelvic_landmarks

    pelvis = pelvic_landmarks(body.bones)
    neck, _ = bladder_targets(pelvis)
    apex = pelvis.symphysis_low * [0.0, 1.0, 1.0] + PROSTATE_APEX
    axis = _unit(apex - neck)
    base = neck + 0.002 * axis
    front = _unit(np.cross(X, axis))
    if front[1] > 0:
        front = -front
    axes = np.stack([X, axis, front])
    upper = base + 0.4 * PROSTATE_LENGTH * axis
    lower = base + 0.72 * PROSTATE_LENGTH * axis

    def field(grid, p):
        d = smooth_min(
            ellipsoid(p, upper, (0.021, 0.015, 0.0135), axes),
            ellipsoid(p, lower, (0.014, 0.011, 0.0115), axes),
            0.006,
        )
        return np.maximum(d, 0.001 - body.bone_field(grid))

    lo = np.minimum(base, apex) - 0.03
    hi = np.maximum(base, apex) + 0.03
    return mesh_field(field, lo, hi, 0.0012, SMALL_ORGAN_FACES, name="prostate")


def _ureter(body: Body, side: str) -> trimesh.Trimesh:
    """From the renal pelvis down the front of psoas, over the pelvic brim at the common
    iliac bifurcation, down the lateral pelvic wall and forward to the bladder base."""
    s = -1.0 if side == "r" else 1.0
    kidney = _kidney_field(body, side)
    a, v = body.a, body.v
    pelvis = kidney.hilum + np.array([-s * 0.008, -0.004, -0.01])
    psoas = [
        np.array([s * (v["l3"].half_width + 0.022), v["l3"].front[1] + 0.004, v["l3"].body[2]]),
        np.array([s * (v["l4"].half_width + 0.026), v["l4"].front[1] - 0.002, v["l4"].body[2]]),
    ]
    brim = _iliac_split(body, s) + np.array([s * 0.006, -0.004, -0.012])
    sym = a["pubic_symphysis"]
    wall = np.array([s * 0.06, 0.5 * (brim[1] + a["ischial_tuberosity"][1]) + 0.006, sym[2] + 0.03])
    bladder = np.array([s * 0.022, sym[1] + 0.048, sym[2] + 0.012])
    path = spline([kidney.hilum, pelvis] + psoas + [brim, wall, bladder])
    t = np.linspace(0, 1, len(path))
    return vessel(body, path, 0.0026 + 0.003 * np.exp(-((t / 0.04) ** 2)))


# --- muscles: shared machinery ---------------------------------------------------------------


def polygon_distance(u: np.ndarray, v: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Signed distance in a plane to a simple polygon (negative inside)."""
    polygon = np.asarray(polygon, dtype=np.float64)
    d2 = np.full(u.shape, np.inf)
    sign = np.ones(u.shape)
    n = len(polygon)
    for i in range(n):
        a, b = polygon[i], polygon[i - 1]
        e = b - a
        wu, wv = u - a[0], v - a[1]
        t = np.clip((wu * e[0] + wv * e[1]) / float(e @ e), 0.0, 1.0)
        du, dv = wu - e[0] * t, wv - e[1] * t
        d2 = np.minimum(d2, du * du + dv * dv)
        c1 = v >= a[1]
        c2 = v < b[1]
        c3 = e[0] * wv > e[1] * wu
        flip = (c1 & c2 & c3) | (~c1 & ~c2 & ~c3)
        sign = np.where(flip, -sign, sign)
    return sign * np.sqrt(d2)


@dataclass(frozen=True)
class Chart:
    """Cylindrical coordinates around an axis, for drawing a muscle's outline.

    ``u`` is the angle from the right-lateral reference (toward anterior positive) times
    ``radius``, so outlines are measured roughly in metres; ``v`` is the height along the
    axis. The angle's branch cut faces the subject's left, away from right-side muscles.
    """

    start: np.ndarray
    end: np.ndarray
    radius: float = 0.12
    lateral: tuple = (-1.0, 0.0, 0.0)
    anterior: tuple = (0.0, -1.0, 0.0)
    centre: Callable | None = None  # optional (v -> axis point) for a curved axis

    def uv(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        axis = _unit(self.end - self.start)
        q = p - self.start
        v = q @ axis
        if self.centre is not None:
            q = p - self.centre(v)
        ant = _unit(self.anterior - (self.anterior @ axis) * axis)
        lat = (
            np.cross(ant, axis)
            if (np.cross(ant, axis) @ self.lateral) > 0
            else -np.cross(ant, axis)
        )
        angle = np.arctan2(q @ ant, q @ lat)
        return angle * self.radius, v

    def outline(self, points) -> np.ndarray:
        u, v = self.uv(np.asarray(points, dtype=np.float64))
        return np.column_stack([u, v])


def _trunk_section(body: Body):
    """Half-width, front and back of the trunk's bony/muscular wall by height: the rib cage
    where there is one, blended down to the pelvis (iliac crests, the front a little ahead of
    the anterior superior iliac spines), and up to a neck column."""

    def make():
        a, v = body.a, body.v
        cage = a["cage"]
        zs, half, front, back = [], [], [], []
        spine_z = np.array([v[n].spine[2] for n in VERTEBRAE])
        spine_y = np.array([v[n].spine[1] for n in VERTEBRAE])
        order = np.argsort(spine_z)
        spine_back = lambda z: float(np.interp(z, spine_z[order], spine_y[order])) + 0.006  # noqa: E731
        pelvis_z = float(a["iliac_crest_top"][2])
        pelvis = (
            abs(float(a["iliac_crest_lateral"][0])) + 0.006,
            float(a["asis"][1]) - 0.012,
            spine_back(pelvis_z),
        )
        cage_lo = float(cage.z[0]) + 0.01
        low = (
            float(cage.half_width[0]) - 0.004,
            float(cage.front[0]),
            max(float(cage.back[0]), spine_back(cage_lo)),
        )
        for z in np.arange(pelvis_z - 0.12, pelvis_z + 0.001, 0.01):
            zs.append(z)
            half.append(pelvis[0] - 0.25 * (pelvis_z - z))
            front.append(pelvis[1] + 0.2 * (pelvis_z - z))
            back.append(spine_back(z) + 0.01)
        for t in np.linspace(0.1, 0.9, 9):
            z = pelvis_z + t * (cage_lo - pelvis_z)
            waist = 1.0 - 0.1 * np.sin(np.pi * t)
            zs.append(z)
            half.append(waist * (pelvis[0] + t * (low[0] - pelvis[0])))
            front.append(pelvis[1] + t * (low[1] - pelvis[1]) - 0.008 * np.sin(np.pi * t))
            back.append(max(spine_back(z) + 0.012, pelvis[2] + t * (low[2] - pelvis[2])))
        for z, h, f, b in zip(cage.z, cage.half_width, cage.front, cage.back, strict=True):
            if z < cage_lo:
                continue
            zs.append(z)
            half.append(h - 0.004)
            front.append(f)
            back.append(max(b, spine_back(z)))
        for name in ("c7", "c5", "c3"):
            vert = v[name]
            zs.append(vert.body[2] + (0.03 if name == "c7" else 0.0))
            half.append(0.045 if name != "c7" else 0.06)
            front.append(vert.front[1] - 0.028)
            back.append(spine_back(vert.body[2]) + 0.004)
        zs = np.array(zs)
        order = np.argsort(zs)
        return Cage(zs[order], np.array(half)[order], np.array(front)[order], np.array(back)[order])

    return body.cached("trunk_section", make)


def trunk_wall(body: Body, p: np.ndarray, power: float = 2.6) -> np.ndarray:
    """Approximate signed distance to the trunk wall: a superellipse section at each height."""
    section = _trunk_section(body)
    half, front, back = section.at(p[..., 2])
    centre = 0.5 * (front + back)
    x = p[..., 0]
    dy = p[..., 1] - centre
    depth = np.where(dy < 0, centre - front, back - centre)
    r = (np.abs(x / half) ** power + np.abs(dy / depth) ** power) ** (1.0 / power)
    q = np.sqrt(x * x + dy * dy)
    return np.where(r > 1e-9, (r - 1.0) * q / np.maximum(r, 1e-9), -np.minimum(half, depth))


def trunk_centre(body: Body) -> Callable[[np.ndarray], np.ndarray]:
    """The trunk's vertical axis bent through the middle of each section (for charts)."""
    section = _trunk_section(body)

    def centre(v):
        z = np.asarray(v)
        _, front, back = section.at(z)
        out = np.zeros(z.shape + (3,))
        out[..., 1] = 0.5 * (front + back)
        out[..., 2] = z
        return out

    return centre


def trunk_chart(body: Body, radius: float = 0.12) -> Chart:
    return Chart(np.zeros(3), Z.copy(), radius, centre=trunk_centre(body))


def shell(base: np.ndarray, thickness, offset: float = 0.001) -> np.ndarray:
    """A layer of ``thickness`` starting ``offset`` outside a base surface's field."""
    return np.abs(base - offset - 0.5 * thickness) - 0.5 * thickness


@dataclass
class Muscle:
    """A right-side muscle: its field, the box it lives in and how finely to mesh it."""

    field: Callable[[Grid, np.ndarray], np.ndarray]
    lo: np.ndarray
    hi: np.ndarray
    pitch: float = 0.0025
    faces: int = MUSCLE_FACES
    transform: np.ndarray | None = None  # 4x4 applied after meshing (the head's pose)


def _box(points, pad: float = 0.03) -> tuple[np.ndarray, np.ndarray]:
    points = np.atleast_2d(np.asarray(points, dtype=np.float64))
    return points.min(axis=0) - pad, points.max(axis=0) + pad


def spindle(
    body: Body,
    waypoints,
    width: float,
    thickness: float,
    axis,
    belly: float = 0.5,
    tendon: float = 0.22,
    flat_end: float | None = None,
) -> tuple[Callable[[np.ndarray], np.ndarray], np.ndarray]:
    """A fusiform belly swept along a spline, its thickness measured away from a limb axis
    (``axis``: two points), thin at the tendons. Returns (field of points, path)."""
    path = spline(waypoints, 0.0015)
    n = len(path)
    full = spindle_profile(n, belly, tendon)
    w = width * full
    if flat_end is not None:  # a broad aponeurotic end (e.g. a fan onto a bone)
        t = np.linspace(0, 1, n)
        w = np.maximum(w, width * flat_end * t)
    h = thickness * full
    a0, a1 = (np.asarray(p, dtype=np.float64) for p in axis)
    d = a1 - a0
    t = np.clip(((path - a0) @ d) / float(d @ d), 0, 1)
    outward = path - (a0 + t[:, None] * d)
    fallback = np.cross(d, Y)
    outward = np.where(np.linalg.norm(outward, axis=1, keepdims=True) < 1e-6, fallback, outward)

    def field(p):
        return sweep(p, path, np.maximum(w, 0.002), np.maximum(h, 0.002), outward)

    return field, path


def _carved(body: Body, field, margin: float = 0.001, bone_ids=None):
    """A muscle field with the bones (all, or ``bone_ids``) cut out with a margin."""

    def carved(grid, p):
        return np.maximum(field(grid, p), margin - body.bone_field(grid, bone_ids))

    return carved


# --- muscles: the right side -----------------------------------------------------------------


TRUNK_BONES = tuple(
    [f"rib_{n}_{s}" for n in range(1, 13) for s in "lr"]
    + ["sternum", "sacrum", "hip_bone_r", "hip_bone_l", "scapula_r", "clavicle_r"]
    + list(VERTEBRAE)
)


def _limb_axes(body: Body) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    a = body.a
    fe = _verts(body.bones, "femur_r")
    hip, knee = a["hip"], a["knee"]
    upper = shaft_centre(fe, hip[2] - 0.1)
    lower = shaft_centre(fe, knee[2] + 0.1)
    d = lower - upper
    top = upper + d * ((hip[2] - upper[2]) / d[2])
    bottom = upper + d * ((knee[2] - upper[2]) / d[2])
    return {
        "arm": (a["humerus_top"], a["elbow"]),
        "forearm": (a["elbow"], a["wrist"]),
        "thigh": (top, bottom),
        "leg": (knee, a["ankle"]),
    }


def _sheet_field(
    body: Body, base, chart: Chart, outline, thickness, offset=0.001, round_edge=0.004
):
    """A layer lying on ``base`` (a field of grid and points), cut to an outline drawn in a
    chart. ``thickness``: a number or a function of (u, v)."""
    polygon = chart.outline(outline)

    def field(grid, p):
        u, v = chart.uv(p)
        t = thickness(u, v) if callable(thickness) else thickness
        d = shell(base(grid, p), t, offset)
        return smooth_max(d, polygon_distance(u, v, polygon), round_edge)

    return field


def _bones_and_wall(body: Body, ids, k: float = 0.012, wall: bool = True):
    def base(grid, p):
        d = body.bone_field(grid, ids)
        return smooth_min(d, trunk_wall(body, p), k) if wall else d

    return base


def _with_deeper(base, deeper, k: float = 0.006):
    """A base surface that also rides over deeper muscles' fields."""

    def combined(grid, p):
        d = base(grid, p)
        for f in deeper:
            d = smooth_min(d, f(grid, p), k)
        return d

    return combined


def _ring(p, centre, normal, major, minor, half_width, half_depth, bend=0.0):
    """Flattened elliptical ring (a sphincter) in the plane through ``centre`` across
    ``normal``; ``bend`` curves it back by bend * (across distance)^2 (around a dental arch)."""
    axes = frame_from(Z - (Z @ _unit(normal)) * _unit(normal), normal)  # rows: up, normal, across
    q = (p - centre) @ axes.T
    up, out, across = q[..., 0], q[..., 1], q[..., 2]
    out = out + bend * across * across
    r = np.sqrt((across / major) ** 2 + (up / minor) ** 2)
    radial = (r - 1.0) * 0.5 * (major + minor)
    k = np.sqrt((radial / half_width) ** 2 + (out / half_depth) ** 2)
    return (k - 1.0) * min(half_width, half_depth)


def _right_muscles(body: Body) -> dict[str, Muscle]:
    a, v = body.a, body.v
    axes = _limb_axes(body)
    arm, forearm, thigh, leg = axes["arm"], axes["forearm"], axes["thigh"], axes["leg"]
    m: dict[str, Muscle] = {}

    def fusiform(name, waypoints, width, thickness, axis, pitch=0.0025, carve=None, **kw):
        f, path = spindle(body, waypoints, width, thickness, axis, **kw)
        lo, hi = _box(path, max(width, thickness) + 0.012)
        m[name] = Muscle(_carved(body, lambda grid, p: f(p), bone_ids=carve), lo, hi, pitch)
        return f

    # ---- upper limb
    hu = lambda f, t, r: around(*arm, f, t, r)  # noqa: E731
    fa = lambda f, t, r: around(*forearm, f, t, r)  # noqa: E731
    fusiform(
        "biceps_brachii_r",
        [
            a["coracoid"] + [0.002, -0.004, -0.012],
            hu(0.3, 350, 0.026),
            hu(0.6, 0, 0.03),
            hu(0.88, 5, 0.026),
            a["radial_tuberosity"] + [0.0, -0.008, 0.0],
        ],
        0.017,
        0.014,
        arm,
        belly=0.62,
    )
    fusiform(
        "triceps_brachii_r",
        [
            a["shoulder"] + [0.012, 0.022, -0.032],
            hu(0.35, 180, 0.03),
            hu(0.65, 180, 0.032),
            hu(0.92, 180, 0.028),
            a["olecranon"] + [0.0, 0.006, 0.008],
        ],
        0.022,
        0.015,
        arm,
        belly=0.5,
    )
    fusiform(
        "brachioradialis_r",
        [
            a["lateral_supracondylar"] + [-0.008, -0.004, 0.0],
            fa(0.05, 75, 0.03),
            fa(0.35, 70, 0.026),
            fa(0.7, 80, 0.018),
            a["radial_styloid"] + [-0.003, -0.002, 0.01],
        ],
        0.012,
        0.01,
        forearm,
        belly=0.28,
        pitch=0.002,
    )
    fusiform(
        "flexor_carpi_radialis_r",
        [
            a["medial_epicondyle"] + [-0.004, -0.008, -0.006],
            fa(0.3, 325, 0.021),
            fa(0.7, 345, 0.017),
            a["wrist"] + [-0.008, -0.013, -0.004],
            a["metacarpal_2_base"] + [0.0, -0.009, 0.0],
        ],
        0.009,
        0.007,
        forearm,
        belly=0.3,
        pitch=0.002,
    )
    fusiform(
        "palmaris_longus_r",
        [
            a["medial_epicondyle"] + [-0.006, -0.011, -0.01],
            fa(0.3, 342, 0.024),
            fa(0.7, 355, 0.02),
            a["wrist"] + [0.0, -0.017, -0.01],
        ],
        0.006,
        0.005,
        forearm,
        belly=0.3,
        tendon=0.3,
        pitch=0.002,
    )
    fusiform(
        "flexor_carpi_ulnaris_r",
        [
            a["medial_epicondyle"] + [0.002, 0.0, -0.008],
            fa(0.3, 285, 0.023),
            fa(0.7, 295, 0.019),
            a["pisiform"] + [0.003, -0.004, 0.008],
        ],
        0.01,
        0.008,
        forearm,
        belly=0.35,
        pitch=0.002,
    )
    fusiform(
        "extensor_carpi_radialis_longus_r",
        [
            a["lateral_supracondylar"] + [-0.004, 0.006, -0.022],
            fa(0.15, 100, 0.028),
            fa(0.5, 112, 0.021),
            fa(0.88, 125, 0.016),
            a["metacarpal_2_base"] + [0.0, 0.011, 0.0],
        ],
        0.01,
        0.008,
        forearm,
        belly=0.3,
        pitch=0.002,
    )
    fusiform(
        "extensor_digitorum_r",
        [
            a["lateral_epicondyle"] + [-0.004, 0.009, -0.01],
            fa(0.3, 150, 0.023),
            fa(0.7, 165, 0.019),
            a["wrist"] + [0.004, 0.015, 0.0],
            a["metacarpal_3_head"] + [0.0, 0.011, 0.0],
        ],
        0.011,
        0.007,
        forearm,
        belly=0.4,
        pitch=0.002,
        flat_end=0.9,
    )
    fusiform(
        "extensor_carpi_ulnaris_r",
        [
            a["lateral_epicondyle"] + [0.0, 0.013, -0.012],
            fa(0.3, 200, 0.021),
            fa(0.7, 215, 0.018),
            a["ulna_styloid"] + [0.0, 0.007, 0.0],
            a["metacarpal_5_base"] + [-0.002, 0.007, 0.0],
        ],
        0.009,
        0.007,
        forearm,
        belly=0.35,
        pitch=0.002,
    )

    # ---- lower limb
    th = lambda f, t, r: around(*thigh, f, t, r)  # noqa: E731
    lg = lambda f, t, r: around(*leg, f, t, r)  # noqa: E731
    fusiform(
        "tensor_fasciae_latae_r",
        [
            a["asis"] + [-0.006, 0.002, -0.008],
            th(0.12, 55, 0.045),
            th(0.3, 80, 0.042),
            th(0.42, 88, 0.036),
        ],
        0.015,
        0.01,
        thigh,
        belly=0.4,
        tendon=0.35,
    )
    fusiform(
        "sartorius_r",
        [
            a["asis"] + [0.003, -0.006, -0.012],
            th(0.15, 15, 0.052),
            th(0.4, 320, 0.054),
            th(0.7, 285, 0.05),
            th(0.97, 245, 0.048),
            a["pes_anserinus"] + [0.007, -0.004, 0.0],
        ],
        0.012,
        0.006,
        thigh,
        belly=0.45,
        tendon=0.45,
    )
    fusiform(
        "rectus_femoris_r",
        [
            a["aiis"] + [0.0, -0.01, 0.0],
            th(0.2, 5, 0.046),
            th(0.5, 0, 0.046),
            th(0.85, 0, 0.036),
            a["patella_base"] + [0.0, -0.007, 0.006],
        ],
        0.02,
        0.016,
        thigh,
        belly=0.45,
    )
    fusiform(
        "vastus_lateralis_r",
        [
            a["greater_trochanter"] + [-0.006, -0.004, -0.012],
            th(0.2, 100, 0.042),
            th(0.5, 95, 0.044),
            th(0.8, 70, 0.037),
            a["patella_base"] + [-0.016, -0.002, 0.004],
        ],
        0.028,
        0.02,
        thigh,
        belly=0.48,
    )
    fusiform(
        "vastus_medialis_r",
        [
            th(0.25, 285, 0.03),
            th(0.6, 300, 0.036),
            th(0.85, 320, 0.04),
            a["patella_base"] + [0.015, -0.002, -0.006],
        ],
        0.022,
        0.018,
        thigh,
        belly=0.72,
    )
    fusiform(
        "adductor_longus_r",
        [
            a["pubic_tubercle"] + [-0.006, 0.008, -0.014],
            th(0.25, 285, 0.045),
            a["linea_aspera"] + [0.01, -0.002, 0.0],
        ],
        0.018,
        0.01,
        thigh,
        belly=0.55,
        tendon=0.35,
        flat_end=0.8,
    )
    fusiform(
        "gracilis_r",
        [
            a["pubic_body_low"] + [-0.008, 0.006, -0.008],
            th(0.2, 268, 0.056),
            th(0.55, 262, 0.052),
            th(0.9, 245, 0.044),
            a["pes_anserinus"] + [0.009, 0.002, -0.006],
        ],
        0.012,
        0.006,
        thigh,
        belly=0.4,
        tendon=0.35,
    )
    fusiform(
        "biceps_femoris_r",
        [
            a["ischial_tuberosity"] + [-0.004, 0.012, -0.004],
            th(0.25, 170, 0.042),
            th(0.6, 150, 0.042),
            th(0.92, 130, 0.036),
            a["fibula_head"] + [-0.006, 0.004, 0.006],
        ],
        0.018,
        0.016,
        thigh,
        belly=0.55,
    )
    fusiform(
        "semitendinosus_r",
        [
            a["ischial_tuberosity"] + [0.002, 0.014, -0.008],
            th(0.3, 200, 0.046),
            th(0.65, 215, 0.045),
            th(0.95, 235, 0.04),
            a["pes_anserinus"] + [0.006, 0.008, -0.012],
        ],
        0.016,
        0.013,
        thigh,
        belly=0.35,
    )
    gastro_m, _ = spindle(
        body,
        [
            a["medial_condyle_back"] + [0.0, 0.01, 0.012],
            lg(0.25, 205, 0.038),
            lg(0.5, 185, 0.032),
            lg(0.85, 180, 0.024),
            a["calcaneal_tuberosity"] + [0.0, 0.004, 0.008],
        ],
        0.019,
        0.015,
        leg,
        belly=0.3,
    )
    gastro_l, gpath = spindle(
        body,
        [
            a["lateral_condyle_back"] + [0.0, 0.01, 0.012],
            lg(0.25, 158, 0.036),
            lg(0.5, 175, 0.032),
            lg(0.85, 180, 0.024),
            a["calcaneal_tuberosity"] + [0.0, 0.004, 0.008],
        ],
        0.016,
        0.013,
        leg,
        belly=0.28,
    )
    gastrocnemius = lambda p: smooth_min(gastro_m(p), gastro_l(p), 0.008)  # noqa: E731
    lo, hi = _box(gpath, 0.045)
    m["gastrocnemius_r"] = Muscle(_carved(body, lambda grid, p: gastrocnemius(p)), lo, hi)
    soleus, spath = spindle(
        body,
        [
            a["fibula_head"] + [0.004, 0.014, -0.02],
            lg(0.35, 175, 0.026),
            lg(0.6, 180, 0.024),
            lg(0.85, 180, 0.02),
            a["calcaneal_tuberosity"] + [0.0, 0.002, 0.012],
        ],
        0.026,
        0.012,
        leg,
        belly=0.5,
    )
    lo, hi = _box(spath, 0.04)
    m["soleus_r"] = Muscle(
        _carved(body, lambda grid, p: smooth_max(soleus(p), -(gastrocnemius(p) - 0.001), 0.004)),
        lo,
        hi,
    )
    fusiform(
        "tibialis_anterior_r",
        [
            a["tibia_lateral_condyle"] + [0.002, -0.014, -0.03],
            lg(0.3, 40, 0.023),
            lg(0.65, 22, 0.021),
            lg(0.9, 355, 0.021),
            a["ankle"] + [0.014, -0.03, 0.002],
            a["cuneiform_medial"] + [0.005, -0.002, 0.009],
        ],
        0.012,
        0.012,
        leg,
        belly=0.35,
    )
    fusiform(
        "extensor_digitorum_longus_r",
        [
            a["fibula_head"] + [0.004, -0.016, -0.02],
            lg(0.35, 72, 0.025),
            lg(0.7, 55, 0.021),
            a["ankle"] + [-0.006, -0.033, 0.004],
            a["toe_3_distal"] + [0.0, 0.03, 0.018],
        ],
        0.01,
        0.008,
        leg,
        belly=0.35,
        pitch=0.002,
    )
    fusiform(
        "fibularis_longus_r",
        [
            a["fibula_head"] + [-0.008, 0.002, -0.01],
            lg(0.35, 100, 0.023),
            lg(0.7, 112, 0.019),
            a["lateral_malleolus"] + [-0.006, 0.011, 0.008],
            a["metatarsal_5_base"] + [-0.006, 0.01, -0.002],
        ],
        0.011,
        0.009,
        leg,
        belly=0.3,
        pitch=0.002,
    )

    # ---- neck
    neck_axis = (v["c7"].body, v["c1"].body)
    c4 = body.prevertebral(body.level("c4", 0.5), -0.046, 0.012)
    sternal, _ = spindle(
        body,
        [
            a["jugular_notch"] + [-0.012, -0.012, 0.004],
            body.prevertebral(body.level("c7", 0.8), -0.028, 0.038),
            c4,
            a["mastoid"] + [0.002, -0.004, 0.002],
        ],
        0.009,
        0.006,
        neck_axis,
        belly=0.45,
    )
    clavicular, scm_path = spindle(
        body,
        [
            _lerp(a["clavicle_medial"], a["clavicle_lateral"], 0.22) + [0.0, -0.004, 0.011],
            body.prevertebral(body.level("c7", 0.9), -0.045, 0.03),
            c4 + [0, 0.004, 0],
            a["mastoid"] + [0.002, -0.002, 0.0],
        ],
        0.01,
        0.005,
        neck_axis,
        belly=0.4,
    )
    lo, hi = _box(np.vstack([scm_path, a["jugular_notch"][None]]), 0.025)
    m["sternocleidomastoid_r"] = Muscle(
        _carved(body, lambda grid, p: smooth_min(sternal(p), clavicular(p), 0.006)), lo, hi, 0.002
    )

    head, back = body.upright_head()
    head_muscles: dict[str, Muscle] = {}
    _head_muscles(head, head_muscles)
    for name, muscle in head_muscles.items():
        muscle.transform = back
        m[name] = muscle
    _shoulder_and_trunk_muscles(body, m, axes)
    _hip_muscles(body, m)
    return m


def _head_chart(body: Body) -> Chart:
    lo, hi = body.a["skull_lo"], body.a["skull_hi"]
    centre = np.array([0.0, 0.5 * (lo[1] + hi[1]) + 0.01, lo[2]])
    return Chart(centre, centre + Z, 0.08)


def _head_muscles(body: Body, m: dict[str, Muscle]) -> None:
    a = body.a
    chart = _head_chart(body)
    orbit = _orbit_centre(body)
    lo, hi = a["skull_lo"], a["skull_hi"]
    front = float(lo[1])
    skull = lambda grid, p: body.bone_field(grid, ("skull",))  # noqa: E731
    skull_jaw = lambda grid, p: body.bone_field(grid, ("skull", "mandible"))  # noqa: E731

    # frontalis: over the frontal bone from the brows to the coronal region
    top = float(a["vertex"][2])
    outline = [
        [-0.005, front, orbit[2] + 0.016],
        [-0.046, front + 0.012, orbit[2] + 0.018],
        [-0.05, front + 0.03, top - 0.034],
        [-0.005, front + 0.03, top - 0.012],
    ]
    field = _sheet_field(body, skull, chart, outline, 0.0035, 0.0008)
    m["frontalis_r"] = Muscle(
        field,
        np.array([-0.065, lo[1] - 0.01, orbit[2]]),
        np.array([0.0, a["vertex"][1], top + 0.01]),
        0.0015,
    )

    # temporalis: a fan from the temporal fossa under the zygomatic arch to the coronoid
    zyg = a["zygomatic_arch"]
    outline = [
        [-0.06, orbit[1] + 0.022, orbit[2] + 0.012],
        [-0.065, 0.5 * (lo[1] + hi[1]), top - 0.036],
        [-0.06, a["mastoid"][1] + 0.012, zyg[2] + 0.022],
        [-0.06, a["condyle"][1] - 0.004, zyg[2] - 0.004],
        a["coronoid"] + [0.0, 0.004, -0.012],
        a["coronoid"] + [0.0, -0.01, -0.004],
    ]
    thick = lambda u, v: 0.004 + 0.006 * np.clip((top - 0.02 - v) / 0.06, 0, 1)  # noqa: E731
    field = _sheet_field(body, skull_jaw, chart, outline, thick, 0.0008)
    m["temporalis_r"] = Muscle(
        field,
        np.array([-0.085, orbit[1], a["coronoid"][2] - 0.02]),
        np.array([-0.02, a["mastoid"][1] + 0.03, top]),
        0.0018,
    )

    # masseter: from the zygomatic arch to the lateral ramus and angle of the mandible
    outline = [
        [-0.06, a["coronoid"][1] - 0.012, zyg[2] - 0.004],
        [-0.066, a["condyle"][1] - 0.008, zyg[2] - 0.006],
        a["mandible_angle"] + [0.0, 0.004, 0.002],
        a["mandible_angle"] + [0.0, -0.028, 0.0],
    ]
    field = _sheet_field(body, skull_jaw, chart, outline, 0.009, 0.0008)
    m["masseter_r"] = Muscle(
        field,
        np.array([-0.085, a["coronoid"][1] - 0.03, a["mandible_angle"][2] - 0.015]),
        np.array([-0.02, a["condyle"][1] + 0.01, zyg[2] + 0.01]),
        0.0018,
    )

    # orbicularis oculi: a flat ring on the orbital margin, turned a little outward
    centre = orbit + np.array([0.0, 0.001, 0.0])
    normal = _unit(np.array([0.35, 1.0, 0.0]))

    def oculi(grid, p):
        d = _ring(p, centre, normal, 0.017, 0.0145, 0.0055, 0.0018)
        return np.maximum(d, 0.0005 - body.bone_field(grid, ("skull",)))

    m["orbicularis_oculi_r"] = Muscle(oculi, centre - 0.035, centre + 0.035, 0.0012)


def _orbicularis_oris(body: Body) -> Muscle:
    a = body.a
    teeth = a["incisors_low"]
    centre = np.array([0.0, teeth[1] - 0.012, teeth[2] + 0.004])

    def field(grid, p):
        d = _ring(p, centre, Y, 0.024, 0.011, 0.005, 0.004, bend=18.0)
        return np.maximum(d, 0.0008 - body.bone_field(grid, ("skull", "mandible")))

    return Muscle(field, centre - [0.04, 0.03, 0.03], centre + [0.04, 0.03, 0.03], 0.0012)


def _shoulder_and_trunk_muscles(body: Body, m: dict[str, Muscle], axes) -> None:
    a, v = body.a, body.v
    arm = axes["arm"]
    chart = trunk_chart(body)
    section = _trunk_section(body)
    clav = a["clavicle_medial"], a["clavicle_lateral"]

    def on_front(x, z):
        return np.array([x, float(section.at(z)[1]), z])

    # deltoid: over the shoulder from the lateral clavicle, acromion and spine to the deltoid
    # tuberosity, wrapping the humeral head
    head_r = float(np.linalg.norm(a["humerus_top"] - a["shoulder"])) + 0.004
    dchart = Chart(around(*arm, 0.42, 0, 0.0), a["shoulder"] + [0.07, 0.0, 0.07], 0.05)
    outline = [
        _lerp(*clav, 0.62) + [0.0, -0.006, 0.004],
        clav[1] + [0.0, -0.004, 0.008],
        a["acromion"] + [-0.004, 0.0, 0.008],
        _lerp(a["acromion"], a["scapula_spine_root"], 0.35) + [0.0, 0.006, 0.004],
        _lerp(a["acromion"], a["scapula_spine_root"], 0.55) + [0.0, 0.008, 0.0],
        around(*arm, 0.22, 215, 0.03),
        a["deltoid_tuberosity"] + [-0.002, 0.004, -0.006],
        a["deltoid_tuberosity"] + [-0.002, -0.006, -0.004],
        around(*arm, 0.18, 330, 0.03),
    ]
    shoulder_bones = ("humerus_r", "scapula_r", "clavicle_r")

    def deltoid_base(grid, p):
        head = np.linalg.norm(p - a["shoulder"], axis=-1) - head_r
        return smooth_min(body.bone_field(grid, shoulder_bones), head, 0.01)

    dv_top = dchart.uv(a["acromion"][None])[1][0]
    dv_bot = dchart.uv(a["deltoid_tuberosity"][None])[1][0]

    def thick(u, v):  # thickest over the middle of the shoulder, thin at both ends
        t = np.clip((v - dv_bot) / (dv_top - dv_bot), 0, 1)
        return 0.005 + 0.013 * np.sin(np.pi * t) ** 0.6

    field = _sheet_field(body, deltoid_base, dchart, outline, thick, 0.0015, 0.006)
    lo, hi = _box(np.vstack([np.array(outline), a["shoulder"][None]]), 0.035)
    m["deltoid_r"] = Muscle(_carved(body, field), lo, hi, 0.0022, SHEET_FACES)

    # infraspinatus: the infraspinous fossa to the greater tubercle
    outline = [
        a["scapula_spine_root"] + [0.0, 0.0, -0.01],
        _lerp(a["scapula_spine_root"], a["acromion"], 0.5) + [0.0, 0.0, -0.014],
        a["greater_tubercle"] + [0.004, 0.014, -0.004],
        _lerp(a["shoulder"], a["scapula_inferior_angle"], 0.4) + [-0.012, 0.0, 0.0],
        a["scapula_inferior_angle"] + [0.0, 0.0, 0.012],
        a["scapula_medial_border"] + [0.002, 0.0, -0.02],
    ]
    base = _bones_and_wall(body, ("scapula_r", "humerus_r") + TRUNK_BONES, wall=True)
    infraspinatus = _sheet_field(body, base, chart, outline, 0.014, 0.001)
    lo, hi = _box(outline, 0.04)
    m["infraspinatus_r"] = Muscle(_carved(body, infraspinatus), lo, hi, 0.0022, SHEET_FACES)

    # serratus anterior: digitations on ribs 1-9, passing deep to the scapula to its
    # medial border
    outline = [
        a["rib2_side"] + [0.0, 0.02, 0.012],
        a["scapula_superior_angle"] + [0.0, -0.006, -0.01],
        a["scapula_medial_border"] + [-0.004, -0.004, 0.0],
        a["scapula_inferior_angle"] + [0.004, -0.004, -0.01],
        a["rib9_side"] + [0.0, 0.02, -0.014],
        _lerp(a["rib8_side"], a["rib8_front"], 0.3),
        _lerp(a["rib6_side"], a["rib6_front"], 0.42),
        _lerp(a["rib4_side"], a["rib4_front"], 0.38),
        _lerp(a["rib2_side"], a["rib2_front"], 0.2),
    ]
    base = _bones_and_wall(body, TRUNK_BONES[:24] + ("sternum",), wall=True)
    serratus = _sheet_field(body, base, chart, outline, 0.0055, 0.001)
    lo, hi = _box(outline, 0.035)
    m["serratus_anterior_r"] = Muscle(_carved(body, serratus), lo, hi, 0.002, SHEET_FACES)

    # pectoralis major: clavicle, sternum and upper costal cartilages, converging in front of
    # the axilla to the lateral lip of the bicipital groove
    notch = a["jugular_notch"]
    outline = [
        a["clavicle_medial"] + [0.0, -0.008, -0.002],
        _lerp(*clav, 0.45) + [0.0, -0.01, -0.006],
        _lerp(*clav, 0.6) + [0.0, -0.012, -0.018],
        a["rib4_side"] + [0.012, -0.05, 0.02],
        a["rib5_side"] + [0.02, -0.045, -0.012],
        a["rib6_front"] + [0.0, -0.004, -0.012],
        on_front(-0.012, float(a["xiphoid"][2]) + 0.012),
        on_front(-0.006, float(notch[2]) - 0.01),
    ]
    base = _with_deeper(
        _bones_and_wall(body, TRUNK_BONES[:24] + ("sternum", "clavicle_r"), wall=True), [serratus]
    )
    chest = _sheet_field(body, base, chart, outline, 0.012, 0.001, 0.008)
    insertion = around(*arm, 0.16, 40, 0.012)
    fold = a["shoulder"] + [0.04, -0.055, -0.06]
    band, bpath = spindle(
        body,
        [a["rib4_side"] + [0.03, -0.06, 0.0], fold, insertion],
        0.03,
        0.007,
        (a["shoulder"] + [0.1, 0.1, 0.0], a["shoulder"] + [0.1, 0.1, -0.1]),
        belly=0.2,
        tendon=0.35,
    )
    pec = lambda grid, p: smooth_min(chest(grid, p), band(p), 0.012)  # noqa: E731
    lo, hi = _box(np.vstack([outline, bpath]), 0.035)
    m["pectoralis_major_r"] = Muscle(_carved(body, pec), lo, hi, 0.0022, SHEET_FACES)

    # rectus abdominis: pubic crest to the xiphoid and 5th-7th costal cartilages
    sym = a["pubic_symphysis"]
    z_top = float(a["rib6_front"][2])
    outline = [
        on_front(-0.004, float(sym[2]) + 0.006),
        on_front(-0.028, float(sym[2]) + 0.01),
        on_front(-0.045, 0.5 * (float(sym[2]) + z_top)),
        on_front(-0.072, z_top - 0.004),
        on_front(-0.05, z_top + 0.02),
        on_front(-0.004, float(a["xiphoid"][2]) + 0.004),
    ]
    umbilicus = body.disc("l3", "l4")
    grooves = (umbilicus, 0.5 * (umbilicus + float(a["xiphoid"][2])), float(a["xiphoid"][2]) - 0.02)
    base = _bones_and_wall(body, TRUNK_BONES[:24] + ("sternum", "hip_bone_r"), wall=True)
    rectus_sheet = _sheet_field(body, base, chart, outline, 0.009, 0.001)

    def rectus(grid, p):
        d = rectus_sheet(grid, p)
        for z in grooves:  # tendinous intersections: shallow transverse grooves
            d = d + 0.0035 * np.exp(-(((p[..., 2] - z) / 0.0025) ** 2))
        return d

    lo, hi = _box(outline, 0.04)
    m["rectus_abdominis_r"] = Muscle(_carved(body, rectus), lo, hi, 0.0022, SHEET_FACES)

    # external oblique: ribs 5-12 to the iliac crest, the muscular part ending at the
    # midclavicular line in front and a free border behind
    margin = a["costal_margin"]
    mcl = margin[np.argmin(np.abs(margin[:, 0] + 0.07))]
    outline = [
        _lerp(a["rib5_side"], a["rib5_front"], 0.45),
        mcl + [0.0, -0.004, 0.0],
        on_front(-0.075, float(a["asis"][2]) + 0.03),
        a["asis"] + [0.006, -0.004, 0.012],
        a["iliac_crest_lateral"] + [0.0, 0.0, 0.012],
        a["iliac_tubercle"] + [0.0, 0.02, 0.008],
        a["rib12_front"] + [0.0, 0.004, -0.006],
        a["rib10_side"] + [0.0, 0.03, 0.0],
        a["rib8_side"] + [0.0, 0.016, 0.0],
        a["rib6_side"] + [0.0, -0.004, 0.0],
    ]
    base = _with_deeper(
        _bones_and_wall(body, TRUNK_BONES[:24] + ("sternum", "hip_bone_r"), wall=True), [serratus]
    )
    oblique = _sheet_field(body, base, chart, outline, 0.007, 0.001)
    lo, hi = _box(outline, 0.04)
    m["external_oblique_r"] = Muscle(_carved(body, oblique), lo, hi, 0.0022, SHEET_FACES)

    # latissimus dorsi: spines T7-L5, thoracolumbar fascia, iliac crest and lower ribs,
    # sweeping up round the lower border of the axilla to the floor of the bicipital groove
    outline = [
        v["t7"].spine + [-0.003, 0.0, 0.0],
        v["l3"].spine + [-0.003, 0.0, 0.0],
        a["psis"] + [0.0, 0.0, 0.03],
        _lerp(a["iliac_crest_top"], a["iliac_crest_lateral"], 0.3) + [0.0, 0.02, 0.005],
        a["rib11_side"] + [0.0, 0.0, 0.0],
        a["rib9_side"] + [0.0, 0.03, 0.01],
        a["scapula_inferior_angle"] + [-0.03, -0.01, 0.025],
        a["scapula_inferior_angle"] + [0.012, 0.0, 0.0],
    ]
    base = _with_deeper(
        _bones_and_wall(body, TRUNK_BONES + ("scapula_r",), wall=True),
        [serratus, oblique, infraspinatus],
    )
    back = _sheet_field(body, base, chart, outline, 0.008, 0.001, 0.008)
    axilla_back = a["shoulder"] + [0.035, 0.045, -0.085]
    band, bpath = spindle(
        body,
        [
            a["scapula_inferior_angle"] + [-0.03, 0.004, 0.01],
            axilla_back,
            around(*arm, 0.1, 250, 0.022),
            around(*arm, 0.13, 310, 0.012),
        ],
        0.028,
        0.008,
        (a["shoulder"] + [0.1, 0.0, 0.1], a["shoulder"] + [0.1, 0.0, -0.2]),
        belly=0.2,
        tendon=0.35,
    )
    lat = lambda grid, p: smooth_min(back(grid, p), band(p), 0.012)  # noqa: E731
    lo, hi = _box(np.vstack([outline, bpath]), 0.035)
    m["latissimus_dorsi_r"] = Muscle(_carved(body, lat), lo, hi, 0.0025, SHEET_FACES)

    # trapezius: occiput, nuchal ligament and spines C7-T12 to the lateral clavicle, acromion
    # and scapular spine
    inion = a["inion"]
    outline = [
        np.array([-0.003, inion[1], inion[2]]),
        np.array([-0.03, inion[1] - 0.012, inion[2] - 0.01]),
        _lerp(*clav, 0.66) + [0.0, 0.012, 0.008],
        clav[1] + [0.0, 0.006, 0.008],
        a["acromion"] + [0.0, 0.006, 0.01],
        _lerp(a["acromion"], a["scapula_spine_root"], 0.5) + [0.0, 0.01, 0.008],
        a["scapula_spine_root"] + [0.006, 0.004, 0.0],
        v["t12"].spine + [-0.003, 0.0, 0.0],
        v["t6"].spine + [-0.003, 0.0, 0.0],
        v["c7"].spine + [-0.003, 0.0, 0.0],
        v["c3"].spine + [-0.003, 0.0, 0.0],
    ]
    base = _with_deeper(
        _bones_and_wall(body, TRUNK_BONES + ("scapula_r", "clavicle_r", "skull"), wall=True),
        [infraspinatus],
    )
    trapezius = _sheet_field(body, base, chart, outline, 0.008, 0.001)
    lo, hi = _box(outline, 0.035)
    m["trapezius_r"] = Muscle(_carved(body, trapezius), lo, hi, 0.0025, SHEET_FACES)


def _hip_muscles(body: Body, m: dict[str, Muscle]) -> None:
    a = body.a
    fe = _verts(body.bones, "femur_r")
    hip = a["hip"]
    centre = np.array([0.0, float(a["hip"][1]) + 0.02, 0.0])
    chart = Chart(centre, centre + Z, 0.1)
    pelvis = ("hip_bone_r", "sacrum", "femur_r", "l5", "l4")

    # gluteus medius: outer ilium under the crest to the greater trochanter
    outline = [
        a["asis"] + [-0.004, 0.03, 0.0],
        a["iliac_tubercle"] + [0.0, 0.0, 0.004],
        _lerp(a["iliac_crest_top"], a["psis"], 0.45) + [-0.004, 0.0, 0.0],
        a["greater_trochanter_top"] + [0.0, 0.016, 0.0],
        a["greater_trochanter_top"] + [0.0, -0.014, -0.004],
    ]
    base = _bones_and_wall(body, pelvis, wall=False)
    medius = _sheet_field(body, base, chart, outline, 0.016, 0.001, 0.006)
    lo, hi = _box(outline, 0.04)
    m["gluteus_medius_r"] = Muscle(_carved(body, medius), lo, hi, 0.0025, SHEET_FACES)

    # gluteus maximus: posterior ilium, sacrum and coccyx down and out over the greater
    # trochanter to the gluteal tuberosity and the iliotibial tract
    tuberosity = shaft_centre(fe, hip[2] - 0.11) + [-0.014, 0.014, 0.0]
    outline = [
        a["psis"] + [0.0, 0.004, 0.02],
        _lerp(a["psis"], a["iliac_crest_top"], 0.4) + [0.0, 0.006, 0.006],
        a["greater_trochanter_top"] + [-0.006, 0.012, 0.01],
        tuberosity + [-0.006, 0.0, -0.03],
        a["ischial_tuberosity"] + [0.0, 0.012, -0.035],
        a["sacrum_tip"] + [0.0, 0.012, -0.012],
        a["sacrum_back"] + [-0.002, 0.0, 0.02],
    ]
    sciatic_path = _sciatic_path(body)
    deep = lambda grid, p: polyline_distance(p, sciatic_path, 0.012)  # noqa: E731

    def gmax_base(grid, p):
        d = smooth_min(body.bone_field(grid, pelvis), deep(grid, p), 0.02)
        return smooth_min(d, medius(grid, p), 0.01)

    maximus = _sheet_field(body, gmax_base, chart, outline, 0.022, 0.001, 0.008)
    lo, hi = _box(outline, 0.045)
    m["gluteus_maximus_r"] = Muscle(_carved(body, maximus), lo, hi, 0.0025, SHEET_FACES)


def _mesh_muscle(name: str, muscle: Muscle) -> trimesh.Trimesh:
    mesh = mesh_field(
        muscle.field, muscle.lo, muscle.hi, muscle.pitch, muscle.faces, name=name, smoothing=10
    )
    return _posed(mesh, muscle.transform)


def _posed(mesh: trimesh.Trimesh, transform: np.ndarray | None) -> trimesh.Trimesh:
    if transform is None:
        return mesh
    return trimesh.Trimesh(
        trimesh.transform_points(mesh.vertices, transform), mesh.faces, process=False
    )


# --- the whole set ---------------------------------------------------------------------------


# Built on the right and mirrored: symmetric in the body. Everything else paired (kidneys,
# ureters, carotid and subclavian arteries, common iliac arteries, phrenic and vagus nerves)
# is built on its own side.
_MIRRORED_VESSELS_AND_NERVES = (
    "internal_jugular_vein_r",
    "subclavian_vein_r",
    "brachial_artery_r",
    "femoral_artery_r",
    "femoral_vein_r",
    "median_nerve_r",
    "ulnar_nerve_r",
    "radial_nerve_r",
    "sciatic_nerve_r",
    "femoral_nerve_r",
    "brachial_plexus_r",
)


def _require_build_tools() -> None:
    try:
        import scipy.ndimage  # noqa: F401
        import skimage.measure  # noqa: F401
    except ImportError as exc:
        raise AnatomyError(
            "the schematic structures need scikit-image and scipy "
            f"(the asset venv .venv-assets): {exc}",
            f"示意结构生成需要 scikit-image 和 scipy（资源虚拟环境 .venv-assets）：{exc}",
        ) from exc


def schematic_ids() -> list[str]:
    """The catalog ids this module builds: every schematic entry whose source is ours."""
    from anatomy.catalog import load_catalog

    return sorted(
        s.structure_id
        for s in load_catalog().structures.values()
        if s.schematic and s.source.startswith("MedVR schematic")
    )


def build_schematic(
    bones: dict[str, trimesh.Trimesh],
    joints: dict[str, np.ndarray],
    *,
    only: Iterable[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, trimesh.Trimesh]:
    """Every schematic organ, vessel, nerve and superficial muscle, fitted to a skeleton.

    ``bones``: id -> closed bone mesh in the MedVR frame (as from ``extract_bones``).
    ``joints``: ``hip_r``, ``knee_r``, ``ankle_r``, ``shoulder_r``, ``elbow_r`` and
    ``wrist_r`` centres (as from ``joint_centres``; the left ones are not needed).
    ``only``: build just these ids (all of :func:`schematic_ids` by default).
    ``progress``: called with each id as it is done.
    Returns id -> closed mesh, sorted by id; the same input gives the same vertices.
    """
    wanted = set(schematic_ids() if only is None else only)
    unknown = sorted(wanted - set(schematic_ids()))
    if unknown:
        raise AnatomyError(
            f"not a schematic structure: {', '.join(unknown)}",
            f"不是示意结构：{', '.join(unknown)}",
        )
    _require_build_tools()
    body = Body(bones, joints)
    note = progress or (lambda _name: None)
    out: dict[str, trimesh.Trimesh] = {}
    muscles = _right_muscles(body)
    mirrored = set(_MIRRORED_VESSELS_AND_NERVES) | set(muscles)

    def wants(name: str) -> bool:
        mirror = name[:-2] + "_l" if name.endswith("_r") else None
        return name in wanted or (mirror in wanted and name in mirrored)

    def add(name: str, mesh: trimesh.Trimesh) -> None:
        if name in wanted:
            out[name] = mesh
            note(name)
        mirror = name[:-2] + "_l"
        if name.endswith("_r") and mirror in wanted and name in mirrored:
            out[mirror] = mirror_left(mesh)
            note(mirror)

    organs = {
        "diaphragm": _diaphragm,
        "liver": _liver,
        "gallbladder": _gallbladder,
        "spleen": _spleen,
        "pancreas": _pancreas,
        "cerebrum": lambda b: _posed(_cerebrum(b.upright_head()[0]), b.upright_head()[1]),
        "cerebellum": lambda b: _posed(_cerebellum(b.upright_head()[0]), b.upright_head()[1]),
        "trachea": _trachea,
        "thyroid_gland": _thyroid,
        "kidney_l": lambda b: _kidney(b, "l"),
        "kidney_r": lambda b: _kidney(b, "r"),
        "ureter_l": lambda b: _ureter(b, "l"),
        "ureter_r": lambda b: _ureter(b, "r"),
        "prostate": _prostate,
    }
    for name, make in organs.items():
        if wants(name):
            add(name, make(body))
    for group in (_vessels, _nerves):
        made = group(body, wants)
        for name in sorted(made):
            add(name, made[name])
    if wants("brachial_plexus_r"):
        add("brachial_plexus_r", _brachial_plexus(body))
    for name, muscle in muscles.items():
        if wants(name):
            add(name, _mesh_muscle(name, muscle))
    if wants("orbicularis_oris"):
        head, back = body.upright_head()
        oris = _orbicularis_oris(head)
        oris.transform = back
        add("orbicularis_oris", _mesh_muscle("orbicularis_oris", oris))
    return dict(sorted(out.items()))


def main() -> None:
    """Builds the set on the myo-sim skeleton and prints counts, triangles and time."""
    from anatomy.pipeline.skeleton import extract_bones, joint_centres

    start = time.perf_counter()
    bones, joints = extract_bones(), joint_centres()
    loaded = time.perf_counter()
    meshes = build_schematic(bones, joints)
    built = time.perf_counter()
    expected = set(schematic_ids())
    print(f"skeleton {loaded - start:.1f} s, schematic set {built - loaded:.1f} s")
    faces = sum(len(m.faces) for m in meshes.values())
    print(f"{len(meshes)} structures ({len(expected)} in the catalog), {faces} triangles")
    missing = sorted(expected - set(meshes))
    print(f"missing: {' '.join(missing) or 'none'}")
    for name, mesh in meshes.items():
        print(
            f"  {name:34} {len(mesh.faces):5} faces  {mesh.volume * 1e6:8.1f} mL  "
            f"watertight={mesh.is_watertight!s:5} centroid={np.round(mesh.centroid, 3)}"
        )


if __name__ == "__main__":
    main()
