"""The simulated HMD renders true stereo: two eye buffers, off-axis, IPD apart."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from scenes.engine import Engine
from scenes.meshes import mesh_node
from scenes.runtime.base import BUTTON_EVENT, Button, ButtonEvent
from scenes.runtime.sim_hmd import SimulatedHmdRuntime, eye_frusta
from scenes.shading import Shading

EYE = (400, 400)
FOV = 100.0
DISTANCE = 1.0


@pytest.fixture
def hmd_world():
    engine = Engine(offscreen=True, size=(320, 240))
    runtimes = []

    def make(ipd_m: float):
        rt = SimulatedHmdRuntime(ipd_m=ipd_m, fov_deg=FOV, eye_size=EYE)
        rt.start(engine)
        rt.set_background((0, 0, 0, 1))
        rt.place_viewer((0, 0, 1.65), (0, 5, 1.65))
        runtimes.append(rt)
        return rt

    root = engine.render.attachNewNode("hmd-test")
    Shading(engine.display.shaders).install(root)
    ball = trimesh.creation.icosphere(3, radius=0.02)
    root.attachNewNode(mesh_node("ball", ball, (1, 1, 1, 1))).setPos(0, DISTANCE, 1.65)
    yield engine, make
    for rt in runtimes:
        rt.stop()
    engine.destroy()


def centroid_x(img: np.ndarray) -> float:
    mask = img.astype(int).sum(axis=2) > 60
    assert mask.sum() > 20, "the ball is visible"
    cols = np.nonzero(mask)[1]
    return float(cols.mean()) + 0.5


def expected_x(side: str, ipd: float) -> float:
    f = eye_frusta(FOV, EYE)[side]
    eye_x = -ipd / 2 if side == "left" else ipd / 2
    tangent = (0.0 - eye_x) / DISTANCE
    return (tangent - f.left) / (f.right - f.left) * EYE[0]


@pytest.mark.parametrize("ipd", [0.0, 0.058, 0.063, 0.072])
def test_eye_images_show_the_disparity_of_the_ipd(hmd_world, ipd):
    engine, make = hmd_world
    rt = make(ipd)
    engine.render_frame()
    eyes = rt.eye_images()
    assert eyes["left"].shape == (EYE[1], EYE[0], 3)
    measured = {side: centroid_x(eyes[side]) for side in ("left", "right")}
    for side in ("left", "right"):
        assert measured[side] == pytest.approx(expected_x(side, ipd), abs=0.6), side
    # The frusta are asymmetric (nose side narrower), so even at zero IPD the ball
    # sits at mirrored places; the IPD adds the disparity on top.
    nose_offset = expected_x("left", 0.0) - expected_x("right", 0.0)
    focal_px = EYE[0] / (eye_frusta(FOV, EYE)["left"].right - eye_frusta(FOV, EYE)["left"].left)
    disparity = measured["left"] - measured["right"] - nose_offset
    assert disparity == pytest.approx(ipd / DISTANCE * focal_px, abs=1.0)


def test_side_by_side_still_holds_both_eyes(hmd_world):
    engine, make = hmd_world
    rt = make(0.063)
    engine.render_frame()
    sbs = rt.capture()
    eyes = rt.eye_images()
    assert sbs.shape == (EYE[1], 2 * EYE[0], 3)
    assert np.array_equal(sbs[:, : EYE[0]], eyes["left"])
    assert np.array_equal(sbs[:, EYE[0] :], eyes["right"])


def test_controller_rays_and_buttons_follow_the_script(hmd_world):
    engine, make = hmd_world
    rt = make(0.063)
    rt.scripted.aim("left", (0.2, 0, 1.2), (0, DISTANCE, 1.65))
    got: list[ButtonEvent] = []
    engine.base.accept(BUTTON_EVENT, got.append)
    rt.scripted.press(Button.SELECT, "left")
    engine.step()
    rays = {r.source: r for r in rt.pointer_rays()}
    d = np.array([0, DISTANCE, 1.65]) - np.array([0.2, 0, 1.2])
    assert np.allclose(rays["left"].direction, d / np.linalg.norm(d), atol=1e-5)
    assert [(e.button, e.pressed) for e in got] == [(Button.SELECT, True), (Button.SELECT, False)]
    assert got[0].ray.source == "left"
    engine.base.ignore(BUTTON_EVENT)


def test_head_pose_is_the_viewer_place(hmd_world):
    _, make = hmd_world
    rt = make(0.063)
    pose = rt.head_pose()
    assert np.allclose(pose.position, [0, 0, 1.65], atol=1e-6)
    assert np.allclose(pose.forward, [0, 1, 0], atol=1e-6)
