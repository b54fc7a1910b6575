"""Needling against the anatomy beneath: what a needle reaches, and how an attempt scores.

A needle is a segment from its insertion point on the skin along its direction, as deep
as it went. It is tested against the body's own structures (lung lobes and pleura, heart,
liver, kidneys and the other organs, the major vessels and nerves, the brainstem and
spinal cord, every bone) with one BVH; the eye, which the structure set lacks, is a
sphere of an adult eyeball's size behind the pupil anchor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from acupuncture.acupoint_catalog import DIRS, Acupoint
from acupuncture.anchors import BodyAnchors, direction
from acupuncture.errors import AcupunctureError
from acupuncture.placement import PlacedPoint
from anatomy.body_model import Body

EYE_RADIUS = 0.012  # m: an adult eyeball is about 24 mm across
EYE_DEPTH = 0.013  # m: its centre behind the closed lid's skin

DANGER, WARNING, CONTACT = "danger", "warning", "contact"

# What reaching each kind of structure means, in both languages.
KINDS: dict[str, tuple[str, str, str]] = {
    "lung": (DANGER, "肺与胸膜：气胸风险", "lung and pleura: risk of pneumothorax"),
    "heart": (DANGER, "心脏：严重损伤风险", "heart: risk of serious injury"),
    "solid_organ": (DANGER, "实质脏器：出血风险", "solid organ: risk of bleeding"),
    "hollow_organ": (WARNING, "空腔脏器：穿孔风险", "hollow organ: risk of perforation"),
    "vessel": (DANGER, "大血管：出血风险", "major vessel: risk of bleeding"),
    "cns": (DANGER, "中枢神经：严重损伤风险", "brain or spinal cord: risk of serious injury"),
    "nerve": (WARNING, "神经干：触电感，应退针", "nerve trunk: electric sensation, withdraw"),
    "eye": (DANGER, "眼球：损伤风险", "eyeball: risk of injury"),
    "bone": (CONTACT, "触及骨面", "needle tip on bone"),
}
SOLID = ("liver", "spleen", "kidney_l", "kidney_r", "pancreas")
HOLLOW = (
    "stomach",
    "duodenum",
    "small_intestine",
    "colon",
    "gallbladder",
    "urinary_bladder",
    "uterus",
    "oesophagus",
    "trachea",
)
CNS = ("spinal_cord", "brainstem", "cerebrum", "cerebellum")


def structure_kind(body: Body, sid: str) -> str | None:
    """The needling kind of a structure, or None for what a needle may pass (skin, muscle)."""
    system = body.catalog[sid].system
    if sid.startswith(("lung_", "pleura_")):
        return "lung"
    if sid.startswith("heart"):
        return "heart"
    if sid in SOLID:
        return "solid_organ"
    if sid in HOLLOW:
        return "hollow_organ"
    if sid in CNS:
        return "cns"
    if system == "cardiovascular":
        return "vessel"
    if system == "nervous":
        return "nerve"
    if system == "skeletal":
        return "bone"
    return None


@dataclass(frozen=True)
class Reached:
    structure_id: str  # or "eye_l" / "eye_r"
    kind: str
    severity: str
    distance_m: float  # from the skin along the needle

    def message(self, lang: str) -> str:
        _, zh, en = KINDS[self.kind]
        return zh if lang == "zh-CN" else en


@dataclass(frozen=True)
class NeedleReport:
    reached: list[Reached]

    @property
    def danger(self) -> Reached | None:
        return next((r for r in self.reached if r.severity == DANGER), None)

    @property
    def bone_at(self) -> float | None:
        return next((r.distance_m for r in self.reached if r.kind == "bone"), None)


class NeedleProbe:
    """Segment queries against the structures a needle must respect, on one body."""

    def __init__(self, body: Body, anchors: BodyAnchors | None = None):
        self.body = body
        self.anchors = anchors or BodyAnchors(body)
        ids = [sid for sid in body.structures if structure_kind(body, sid) is not None]
        self.ids = ids
        self.kinds = [structure_kind(body, sid) for sid in ids]
        meshes = [body.mesh(sid) for sid in ids]
        self._owner = np.repeat(np.arange(len(ids)), [len(m.faces) for m in meshes])
        combined = trimesh.util.concatenate(meshes)
        try:
            from trimesh.ray.ray_pyembree import RayMeshIntersector
        except Exception:  # embreex missing
            from trimesh.ray.ray_triangle import RayMeshIntersector
        self._ray = RayMeshIntersector(combined)
        self._eyes = {}
        for side in ("l", "r"):
            try:
                pupil = self.anchors.anchor(f"pupil_{side}")
            except (AcupunctureError, ImportError):
                continue
            self._eyes[f"eye_{side}"] = pupil + direction("posterior", None) * EYE_DEPTH

    def probe(self, entry, heading, depth_m: float) -> NeedleReport:
        """Everything the needle from ``entry`` along ``heading``, ``depth_m`` deep, enters
        or ends inside, nearest first."""
        entry = np.asarray(entry, dtype=float)
        u = np.asarray(heading, dtype=float)
        u = u / np.linalg.norm(u)
        reached: dict[str, Reached] = {}
        tri, _, loc = self._ray.intersects_id(
            entry[None], u[None], multiple_hits=True, return_locations=True
        )
        if len(tri):
            dist = (loc - entry) @ u
            for t, d in sorted(zip(tri, dist, strict=True), key=lambda x: x[1]):
                if d > depth_m:
                    break
                k = self._owner[t]
                sid = self.ids[k]
                if sid not in reached:
                    kind = self.kinds[k]
                    reached[sid] = Reached(sid, kind, KINDS[kind][0], float(max(d, 0.0)))
        for eye, centre in self._eyes.items():
            d = _segment_sphere(entry, u, depth_m, centre, EYE_RADIUS)
            if d is not None:
                reached[eye] = Reached(eye, "eye", DANGER, d)
        return NeedleReport(sorted(reached.values(), key=lambda r: r.distance_m))


def _segment_sphere(p, u, length, centre, radius) -> float | None:
    """Distance along the segment where it first enters the sphere, or None."""
    f = p - centre
    b = f @ u
    c = f @ f - radius * radius
    disc = b * b - c
    if disc < 0:
        return None
    t = -b - np.sqrt(disc)
    if c <= 0:
        return 0.0
    return float(t) if 0.0 <= t <= length else None


def standard_heading(
    acupoint: Acupoint, placed: PlacedPoint, anchors: BodyAnchors, points=None
) -> np.ndarray:
    """The needle direction the standard asks for at ``placed``: into the skin at the
    point's angle, leaning the way its ``toward`` says."""
    n = placed.normal / np.linalg.norm(placed.normal)
    angle = np.radians(acupoint.needling.angle_deg)
    toward = acupoint.needling.toward
    if toward is None or acupoint.needling.angle == "perpendicular":
        return -n
    if toward in DIRS:
        t = direction(toward, placed.side)
    else:
        t = anchors.resolve(toward, placed.side, points) - placed.position
    t = t - (t @ n) * n
    if np.linalg.norm(t) < 1e-9:
        return -n
    t /= np.linalg.norm(t)
    return -n * np.sin(angle) + t * np.cos(angle)


