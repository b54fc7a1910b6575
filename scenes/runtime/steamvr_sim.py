"""A stand-in for the part of the ``openvr`` module the SteamVR runtime calls, for machines
without a headset (CI, tests, benches).

It answers with the real module's ctypes types (``openvr.HmdMatrix34_t``,
``TrackedDevicePose_t``, ``Texture_t``, ``HiddenAreaMesh_t``, ``VREvent_t``…) and with
numbers a real headset gives: per-eye raw tangents of a wide-field headset, eye-to-head
transforms of half the IPD plus a small forward offset, projection matrices composed from
the tangents as the OpenVR samples compose them, and a hidden-area mesh over the lens
corners. Head and controller poses are set by a script in OpenVR's own frame (Y up, −Z
forward); frames can be marked invalid (dashboard open, tracking lost); every
``submit`` is recorded. The runtime that drives it is the one that drives SteamVR.
"""

from __future__ import annotations

import ctypes
import json
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openvr as _real

# Raw tangents (left, right, top, bottom) as OpenVR reports them: top is negative (the
# y-down convention of getProjectionRaw); the nose side of each eye is the narrower one.
DEFAULT_TANGENTS = {
    _real.Eye_Left: (-1.39, 1.25, -1.47, 1.47),
    _real.Eye_Right: (-1.25, 1.39, -1.47, 1.47),
}
EYE_FORWARD_OFFSET_M = 0.015  # eyes sit a little in front of the head's tracked origin


class SimulatedError(RuntimeError):
    """What the stand-in raises where the real module raises its OpenVR errors."""


def compose_projection(tangents, near: float, far: float) -> np.ndarray:
    """A GL projection (column vectors, clip z in −w..w) from raw tangents, as the OpenVR
    samples build theirs (``ComposeProjection``)."""
    left, right, top, bottom = tangents
    p = np.zeros((4, 4))
    p[0, 0] = 2 / (right - left)
    p[0, 2] = (right + left) / (right - left)
    p[1, 1] = 2 / (bottom - top)
    p[1, 2] = (bottom + top) / (bottom - top)
    p[2, 2] = -(far + near) / (far - near)
    p[2, 3] = -2 * far * near / (far - near)
    p[3, 2] = -1
    return p


def matrix34(rows: np.ndarray) -> _real.HmdMatrix34_t:
    m = _real.HmdMatrix34_t()
    for i in range(3):
        for j in range(4):
            m.m[i][j] = float(rows[i][j])
    return m


def pose_rows(position, yaw_deg: float = 0.0, pitch_deg: float = 0.0) -> np.ndarray:
    """A 3×4 device-to-tracking matrix in OpenVR's frame: ``position`` (x right, y up,
    z back), turned ``yaw_deg`` to the left about +Y, then pitched up ``pitch_deg``."""
    yaw, pitch = np.radians(yaw_deg), np.radians(pitch_deg)
    ry = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    rx = np.array(
        [[1, 0, 0], [0, np.cos(pitch), -np.sin(pitch)], [0, np.sin(pitch), np.cos(pitch)]]
    )
    rows = np.zeros((3, 4))
    rows[:, :3] = ry @ rx
    rows[:, 3] = position
    return rows


@dataclass
class Submit:
    frame: int
    eye: int
    handle: int
    texture_type: int
    color_space: int


@dataclass
class SimulatedHeadset:
    """The state a script sets and the runtime reads back through the API."""

    recommended_size: tuple[int, int] = (1440, 1600)
    ipd_m: float = 0.063
    tangents: dict = field(default_factory=lambda: dict(DEFAULT_TANGENTS))
    head: np.ndarray = field(default_factory=lambda: pose_rows((0.0, 1.7, 0.0)))
    head_valid: bool = True
    controllers: dict = field(default_factory=dict)  # role ("left"/"right") → 3×4 rows
    events: list = field(default_factory=list)  # event types waiting for pollNextEvent
    # The last submits (a simulated session may run for hours): 300 frames of two eyes.
    submits: deque = field(default_factory=lambda: deque(maxlen=600))
    frames: int = 0  # waitGetPoses calls
    tracking_space: int | None = None
    initialized: int = 0
    shutdowns: int = 0
    fail_init: str | None = None  # an init error to raise, e.g. "no headset"
    buttons: dict = field(default_factory=dict)  # ("select", "right") → held
    haptics: list = field(default_factory=list)  # (hand, seconds, frequency, amplitude)
    manifest: dict | None = None  # the action manifest the app gave SteamVR Input
    quit_acknowledged: bool = False

    def press(self, action: str, hand: str) -> None:
        """Hold a boolean action ("select", "grab", "teleport"…) on a hand."""
        self.buttons[(action, hand)] = True

    def release(self, action: str, hand: str) -> None:
        self.buttons[(action, hand)] = False


