"""Placing every acupoint on a body shape, and the needle-danger query, in one run.

- Placement: every site of the 409 points on both sides, on each shipped shape, from a
  body just loaded (anchors, spans, rules, skin projection); against the same placement
  with trimesh's closest-point query doing every skin projection (what one would write
  first with trimesh).
- Needle danger: one needle segment against every structure a needle must respect, with
  the Embree BVH, against trimesh's own ray-triangle code on the same segments.

    python bench/acupoints.py [--needles N]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import trimesh  # noqa: E402

from acupuncture.acupoint_catalog import load_acupoints  # noqa: E402
from acupuncture.anchors import BodyAnchors  # noqa: E402
from acupuncture.needling import NeedleProbe  # noqa: E402
from acupuncture.placement import place_points  # noqa: E402
from anatomy.body_model import load_body, read_manifest  # noqa: E402
from scenes.anatomy_lab import asset_dir  # noqa: E402


class ClosestPointAnchors(BodyAnchors):
    """Every skin projection by trimesh.proximity.closest_point."""

    def project(self, p, skin, side):
        return self._closest(np.asarray(p, dtype=float))


def time_placement(cls, body, catalog, runs: int) -> float:
    best = []
    for _ in range(runs):
        t = time.perf_counter()
        place_points(body, catalog, cls(body))
        best.append(time.perf_counter() - t)
    return statistics.median(best) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--needles", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    catalog = load_acupoints()
    shapes = list(read_manifest(asset_dir())["shapes"])
    print(f"# acupoints, {platform.machine()}, {os.cpu_count()} cores")
    print("## placing every point on a body shape (median of runs, ms)")
    print(f"{'shape':20} {'points':>7} {'ours':>8} {'closest-point':>14}")
    for shape in shapes:
        body = load_body(asset_dir(), shape)
        count = len(place_points(body, catalog).points)
        ours = time_placement(BodyAnchors, body, catalog, args.runs)
        naive = time_placement(ClosestPointAnchors, body, catalog, 1)
        print(f"{shape:20} {count:7d} {ours:8.0f} {naive:14.0f}")

    body = load_body(asset_dir(), shapes[0])
    anchors = BodyAnchors(body)
    placement = place_points(body, catalog, anchors)
    probe = NeedleProbe(body, anchors)
    rng = np.random.default_rng(7)
    placed = [p for p in placement.points.values() if p.on_skin]
    chosen = [placed[i] for i in rng.integers(0, len(placed), args.needles)]
    needles = []
    for p in chosen:
        tilt = rng.normal(scale=0.3, size=3)
        heading = -p.normal + tilt - (tilt @ p.normal) * p.normal
        needles.append((p.position, heading / np.linalg.norm(heading), 3.0 * p.cun_m))
    latencies = []
    for entry, heading, depth in needles:
        t = time.perf_counter()
        probe.probe(entry, heading, depth)
        latencies.append((time.perf_counter() - t) * 1000)
    from trimesh.ray.ray_triangle import RayMeshIntersector

    probe_slow = NeedleProbe(body, anchors)
    combined = trimesh.util.concatenate([body.mesh(s) for s in probe_slow.ids])
    probe_slow._ray = RayMeshIntersector(combined)
    slow = []
    for entry, heading, depth in needles[: max(50, args.needles // 20)]:
        t = time.perf_counter()
        probe_slow.probe(entry, heading, depth)
        slow.append((time.perf_counter() - t) * 1000)
    p50, p99 = np.percentile(latencies, [50, 99])
    s50, s99 = np.percentile(slow, [50, 99])
    print(f"## needle-danger query, {len(probe.ids)} structures, {args.needles} needles (ms)")
    print(f"{'':24} {'p50':>8} {'p99':>8}")
    print(f"{'Embree BVH (ours)':24} {p50:8.3f} {p99:8.3f}")
    print(f"{'trimesh ray_triangle':24} {s50:8.3f} {s99:8.3f}")
    print(f"speed-up at p50: {s50 / p50:.0f}x")


if __name__ == "__main__":
    main()
