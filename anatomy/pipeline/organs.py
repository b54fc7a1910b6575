"""Organ surfaces from scaffoldmaker's anatomical scaffolds, placed in the MedVR body frame.

scaffoldmaker builds each organ as a cubic-Hermite finite-element mesh in a cmlibs.zinc
region and names its parts with annotation groups carrying UBERON/FMA/ILX terms. Here
every element face is sampled on a grid of element (xi) coordinates; the samples are
welded, and for each named 3D group the faces used by exactly one of its elements make
its closed surface. Named 2D groups (epicardium, luminal surfaces…) become open surfaces,
named points become landmarks.

Build-time only: scaffoldmaker and cmlibs.zinc live in the asset-pipeline venv
(``.venv-assets``). This module imports without them; generating raises AnatomyError.
Sources and licences: ORGAN_SOURCES.md beside this file.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from anatomy.errors import AnatomyError

SCAFFOLDMAKER_VERSION = "0.21.0"

Vec = tuple[float, float, float]

# scaffoldmaker's whole-body frame (esophagus, stomach "Human 2", small intestine, caecum
# "Human 2", colon "Human 3", whole-spine nerves): millimetres, +x left, -y anterior,
# +z superior, x = 0 on the midline. Its esophagus starts at z = 1404 mm and its rectum
# ends at 799 mm; this shift puts them at C6 (1.46 m) and the anorectal junction (0.86 m)
# of our 1.75 m reference male, and the esophagus just in front of the vertebral bodies.
BODY_FRAME_MM_SHIFT: Vec = (0.0, 0.13, 0.06)

_SUPERIOR: Vec = (0.0, 0.0, 1.0)
_ANTERIOR: Vec = (0.0, -1.0, 0.0)
_LEFT: Vec = (1.0, 0.0, 0.0)


@dataclass(frozen=True)
class Placement:
    """Where an organ goes in our frame (metres, Z up, soles at z = 0, facing -Y, left +X).

    The organ is turned so that its main axis (``OrganSpec.main_axis``) points along
    ``axis`` and its second axis turns as far toward ``toward`` as it can; scaled so its
    extent along ``axis`` is ``size``; moved so its bounding-box centre is ``centre``.
    ``mirror`` gives the other side's organ (a right nerve from a left one).
    """

    centre: Vec
    size: float
    axis: Vec
    toward: Vec
    mirror: bool = False
    note: str = ""

    def mirrored(self) -> Placement:
        """The same placement reflected across the midsagittal plane (x -> -x)."""

        def flip(v: Vec) -> Vec:
            return (-v[0], v[1], v[2])

        return Placement(
            flip(self.centre),
            self.size,
            flip(self.axis),
            flip(self.toward),
            not self.mirror,
            self.note,
        )


@dataclass(frozen=True)
class OrganSpec:
    """One organ: the scaffold that makes it and what its coordinates mean."""

    organ_id: str
    scaffold_class: str  # scaffoldmaker.meshtypes class
    scaffold_name: str  # its getName(), used to find it
    parameter_set: str
    units: str
    axes: str  # what the scaffold's own x, y, z point to
    main_axis: Vec  # scaffold direction that Placement.axis refers to
    second_axis: Vec  # scaffold direction that Placement.toward refers to
    placement: Placement  # default for the 1.75 m reference male standing at the origin
    samples: int = 4  # grid intervals along each element face edge
    max_part_triangles: int = 0  # decimate a part above this (0: never)
    native_bounds: tuple[Vec, Vec] | None = None  # measured, for body-frame organs
    notes: str = ""


def _body_frame_placement(bounds: tuple[Vec, Vec], note: str) -> Placement:
    """Native size, shifted by BODY_FRAME_MM_SHIFT: the same transform for every such organ."""
    lo, hi = np.asarray(bounds[0]), np.asarray(bounds[1])
    centre = 0.001 * (lo + hi) / 2 + np.asarray(BODY_FRAME_MM_SHIFT)
    size = 0.001 * float(hi[2] - lo[2])
    return Placement(tuple(np.round(centre, 6)), round(size, 6), _SUPERIOR, _ANTERIOR, note=note)


_BODY_FRAME_AXES = "scaffoldmaker whole-body frame: +x left, -y anterior, +z superior"

# Bounding boxes (mm) of the sampled whole-body-frame scaffolds: defaults built from them keep
# the shared frame's scale (1 mm -> 1 mm) and shift, so the GI organs stay joined.
_ESOPHAGUS_BOUNDS = ((-8.66, -113.77, 1126.09), (14.32, -62.69, 1403.92))
_STOMACH_BOUNDS = ((-39.18, -191.35, 1031.82), (103.72, -83.29, 1158.87))
_SMALL_INTESTINE_BOUNDS = ((-75.15, -166.26, 811.87), (82.54, -71.7, 1069.59))
_CAECUM_BOUNDS = ((-112.62, -146.34, 852.39), (-53.81, -77.47, 900.0))
_COLON_BOUNDS = ((-123.43, -187.06, 799.44), (124.22, -33.1, 1051.23))
_SPINAL_NERVES_BOUNDS = ((-62.37, -81.61, 799.82), (60.13, -6.63, 1480.64))

# Heart apex: 50 degrees left of straight ahead, 35 degrees below the horizontal.
_HEART_APEX = (0.627, -0.527, -0.574)

ORGANS: dict[str, OrganSpec] = {
    spec.organ_id: spec
    for spec in [
        OrganSpec(
            organ_id="heart",
            scaffold_class="MeshType_3d_heart1",
            scaffold_name="3D Heart 1",
            parameter_set="Human 1",
            units="dimensionless (left ventricle outer height 0.9)",
            axes="cardiac frame: +z apex-to-base long axis (apex at z = -1.15), "
            "+y anterior (crux cordis at y = -0.53), +x toward the right atrium",
            main_axis=(0.0, 0.0, -1.0),
            second_axis=(1.0, 0.35, 0.0),  # from the left ventricle to the right ventricle
            placement=Placement(
                centre=(0.02, -0.03, 1.30),
                size=0.12,
                axis=_HEART_APEX,
                toward=(-0.6, -0.8, 0.0),  # the right ventricle lies in front and to the right
                note="middle mediastinum behind the sternum at the 4th-5th costal cartilages, "
                "two thirds left of the midline; base-to-apex about 12 cm, apex to the left "
                "5th intercostal space (left, anterior, inferior)",
            ),
            samples=3,
            max_part_triangles=8000,
        ),
        OrganSpec(
            organ_id="lungs",
            scaffold_class="MeshType_3d_lung2",
            scaffold_name="3D Lung 2",
            parameter_set="Human 1",
            units="dimensionless (apex to base 1.17)",
            axes="+x subject's right (left lung at x < 0), +y anterior, +z superior",
            main_axis=(0.0, 0.0, 1.0),
            second_axis=(0.0, 1.0, 0.0),
            placement=Placement(
                centre=(0.0, 0.01, 1.32),
                size=0.27,
                axis=_SUPERIOR,
                toward=_ANTERIOR,
                note="apices 2-3 cm above the clavicles (1.455 m), bases on the diaphragm "
                "domes at T10 (1.185 m); the heart sits in the medial concavities",
            ),
            samples=4,
            max_part_triangles=6000,
        ),
        OrganSpec(
            organ_id="esophagus",
            scaffold_class="MeshType_3d_esophagus1",
            scaffold_name="3D Esophagus 1",
            parameter_set="Human 1",
            units="mm",
            axes=_BODY_FRAME_AXES,
            main_axis=(0.0, 0.0, 1.0),
            second_axis=(0.0, -1.0, 0.0),
            placement=_body_frame_placement(
                _ESOPHAGUS_BOUNDS,
                "C6 to the cardia at T11, in front of the vertebral bodies (shared GI frame)",
            ),
            samples=2,
            max_part_triangles=6000,
            native_bounds=_ESOPHAGUS_BOUNDS,
        ),
        OrganSpec(
            organ_id="stomach",
            scaffold_class="MeshType_3d_stomach1",
            scaffold_name="3D Stomach 1",
            parameter_set="Human 2",
            units="mm",
            axes=_BODY_FRAME_AXES,
            main_axis=(0.0, 0.0, 1.0),
            second_axis=(0.0, -1.0, 0.0),
            placement=_body_frame_placement(
                _STOMACH_BOUNDS,
                "left upper quadrant under the left diaphragm dome, pylorus at L1 right of "
                "the midline (shared GI frame)",
            ),
            samples=3,
            max_part_triangles=8000,
            native_bounds=_STOMACH_BOUNDS,
            notes="includes the abdominal esophagus and the first part of the duodenum",
        ),
        OrganSpec(
            organ_id="small_intestine",
            scaffold_class="MeshType_3d_smallintestine1",
            scaffold_name="3D Small Intestine 1",
            parameter_set="Human 1",
            units="mm",
            axes=_BODY_FRAME_AXES,
            main_axis=(0.0, 0.0, 1.0),
            second_axis=(0.0, -1.0, 0.0),
            placement=_body_frame_placement(
                _SMALL_INTESTINE_BOUNDS,
                "duodenal C around the pancreas head, jejunum and ileum coiled in the "
                "central abdomen inside the colon's frame (shared GI frame)",
            ),
            samples=1,
            max_part_triangles=12000,
            native_bounds=_SMALL_INTESTINE_BOUNDS,
        ),
        OrganSpec(
            organ_id="caecum",
            scaffold_class="MeshType_3d_cecum1",
            scaffold_name="3D Cecum 1",
            parameter_set="Human 2",
            units="mm",
            axes=_BODY_FRAME_AXES,
            main_axis=(0.0, 0.0, 1.0),
            second_axis=(0.0, -1.0, 0.0),
            placement=_body_frame_placement(
                _CAECUM_BOUNDS, "right iliac fossa below the ileocaecal junction (shared GI frame)"
            ),
            samples=2,
            max_part_triangles=4000,
            native_bounds=_CAECUM_BOUNDS,
        ),
        OrganSpec(
            organ_id="colon",
            scaffold_class="MeshType_3d_colon1",
            scaffold_name="3D Colon 1",
            parameter_set="Human 3",
            units="mm",
            axes=_BODY_FRAME_AXES,
            main_axis=(0.0, 0.0, 1.0),
            second_axis=(0.0, -1.0, 0.0),
            placement=_body_frame_placement(
                _COLON_BOUNDS,
                "ascending colon on the right flank, transverse colon below the stomach, "
                "descending and sigmoid colon on the left down to the rectum (shared GI frame)",
            ),
            samples=1,
            max_part_triangles=12000,
            native_bounds=_COLON_BOUNDS,
        ),
        OrganSpec(
            organ_id="bladder",
            scaffold_class="MeshType_3d_bladder1",
            scaffold_name="3D Bladder 1",
            parameter_set="Human 1",
            units="dimensionless (neck to apex 2.0)",
            axes="+x neck to apex, +y dorsal (ureters enter at y = +0.18), "
            "+z subject's right (left ureter at z = -0.41)",
            main_axis=(1.0, 0.0, 0.0),
            second_axis=(0.0, 0.0, -1.0),
            placement=Placement(
                (0.0, -0.04, 0.94),
                0.08,
                (0.0, -0.45, 0.89),
                _LEFT,
                note="moderately filled bladder behind the pubic symphysis, neck at its lower "
                "border, apex toward the umbilicus",
            ),
            samples=3,
            max_part_triangles=4000,
        ),
        OrganSpec(
            organ_id="brainstem",
            scaffold_class="MeshType_3d_brainstem1",
            scaffold_name="3D Brainstem 1",
            parameter_set="Human 1",
            units="mm",
            axes="+z superior (midbrain at z = +28, medulla at z = -52), -y ventral, "
            "x across (symmetric)",
            main_axis=(0.0, 0.0, 1.0),
            second_axis=(0.0, -1.0, 0.0),
            placement=Placement(
                centre=(0.0, 0.01, 1.62),
                size=0.08,
                axis=_SUPERIOR,
                toward=_ANTERIOR,
                note="midbrain at eye level down to the foramen magnum at the mastoid tips, "
                "in the coronal plane of the ear canals",
            ),
            samples=4,
            max_part_triangles=4000,
        ),
        OrganSpec(
            organ_id="uterus",
            scaffold_class="MeshType_3d_uterus1",
            scaffold_name="3D Uterus 1",
            parameter_set="Human 1",
            units="dimensionless (about cm: fundus to vaginal end 16)",
            axes="+x fundus to cervix and vagina, +y subject's right (left round ligament at "
            "y = -4.5), +z posterior (the vagina bends to -z, forward)",
            main_axis=(1.0, 0.0, 0.0),
            second_axis=(0.0, 0.0, -1.0),
            placement=Placement(
                (0.0, 0.01, 0.93),
                0.15,
                (0.0, 0.6, -0.8),
                _ANTERIOR,
                note="female bodies only: anteverted uterus over the bladder, the cervix "
                "pointing down and back toward the sacrum (the build places the fundus and "
                "body on each pelvis: pelvis.place_uterus)",
            ),
            samples=2,
            max_part_triangles=4000,
        ),
        OrganSpec(
            organ_id="spinal_nerves",
            scaffold_class="MeshType_3d_spinalnerve1",
            scaffold_name="3D Spinal Nerve 1",
            parameter_set="Human whole spine 1",
            units="mm",
            axes=_BODY_FRAME_AXES,
            main_axis=(0.0, 0.0, 1.0),
            second_axis=(0.0, -1.0, 0.0),
            placement=_body_frame_placement(
                _SPINAL_NERVES_BOUNDS,
                "31 pairs from C1 at the atlas to the coccygeal nerve, roots leaving the "
                "intervertebral foramina (shared GI frame)",
            ),
            samples=1,
            max_part_triangles=3000,
            native_bounds=_SPINAL_NERVES_BOUNDS,
            notes="about 40 s to generate",
        ),
        OrganSpec(
            organ_id="trigeminal_nerve",
            scaffold_class="MeshType_3d_trigeminalnerve1",
            scaffold_name="3D Trigeminal Nerve 1",
            parameter_set="Human 1",
            units="dimensionless (ganglion width 3.5: about 5 mm a unit)",
            axes="+x from the root at the pons forward to the three divisions, +y from the "
            "mandibular (y = -1.7) to the ophthalmic division (y = +2.3), z flat (thickness 0.5)",
            main_axis=(1.0, 0.0, 0.0),
            second_axis=(0.0, 1.0, 0.0),
            placement=Placement(
                (0.025, -0.015, 1.64),
                0.04,
                (0.3, -0.95, 0.0),
                _SUPERIOR,
                note="left nerve: from the pons forward over the petrous apex to the "
                "ganglion in the middle cranial fossa (use .mirrored() for the right)",
            ),
            samples=2,
            max_part_triangles=3000,
            notes="one nerve, flat in its own x-y plane, so it mirrors into the right one",
        ),
    ]
}


@dataclass
class OrganPart:
    """One named part: its surface in the scaffold's own units and axes, and its terms."""

    part_id: str  # stable lowercase id made from the name
    name: str  # scaffoldmaker's annotation name
    term_id: str  # the preferred term id scaffoldmaker attaches (UBERON, FMA or ILX)
    term_ids: tuple[str, ...]  # every id scaffoldmaker lists for the term
    dimension: int  # 3: closed boundary of a volume group; 2: a named (open) surface
    mesh: trimesh.Trimesh
    element_count: int
    contains: tuple[str, ...] = ()  # 3D parts whose elements all belong to this one

    @property
    def closed(self) -> bool:
        return bool(self.mesh.is_watertight)


