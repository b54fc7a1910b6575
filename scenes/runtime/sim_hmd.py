"""A simulated head-mounted display: true stereo without a headset, through the SteamVR
runtime's own code.

The runtime is ``SteamVRRuntime`` on the stand-in for the openvr API
(``scenes/runtime/steamvr_sim.py``): eye buffers sized and projected from what the
stand-in reports (the configured IPD and an asymmetric field of view, as real optics
have), poses read in ``waitGetPoses``, both eyes submitted every frame. What this class
adds is the script: the head and the two controllers are posed by a tour, a test or a
bench, in our frame, and scripted button presses are delivered with the pressing hand's
laser.
"""

from __future__ import annotations

import math

import numpy as np
from panda3d.core import LMatrix4, NodePath, Point3, Vec3

from scenes.runtime.scripted import ScriptedDevices
from scenes.runtime.steamvr import YUP_TO_ZUP, ZUP_TO_YUP, SteamVRRuntime
from scenes.runtime.steamvr_sim import SimulatedHeadset, SimulatedOpenVR, pose_rows
from scenes.runtime.stereo import EyeFrustum

# Inner half-angles are narrower than outer ones on real headsets (the nose side).
INNER_SHARE = 0.46


def eye_frusta(fov_deg: float, eye_size: tuple[int, int]) -> dict[str, EyeFrustum]:
    """Per-eye tangents for a horizontal field of view, asymmetric as in real optics."""
    span = 2 * math.tan(math.radians(fov_deg) / 2)
    inner, outer = span * INNER_SHARE, span * (1 - INNER_SHARE)
    half_v = span * eye_size[1] / eye_size[0] / 2
    return {
        "left": EyeFrustum(-outer, inner, -half_v, half_v),
        "right": EyeFrustum(-inner, outer, -half_v, half_v),
    }


def openvr_rows(m: LMatrix4) -> np.ndarray:
    """A transform of ours as OpenVR's 3×4 rows (Y up, column vectors)."""
    yup = YUP_TO_ZUP * m * ZUP_TO_YUP
    return np.array([[yup.getCell(j, i) for j in range(4)] for i in range(3)])


class SimulatedHmdRuntime(SteamVRRuntime):
    name = "sim-vr"
    STANDING_EYE_HEIGHT = 1.65
    MIRROR_EYES = ("left", "right")  # a window shows both eyes, as SteamVR's mirror can

    def __init__(
        self, ipd_m: float = 0.063, fov_deg: float = 100.0, eye_size: tuple[int, int] = (640, 704)
    ):
        frusta = eye_frusta(fov_deg, eye_size)
        self.headset = SimulatedHeadset(
            recommended_size=eye_size,
            ipd_m=ipd_m,
            # OpenVR's raw tangents have y down: its top is our -top.
            tangents={
                0: (
                    frusta["left"].left,
                    frusta["left"].right,
                    -frusta["left"].top,
                    -frusta["left"].bottom,
                ),
                1: (
                    frusta["right"].left,
                    frusta["right"].right,
                    -frusta["right"].top,
                    -frusta["right"].bottom,
                ),
            },  # fmt: skip
            head=pose_rows((0.0, self.STANDING_EYE_HEIGHT, 0.0)),
        )
        # Hands at rest: 20 cm to each side, 25 cm ahead, 55 cm below the eyes.
        for side, x in (("left", -0.2), ("right", 0.2)):
            self.headset.controllers[side] = pose_rows((x, self.STANDING_EYE_HEIGHT - 0.55, -0.25))
        super().__init__(SimulatedOpenVR(self.headset), eye_size=eye_size)
        self.ipd_m = ipd_m
        self.fov_deg = fov_deg
        self.eye_size = eye_size
        self.scripted = ScriptedDevices()

    def headset_name(self) -> str | None:
        return "simulated"

    def set_ipd(self, ipd_m: float) -> None:
        """The headset's IPD; the eyes follow at the next frame, as with a real one."""
        self.ipd_m = ipd_m
        self.headset.ipd_m = ipd_m
        if self.rig is not None:
            self._place_eyes()

    # scripting ---------------------------------------------------------------------------
    def set_head(self, position, yaw_deg: float = 0.0, pitch_deg: float = 0.0) -> None:
        """Head pose in tracking space, as a tracked headset reports it."""
        holder = NodePath("head-pose")
        holder.setPos(Point3(*position))
        holder.setHpr(yaw_deg, pitch_deg, 0)
        self.headset.head = openvr_rows(holder.getMat())
        self.head.setMat(holder.getMat())

    def aim_hand(self, side: str, origin, target) -> None:
        """Controller pose in world coordinates, pointing from ``origin`` at ``target``."""
        hand = self.hands[side]
        hand.setPos(self.world, Point3(*origin))
        hand.lookAt(self.world, Point3(*target), Vec3(0, 0, 1))
        self.headset.controllers[side] = openvr_rows(hand.getMat(self.tracking_space))
        self._valid[side] = True

    # interface ----------------------------------------------------------------------------
    def place_viewer(self, eye, target) -> None:
        """Stand so that the head lands at ``eye``, facing ``target`` and looking up or
        down at it (a scripted head may pitch; a real one is the user's)."""
        eye, target = np.asarray(eye, float), np.asarray(target, float)
        d = target - eye
        pitch = math.degrees(math.atan2(d[2], math.hypot(d[0], d[1])))
        self.set_head((0, 0, self.STANDING_EYE_HEIGHT), 0.0, pitch)
        super().place_viewer(eye, target)

    def update(self, dt: float) -> None:
        for ray in self.scripted.rays.values():
            if ray.source in self.hands:
                self.aim_hand(ray.source, ray.origin, ray.origin + ray.direction)
        super().update(dt)
        self.scripted.deliver(self)
