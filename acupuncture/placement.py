"""Proportional-cun placement: every point of the catalog on one body.

Each span of ``spans.json`` is measured on this body (one scale per span and side: a cun
on the forearm is not a cun on the abdomen), each rule is followed from its start through
its moves, and the result is projected onto the skin. Points that refer to other points
are placed after them; bilateral points are placed on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from acupuncture.acupoint_catalog import Acupoint, AcupointCatalog, Site, Span
from acupuncture.anchor_names import ANCHOR_NAMES
from acupuncture.anchors import BodyAnchors, direction
from acupuncture.errors import AcupunctureError
from anatomy.body_model import Body

ARC_STEPS = 24  # surface steps per arc measure or arc move
SIDES = ("l", "r")


@dataclass(frozen=True)
class PlacedPoint:
    key: str  # "ST36_l", "GV20", "EX-B2#t3_l"
    code: str
    site: str | None
    side: str | None  # "l", "r" or None on the midline
    position: np.ndarray  # (3,) on the skin, metres
    normal: np.ndarray  # (3,) outward skin normal
    cun_m: float  # the local cun here: the first span its rule measures with, in metres
    on_skin: bool = True  # False for the few points inside the nose or mouth


@dataclass
class Placement:
    shape: str
    points: dict[str, PlacedPoint] = field(default_factory=dict)
    scales: dict[str, float] = field(default_factory=dict)  # "span" or "span_l": m per cun

    def of(self, code: str) -> list[PlacedPoint]:
        return [p for p in self.points.values() if p.code == code]

    def at(self, code: str, side: str | None = None, site: str | None = None) -> PlacedPoint:
        return self.points[point_key(code, site, side)]

    def positions(self) -> np.ndarray:
        return np.array([p.position for p in self.points.values()])


def point_key(code: str, site: str | None, side: str | None) -> str:
    key = code if site is None else f"{code}#{site}"
    return key if side is None else f"{key}_{side}"


class _Placer:
    def __init__(self, body: Body, catalog: AcupointCatalog, anchors: BodyAnchors):
        self.body = body
        self.catalog = catalog
        self.anchors = anchors
        self.placement = Placement(body.shape)
        self._busy: set[str] = set()

    # spans --------------------------------------------------------------------------------
    def scale(self, span_id: str, side: str | None) -> float:
        """Metres per cun of a span on this body (on ``side`` for a sided span)."""
        span = self.catalog.spans[span_id]
        sided = self._span_is_sided(span)
        key = f"{span_id}_{side}" if sided else span_id
        if key not in self.placement.scales:
            if sided and side is None:
                raise AcupunctureError(
                    f"span {span_id} is measured on one side; a midline point cannot use it",
                    f"骨度 {span_id} 按侧测量，正中线穴位不能使用",
                )
            a = self.anchors.resolve(span.start, side)
            b = self.anchors.resolve(span.end, side)
            self.placement.scales[key] = self._measure(span, a, b) / span.cun
        return self.placement.scales[key]

    def _span_is_sided(self, span: Span) -> bool:
        for ref in (span.start, span.end):
            kind, _, name = ref.partition(":")
            name = name.split(":")[0]
            if kind == "lm" and name not in self.anchors.landmarks:
                return True
            if kind == "an":
                if ANCHOR_NAMES[name][0]:
                    return True
            if kind == "bone" and name not in self.body.structures:
                return True
        return False

    def _measure(self, span: Span, a: np.ndarray, b: np.ndarray) -> float:
        if span.measure == "vertical":
            return abs(a[2] - b[2])
        if span.measure == "horizontal":
            return abs(a[0] - b[0])
        if span.measure == "distance":
            return float(np.linalg.norm(a - b))
        return self._arc_length(a, b)

    def _arc_length(self, a: np.ndarray, b: np.ndarray) -> float:
        """Length of the skin curve over the chord a–b, cast from inside the body."""
        na = self.anchors.project(a, "nearest", None)[1]
        nb = self.anchors.project(b, "nearest", None)[1]
        bulge = na + nb
        if np.linalg.norm(bulge) < 1e-6:
            bulge = np.array([0.0, 0.0, 1.0])
        bulge /= np.linalg.norm(bulge)
        chord = np.linalg.norm(b - a)
        inside = (a + b) / 2 - bulge * 0.5 * chord
        path = [a]
        for t in np.linspace(0, 1, ARC_STEPS + 1)[1:-1]:
            q = a + t * (b - a)
            hit = self.anchors.on_skin(inside, q - inside)
            path.append(hit if hit is not None else q)
        path.append(b)
        return float(np.sum(np.linalg.norm(np.diff(np.array(path), axis=0), axis=1)))

    # points -------------------------------------------------------------------------------
    def point(self, name: str, side: str | None) -> np.ndarray:
        """Position of ``CODE`` or ``CODE#site`` on ``side``, placed on first use."""
        code, _, site = name.partition("#")
        acupoint = self.catalog[code]
        side = side if acupoint.side == "bilateral" else None
        key = point_key(code, site or None, side)
        if key not in self.placement.points:
            chosen = next(s for s in acupoint.sites if s.site_id == (site or None))
            self.place(acupoint, chosen, side)
        return self.placement.points[key].position

    def place(self, acupoint: Acupoint, site: Site, side: str | None) -> PlacedPoint:
        key = point_key(acupoint.code, site.site_id, side)
        if key in self.placement.points:
            return self.placement.points[key]
        if key in self._busy:
            raise AcupunctureError(
                f"{key}: its rule refers back to itself", f"{key}：定位规则引用了自身"
            )
        self._busy.add(key)
        try:
            placed = self._follow(acupoint, site, side, key)
        except AcupunctureError as e:
            raise AcupunctureError(
                f"{acupoint.code} ({key}) on {self.body.shape}: {e}",
                f"{acupoint.code}（{key}）于体型 {self.body.shape}：{e.zh or e}",
            ) from None
        except (KeyError, ValueError, IndexError) as e:
            raise AcupunctureError(
                f"{acupoint.code} ({key}) on {self.body.shape}: cannot place ({e})",
                f"{acupoint.code}（{key}）于体型 {self.body.shape}：无法定位（{e}）",
            ) from None
        finally:
            self._busy.discard(key)
        self.placement.points[key] = placed
        return placed

    def _follow(self, acupoint: Acupoint, site: Site, side: str | None, key: str):
        rule = site.rule
        resolve = self.anchors.resolve
        p = np.array(resolve(rule["start"], side, self.point), dtype=float)
        cun_m = self._local_cun(rule, side)
        for move in rule.get("moves", []):
            if "toward" in move:
                q = resolve(move["toward"], side, self.point)
                if "fraction" in move:
                    p = p + float(move["fraction"]) * (q - p)
                else:
                    p = self._walk(p, q - p, move["cun"], move["span"], side)
            elif "dir" in move:
                p = self._walk(p, direction(move["dir"], side), move["cun"], move["span"], side)
            elif "level" in move:
                p[2] = resolve(move["level"], side, self.point)[2]
            elif "ics" in move:
                p[2] = self.anchors.intercostal_height(p, move["ics"], rule["skin"], side)
        skin = rule["skin"]
        if skin == "mucosa":
            outward = direction("anterior", None)
            return PlacedPoint(key, acupoint.code, site.site_id, side, p, outward, cun_m, False)
        position, normal = self.anchors.project(p, skin, side)
        return PlacedPoint(key, acupoint.code, site.site_id, side, position, normal, cun_m)

    def _local_cun(self, rule: dict, side: str | None) -> float:
        """The first span a rule measures with, else its start point's, else finger cun."""
        for move in rule.get("moves", []):
            if "span" in move:
                return self.scale(move["span"], side)
        start = rule["start"]
        if start.startswith("pt:"):
            self.point(start[3:], side)
            code, _, site = start[3:].partition("#")
            target = self.catalog[code]
            key = point_key(code, site or None, side if target.side == "bilateral" else None)
            return self.placement.points[key].cun_m
        return self.scale("finger", side or "l")

    def _walk(self, p, heading, cun: float, span_id: str, side) -> np.ndarray:
        """``cun`` along ``heading``: straight, or over the skin for spans measured on it."""
        length = float(cun) * self.scale(span_id, side)
        heading = np.asarray(heading, dtype=float)
        norm = np.linalg.norm(heading)
        if norm < 1e-12 or length == 0.0:
            return p
        heading = heading / norm
        if self.catalog.spans[span_id].measure != "arc":
            return p + heading * length
        # Small steps along the skin, each pressed back onto it, until the distance
        # covered on the surface is the length asked for.
        step = length / ARC_STEPS
        q, normal = self.anchors.project(p, "nearest", side)
        covered = 0.0
        for _ in range(ARC_STEPS * 3):
            tangent = heading - (heading @ normal) * normal
            if np.linalg.norm(tangent) < 1e-9:
                break
            left = length - covered
            nxt, n2 = self.anchors.project(
                q + tangent / np.linalg.norm(tangent) * min(step, left), "nearest", side
            )
            moved = float(np.linalg.norm(nxt - q))
            if moved < 1e-6:
                break
            if covered + moved >= length:
                q = q + (nxt - q) * (left / moved)
                break
            q, normal, covered = nxt, n2, covered + moved
        return q