@dataclass(frozen=True)
class Landmark:
    """A named point scaffoldmaker marks on the organ, in scaffold coordinates."""

    name: str
    term_id: str  # "" for the few points scaffoldmaker gives no term (uterine ligaments)
    position: np.ndarray


@dataclass
class OrganModel:
    spec: OrganSpec
    parts: dict[str, OrganPart]
    landmarks: dict[str, Landmark]
    reference_points: np.ndarray  # every sampled point: the organ's extent for placement
    skipped_groups: dict[str, str] = field(default_factory=dict)  # name -> why
    seconds: float = 0.0


# Groups scaffoldmaker's tube and ellipsoid generators make for themselves (no term id).
_CONSTRUCTION_GROUPS = frozenset({"core", "shell", "left", "right"})


def part_id_for(name: str) -> str:
    """'left ventricle myocardium' -> 'left_ventricle_myocardium'."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _require_scaffoldmaker():
    try:
        from cmlibs.zinc.context import Context
        from scaffoldmaker.scaffoldpackage import ScaffoldPackage
        from scaffoldmaker.scaffolds import Scaffolds
    except ImportError as exc:
        raise AnatomyError(
            f"organ scaffolds need scaffoldmaker=={SCAFFOLDMAKER_VERSION} and cmlibs.zinc "
            f"(the asset-pipeline venv .venv-assets): {exc}",
            zh=f"生成器官需要 scaffoldmaker=={SCAFFOLDMAKER_VERSION} 与 cmlibs.zinc（资源管线环境"
            f" .venv-assets）：{exc}",
        ) from exc
    return Context, ScaffoldPackage, Scaffolds


def _spec(organ_id: str) -> OrganSpec:
    try:
        return ORGANS[organ_id]
    except KeyError:
        raise AnatomyError(
            f"unknown organ {organ_id!r}; known: {', '.join(ORGANS)}",
            zh=f"未知器官 {organ_id!r}；可用：{', '.join(ORGANS)}",
        ) from None


@lru_cache(maxsize=1)
def _term_ids_by_name() -> dict[str, tuple[str, ...]]:
    """Every ontology id scaffoldmaker's term lists give for a name (preferred id first)."""
    import importlib
    import pkgutil

    import scaffoldmaker.annotation as annotation

    ids: dict[str, tuple[str, ...]] = {}
    for info in pkgutil.iter_modules(annotation.__path__):
        if not info.name.endswith("_terms"):
            continue
        module = importlib.import_module(f"scaffoldmaker.annotation.{info.name}")
        for value in vars(module).values():
            if not isinstance(value, list):
                continue
            for term in value:
                if isinstance(term, tuple) and term and isinstance(term[0], str):
                    found = tuple(
                        t.strip()
                        for t in term[1:]
                        if isinstance(t, str) and re.match(r"^[A-Z]+:\w+", t.strip())
                    )
                    ids.setdefault(term[0], found)
    return ids


