"""Fitting the skeleton into a body shape: one similarity transform (rotation, uniform
scale, translation) per body segment, taken from corresponding joint centres.

The trunk (skull, spine, ribs, pelvis, shoulder girdle) is fitted to the hips and
shoulders together; each limb segment is swung and scaled so that its proximal and
distal joints land on the body's; hands and feet follow the segment above them.
Structures other than bones follow the segment they lie in.
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
# Soft tissue over the skull: scalp on the vault, the face's thicker cover in front.
SCALP = np.array([0.006, 0.007, 0.006])  # x, y, z half-margins (m)


def head_transform(
    fitted: dict[str, np.ndarray], skin: trimesh.Trimesh, skin_joints: dict[str, np.ndarray]
) -> np.ndarray:
    """4×4 scaling the skull and jaw about their centre so they fit the head's skin with
    room for the scalp, and centring them in it (heads differ more than trunks do)."""
    bone = np.vstack([fitted[b] for b in HEAD_BONES if b in fitted])
    neck = np.asarray(skin_joints["neck"], float)
    v = skin.vertices
    # The head: skin above the neck joint and within a head's width of the midline.
    head = v[(v[:, 2] > neck[2] + 0.06) & (np.abs(v[:, 0]) < 0.11)]
    lo, hi = head.min(axis=0), head.max(axis=0)
    b_lo, b_hi = bone.min(axis=0), bone.max(axis=0)
    b_lo[2] = max(b_lo[2], lo[2])  # the jaw hangs below the cut; size by the vault
    room = (hi - lo) - 2 * SCALP
    # Width and depth decide: the vertical extent is cut at the neck. MyoSuite's skull is
    # small beside an average adult head, so it may grow as well as shrink.
    # A head is no box: its widest and deepest places lie at different heights.
    scale = float(np.clip(0.9 * np.min(room[:2] / (b_hi - b_lo)[:2]), 0.8, 1.35))
    centre_bone = (b_lo + b_hi) / 2
    target = np.array(
        [0.0, (lo[1] + hi[1]) / 2, hi[2] - SCALP[2] - scale * (b_hi[2] - centre_bone[2])]
    )
    m = np.eye(4)
    m[:3, :3] *= scale
    m[:3, 3] = target - scale * centre_bone
    return m


def fit_skeleton(
    bones: dict[str, trimesh.Trimesh],
    bone_joints: dict[str, np.ndarray],
    skin: trimesh.Trimesh,
    skin_joints: dict[str, np.ndarray],
) -> tuple[dict[str, trimesh.Trimesh], dict[str, np.ndarray]]:
    """Bones fitted into ``skin``: per-bone similarity transforms, then any part still
    outside pushed under the skin with a smooth falloff. Returns (meshes, transforms)."""
    segments = segment_transforms(bone_joints, skin_joints)
    transforms = {bid: segments[bone_segment(bid)] for bid in bones}
    vertices = {bid: np.asarray(m.vertices, float) for bid, m in bones.items()}
    transforms.update(hand_and_foot_transforms(vertices, bone_joints, skin_joints, segments))
    fitted = {bid: apply(transforms[bid], vertices[bid]) for bid in bones}
    head = head_transform(fitted, skin, skin_joints)
    for bid in HEAD_BONES:
        if bid in fitted:
            fitted[bid] = apply(head, fitted[bid])
            transforms[bid] = head @ transforms[bid]
    # The neck follows: each cervical vertebra takes a share of the head's move, the
    # atlas most and C7 least, so the column stays continuous from the trunk to the skull.
    for k in range(1, 8):
        bid = f"c{k}"
        if bid in fitted:
            w = (8 - k) / 8
            blend = (1 - w) * np.eye(4) + w * head
            fitted[bid] = apply(blend, fitted[bid])
            transforms[bid] = blend @ transforms[bid]
    fitted = contain(fitted, skin, limb_axes(skin_joints))
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
            depth = trimesh.proximity.signed_distance(skin, v)  # > 0 inside
            shallow = depth < CONTAIN_MARGIN
            if not shallow.any():
                continue
            moved = True
            p = v[shallow]
            # Two ways in: toward the segment's axis, or straight under the nearest skin.
            _, _, tri = trimesh.proximity.closest_point(skin, p)
            ways = np.stack([_toward_axis(p, *axes[bone_segment(bid)]), -skin.face_normals[tri]])
            candidates = p[None, None] + PUSH_STEPS[None, :, None, None] * ways[:, None]
            depths = trimesh.proximity.signed_distance(skin, candidates.reshape(-1, 3))
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
