"""The SteamVR runtime: a headset through OpenVR (pyopenvr), behind the runtime interface.

Per frame, in this order:
1. the pose task (``POSE_TASK_SORT``, before every app task) blocks in
   ``IVRCompositor.waitGetPoses``, which paces the frame (the driver's v-sync is off);
   the head and controller poses it returns move ``head`` and the hand nodes; an invalid
   head pose (dashboard open, tracking lost) keeps the last valid one, so nothing that
   draws ever sees a broken matrix;
2. each eye's camera is placed from ``getEyeToHeadTransform`` (read every frame: the
   IPD wheel may turn) and its lens is ``getProjectionMatrix`` as a ``MatrixLens``,
   rebuilt when the eye transform changes;
3. Panda3D draws both eye buffers (the hidden-area mesh first, so covered pixels are
   never shaded), then the desktop mirror, which shows the left eye;
4. the submit task hands both eye textures, by their GL ids, to the compositor.

OpenVR's frame is Y up, right-handed, −Z forward; ours is Z up, +Y forward. Matrices
cross with ``LMatrix4.convert_mat`` on both sides, never hand-written axis swaps.

``vr`` is the ``openvr`` module, or the stand-in of ``scenes/runtime/steamvr_sim.py``
where there is no headset: the same code runs either way.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

import numpy as np
from panda3d.core import (
    BitMask32,
    CardMaker,
    CS_yup_right,
    CS_zup_right,
    DepthTestAttrib,
    DepthWriteAttrib,
    Geom,
    GeomNode,
    GeomTriangles,
    GeomVertexData,
    GeomVertexFormat,
    GeomVertexWriter,
    GraphicsOutput,
    LineSegs,
    LMatrix4,
    MatrixLens,
    NodePath,
    OmniBoundingVolume,
    Texture,
    TransparencyAttrib,
)

from scenes.errors import SceneError
from scenes.runtime.base import Button, PointerRay, Pose, Runtime, _unit
from scenes.runtime.stereo import StereoRig

log = logging.getLogger("medvr.scenes")

ACTIONS_MANIFEST = Path(__file__).with_name("actions") / "actions.json"
ACTION_SET = "/actions/medvr"
# Boolean actions and the buttons they press; "teleport" adjusts a tool held instead.
BUTTON_ACTIONS = {
    "select": Button.SELECT,
    "grab": Button.GRAB,
    "menu": Button.MENU,
    "teleport": Button.TELEPORT,
    "adjust_down": Button.ADJUST_DOWN,
    "turn_left": Button.TURN_LEFT,
    "turn_right": Button.TURN_RIGHT,
}
HAPTIC_FREQUENCY_HZ = 160.0
SELECT_PULSE_S, SELECT_PULSE_STRENGTH = 0.02, 0.3
SNAP_TURN_DEG = 30.0
QUIT_EVENT = "window-closed"  # what the app already ends on
SUBMIT_TASK_SORT = 60
LASER_LENGTH_M = 2.0
LASER_COLOUR = (0.35, 0.85, 1.0)  # after ShowBase's igLoop (50), which draws the frame
NEAR_M, FAR_M = 0.05, 200.0
# One camera-mask bit per eye: each eye's hidden-area mesh is seen by that eye only.
HIDDEN_AREA_MASK_BITS = {"left": BitMask32.bit(28), "right": BitMask32.bit(29)}

# Row-vector conversions between OpenVR's frame and ours.
YUP_TO_ZUP = LMatrix4.convert_mat(CS_yup_right, CS_zup_right)
ZUP_TO_YUP = LMatrix4.convert_mat(CS_zup_right, CS_yup_right)


def pose_matrix(m) -> LMatrix4:
    """An OpenVR 3×4 device-to-tracking matrix (column vectors, Y up) as a Panda3D
    transform in our frame (row vectors, Z up)."""
    yup = LMatrix4(
        m[0][0], m[1][0], m[2][0], 0,
        m[0][1], m[1][1], m[2][1], 0,
        m[0][2], m[1][2], m[2][2], 0,
        m[0][3], m[1][3], m[2][3], 1,
    )  # fmt: skip
    return ZUP_TO_YUP * yup * YUP_TO_ZUP


def projection_lens(m) -> MatrixLens:
    """A lens from OpenVR's 4×4 projection (column vectors, GL clip, Y-up view space):
    our view space is turned into OpenVR's, then projected."""
    gl = LMatrix4(*(m[j][i] for i in range(4) for j in range(4)))
    lens = MatrixLens()
    lens.set_user_mat(ZUP_TO_YUP * gl)
    lens.set_near_far(NEAR_M, FAR_M)
    return lens


