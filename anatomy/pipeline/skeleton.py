"""The skeleton: bone meshes of MyoSuite's ``myo-sim`` models placed in the MedVR body frame.

Build-time only. Loading the bones needs ``mujoco`` and ``myo-sim==0.2.4``, which live in
the asset pipeline's own venv (``.venv-assets``), never in the app's. The id tables and
:func:`bone_sources`, :func:`simplify` and :func:`simplify_to_budget` import neither, so the
rest of the pipeline can read them anywhere.

What myo-sim 0.2.4 gives (see ``SKELETON_SOURCES.md`` for sources and licences):

- MyoTorso: sacrum, L1-L5, T1-T12 (one low-poly mesh each) and ``thorax.stl``, which holds
  the 24 ribs, the sternum fused with the costal cartilages, and a MyoSuite logo plaque
  set on the sternum. Ribs are split apart here; the logo is dropped.
- MyoHead: skull, mandible, and ``hat_cervical.stl`` with C1-C7 and five intervertebral
  discs; the vertebrae are split apart, the discs dropped (not bone, and open strips).
- MyoArm: the right arm only, clavicle to distal phalanges, one mesh a bone. The left
  arm is the right one mirrored in the midsagittal plane.
- MyoLegs: both sides, hip bone to toes. ``foot.stl`` holds the calcaneus, navicular,
  cuboid, three cuneiforms and five metatarsals; ``bofoot.stl`` the 14 toe phalanges.
  Both are split into bones by their connected parts and where those parts sit.

Frame. The composed MuJoCo model's world frame is already ours: Z up, metres, the face
and the toes point to -Y and the single (right) arm lies at -X, so the subject's left is
+X. (The STL files themselves are in OpenSim segment frames: Y up, X forward, Z to the
subject's right; myo-sim's chain XML turns them with ``euler="1.57 -1.57 0"``.) So
:data:`MUJOCO_TO_BODY` is the identity rotation; :func:`extract_bones` only translates so
that x = 0 stays the midsagittal plane, y = 0 lies midway between the ankle joint centres
and the lowest bone point sits ``heel_pad`` above the floor (z = 0 is the skin's sole).

Pose. In the model's default pose (qpos0) the arm already hangs at the side with the
elbow straight and the humerus in anatomical rotation (elbow axis along X), but the
forearm is in mid-pronation: the palm faces the thigh. The anatomical pose supinates the
forearm through myo-sim's own ``pro_sup_r`` joint until the palm faces forward.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import trimesh

from anatomy.errors import AnatomyError

MYO_SIM_VERSION = "0.2.4"

# Rotation from the composed MuJoCo world frame to the MedVR body frame (see module doc).
MUJOCO_TO_BODY = np.eye(3)

# Plantar soft tissue under the calcaneus and metatarsal heads (heel pad, 13-20 mm in
# adults standing): the lowest bone point sits this far above the skin's sole at z = 0.
HEEL_PAD = 0.015

POSES = ("anatomical", "model")

_SIDES = ("r", "l")
_DIGIT_BONES = ("proximal", "middle", "distal")
_CARPALS = (
    "scaphoid",
    "lunate",
    "triquetrum",
    "pisiform",
    "trapezium",
    "trapezoid",
    "capitate",
    "hamate",
)
_TARSALS = (
    "calcaneus",
    "navicular",
    "cuboid",
    "cuneiform_medial",
    "cuneiform_intermediate",
    "cuneiform_lateral",
)


def _arm_mesh_ids() -> dict[str, str]:
    ids = {
        f"{bone}_r": f"{bone}_r" for bone in ("clavicle", "scapula", "humerus", "ulna", "radius")
    }
    ids.update({f"{bone}_r": f"{bone}_r" for bone in _CARPALS})
    ids.update(
        {
            "1mc_r": "metacarpal_1_r",
            "thumbprox_r": "phalanx_proximal_1_r",
            "thumbdist_r": "phalanx_distal_1_r",
        }
    )
    for digit in range(2, 6):
        ids[f"{digit}mc_r"] = f"metacarpal_{digit}_r"
        ids[f"{digit}proxph_r"] = f"phalanx_proximal_{digit}_r"
        ids[f"{digit}midph_r"] = f"phalanx_middle_{digit}_r"
        ids[f"{digit}distph_r"] = f"phalanx_distal_{digit}_r"
    return ids


def _single_mesh_ids() -> dict[str, str]:
    ids = {"sacrum_geom_1_sacrum": "sacrum", "hat_skull": "skull", "hat_jaw": "mandible"}
    ids.update({f"lumbar{n}_geom_1_lumbar{n}": f"l{n}" for n in range(1, 6)})
    ids.update({f"torso_geom_{13 - n}_thoracic{n}_s": f"t{n}" for n in range(1, 13)})
    ids.update(_arm_mesh_ids())
    for side in _SIDES:
        ids[f"{side}_pelvis"] = f"hip_bone_{side}"
        for bone in ("femur", "patella", "tibia", "fibula", "talus"):
            ids[f"{side}_{bone}"] = f"{bone}_{side}"
    return ids


# myo-sim mesh name (MuJoCo asset name in the composed model) -> our id, one bone a mesh.
SINGLE_BONE_MESHES: dict[str, str] = _single_mesh_ids()

RIB_IDS = tuple(f"rib_{n}_{side}" for side in ("l", "r") for n in range(1, 13))
CERVICAL_IDS = tuple(f"c{n}" for n in range(1, 8))


def _foot_ids(side: str) -> tuple[str, ...]:
    return tuple(f"{t}_{side}" for t in _TARSALS) + tuple(
        f"metatarsal_{n}_{side}" for n in range(1, 6)
    )


def _toe_ids(side: str) -> tuple[str, ...]:
    ids = [f"toe_phalanx_proximal_1_{side}", f"toe_phalanx_distal_1_{side}"]
    for toe in range(2, 6):
        ids += [f"toe_phalanx_{bone}_{toe}_{side}" for bone in _DIGIT_BONES]
    return tuple(ids)


# myo-sim mesh name -> the ids of the bones it holds, split by connected parts.
MULTI_BONE_MESHES: dict[str, tuple[str, ...]] = {
    "torso_geom_13_ribcage_s": RIB_IDS + ("sternum",),
    "hat_cervical": CERVICAL_IDS,
    **{f"{side}_foot": _foot_ids(side) for side in _SIDES},
    **{f"{side}_bofoot": _toe_ids(side) for side in _SIDES},
}

# The STL file of each myo-sim mesh (under myo_sim/models/meshes/), for the sources table.
_STL_FILES = {
    "sacrum_geom_1_sacrum": "sacrum.stl",
    "torso_geom_13_ribcage_s": "thorax.stl",
    **{f"lumbar{n}_geom_1_lumbar{n}": f"lumbar{n}.stl" for n in range(1, 6)},
    **{f"torso_geom_{13 - n}_thoracic{n}_s": f"thoracic{n}_s.stl" for n in range(1, 13)},
}


def stl_file(mesh_name: str) -> str:
    """The file under ``myo_sim/models/meshes/`` that a myo-sim mesh name is loaded from."""
    if mesh_name in _STL_FILES:
        return _STL_FILES[mesh_name]
    if mesh_name.startswith("hat_"):
        return f"{mesh_name}.stl"
    if mesh_name.endswith("_r") and mesh_name in SINGLE_BONE_MESHES:
        return f"{mesh_name[:-2]}.stl"
    return f"{mesh_name}.stl"  # the leg meshes: r_femur.stl, l_bofoot.stl ...


def _mirror_id(bone_id: str) -> str:
    return re.sub(r"_r$", "_l", bone_id)


def bone_sources(mirror: bool = True) -> dict[str, str]:
    """Our bone id -> where it comes from: the myo-sim mesh, its STL file, and how it is made.

    Needs neither mujoco nor myo-sim.
    """
    sources: dict[str, str] = {}
    for mesh, bone_id in SINGLE_BONE_MESHES.items():
        sources[bone_id] = f"{mesh} ({stl_file(mesh)})"
    for mesh, bone_ids in MULTI_BONE_MESHES.items():
        for bone_id in bone_ids:
            sources[bone_id] = f"{mesh} ({stl_file(mesh)}), one connected part"
    if mirror:
        for mesh, bone_id in _arm_mesh_ids().items():
            sources[_mirror_id(bone_id)] = f"{mesh} ({stl_file(mesh)}), mirrored x -> -x"
    return dict(sorted(sources.items()))


def bone_ids(mirror: bool = True) -> list[str]:
    """Every bone id :func:`extract_bones` returns, sorted."""
    return list(bone_sources(mirror))


# Joint centres: our name -> the myo-sim joint whose anchor is that centre (right side).
_JOINT_CENTRES = {
    "hip": "hip_flexion",
    "knee": "knee_angle",
    "ankle": "ankle_angle",
    "shoulder": "shoulder_elv",  # glenohumeral centre
    "elbow": "elbow_flexion",
    "wrist": "flexion",  # radiocarpal flexion axis, through the lunate
}
_ARM_JOINTS = ("shoulder", "elbow", "wrist")


# --- loading the model (mujoco and myo_sim imported here only) -------------------------------


@contextlib.contextmanager
def _quiet_mujoco() -> Iterator[None]:
    """Mutes myo-sim's 'empty prefix' attach warnings, from Python and from MuJoCo's C side."""
    import mujoco

    previous = mujoco.get_mju_user_warning()
    mujoco.set_mju_user_warning(lambda _message: None)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            yield
    finally:
        mujoco.set_mju_user_warning(previous)


def _import_sources():
    try:
        import mujoco
        import myo_sim
        from myo_sim.build import compose
    except ImportError as exc:
        raise AnatomyError(
            f"the skeleton needs mujoco and myo-sim=={MYO_SIM_VERSION} (the asset venv "
            f".venv-assets): {exc}",
            f"骨骼生成需要 mujoco 和 myo-sim=={MYO_SIM_VERSION}"
            f"（资源虚拟环境 .venv-assets）：{exc}",
        ) from exc
    if myo_sim.__version__ != MYO_SIM_VERSION:
        raise AnatomyError(
            f"the skeleton is made from myo-sim {MYO_SIM_VERSION}, found {myo_sim.__version__}: "
            "its bone tables and split rules are written for that release",
            f"骨骼按 myo-sim {MYO_SIM_VERSION} 生成，当前为 {myo_sim.__version__}",
        )
    return mujoco, compose


@functools.cache
def _compose_model():
    """Torso with head, the right arm and both legs, as MuJoCo compiles them."""
    mujoco, compose = _import_sources()
    from dataclasses import replace

    # myo-sim's full body minus its own mirrored left arm (we mirror the bones ourselves)
    # and minus the contact pairs and sensors that name that arm.
    registration = replace(
        compose.MODEL_REGISTRY["myofullbody"],
        build_kwargs={"include_arm_contacts": False, "root_pos": (0.0, 0.0, 1.0)},
    )
    with _quiet_mujoco():
        spec = compose.build_torso_spec(registration)
        spec.attach(
            compose.build_right_arm_spec(),
            prefix="",
            suffix="",
            site=compose.find_site(spec, compose.RIGHT_ARM_ATTACH_SITE),
        )
        legs_frame = compose.find_body(spec, "Full Body").add_frame(name="legs_attach")
        spec.attach(compose.build_legs_spec(), prefix="", suffix="", frame=legs_frame)
        model = spec.compile()
    return model


def _joint_qpos_index(model, name: str) -> int:
    import mujoco

    joint = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, name)
    if joint < 0:
        raise AnatomyError(
            f"myo-sim model has no joint {name!r}", f"myo-sim 模型中没有关节 {name!r}"
        )
    return int(model.jnt_qposadr[joint])


def _body_position(model, data, name: str) -> np.ndarray:
    import mujoco

    body = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, name)
    return np.array(data.xpos[body])


def _palm_forward_supination(model) -> float:
    """The ``pro_sup_r`` angle at which the palm faces forward (-Y).

    Palm forward: the bases of the index and little-finger proximal phalanges lie side by
    side in the coronal plane, index lateral. Found by bisection on their y difference,
    which falls steadily as the forearm supinates (pro_sup_r decreasing).
    """
    import mujoco

    data = mujoco.MjData(model)
    index = _joint_qpos_index(model, "pro_sup_r")

    def y_offset(angle: float) -> float:
        data.qpos[:] = model.qpos0
        data.qpos[index] = angle
        mujoco.mj_kinematics(model, data)
        index_base = _body_position(model, data, "2proxph_r")
        little_base = _body_position(model, data, "5proxph_r")
        return float(index_base[1] - little_base[1])

    joint = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, "pro_sup_r")
    low = float(model.jnt_range[joint][0])  # full supination
    if not y_offset(low) > 0 > y_offset(0.0):
        raise AnatomyError(
            "myo-sim forearm: no pro_sup_r angle turns the palm forward",
            "myo-sim 前臂：pro_sup_r 无法使掌心向前",
        )
    a, b = low, 0.0
    for _ in range(40):
        mid = 0.5 * (a + b)
        if y_offset(mid) > 0:
            a = mid
        else:
            b = mid
    return 0.5 * (a + b)


@dataclass(frozen=True)
class _PosedModel:
    meshes: dict[str, trimesh.Trimesh]  # myo-sim mesh name -> mesh in the MuJoCo world frame
    anchors: dict[str, np.ndarray]  # myo-sim joint name -> anchor in the MuJoCo world frame
    supination: float


@functools.cache
def _posed_model(pose: str) -> _PosedModel:
    import mujoco

    if pose not in POSES:
        raise AnatomyError(
            f"unknown skeleton pose {pose!r}: expected one of {', '.join(POSES)}",
            f"未知的骨骼姿势 {pose!r}：应为 {', '.join(POSES)} 之一",
        )
    model = _compose_model()
    data = mujoco.MjData(model)
    data.qpos[:] = model.qpos0
    supination = 0.0
    if pose == "anatomical":
        supination = _palm_forward_supination(model)
        data.qpos[_joint_qpos_index(model, "pro_sup_r")] = supination
    mujoco.mj_kinematics(model, data)

    meshes: dict[str, trimesh.Trimesh] = {}
    for geom in range(model.ngeom):
        if model.geom_type[geom] != mujoco.mjtGeom.mjGEOM_MESH:
            continue
        mesh_id = model.geom_dataid[geom]
        name = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_MESH, mesh_id)
        v0, nv = model.mesh_vertadr[mesh_id], model.mesh_vertnum[mesh_id]
        f0, nf = model.mesh_faceadr[mesh_id], model.mesh_facenum[mesh_id]
        local = np.asarray(model.mesh_vert[v0 : v0 + nv], dtype=np.float64)
        rotation = np.asarray(data.geom_xmat[geom], dtype=np.float64).reshape(3, 3)
        world = local @ rotation.T + data.geom_xpos[geom]
        faces = np.asarray(model.mesh_face[f0 : f0 + nf], dtype=np.int64)
        meshes[name] = trimesh.Trimesh(world, faces, process=False)

    anchors = {}
    for joint in range(model.njnt):
        anchors[mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, joint)] = np.array(
            data.xanchor[joint], dtype=np.float64
        )
    return _PosedModel(meshes, anchors, supination)


# --- splitting meshes that hold several bones ------------------------------------------------


def _parts(mesh: trimesh.Trimesh) -> list[trimesh.Trimesh]:
    """Connected parts (by shared edges), largest first."""
    labels = trimesh.graph.connected_component_labels(
        mesh.face_adjacency, node_count=len(mesh.faces)
    )
    parts = [
        mesh.submesh([np.flatnonzero(labels == label)], append=True, repair=False)
        for label in range(labels.max() + 1)
    ]
    return sorted(parts, key=lambda part: -len(part.faces))


def _split_error(mesh_name: str, expected: str, found: int) -> AnatomyError:
    return AnatomyError(
        f"myo-sim mesh {mesh_name}: expected {expected}, found {found} parts",
        f"myo-sim 网格 {mesh_name}：应有 {expected}，实际 {found} 个部分",
    )


def _merge(parts: list[trimesh.Trimesh]) -> trimesh.Trimesh:
    return trimesh.util.concatenate(parts) if len(parts) > 1 else parts[0]


def _split_ribcage(mesh: trimesh.Trimesh, name: str) -> dict[str, trimesh.Trimesh]:
    """24 ribs and the sternum (with the costal cartilages); the logo plaque goes.

    Ribs are the long closed parts beside the midline; the sternum is the closed part
    that straddles it. Everything else (the plaque and the pieces of its relief, all in
    front of the sternum) is dropped.
    """
    parts = [p for p in _parts(mesh) if p.is_watertight]
    straddling = [p for p in parts if p.bounds[0][0] < -0.01 < 0.01 < p.bounds[1][0]]
    ribs = [p for p in parts if not p.bounds[0][0] < 0 < p.bounds[1][0]]
    if len(ribs) != 24:
        raise _split_error(name, "24 ribs", len(ribs))
    # The sternum reaches up to the jugular notch; the logo plaque lies lower, in front.
    sternum = max(straddling, key=lambda p: p.bounds[1][2])
    bones = {"sternum": sternum}
    for side, sign in (("l", 1.0), ("r", -1.0)):
        side_ribs = [p for p in ribs if np.sign(p.centroid[0]) == sign]
        if len(side_ribs) != 12:
            raise _split_error(name, f"12 ribs on side {side}", len(side_ribs))
        # Rib 1 highest: order by the height of the rib head, the point nearest the spine.
        heads = [
            p.vertices[np.argmax(p.vertices[:, 1] - np.abs(p.vertices[:, 0]))] for p in side_ribs
        ]
        order = np.argsort([-h[2] for h in heads])
        for n, i in enumerate(order, start=1):
            bones[f"rib_{n}_{side}"] = side_ribs[i]
    return bones


def _split_cervical(mesh: trimesh.Trimesh, name: str) -> dict[str, trimesh.Trimesh]:
    """C1-C7 are the seven biggest parts, C1 highest; discs and slivers are dropped."""
    parts = _parts(mesh)
    vertebrae = parts[:7]
    if len(parts) < 7 or min(len(p.faces) for p in vertebrae) < 200:
        raise _split_error(name, "7 vertebrae of 200 faces or more", len(parts))
    vertebrae.sort(key=lambda p: -p.centroid[2])
    return {f"c{n}": part for n, part in enumerate(vertebrae, start=1)}


def _nearest(point: np.ndarray, parts: list[trimesh.Trimesh]) -> int:
    """Index of the part whose vertices come closest to a point."""
    return int(np.argmin([np.linalg.norm(p.vertices - point, axis=1).min() for p in parts]))


def _gap(a: trimesh.Trimesh, b: trimesh.Trimesh) -> float:
    """Smallest distance between the vertices of two parts."""
    return float(np.sqrt(((a.vertices[:, None, :] - b.vertices[None, :, :]) ** 2).sum(-1)).min())


def _split_foot(mesh: trimesh.Trimesh, name: str, side: str) -> dict[str, trimesh.Trimesh]:
    """Calcaneus, navicular, cuboid, three cuneiforms and five metatarsals.

    Metatarsals: the five parts longest front to back, numbered from the midline out.
    Calcaneus: the biggest part. The other tarsals are named by the metatarsals they meet:
    cuneiforms those of rays 1-3, the cuboid rays 4 and 5 (the assignment with the
    smallest total gap); the one left over is the navicular.
    """
    parts = _parts(mesh)
    if len(parts) != 11:
        raise _split_error(name, "11 bones", len(parts))
    calcaneus = parts[0]
    rest = sorted(parts[1:], key=lambda p: -p.extents[1])
    metatarsals = sorted(rest[:5], key=lambda p: abs(p.centroid[0]))
    tarsals = rest[5:]
    gaps = np.array([[_gap(m, t) for t in tarsals] for m in metatarsals])
    best = min(
        itertools.permutations(range(len(tarsals)), 4),
        key=lambda p: gaps[0, p[0]] + gaps[1, p[1]] + gaps[2, p[2]] + gaps[3, p[3]] + gaps[4, p[3]],
    )
    names = ("cuneiform_medial", "cuneiform_intermediate", "cuneiform_lateral", "cuboid")
    bones = {f"calcaneus_{side}": calcaneus}
    bones.update({f"{n}_{side}": tarsals[i] for n, i in zip(names, best, strict=True)})
    (navicular,) = set(range(len(tarsals))) - set(best)
    bones[f"navicular_{side}"] = tarsals[navicular]
    bones.update({f"metatarsal_{n}_{side}": m for n, m in enumerate(metatarsals, start=1)})
    return bones


def _split_toes(
    mesh: trimesh.Trimesh, name: str, side: str, metatarsals: list[trimesh.Trimesh]
) -> dict[str, trimesh.Trimesh]:
    """14 phalanges, followed ray by ray from each metatarsal head forward (-Y)."""
    parts = _parts(mesh)
    if len(parts) != 14:
        raise _split_error(name, "14 phalanges", len(parts))
    free = list(range(len(parts)))
    bones = {}
    for toe, metatarsal in enumerate(metatarsals, start=1):
        tip = metatarsal.vertices[np.argmin(metatarsal.vertices[:, 1])]
        names = ("proximal", "distal") if toe == 1 else _DIGIT_BONES
        for bone in names:
            i = free[_nearest(tip, [parts[j] for j in free])]
            free.remove(i)
            bones[f"toe_phalanx_{bone}_{toe}_{side}"] = parts[i]
            tip = parts[i].vertices[np.argmin(parts[i].vertices[:, 1])]
    return bones


# --- repair, mirroring, public API ------------------------------------------------------------


def _drop_slivers(mesh: trimesh.Trimesh, min_faces: int = 16) -> trimesh.Trimesh:
    """Removes stray bits left in the source files: lone triangles, back-to-back pairs."""
    parts = _parts(mesh)
    return _merge([p for p in parts if len(p.faces) >= min_faces] or parts[:1])


def _open_non_manifold_edges(mesh: trimesh.Trimesh) -> None:
    """Removes the faces on edges shared by more than two faces, leaving holes to fill."""
    edges, counts = np.unique(mesh.edges_sorted, axis=0, return_counts=True)
    crowded = edges[counts > 2]
    if len(crowded) == 0:
        return
    on_crowded = np.isin(
        mesh.edges_sorted.view([("a", np.int64), ("b", np.int64)]).ravel(),
        crowded.astype(np.int64).view([("a", np.int64), ("b", np.int64)]).ravel(),
    )
    bad_faces = np.unique(mesh.edges_face[on_crowded])
    keep = np.ones(len(mesh.faces), dtype=bool)
    keep[bad_faces] = False
    mesh.update_faces(keep)
    mesh.remove_unreferenced_vertices()


def _boundary_cycles(mesh: trimesh.Trimesh) -> list[list[int]]:
    """The holes' rims as simple vertex cycles, in the direction their faces run them.

    A rim that touches itself at a vertex is cut there into simple cycles, so that every
    fan laid into one is a manifold patch.
    """
    _, inverse, counts = np.unique(
        mesh.edges_sorted, axis=0, return_inverse=True, return_counts=True
    )
    boundary = mesh.edges[counts[inverse.ravel()] == 1]
    outgoing: dict[int, list[int]] = {}
    for a, b in boundary.tolist():
        outgoing.setdefault(a, []).append(b)
    cycles = []
    while outgoing:
        start = next(iter(outgoing))
        path = [start]
        while True:
            targets = outgoing.get(path[-1])
            if not targets:
                break  # an open chain, not a rim: leave it
            following = targets.pop()
            if not targets:
                del outgoing[path[-1]]
            if following in path:
                j = path.index(following)
                cycles.append(path[j:])
                del path[j + 1 :]
                if len(path) == 1 and path[0] not in outgoing:
                    break
            else:
                path.append(following)
    return [c for c in cycles if len(c) >= 3]


def _fill_boundary_loops(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """Closes every hole with a fan of triangles around the centre of its rim.

    The fan runs each rim edge the other way from its face, so new faces keep the winding.
    """
    cycles = _boundary_cycles(mesh)
    if not cycles:
        return mesh
    vertices = [mesh.vertices]
    faces = [mesh.faces]
    count = len(mesh.vertices)
    for cycle in cycles:
        ring = np.array(cycle)
        vertices.append(mesh.vertices[ring].mean(axis=0)[None, :])
        faces.append(np.column_stack([np.roll(ring, -1), ring, np.full(len(ring), count)]))
        count += 1
    return trimesh.Trimesh(np.vstack(vertices), np.vstack(faces), process=False)


def repair_bone(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """Drops slivers, opens non-manifold edges, closes holes, winds every face outward."""
    mesh = _drop_slivers(mesh)
    mesh.merge_vertices()
    mesh.update_faces(mesh.nondegenerate_faces())
    mesh.remove_unreferenced_vertices()
    if not mesh.is_watertight:
        _open_non_manifold_edges(mesh)
        trimesh.repair.fix_winding(mesh)
        mesh = _fill_boundary_loops(mesh)
        trimesh.repair.fill_holes(mesh)
    trimesh.repair.fix_normals(mesh, multibody=True)
    return mesh


def mirror_left(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """The mirror image in the midsagittal plane (x -> -x), faces re-wound to stay outward."""
    vertices = mesh.vertices * np.array([-1.0, 1.0, 1.0])
    return trimesh.Trimesh(vertices, mesh.faces[:, ::-1].copy(), process=False)


def _body_translation(posed: _PosedModel, heel_pad: float) -> np.ndarray:
    lowest = min(float(m.vertices[:, 2].min()) for m in posed.meshes.values())
    ankles = [posed.anchors[f"ankle_angle_{side}"] for side in _SIDES]
    mid_ankle_y = float(np.mean([a[1] for a in ankles]))
    return np.array([0.0, -mid_ankle_y, heel_pad - lowest])


def _to_body(mesh: trimesh.Trimesh, translation: np.ndarray) -> trimesh.Trimesh:
    vertices = mesh.vertices @ MUJOCO_TO_BODY.T + translation
    return trimesh.Trimesh(vertices, mesh.faces.copy(), process=False)


def extract_bones(
    *,
    pose: str = "anatomical",
    mirror: bool = True,
    repair: bool = True,
    heel_pad: float = HEEL_PAD,
    max_total_faces: int | None = None,
) -> dict[str, trimesh.Trimesh]:
    """Every bone myo-sim has, as a mesh in the MedVR body frame (metres, Z up, facing -Y).

    ``pose``: ``"anatomical"`` (palms forward) or ``"model"`` (myo-sim's qpos0).
    ``mirror``: add ``_l`` copies of the right-only arm bones.
    ``repair``: drop source slivers, fill holes and fix the winding (see :func:`repair_bone`).
    ``max_total_faces``: decimate to this many triangles in all (see :func:`face_budget`),
    the right arm before it is mirrored so that both arms stay exact mirror images.
    """
    posed = _posed_model(pose)
    translation = _body_translation(posed, heel_pad)
    meshes = {name: _to_body(mesh, translation) for name, mesh in posed.meshes.items()}

    expected = set(SINGLE_BONE_MESHES) | set(MULTI_BONE_MESHES)
    missing = sorted(expected - set(meshes))
    if missing:
        raise AnatomyError(
            f"myo-sim model lacks the meshes {', '.join(missing)}",
            f"myo-sim 模型缺少网格 {', '.join(missing)}",
        )
    bones = {SINGLE_BONE_MESHES[name]: meshes[name] for name in SINGLE_BONE_MESHES}
    bones.update(_split_ribcage(meshes["torso_geom_13_ribcage_s"], "torso_geom_13_ribcage_s"))
    bones.update(_split_cervical(meshes["hat_cervical"], "hat_cervical"))
    for side in _SIDES:
        foot = _split_foot(meshes[f"{side}_foot"], f"{side}_foot", side)
        bones.update(foot)
        metatarsals = [foot[f"metatarsal_{n}_{side}"] for n in range(1, 6)]
        bones.update(_split_toes(meshes[f"{side}_bofoot"], f"{side}_bofoot", side, metatarsals))

    if repair:
        bones = {bone_id: repair_bone(mesh) for bone_id, mesh in bones.items()}
    mirrored = {_mirror_id(b): b for b in _arm_mesh_ids().values()} if mirror else {}
    if max_total_faces is not None:
        # The budget counts the mirrored copies; only the originals are decimated.
        whole = bones | {left: bones[right] for left, right in mirrored.items()}
        budget = face_budget(whole, max_total_faces)
        bones = {bone_id: simplify(mesh, budget[bone_id]) for bone_id, mesh in bones.items()}
    for left, right in mirrored.items():
        bones[left] = mirror_left(bones[right])
    empty = sorted(bone_id for bone_id, mesh in bones.items() if len(mesh.faces) == 0)
    if empty:
        raise AnatomyError(
            f"empty bone meshes: {', '.join(empty)}", f"空骨骼网格：{', '.join(empty)}"
        )
    return dict(sorted(bones.items()))


def joint_centres(*, pose: str = "anatomical", heel_pad: float = HEEL_PAD) -> dict[str, np.ndarray]:
    """Hip, knee, ankle, shoulder, elbow and wrist centres, both sides, in the body frame.

    Keys like ``hip_r``, ``wrist_l``: myo-sim's joint anchors (the left arm's mirrored from
    the right), placed exactly as :func:`extract_bones` places the bones.
    """
    posed = _posed_model(pose)
    translation = _body_translation(posed, heel_pad)
    centres = {}
    for name, joint in _JOINT_CENTRES.items():
        for side in _SIDES:
            if name in _ARM_JOINTS:
                anchor = posed.anchors[f"{joint}_r"]
                if side == "l":
                    anchor = anchor * np.array([-1.0, 1.0, 1.0])
            else:
                anchor = posed.anchors[f"{joint}_{side}"]
            centres[f"{name}_{side}"] = MUJOCO_TO_BODY @ anchor + translation
    return centres


def forearm_supination(pose: str = "anatomical") -> float:
    """The ``pro_sup_r`` angle (radians) the pose sets; 0 for the model's own pose."""
    return _posed_model(pose).supination


