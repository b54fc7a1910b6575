"""Where the references of a placement rule lie on one body: landmarks, bony and facial
anchors, points along bones, and the skin and ribcage the rules project onto.

Everything is computed from the body's own meshes (its skin, its fitted bones) and its
landmarks, so the same rule lands in the right place on every body shape. How each anchor
is found is written beside it below; the facial ones are hm08 skin vertex sets
(``acupuncture.face_vertices``).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import trimesh

from acupuncture.anchor_names import ANCHOR_NAMES
from acupuncture.errors import AcupunctureError
from anatomy.body_model import Body

UP = np.array([0.0, 0.0, 1.0])
ANTERIOR = np.array([0.0, -1.0, 0.0])
FOOT_BONES = ("calcaneus", "talus", "navicular", "cuboid", "cuneiform", "metatarsal", "toe_")
COCCYX_LENGTH = 0.035  # m: the bone set has no coccyx; adults' measures 3-4 cm
ICS_STEP = 0.0015  # m between the heights scanned for the rib bands
FIRST_SPACE_CUN = 2.0  # the 1st intercostal space below the suprasternal notch (CV20)
SPACE_CUN = 1.6  # between consecutive spaces on the sternum (CV20 … CV17)


def side_sign(side: str | None) -> float:
    return {"l": 1.0, "r": -1.0}.get(side or "", 0.0)


def direction(name: str, side: str | None) -> np.ndarray:
    """A body direction for a point on ``side`` ("l", "r" or None for the midline)."""
    s = side_sign(side)
    if name in ("lateral", "medial") and s == 0.0:
        raise AcupunctureError(f"{name} has no meaning on the midline", f"正中线上没有“{name}”方向")
    table = {
        "up": UP,
        "down": -UP,
        "anterior": ANTERIOR,
        "posterior": -ANTERIOR,
        "lateral": np.array([s, 0.0, 0.0]),
        "medial": np.array([-s, 0.0, 0.0]),
    }
    return table[name]


def _sided(name: str, side: str | None, known) -> str:
    if name in known:
        return name
    if side is not None and f"{name}_{side}" in known:
        return f"{name}_{side}"
    raise AcupunctureError(f"no {name!r} on this body", f"身体上没有 {name!r}")


# Unpaired anchors lie on the midline by definition; their bones' few millimetres of fit
# asymmetry must not pull a point to one side.
_ON_MIDLINE = np.array([0.0, 1.0, 1.0])


def _number_bands(named: list[int | None]) -> list[int]:
    """Rib numbers for bands from the top down: the named ones as named, the others
    counted on from the nearest named band above (or back from one below)."""
    out: list[int | None] = list(named)
    known = [i for i, v in enumerate(out) if v is not None]
    if not known:
        return list(range(1, len(out) + 1))
    for i in range(len(out)):
        if out[i] is None:
            above = [j for j in known if j < i]
            if above:
                out[i] = out[above[-1]] + (i - above[-1])
            else:
                below = known[0]
                out[i] = out[below] - (below - i)
    return out


class _Intersector:
    """All hits of rays against one mesh (Embree where available)."""

    def __init__(self, mesh: trimesh.Trimesh):
        try:
            from trimesh.ray.ray_pyembree import RayMeshIntersector
        except Exception:  # embreex missing
            from trimesh.ray.ray_triangle import RayMeshIntersector
        self.mesh = mesh
        self.ray = RayMeshIntersector(mesh)

    def hits(self, origins: np.ndarray, directions: np.ndarray):
        """(triangle, ray index, location) of every crossing."""
        return self.ray.intersects_id(
            np.atleast_2d(origins),
            np.atleast_2d(directions),
            multiple_hits=True,
            return_locations=True,
        )

    def first(self, origins: np.ndarray, directions: np.ndarray):
        return self.ray.intersects_id(
            np.atleast_2d(origins),
            np.atleast_2d(directions),
            multiple_hits=False,
            return_locations=True,
        )


class BodyAnchors:
    """The references of placement rules, resolved on one body."""

    def __init__(self, body: Body):
        self.body = body
        self.landmarks = body.landmarks
        self.skin_mesh = body.mesh("skin")
        self.skin = _Intersector(self.skin_mesh)
        # Plain arrays: trimesh re-hashes its tracked arrays on every property access.
        self._verts = np.array(self.skin_mesh.vertices)
        self._faces = np.array(self.skin_mesh.faces)
        self._face_normals = np.array(self.skin_mesh.face_normals)
        self._vertex_normals = np.array(self.skin_mesh.vertex_normals)
        self._tree = self.skin_mesh.kdtree  # trimesh's own (scipy) k-d tree of the vertices
        self._anchor_cache: dict[str, np.ndarray] = {}

    # references ------------------------------------------------------------------------
    def resolve(self, ref: str, side: str | None, points=None) -> np.ndarray:
        """The position of ``lm:``, ``an:`` or ``bone:`` (``pt:`` through ``points``)."""
        kind, _, name = ref.partition(":")
        if kind == "lm":
            return np.asarray(self.landmarks[_sided(name, side, self.landmarks)], dtype=float)
        if kind == "an":
            if not ANCHOR_NAMES[name][0]:
                return self.anchor(name) * _ON_MIDLINE
            return self._both_sides(lambda s: self.anchor(f"{name}_{s}"), side)
        if kind == "bone":
            bone = name.split(":")[0]
            if bone in self.body.structures and not bone.endswith(("_l", "_r")):  # unpaired
                return self.bone_point(name, side) * _ON_MIDLINE
            if side is None:
                return self.bone_point(name, side)
            return self._both_sides(lambda s: self.bone_point(name, s), side)
        if kind == "pt" and points is not None:
            return points(name, side)
        raise AcupunctureError(f"cannot resolve {ref!r}", f"无法解析 {ref!r}")

    def _both_sides(self, find, side: str) -> np.ndarray:
        """A paired anchor as the mean of its own side and the other side mirrored.

        The skin is symmetric but the bones are fitted side by side and differ by a few
        millimetres; a point must not move because of which side it is on.
        """
        mirror = np.array([-1.0, 1.0, 1.0])
        other = "r" if side == "l" else "l"
        return (np.asarray(find(side), dtype=float) + np.asarray(find(other)) * mirror) / 2

    # bones -----------------------------------------------------------------------------
    def bone_vertices(self, bone: str, side: str | None) -> np.ndarray:
        sid = _sided(bone, side, self.body.structures)
        return self.body.structures[sid].vertices

    def bone_axis(self, bone: str, side: str | None) -> tuple[np.ndarray, np.ndarray]:
        """(proximal end, distal end) of a bone's long axis, on the axis through its centre.

        Proximal is the upper end for limb and hand bones (they hang down in the
        anatomical position) and the heel end (+Y) for foot bones.
        """
        v = self.bone_vertices(bone, side)
        centre = v.mean(axis=0)
        _, _, vt = np.linalg.svd(v - centre, full_matrices=False)
        axis = vt[0]
        up = -ANTERIOR if bone.startswith(FOOT_BONES) else UP
        if axis @ up < 0:
            axis = -axis
        t = (v - centre) @ axis
        return centre + axis * t.max(), centre + axis * t.min()

    def bone_point(self, spec: str, side: str | None) -> np.ndarray:
        """``<bone>:<where>[:<dir>]``: a point on the axis, or the extreme vertex near it."""
        parts = spec.split(":")
        bone, where = parts[0], parts[1]
        v = self.bone_vertices(bone, side)
        if where == "extreme":
            d = direction(parts[2], side)
            return v[np.argmax(v @ d)]
        f = {"proximal": 0.0, "mid": 0.5, "distal": 1.0}.get(where)
        f = float(where) if f is None else f
        prox, dist = self.bone_axis(bone, side)
        at = prox + f * (dist - prox)
        if len(parts) == 2:
            return at
        d = direction(parts[2], side)
        length = np.linalg.norm(dist - prox)
        along = (v - prox) @ ((dist - prox) / max(length, 1e-9)) / max(length, 1e-9)
        near = np.abs(along - f) <= 0.15
        if not near.any():
            near = np.ones(len(v), dtype=bool)
        candidates = v[near]
        return candidates[np.argmax(candidates @ d)]

    # skin ------------------------------------------------------------------------------
    def project(self, p: np.ndarray, skin: str, side: str | None) -> tuple[np.ndarray, np.ndarray]:
        """The skin over ``p`` seen from ``skin`` (a direction or "nearest"): the surface
        point on the line through p, where the skin faces that way, nearest to p; and the
        outward skin normal there."""
        if skin == "nearest":
            _, i = self._tree.query(p)
            d = self._vertex_normals[i]
            hit = self._line_hit(p, d)
            if hit is None:
                return self._closest(p)
            return hit
        d = direction(skin, side)
        hit = self._line_hit(p, d)
        if hit is None:
            return self._closest(p)
        return hit

    def press(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Many points moved onto the skin along the nearest skin normal, at once: the
        surface positions and their outward normals."""
        points = np.atleast_2d(points)
        _, idx = self._tree.query(points)
        d = self._vertex_normals[idx]
        reach = 0.4
        tri, ray, loc = self.skin.hits(points - d * reach, d)
        out = points.copy()
        normals = d.copy()
        found = np.zeros(len(points), dtype=bool)
        if len(tri):
            outward = np.einsum("ij,ij->i", self._face_normals[tri], d[ray]) > 0
            tri, ray, loc = tri[outward], ray[outward], loc[outward]
            dist = np.linalg.norm(loc - points[ray], axis=1)
            order = np.lexsort((dist, ray))
            first = order[np.unique(ray[order], return_index=True)[1]]
            out[ray[first]] = loc[first]
            found[ray[first]] = True
            normals[ray[first]] = self._face_normals[tri[first]]
        for i in np.nonzero(~found)[0]:
            out[i], normals[i] = self._closest(points[i])
        return out, normals

    def _line_hit(self, p: np.ndarray, d: np.ndarray):
        reach = 0.4
        tri, _, loc = self.skin.hits(p - d * reach, d)
        if len(tri) == 0:
            return None
        normals = self._face_normals[tri]
        outward = normals @ d > 0.0  # leaving the body when moving along d
        if not outward.any():
            return None
        loc, tri = loc[outward], tri[outward]
        k = np.argmin(np.linalg.norm(loc - p, axis=1))
        return loc[k], self._normal_at(loc[k], tri[k])

    def _closest(self, p: np.ndarray):
        closest, _, tri = trimesh.proximity.closest_point(self.skin_mesh, [p])
        return closest[0], self._normal_at(closest[0], tri[0])

    def _normal_at(self, q: np.ndarray, tri: int) -> np.ndarray:
        face = self._faces[tri]
        corners = self._verts[face]
        bary = trimesh.triangles.points_to_barycentric(corners[None], q[None])[0]
        n = bary @ self._vertex_normals[face]
        return n / np.linalg.norm(n)

    def on_skin(self, p: np.ndarray, d: np.ndarray) -> np.ndarray | None:
        """First skin crossing of a ray from p along d."""
        tri, _, loc = self.skin.first(p, d)
        return loc[0] if len(tri) else None

    # ribs ------------------------------------------------------------------------------
    @cached_property
    def _costal(self):
        """Ribs and the sternum with its costal cartilages as one mesh, and for each of
        its triangles the rib number (0 for the sternum and cartilages)."""
        parts = [sid for sid in self.body.structures if sid.startswith("rib_") or sid == "sternum"]
        meshes = [self.body.mesh(sid) for sid in parts]
        numbers = [int(sid.split("_")[1]) if sid.startswith("rib_") else 0 for sid in parts]
        owner = np.repeat(numbers, [len(m.faces) for m in meshes])
        return _Intersector(trimesh.util.concatenate(meshes)), owner

    def front_intercostal_height(self, n: int) -> float:
        """Height of the n-th intercostal space on the front of the chest.

        The standard's sternal proportions: the 1st space lies 2 cun below the
        suprasternal notch and each next one 1.6 cun lower (CV20 to CV17 mark spaces 1 to
        4), in cun of the notch–xiphisternal span (9 cun). In a man the 4th space so
        found meets the nipples, as it should.
        """
        notch = self.landmarks["suprasternal_notch"][2]
        cun = (notch - self.landmarks["xiphisternal"][2]) / 9.0
        return notch - (FIRST_SPACE_CUN + SPACE_CUN * (n - 1)) * cun

    def intercostal_height(self, p: np.ndarray, n: int, skin: str, side: str | None) -> float:
        """Height of the n-th intercostal space where the skin faces ``skin``.

        On the front of the chest: ``front_intercostal_height``. On the side or the back
        the space's course around the chest comes from the fitted ribs: its rib-traced
        height on this line, moved by the difference between the standard's front height
        and the rib-traced one beside the sternum (the fitted cage fixes the slope of the
        ribs, the standard their level).
        """
        front = self.front_intercostal_height(n)
        if skin in ("anterior", "nearest") or side is None:
            return front
        try:
            here = self._rib_traced_height(p, n, skin, side)
            beside_sternum = self._rib_traced_height(
                np.array([0.03 * side_sign(side), p[1], front]), n, "anterior", side
            )
        except AcupunctureError:
            return front
        return here + (front - beside_sternum)

    def _rib_traced_height(self, p: np.ndarray, n: int, skin: str, side: str | None) -> float:
        """Height of the middle of the n-th intercostal space on the line through p, from
        the fitted ribs.

        Rays toward the body from the side ``skin`` faces are cast at every height of the
        cage against the ribs and costal cartilages. Each band they hit is a rib: named by
        the rib bone it crosses, or, where it crosses only cartilage, by counting on from
        its named neighbours (or from the top where none is named). Space n lies between
        rib n and rib n + 1.
        """
        costal, owner = self._costal
        d = direction(skin if skin != "nearest" else "anterior", side)
        cage = costal.mesh.vertices
        level = cage[np.abs(cage[:, 2] - p[2]) < 0.04]
        if len(level) == 0:
            level = cage
        across = np.nonzero((np.abs(d) < 0.5)[:2])[0]  # the axes the rays do not run along
        found: list = []
        # Beyond the cage's outline, or where a short upper rib does not reach this line,
        # the nearest line toward the cage's middle that crosses both ribs is used.
        for pull in (0.0, 0.15, 0.3, 0.45, 0.6):
            q = p.copy()
            for axis in across:
                low, high = level[:, axis].min(), level[:, axis].max()
                centre, half = (low + high) / 2, (high - low) / 2
                q[axis] = centre + np.clip(q[axis] - centre, -0.85 * half, 0.85 * half)
                q[axis] = q[axis] + (centre - q[axis]) * pull
            by_rib = self._rib_bands(q, d)
            found = sorted(by_rib)
            if n in by_rib and n + 1 in by_rib:
                height = (by_rib[n][1] + by_rib[n + 1][0]) / 2
                if side is not None:  # the same height on both sides (see _both_sides)
                    mirrored = q * np.array([-1.0, 1.0, 1.0])
                    d_other = d * np.array([-1.0, 1.0, 1.0])
                    other = self._rib_bands(mirrored, d_other)
                    if n in other and n + 1 in other:
                        height = (height + (other[n][1] + other[n + 1][0]) / 2) / 2
                return height
        raise AcupunctureError(
            f"intercostal space {n} not found (ribs found: {found})",
            f"未找到第 {n} 肋间隙（找到的肋：{found}）",
        )

    def _rib_bands(self, q: np.ndarray, d: np.ndarray) -> dict[int, list]:
        """{rib number: [top z, bottom z]} of the ribs a vertical line of rays through q
        along -d crosses on the cage's near wall."""
        costal, owner = self._costal
        cage = costal.mesh.vertices
        zs = np.arange(cage[:, 2].max() + 0.01, cage[:, 2].min() - 0.01, -ICS_STEP)
        origins = np.repeat(q[None], len(zs), axis=0)
        origins[:, 2] = zs
        origins = origins + d * 0.35
        tri, ray, loc = costal.first(origins, np.repeat(-d[None], len(zs), axis=0))
        # Only the near wall of the cage: a ray passing a gap must not count the far side.
        near = (loc - costal.mesh.bounds.mean(axis=0)) @ d > 0
        rib = np.full(len(zs), -1)
        rib[ray[near]] = owner[tri[near]]
        bands: list[list] = []  # [top z, bottom z, rib number or None]
        k = 0
        while k < len(zs):
            if rib[k] >= 0:
                start = k
                while k < len(zs) and rib[k] >= 0:
                    k += 1
                if k - start >= 2:  # ignore single grazing samples
                    named = rib[start:k][rib[start:k] > 0]
                    number = int(np.bincount(named).argmax()) if len(named) else None
                    bands.append([zs[start], zs[k - 1], number])
            k += 1
        numbers = _number_bands([b[2] for b in bands])
        return {num: b[:2] for num, b in zip(numbers, bands, strict=True)}

    # named anchors -------------------------------------------------------------------------
    def anchor(self, name: str) -> np.ndarray:
        if name not in self._anchor_cache:
            self._anchor_cache[name] = np.asarray(self._compute_anchor(name), dtype=float)
        return self._anchor_cache[name]

    def _compute_anchor(self, name: str) -> np.ndarray:
        side = name[-1] if name[-2:] in ("_l", "_r") else None
        base = name[:-2] if side else name
        if base.startswith("below_spinous_"):
            return self._below_spinous(base.removeprefix("below_spinous_"))
        if base.startswith("sacral_foramen_"):
            return self._sacral_foramen(int(base[-1]), side)
        if base.startswith(("nail_", "toenail_", "finger_tip_", "toe_tip_")):
            return self._digit(base, side)
        method = getattr(self, f"_an_{base}", None)
        if method is None:
            from acupuncture.face_vertices import FACE_VERTICES

            if name in FACE_VERTICES:
                return self._verts[list(FACE_VERTICES[name])].mean(axis=0)
            raise AcupunctureError(f"no way to find anchor {name!r}", f"无法确定定位点 {name!r}")
        return method(side)

    # vertebrae and sacrum: the depression below a spinous process is midway between its
    # tip and the next one's
    def _spinous_tip(self, v: str) -> np.ndarray:
        """The most posterior point of a vertebra on its midline (the spinous process,
        not the transverse processes or the ribs' heads beside it)."""
        if v == "s1":
            return self.bone_point("sacrum:0.0:posterior", None)
        verts = self.bone_vertices(v, None)
        midline = verts[np.abs(verts[:, 0]) < 0.006]
        if len(midline) == 0:
            midline = verts
        return midline[np.argmax(midline[:, 1])]

    def _below_spinous(self, v: str) -> np.ndarray:
        order = [f"c{i}" for i in range(1, 8)] + [f"t{i}" for i in range(1, 13)]
        order += [f"l{i}" for i in range(1, 6)] + ["s1"]
        nxt = order[order.index(v) + 1]
        return (self._spinous_tip(v) + self._spinous_tip(nxt)) / 2

    def _sacral_foramen(self, k: int, side: str | None) -> np.ndarray:
        """Posterior sacral foramina: at 20, 40, 60 and 78 % down the sacrum's axis, a
        little over a quarter of the sacrum's width at that level from the midline, on its
        back surface."""
        prox, dist = self.bone_axis("sacrum", None)
        v = self.bone_vertices("sacrum", None)
        at = prox + (0.2, 0.4, 0.6, 0.78)[k - 1] * (dist - prox)
        slab = v[np.abs(v[:, 2] - at[2]) < 0.01]
        if len(slab) < 3:
            slab = v
        width = slab[:, 0].max() - slab[:, 0].min()
        x = side_sign(side) * 0.27 * width
        near = slab[np.abs(slab[:, 0] - x) < max(0.2 * width, 0.004)]
        back = (near if len(near) else slab)[:, 1].max()
        return np.array([x, back, at[2]])

    def _an_sacral_hiatus(self, side):
        return self.bone_point("sacrum:0.92:posterior", None)

    def _an_coccyx_tip(self, side):
        prox, dist = self.bone_axis("sacrum", None)
        axis = (dist - prox) / np.linalg.norm(dist - prox)
        return dist + axis * COCCYX_LENGTH

    def _an_perineum_centre(self, side):
        """Midway between the pubic symphysis and the coccyx tip, up on the skin between
        the thighs."""
        front = self.landmarks["pubic_symphysis"]
        back = self._an_coccyx_tip(None)
        mid = (front + back) / 2
        low = np.array([0.0, mid[1], 0.0])
        hit = self.on_skin(low, UP)
        return hit if hit is not None else mid

    def _an_axilla_apex(self, side):
        """Midway between the axillary folds, raised to the skin of the armpit's vault."""
        front = self.landmarks[f"axillary_fold_front_{side}"]
        back = self.landmarks[f"axillary_fold_back_{side}"]
        mid = (front + back) / 2
        hit = self.on_skin(mid - UP * 0.05, UP)
        return hit if hit is not None and hit[2] - mid[2] < 0.08 else mid

    def _rib_tip(self, n: int, side) -> np.ndarray:
        """A floating rib's free end: its vertex farthest from its vertebral end."""
        v = self.bone_vertices(f"rib_{n}", side)
        spine_end = v[np.argmin(np.abs(v[:, 0]) - v[:, 1])]  # near the midline, at the back
        return v[np.argmax(np.linalg.norm(v - spine_end, axis=1))]

    def _an_rib_11_tip(self, side):
        return self._rib_tip(11, side)

    def _an_rib_12_tip(self, side):
        return self._rib_tip(12, side)

    # scapula: its spine is the ridge of its most posterior vertices
    def _scapula(self, side):
        v = self.bone_vertices("scapula", side)
        s = side_sign(side)
        lateral = v[:, 0] * s
        return v, lateral

    def _an_scapula_inferior_angle(self, side):
        v, _ = self._scapula(side)
        return v[np.argmin(v[:, 2])]

    def _an_scapula_superior_angle(self, side):
        v, lateral = self._scapula(side)
        medial = lateral < np.quantile(lateral, 0.25)
        return v[medial][np.argmax(v[medial][:, 2])]

    def _spine_ridge(self, side):
        v, lateral = self._scapula(side)
        body = lateral < np.quantile(lateral, 0.85)  # leave out the acromion
        ridge = body & (v[:, 1] >= np.quantile(v[body][:, 1], 0.85))
        return v[ridge], lateral[ridge]

    def _an_scapula_spine_root(self, side):
        ridge, lateral = self._spine_ridge(side)
        return ridge[np.argmin(lateral)]

    def _an_acromion_angle(self, side):
        v, lateral = self._scapula(side)
        top = v[:, 2] > np.quantile(v[:, 2], 0.7)
        score = lateral[top] + v[top][:, 1]
        return v[top][np.argmax(score)]

    def _an_scapula_spine_mid(self, side):
        return (self._an_scapula_spine_root(side) + self._an_acromion_angle(side)) / 2

    def _an_scapula_medial_border(self, side):
        v, lateral = self._scapula(side)
        root = self._an_scapula_spine_root(side)
        level = np.abs(v[:, 2] - root[2]) < 0.012
        return v[level][np.argmin(lateral[level])]

    def _an_infraspinous_centre(self, side):
        mid = self._an_scapula_spine_mid(side)
        return mid + (self._an_scapula_inferior_angle(side) - mid) / 3

    def _an_supraspinous_centre(self, side):
        mid = self._an_scapula_spine_mid(side)
        top = self._an_scapula_superior_angle(side)
        return np.array([mid[0], mid[1], (mid[2] + top[2]) / 2])

    # pelvis: above the hip joint the iliac wing, below it the pubis and ischium
    def _hip(self, side):
        v = self.bone_vertices("hip_bone", side)
        joint = self.landmarks[f"greater_trochanter_{side}"][2]
        return v, joint

    def _an_asis(self, side):
        v, joint = self._hip(side)
        upper = v[v[:, 2] > joint + 0.03]
        return upper[np.argmin(upper[:, 1])]

    def _an_psis(self, side):
        v, joint = self._hip(side)
        upper = v[v[:, 2] > joint + 0.03]
        return upper[np.argmax(upper[:, 1])]

    def _an_iliac_crest_top(self, side):
        v, _ = self._hip(side)
        return v[np.argmax(v[:, 2])]

    def _an_ischial_tuberosity(self, side):
        v, _ = self._hip(side)
        return v[np.argmin(v[:, 2])]

    def _an_pubic_tubercle(self, side):
        """The front of the pubis about 2 cm out from the symphysis."""
        v, joint = self._hip(side)
        s = side_sign(side)
        band = v[(np.abs(v[:, 0] * s - 0.02) < 0.01) & (v[:, 2] < joint + 0.02)]
        if len(band) == 0:
            band = v
        return band[np.argmin(band[:, 1] - band[:, 2])]

    # fingers and toes: the nail's corners at its base on the distal phalanx
    def _digit(self, base: str, side) -> np.ndarray:
        toe = base.startswith(("toenail_", "toe_tip_"))
        k = int(base[-1])
        bone = f"toe_phalanx_distal_{k}" if toe else f"phalanx_distal_{k}"
        prox, dist = self.bone_axis(bone, side)
        axis = (dist - prox) / np.linalg.norm(dist - prox)
        if base.startswith(("finger_tip_", "toe_tip_")):
            hit = self.on_skin(dist, axis)
            return hit if hit is not None else dist
        s = side_sign(side)
        if toe:
            dorsal = UP
            across = np.array([s, 0.0, 0.0])  # lateral
            edge = base.split("_")[1]  # medial / lateral
            sign = 1.0 if edge == "lateral" else -1.0
        else:
            # The back of the hand faces +Y. With the palm forward the thumb's nail faces
            # out and back, and its radial edge out and forward (away from the index).
            dorsal = -ANTERIOR if k != 1 else np.array([s, 1.0, 0.0]) / np.sqrt(2)
            across = np.array([s, 0.0, 0.0]) if k != 1 else np.array([s, -1.0, 0.0]) / np.sqrt(2)
            edge = base.split("_")[1]  # radial / ulnar
            sign = 1.0 if edge == "radial" else -1.0
        at = prox + 0.4 * (dist - prox)
        out = dorsal + sign * across
        out = out - (out @ axis) * axis
        out /= np.linalg.norm(out)
        hit = self.on_skin(at, out)
        return hit if hit is not None else at