@dataclass(frozen=True)
class Attempt:
    code: str
    key: str
    error_mm: float
    error_cun: float
    angle_error_deg: float
    depth_cun: float
    depth_range_cun: tuple[float, float]
    report: NeedleReport
    score: float

    @property
    def depth_ok(self) -> bool:
        low, high = self.depth_range_cun
        return bool(low - 1e-9 <= self.depth_cun <= high + 1e-9)


def score_attempt(
    acupoint: Acupoint,
    placed: PlacedPoint,
    entry,
    heading,
    depth_m: float,
    report: NeedleReport,
    anchors: BodyAnchors,
    points=None,
) -> Attempt:
    """Score one needling attempt out of 100: place 40, angle 30, depth 30; nothing for an
    attempt that reached a danger structure.

    Full marks for place within 0.2 cun of the point (none beyond 1.2 cun), for angle
    within 10 degrees (none beyond 45), for depth inside the standard range (none 0.5
    cun outside it).
    """
    entry = np.asarray(entry, dtype=float)
    u = np.asarray(heading, dtype=float)
    u = u / np.linalg.norm(u)
    error_m = float(np.linalg.norm(entry - placed.position))
    error_cun = error_m / placed.cun_m
    wanted = standard_heading(acupoint, placed, anchors, points)
    angle_error = float(np.degrees(np.arccos(np.clip(u @ wanted, -1.0, 1.0))))
    depth_cun = depth_m / placed.cun_m
    low, high = acupoint.needling.depth_cun
    outside = max(low - depth_cun, depth_cun - high, 0.0)
    place_score = 40 * max(0.0, 1 - max(0.0, error_cun - 0.2) / 1.0)
    angle_score = 30 * max(0.0, 1 - max(0.0, angle_error - 10) / 35)
    depth_score = 30 * max(0.0, 1 - outside / 0.5)
    score = 0.0 if report.danger else place_score + angle_score + depth_score
    return Attempt(
        code=acupoint.code,
        key=placed.key,
        error_mm=error_m * 1000,
        error_cun=error_cun,
        angle_error_deg=angle_error,
        depth_cun=depth_cun,
        depth_range_cun=(low, high),
        report=report,
        score=round(score, 1),
    )
