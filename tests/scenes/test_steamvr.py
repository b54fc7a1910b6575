"""The SteamVR runtime's own code, driven by the stand-in for the openvr API: frames,
matrices, submits, invalid poses, focus, shutdown, and picking by the controller's laser."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openvr
import pytest
from panda3d.core import LMatrix4, Point2, Point3, Vec3
from test_anatomy_lab import synthetic_body  # noqa: F401, E402, F811 - the lab's small body

from scenes.errors import SceneError
from scenes.runtime.base import Button, PointerRay
from scenes.runtime.steamvr import (
    YUP_TO_ZUP,
    ZUP_TO_YUP,
    SteamVRRuntime,
    pose_matrix,
    projection_lens,
)
from scenes.runtime.steamvr_sim import (
    SimulatedHeadset,
    SimulatedOpenVR,
    compose_projection,
    matrix34,
    pose_rows,
)

EYE = (96, 104)


def as_panda(rows) -> LMatrix4:
    return pose_matrix(matrix34(np.asarray(rows)))


def test_a_headset_1_7_m_up_looking_along_minus_z_looks_along_plus_y_at_z_1_7():
    m = as_panda(pose_rows((0.0, 1.7, 0.0)))
    assert np.allclose(m.getRow3(3), (0, 0, 1.7), atol=1e-6)
    assert np.allclose(m.xformVec(Vec3(0, 1, 0)), (0, 1, 0), atol=1e-6)
    assert np.allclose(m.xformVec(Vec3(0, 0, 1)), (0, 0, 1), atol=1e-6)


def test_known_poses_turn_and_move_the_right_way():
    # OpenVR: 2 m in front of the origin is z = -2; turned 90° left faces -X.
    m = as_panda(pose_rows((0.5, 1.6, -2.0), yaw_deg=90))
    assert np.allclose(m.getRow3(3), (0.5, 2.0, 1.6), atol=1e-6)
    assert np.allclose(m.xformVec(Vec3(0, 1, 0)), (-1, 0, 0), atol=1e-6)
    up = as_panda(pose_rows((0, 1.6, 0), pitch_deg=30)).xformVec(Vec3(0, 1, 0))
    assert up[2] == pytest.approx(0.5, abs=1e-6)


def test_conversion_round_trips():
    rng = np.random.default_rng(7)
    for _ in range(20):
        rows = pose_rows(rng.uniform(-2, 2, 3), rng.uniform(-180, 180), rng.uniform(-80, 80))
        m = as_panda(rows)
        # Our frame back to OpenVR's, with the inverse conversions, gives the same rows.
        yup = YUP_TO_ZUP * m * ZUP_TO_YUP
        recovered = np.array([[yup.getCell(j, i) for j in range(4)] for i in range(3)])
        assert np.allclose(recovered, rows, atol=1e-5)


@pytest.mark.parametrize("eye", [openvr.Eye_Left, openvr.Eye_Right])
def test_each_eye_projection_matches_its_raw_tangents(eye):
    vr = SimulatedOpenVR()
    left, right, top, bottom = vr.VRSystem().getProjectionRaw(eye)
    lens = projection_lens(vr.VRSystem().getProjectionMatrix(eye, 0.05, 200.0))
    film = Point2()
    # Our view space: x right, y forward, z up; OpenVR's top tangent is negative (y down).
    for point, expected in (
        ((left, 1, 0), (-1, None)),
        ((right, 1, 0), (1, None)),
        ((0, 1, -top), (None, 1)),
        ((0, 1, -bottom), (None, -1)),
    ):
        assert lens.project(Point3(*point), film)
        for got, want in zip(film, expected, strict=True):
            if want is not None:
                assert got == pytest.approx(want, abs=1e-5)


def test_compose_projection_is_what_the_openvr_samples_build():
    p = compose_projection((-1.0, 1.0, -1.0, 1.0), 0.1, 10.0)
    clip = p @ np.array([0.0, 0.0, -0.1, 1.0])
    assert clip[2] / clip[3] == pytest.approx(-1.0)
    clip = p @ np.array([0.0, 0.0, -10.0, 1.0])
    assert clip[2] / clip[3] == pytest.approx(1.0)


@pytest.fixture
def headset():
    return SimulatedHeadset()


@pytest.fixture
def running(engine, headset):
    runtime = SteamVRRuntime(SimulatedOpenVR(headset), eye_size=EYE)
    runtime.start(engine)
    runtime.set_background((0.9, 0.1, 0.1, 1))
    yield runtime
    runtime.stop()


def test_both_eyes_are_submitted_every_frame_in_order_with_their_gl_textures(
    engine, running, headset
):
    for _ in range(4):
        engine.step()
    assert headset.frames == 4
    assert [(s.frame, s.eye) for s in list(headset.submits)] == [
        (f, e) for f in range(1, 5) for e in (openvr.Eye_Left, openvr.Eye_Right)
    ]
    gsg = engine.base.win.getGsg()
    ids = {
        side: running.rig.textures[side].prepareNow(0, gsg.getPreparedObjects(), gsg).getNativeId()
        for side in ("left", "right")
    }
    assert ids["left"] and ids["right"] and ids["left"] != ids["right"]
    assert {s.handle for s in headset.submits if s.eye == openvr.Eye_Left} == {ids["left"]}
    assert {s.handle for s in headset.submits if s.eye == openvr.Eye_Right} == {ids["right"]}
    assert {s.texture_type for s in headset.submits} == {openvr.TextureType_OpenGL}
    assert headset.tracking_space == openvr.TrackingUniverseStanding


def test_the_eyes_render_the_scene_and_the_hidden_area_is_black(engine, running, headset):
    for _ in range(2):
        engine.step()
    eyes = running.eye_images()
    for side, img in eyes.items():
        h, w, _ = img.shape
        assert (h, w) == (EYE[1], EYE[0])
        centre = img[h // 2, w // 2].astype(int)
        assert centre[0] > 180 and centre[1] < 60, (side, centre)  # the clear colour
        assert img[1, 1].max() < 10 and img[h - 2, w - 2].max() < 10, side  # lens corners
    mirror = engine.screenshot()  # the desktop window shows the left eye
    h, w, _ = mirror.shape
    assert mirror[h // 2, w // 2, 0] > 180 and mirror[2, 2].max() < 10


def test_the_eyes_sit_half_the_ipd_apart_and_follow_its_change(engine, running, headset):
    engine.step()
    left = running.rig.cameras["left"].getPos(running.head)
    right = running.rig.cameras["right"].getPos(running.head)
    assert right[0] - left[0] == pytest.approx(0.063, abs=1e-6)
    assert left[1] == pytest.approx(0.015, abs=1e-6)  # OpenVR's -z offset is forward here
    headset.ipd_m = 0.070
    engine.step()
    left = running.rig.cameras["left"].getPos(running.head)
    right = running.rig.cameras["right"].getPos(running.head)
    assert right[0] - left[0] == pytest.approx(0.070, abs=1e-6)


def test_invalid_head_poses_keep_the_last_valid_one(engine, running, headset):
    headset.head = pose_rows((0.2, 1.6, -0.5), yaw_deg=20)
    engine.step()
    before = LMatrix4(running.head.getMat())
    headset.head_valid = False
    headset.head = pose_rows((9, 9, 9))  # garbage a lost tracker might leave
    for _ in range(3):
        engine.step()
    assert running.invalid_head_frames == 3
    assert running.head.getMat().almostEqual(before, 1e-6)
    assert len(headset.submits) == 8  # frames go on: the compositor shows its own view
    headset.head_valid = True
    engine.step()
    assert np.allclose(running.head.getPos(), (9, -9, 9), atol=1e-5)  # OpenVR's z is back


def test_dashboard_takes_input_focus_and_gives_it_back(engine, running, headset):
    headset.controllers["right"] = pose_rows((0.2, 1.2, -0.3))
    engine.step()
    assert [r.source for r in running.pointer_rays()] == ["right"]
    headset.events.append(openvr.VREvent_DashboardActivated)
    engine.step()
    assert not running.has_focus and running.pointer_rays() == []
    headset.events.append(openvr.VREvent_DashboardDeactivated)
    engine.step()
    assert running.has_focus and len(running.pointer_rays()) == 1


def test_controllers_are_hands_in_world_coordinates(engine, running, headset):
    running.place_viewer((0, -2, 1.7), (0, 0, 1.7))
    headset.controllers["left"] = pose_rows((-0.2, 1.2, -0.3))
    engine.step()
    pose = running.hand_poses()["left"]
    assert np.allclose(pose.position, (-0.2, -2 + 0.3, 1.2), atol=1e-5)
    assert np.allclose(pose.forward, (0, 1, 0), atol=1e-6)
    assert "right" not in running.hand_poses()


def test_place_viewer_turn_teleport_and_recenter_keep_the_tracked_head(engine, running, headset):
    headset.head = pose_rows((0.3, 1.7, 0.4), yaw_deg=40)
    engine.step()
    running.place_viewer((1, -2, 1.5), (1, 0, 1.5))
    head = running.head_pose()
    assert np.allclose(head.position, (1, -2, 1.5), atol=1e-5)
    assert np.allclose(head.forward, (0, 1, 0), atol=1e-5)
    running.turn(30)
    head = running.head_pose()
    assert np.allclose(head.position, (1, -2, 1.5), atol=1e-5)
    assert np.degrees(np.arctan2(-head.forward[0], head.forward[1])) == pytest.approx(30, abs=1e-4)
    running.teleport_to((3, 1, 0))
    assert np.allclose(running.head_pose().position[:2], (3, 1), atol=1e-5)
    headset.head = pose_rows((-0.5, 1.7, 0.9), yaw_deg=-70)  # the user walked and turned
    engine.step()
    running.recenter()
    head = running.head_pose()
    assert np.allclose(head.position, (1, -2, 1.5), atol=1e-5)
    assert np.allclose(head.forward, (0, 1, 0), atol=1e-5)


def test_stop_shuts_openvr_down_once(engine, headset):
    runtime = SteamVRRuntime(SimulatedOpenVR(headset), eye_size=EYE)
    runtime.start(engine)
    engine.step()
    runtime.stop()
    runtime.stop()
    assert (headset.initialized, headset.shutdowns) == (1, 1)


def test_steamvr_that_cannot_start_is_one_error_and_shut_down(engine, headset):
    headset.fail_init = "VRInitError_Init_HmdNotFound"
    runtime = SteamVRRuntime(SimulatedOpenVR(headset), eye_size=EYE)
    with pytest.raises(SceneError) as caught:
        runtime.start(engine)
    assert "HmdNotFound" in str(caught.value) and "\n" not in str(caught.value)
    assert caught.value.zh and "SteamVR" in caught.value.zh
    assert headset.shutdowns == 1


def test_the_laser_picks_what_a_mouse_ray_along_the_same_line_picks(
    director_factory,
    synthetic_body,  # noqa: F811
):
    from sync.recorder import MemoryRecorder

    headset = SimulatedHeadset()
    runtime = SteamVRRuntime(SimulatedOpenVR(headset), eye_size=EYE)
    d = director_factory(runtime, size=(320, 240), recorder=MemoryRecorder())
    scene = d.switch("anatomy")
    scene.set_outer_opacity(0.0)
    scene.toggle_system("integumentary")
    d.settle()
    runtime.place_viewer((0.02, -1.0, 1.28), (0.02, 0, 1.28))
    # The right controller held 60 cm in front of the eyes, aimed straight ahead.
    headset.controllers["right"] = pose_rows((0.0, 1.7, -0.6))
    d.settle()
    laser = runtime.pointer_rays()[0]
    runtime.send_button(Button.SELECT, True, laser)
    runtime.send_button(Button.SELECT, False, laser)
    d.settle(1)
    by_laser = scene.selection.structure_id
    scene.select(None)
    mouse = PointerRay("mouse", laser.origin, laser.direction)
    runtime.send_button(Button.SELECT, True, mouse)
    runtime.send_button(Button.SELECT, False, mouse)
    d.settle(1)
    assert by_laser == "heart"
    assert scene.selection.structure_id == by_laser


# SteamVR Input ----------------------------------------------------------------------------------
ACTIONS_DIR = Path(__file__).resolve().parents[2] / "scenes" / "runtime" / "actions"


def _outputs(source: dict) -> set[str]:
    return {i["output"].removeprefix("/actions/medvr") for i in source["inputs"].values()}


def test_every_action_is_bound_for_index_vive_and_touch_controllers():
    manifest = json.loads((ACTIONS_DIR / "actions.json").read_text(encoding="utf-8"))
    declared = {a["name"]: a["type"] for a in manifest["actions"]}
    profiles = {b["controller_type"]: b["binding_url"] for b in manifest["default_bindings"]}
    assert set(profiles) == {"knuckles", "vive_controller", "oculus_touch"}
    for tag in ("en_US", "zh_CN"):
        (names,) = [n for n in manifest["localization"] if n["language_tag"] == tag]
        assert set(declared) <= set(names), tag
    for controller, url in profiles.items():
        bindings = json.loads((ACTIONS_DIR / url).read_text(encoding="utf-8"))
        assert bindings["controller_type"] == controller
        sets = bindings["bindings"]["/actions/medvr"]
        bound = {p["output"] for p in sets["poses"]} | {h["output"] for h in sets["haptics"]}
        for source in sets["sources"]:
            bound |= {i["output"] for i in source["inputs"].values()}
        assert bound == set(declared), controller
        for kind in ("poses", "haptics"):  # both hands
            assert {e["path"].split("/")[3] for e in sets[kind]} == {"left", "right"}
    # Touch controllers have no trackpad (panda3d-openvr #7): the joystick teleports and turns.
    touch = json.loads((ACTIONS_DIR / "bindings_oculus_touch.json").read_text(encoding="utf-8"))
    sources = touch["bindings"]["/actions/medvr"]["sources"]
    moving = [
        s for s in sources if "/in/teleport" in json.dumps(s) or "/in/turn_left" in json.dumps(s)
    ]
    assert moving and all(s["path"].endswith("/joystick") for s in moving)
    assert not any("trackpad" in s["path"] for s in sources)


def test_a_trigger_pull_is_a_select_with_that_hands_laser(engine, running, headset):
    from scenes.runtime.base import BUTTON_EVENT

    seen = []
    engine.base.accept(BUTTON_EVENT, seen.append)
    headset.controllers["right"] = pose_rows((0.2, 1.2, -0.3))
    headset.controllers["left"] = pose_rows((-0.2, 1.2, -0.3))
    engine.step()
    headset.press("select", "right")
    engine.step()
    headset.release("select", "right")
    engine.step()
    assert [(e.button, e.pressed, e.ray.source) for e in seen] == [
        (Button.SELECT, True, "right"),
        (Button.SELECT, False, "right"),
    ]
    assert np.allclose(seen[0].ray.origin, running.hand_poses()["right"].position)
    assert headset.haptics == [("right", 0.02, 160.0, pytest.approx(0.3))]  # taken
    engine.base.ignore(BUTTON_EVENT)


def test_the_thumbstick_turns_teleports_and_adjusts_a_held_tool(engine, running, headset):
    from scenes.runtime.base import BUTTON_EVENT

    seen = []
    engine.base.accept(BUTTON_EVENT, seen.append)
    headset.controllers["left"] = pose_rows((-0.2, 1.2, -0.3))
    engine.step()
    before = running.head_pose()
    for action in ("turn_left", "teleport"):
        headset.press(action, "left")
        engine.step()
        headset.release(action, "left")
        engine.step()
    running.set_navigation("handle")
    headset.press("teleport", "left")
    engine.step()
    pressed = [e.button for e in seen if e.pressed]
    assert pressed == [Button.TURN_LEFT, Button.TELEPORT, Button.ADJUST_UP]
    # The snap turn is the runtime's own: 30° to the left about the head, which stays put.
    after = running.head_pose()
    assert np.allclose(after.position, before.position, atol=1e-5)
    turned = np.degrees(np.arctan2(-after.forward[0], after.forward[1]))
    assert turned - np.degrees(np.arctan2(-before.forward[0], before.forward[1])) == (
        pytest.approx(30.0, abs=1e-3)
    )
    engine.base.ignore(BUTTON_EVENT)


def test_losing_focus_pauses_input_and_lets_held_buttons_go(engine, running, headset):
    from scenes.runtime.base import BUTTON_EVENT

    seen = []
    engine.base.accept(BUTTON_EVENT, seen.append)
    headset.controllers["right"] = pose_rows((0.2, 1.2, -0.3))
    engine.step()
    headset.press("grab", "right")
    engine.step()
    headset.events.append(openvr.VREvent_InputFocusCaptured)
    engine.step()
    headset.release("grab", "right")
    headset.press("select", "right")
    engine.step()
    running.haptic_pulse("right")
    assert [(e.button, e.pressed) for e in seen] == [(Button.GRAB, True), (Button.GRAB, False)]
    assert headset.haptics == []
    headset.events.append(openvr.VREvent_InputFocusReleased)
    headset.release("select", "right")
    engine.step()
    headset.press("select", "right")
    engine.step()
    assert (seen[-1].button, seen[-1].pressed) == (Button.SELECT, True)
    running.haptic_pulse("right", 0.05, 0.8)
    assert headset.haptics[-1] == ("right", 0.05, 160.0, pytest.approx(0.8))
    engine.base.ignore(BUTTON_EVENT)


def test_steamvr_quitting_ends_the_app_like_a_closed_window(engine, running, headset):
    ended = []
    engine.base.accept("window-closed", lambda: ended.append(True))
    headset.events.append(openvr.VREvent_Quit)
    engine.step()
    engine.step()
    assert ended == [True] and headset.quit_acknowledged and running.quit_requested
    engine.base.ignore("window-closed")


def test_a_scripted_headset_session_in_the_anatomy_lab(director_factory, tmp_path):
    """Look around, point at the heart, pull the trigger, open the dashboard: stereo
    stills of each step, through the SteamVR runtime on the simulated headset."""
    from scenes.engine import save_png
    from scenes.runtime.sim_hmd import SimulatedHmdRuntime

    runtime = SimulatedHmdRuntime(eye_size=(160, 176))
    d = director_factory(runtime, size=(320, 176))
    scene = d.switch("anatomy")
    d.settle()
    stills = {}

    def still(name):
        d.settle()
        stills[name] = runtime.capture()
        save_png(stills[name], tmp_path / f"{name}.png")

    still("ahead")
    runtime.set_head((0, 0, runtime.STANDING_EYE_HEIGHT), yaw_deg=60)
    still("look-left")
    runtime.set_head((0, 0, runtime.STANDING_EYE_HEIGHT))
    heart = scene.body.meshes["heart"].centroid
    eye = runtime.head_pose().position
    runtime.scripted.aim("right", eye + (0.15, 0.1, -0.3), heart)
    still("point-at-heart")
    runtime.scripted.press(Button.SELECT, "right")
    still("trigger")
    selected = scene.selection.structure_id
    runtime.headset.events.append(openvr.VREvent_DashboardActivated)
    still("dashboard")
    assert not runtime.has_focus and runtime.pointer_rays() == []
    assert selected is not None  # the laser hit the body (the skin first, translucent)
    # Turning the head 60° takes the body out of the middle of each eye (the panels are
    # the scene's own and stay).
    middle = (slice(60, 120), slice(70, 90))
    moved = stills["ahead"][middle].astype(int) - stills["look-left"][middle].astype(int)
    assert np.abs(moved).mean() > 8
    assert len(list(tmp_path.glob("*.png"))) == 5
    assert runtime.headset.submits  # every frame went to the compositor


def test_each_controller_shows_its_laser_until_the_dashboard_takes_the_input(
    engine, running, headset
):
    def cyan_pixels() -> int:
        img = running.eye_images()["right"].astype(int)
        return int(((img[..., 2] > 150) & (img[..., 1] > 120) & (img[..., 0] < 150)).sum())

    engine.step()
    assert cyan_pixels() == 0
    # The right hand below the eyes, aimed ahead and a little up: its beam crosses the view.
    headset.controllers["right"] = pose_rows((0.05, 1.5, -0.2), pitch_deg=10)
    engine.step()
    engine.step()
    assert cyan_pixels() > 20
    headset.events.append(openvr.VREvent_DashboardActivated)
    engine.step()
    engine.step()
    assert cyan_pixels() == 0
