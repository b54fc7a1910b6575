"""CPU cost of a frame in the lobby, the anatomy lab and the acupuncture lab: mono
against stereo (the SteamVR runtime on the simulated headset: poses, both eye buffers
and the submit of both eyes each frame), and the software fallback path, all in one run.
App + Cull is what Python and the scene graph cost a headset's frame; Draw on llvmpipe
is software rasterisation and says nothing of a GPU.

    python bench/frame_cost.py [--frames N]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pstats_capture import capture  # noqa: E402

from scenes.director import Director  # noqa: E402
from scenes.engine import Engine  # noqa: E402
from scenes.runtime.mono import HeadlessRuntime  # noqa: E402
from scenes.runtime.sim_hmd import SimulatedHmdRuntime  # noqa: E402
from sync.recorder import NullRecorder  # noqa: E402

SIZE = (1280, 720)


def draw_calls(root) -> int:
    """Geoms drawn per view: every visible GeomNode's geoms (one batch each)."""
    return sum(
        n.node().getNumGeoms() for n in root.findAllMatches("**/+GeomNode") if not n.isHidden()
    )


def measure(label: str, runtime, frames: int, pipes=None, scene_id="lobby") -> dict[str, float]:
    engine = Engine(offscreen=True, size=SIZE, pipes=pipes)
    director = Director(engine, runtime, NullRecorder(), "zh-CN")
    scene = director.switch(scene_id)
    view = scene.views[scene.default_view]
    if not runtime.stereo:
        # A desktop user's mouse is always somewhere: hover picking runs in mono too.
        runtime.scripted.aim("mouse", view.eye, view.target)
    director.settle(10)
    calls = draw_calls(engine.render)
    submit = time_submits(engine, runtime) if runtime.stereo else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(frames):
        engine.step()
    cpu = (time.process_time() - cpu0) / frames * 1000
    wall = (time.perf_counter() - wall0) / frames * 1000
    submit_us = statistics.median(submit) * 1e6 if submit else float("nan")
    stats = capture(engine.step, frames)
    stats["app_timer"] = app_time_by_timer(engine, frames)
    director.shutdown()
    engine.destroy()
    stats.update(
        label=label, cpu=cpu, wall=wall, pipe=engine.display.pipe, calls=calls, submit=submit_us
    )
    return stats


def time_submits(engine, runtime) -> list[float]:
    """Seconds the SteamVR runtime's submit task takes each frame (both eyes handed to
    the compositor: the stand-in's here, SteamVR's on a headset)."""
    taken: list[float] = []
    task_mgr = engine.base.taskMgr
    (task,) = task_mgr.getTasksNamed("medvr-openvr-submit")
    inner = runtime._submit_task

    def timed(t):
        t0 = time.perf_counter()
        try:
            return inner(t)
        finally:
            taken.append(time.perf_counter() - t0)

    task_mgr.remove(task)
    task_mgr.add(timed, "medvr-openvr-submit", sort=task.getSort())
    return taken


def app_time_by_timer(engine, frames: int) -> float:
    """Median ms of one frame's tasks with drawing taken out, timed without PStats."""
    task_mgr = engine.base.taskMgr
    draw_task = task_mgr.getTasksNamed("igLoop")[0]
    task_mgr.remove(draw_task)
    times = []
    try:
        for _ in range(frames):
            t0 = time.perf_counter()
            task_mgr.step()
            times.append(time.perf_counter() - t0)
            engine.render_frame()
    finally:
        task_mgr.add(draw_task)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=200)
    args = ap.parse_args()
    eye = (SIZE[0] // 2, SIZE[1])
    rows = [
        measure("lobby mono", HeadlessRuntime(), args.frames),
        measure("lobby stereo (sim HMD)", SimulatedHmdRuntime(eye_size=eye), args.frames),
        measure("lobby mono, tinydisplay", HeadlessRuntime(), args.frames, ("p3tinydisplay",)),
        measure("anatomy mono", HeadlessRuntime(), args.frames, scene_id="anatomy"),
        measure(
            "anatomy stereo (sim HMD)",
            SimulatedHmdRuntime(eye_size=eye),
            args.frames,
            scene_id="anatomy",
        ),
        measure("acupuncture mono", HeadlessRuntime(), args.frames, scene_id="acupuncture"),
        measure(
            "acupuncture stereo (sim HMD)",
            SimulatedHmdRuntime(eye_size=eye),
            args.frames,
            scene_id="acupuncture",
        ),
    ]
    where = platform.processor() or platform.machine()
    print(f"# frame cost, {SIZE[0]}x{SIZE[1]}, {args.frames} frames, {where}")
    head = (
        "case",
        "pipe",
        "App ms",
        "Cull ms",
        "App+Cull",
        "Draw ms",
        "CPU ms",
        "App timer",
        "geoms",
        "submit µs",
    )
    print("{:28} {:14} {:>7} {:>8} {:>9} {:>8} {:>7} {:>9} {:>6} {:>9}".format(*head))
    for r in rows:
        print(
            f"{r['label']:28} {r['pipe']:14} {r['App']:7.3f} {r['Cull']:8.3f} "
            f"{r['App'] + r['Cull']:9.3f} {r['Draw']:8.3f} {r['cpu']:7.2f} {r['app_timer']:9.3f}"
            f" {r['calls']:6d} {r['submit']:9.1f}"
        )
    for mono, stereo in ((rows[0], rows[1]), (rows[3], rows[4]), (rows[5], rows[6])):
        ratio = (stereo["App"] + stereo["Cull"]) / (mono["App"] + mono["Cull"])
        print(f"{stereo['label']} / mono App+Cull: {ratio:.2f}x")


if __name__ == "__main__":
    main()
