"""Display-path choice and its fallback, read-back and PNG writing."""

from __future__ import annotations

import numpy as np
import pytest
from panda3d.core import Filename, PNMImage

from scenes.director import Director
from scenes.engine import Engine, save_png
from scenes.errors import SceneError
from scenes.runtime.mono import HeadlessRuntime
from sync.recorder import NullRecorder


def test_falls_back_to_software_rendering_and_says_why():
    engine = Engine(offscreen=True, size=(320, 240), pipes=("p3nosuchdisplay", "p3tinydisplay"))
    try:
        d = engine.display
        assert d.pipe == "p3tinydisplay" and not d.shaders
        assert d.passed_over == [("p3nosuchdisplay", "unavailable")]
        assert d.describe("en") == (
            "p3tinydisplay (offscreen) after p3nosuchdisplay: module not available"
        )
        assert "显示模块不可用" in d.describe("zh-CN")
        # The scenes still draw, through fixed-function lights and colours.
        director = Director(engine, HeadlessRuntime(), NullRecorder(), "en")
        director.switch("lobby")
        director.settle()
        img = engine.screenshot()
        assert img.std() > 12
        director.shutdown()
    finally:
        engine.destroy()


def test_no_working_display_path_is_one_error_in_both_languages():
    with pytest.raises(SceneError) as caught:
        Engine(offscreen=True, size=(64, 64), pipes=("p3nosuchdisplay",))
    assert str(caught.value) == "no display path works here: p3nosuchdisplay: module not available"
    assert caught.value.zh == "本机没有可用的显示路径：p3nosuchdisplay: 显示模块不可用"


def test_png_round_trip_keeps_orientation_and_colour(tmp_path):
    img = np.zeros((40, 60, 3), dtype=np.uint8)
    img[:10, :, 0] = 255  # a red band along the top
    img[:, -5:, 2] = 200  # a blue band down the right
    path = tmp_path / "bands.png"
    save_png(img, path)
    back = PNMImage()
    assert back.read(Filename.fromOsSpecific(str(path)))
    assert (back.getXSize(), back.getYSize()) == (60, 40)
    assert back.getXelVal(0, 0) == (255, 0, 0)
    assert back.getXelVal(59, 39) == (0, 0, 200)


def test_unwritable_png_is_a_clear_error(tmp_path):
    target = tmp_path / "missing-folder" / "x.png"
    with pytest.raises(SceneError, match="cannot write the image"):
        save_png(np.zeros((4, 4, 3), dtype=np.uint8), target)


def test_garbage_is_collected_in_the_main_thread_only(engine):
    """A sync thread allocating freely never runs the cycle collector while an engine lives
    (it would free Panda3D objects in that thread); the engine's frames collect instead."""
    import gc
    import threading

    from panda3d.core import NodePath

    threads: list[int] = []

    def note(phase, info):
        if phase == "start":
            threads.append(threading.get_ident())

    class Holder:
        pass

    def cycles(n: int) -> None:
        for _ in range(n):
            a, b = Holder(), Holder()
            a.other, b.other = b, a
            a.node = NodePath("garbage")

    gc.callbacks.append(note)
    try:
        worker = threading.Thread(target=lambda: [Holder() for _ in range(200_000)])
        worker.start()
        worker.join()
        cycles(5_000)
        assert threads == []
        for _ in range(3):
            engine.step()
        assert threads and set(threads) == {threading.get_ident()}
    finally:
        gc.callbacks.remove(note)
    assert not gc.isenabled()
    engine.destroy()
    assert gc.isenabled()
    engine.destroy = lambda: None  # the fixture's own destroy