# --- triangle budget ------------------------------------------------------------------------


def simplify(mesh: trimesh.Trimesh, max_faces: int) -> trimesh.Trimesh:
    """Quadric decimation down to at most ``max_faces`` triangles (PyPI fast-simplification).

    A mesh already within the budget comes back unchanged (a copy). A closed mesh stays
    closed: decimation that opens it is repaired, and failing that retried at a slightly
    different target; if every try opens it, the last try is returned open.
    """
    if len(mesh.faces) <= max_faces:
        return mesh.copy()
    simple = mesh
    for target in (max_faces, max_faces - 4, max_faces - 8, max_faces - 16):
        simple = mesh.simplify_quadric_decimation(face_count=int(target))
        if not mesh.is_watertight or simple.is_watertight:
            break
        simple = repair_bone(simple)
        if simple.is_watertight and len(simple.faces) <= max_faces:
            break
    return simple


def face_budget(
    bones: dict[str, trimesh.Trimesh], max_total_faces: int, min_faces: int = 96
) -> dict[str, int]:
    """Faces each bone may keep so that the whole stays within ``max_total_faces``.

    Shares go by surface area (small bones drawn with as fine a mesh as big ones), never
    above what a bone has, never below ``min_faces``.
    """
    have = {k: len(m.faces) for k, m in bones.items()}
    if sum(have.values()) <= max_total_faces:
        return have
    area = {k: max(float(m.area), 1e-12) for k, m in bones.items()}
    budget: dict[str, int] = {}
    active = set(bones)
    remaining = float(max_total_faces)
    while active:
        per_area = remaining / sum(area[k] for k in active)
        settled = {k for k in active if have[k] <= max(min_faces, per_area * area[k])}
        if not settled:
            for k in active:
                budget[k] = max(min_faces, int(per_area * area[k]))
            break
        for k in settled:
            budget[k] = have[k]
            remaining -= have[k]
        active -= settled
    return budget


