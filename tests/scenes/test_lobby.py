"""Every registered scene renders for real; the lobby picks, selects and records."""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest import hue_distance

from scenes.registry import MODULES, scene_ids
from scenes.runtime.base import Button
from scenes.runtime.mono import HeadlessRuntime
from sync.events import ModuleRequested, ObjectSelected, SceneEntered, SceneLeft
from sync.recorder import MemoryRecorder


@pytest.mark.parametrize("scene_id", scene_ids())
def test_every_scene_renders_every_view(director_factory, scene_id):
    d = director_factory(HeadlessRuntime())
    scene = d.switch(scene_id)
    seen = []
    for view in scene.views:
        scene.show_view(view)
        d.settle()
        img = d.runtime.capture()
        assert img.shape == (240, 320, 3)
        assert img.std() > 12, f"{scene_id}/{view} is nearly blank"
        colours = {tuple(c) for c in (img[::8, ::8] // 32).reshape(-1, 3)}
        assert len(colours) > 12, f"{scene_id}/{view} shows too little"
        seen.append(img)
    for a, b in zip(seen, seen[1:], strict=False):
        assert np.abs(a.astype(int) - b).mean() > 5, "views must differ"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.module_id)
def test_lobby_view_centres_its_stand(director_factory, module):
    d = director_factory(HeadlessRuntime())
    scene = d.switch("lobby")
    scene.show_view(module.module_id)
    d.settle()
    ray = d.runtime.ray_through(0.0, 0.0)
    assert scene.pick(ray.origin, ray.direction) == module.module_id
    img = d.runtime.capture()
    h, w, _ = img.shape
    patch = img[h // 2 - 6 : h // 2 + 6, w // 2 - 6 : w // 2 + 6].reshape(-1, 3)
    close = [hue_distance(px, module.accent) < 25 for px in patch.astype(float)]
    assert np.mean(close) > 0.3, f"the {module.module_id} emblem is not at the centre"


def test_pointing_and_selecting_a_coming_module(director_factory, monkeypatch):
    monkeypatch.setattr("scenes.lobby.NOTICE_SECONDS", 0.2)
    recorder = MemoryRecorder()
    runtime = HeadlessRuntime()
    d = director_factory(runtime, recorder=recorder, lang="zh-CN")
    scene = d.switch("lobby")
    scene.show_view("overview")
    d.settle()
    target = scene.stands["exhibits"].getPos(d.engine.render) + (0, 0, 1.35)
    eye = np.array([0.0, -3.4, 1.7])
    runtime.scripted.aim("right", eye, tuple(target))
    d.settle(1)
    assert scene.hovered == "exhibits"
    before = d.runtime.capture().astype(int)
    runtime.scripted.press(Button.SELECT, "right")
    d.settle()
    selected = recorder.of_type(ObjectSelected)
    assert [(e.object_id, e.via) for e in selected] == [("exhibits", "controller")]
    requested = recorder.of_type(ModuleRequested)
    assert [(e.module_id, e.available) for e in requested] == [("exhibits", False)]
    assert scene.notice is not None, "a coming module says so"
    assert "疾病科普展厅" in scene.notice.find("**/+TextNode").node().getText()
    assert d.current is scene, "no scene switch for a module that is not built"
    assert np.abs(d.runtime.capture().astype(int) - before).sum() > 1000
    assert scene.state == "Notice"
    time.sleep(0.3)
    d.settle(2)
    assert scene.state == "Browse" and scene.notice is None, "the notice goes by itself"


def test_scene_switching_leaves_nothing_behind(director_factory):
    recorder = MemoryRecorder()
    d = director_factory(HeadlessRuntime(), recorder=recorder)
    base = d.engine.base

    def footprint():
        return (
            d.engine.render.countNumDescendants(),
            len(base.taskMgr.getAllTasks()),
            sum(len(base.messenger.whoAccepts(e)) for e in base.messenger.getEvents()),
            base.graphicsEngine.getNumWindows(),
        )

    d.switch("lobby")
    d.settle(1)
    first = footprint()
    for i in range(50):
        if i % 2:  # leave half the time in the middle of a notice (a mode with a timer)
            d.current.choose("meetings")
            d.settle(1)
        d.switch("lobby")
        d.settle(1)
    assert footprint() == first
    assert len(recorder.of_type(SceneEntered)) == 51
    assert len(recorder.of_type(SceneLeft)) == 50
