"""Fitting the skeleton into a body shape: one similarity transform (rotation, uniform
scale, translation) per body segment, taken from corresponding joint centres.

The trunk (spine, ribs, pelvis, shoulder girdle) is fitted to the hips and shoulders
together; each limb segment is swung and scaled so that its proximal and distal joints
land on the body's; hands and feet follow the segment above them. The skull and jaw are
fitted as one upright unit to the head's landmarks (eyes, vault, chin, mastoids), the
neck sharing out the difference. Structures other than bones follow the segment they lie
in.
"""

from __future__ import annotations

import re

import numpy as np
import trimesh

from anatomy.pipeline.skeleton import _CARPALS

# Our skeleton's joint names → the MakeHuman joint helpers of the skin.
SKIN_JOINTS = {
    "hip": "upper-leg",
    "knee": "knee",
    "ankle": "ankle",
    "shoulder": "shoulder",
    "elbow": "elbow",
    "wrist": "hand",
}

# (segment, proximal joint, distal joint); the side suffix is added per side.
LIMB_SEGMENTS = (
    ("thigh", "hip", "knee"),
    ("leg", "knee", "ankle"),
    ("arm", "shoulder", "elbow"),
    ("forearm", "elbow", "wrist"),
)
CARPALS = _CARPALS  # the skeleton step's own list of wrist bones
TARSALS = ("talus", "calcaneus", "navicular", "cuboid", "cuneiform")  # id prefixes


def skin_joint(skin_joints: dict[str, np.ndarray], name: str, side: str) -> np.ndarray:
    """Our joint ``name`` on ``side`` ("l"/"r") in MakeHuman's naming."""
    return np.asarray(skin_joints[f"{side}-{SKIN_JOINTS[name]}"], dtype=float)


