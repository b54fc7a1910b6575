"""The desktop runtime: orbit maths, and a real window under Xvfb driven by the pointer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from scenes.runtime.orbit import Orbit


def test_orbit_round_trips_a_viewpoint():
    eye, target = np.array([1.0, -2.0, 1.6]), np.array([0.0, 0.5, 1.0])
    orbit = Orbit.looking(eye, target)
    assert np.allclose(orbit.eye(), eye)
    assert orbit.distance == pytest.approx(np.linalg.norm(target - eye))


def test_orbit_rotation_keeps_distance_and_clamps_pitch():
    orbit = Orbit.looking((0, -3, 1), (0, 0, 1))
    orbit.rotate(90, 0)
    assert np.allclose(orbit.eye(), [3, 0, 1], atol=1e-9)  # a quarter turn to the right side
    orbit.rotate(0, 500)
    assert orbit.pitch_deg == 85.0
    assert np.linalg.norm(orbit.eye() - orbit.target) == pytest.approx(3.0)


def test_zoom_pan_and_walk():
    orbit = Orbit.looking((0, -3, 1), (0, 0, 1))
    orbit.zoom(0.001)
    assert orbit.distance == Orbit.MIN_DISTANCE
    orbit = Orbit.looking((0, -3, 1), (0, 0, 1))
    orbit.pan(0.2, 0.0)
    assert orbit.target[0] < 0 and orbit.target[2] == pytest.approx(1)
    orbit = Orbit.looking((0, -3, 1.7), (0, 0, 1.0))
    orbit.walk(1.0, 0.0)
    assert np.allclose(orbit.eye(), [0, -2, 1.7])  # walking stays level


DESKTOP_SCRIPT = textwrap.dedent(
    """
    import json
    import numpy as np
    from app.config import load_config
    from app.runtime_choice import Choice
    from app.session import Session
    from sync.events import ObjectSelected

    config = load_config(overrides={"language": "en"})
    out = {}
    with Session(config, Choice("desktop", offscreen=False), size=(640, 480)) as s:
        base = s.engine.base
        out["pipe"] = s.engine.display.pipe
        lobby = s.director.switch("lobby")
        lobby.show_view("overview")
        s.director.settle(2)
        # Where the exhibition stand's emblem is on screen (a module still to come, so
        # selecting it keeps us in the lobby), in window pixels.
        emblem = lobby.stands["exhibits"].find("emblem")
        p = base.cam.getRelativePoint(emblem, (0, 0, 0))
        from panda3d.core import Point2
        film = Point2()
        base.camNode.getLens().project(p, film)
        x, y = int((film[0] + 1) / 2 * 640), int((1 - film[1]) / 2 * 480)

        def pointer(px, py):
            base.win.movePointer(0, px, py)
            s.director.settle(2)

        pointer(x, y)
        out["hovered"] = lobby.hovered
        base.messenger.send("mouse1")
        s.director.settle(1)
        base.messenger.send("mouse1-up")
        s.director.settle(1)
        out["selected"] = [(e.object_id, e.via) for e in s.recorder.of_type(ObjectSelected)]

        head_before = np.array(s.runtime.head.getPos(base.render))
        base.messenger.send("mouse1")
        s.director.settle(1)
        pointer(x + 120, y)
        base.messenger.send("mouse1-up")
        s.director.settle(1)
        head_after = np.array(s.runtime.head.getPos(base.render))
        out["orbit_moved_m"] = float(np.linalg.norm(head_after - head_before))
        out["selected_after_drag"] = len(s.recorder.of_type(ObjectSelected))
        out["pixels_std"] = float(s.engine.screenshot().std())

        # Walking: the lobby asks for it; W moves the viewer along the floor.
        lobby.show_view("overview")
        s.director.settle(1)
        start = np.array(s.runtime.head.getPos(base.render))
        forward = np.array(base.render.getRelativeVector(s.runtime.head, (0, 1, 0)))
        base.messenger.send("w")
        t0 = base.clock.getFrameTime()
        while base.clock.getFrameTime() - t0 < 0.5:
            s.engine.step()
        base.messenger.send("w-up")
        s.director.settle(2)
        moved = np.array(s.runtime.head.getPos(base.render)) - start
        out["walk_forward_m"] = float(moved @ forward)
        out["walk_height_change_m"] = float(abs(moved[2]))
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def xvfb():
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (.ci/run installs it)")
    display = ":93"
    proc = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(50):
        if os.path.exists(f"/tmp/.X11-unix/X{display[1:]}"):
            break
        time.sleep(0.1)
    yield display
    proc.terminate()
    proc.wait(timeout=10)


