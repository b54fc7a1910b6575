"""The runtime interface scenes are written against.

A runtime owns the viewer: a node ladder ``tracking space → head → eye camera(s)`` under
the scene graph, where the input devices live and what is shown. Scenes only read the
head pose and pointer rays, react to button events sent as the Panda3D event
``BUTTON_EVENT``, and ask to place the viewer. Desktop, headless, simulated HMD and
OpenVR all fit it, so no scene knows which one runs.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
from panda3d.core import LMatrix4, NodePath, Point3, Vec3

BUTTON_EVENT = "medvr-button"
POSE_TASK_SORT = -1000  # before every app task, as a headset's pose wait must be


class Button(enum.StrEnum):
    SELECT = "select"
    GRAB = "grab"
    MENU = "menu"
    TELEPORT = "teleport"
    TURN_LEFT = "turn-left"
    TURN_RIGHT = "turn-right"
    ADJUST_UP = "adjust-up"  # a step up of the current tool (wheel, thumbstick up)
    ADJUST_DOWN = "adjust-down"


@dataclass(frozen=True)
class Pose:
    """A device pose in world coordinates (Z up, metres)."""

    position: np.ndarray  # (3,)
    forward: np.ndarray  # (3,) unit
    up: np.ndarray  # (3,) unit

    @classmethod
    def from_node(cls, node: NodePath, world: NodePath) -> Pose:
        m = node.getMat(world)
        return cls(
            position=np.array(m.getRow3(3), dtype=float),
            forward=_unit(m.xformVec(Vec3(0, 1, 0))),
            up=_unit(m.xformVec(Vec3(0, 0, 1))),
        )


@dataclass(frozen=True)
class PointerRay:
    """Where a pointer aims: the mouse through the cursor, or a controller's laser."""

    source: str  # "mouse", "left", "right", "gaze"
    origin: np.ndarray  # (3,)
    direction: np.ndarray  # (3,) unit


@dataclass(frozen=True)
class ButtonEvent:
    button: Button
    pressed: bool
    ray: PointerRay | None  # the pointer of the hand that pressed, if any


def _unit(v) -> np.ndarray:
    a = np.array([v[0], v[1], v[2]], dtype=float)
    n = np.linalg.norm(a)
    return a / n if n > 0 else a


def look_at_matrix(eye, target, up=(0.0, 0.0, 1.0)) -> LMatrix4:
    """World transform of a viewer at ``eye`` looking at ``target`` (Panda3D: +Y forward)."""
    holder = NodePath("look")
    holder.setPos(Point3(*eye))
    holder.lookAt(Point3(*target), Vec3(*up))
    return holder.getMat()


class Runtime(ABC):
    """What every runtime offers scenes; see the module docstring."""

    name: str = "runtime"
    stereo: bool = False

    def __init__(self) -> None:
        self.engine = None
        self.world: NodePath | None = None
        self.tracking_space: NodePath | None = None
        self.head: NodePath | None = None
        self.navigation = "orbit"

    # lifecycle -----------------------------------------------------------------------
    def start(self, engine) -> None:
        """Build the viewer ladder under ``engine.render`` and start the pose task."""
        self.engine = engine
        self.world = engine.render
        self.tracking_space = self.world.attachNewNode("tracking-space")
        self.head = self.tracking_space.attachNewNode("head")
        self._build_views()
        engine.base.taskMgr.add(self._pose_task, "medvr-runtime-poses", sort=POSE_TASK_SORT)

    def stop(self) -> None:
        if self.engine is None:
            return
        self.engine.base.taskMgr.remove("medvr-runtime-poses")
        self._release_views()
        self.tracking_space.removeNode()
        self.engine = None

    def _pose_task(self, task):
        self.update(self.engine.base.clock.getDt())
        return task.cont

    @abstractmethod
    def _build_views(self) -> None:
        """Cameras (and their buffers) under ``self.head``."""

    def _release_views(self) -> None:
        """Close what ``_build_views`` opened beyond nodes under the head."""
        return None

    # what scenes read ------------------------------------------------------------------
    def head_pose(self) -> Pose:
        return Pose.from_node(self.head, self.world)

    @abstractmethod
    def pointer_rays(self) -> list[PointerRay]:
        """Every pointer aiming now, mouse or controllers."""

    def headset_name(self) -> str | None:
        """The headset's model, for the session's records; None without one."""
        return None

    def hand_poses(self) -> dict[str, Pose]:
        """Tracked controllers ("left", "right") in world coordinates, valid this frame;
        none for a mouse."""
        return {}

    def haptic_pulse(self, side: str, seconds: float = 0.02, strength: float = 0.5) -> None:
        """A buzz in a controller's hand (on select, on a needling danger); nothing
        where there is no controller."""
        return None

    @abstractmethod
    def update(self, dt: float) -> None:
        """Per frame, before scene tasks: read devices, move the head, send button events."""

    # what scenes ask -------------------------------------------------------------------
    def place_viewer(self, eye, target) -> None:
        """Put the viewer's head at ``eye`` looking toward ``target``.

        A tracked headset keeps its own head motion: the tracking space is moved so that
        the head lands there, facing that way on the floor plane.
        """
        self.head.setMat(self.tracking_space, LMatrix4.identMat())
        self.tracking_space.setMat(look_at_matrix(eye, target))

    def recenter(self) -> None:
        """Make where the user stands and faces now the centre and front of the scene
        (the wrist menu's recentre); the OpenVR runtime adds seated height."""
        raise NotImplementedError

    def teleport_to(self, floor_point) -> None:
        """Move the tracking space so that the user stands at ``floor_point`` (world, on
        the floor), facing as before."""
        raise NotImplementedError

    def turn(self, degrees: float) -> None:
        """Snap turn: rotate the tracking space about the head's vertical axis."""
        raise NotImplementedError

    def set_background(self, rgba) -> None:
        """Clear colour of every output this runtime draws into."""
        self.engine.base.win.setClearColor(rgba)

    def set_navigation(self, kind: str, target=None) -> None:
        """``orbit`` around a model, ``walk`` through a hall (desktop keys, VR teleport), or
        ``handle`` a tool: the select button is pressed, dragged and released in the scene
        (a needle), and the wheel or thumbstick adjusts the tool instead of moving."""
        self.navigation = kind

    def send_button(self, button: Button, pressed: bool, ray: PointerRay | None) -> None:
        self.engine.base.messenger.send(BUTTON_EVENT, [ButtonEvent(button, pressed, ray)])

    @abstractmethod
    def capture(self) -> np.ndarray:
        """The frame just drawn as the user sees it (stereo: left and right side by side)."""
