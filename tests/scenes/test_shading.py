"""The project's GLSL shaders on the real headless renderer, checked by pixels."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from conftest import hue_distance

from scenes.labels import Labels
from scenes.meshes import mesh_node
from scenes.runtime.mono import HeadlessRuntime
from scenes.shading import CAP_COLOR, Shading

BACKGROUND = (0.0, 0.0, 0.0, 1)


@pytest.fixture
def world(engine):
    """A scene root with the project look, a viewer 3 m in front looking at the origin."""
    runtime = HeadlessRuntime()
    runtime.start(engine)
    runtime.set_background(BACKGROUND)
    runtime.place_viewer((0, -3, 0), (0, 0, 0))
    shading = Shading(engine.display.shaders)
    root = engine.render.attachNewNode("test-root")
    shading.install(root)
    yield engine, shading, root
    root.removeNode()
    runtime.stop()


def draw(engine) -> np.ndarray:
    engine.render_frame()
    return engine.screenshot().astype(float)


def sphere(root, color, pos=(0, 0, 0), radius=0.6):
    node = root.attachNewNode(
        mesh_node("sphere", trimesh.creation.icosphere(3, radius=radius), color)
    )
    node.setPos(*pos)
    return node


def card(root, color, pos, size=0.8):
    box = trimesh.creation.box([size, 0.01, size])
    node = root.attachNewNode(mesh_node("card", box, color, smooth=False))
    node.setPos(*pos)
    return node


def test_headless_path_runs_the_project_shaders(engine):
    assert engine.display.pipe == "p3headlessgl"
    assert engine.display.shaders, engine.display


def test_lit_sphere_has_its_colour_and_shading(world):
    engine, _, root = world
    sphere(root, (0.2, 0.7, 0.3, 1))
    img = draw(engine)
    h, w, _ = img.shape
    centre = img[h // 2, w // 2]
    assert hue_distance(centre, (0.2, 0.7, 0.3)) < 15
    assert img[5, 5].max() < 5  # background left alone
    # The key light comes from the upper right: that side of the sphere is brighter.
    r = int(h * 0.12)
    upper_right = img[h // 2 - r, w // 2 + r].sum()
    lower_left = img[h // 2 + r, w // 2 - r].sum()
    assert upper_right > lower_left * 1.2


def test_highlight_brightens_the_object(world):
    engine, shading, root = world
    node = sphere(root, (0.3, 0.3, 0.8, 1))
    plain = draw(engine)
    shading.set_highlight(node, True)
    lit = draw(engine)
    mask = plain.sum(axis=2) > 20
    assert lit[mask].mean() > plain[mask].mean() + 20


@pytest.mark.parametrize("near_first", [True, False])
def test_xray_blends_back_to_front_whatever_the_order(world, near_first):
    engine, shading, root = world
    made = []
    specs = [((1, 0, 0, 1), (-0.2, -0.5, 0)), ((0, 0, 1, 1), (0.2, 0.5, 0))]  # red near, blue far
    for color, pos in specs if near_first else specs[::-1]:
        node = card(root, color, pos)
        shading.set_xray(node, 0.9)
        made.append(node)
    img = draw(engine)
    h, w, _ = img.shape
    overlap = img[h // 2, w // 2]
    # Red drawn last, over blue: red dominates where they overlap.
    assert overlap[0] > overlap[2] + 10, overlap
    # Both cards are see-through: the blue card shows through red.
    assert overlap[2] > 5, overlap


def test_section_plane_removes_one_side_and_caps_the_cut(world):
    engine, shading, root = world
    sphere(root, (0.9, 0.9, 0.9, 1))
    img = draw(engine)
    h, w, _ = img.shape
    left = (h // 2, int(w * 0.4))
    assert img[left].sum() > 100
    shading.set_section(root, (1, 0, 0, 0))  # keep x >= 0
    cut = draw(engine)
    assert cut[left].sum() < 10, "the x < 0 half is gone"
    assert cut[h // 2, int(w * 0.6)].sum() > 100, "the x >= 0 half stays"
    shading.set_section(root, (0, 1, 0, 0))  # keep y >= 0: look into the far half
    inside = draw(engine)[h // 2, w // 2]
    assert hue_distance(inside, CAP_COLOR[:3]) < 10, inside
    shading.set_section(root, None)
    assert np.abs(draw(engine) - img).max() < 2


def test_cjk_label_renders_glyphs_over_its_card(world):
    engine, shading, root = world
    labels = Labels(shading)
    labels.make(root, "人体解剖", height=0.4, color=(1, 1, 1, 1), card=(0.0, 0.0, 0.6, 1))
    img = draw(engine)
    card_px = (img[..., 2] > 100) & (img[..., 0] < 60)
    glyph_px = img.min(axis=2) > 180
    assert card_px.sum() > 2000, "the label's card is drawn"
    assert glyph_px.sum() > 300, "white glyph strokes are drawn on it"
    rows, cols = np.nonzero(glyph_px)
    # Four characters side by side: the strokes span a wide, short box.
    assert np.ptp(cols) > 2.5 * np.ptp(rows)