def run_in_window(display: str, script: str) -> dict:
    """Run a script on the X display; it prints one JSON line of findings last."""
    env = dict(os.environ, DISPLAY=display)
    r = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_desktop_window_hovers_clicks_and_orbits(xvfb):
    out = run_in_window(xvfb, DESKTOP_SCRIPT)
    assert out["pipe"] == "pandagl"
    assert out["hovered"] == "exhibits"
    assert out["selected"] == [["exhibits", "mouse"]]
    assert out["orbit_moved_m"] > 0.5, "a left drag orbits the view"
    assert out["selected_after_drag"] == 1, "a drag is not a click"
    assert out["pixels_std"] > 10
    assert 0.3 < out["walk_forward_m"] < 1.5, "about 1.4 m/s for half a second"
    assert out["walk_height_change_m"] < 1e-6


MIRROR_SCRIPT = textwrap.dedent(
    """
    import json
    import numpy as np
    from app.config import load_config
    from app.runtime_choice import Choice
    from app.session import Session

    config = load_config(overrides={"language": "zh-CN"})
    with Session(config, Choice("sim-vr", offscreen=False), size=(640, 480)) as s:
        s.director.switch("lobby")
        s.director.settle(3)
        window = s.engine.screenshot().astype(float)
        eyes = {k: v.astype(float) for k, v in s.runtime.eye_images().items()}
        print(json.dumps({
            "pipe": s.engine.display.pipe,
            "window": list(window.shape),
            "eye": list(eyes["left"].shape),
            "left_diff": float(np.abs(window[:, :320] - eyes["left"]).mean()),
            "right_diff": float(np.abs(window[:, 320:] - eyes["right"]).mean()),
            "eyes_differ": float(np.abs(eyes["left"] - eyes["right"]).mean()),
        }))
    """
)


def test_sim_hmd_window_mirrors_both_eyes(xvfb):
    out = run_in_window(xvfb, MIRROR_SCRIPT)
    assert out["pipe"] == "pandagl"
    assert out["window"] == [480, 640, 3] and out["eye"] == [480, 320, 3]
    assert out["left_diff"] < 4 and out["right_diff"] < 4, out
    assert out["eyes_differ"] > 2, out


def test_medvr_run_opens_a_window_where_there_is_a_display(xvfb):
    env = dict(os.environ, DISPLAY=xvfb)
    r = subprocess.run(
        [sys.executable, "-m", "app", "--lang", "en", "run", "--frames", "10"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "Tour rendered" not in r.stdout  # a window, not the headless tour


NEEDLING_SCRIPT = textwrap.dedent(
    """
    import json
    import numpy as np
    from panda3d.core import Point2, Point3
    from app.config import load_config
    from app.runtime_choice import Choice
    from app.session import Session
    from sync.events import NeedlingAttempted

    config = load_config(overrides={"language": "en"})
    out = {}
    with Session(config, Choice("desktop", offscreen=False), size=(640, 480)) as s:
        base = s.engine.base
        lab = s.director.switch("acupuncture")
        lab.select_point("ST36_l")
        lab.show_view("leg")
        lab.request("Needling")
        s.director.settle(2)
        out["navigation"] = s.runtime.navigation
        st36 = lab.placement.at("ST36", "l").position

        def screen(p):
            film = Point2()
            base.camNode.getLens().project(base.cam.getRelativePoint(base.render, Point3(*p)), film)
            return int((film[0] + 1) / 2 * 640), int((1 - film[1]) / 2 * 480)

        def pointer(px, py):
            base.win.movePointer(0, px, py)
            s.director.settle(2)

        x, y = screen(st36)
        head_before = np.array(s.runtime.head.getPos(base.render))
        pointer(x, y)
        base.messenger.send("mouse1")
        s.director.settle(1)
        out["entry_error_mm"] = float(np.linalg.norm(lab.needle.entry - st36) * 1000)
        pointer(x + 40, y - 30)  # drag: the handle follows, the needle tilts
        base.messenger.send("mouse1-up")
        s.director.settle(1)
        normal = lab.placement.at("ST36", "l").normal
        out["tilt_deg"] = float(np.degrees(np.arccos(-lab.needle.heading @ normal)))
        out["camera_moved_m"] = float(
            np.linalg.norm(np.array(s.runtime.head.getPos(base.render)) - head_before)
        )
        for _ in range(10):
            base.messenger.send("wheel_up")
        s.director.settle(1)
        out["depth_cun"] = lab.needle.depth_cun
        lab.finish_attempt()
        event = s.recorder.of_type(NeedlingAttempted)[-1]
        out["score"] = event.score
        lab.request("Browse")
        out["navigation_after"] = s.runtime.navigation
    print(json.dumps(out))
    """
)


def test_desktop_needling_presses_drags_and_scrolls(xvfb):
    out = run_in_window(xvfb, NEEDLING_SCRIPT)
    assert out["navigation"] == "handle" and out["navigation_after"] == "orbit"
    assert out["entry_error_mm"] < 8, "the needle enters where the mouse pressed"
    assert out["tilt_deg"] > 5, "dragging tilts the needle"
    assert out["camera_moved_m"] < 1e-6, "dragging the needle does not orbit"
    assert out["depth_cun"] == pytest.approx(1.0)
    assert 0 < out["score"] <= 100
