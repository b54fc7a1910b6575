"""Named anatomical landmarks on a posed body, from its joints and skin.

Input: the watertight `body` mesh of ``anatomy.pipeline.mpfb.body_mesh`` (vertex i is hm08
vertex i, our frame: metres, Z up, facing -Y, the subject's left +X) and its joints
(``joint_positions``: helper-cube centres such as 'l-shoulder', 'neck', 'l-knee').

Three kinds of method, each stated in ``LANDMARKS[id].method``:
- rays from a joint to the skin (e.g. the cubital crease: from the elbow joint forward);
- outlines of the skin sampled by fans of rays (the midline of the head, for the glabella,
  vertex and hairlines);
- ``ANCHORS``: hm08 vertex sets picked once by a rule on the MakeHuman data (a named
  target that moves the nipple or navel, the rig's arm/trunk weight seam); the rule is
  ``mpfb.landmark_anchors`` and a test checks these numbers still follow from it.

Where the skin does not show a landmark (hairlines on a hairless mesh, the xiphisternal
junction) the Chinese national standard's proportional rules (GB/T 12346, bone-proportional
cun) place it, which is also what the acupuncture module builds on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from anatomy.errors import AnatomyError


@dataclass(frozen=True)
class Landmark:
    """A landmark's stable id, its names and how compute_landmarks finds it."""

    id: str
    en: str
    zh: str
    method: str


# hm08 vertex sets (indices into the body mesh); derived by mpfb.landmark_anchors.
# fmt: off
ANCHORS: dict[str, tuple[int, ...]] = {
    # Vertices moved by targets/breast/nipple-point-incr, per side.
    "nipple_l": (
        8450, 8451, 8452, 8453, 8454, 8455, 8456, 8457, 8458, 8459, 8460, 8461, 8462, 8463, 8464,
        8465
    ),
    "nipple_r": (
        1778, 1779, 1780, 1781, 1782, 1783, 1784, 1785, 1786, 1787, 1788, 1789, 1790, 1791, 1792,
        1793
    ),
    # Vertices moved by targets/stomach/stomach-navel-in.
    "navel": (
        4069, 4106, 4111, 4112, 4113, 4114, 4115, 4116, 4117, 4118, 4119, 4120, 4121, 10759, 10760,
        10761, 10762, 10763, 10764
    ),
    # Vertices moved by targets/ears/{l,r}-ear-lobe-incr.
    "earlobe_l": (
        7634, 12013, 12019, 12027, 12028, 12031, 12041, 12049, 12050, 12053, 12063, 12071, 12072,
        12085, 12093, 12094, 12214, 12255, 12264, 12311, 12329, 12330, 12340, 12350, 12358, 12365
    ),
    "earlobe_r": (
        932, 5414, 5420, 5428, 5429, 5432, 5442, 5450, 5451, 5454, 5464, 5472, 5473, 5486, 5494,
        5495, 5617, 5658, 5667, 5714, 5732, 5733, 5743, 5753, 5761, 5768
    ),
    # The rig's arm/trunk weight seam below the shoulder joint (see mpfb.landmark_anchors):
    # its most anterior and most posterior vertex on the A-pose base mesh.
    "axillary_front_l": (8349,),
    "axillary_front_r": (1677,),
    "axillary_back_l": (10514,),
    "axillary_back_r": (3849,),
}
# fmt: on

# GB/T 12346 bone-proportional cun used where the skin shows no landmark.
GLABELLA_TO_C7_CUN = 18.0  # over the head: glabella 3, hairlines 12 apart, 3 to C7
GLABELLA_TO_HAIRLINE_CUN = 3.0
PUPIL_LINE_CUN = 2.25  # GB15 above the pupil, halfway from the midline to ST8
HAIRLINE_CORNER_CUN = 4.5  # ST8 at the frontal hairline corner, 4.5 cun from the midline
NOTCH_TO_XIPHI_CUN = 9.0
XIPHI_TO_NAVEL_CUN = 8.0

_SAME = "As the left one, mirrored."

