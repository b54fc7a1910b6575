"""The anatomy lab on a small synthetic body: real renders, real picks, real events."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import trimesh

from anatomy.gltf_io import StructureMesh, write_glb
from scenes.runtime.base import Button
from scenes.runtime.mono import HeadlessRuntime
from sync.events import ControlUsed, ObjectSelected, ObjectViewed, QuizAnswered, QuizCompleted
from sync.recorder import MemoryRecorder


def _ellipsoid(radii, centre):
    m = trimesh.creation.icosphere(3, radius=1.0)
    m.apply_scale(radii)
    return m.apply_translation(centre)


@pytest.fixture
def synthetic_body(tmp_path, monkeypatch):
    """Skin around a heart, two pleural sacs, a liver and a stomach, in our frame."""
    shapes = {
        "skin": trimesh.creation.capsule(height=1.2, radius=0.22).apply_translation([0, 0, 0.95]),
        "heart": _ellipsoid([0.06, 0.05, 0.065], [0.02, -0.04, 1.28]),
        "lung_l_upper_lobe": _ellipsoid([0.07, 0.08, 0.13], [0.11, 0.0, 1.32]),
        "lung_r_upper_lobe": _ellipsoid([0.08, 0.08, 0.13], [-0.11, 0.0, 1.32]),
        "liver": _ellipsoid([0.12, 0.08, 0.06], [-0.06, -0.02, 1.12]),
        "stomach": _ellipsoid([0.06, 0.05, 0.07], [0.08, -0.04, 1.1]),
    }
    structures = [StructureMesh(k, m.vertices, m.faces) for k, m in shapes.items()]
    write_glb(tmp_path / "body.glb", structures)
    manifest = {
        "default_shape": "test",
        "shapes": {"test": {"files": ["body.glb"], "landmarks": {"umbilicus": [0, -0.2, 1.05]}}},
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("MEDVR_ANATOMY_ASSETS", str(tmp_path))
    return shapes


@pytest.fixture
def lab(director_factory, synthetic_body):
    recorder = MemoryRecorder()
    runtime = HeadlessRuntime()
    d = director_factory(runtime, size=(480, 360), recorder=recorder)
    scene = d.switch("anatomy")
    d.settle()
    return d, scene, runtime, recorder


def centre_pixel(d) -> np.ndarray:
    img = d.runtime.capture().astype(float)
    h, w, _ = img.shape
    return img[h // 2 - 2 : h // 2 + 3, w // 2 - 2 : w // 2 + 3].reshape(-1, 3).mean(axis=0)


def press_at(d, runtime, target, source="mouse"):
    eye = np.array(runtime.head_pose().position)
    ray = runtime.scripted.aim(source, eye, target)
    runtime.scripted.press(Button.SELECT, source)
    d.settle(1)
    return ray


def test_pointing_at_the_heart_selects_it_through_the_skin(lab, synthetic_body):
    d, scene, runtime, recorder = lab
    scene.show_view("thorax")
    d.settle()
    press_at(d, runtime, synthetic_body["heart"].centroid)
    # The skin is translucent by default, so the heart behind it is what gets picked.
    assert scene.selection.structure_id == "skin"
    scene.set_outer_opacity(0.0)
    scene.toggle_system("integumentary")
    press_at(d, runtime, synthetic_body["heart"].centroid)
    assert scene.selection.structure_id == "heart"
    assert [e.object_id for e in recorder.of_type(ObjectSelected)] == ["skin", "heart"]
    assert [e.object_id for e in recorder.of_type(ObjectViewed)] == ["skin"]
    text = scene.info.text_node.getText()
    assert "Heart" in text


def test_systems_hide_isolate_show_all_and_undo(lab):
    d, scene, runtime, recorder = lab
    scene.select("liver")
    scene.isolate_selected()
    assert scene.visible_ids() == {"liver"}
    assert scene.drawn_ids() == {"liver"}
    scene.undo()
    scene.hide_selected() if scene.selection.structure_id else None
    assert "liver" not in scene.visible_ids()
    scene.show_all()
    assert scene.visible_ids() == set(scene.nodes)
    assert scene.drawn_ids() == set(scene.nodes)
    scene.toggle_system("respiratory")
    assert not ({"lung_l_upper_lobe", "lung_r_upper_lobe"} & scene.visible_ids())
    scene.undo()
    assert {"lung_l_upper_lobe", "lung_r_upper_lobe"} <= scene.visible_ids()
    controls = [e.control for e in recorder.of_type(ControlUsed)]
    assert controls == ["isolate", "undo", "hide", "show_all", "system", "undo"]


def test_section_cuts_the_picture_and_the_picking(lab, synthetic_body):
    d, scene, runtime, recorder = lab
    scene.toggle_system("integumentary")
    scene.show_view("thorax")
    d.settle()
    whole = d.runtime.capture().astype(float)
    scene.set_section("coronal")
    scene.move_section(0.5)
    d.settle()
    cut = d.runtime.capture().astype(float)
    assert np.abs(whole - cut).mean() > 2, "the section changes the picture"
    # A ray at the heart's front now enters behind the cut plane.
    hit = scene.pick(
        runtime.head_pose().position,
        synthetic_body["heart"].centroid - runtime.head_pose().position,
    )
    assert hit is None or hit.point[1] >= scene.section_plane()[3] * -1 - 1e-6


def test_slider_drag_moves_the_section(lab):
    d, scene, runtime, recorder = lab
    scene.set_section("axial")
    panel = scene.panels[1]
    widget = scene.section_slider
    left, right, bottom, top = widget.rect
    world = d.engine.render

    def point(fraction):
        return np.array(
            world.getRelativePoint(
                panel.root, (left + fraction * (right - left), 0, (bottom + top) / 2)
            )
        )

    eye = np.array(runtime.head_pose().position)
    runtime.scripted.aim("mouse", eye, point(0.2))
    runtime.send_button(Button.SELECT, True, runtime.scripted.rays["mouse"])
    d.settle(1)
    assert scene.section.fraction == pytest.approx(0.2, abs=0.03)
    runtime.scripted.aim("mouse", eye, point(0.8))
    d.settle(1)
    assert scene.section.fraction == pytest.approx(0.8, abs=0.03)
    runtime.send_button(Button.SELECT, False, runtime.scripted.rays["mouse"])


def test_search_by_pinyin_and_select_a_result(lab):
    d, scene, runtime, recorder = lab
    scene.toggle_search()
    for ch in "xin":
        d.engine.base.messenger.send("keystroke", [ch])
    assert scene._results and scene._results[0] == "heart"
    scene._pick_result(0)
    assert scene.selection.structure_id == "heart"


def test_quiz_asks_scores_and_records(lab, synthetic_body):
    d, scene, runtime, recorder = lab
    scene.set_outer_opacity(0.0)
    scene.toggle_system("integumentary")
    scene.request("Quiz")
    quiz = scene.quiz
    asked = len(quiz.order)
    for i in range(asked):
        target = quiz.current
        if i == 0:
            wrong = next(s for s in quiz.order if s != target)
            scene.answer_quiz(wrong)
        else:
            scene.answer_quiz(target)
    answers = recorder.of_type(QuizAnswered)
    assert len(answers) == asked and answers[0].correct is False
    done = recorder.of_type(QuizCompleted)
    assert len(done) == 1 and done[0].score == pytest.approx((asked - 1) / asked)
    assert "%" in scene.quiz_text.text_node.getText()


def test_explode_moves_structures_away_from_the_centre(lab):
    d, scene, runtime, recorder = lab
    before = {k: np.array(n.getPos()) for k, n in scene.nodes.items()}
    scene.toggle_explode()
    for _ in range(60):
        scene._step_explode(0.02)
    moved = {k: np.linalg.norm(np.array(n.getPos()) - before[k]) for k, n in scene.nodes.items()}
    assert moved["skin"] == 0
    assert moved["lung_l_upper_lobe"] > 0.03 and moved["liver"] > 0.03


def test_every_view_renders(lab):
    d, scene, runtime, recorder = lab
    for view in scene.views:
        scene.show_view(view)
        d.settle()
        img = d.runtime.capture()
        assert img.std() > 10, view


def _drawn_geoms(root) -> int:
    nodes = root.findAllMatches("**/+GeomNode")
    return sum(n.node().getNumGeoms() for n in nodes if not n.isHidden())


def test_structures_sharing_a_look_are_drawn_as_one_batch(lab):
    d, scene, runtime, recorder = lab
    scene.set_outer_opacity(1.0)
    scene.show_view("thorax")
    d.settle()
    # Skin, cardiovascular, respiratory and digestive: one merged geom each.
    groups = {scene.body.catalog[s].system for s in scene.visible_ids()}
    assert len(scene.batches) == len(groups) == 4
    assert scene.drawn_ids() == scene.visible_ids()
    body = scene.root.find("body")
    assert _drawn_geoms(body) == 4
    scene.select("liver")
    assert not scene.nodes["liver"].isHidden()
    assert "liver" not in scene.batches.members()
    assert _drawn_geoms(body) == 4 + 2  # the liver alone, and its label
    scene.select(None)
    builds = scene.batches.builds
    scene.select("liver")
    scene.select(None)
    assert scene.batches.builds == builds, "a recent batch is reused, not rebuilt"


def test_merged_batches_look_like_single_nodes(lab):
    d, scene, runtime, recorder = lab
    scene.set_outer_opacity(0.4)
    scene.set_section("sagittal")
    scene.move_section(0.45)
    scene.show_view("thorax")
    d.settle()
    merged = d.runtime.capture().astype(float)
    scene.batches.root.hide()
    for sid in scene.visible_ids():
        scene.nodes[sid].show()
    d.settle()
    single = d.runtime.capture().astype(float)
    assert merged.std() > 10
    # The same colours, transparency and capped cut; only blending order within a
    # translucent batch may differ.
    assert np.abs(merged - single).mean() < 1.0


def test_the_geometry_cache_is_used_and_a_broken_one_rebuilt(
    director_factory, synthetic_body, tmp_path
):
    cache = tmp_path / "cache"
    d = director_factory(HeadlessRuntime(), size=(320, 240), cache_dir=cache)

    def open_lab():
        d.switch("lobby")
        scene = d.switch("anatomy")
        d.settle()
        return scene, d.runtime.capture().astype(float)

    first, built = open_lab()
    second, cached = open_lab()
    assert (first.geometry_source, second.geometry_source) == ("built", "cache")
    assert built.std() > 10
    assert np.abs(built - cached).mean() < 0.5, "the cached body looks the same"
    (bam,) = (cache / "geometry").glob("*.bam")
    bam.write_bytes(b"pbj\0\n\r" + b"\0" * 64)  # a bam header and nothing after it
    third, rebuilt = open_lab()
    assert third.geometry_source == "built"
    assert np.abs(rebuilt - built).mean() < 0.5
    # A changed asset file is a new key: the cached file is not used for it.
    glb = tmp_path / "body.glb"
    os.utime(glb, ns=(glb.stat().st_atime_ns, glb.stat().st_mtime_ns + 10**9))
    assert open_lab()[0].geometry_source == "built"