def _laser_beam(side: str) -> GeomNode:
    """The pointer's beam: a thin line along the controller's +Y, bright at the hand and
    fading out at its length, drawn over the scene's colours but under its depth."""
    segs = LineSegs(f"laser-{side}")
    segs.setThickness(2.0)
    segs.setColor(*LASER_COLOUR, 1.0)
    segs.moveTo(0, 0, 0)
    segs.setColor(*LASER_COLOUR, 0.0)
    segs.drawTo(0, LASER_LENGTH_M, 0)
    node = segs.create()
    beam = NodePath(node)
    beam.setTransparency(TransparencyAttrib.M_alpha)
    beam.setLightOff(1)
    beam.setShaderOff(1)
    beam.setBin("fixed", 10)
    return node


class SteamVRRuntime(Runtime):
    """Both eyes from OpenVR's poses and projections, submitted to its compositor."""

    name = "vr"
    stereo = True
    SIDES = ("left", "right")
    MIRROR_EYES = ("left",)  # what the desktop window shows, side by side

    def __init__(
        self, vr=None, tracking: str = "standing", eye_size: tuple[int, int] | None = None
    ):
        super().__init__()
        self.vr = vr if vr is not None else importlib.import_module("openvr")
        self.tracking = tracking
        self.snap_turn_deg = SNAP_TURN_DEG
        self.eye_size_wanted = eye_size
        self.system = None
        self.compositor = None
        self.rig: StereoRig | None = None
        self.hands: dict[str, NodePath] = {}
        self._valid: dict[str, bool] = {}
        self._eye_to_head: dict[str, tuple] = {}
        self._poses = None
        self._mirror: NodePath | None = None
        self._masks: list = []
        self._handles: dict[str, int] = {}
        self.invalid_head_frames = 0
        self.has_focus = True
        self.quit_requested = False
        self._shut = False
        self._placed: tuple[np.ndarray, np.ndarray] | None = None
        self._tracked = False

    # lifecycle -----------------------------------------------------------------------------
    def _build_views(self) -> None:
        vr = self.vr
        try:
            self.system = vr.init(vr.VRApplication_Scene)
            self.compositor = vr.VRCompositor()
        except Exception as e:  # noqa: BLE001 - the module raises its own error classes
            self._shutdown()
            raise SceneError(f"SteamVR could not start ({e})", f"SteamVR 无法启动（{e}）") from None
        universe = (
            vr.TrackingUniverseSeated if self.tracking == "seated" else vr.TrackingUniverseStanding
        )
        self.compositor.setTrackingSpace(universe)
        self._universe = universe
        self._setup_input()
        size = self.eye_size_wanted or tuple(self.system.getRecommendedRenderTargetSize())
        self.rig = StereoRig(self.engine, self.head, size)
        self._poses = (vr.TrackedDevicePose_t * vr.k_unMaxTrackedDeviceCount)()
        for side in self.SIDES:
            self._add_hidden_area(side)
            hand = self.tracking_space.attachNewNode(f"hand-{side}")
            hand.hide()
            hand.attachNewNode(_laser_beam(side))
            self.hands[side] = hand
            self._valid[side] = False
        self._place_eyes()
        base = self.engine.base
        base.camNode.setActive(False)  # the mirror replaces the mono camera
        # The mirror samples copies of the eyes: drawing from the very texture the
        # compositor is handed raced its rendering on the software rasteriser.
        self._mirror = base.render2d.attachNewNode("mirror")
        share = 2 / len(self.MIRROR_EYES)
        for i, side in enumerate(self.MIRROR_EYES):
            copy = Texture(f"mirror-{side}")
            self.rig.buffers[side].addRenderTexture(copy, GraphicsOutput.RTMCopyTexture)
            cm = CardMaker(f"mirror-{side}")
            cm.setFrame(-1 + i * share, -1 + (i + 1) * share, -1, 1)
            cm.setUvRange(self.rig.textures[side])
            card = self._mirror.attachNewNode(cm.generate())
            card.setTexture(copy)
        base.taskMgr.add(self._submit_task, "medvr-openvr-submit", sort=SUBMIT_TASK_SORT)

    def _release_views(self) -> None:
        base = self.engine.base
        base.taskMgr.remove("medvr-openvr-submit")
        if self._mirror is not None:
            self._mirror.removeNode()
        base.camNode.setActive(True)
        for mask in self._masks:
            mask.removeNode()
        self._masks.clear()
        if self.rig is not None:
            self.rig.release()
            self.rig = None
        self._shutdown()

    def _shutdown(self) -> None:
        if not self._shut:
            self._shut = True
            try:
                self.vr.shutdown()
            except Exception:  # noqa: BLE001 - quitting must not fail
                log.exception("openvr.shutdown failed")

    # eyes ------------------------------------------------------------------------------------
    def _eye(self, side: str) -> int:
        return self.vr.Eye_Left if side == "left" else self.vr.Eye_Right

    def _place_eyes(self) -> None:
        """Eye cameras from the eye-to-head transforms; lenses rebuilt when those change."""
        for side in self.SIDES:
            m = self.system.getEyeToHeadTransform(self._eye(side))
            key = tuple(m[i][j] for i in range(3) for j in range(4))
            if self._eye_to_head.get(side) == key:
                continue
            self._eye_to_head[side] = key
            cam = self.rig.cameras[side]
            cam.setMat(pose_matrix(m))
            proj = self.system.getProjectionMatrix(self._eye(side), NEAR_M, FAR_M)
            cam.node().setLens(projection_lens(proj))

    def _add_hidden_area(self, side: str) -> None:
        """The lens's invisible corners as black triangles just past the eye's near plane,
        seen by that eye's camera only and drawn before anything else with depth written,
        so the scene's fragments there fail the depth test."""
        eye = self._eye(side)
        mesh = self.system.getHiddenAreaMesh(eye)
        count = int(mesh.unTriangleCount)
        if count == 0 or not mesh.pVertexData:
            return
        left, right, top, bottom = self.system.getProjectionRaw(eye)
        d = NEAR_M * 1.5
        vdata = GeomVertexData("hidden-area", GeomVertexFormat.get_v3(), Geom.UH_static)
        writer = GeomVertexWriter(vdata, "vertex")
        tris = GeomTriangles(Geom.UH_static)
        for i in range(count * 3):
            u, v = mesh.pVertexData[i].v[0], mesh.pVertexData[i].v[1]  # 0..1, y down
            # OpenVR's raw top and bottom are tangents with y down: up is -top.
            writer.add_data3(d * (left + u * (right - left)), d, -d * (top + v * (bottom - top)))
            tris.add_vertex(i)
        geom = Geom(vdata)
        geom.add_primitive(tris)
        node = GeomNode(f"hidden-area-{side}")
        node.add_geom(geom)
        bit = HIDDEN_AREA_MASK_BITS[side]
        camera = self.rig.cameras[side]
        other = HIDDEN_AREA_MASK_BITS["right" if side == "left" else "left"]
        camera.node().setCameraMask(camera.node().getCameraMask() & ~other)
        node.setBounds(OmniBoundingVolume())  # never culled: it is always in view
        node.setFinal(True)
        mask = camera.attachNewNode(node)
        mask.hide(BitMask32.allOn())
        mask.showThrough(bit)
        mask.setTwoSided(True)
        mask.setColor(0, 0, 0, 1)
        mask.setLightOff(1)
        mask.setShaderOff(1)
        mask.setBin("background", -100)
        mask.setAttrib(DepthTestAttrib.make(DepthTestAttrib.M_always))
        mask.setAttrib(DepthWriteAttrib.make(DepthWriteAttrib.M_on))
        self._masks.append(mask)

    # input -----------------------------------------------------------------------------------
    def _setup_input(self) -> None:
        """SteamVR Input: our action manifest (with default bindings for Index, Vive and
        Touch controllers), the action and hand handles."""
        vr = self.vr
        self.input = vr.VRInput()
        self.input.setActionManifestPath(str(ACTIONS_MANIFEST.resolve()))
        self._action_set = self.input.getActionSetHandle(ACTION_SET)
        self._actions = {
            name: self.input.getActionHandle(f"{ACTION_SET}/in/{name}") for name in BUTTON_ACTIONS
        }
        self._pointer = self.input.getActionHandle(f"{ACTION_SET}/in/pointer")
        self._haptic = self.input.getActionHandle(f"{ACTION_SET}/out/haptic")
        self._hand_sources = {
            side: self.input.getInputSourceHandle(f"/user/hand/{side}") for side in self.SIDES
        }
        self._active_sets = (vr.VRActiveActionSet_t * 1)()
        self._active_sets[0].ulActionSet = self._action_set
        self._active_sets[0].ulRestrictedToDevice = vr.k_ulInvalidInputValueHandle
        self._held: set[tuple[str, str]] = set()

    def _read_input(self) -> None:
        """Hand poses from the pointer action, then every boolean action that changed,
        per hand, as button events carrying that hand's laser. Nothing while another
        program (the dashboard) has the input focus."""
        self.input.updateActionState(self._active_sets)
        for side, source in self._hand_sources.items():
            data = self.input.getPoseActionDataForNextFrame(self._pointer, self._universe, source)
            valid = bool(data.bActive and data.pose.bPoseIsValid)
            if valid:
                self.hands[side].setMat(pose_matrix(data.pose.mDeviceToAbsoluteTracking))
                self.hands[side].show()
            self._valid[side] = valid
        if not self.has_focus:
            for hand in self.hands.values():
                hand.hide()  # no lasers while the dashboard has the input
            self._release_held()
            return
        for side, source in self._hand_sources.items():
            ray = self._ray(side)
            for name, action in self._actions.items():
                data = self.input.getDigitalActionData(action, source)
                if not (data.bActive and data.bChanged):
                    continue
                button = BUTTON_ACTIONS[name]
                if name == "teleport" and self.navigation == "handle":
                    button = Button.ADJUST_UP
                if data.bState:
                    self._held.add((name, side))
                    self._answer_press(button, side)
                else:
                    self._held.discard((name, side))
                self.send_button(button, bool(data.bState), ray)

    def _answer_press(self, button: Button, side: str) -> None:
        """What every scene gets from the runtime itself: snap turns (never smooth, the
        comfortable kind), and a short buzz that the trigger was taken."""
        if button == Button.TURN_LEFT:
            self.turn(self.snap_turn_deg)
        elif button == Button.TURN_RIGHT:
            self.turn(-self.snap_turn_deg)
        elif button == Button.SELECT:
            self.haptic_pulse(side, SELECT_PULSE_S, SELECT_PULSE_STRENGTH)

    def _release_held(self) -> None:
        """Focus lost while a button was down: let it go, so nothing stays pressed."""
        for name, side in sorted(self._held):
            button = BUTTON_ACTIONS[name]
            if name == "teleport" and self.navigation == "handle":
                button = Button.ADJUST_UP
            self.send_button(button, False, self._ray(side))
        self._held.clear()

    def haptic_pulse(self, side: str, seconds: float = 0.02, strength: float = 0.5) -> None:
        source = self._hand_sources.get(side)
        if source is None or not self.has_focus:
            return
        self.input.triggerHapticVibrationAction(
            self._haptic, 0.0, seconds, HAPTIC_FREQUENCY_HZ, strength, source
        )

    def _ray(self, side: str) -> PointerRay | None:
        if not self._valid.get(side):
            return None
        m = self.hands[side].getMat(self.world)
        origin = np.array(m.getRow3(3), dtype=float)
        return PointerRay(side, origin, _unit(m.xformVec((0, 1, 0))))

    # per frame ---------------------------------------------------------------------------------
    def update(self, dt: float) -> None:
        vr = self.vr
        self.compositor.waitGetPoses(self._poses, None)
        hmd = self._poses[vr.k_unTrackedDeviceIndex_Hmd]
        if hmd.bPoseIsValid:
            self.head.setMat(pose_matrix(hmd.mDeviceToAbsoluteTracking))
            if not self._tracked:  # a place asked for before the head was known
                self._tracked = True
                self.recenter()
        else:
            self.invalid_head_frames += 1  # keep the last valid pose
        self._place_eyes()
        self._poll_events()
        self._read_input()

    def _poll_events(self) -> None:
        vr = self.vr
        event = vr.VREvent_t()
        while self.system.pollNextEvent(event):
            kind = event.eventType
            if kind in (vr.VREvent_InputFocusCaptured, vr.VREvent_DashboardActivated):
                self.has_focus = False
            elif kind in (vr.VREvent_InputFocusReleased, vr.VREvent_DashboardDeactivated):
                self.has_focus = True
            elif kind == vr.VREvent_Quit and not self.quit_requested:
                # SteamVR is closing: say we are leaving, then end the app like a closed
                # window would; stop() then shuts OpenVR down.
                self.quit_requested = True
                try:
                    self.system.acknowledgeQuit_Exiting()
                except Exception:  # noqa: BLE001 - leaving anyway
                    log.exception("acknowledgeQuit_Exiting failed")
                self.engine.base.messenger.send(QUIT_EVENT)

    def _texture_handle(self, side: str) -> int:
        handle = self._handles.get(side)
        if handle is None:
            gsg = self.engine.base.win.getGsg()
            tex = self.rig.textures[side]
            handle = tex.prepareNow(0, gsg.getPreparedObjects(), gsg).getNativeId()
            if handle:
                self._handles[side] = handle
        return handle or 0

    def _submit_task(self, task):
        vr = self.vr
        for side in self.SIDES:
            texture = vr.Texture_t()
            texture.handle = self._texture_handle(side)
            texture.eType = vr.TextureType_OpenGL
            texture.eColorSpace = vr.ColorSpace_Gamma
            try:
                self.compositor.submit(self._eye(side), texture)
            except Exception as e:  # noqa: BLE001 - a dropped frame, not a crash
                log.warning("compositor refused the %s eye: %s", side, e)
        return task.cont

    # the viewer ----------------------------------------------------------------------------
    def place_viewer(self, eye, target) -> None:
        """Turn and move the tracking space so that the tracked head lands at ``eye``,
        facing ``target`` on the floor plane; the user's own head motion stays theirs."""
        eye, target = np.asarray(eye, float), np.asarray(target, float)
        self._placed = (eye, target)
        d = target - eye
        yaw = float(np.degrees(np.arctan2(-d[0], d[1])))
        head = self.head.getPos()
        head_yaw = self.head.getH()
        self.tracking_space.setMat(LMatrix4.identMat())
        self.tracking_space.setH(yaw - head_yaw)
        lands = self.tracking_space.getMat().xformPoint(head)
        self.tracking_space.setPos(eye[0] - lands[0], eye[1] - lands[1], eye[2] - head[2])

    def turn(self, degrees: float) -> None:
        """Rotate the tracking space about the head's vertical axis."""
        pivot = self.head.getPos(self.world)
        self.tracking_space.setH(self.tracking_space.getH() + degrees)
        moved = self.head.getPos(self.world)
        self.tracking_space.setPos(self.tracking_space.getPos() + (pivot - moved))

    def teleport_to(self, floor_point) -> None:
        """Stand at ``floor_point``, facing as before."""
        head = self.head.getPos(self.world)
        floor_z = self.tracking_space.getZ()
        shift = (floor_point[0] - head[0], floor_point[1] - head[1], floor_point[2] - floor_z)
        self.tracking_space.setPos(self.tracking_space.getPos() + shift)

    def recenter(self) -> None:
        """Where the user stands and faces now becomes the spot and the facing the scene
        last asked for."""
        if self._placed is not None:
            self.place_viewer(*self._placed)

    # what scenes read ------------------------------------------------------------------------
    def pointer_rays(self) -> list[PointerRay]:
        if not self.has_focus:
            return []
        return [ray for side in self.SIDES if (ray := self._ray(side)) is not None]

    def headset_name(self) -> str | None:
        try:
            return self.system.getStringTrackedDeviceProperty(
                self.vr.k_unTrackedDeviceIndex_Hmd, self.vr.Prop_ModelNumber_String
            )
        except Exception:  # noqa: BLE001 - a name is nice to have, never worth a failure
            return "SteamVR headset"

    def hand_poses(self) -> dict[str, Pose]:
        return {
            side: Pose.from_node(hand, self.world)
            for side, hand in self.hands.items()
            if self._valid.get(side)
        }

    def set_background(self, rgba) -> None:
        super().set_background(rgba)
        self.rig.set_clear_color(rgba)

    def capture(self) -> np.ndarray:
        return self.rig.side_by_side()

    def eye_images(self) -> dict[str, np.ndarray]:
        return self.rig.images()