# id, English, Chinese, how it is found (left side for bilateral ones).
# fmt: off
_ROWS: list[tuple[str, str, str, str]] = [
    ("vertex", "vertex (top of the head)", "颅顶点",
     "Highest point of the head's midline outline (rays fanned in the midsagittal plane "
     "from midway between the head joints; the last skin crossing of each ray)."),
    ("glabella", "glabella", "眉间",
     "Most anterior point of that midline outline between 5% and 35% of the way from the "
     "eye centres' height up to the vertex (above the nasion, below the forehead's top)."),
    ("hairline_front", "anterior hairline midpoint", "前发际正中",
     "On the midline outline from the glabella over the vertex to the C7 spinous process, "
     "taken as 18 cun (GB/T 12346's rule for an unclear hairline): 3 cun from the glabella."),
    ("hairline_back", "posterior hairline midpoint", "后发际正中",
     "On the same outline, 3 cun above the C7 spinous process (12 cun behind the anterior "
     "hairline)."),
    ("hairline_corner_l", "left frontal hairline corner", "左额角发际",
     "On the skin outline in the plane through the head centre, the anterior hairline "
     "midpoint and the left-right axis: twice as far from the midline (4.5 cun) as where "
     "the outline crosses the pupil line (2.25 cun; GB15 lies above the pupil halfway "
     "to ST8 at the corner)."),
    ("hairline_corner_r", "right frontal hairline corner", "右额角发际", _SAME),
    ("mastoid_l", "left mastoid process", "左乳突",
     "Outer skin hit by a horizontal ray from the head's midline, 5 mm below the lowest "
     "left earlobe vertex, aimed 35 degrees behind straight left (behind the earlobe)."),
    ("mastoid_r", "right mastoid process", "右乳突", _SAME),
    ("c7", "C7 spinous process (vertebra prominens)", "第7颈椎棘突",
     "Skin hit by a ray straight back (+Y) from the neck joint, the rig's cervicothoracic "
     "junction."),
    ("suprasternal_notch", "suprasternal (jugular) notch", "胸骨上切迹",
     "Skin hit by a ray straight forward (-Y) from the midpoint of the two clavicle "
     "(sternoclavicular) joints."),
    ("xiphisternal", "xiphisternal junction", "胸剑联合",
     "Front midline skin at the height 9/17 of the way from the suprasternal notch down to "
     "the umbilicus (GB/T 12346: notch to xiphisternal 9 cun, xiphisternal to navel 8)."),
    ("nipple_l", "left nipple", "左乳头",
     "Centroid of the left vertices moved by MPFB's breast/nipple-point-incr target."),
    ("nipple_r", "right nipple", "右乳头", _SAME),
    ("umbilicus", "umbilicus (centre of the navel)", "脐中",
     "Centroid of the vertices moved by MPFB's stomach/stomach-navel-in target (the rim "
     "and floor of the navel pit)."),
    ("pubic_symphysis", "upper border of the pubic symphysis", "耻骨联合上缘",
     "Skin hit by a ray forward from the pelvis joint at the height of the hip-joint "
     "centres (standing, the symphysis' upper border is level with the femoral heads)."),
    ("acromion_l", "left acromion", "左肩峰",
     "Skin hit by a ray from the left shoulder (glenohumeral) joint, up and 30 degrees "
     "outward (the acromion's lateral edge over the humeral head)."),
    ("acromion_r", "right acromion", "右肩峰", _SAME),
    ("coracoid_l", "left coracoid process", "左喙突",
     "Skin hit by a ray forward from the shoulder joint moved medially by 15% of its "
     "distance from the clavicle joint (the infraclavicular fossa)."),
    ("coracoid_r", "right coracoid process", "右喙突", _SAME),
    ("axillary_fold_front_l", "left anterior axillary fold", "左腋前纹头",
     "Front end of the armpit crease: on the A-pose base mesh, the most anterior vertex of "
     "the rig's arm/trunk weight seam (upper-arm weight 0.35-0.65, trunk 0.35 or more) "
     "lying a quarter of the upper arm's length or more below the shoulder joint."),
    ("axillary_fold_front_r", "right anterior axillary fold", "右腋前纹头", _SAME),
    ("axillary_fold_back_l", "left posterior axillary fold", "左腋后纹头",
     "Back end of the armpit crease: the most posterior vertex of that same seam."),
    ("axillary_fold_back_r", "right posterior axillary fold", "右腋后纹头", _SAME),
    ("cubital_crease_l", "left cubital crease", "左肘横纹",
     "Skin hit by a ray forward (-Y, the palm side in the anatomical position) from the "
     "left elbow joint."),
    ("cubital_crease_r", "right cubital crease", "右肘横纹", _SAME),
    ("wrist_crease_l", "left wrist crease", "左腕横纹",
     "Skin hit by a ray forward (-Y, palmar) from the left wrist joint."),
    ("wrist_crease_r", "right wrist crease", "右腕横纹", _SAME),
    ("greater_trochanter_l", "left greater trochanter", "左股骨大转子",
     "First skin hit of a ray straight out to the left from 5% of the hip-knee length "
     "below the left hip joint centre (the trochanter's tip is level with the joint)."),
    ("greater_trochanter_r", "right greater trochanter", "右股骨大转子", _SAME),
    ("patella_base_l", "left patella base (upper border)", "左髌底",
     "Front skin (ray -Y from the knee's axis) 11% of the hip-knee length above the knee "
     "joint centre (the apex plus a patella of about 5 cm)."),
    ("patella_base_r", "right patella base (upper border)", "右髌底", _SAME),
    ("patella_apex_l", "left patella apex (lower tip)", "左髌尖",
     "Front skin (ray -Y) at the height of the knee joint centre, where the extended "
     "knee's patella tip lies over the femoral condyles."),
    ("patella_apex_r", "right patella apex (lower tip)", "右髌尖", _SAME),
    ("popliteal_crease_l", "left popliteal crease", "左腘横纹",
     "Skin hit by a ray straight back (+Y) from the left knee joint."),
    ("popliteal_crease_r", "right popliteal crease", "右腘横纹", _SAME),
    ("tibial_condyle_medial_l", "left medial tibial condyle", "左胫骨内侧髁",
     "Skin hit by a ray toward the midline from the knee's axis, 6% of the knee-ankle "
     "length below the knee joint centre."),
    ("tibial_condyle_medial_r", "right medial tibial condyle", "右胫骨内侧髁", _SAME),
    ("malleolus_medial_l", "left medial malleolus", "左内踝尖",
     "Most medial of the skin hits of inward rays from a 5 x 4 cm grid on the ankle "
     "joint's sagittal plane (3 cm below to 2 cm above, 2 cm front and back)."),
    ("malleolus_medial_r", "right medial malleolus", "右内踝尖", _SAME),
    ("malleolus_lateral_l", "left lateral malleolus", "左外踝尖",
     "Most lateral of the skin hits of outward rays from that same grid."),
    ("malleolus_lateral_r", "right lateral malleolus", "右外踝尖", _SAME),
    ("sole_l", "left sole (below the ankle)", "左足底",
     "Skin hit by a ray straight down from the left ankle joint (the plantar skin, z about "
     "0)."),
    ("sole_r", "right sole (below the ankle)", "右足底", _SAME),
]
# fmt: on