def _face_xi(face: int, n: int) -> np.ndarray:
    """Xi of an (n+1) x (n+1) grid on cube face 0..5 (xi1=0, xi1=1, xi2=0, … xi3=1)."""
    u = np.linspace(0.0, 1.0, n + 1)
    a, b = np.meshgrid(u, u, indexing="ij")
    columns = [a.ravel(), b.ravel()]
    columns.insert(face // 2, np.full(a.size, float(face % 2)))
    return np.stack(columns, axis=1)


def _grid_triangles(n: int) -> np.ndarray:
    idx = np.arange((n + 1) ** 2).reshape(n + 1, n + 1)
    a, b, c, d = idx[:-1, :-1], idx[1:, :-1], idx[1:, 1:], idx[:-1, 1:]
    return np.concatenate(
        [np.stack([a, b, c], -1).reshape(-1, 3), np.stack([a, c, d], -1).reshape(-1, 3)]
    )


def _weld(points: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Labels joining points closer than tolerance, and one position per label."""
    pairs = cKDTree(points).query_pairs(tolerance, output_type="ndarray")
    n = len(points)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    count, labels = connected_components(graph, directed=False)
    positions = np.zeros((count, 3))
    positions[labels] = points
    return labels, positions


def _split_pinches(faces: np.ndarray) -> np.ndarray:
    """Give each fan of faces around a vertex its own vertex copy.

    Where two closed sheets touch along an edge or at a point (the collapsed tip of the
    right ventricle), the welded mesh is closed but not manifold; one vertex copy per fan
    (fans joined only through edges with exactly two faces) separates the sheets.
    Returns a vertex label for each corner of ``faces`` (row-major).
    """
    m = len(faces)
    corner_vertex = faces.ravel()
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    edge_corner = np.concatenate(
        [np.stack([3 * np.arange(m) + i, 3 * np.arange(m) + (i + 1) % 3], 1) for i in range(3)]
    )
    key = np.sort(edges, axis=1)
    _, inverse, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    manifold = counts[inverse] == 2
    order = np.argsort(inverse[manifold], kind="stable")
    sel = np.flatnonzero(manifold)[order]
    first, second = sel[0::2], sel[1::2]
    links = []
    for a_end in (0, 1):
        ca = edge_corner[first, a_end]
        va = corner_vertex[ca]
        for b_end in (0, 1):
            cb = edge_corner[second, b_end]
            same = corner_vertex[cb] == va
            links.append(np.stack([ca[same], cb[same]], 1))
    links = np.concatenate(links)
    graph = coo_matrix((np.ones(len(links)), (links[:, 0], links[:, 1])), shape=(3 * m, 3 * m))
    _, corner_label = connected_components(graph, directed=False)
    return corner_label


def _assemble(positions: np.ndarray, triangles: np.ndarray) -> trimesh.Trimesh:
    """A mesh from welded triangles, pinches split, outward-facing where closed."""
    corner_label = _split_pinches(triangles)
    labels, first = np.unique(corner_label, return_index=True)
    vertex_of_label = triangles.ravel()[first]
    remap = np.empty(corner_label.max() + 1, dtype=np.int64)
    remap[labels] = np.arange(len(labels))
    faces = remap[corner_label].reshape(-1, 3)
    mesh = trimesh.Trimesh(positions[vertex_of_label], faces, process=False)
    if mesh.is_watertight:
        trimesh.repair.fix_normals(mesh, multibody=True)
        return mesh
    # An open surface: make each connected piece consistent, then keep the side most of
    # its faces were given (away from their element, i.e. out of the tissue).
    before = mesh.face_normals.copy()
    trimesh.repair.fix_winding(mesh)
    agree = np.einsum("ij,ij->i", mesh.face_normals, before) * mesh.area_faces
    piece = trimesh.graph.connected_component_labels(mesh.face_adjacency, len(mesh.faces))
    flip = np.bincount(piece, weights=agree) < 0
    if flip.any():
        faces = mesh.faces.copy()
        faces[flip[piece]] = faces[flip[piece]][:, ::-1]
        mesh = trimesh.Trimesh(mesh.vertices, faces, process=False)
    return mesh


class _Sampler:
    """Coordinates sampled on every face of every 3D element of a scaffold region."""

    def __init__(self, region, n: int):
        fieldmodule = region.getFieldmodule()
        coordinates = fieldmodule.findFieldByName("coordinates")
        cache = fieldmodule.createFieldcache()
        mesh3d = fieldmodule.findMeshByDimension(3)
        grids = [_face_xi(face, n) for face in range(6)]
        self.n = n
        self.index: dict[int, int] = {}
        points, centres, face_ids = [], [], []
        iterator = mesh3d.createElementiterator()
        element = iterator.next()
        while element.isValid():
            self.index[element.getIdentifier()] = len(points)
            samples = np.empty((6, (n + 1) ** 2, 3))
            for face in range(6):
                for j, xi in enumerate(grids[face]):
                    cache.setMeshLocation(element, xi.tolist())
                    samples[face, j] = coordinates.evaluateReal(cache, 3)[1]
            cache.setMeshLocation(element, [0.5, 0.5, 0.5])
            centres.append(coordinates.evaluateReal(cache, 3)[1])
            points.append(samples)
            ids = []
            for face in range(6):
                face_element = element.getFaceElement(face + 1)
                ids.append(face_element.getIdentifier() if face_element.isValid() else -1)
            face_ids.append(ids)
            element = iterator.next()
        if not points:
            raise AnatomyError("scaffold made no 3D elements", zh="支架没有三维单元")
        self.points = np.asarray(points)
        self.centres = np.asarray(centres)
        self.face_ids = np.asarray(face_ids)
        flat = self.points.reshape(-1, 3)
        extent = float(np.ptp(flat, axis=0).max())
        labels, self.positions = _weld(flat, extent * 1e-7)
        self.labels = labels.reshape(len(points), 6, -1)
        self.triangles = _grid_triangles(n)
        # A face shared by two elements is one Zinc face; a collapsed face has none and is
        # recognised by its welded samples (it spans no area when it has so few points).
        self.keys: dict[tuple[int, int], tuple | None] = {}
        for i in range(len(points)):
            for face in range(6):
                if self.face_ids[i, face] >= 0:
                    self.keys[i, face] = ("face", int(self.face_ids[i, face]))
                else:
                    unique = tuple(np.unique(self.labels[i, face]).tolist())
                    self.keys[i, face] = ("grid", unique) if len(unique) > 2 * n + 1 else None

    def face_triangles(self, i: int, face: int) -> np.ndarray:
        """Welded triangles of one element face, wound to face away from the element."""
        tris = self.labels[i, face][self.triangles]
        keep = (tris[:, 0] != tris[:, 1]) & (tris[:, 1] != tris[:, 2]) & (tris[:, 0] != tris[:, 2])
        tris = tris[keep]
        if len(tris):
            v = self.positions[tris]
            normal = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0]).sum(axis=0)
            if np.dot(normal, v.reshape(-1, 3).mean(axis=0) - self.centres[i]) < 0:
                tris = tris[:, ::-1]
        return tris

    def group_boundary(self, members: list[int]) -> trimesh.Trimesh | None:
        count: dict[tuple, int] = {}
        for i in members:
            for face in range(6):
                key = self.keys[i, face]
                if key is not None:
                    count[key] = count.get(key, 0) + 1
        tris = [
            self.face_triangles(i, face)
            for i in members
            for face in range(6)
            if self.keys[i, face] is not None and count[self.keys[i, face]] == 1
        ]
        tris = [t for t in tris if len(t)]
        return _assemble(self.positions, np.concatenate(tris)) if tris else None

    def surface(self, faces: list[tuple[int, int]]) -> trimesh.Trimesh | None:
        tris = [self.face_triangles(i, face) for i, face in faces]
        tris = [t for t in tris if len(t)]
        return _assemble(self.positions, np.concatenate(tris)) if tris else None


def _elements(group, mesh) -> list[int]:
    mesh_group = group.getMeshGroup(mesh)
    out = []
    iterator = mesh_group.createElementiterator()
    element = iterator.next()
    while element.isValid():
        out.append(element.getIdentifier())
        element = iterator.next()
    return out


def _decimate(mesh: trimesh.Trimesh, limit: int) -> trimesh.Trimesh:
    """Fewer triangles, kept only when a closed mesh stays closed."""
    if not limit or len(mesh.faces) <= limit:
        return mesh
    for target in (limit, int(limit * 1.5), limit * 2):
        if target >= len(mesh.faces):
            break
        smaller = mesh.simplify_quadric_decimation(face_count=target)
        if not mesh.is_watertight or smaller.is_watertight:
            if smaller.is_watertight:
                trimesh.repair.fix_normals(smaller, multibody=True)
            return smaller
    return mesh


def generate_organ(
    organ_id: str, samples: int | None = None, max_part_triangles: int | None = None
) -> OrganModel:
    """Generate one organ's scaffold and its part surfaces (scaffold units and axes)."""
    return _generate_cached(organ_id, samples, max_part_triangles)


@lru_cache(maxsize=16)
def _generate_cached(
    organ_id: str, samples: int | None, max_part_triangles: int | None
) -> OrganModel:
    spec = _spec(organ_id)
    Context, ScaffoldPackage, Scaffolds = _require_scaffoldmaker()
    start = time.perf_counter()
    scaffold_type = Scaffolds.findScaffoldTypeByName(spec.scaffold_name)
    if scaffold_type is None or scaffold_type.__name__ != spec.scaffold_class:
        raise AnatomyError(
            f"{organ_id}: scaffoldmaker has no {spec.scaffold_class} named {spec.scaffold_name!r}",
            zh=f"{organ_id}：scaffoldmaker 中没有 {spec.scaffold_class}（{spec.scaffold_name!r}）",
        )
    if spec.parameter_set not in scaffold_type.getParameterSetNames():
        raise AnatomyError(
            f"{organ_id}: {spec.scaffold_name} has no parameter set {spec.parameter_set!r}",
            zh=f"{organ_id}：{spec.scaffold_name} 没有参数集 {spec.parameter_set!r}",
        )
    context = Context(organ_id)
    region = context.getDefaultRegion()
    package = ScaffoldPackage(scaffold_type, defaultParameterSetName=spec.parameter_set)
    # scaffoldmaker prints progress of its surface tracking; keep the build output clean.
    with contextlib.redirect_stdout(io.StringIO()):
        package.generate(region)

    sampler = _Sampler(region, samples or spec.samples)
    fieldmodule = region.getFieldmodule()
    mesh3d, mesh2d = fieldmodule.findMeshByDimension(3), fieldmodule.findMeshByDimension(2)
    coordinates = fieldmodule.findFieldByName("coordinates")
    cache = fieldmodule.createFieldcache()
    limit = spec.max_part_triangles if max_part_triangles is None else max_part_triangles
    terms = _term_ids_by_name()

    parts: dict[str, OrganPart] = {}
    landmarks: dict[str, Landmark] = {}
    skipped: dict[str, str] = {}
    members_of: dict[str, frozenset[int]] = {}
    for group in package.getAnnotationGroups():
        name, term_id = group.getName(), (group.getId() or "").strip()
        if name in _CONSTRUCTION_GROUPS and not term_id:
            skipped[name] = "construction group of the tube generator, not anatomy"
            continue
        term_ids = terms.get(name) or ((term_id,) if term_id else ())
        dimension = group.getDimension()
        if not term_id and not group.isMarker():
            # halves and sub-surfaces scaffoldmaker uses while building (left uterus…)
            skipped[name] = "no ontology term in scaffoldmaker"
            continue
        if group.isMarker():
            element, xi = group.getMarkerLocation()
            if element is None or not element.isValid():
                skipped[name] = "marker without a location"
                continue
            cache.setMeshLocation(element, xi)
            position = np.array(coordinates.evaluateReal(cache, 3)[1])
            landmarks[part_id_for(name)] = Landmark(name, term_id, position)
            continue
        if dimension == 3:
            ids = _elements(group, mesh3d)
            members = [sampler.index[e] for e in ids]
            mesh = sampler.group_boundary(members)
            members_of[part_id_for(name)] = frozenset(ids)
        elif dimension == 2:
            faces = _surface_faces(group, mesh2d, sampler)
            mesh = sampler.surface(faces)
            ids = faces
        else:
            skipped[name] = f"{dimension}D group (lines are not drawn as surfaces)"
            continue
        if mesh is None:
            skipped[name] = "no faces with area"
            continue
        part_id = part_id_for(name)
        parts[part_id] = OrganPart(
            part_id, name, term_id, tuple(term_ids), dimension, _decimate(mesh, limit), len(ids)
        )
    for part_id, elements in members_of.items():
        parts[part_id].contains = tuple(
            sorted(other for other, e in members_of.items() if other != part_id and e < elements)
        )
    return OrganModel(
        spec, parts, landmarks, sampler.positions, skipped, time.perf_counter() - start
    )


def _surface_faces(group, mesh2d, sampler: _Sampler) -> list[tuple[int, int]]:
    """(element index, local face) of a parent 3D element for each face in a 2D group."""
    out = []
    for face_id in _elements(group, mesh2d):
        face = mesh2d.findElementByIdentifier(face_id)
        for p in range(1, face.getNumberOfParents() + 1):
            parent = face.getParentElement(p)
            i = sampler.index.get(parent.getIdentifier())
            if i is None:
                continue
            local = np.flatnonzero(sampler.face_ids[i] == face_id)
            if len(local):
                out.append((i, int(local[0])))
                break
    return out


def organ_meshes(organ_id: str, samples: int | None = None) -> dict[str, OrganPart]:
    """Every named part of an organ, keyed by part id, in the scaffold's units and axes."""
    return generate_organ(organ_id, samples).parts


def organ_landmarks(organ_id: str) -> dict[str, Landmark]:
    """Named points scaffoldmaker marks on the organ (apex of heart…), scaffold coordinates."""
    return generate_organ(organ_id).landmarks


def _unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    length = np.linalg.norm(v)
    if length == 0:
        raise AnatomyError("placement direction has zero length", zh="放置方向长度为零")
    return v / length


def _frame(main, second) -> np.ndarray:
    a = _unit(main)
    b = _unit(np.asarray(second, float) - np.dot(second, a) * a)
    return np.stack([a, b, np.cross(a, b)], axis=1)


def organ_transform(organ_id: str, placement: Placement | None = None) -> np.ndarray:
    """4x4 matrix from the organ's scaffold coordinates to our body frame (metres)."""
    spec = _spec(organ_id)
    placement = placement or spec.placement
    reflect = np.diag([-1.0, 1.0, 1.0]) if placement.mirror else np.eye(3)
    axis, toward = reflect @ np.asarray(placement.axis), reflect @ np.asarray(placement.toward)
    rotation = reflect @ _frame(axis, toward) @ _frame(spec.main_axis, spec.second_axis).T
    points = generate_organ(organ_id).reference_points
    along = points @ _unit(spec.main_axis)
    scale = placement.size / float(np.ptp(along))
    linear = scale * rotation
    moved = points @ linear.T
    centre = (moved.min(axis=0) + moved.max(axis=0)) / 2
    matrix = np.eye(4)
    matrix[:3, :3] = linear
    matrix[:3, 3] = np.asarray(placement.centre, float) - centre
    return matrix


def to_body_frame(
    organ_id: str, mesh: trimesh.Trimesh, placement: Placement | None = None
) -> trimesh.Trimesh:
    """A copy of ``mesh`` (any part of the organ) scaled, turned and moved into our frame."""
    matrix = organ_transform(organ_id, placement)
    placed = mesh.copy()
    placed.apply_transform(matrix)  # trimesh flips the winding itself for a reflection
    return placed
