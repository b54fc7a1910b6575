"""The meridians as smooth curves on the skin, through their points in the order of flow.

Between two consecutive points the path is a Catmull-Rom curve through the points,
sampled finely and pressed onto the skin (each sample moved to the skin along the local
normal), then lifted a hair above it so it never sinks into the surface it is drawn on.
Where consecutive points lie far apart (the bladder meridian's return from the knee to
the upper back, the stomach meridian from the forehead to the neck) the path is split
into separate runs rather than cut across the body.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from acupuncture.acupoint_catalog import AcupointCatalog
from acupuncture.anchors import BodyAnchors
from acupuncture.placement import Placement, point_key

SAMPLES_PER_METRE = 400  # about one sample every 2.5 mm
LIFT = 0.0015  # m above the skin
BREAK_DISTANCE = 0.22  # m: farther apart than this, consecutive points start a new run


@dataclass(frozen=True)
class MeridianPath:
    meridian: str
    side: str | None
    runs: list[np.ndarray]  # each (N, 3): samples in the direction of flow
    codes: list[str]  # the points it passes, in order

    def length(self) -> float:
        return float(sum(np.linalg.norm(np.diff(r, axis=0), axis=1).sum() for r in self.runs))


def _catmull_rom(points: np.ndarray, counts: list[int]) -> np.ndarray:
    """Samples of a centripetal-free (uniform) Catmull-Rom spline through ``points``."""
    padded = np.vstack([2 * points[0] - points[1], points, 2 * points[-1] - points[-2]])
    out = [points[0][None]]
    for i in range(len(points) - 1):
        p0, p1, p2, p3 = padded[i : i + 4]
        t = np.linspace(0, 1, counts[i] + 1)[1:, None]
        t2, t3 = t * t, t * t * t
        seg = 0.5 * (
            2 * p1
            + (-p0 + p2) * t
            + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
            + (-p0 + 3 * p1 - 3 * p2 + p3) * t3
        )
        out.append(seg)
    return np.vstack(out)


def meridian_paths(
    catalog: AcupointCatalog, placement: Placement, anchors: BodyAnchors
) -> list[MeridianPath]:
    """One path per meridian and side (GV and CV once), on the skin of ``anchors``' body."""
    paths = []
    for mid, meridian in catalog.meridians.items():
        if meridian.extra:
            continue
        sides = ("l", "r") if meridian.side == "bilateral" else (None,)
        points = catalog.of_meridian(mid)
        for side in sides:
            keys = [point_key(p.code, None, side) for p in points]
            placed = [placement.points[k] for k in keys if k in placement.points]
            placed = [p for p in placed if p.on_skin]
            if len(placed) < 2:
                continue
            runs, current = [], [placed[0]]
            for prev, nxt in zip(placed, placed[1:], strict=False):
                if np.linalg.norm(nxt.position - prev.position) > BREAK_DISTANCE:
                    runs.append(current)
                    current = []
                current.append(nxt)
            runs.append(current)
            curves = [_on_skin(run, anchors, side) for run in runs if len(run) >= 2]
            paths.append(MeridianPath(mid, side, curves, [p.code for p in placed]))
    return paths


def _on_skin(run, anchors: BodyAnchors, side) -> np.ndarray:
    pts = np.array([p.position for p in run])
    gaps = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    counts = [max(2, int(g * SAMPLES_PER_METRE)) for g in gaps]
    if len(pts) == 2:
        samples = np.vstack(
            [pts[0] + (pts[1] - pts[0]) * t for t in np.linspace(0, 1, counts[0] + 1)]
        )
    else:
        samples = _catmull_rom(pts, counts)
    on, normals = anchors.press(samples)
    return on + normals * LIFT