_CONTROLLER_INDEX = {"left": 1, "right": 2}


class _System:
    def __init__(self, headset: SimulatedHeadset):
        self.h = headset

    def getRecommendedRenderTargetSize(self):
        return self.h.recommended_size

    def getProjectionRaw(self, eye):
        return self.h.tangents[eye]

    def getProjectionMatrix(self, eye, nearZ, farZ):
        p = compose_projection(self.h.tangents[eye], nearZ, farZ)
        m = _real.HmdMatrix44_t()
        for i in range(4):
            for j in range(4):
                m.m[i][j] = float(p[i][j])
        return m

    def getEyeToHeadTransform(self, eye):
        side = -1.0 if eye == _real.Eye_Left else 1.0
        rows = np.zeros((3, 4))
        rows[:, :3] = np.eye(3)
        rows[:, 3] = (side * self.h.ipd_m / 2, 0.0, -EYE_FORWARD_OFFSET_M)
        return matrix34(rows)

    def getHiddenAreaMesh(self, eye, type_=0):
        """Triangles over the four corners of the eye's viewport (0..1, y down)."""
        corners = [((0, 0), (0.22, 0), (0, 0.2)), ((1, 0), (0.78, 0), (1, 0.2)),
                   ((0, 1), (0.22, 1), (0, 0.8)), ((1, 1), (0.78, 1), (1, 0.8))]  # fmt: skip
        if eye == _real.Eye_Right:  # mirror the nose side, as real meshes differ per eye
            corners = [tuple((1 - u, v) for u, v in tri) for tri in corners]
        flat = [vertex for tri in corners for vertex in tri]
        array = (_real.HmdVector2_t * len(flat))()
        for i, (u, v) in enumerate(flat):
            array[i].v[0], array[i].v[1] = u, v
        self._keep = array  # the mesh's memory lives as long as the system, as in OpenVR
        mesh = _real.HiddenAreaMesh_t()
        mesh.pVertexData = ctypes.cast(array, ctypes.POINTER(_real.HmdVector2_t))
        mesh.unTriangleCount = len(corners)
        return mesh

    def getTrackedDeviceClass(self, index):
        if index == _real.k_unTrackedDeviceIndex_Hmd:
            return _real.TrackedDeviceClass_HMD
        if index in _CONTROLLER_INDEX.values():
            return _real.TrackedDeviceClass_Controller
        return _real.TrackedDeviceClass_Invalid

    def getControllerRoleForTrackedDeviceIndex(self, index):
        return {
            1: _real.TrackedControllerRole_LeftHand,
            2: _real.TrackedControllerRole_RightHand,
        }.get(index, _real.TrackedControllerRole_Invalid)

    def pollNextEvent(self, event):
        if not self.h.events:
            return False
        event.eventType = self.h.events.pop(0)
        return True

    def getStringTrackedDeviceProperty(self, index, prop):
        if index == _real.k_unTrackedDeviceIndex_Hmd and prop == _real.Prop_ModelNumber_String:
            return "MedVR simulated headset"
        return ""

    def acknowledgeQuit_Exiting(self):
        self.h.quit_acknowledged = True

    def isInputAvailable(self):
        return True


