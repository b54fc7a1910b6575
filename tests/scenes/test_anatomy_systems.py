"""The shipped body, one system at a time: each renders, in its own colours, where the
body stands; and a picked ray finds the structure a user would expect."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import hue_distance

from anatomy.body_model import load_body
from scenes.anatomy_lab import SYSTEM_COLOURS, asset_dir, structure_colour
from scenes.runtime.mono import HeadlessRuntime

BODY = load_body(asset_dir())
SYSTEMS = BODY.systems_present()


@pytest.fixture(scope="module")
def lab():
    from scenes.director import Director
    from scenes.engine import Engine
    from sync.recorder import MemoryRecorder

    engine = Engine(offscreen=True, size=(480, 480))
    director = Director(engine, HeadlessRuntime(), MemoryRecorder(), "en")
    scene = director.switch("anatomy")
    for panel in scene.panels:
        panel.root.hide()  # the pictures are of the body alone
    yield director, scene
    director.shutdown()
    engine.destroy()


@pytest.mark.parametrize("system", SYSTEMS)
def test_each_system_renders_alone_in_its_colours(lab, system):
    director, scene = lab
    scene.set_outer_opacity(1.0)
    scene.visibility = type(scene.visibility)(frozenset({system}))
    scene._apply_visibility()
    scene.show_view("front")
    director.settle()
    img = director.runtime.capture().astype(float)
    background = np.array(scene.background[:3]) * 255
    drawn = np.abs(img - background).sum(axis=2) > 30
    # the smallest system, a male body's reproductive one, is the prostate: ~30 pixels here
    assert drawn.sum() > 20, f"{system} draws nothing"
    # The drawn pixels lie in the middle band, where the body stands.
    cols = np.nonzero(drawn)[1]
    assert 0.3 < cols.mean() / img.shape[1] < 0.7
    colours = {
        structure_colour(BODY, s) for s in BODY.structures if BODY.catalog[s].system == system
    }
    mean = img[drawn].mean(axis=0)
    if len(colours) == 1 and np.ptp(list(colours)[0]) > 0.2:
        assert hue_distance(mean, list(colours)[0]) < 30, (system, mean)
    scene.show_all()


def test_a_ray_at_the_sternum_finds_the_sternum_then_the_heart(lab):
    director, scene = lab
    sternum = BODY.mesh("sternum").centroid
    origin = sternum + np.array([0.0, -1.0, 0.0])
    hit = scene.picker.pick(origin, [0, 1, 0], set(BODY.structures) - {"skin"})
    assert hit.structure_id == "sternum"
    if "heart_right_ventricle" in BODY.structures:
        behind = (
            set(BODY.structures)
            - {"skin", "sternum"}
            - {s for s in BODY.structures if BODY.catalog[s].system in ("muscular", "skeletal")}
        )
        heart = BODY.mesh("heart_right_ventricle").centroid
        hit = scene.picker.pick(heart + [0, -1, 0], [0, 1, 0], behind)
        assert hit.structure_id.startswith(("heart", "lung"))


def test_system_colours_cover_every_system():
    assert set(BODY.catalog.systems) <= set(SYSTEM_COLOURS)


def test_the_pleura_starts_hidden_and_shows_see_through(lab):
    director, scene = lab
    scene.undo_stack.clear()
    scene.visibility = type(scene.visibility)(
        frozenset(scene.systems) - {"muscular"}, frozenset({"pleura_l", "pleura_r"})
    )
    scene._apply_visibility()
    assert "pleura_l" not in scene.drawn_ids() and "lung_l_upper_lobe" in scene.drawn_ids()
    scene.show_all()
    assert {"pleura_l", "pleura_r"} <= scene.drawn_ids()
    assert scene._alpha("pleura_l") == pytest.approx(0.3)
    scene.select("pleura_l")
    assert scene._alpha("pleura_l") is None  # the selected one is seen whole


def test_a_new_lab_hides_the_pleura(lab):
    director, _ = lab
    director.switch("lobby")
    scene = director.switch("anatomy")  # the last test: the module's scene is replaced
    assert not ({"pleura_l", "pleura_r"} & scene.visible_ids())