def simplify_to_budget(
    bones: dict[str, trimesh.Trimesh], max_total_faces: int = 300_000, min_faces: int = 96
) -> dict[str, trimesh.Trimesh]:
    """Every bone decimated to its :func:`face_budget` share."""
    budget = face_budget(bones, max_total_faces, min_faces)
    return {k: simplify(m, budget[k]) for k, m in bones.items()}


@dataclass(frozen=True)
class BoneStats:
    bone_id: str
    faces: int
    watertight: bool
    volume_cm3: float | None  # None where the mesh is open


def bone_report(bones: dict[str, trimesh.Trimesh]) -> list[BoneStats]:
    return [
        BoneStats(
            k,
            len(m.faces),
            bool(m.is_watertight),
            round(float(m.volume) * 1e6, 2) if m.is_watertight else None,
        )
        for k, m in bones.items()
    ]


def main() -> None:
    """Prints the bones, their faces and watertightness, and what triangle budgets leave."""
    import time

    start = time.perf_counter()
    raw = extract_bones(repair=False, mirror=False)
    bones = extract_bones()
    elapsed = time.perf_counter() - start
    print(f"supination for palms forward: {np.degrees(forearm_supination()):.1f} deg")
    print(
        f"{len(raw)} bones from myo-sim, {len(bones)} with the mirrored left arm ({elapsed:.1f} s)"
    )
    print(
        f"triangles: source {sum(len(m.faces) for m in raw.values())}, "
        f"repaired+mirrored {sum(len(m.faces) for m in bones.values())}"
    )
    for budget in (300_000, 150_000, 100_000):
        start = time.perf_counter()
        small = extract_bones(max_total_faces=budget)
        elapsed = time.perf_counter() - start
        open_small = sorted(k for k, m in small.items() if not m.is_watertight)
        print(
            f"extract_bones(max_total_faces={budget}): "
            f"{sum(len(m.faces) for m in small.values())} faces, "
            f"{sum(len(m.vertices) for m in small.values())} vertices ({elapsed:.1f} s), "
            f"open: {' '.join(open_small) or 'none'}"
        )
    open_raw = sorted(k for k, m in raw.items() if not m.is_watertight)
    open_bones = sorted(k for k, m in bones.items() if not m.is_watertight)
    print(f"open before repair ({len(open_raw)}): {' '.join(open_raw)}")
    print(f"open after repair ({len(open_bones)}): {' '.join(open_bones)}")
    for stats, simple in zip(bone_report(bones), small.values(), strict=True):
        print(
            f"  {stats.bone_id:32} {stats.faces:6} faces ({len(simple.faces):5} at 100k)  "
            f"watertight={stats.watertight!s:5} volume={stats.volume_cm3} cm3"
        )
    for name, centre in joint_centres().items():
        print(f"  joint {name:12} {np.round(centre, 4)}")


if __name__ == "__main__":
    main()