class _Compositor:
    def __init__(self, headset: SimulatedHeadset):
        self.h = headset

    def setTrackingSpace(self, origin):
        self.h.tracking_space = origin

    def waitGetPoses(self, renderPoseArray, gamePoseArray):
        self.h.frames += 1
        for pose in renderPoseArray:
            pose.bPoseIsValid = False
            pose.bDeviceIsConnected = False
        hmd = renderPoseArray[_real.k_unTrackedDeviceIndex_Hmd]
        hmd.bDeviceIsConnected = True
        hmd.bPoseIsValid = self.h.head_valid
        hmd.eTrackingResult = (
            _real.TrackingResult_Running_OK
            if self.h.head_valid
            else _real.TrackingResult_Running_OutOfRange
        )
        if self.h.head_valid:
            hmd.mDeviceToAbsoluteTracking = matrix34(self.h.head)
        for role, rows in self.h.controllers.items():
            pose = renderPoseArray[_CONTROLLER_INDEX[role]]
            pose.bDeviceIsConnected = True
            pose.bPoseIsValid = True
            pose.mDeviceToAbsoluteTracking = matrix34(rows)

    def submit(self, eye, texture, bounds=None, submitFlags=_real.Submit_Default):
        self.h.submits.append(
            Submit(self.h.frames, int(eye), int(texture.handle or 0), int(texture.eType),
                   int(texture.eColorSpace))
        )  # fmt: skip


class _Input:
    """SteamVR Input: handles by name, action states per hand, the pointer pose."""

    def __init__(self, headset: SimulatedHeadset):
        self.h = headset
        self._handles: dict[str, int] = {}
        self._names: dict[int, str] = {}
        self._now: dict = {}
        self._before: dict = {}

    def _handle(self, name: str) -> int:
        handle = self._handles.setdefault(name, len(self._handles) + 1)
        self._names[handle] = name
        return handle

    def _name(self, handle: int) -> str:
        return self._names[handle]

    def setActionManifestPath(self, actionManifestPath):
        self.h.manifest = json.loads(Path(actionManifestPath).read_text(encoding="utf-8"))

    def getActionSetHandle(self, actionSetName):
        return self._handle(actionSetName)

    def getActionHandle(self, actionName):
        declared = {a["name"] for a in (self.h.manifest or {}).get("actions", [])}
        if actionName not in declared:
            raise SimulatedError(f"VRInputError_NameNotFound: {actionName}")
        return self._handle(actionName)

    def getInputSourceHandle(self, inputSourcePath):
        return self._handle(inputSourcePath)

    def updateActionState(self, sets):
        self._before, self._now = self._now, dict(self.h.buttons)
        return sets

    def getDigitalActionData(self, action, restrictToDevice):
        name = self._name(action).rsplit("/", 1)[1]
        hand = self._name(restrictToDevice).rsplit("/", 1)[1]
        data = _real.InputDigitalActionData_t()
        data.bActive = hand in self.h.controllers
        data.bState = self._now.get((name, hand), False)
        data.bChanged = data.bState != self._before.get((name, hand), False)
        return data

    def getPoseActionDataForNextFrame(self, action, origin, restrictToDevice):
        hand = self._name(restrictToDevice).rsplit("/", 1)[1]
        data = _real.InputPoseActionData_t()
        rows = self.h.controllers.get(hand)
        data.bActive = rows is not None
        if rows is not None:
            data.pose.bPoseIsValid = True
            data.pose.bDeviceIsConnected = True
            data.pose.mDeviceToAbsoluteTracking = matrix34(rows)
        return data

    def triggerHapticVibrationAction(
        self, action, startSecondsFromNow, durationSeconds, frequency, amplitude, restrictToDevice
    ):
        hand = self._name(restrictToDevice).rsplit("/", 1)[1]
        self.h.haptics.append((hand, durationSeconds, frequency, amplitude))


class SimulatedOpenVR:
    """Stands where ``import openvr`` stands: the runtime's constants and types are the
    real module's, its calls are answered from ``headset``."""

    def __init__(self, headset: SimulatedHeadset | None = None):
        self.headset = headset or SimulatedHeadset()
        self._system = _System(self.headset)
        self._compositor = _Compositor(self.headset)
        self._input = _Input(self.headset)

    def __getattr__(self, name: str):
        return getattr(_real, name)  # constants, types and error classes

    def init(self, applicationType, pStartupInfo=None):
        if self.headset.fail_init:
            raise SimulatedError(self.headset.fail_init)
        self.headset.initialized += 1
        return self._system

    def shutdown(self):
        self.headset.shutdowns += 1

    def VRSystem(self):
        return self._system

    def VRCompositor(self):
        return self._compositor

    def VRInput(self):
        return self._input
