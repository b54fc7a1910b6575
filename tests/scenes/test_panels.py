"""World-space panels: drawn over the scene, pressed by rays, sliders set by position."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from scenes.labels import Labels
from scenes.meshes import mesh_node
from scenes.panels import Panel
from scenes.runtime.mono import HeadlessRuntime
from scenes.shading import Shading


@pytest.fixture
def panel_world(engine):
    runtime = HeadlessRuntime()
    runtime.start(engine)
    runtime.set_background((0, 0, 0, 1))
    runtime.place_viewer((0, -2, 1), (0, 0, 1))
    shading = Shading(engine.display.shaders)
    root = engine.render.attachNewNode("root")
    shading.install(root)
    panel = Panel(Labels(shading, viewer=runtime.head), runtime.head, "test", width=0.4)
    panel.root.setPos(-0.2, 1.0, 0.15)
    yield engine, runtime, root, panel
    root.removeNode()
    runtime.stop()


def world_point(engine, panel, x, z):
    return np.array(engine.render.getRelativePoint(panel.root, (x, 0, z)))


def test_buttons_fire_and_slider_takes_the_pressed_fraction(panel_world):
    engine, runtime, root, panel = panel_world
    pressed = []
    button = panel.add_button("go", "开始 Go", lambda f: pressed.append(f))
    slider = panel.add_slider("level", "Level", 0.5, lambda v: pressed.append(("v", v)))
    eye = runtime.head_pose().position
    left, right, bottom, top = button.rect
    target = world_point(engine, panel, (left + right) / 2, (bottom + top) / 2)
    assert panel.press(eye, target - eye)
    assert pressed == [pytest.approx(0.5, abs=0.01)]
    left, right, bottom, top = slider.rect
    target = world_point(engine, panel, left + 0.25 * (right - left), (bottom + top) / 2)
    assert panel.press(eye, target - eye)
    assert pressed[-1] == ("v", pytest.approx(0.25, abs=0.01))
    # Beside the panel: nothing is pressed.
    outside = world_point(engine, panel, right + 0.2, top)
    assert not panel.press(eye, outside - eye)
    panel.show(button, False)
    target = world_point(engine, panel, 0.2, (button.rect[2] + button.rect[3]) / 2)
    assert not panel.press(eye, target - eye), "a hidden widget cannot be pressed"


def test_panel_draws_over_the_model(panel_world):
    engine, runtime, root, panel = panel_world
    button = panel.add_button("go", "Go", lambda f: None)
    # A big white box right in front of the viewer, nearer than the panel.
    box = trimesh.creation.box([3, 0.1, 3])
    root.attachNewNode(mesh_node("wall", box, (1, 1, 1, 1))).setPos(0, -1.5, 1)
    engine.render_frame()
    img = engine.screenshot().astype(int)
    h, w, _ = img.shape
    left, right, bottom, top = button.rect
    lens = runtime.engine.base.camNode.getLens()
    from panda3d.core import Point2, Point3

    # Near the right end, where the card shows and the label does not reach.
    p = runtime.camera.getRelativePoint(panel.root, Point3(right - 0.02, 0, (bottom + top) / 2))
    film = Point2()
    assert lens.project(p, film)
    x, y = int((film[0] + 1) / 2 * w), int((1 - film[1]) / 2 * h)
    r, g, b = img[y, x]
    assert b > r and r < 120, "the button's blue-grey card shows, not the white wall"