LANDMARKS: dict[str, Landmark] = {r[0]: Landmark(*r) for r in _ROWS}

_BILATERAL_PAIRS = [(k, k[:-2] + "_r") for k in LANDMARKS if k.endswith("_l")]


def mirror_pairs() -> list[tuple[str, str]]:
    """(left id, right id) for every bilateral landmark."""
    return list(_BILATERAL_PAIRS)


# --- rays --------------------------------------------------------------------------------


def ray_hits(
    triangles: np.ndarray, origins: np.ndarray, directions: np.ndarray, last: bool = False
) -> np.ndarray:
    """Where each ray first (or, with last=True, last) crosses the triangles; NaN on a miss.

    A slab test against every triangle's bounding box picks the candidate pairs, then a
    vectorised Moller-Trumbore test runs on those pairs only.
    """
    origins = np.atleast_2d(np.asarray(origins, dtype=np.float64))
    directions = np.atleast_2d(np.asarray(directions, dtype=np.float64))
    directions = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    # A tiny stand-in for zero components keeps the slab test finite and exact enough.
    safe = np.where(np.abs(directions) < 1e-12, 1e-12, directions)
    lo, hi = triangles.min(axis=1) - 1e-9, triangles.max(axis=1) + 1e-9
    out = np.full((len(origins), 3), np.nan)
    step = max(1, 500_000 // max(1, len(triangles)))
    for a in range(0, len(origins), step):
        o, inv = origins[a : a + step, None, :], 1.0 / safe[a : a + step, None, :]
        t1, t2 = (lo - o) * inv, (hi - o) * inv
        near = np.minimum(t1, t2).max(axis=2)
        far = np.maximum(t1, t2).min(axis=2)
        r, t = np.nonzero((near <= far) & (far > 0))
        r += a
        if len(r) == 0:
            continue
        tri = triangles[t]
        e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
        d, s = directions[r], origins[r] - tri[:, 0]
        p = np.cross(d, e2)
        det = np.einsum("nk,nk->n", e1, p)
        ok = np.abs(det) > 1e-18
        inv_det = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
        u = np.einsum("nk,nk->n", s, p) * inv_det
        q = np.cross(s, e1)
        v = np.einsum("nk,nk->n", d, q) * inv_det
        dist = np.einsum("nk,nk->n", e2, q) * inv_det
        # Barycentric slack so a ray along a shared edge (the midline) hits one side.
        eps = 1e-7
        hit = ok & (u >= -eps) & (v >= -eps) & (u + v <= 1 + eps) & (dist > 1e-9)
        r, dist = r[hit], dist[hit]
        best = np.full(len(origins), -np.inf if last else np.inf)
        (np.maximum if last else np.minimum).at(best, r, dist)
        done = np.isfinite(best)
        out[done] = origins[done] + directions[done] * best[done, None]
    return out


def _arc_point(points: np.ndarray, start: int, stop: int, length: float) -> np.ndarray:
    """The point `length` along the polyline points[start..stop] (either direction)."""
    idx = np.arange(start, stop + 1) if stop >= start else np.arange(start, stop - 1, -1)
    seg = points[idx]
    cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(seg, axis=0), axis=1))])
    k = int(np.clip(np.searchsorted(cum, length), 1, len(cum) - 1))
    f = (length - cum[k - 1]) / max(cum[k] - cum[k - 1], 1e-12)
    return seg[k - 1] + np.clip(f, 0.0, 1.0) * (seg[k] - seg[k - 1])


