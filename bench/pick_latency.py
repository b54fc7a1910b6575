"""Picking a structure under the pointer: MedVR's Embree BVH against Panda3D's
CollisionTraverser, on the same rays against the same body, in one run.

    python bench/pick_latency.py [--rays N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from anatomy.body_model import load_body  # noqa: E402
from anatomy.picking import StructurePicker  # noqa: E402
from scenes.anatomy_lab import asset_dir  # noqa: E402


def rays(body, n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Rays from a viewer 2.5 m in front toward random points on the body's surfaces."""
    rng = np.random.default_rng(seed)
    ids = list(body.structures)
    targets = []
    for _ in range(n):
        mesh = body.mesh(ids[rng.integers(len(ids))])
        targets.append(mesh.vertices[rng.integers(len(mesh.vertices))])
    targets = np.array(targets)
    origins = np.tile([0.0, -2.5, 1.0], (n, 1)) + rng.normal(0, 0.05, (n, 3))
    d = targets - origins
    return origins, d / np.linalg.norm(d, axis=1, keepdims=True)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def bench_bvh(body, origins, directions) -> tuple[list[float], list[str | None], float]:
    t0 = time.perf_counter()
    picker = StructurePicker(body.meshes)
    build = time.perf_counter() - t0
    visible = set(body.structures)
    times, hits = [], []
    for o, d in zip(origins, directions, strict=True):
        t = time.perf_counter()
        hit = picker.pick(o, d, visible)
        times.append(time.perf_counter() - t)
        hits.append(hit.structure_id if hit else None)
    return times, hits, build


def bench_panda(body, origins, directions) -> tuple[list[float], list[str | None], float]:
    from panda3d.core import (
        BitMask32,
        CollisionHandlerQueue,
        CollisionNode,
        CollisionRay,
        CollisionTraverser,
        NodePath,
    )

    from scenes.meshes import mesh_node

    t0 = time.perf_counter()
    root = NodePath("body")
    for sid in body.structures:
        root.attachNewNode(mesh_node(sid, body.mesh(sid))).setCollideMask(BitMask32.bit(1))
    ray = CollisionRay()
    ray_node = CollisionNode("ray")
    ray_node.addSolid(ray)
    ray_node.setFromCollideMask(BitMask32.bit(1))
    ray_node.setIntoCollideMask(BitMask32.allOff())
    ray_np = root.attachNewNode(ray_node)
    queue = CollisionHandlerQueue()
    traverser = CollisionTraverser()
    traverser.addCollider(ray_np, queue)
    build = time.perf_counter() - t0
    times, hits = [], []
    for o, d in zip(origins, directions, strict=True):
        t = time.perf_counter()
        ray.setOrigin(*o)
        ray.setDirection(*d)
        traverser.traverse(root)
        hit = None
        if queue.getNumEntries():
            queue.sortEntries()
            hit = queue.getEntry(0).getIntoNodePath().getName()
        times.append(time.perf_counter() - t)
        hits.append(hit)
    return times, hits, build


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rays", type=int, default=300)
    args = ap.parse_args()
    body = load_body(asset_dir())
    triangles = sum(len(m.faces) for m in body.meshes.values())
    origins, directions = rays(body, args.rays)
    results = {
        "MedVR BVH (embree)": bench_bvh(body, origins, directions),
        "Panda3D CollisionTraverser": bench_panda(body, origins, directions),
    }
    print(
        f"# pick latency: {len(body.structures)} structures, {triangles} triangles, "
        f"{args.rays} rays from the front"
    )
    print(f"{'picker':28} {'build s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, (times, _, build) in results.items():
        ms = [t * 1000 for t in times]
        print(f"{name:28} {build:8.2f} {percentile(ms, 50):8.3f} {percentile(ms, 99):8.3f}")
    ours, theirs = results["MedVR BVH (embree)"], results["Panda3D CollisionTraverser"]
    agree = statistics.mean(a == b for a, b in zip(ours[1], theirs[1], strict=True))
    speedup = percentile(theirs[0], 50) / percentile(ours[0], 50)
    print(f"same structure picked: {agree:.1%}; p50 speed-up: {speedup:.0f}x")


if __name__ == "__main__":
    main()