def place_points(
    body: Body, catalog: AcupointCatalog, anchors: BodyAnchors | None = None
) -> Placement:
    """Every site of every point of ``catalog`` on ``body``, both sides where paired."""
    placer = _Placer(body, catalog, anchors or BodyAnchors(body))
    for code in catalog.order:
        acupoint = catalog[code]
        sides = SIDES if acupoint.side == "bilateral" else (None,)
        for site in acupoint.sites:
            for side in sides:
                placer.place(acupoint, site, side)
    return placer.placement


def export_placement(catalog: AcupointCatalog, placement: Placement, body: Body) -> dict:
    """What ``medvr acupoints export`` writes: every placed point with its names,
    position, skin normal and needling, and the landmarks and cun scales used."""
    points = []
    for p in placement.points.values():
        a = catalog[p.code]
        points.append(
            {
                "key": p.key,
                "code": p.code,
                "site": p.site,
                "side": p.side,
                "meridian": a.meridian,
                "names": {"zh": a.names.zh, "pinyin": a.pinyin, "en": a.names.en},
                "position": np.round(p.position, 5).tolist(),
                "normal": np.round(p.normal, 4).tolist(),
                "on_skin": p.on_skin,
                "local_cun_m": round(p.cun_m, 5),
                "needling": {
                    "angle": a.needling.angle,
                    "angle_to_skin_deg": a.needling.angle_deg,
                    "toward": a.needling.toward,
                    "depth_cun": list(a.needling.depth_cun),
                    "depth_m": [round(d * p.cun_m, 4) for d in a.needling.depth_cun],
                },
                "cautions": list(a.cautions),
            }
        )
    return {
        "shape": body.shape,
        "frame": "metres, Z up, soles at z = 0, facing -Y, subject's left +X",
        "points": points,
        "cun_scales_m": {k: round(v, 5) for k, v in sorted(placement.scales.items())},
        "landmarks": {k: np.round(v, 5).tolist() for k, v in body.landmarks.items()},
    }