def _arc_length(points: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum())


def fan_hits(
    triangles: np.ndarray,
    centre: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    angles: np.ndarray,
    last: bool = True,
) -> np.ndarray:
    """Skin outline in the plane through `centre` spanned by unit vectors a, b.

    Rays leave `centre` along cos(angle)*a + sin(angle)*b; only triangles that cross the
    plane can be hit, so only those are tested. Rows are NaN where a ray misses.
    """
    normal = np.cross(a, b)
    side = (triangles - centre) @ normal
    crossing = triangles[(side.min(axis=1) <= 0) & (side.max(axis=1) >= 0)]
    dirs = np.cos(angles)[:, None] * a + np.sin(angles)[:, None] * b
    return ray_hits(crossing, np.tile(centre, (len(angles), 1)), dirs, last=last)


# --- the landmarks -----------------------------------------------------------------------


def _need(joints: dict[str, np.ndarray], names: list[str]) -> None:
    missing = [n for n in names if n not in joints]
    if missing:
        raise AnatomyError(
            f"landmarks: joints missing: {', '.join(missing)}",
            zh=f"计算体表标志缺少关节：{', '.join(missing)}",
        )


_JOINTS = [
    "head", "head-2", "neck", "pelvis", "l-eye", "r-eye",
    *[f"{s}-{j}" for s in "lr" for j in
      ("clavicle", "shoulder", "elbow", "hand", "upper-leg", "knee", "ankle")],
]  # fmt: skip