def bone_segment(bone_id: str) -> str:
    """Which segment carries a bone: trunk, or thigh/leg/foot/arm/forearm/hand + _l/_r."""
    side = bone_id[-1] if re.search(r"_[lr]$", bone_id) else ""
    base = bone_id[:-2] if side else bone_id
    if base in ("femur", "patella"):
        seg = "thigh"
    elif base in ("tibia", "fibula"):
        seg = "leg"
    elif base.startswith(TARSALS) or base.startswith(("metatarsal", "toe_")):
        seg = "foot"
    elif base == "humerus":
        seg = "arm"
    elif base in ("radius", "ulna"):
        seg = "forearm"
    elif base in CARPALS or base.startswith(("metacarpal", "phalanx")):
        seg = "hand"
    else:
        return "trunk"
    return f"{seg}_{side}"


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """4×4 least-squares similarity taking points ``src`` onto ``dst`` (Umeyama 1991)."""
    src, dst = np.asarray(src, float), np.asarray(dst, float)
    mu_s, mu_d = src.mean(axis=0), dst.mean(axis=0)
    a, b = src - mu_s, dst - mu_d
    cov = b.T @ a / len(src)
    u, d, vt = np.linalg.svd(cov)
    fix = np.eye(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        fix[2, 2] = -1
    rot = u @ fix @ vt
    var = (a**2).sum() / len(src)
    scale = np.trace(np.diag(d) @ fix) / var
    m = np.eye(4)
    m[:3, :3] = scale * rot
    m[:3, 3] = mu_d - scale * rot @ mu_s
    return m


def swing(a: np.ndarray, b: np.ndarray, a2: np.ndarray, b2: np.ndarray) -> np.ndarray:
    """4×4 taking segment a→b onto a2→b2: the smallest rotation, scaled to length.

    The smallest rotation keeps the segment's twist, so palms that face forward in the
    skeleton still face forward on the body."""
    u, v = b - a, b2 - a2
    scale = np.linalg.norm(v) / np.linalg.norm(u)
    u, v = u / np.linalg.norm(u), v / np.linalg.norm(v)
    axis = np.cross(u, v)
    s, c = np.linalg.norm(axis), float(u @ v)
    if s < 1e-12:
        rot = np.eye(3)
    else:
        k = axis / s
        kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
        rot = np.eye(3) + s * kx + (1 - c) * kx @ kx
    m = np.eye(4)
    m[:3, :3] = scale * rot
    m[:3, 3] = a2 - scale * rot @ a
    return m


def apply(m: np.ndarray, points: np.ndarray) -> np.ndarray:
    return np.asarray(points, float) @ m[:3, :3].T + m[:3, 3]


def segment_transforms(
    bone_joints: dict[str, np.ndarray], skin_joints: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Segment name → 4×4 from skeleton space into the body's space."""
    trunk_names = ("hip_l", "hip_r", "shoulder_l", "shoulder_r")
    src = np.array([bone_joints[n] for n in trunk_names])
    dst = np.array([skin_joint(skin_joints, n[:-2], n[-1]) for n in trunk_names])
    out = {"trunk": similarity(src, dst)}
    for side in ("l", "r"):
        for seg, near, far in LIMB_SEGMENTS:
            out[f"{seg}_{side}"] = swing(
                bone_joints[f"{near}_{side}"],
                bone_joints[f"{far}_{side}"],
                skin_joint(skin_joints, near, side),
                skin_joint(skin_joints, far, side),
            )
        # Hands and feet turn and scale with the segment above, hinged at its far joint.
        for seg, parent, joint in (("hand", "forearm", "wrist"), ("foot", "leg", "ankle")):
            m = out[f"{parent}_{side}"].copy()
            target = skin_joint(skin_joints, joint, side)
            m[:3, 3] += target - apply(m, bone_joints[f"{joint}_{side}"][None])[0]
            out[f"{seg}_{side}"] = m
    return out


def nearest_segment(points: np.ndarray, bone_centroids: dict[str, np.ndarray]) -> str:
    """The segment of the bone whose centroid is nearest the points' centroid."""
    centre = np.asarray(points, float).mean(axis=0)
    ids = list(bone_centroids)
    d = np.linalg.norm(np.array([bone_centroids[i] for i in ids]) - centre, axis=1)
    return bone_segment(ids[int(np.argmin(d))])


# Finger and toe chains: bone ids (without side) from the palm or sole outward, and the
# MakeHuman joints they span. MakeHuman's finger joints run knuckle → tip (1 … 4).
FINGER_CHAINS = {
    1: ("metacarpal_1", "phalanx_proximal_1", "phalanx_distal_1"),
    **{
        n: (
            f"metacarpal_{n}",
            f"phalanx_proximal_{n}",
            f"phalanx_middle_{n}",
            f"phalanx_distal_{n}",
        )
        for n in range(2, 6)
    },
}
TOE_CHAINS = {
    1: ("toe_phalanx_proximal_1", "toe_phalanx_distal_1"),
    **{
        n: (f"toe_phalanx_proximal_{n}", f"toe_phalanx_middle_{n}", f"toe_phalanx_distal_{n}")
        for n in range(2, 6)
    },
}
TIP_INSET = 0.004  # a fingertip's bone stops a few millimetres inside the pulp


def bone_ends(vertices: np.ndarray, toward: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(near end, far end) of a long bone along its main axis; near is the end closer to
    ``toward`` (the wrist or ankle)."""
    centre = vertices.mean(axis=0)
    _, _, vt = np.linalg.svd(vertices - centre, full_matrices=False)
    axis = vt[0]
    t = (vertices - centre) @ axis
    span = t.max() - t.min()
    lo = vertices[t <= t.min() + 0.08 * span].mean(axis=0)
    hi = vertices[t >= t.max() - 0.08 * span].mean(axis=0)
    if np.linalg.norm(lo - toward) <= np.linalg.norm(hi - toward):
        return lo, hi
    return hi, lo


def chain_transforms(
    bones: dict[str, np.ndarray],
    chain: tuple[str, ...],
    side: str,
    start: np.ndarray,
    base_target: np.ndarray,
    joint_targets: list[np.ndarray],
) -> dict[str, np.ndarray]:
    """Per-bone 4×4 laying a chain of bones (vertex arrays, skeleton space) along the
    body's joints: bone k spans joint k−1 → joint k, the first starting at
    ``base_target``; ``start`` is the wrist or ankle the chain grows from."""
    ends = []
    toward = start
    for bone in chain:
        near, far = bone_ends(bones[f"{bone}_{side}"], toward)
        ends.append((near, far))
        toward = far
    # Joint centres of the skeleton: midway across each gap between consecutive bones.
    src = [ends[0][0]] + [(ends[k][1] + ends[k + 1][0]) / 2 for k in range(len(ends) - 1)]
    src.append(ends[-1][1])
    tip = joint_targets[-1]
    last = joint_targets[-2] if len(joint_targets) > 1 else base_target
    inset = tip - TIP_INSET * (tip - last) / np.linalg.norm(tip - last)
    dst = [base_target, *joint_targets[:-1], inset]
    return {
        f"{bone}_{side}": swing(src[k], src[k + 1], dst[k], dst[k + 1])
        for k, bone in enumerate(chain)
    }


def hand_and_foot_transforms(
    bones: dict[str, np.ndarray],
    bone_joints: dict[str, np.ndarray],
    skin_joints: dict[str, np.ndarray],
    segments: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Per-bone transforms for metacarpals, phalanges and toe phalanges."""
    out: dict[str, np.ndarray] = {}
    for side in ("l", "r"):
        wrist = bone_joints[f"wrist_{side}"]
        hand = segments[f"hand_{side}"]
        for n, chain in FINGER_CHAINS.items():
            targets = [np.asarray(skin_joints[f"{side}-finger-{n}-{k}"]) for k in (1, 2, 3, 4)]
            near, _ = bone_ends(bones[f"{chain[0]}_{side}"], wrist)
            if n == 1:  # the thumb's metacarpal runs from its base (joint 1) to joint 2
                base, joints = targets[0], targets[1:]
            else:  # finger metacarpals: base carried by the hand, head at the knuckle
                base, joints = apply(hand, near[None])[0], targets
            out.update(chain_transforms(bones, chain, side, wrist, base, joints))
        ankle = bone_joints[f"ankle_{side}"]
        foot = segments[f"foot_{side}"]
        for n, chain in TOE_CHAINS.items():
            count = 3 if n == 1 else 4
            targets = [np.asarray(skin_joints[f"{side}-toe-{n}-{k}"]) for k in range(1, count + 1)]
            metatarsal = bones[f"metatarsal_{n}_{side}"]
            _, head = bone_ends(metatarsal, ankle)
            # The toe starts where the foot carries the metatarsal head, moved to the joint.
            out.update(chain_transforms(bones, chain, side, head, targets[0], targets[1:]))
            base, _ = bone_ends(metatarsal, ankle)
            out[f"metatarsal_{n}_{side}"] = swing(
                base, head, apply(foot, base[None])[0], targets[0]
            )
    return out


CONTAIN_MARGIN = 0.004  # bone stays at least this far under the skin
CONTAIN_FALLOFF = 0.02  # metres over which a push fades into the rest of the bone


HEAD_BONES = ("skull", "mandible")
# Soft tissue over the head's bony landmarks (m), adult averages of facial and scalp
# tissue-depth tables: scalp at the vertex, the back and the sides of the vault, glabella,
# the chin (pogonion), over the mastoid process behind the ear.
TISSUE = {
    "vertex": 0.006,
    "glabella": 0.006,
    "back": 0.007,
    "side": 0.006,
    "chin": 0.011,
    "mastoid": 0.012,
}
# How much each landmark counts in the head's fit: height and depth (y, z) from the vault's
# top, front and back, the eyes and the chin; width (x) from the vault's sides, the eyes
# and the mastoids. The chin and mastoids, whose skin depth varies more, count less.
HEAD_FIT_DEPTH = {"vertex": (0, 1), "glabella": (1, 0.5), "back": (1, 0), "chin": (0.5, 0.5)}
HEAD_FIT_DEPTH |= {"eye_l": (0, 1), "eye_r": (0, 1)}
HEAD_FIT_WIDTH = {"side_l": 1, "side_r": 1, "eye_l": 1, "eye_r": 1}
HEAD_FIT_WIDTH |= {"mastoid_l": 0.5, "mastoid_r": 0.5}
HEAD_SCALE = (0.8, 1.35)  # MyoSuite's skull is small beside an average adult head
# MakeHuman heads are longer and narrower than MyoSuite's round skull (cephalic index 83):
# the width may follow them this far apart from the length.
HEAD_WIDTH_RATIO = (0.85, 1.05)


def _extreme(points: np.ndarray, direction, mask=None) -> np.ndarray:
    p = points if mask is None else points[mask]
    return p[int(np.argmax(p @ np.asarray(direction, float)))].copy()


def bone_head_landmarks(
    skull_mesh: trimesh.Trimesh, mandible_mesh: trimesh.Trimesh
) -> dict[str, np.ndarray]:
    """Points of an upright skull and jaw (the MedVR frame) that the skin shows: vertex,
    glabella, back of the vault (opisthocranion), sides of the vault (euryon), chin,
    mastoid tips, orbits."""
    from anatomy.pipeline.schematic import orbit_centre

    skull = np.asarray(skull_mesh.vertices, float)
    mandible = np.asarray(mandible_mesh.vertices, float)
    lo, hi = skull.min(axis=0), skull.max(axis=0)
    mid_x, half_x = (lo[0] + hi[0]) / 2, (hi[0] - lo[0]) / 2
    height = hi[2] - lo[2]
    midline = np.abs(skull[:, 0] - mid_x) < 0.01
    out = {
        "vertex": _extreme(skull, (0, 0, 1)),
        # the brow's front, above the nasal bones
        "glabella": _extreme(skull, (0, -1, 0), midline & (skull[:, 2] > lo[2] + 0.5 * height)),
        "back": _extreme(skull, (0, 1, 0), midline),
        "chin": _extreme(mandible, (0, -1, -0.5), np.abs(mandible[:, 0] - mid_x) < 0.01),
    }
    behind = skull[:, 1] > (lo[1] + hi[1]) / 2 - 0.01
    orbit_band = (lo[2] + 0.265 * height, lo[2] + 0.545 * height)
    right = orbit_centre(skull_mesh, orbit_band)
    for side, sign in (("l", 1.0), ("r", -1.0)):
        lateral = sign * (skull[:, 0] - mid_x) > 0.5 * half_x
        out[f"side_{side}"] = _extreme(skull, (sign, 0, 0))
        out[f"mastoid_{side}"] = _extreme(skull, (0, 0, -1), lateral & behind)
        out[f"eye_{side}"] = np.array([mid_x + sign * (mid_x - right[0]), right[1], right[2]])
    return out


def skin_head_landmarks(
    skin: trimesh.Trimesh,
    skin_joints: dict[str, np.ndarray],
    landmarks: dict[str, np.ndarray],
    side_at: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Where the skin says those points are: each skin landmark moved in by the tissue over
    it; the eyes' centres (the orbits' middle) from MakeHuman's eye joints; the vault's
    sides where the skin is widest within 1 cm of the height of ``side_at`` (the skull's
    widest point once fitted in height and depth; skipped when None)."""
    v = np.asarray(skin.vertices)
    vertex = np.asarray(landmarks["vertex"], float)
    glabella = np.asarray(landmarks["glabella"], float)
    jaw = np.asarray(skin_joints["jaw"], float)
    mastoid_z = (landmarks["mastoid_l"][2] + landmarks["mastoid_r"][2]) / 2
    midline = np.abs(v[:, 0]) < 0.004
    back = _extreme(v, (0, 1, 0), midline & (v[:, 2] > mastoid_z + 0.02) & (v[:, 2] < vertex[2]))
    # MakeHuman's jaw joint lies in the chin, at its height
    chin = _extreme(v, (0, -1, -0.5), midline & (np.abs(v[:, 2] - jaw[2]) < 0.012))
    out = {
        "vertex": vertex - [0.0, 0.0, TISSUE["vertex"]],
        "glabella": glabella + [0.0, TISSUE["glabella"], 0.0],
        "back": back - [0.0, TISSUE["back"], 0.0],
        "chin": chin + [0.0, TISSUE["chin"], 0.0],
        "eye_l": np.asarray(skin_joints["l-eye"], float),
        "eye_r": np.asarray(skin_joints["r-eye"], float),
    }
    head = (np.abs(v[:, 0]) < 0.13) & (v[:, 2] > mastoid_z)
    for side, sign in (("l", 1.0), ("r", -1.0)):
        m = np.asarray(landmarks[f"mastoid_{side}"], float)
        out[f"mastoid_{side}"] = m - [sign * TISSUE["mastoid"], 0.0, 0.0]
        if side_at is not None:
            band = head & (np.abs(v[:, 2] - side_at[2]) < 0.01)
            out[f"side_{side}"] = _extreme(v, (sign, 0, 0), band) - [sign * TISSUE["side"], 0, 0]
    return out


def _weighted_scale(bone, target, weights, bounds) -> tuple[float, np.ndarray]:
    """Scale s (kept within ``bounds``) and shift c minimising sum w (s b + c - t)^2 over
    the given coordinates (columns): for any s, c is the weighted mean of t - s b."""
    b, t, w = (np.asarray(a, float) for a in (bone, target, weights))
    wsum = w.sum(axis=0)
    b_mean, t_mean = (w * b).sum(axis=0) / wsum, (w * t).sum(axis=0) / wsum
    db, dt = b - b_mean, t - t_mean
    s = float(np.clip((w * db * dt).sum() / (w * db * db).sum(), *bounds))
    return s, t_mean - s * b_mean


def head_transform(
    skull: trimesh.Trimesh,
    mandible: trimesh.Trimesh,
    skin: trimesh.Trimesh,
    skin_joints: dict[str, np.ndarray],
    landmarks: dict[str, np.ndarray],
) -> np.ndarray:
    """4×4 fitting the skull and jaw (source meshes, upright as in MyoSuite) into the
    head as one unit, without turning it: the head keeps MyoSuite's upright pitch
    (Frankfurt plane level) whatever the trunk's fit leans.

    Height and depth share one scale, fitted (weighted least squares) to the vault's top,
    front and back, the eyes and the chin; the width its own, within ``HEAD_WIDTH_RATIO``
    of it, fitted to the vault's sides, the eyes and the mastoids."""
    bone = bone_head_landmarks(skull, mandible)
    target = skin_head_landmarks(skin, skin_joints, landmarks)
    names = list(HEAD_FIT_DEPTH)
    s, (ty, tz) = _weighted_scale(
        [bone[n][1:] for n in names],
        [target[n][1:] for n in names],
        list(HEAD_FIT_DEPTH.values()),
        HEAD_SCALE,
    )
    widest = np.array([0.0, s * bone["side_l"][1] + ty, s * bone["side_l"][2] + tz])
    target = skin_head_landmarks(skin, skin_joints, landmarks, side_at=widest)
    names = list(HEAD_FIT_WIDTH)
    sx, (tx,) = _weighted_scale(
        [bone[n][:1] for n in names],
        [target[n][:1] for n in names],
        [[w] for w in HEAD_FIT_WIDTH.values()],
        s * np.array(HEAD_WIDTH_RATIO),
    )
    m = np.diag([sx, s, s, 1.0])
    m[:3, 3] = [tx, ty, tz]
    return m


MOUTH_SEAL = 0.004  # closing radius that shuts the lips' slit (and the nostrils)
EYEBALL = 0.0125  # MakeHuman's eyes are meshes of their own, in sockets of the skin
HEAD_PITCH = 0.002  # voxel edge of the sealed head


def sealed_head(skin: trimesh.Trimesh, skin_joints: dict[str, np.ndarray]) -> trimesh.Trimesh:
    """The head and upper neck as a solid without the mouth's inside or the eye sockets:
    MakeHuman's skin runs in between the lips to line the mouth, where the teeth and jaws
    belong, and around the eyeballs, which the orbits hold. The skin is voxelised, closed
    over the lips and nostrils, its hollows and the eyeballs filled, and meshed again."""
    from scipy.ndimage import binary_fill_holes, distance_transform_edt

    from anatomy.pipeline.schematic import mesh_field, occupancy, signed_distance_to

    neck = np.asarray(skin_joints["neck"], float)
    v = np.asarray(skin.vertices)
    head = v[(v[:, 2] > neck[2] - 0.04) & (np.abs(v[:, 0]) < 0.13)]
    pitch = HEAD_PITCH

    def field(grid, points):
        inside = occupancy(skin, grid)
        for eye in ("l-eye", "r-eye"):
            centre = np.asarray(skin_joints[eye], float)
            inside |= np.linalg.norm(points - centre, axis=-1) <= EYEBALL
        grown = distance_transform_edt(~inside) * pitch <= MOUTH_SEAL
        closed = (distance_transform_edt(grown) * pitch > MOUTH_SEAL) | inside
        return signed_distance_to(binary_fill_holes(closed), pitch)

    lo, hi = head.min(axis=0), head.max(axis=0)
    # not decimated: a decimated shell may open, and it is only measured against
    return mesh_field(field, lo, hi, pitch, 10**7, smoothing=0, name="sealed head")


def fit_skeleton(
    bones: dict[str, trimesh.Trimesh],
    bone_joints: dict[str, np.ndarray],
    skin: trimesh.Trimesh,
    skin_joints: dict[str, np.ndarray],
    landmarks: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, trimesh.Trimesh], dict[str, np.ndarray]]:
    """Bones fitted into ``skin``: per-bone similarity transforms, then any part still
    outside pushed under the skin with a smooth falloff. Returns (meshes, transforms).

    The skull and jaw are fitted as one upright unit to the head's landmarks
    (``head_transform``; ``landmarks`` as from ``anatomy.landmarks.compute_landmarks``,
    computed here when not given) and kept under a skin whose mouth is closed."""
    segments = segment_transforms(bone_joints, skin_joints)
    transforms = {bid: segments[bone_segment(bid)] for bid in bones}
    vertices = {bid: np.asarray(m.vertices, float) for bid, m in bones.items()}
    transforms.update(hand_and_foot_transforms(vertices, bone_joints, skin_joints, segments))
    fitted = {bid: apply(transforms[bid], vertices[bid]) for bid in bones}
    head_ids = [b for b in HEAD_BONES if b in bones]
    if len(head_ids) == len(HEAD_BONES):
        if landmarks is None:
            from anatomy.landmarks import compute_landmarks

            landmarks = compute_landmarks(skin, skin_joints)
        head = head_transform(bones["skull"], bones["mandible"], skin, skin_joints, landmarks)
        # The head's move from where the trunk's fit put it, shared out down the neck.
        moved = head @ np.linalg.inv(transforms["skull"])
        for bid in HEAD_BONES:
            fitted[bid] = apply(head, vertices[bid])
            transforms[bid] = head
        # The neck follows: each cervical vertebra takes a share of the head's move, the
        # atlas most and C7 least, so the column stays continuous from the trunk to the skull.
        for k in range(1, 8):
            bid = f"c{k}"
            if bid in fitted:
                w = (8 - k) / 8
                blend = (1 - w) * np.eye(4) + w * moved
                fitted[bid] = apply(blend, fitted[bid])
                transforms[bid] = blend @ transforms[bid]
    axes = limb_axes(skin_joints)
    rest = {bid: v for bid, v in fitted.items() if bid not in HEAD_BONES}
    fitted = contain(rest, skin, axes)
    if head_ids:
        head_bones = {bid: apply(transforms[bid], vertices[bid]) for bid in head_ids}
        fitted.update(contain(head_bones, sealed_head(skin, skin_joints), axes))
    meshes = {bid: trimesh.Trimesh(fitted[bid], bones[bid].faces, process=False) for bid in bones}
    return meshes, transforms


def limb_axes(skin_joints: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Segment → (start, end) of the line its bones are pushed toward when they poke out:
    the joint-to-joint line of a limb segment; the body's vertical midline for the trunk."""
    axes = {"trunk": (np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.0, 2.0]))}
    for side in ("l", "r"):
        for seg, near, far in LIMB_SEGMENTS:
            axes[f"{seg}_{side}"] = (
                skin_joint(skin_joints, near, side),
                skin_joint(skin_joints, far, side),
            )
        axes[f"hand_{side}"] = axes[f"forearm_{side}"]
        axes[f"foot_{side}"] = (
            skin_joint(skin_joints, "ankle", side),
            np.asarray(skin_joints[f"{side}-toe-3-1"], float),
        )
    return axes


def _toward_axis(points: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Unit vectors from each point to the nearest point of the segment start→end."""
    d = end - start
    t = np.clip((points - start) @ d / (d @ d), 0.0, 1.0)
    v = start + t[:, None] * d - points
    n = np.linalg.norm(v, axis=1, keepdims=True)
    return np.divide(v, n, out=np.zeros_like(v), where=n > 1e-9)


PUSH_STEPS = np.array([0.002, 0.004, 0.007, 0.01, 0.015, 0.02, 0.03, 0.045, 0.06])
# Directions a point said to lie outside is checked along (not along any axis or the
# direction trimesh's own test uses, so that none runs along the skin's grid of edges).
RECHECK_RAYS = np.array([[0.31, -0.52, 0.79], [-0.67, 0.21, -0.71], [0.58, 0.74, -0.34]])


def skin_depth(skin: trimesh.Trimesh, points: np.ndarray) -> np.ndarray:
    """Signed distance to the skin, > 0 inside. trimesh signs it by the parity of one ray's
    crossings, which a ray grazing an edge miscounts (a point deep in the chest was once
    called 7 cm outside): a point called outside is asked again along three other rays
    and stays outside only if most of them agree."""
    points = np.asarray(points, float)
    depth = trimesh.proximity.signed_distance(skin, points)
    out = np.flatnonzero(depth < 0)
    if len(out):
        votes = np.zeros(len(out), dtype=int)
        for direction in RECHECK_RAYS / np.linalg.norm(RECHECK_RAYS, axis=1, keepdims=True):
            rays = np.tile(direction, (len(out), 1))
            _, hit_ray, _ = skin.ray.intersects_location(points[out], rays, multiple_hits=True)
            votes += np.bincount(hit_ray, minlength=len(out)) % 2
        depth[out[votes >= 2]] *= -1
    return depth


def contain(
    vertices: dict[str, np.ndarray],
    skin: trimesh.Trimesh,
    axes: dict[str, tuple[np.ndarray, np.ndarray]],
    rounds: int = 6,
):
    """Bring every bone vertex at least the margin under ``skin``: a vertex that pokes out
    moves toward its segment's axis (into the limb or trunk it belongs to, never across a
    gap into a neighbour) by the shortest step that buries it; the rest of the bone follows
    with a smooth falloff."""
    from scipy.spatial import cKDTree

    out = dict(vertices)
    for _ in range(rounds):
        moved = False
        for bid, v in out.items():
            depth = skin_depth(skin, v)  # > 0 inside
            shallow = depth < CONTAIN_MARGIN
            if not shallow.any():
                continue
            moved = True
            p = v[shallow]
            # Two ways in: toward the segment's axis, or straight under the nearest skin.
            _, _, tri = trimesh.proximity.closest_point(skin, p)
            ways = np.stack([_toward_axis(p, *axes[bone_segment(bid)]), -skin.face_normals[tri]])
            candidates = p[None, None] + PUSH_STEPS[None, :, None, None] * ways[:, None]
            depths = skin_depth(skin, candidates.reshape(-1, 3))
            depths = depths.reshape(2 * len(PUSH_STEPS), -1)
            steps = np.tile(PUSH_STEPS, 2)[:, None]
            # The shortest step of either way that buries the vertex (the axis wins a tie);
            # where none does, the step that gets it deepest, never through a thin part.
            cost = np.where(depths >= CONTAIN_MARGIN, steps, np.inf)
            buried = np.isfinite(cost.min(axis=0))
            choice = np.where(buried, cost.argmin(axis=0), depths.argmax(axis=0))
            gain = depths[choice, np.arange(len(p))] > depth[shallow]
            way, step = np.divmod(choice, len(PUSH_STEPS))
            push = (PUSH_STEPS[step] * gain)[:, None] * ways[way, np.arange(len(p))]
            tree = cKDTree(p)
            dist, nearest = tree.query(v, k=1)
            weight = np.exp(-((dist / CONTAIN_FALLOFF) ** 2))[:, None]
            out[bid] = v + push[nearest] * weight
        if not moved:
            break
    return out


WARP_CONTROL_POINTS = 2400


class ShapeWarp:
    """A smooth map from the default body into another shape, from corresponding points
    (skin vertices, which share one topology, and fitted bone vertices): organs, vessels
    and muscles built once on the default body follow the skin and bones of each shape."""

    def __init__(self, src: np.ndarray, dst: np.ndarray, seed: int = 0):
        from scipy.interpolate import RBFInterpolator

        rng = np.random.default_rng(seed)
        pick = rng.choice(len(src), size=min(WARP_CONTROL_POINTS, len(src)), replace=False)
        pick.sort()
        self._rbf = RBFInterpolator(
            src[pick], dst[pick] - src[pick], kernel="thin_plate_spline", smoothing=1e-6
        )

    def __call__(self, points: np.ndarray) -> np.ndarray:
        points = np.asarray(points, float)
        return points + self._rbf(points)
