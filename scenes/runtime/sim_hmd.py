"""A simulated head-mounted display: true stereo without a headset.

Two eye buffers with off-axis frusta from a configurable IPD and field of view, and a
head and two controllers whose poses are scripted (tours, tests, benches). The desktop
output, where there is one, mirrors both eyes side by side, like SteamVR's mirror.
"""

from __future__ import annotations

import math

import numpy as np
from panda3d.core import CardMaker, LMatrix4, NodePath, Point3, Vec3

from scenes.runtime.base import PointerRay, Runtime, _unit
from scenes.runtime.scripted import ScriptedDevices
from scenes.runtime.stereo import EyeFrustum, StereoRig

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


class SimulatedHmdRuntime(Runtime):
    name = "sim-vr"
    stereo = True
    STANDING_EYE_HEIGHT = 1.65

    def __init__(
        self, ipd_m: float = 0.063, fov_deg: float = 100.0, eye_size: tuple[int, int] = (640, 704)
    ):
        super().__init__()
        self.ipd_m = ipd_m
        self.fov_deg = fov_deg
        self.eye_size = eye_size
        self.scripted = ScriptedDevices()
        self.rig: StereoRig | None = None
        self.hands: dict[str, NodePath] = {}
        self._mirror: list[NodePath] = []

    def _build_views(self) -> None:
        base = self.engine.base
        self.rig = StereoRig(self.engine, self.head, self.eye_size)
        self.set_ipd(self.ipd_m)
        for side, x in (("left", -0.2), ("right", 0.2)):
            hand = self.tracking_space.attachNewNode(f"hand-{side}")
            hand.setPos(x, 0.25, self.STANDING_EYE_HEIGHT - 0.55)
            self.hands[side] = hand
        # The mono main camera would draw the scene a third time: the mirror replaces it.
        base.camNode.setActive(False)
        for i, side in enumerate(StereoRig.SIDES):
            cm = CardMaker(f"mirror-{side}")
            cm.setFrame(-1 + i, i, -1, 1)
            cm.setUvRange(self.rig.textures[side])  # skip power-of-two padding, if any
            card = base.render2d.attachNewNode(cm.generate())
            card.setTexture(self.rig.textures[side])
            self._mirror.append(card)

    def _release_views(self) -> None:
        for card in self._mirror:
            card.removeNode()
        self._mirror.clear()
        self.engine.base.camNode.setActive(True)
        self.rig.release()
        self.rig = None

    def set_background(self, rgba) -> None:
        super().set_background(rgba)
        self.rig.set_clear_color(rgba)

    def set_ipd(self, ipd_m: float) -> None:
        self.ipd_m = ipd_m
        frusta = eye_frusta(self.fov_deg, self.eye_size)
        self.rig.set_eye("left", np.array([-ipd_m / 2, 0, 0]), frusta["left"])
        self.rig.set_eye("right", np.array([ipd_m / 2, 0, 0]), frusta["right"])

    # scripting ---------------------------------------------------------------------------
    def set_head(self, position, yaw_deg: float = 0.0, pitch_deg: float = 0.0) -> None:
        """Head pose in tracking space, as a tracked headset reports it."""
        self.head.setPos(Point3(*position))
        self.head.setHpr(yaw_deg, pitch_deg, 0)

    def aim_hand(self, side: str, origin, target) -> None:
        """Controller pose in world coordinates, pointing from ``origin`` at ``target``."""
        hand = self.hands[side]
        hand.setPos(self.world, Point3(*origin))
        hand.lookAt(self.world, Point3(*target), Vec3(0, 0, 1))

    # interface ----------------------------------------------------------------------------
    def place_viewer(self, eye, target) -> None:
        """Stand so that a head at standing height lands at ``eye``, facing ``target``."""
        eye, target = np.asarray(eye, float), np.asarray(target, float)
        d = target - eye
        yaw = math.degrees(math.atan2(-d[0], d[1]))
        pitch = math.degrees(math.atan2(d[2], math.hypot(d[0], d[1])))
        self.tracking_space.setMat(LMatrix4.identMat())
        self.tracking_space.setPos(eye[0], eye[1], eye[2] - self.STANDING_EYE_HEIGHT)
        self.tracking_space.setH(yaw)
        self.set_head((0, 0, self.STANDING_EYE_HEIGHT), 0.0, pitch)

    def headset_name(self) -> str | None:
        return "simulated"

    def pointer_rays(self) -> list[PointerRay]:
        rays = []
        for side, hand in self.hands.items():
            m = hand.getMat(self.world)
            origin = np.array(m.getRow3(3), dtype=float)
            rays.append(PointerRay(side, origin, _unit(m.xformVec(Vec3(0, 1, 0)))))
        return rays

    def update(self, dt: float) -> None:
        for ray in self.scripted.rays.values():
            if ray.source in self.hands:
                self.aim_hand(ray.source, ray.origin, ray.origin + ray.direction)
        self.scripted.deliver(self)

    def capture(self) -> np.ndarray:
        return self.rig.side_by_side()

    def eye_images(self) -> dict[str, np.ndarray]:
        return self.rig.images()