def compute_landmarks(
    body: trimesh.Trimesh, joints: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Every landmark of LANDMARKS as a (3,) position in the body's frame (metres)."""
    _need(joints, _JOINTS)
    v = np.asarray(body.vertices, dtype=np.float64)
    if len(v) <= max(max(ix) for ix in ANCHORS.values()):
        raise AnatomyError(
            "landmarks: the body mesh is not the hm08 `body` group (too few vertices)",
            zh="计算体表标志：身体网格不是 hm08 的 body 组（顶点太少）",
        )
    tris = v[np.asarray(body.faces)]
    j = {k: np.asarray(p, dtype=np.float64) for k, p in joints.items()}
    out: dict[str, np.ndarray] = {}
    x_axis, y_axis, z_axis = np.eye(3)

    # Midline singles: C7 behind the neck joint, the notch in front of the clavicle joints.
    sc = (j["l-clavicle"] + j["r-clavicle"]) / 2
    hip_z = (j["l-upper-leg"][2] + j["r-upper-leg"][2]) / 2
    c7, notch, pubic = ray_hits(
        tris,
        [[0.0, j["neck"][1], j["neck"][2]], [0.0, sc[1], sc[2]], [0.0, j["pelvis"][1], hip_z]],
        [y_axis, -y_axis, -y_axis],
    )
    out["c7"], out["suprasternal_notch"], out["pubic_symphysis"] = c7, notch, pubic
    out["umbilicus"] = v[list(ANCHORS["navel"])].mean(axis=0)
    f = NOTCH_TO_XIPHI_CUN / (NOTCH_TO_XIPHI_CUN + XIPHI_TO_NAVEL_CUN)
    xiphi_z = notch[2] + f * (out["umbilicus"][2] - notch[2])
    out["xiphisternal"] = ray_hits(tris, [0.0, sc[1], xiphi_z], -y_axis)[0]

    out.update(_head_landmarks(tris, v, j, c7))
    for s, side in ((1.0, "l"), (-1.0, "r")):
        out[f"nipple_{side}"] = v[list(ANCHORS[f"nipple_{side}"])].mean(axis=0)
        out[f"axillary_fold_front_{side}"] = v[ANCHORS[f"axillary_front_{side}"][0]]
        out[f"axillary_fold_back_{side}"] = v[ANCHORS[f"axillary_back_{side}"][0]]
        out.update(_limb_landmarks(tris, j, s, side))
    missing = [k for k in LANDMARKS if k not in out or np.isnan(out[k]).any()]
    if missing:
        raise AnatomyError(
            f"landmarks: not found on this body: {', '.join(missing)}",
            zh=f"此身体上找不到体表标志：{', '.join(missing)}",
        )
    return {k: out[k] for k in LANDMARKS}


def _head_landmarks(
    tris: np.ndarray, v: np.ndarray, j: dict[str, np.ndarray], c7: np.ndarray
) -> dict[str, np.ndarray]:
    x_axis, y_axis, z_axis = np.eye(3)
    out: dict[str, np.ndarray] = {}
    head = tris[tris[:, :, 2].max(axis=1) > c7[2] - 0.05]
    centre = (j["head"] + j["head-2"]) / 2
    centre[0] = 0.0
    # Midline outline: from 30 deg below forward, over the top, down the back of the neck;
    # the last hit along each ray is the outer skin (not the mouth or nostrils).
    angles = np.radians(np.arange(-30.0, 250.0, 0.5))
    outline = fan_hits(head, centre, -y_axis, z_axis, angles)
    outline = outline[~np.isnan(outline[:, 0])]
    top = int(np.argmax(outline[:, 2]))
    out["vertex"] = outline[top]
    eye_z = (j["l-eye"][2] + j["r-eye"][2]) / 2
    span = out["vertex"][2] - eye_z
    idx = np.arange(len(outline))
    band = np.flatnonzero(
        (outline[:, 2] > eye_z + 0.05 * span) & (outline[:, 2] < eye_z + 0.35 * span) & (idx < top)
    )
    if len(band) == 0:
        raise AnatomyError("landmarks: no forehead found", zh="计算体表标志：未找到前额")
    g = int(band[np.argmin(outline[band, 1])])
    out["glabella"] = outline[g]
    c = int(top + np.argmin(np.linalg.norm(outline[top:] - c7, axis=1)))
    cun = _arc_length(outline[g : c + 1]) / GLABELLA_TO_C7_CUN
    front = _arc_point(outline, g, c, GLABELLA_TO_HAIRLINE_CUN * cun)
    out["hairline_front"] = front
    out["hairline_back"] = _arc_point(outline, c, g, GLABELLA_TO_HAIRLINE_CUN * cun)

    # Frontal hairline corners: on the outline in the plane through the head centre, the
    # anterior hairline and the left-right axis, twice the arc out to the pupil line.
    up = (front - centre) / np.linalg.norm(front - centre)
    theta = np.radians(np.arange(0.0, 120.0, 0.5))
    for s, side in ((1.0, "l"), (-1.0, "r")):
        ring = fan_hits(head, centre, up, s * x_axis, theta)
        ring = ring[~np.isnan(ring[:, 0])]
        steps = np.linalg.norm(np.diff(ring, axis=0), axis=1)
        along = np.concatenate([[0.0], np.cumsum(steps)])
        pupil_x = abs(j[f"{side}-eye"][0])
        k = max(1, int(np.argmax(np.abs(ring[:, 0]) >= pupil_x)))
        # Interpolate the crossing of the pupil line between ring points k-1 and k.
        x0, x1 = abs(ring[k - 1, 0]), abs(ring[k, 0])
        at_pupil = along[k - 1] + (pupil_x - x0) / max(x1 - x0, 1e-12) * steps[k - 1]
        corner = at_pupil * HAIRLINE_CORNER_CUN / PUPIL_LINE_CUN
        out[f"hairline_corner_{side}"] = _arc_point(ring, 0, len(ring) - 1, corner)

    # Mastoids: behind and just below the lowest earlobe vertex, on the head's outer skin.
    for s, side in ((1.0, "l"), (-1.0, "r")):
        lobe = v[list(ANCHORS[f"earlobe_{side}"])]
        low = lobe[np.argmin(lobe[:, 2])]
        o = np.array([0.0, low[1], low[2] - 0.005])
        d = np.cos(np.radians(35.0)) * s * x_axis + np.sin(np.radians(35.0)) * y_axis
        out[f"mastoid_{side}"] = ray_hits(head, o, d, last=True)[0]
    return out


def _limb_landmarks(
    tris: np.ndarray, j: dict[str, np.ndarray], s: float, side: str
) -> dict[str, np.ndarray]:
    x_axis, y_axis, z_axis = np.eye(3)
    gh, sc = j[f"{side}-shoulder"], j[f"{side}-clavicle"]
    elbow, wrist = j[f"{side}-elbow"], j[f"{side}-hand"]
    hip, knee, ankle = j[f"{side}-upper-leg"], j[f"{side}-knee"], j[f"{side}-ankle"]
    thigh = float(np.linalg.norm(knee - hip))
    shin = float(np.linalg.norm(ankle - knee))
    out: dict[str, np.ndarray] = {}
    up_out = np.cos(np.radians(30.0)) * z_axis + np.sin(np.radians(30.0)) * s * x_axis
    singles = [
        ("acromion", gh, up_out),
        ("coracoid", gh - np.array([0.15 * (gh[0] - sc[0]), 0.0, 0.0]), -y_axis),
        ("cubital_crease", elbow, -y_axis),
        ("wrist_crease", wrist, -y_axis),
        ("patella_apex", knee, -y_axis),
        ("patella_base", knee + 0.11 * thigh * z_axis, -y_axis),
        ("popliteal_crease", knee, y_axis),
        ("tibial_condyle_medial", knee - 0.06 * shin * z_axis, -s * x_axis),
        ("sole", ankle, -z_axis),
        ("greater_trochanter", hip - 0.05 * thigh * z_axis, s * x_axis),
    ]
    hits = ray_hits(tris, [o for _, o, _ in singles], [d for _, _, d in singles])
    for (name, _, _), p in zip(singles, hits, strict=True):
        out[f"{name}_{side}"] = p

    def most(name: str, origins: np.ndarray, direction: np.ndarray, region: np.ndarray) -> None:
        # The most prominent skin hit of a bundle of parallel rays (a bony prominence).
        p = ray_hits(region, origins, np.tile(direction, (len(origins), 1)))
        p = p[~np.isnan(p[:, 0])]
        out[f"{name}_{side}"] = p[np.argmax(p @ direction)] if len(p) else np.full(3, np.nan)

    # Malleoli: most medial / lateral skin around the ankle joint's vertical axis.
    dz, dy = np.meshgrid(np.linspace(-0.03, 0.02, 11), np.linspace(-0.02, 0.02, 9))
    around = ankle + np.stack([np.zeros(dz.size), dy.ravel(), dz.ravel()], axis=1)
    foot_zone = tris[np.abs(tris[:, :, 2].mean(axis=1) - ankle[2]) < 0.08]
    most("malleolus_medial", around, -s * x_axis, foot_zone)
    most("malleolus_lateral", around, s * x_axis, foot_zone)
    return out
