"""The acupuncture lab on the shipped body: real renders, real picks through the runtime's
pointer and buttons, needling with live feedback, both quizzes, and the events."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import hue_distance

from scenes.runtime.base import Button
from scenes.runtime.mono import HeadlessRuntime
from sync.events import (
    NeedlingAttempted,
    ObjectSelected,
    QuizAnswered,
    QuizCompleted,
)
from sync.recorder import MemoryRecorder


class BuzzingRuntime(HeadlessRuntime):
    """Headless, but keeps the haptic pulses a scene asks for (they have no pixels)."""

    def __init__(self):
        super().__init__()
        self.pulses: list[tuple[str, float, float]] = []

    def haptic_pulse(self, side: str, seconds: float = 0.02, strength: float = 0.5) -> None:
        self.pulses.append((side, seconds, strength))


@pytest.fixture(scope="module")
def lab():
    from scenes.director import Director
    from scenes.engine import Engine

    engine = Engine(offscreen=True, size=(640, 480))
    recorder = MemoryRecorder()
    runtime = BuzzingRuntime()
    director = Director(engine, runtime, recorder, "zh-CN")
    scene = director.switch("acupuncture")
    director.settle()
    yield director, scene, runtime, recorder
    director.shutdown()
    engine.destroy()


def _aim_and(director, runtime, target, action="press", offset=(0.0, -0.35, 0.0)):
    target = np.asarray(target, dtype=float)
    eye = target + np.asarray(offset)
    # The viewer stands where the pointer comes from, so the panels at the sides of the
    # view are never in the way.
    runtime.place_viewer(eye, target)
    director.settle(1)
    runtime.scripted.aim("mouse", eye, target)
    getattr(runtime.scripted, action)(Button.SELECT, "mouse")
    director.settle(1)


def test_a_meridian_draws_in_its_colour_on_the_skin(lab):
    director, scene, runtime, recorder = lab
    scene.request("Browse")
    scene.show_meridians(False)
    for panel in scene.panels:
        panel.root.hide()
    scene.show_view("arm")
    director.settle()
    bare = director.runtime.capture().astype(float)
    scene.toggle_meridian("LU")
    director.settle()
    drawn = director.runtime.capture().astype(float)
    changed = np.abs(drawn - bare).sum(axis=2) > 40
    assert changed.sum() > 150, "the lung meridian and its markers show"
    colour = scene.catalog.meridians["LU"].colour
    assert hue_distance(drawn[changed].mean(axis=0), colour) < 35
    for panel in scene.panels:
        panel.root.show()


def test_pointing_at_a_marker_selects_the_point_and_shows_it(lab):
    director, scene, runtime, recorder = lab
    scene.show_meridians(True)
    st36 = scene.placement.at("ST36", "l")
    _aim_and(director, runtime, st36.position, offset=st36.normal * 0.4)
    assert scene.selected == "ST36_l"
    assert recorder.of_type(ObjectSelected)[-1].object_id == "ST36"
    text = scene.info.text_node.getText()
    assert "足三里" in text and "ST36" in text and "直刺" in text


def test_search_finds_points_by_code_chinese_and_pinyin(lab):
    director, scene, runtime, recorder = lab
    scene.toggle_search()
    for query in ("st36", "足三里", "zusanli", "zsl"):
        scene.type_search(query)
        assert scene._results[0] == "ST36", query
    scene.type_search("hegu")
    scene._pick_result(0)
    assert scene.selected == "LI4_l"
    scene.type_search("")
    scene.toggle_search()


def test_needling_with_the_pointer_scores_and_records(lab):
    director, scene, runtime, recorder = lab
    scene.select_point("ST36_l")
    scene.request("Needling")
    st36 = scene.placement.at("ST36", "l")
    # Press on the skin a little off the point, drag the handle to tilt, let go.
    entry = st36.position + np.array([0.0, 0.0, 0.004])
    _aim_and(director, runtime, entry, action="down", offset=st36.normal * 0.4)
    assert scene.needle.entry is not None and scene.needle.dragging
    assert np.linalg.norm(scene.needle.entry - entry) < 0.003
    runtime.scripted.aim("mouse", entry + st36.normal * 0.4, entry + [0.0, 0.0, 0.03])
    director.settle(2)
    tilted = np.degrees(np.arccos(-scene.needle.heading @ st36.normal))
    assert tilted > 10
    runtime.scripted.up(Button.SELECT, "mouse")
    director.settle(1)
    assert not scene.needle.dragging
    for _ in range(12):
        runtime.send_button(Button.ADJUST_UP, True, None)
    assert scene.needle.depth_cun == pytest.approx(1.2)
    assert "毫米" in scene.feedback.text_node.getText()
    attempt = scene.finish_attempt()
    event = recorder.of_type(NeedlingAttempted)[-1]
    assert event.point_code == "ST36" and event.side == "l"
    assert event.error_mm == pytest.approx(attempt.error_mm) and 2 < event.error_mm < 7
    assert event.angle_error_deg > 10 and event.depth_ok and event.danger is None
    assert 0 < event.score < 100
    # The standard needle scores full marks.
    acupoint = scene.catalog["ST36"]
    from acupuncture.needling import standard_heading

    scene.insert_at(st36.position, st36.normal)
    scene.set_heading(standard_heading(acupoint, st36, scene.anchors))
    scene.set_depth(1.0)
    assert scene.finish_attempt().score == 100


def test_needling_the_back_too_deep_warns_of_the_lung(lab):
    director, scene, runtime, recorder = lab
    scene.perform("needle-deep:BL13_l")
    event = recorder.of_type(NeedlingAttempted)[-1]
    assert event.point_code == "BL13" and event.danger == "lung" and event.score == 0
    assert "危险" in scene.feedback.text_node.getText()
    # Felt as well as read: one strong buzz when the needle first reaches the danger.
    strong = [p for p in runtime.pulses if p[2] == 1.0]
    assert len(strong) == 1 and strong[0][1] >= 0.2
    director.settle()
    img = director.runtime.capture()
    assert img.std() > 10


def test_locate_quiz_scores_by_distance(lab):
    director, scene, runtime, recorder = lab
    scene.request("LocateQuiz")
    quiz = scene.locate_quiz
    target = quiz.current
    _aim_and(director, runtime, target.position, offset=target.normal * 0.4)
    second = quiz.current
    far = second.position + second.normal * 0.0 + np.array([0.0, 0.0, 0.08])
    scene.answer_locate(far)
    answers = recorder.of_type(QuizAnswered)[-2:]
    assert answers[0].quiz_id == "acupoint_locate" and answers[0].correct
    assert not answers[1].correct
    while not quiz.finished:
        scene.answer_locate(quiz.current.position)
    done = recorder.of_type(QuizCompleted)[-1]
    assert done.quiz_id == "acupoint_locate" and 0.5 < done.score < 1.0


def test_name_quiz_offers_four_names(lab):
    director, scene, runtime, recorder = lab
    scene.request("NameQuiz")
    quiz = scene.name_quiz
    choices = quiz.current_choices
    assert len(set(choices)) == 4 and quiz.current in choices
    scene._choose(choices.index(quiz.current))
    assert recorder.of_type(QuizAnswered)[-1].correct
    while not quiz.finished:
        wrong = next(c for c in quiz.current_choices if c != quiz.current)
        scene._choose(quiz.current_choices.index(wrong))
    assert recorder.of_type(QuizCompleted)[-1].score == pytest.approx(1 / len(quiz.order))
    scene.request("Browse")


def test_deep_view_shows_the_organs_through_the_skin(lab):
    director, scene, runtime, recorder = lab
    for panel in scene.panels:
        panel.root.hide()
    scene.show_view("chest")
    director.settle()
    skin = director.runtime.capture().astype(float)
    scene.toggle_deep()
    director.settle()
    deep = director.runtime.capture().astype(float)
    assert np.abs(deep - skin).mean() > 10
    assert scene.batches.members() > {"heart", "sternum", "skin"}
    scene.toggle_deep()
    for panel in scene.panels:
        panel.root.show()


def test_every_tour_step_renders(lab):
    director, scene, runtime, recorder = lab
    for name, view, action in scene.tour():
        if action:
            scene.perform(action)
        scene.show_view(view)
        director.settle()
        assert director.runtime.capture().std() > 10, name
    scene.request("Browse")


def test_flow_beads_move_the_way_the_channel_flows(lab):
    director, scene, runtime, recorder = lab
    scene.request("Browse")
    scene.show_meridians(False)
    scene.toggle_meridian("LU")  # flows from the chest down the arm to the thumb
    scene.toggle_flow()
    before = scene._bead_positions(0.0)[0]
    after = scene._bead_positions(0.2)[0]
    step = np.linalg.norm(after - before, axis=1)
    assert np.median(step) == pytest.approx(0.2 * 0.05, rel=0.3)
    assert np.median(after[:, 2] - before[:, 2]) < 0
    scene.show_view("arm")
    director.settle()
    first = director.runtime.capture().astype(float)
    scene._step_flow(0.5)
    director.settle()
    assert np.abs(director.runtime.capture().astype(float) - first).sum() > 0
    scene.toggle_flow()
    scene.show_meridians(True)


def test_the_needle_model_follows_the_needle(lab):
    director, scene, runtime, recorder = lab
    scene.perform("needle:ST36_l")
    n = scene.needle
    world_tip = np.array(scene.ctx.render.getRelativePoint(scene.needle_shaft, (0, 1, 0)))
    expected = n.entry + n.heading * n.depth_cun * scene._target_point().cun_m
    assert np.linalg.norm(world_tip - expected) < 5e-4
    scene.request("Browse")
