"""Mono runtimes: the desktop window (mouse and keyboard) and headless offscreen."""

from __future__ import annotations

import math

import numpy as np
from direct.showbase.DirectObject import DirectObject
from panda3d.core import LMatrix4, PerspectiveLens, Point2, Point3

from scenes.runtime.base import Button, PointerRay, Runtime, look_at_matrix
from scenes.runtime.orbit import Orbit
from scenes.runtime.scripted import ScriptedDevices

DESKTOP_VFOV_DEG = 50.0


class _MonoRuntime(Runtime):
    def __init__(self) -> None:
        super().__init__()
        self.scripted = ScriptedDevices()

    def _build_views(self) -> None:
        base = self.engine.base
        lens = PerspectiveLens()
        w, h = self.engine.size
        lens.setFov(_hfov(DESKTOP_VFOV_DEG, w / h), DESKTOP_VFOV_DEG)
        lens.setNearFar(0.05, 200.0)
        base.camNode.setLens(lens)
        base.camera.reparentTo(self.head)
        base.camera.setMat(LMatrix4.identMat())
        self.camera = base.camera

    def _release_views(self) -> None:
        self.engine.base.camera.reparentTo(self.engine.render)

    def capture(self) -> np.ndarray:
        return self.engine.screenshot()

    def ray_through(self, x: float, y: float, source: str = "mouse") -> PointerRay:
        """The ray from the eye through film point (x, y), both in -1..1 (Panda3D's)."""
        near, far = Point3(), Point3()
        self.engine.base.camNode.getLens().extrude(Point2(x, y), near, far)
        world = self.engine.render
        o = world.getRelativePoint(self.camera, near)
        f = world.getRelativePoint(self.camera, far)
        d = np.array(f - o, dtype=float)
        return PointerRay(source, np.array(o, dtype=float), d / np.linalg.norm(d))


class HeadlessRuntime(_MonoRuntime):
    """Offscreen and scripted: the tour, stills, tests and benches."""

    name = "headless"

    def pointer_rays(self) -> list[PointerRay]:
        return list(self.scripted.rays.values())

    def update(self, dt: float) -> None:
        self.scripted.deliver(self)


class DesktopRuntime(_MonoRuntime):
    """A window: left-drag orbits, right-drag pans, the wheel zooms, a click selects;
    in walking scenes WASD (or the arrow keys) walk and the mouse turns. Handling a tool,
    the left button presses, drags and releases in the scene, right-drag orbits and the
    wheel adjusts the tool."""

    name = "desktop"
    WALK_SPEED = 1.4  # m/s, an unhurried walking pace
    CLICK_SLOP = 0.01  # film units the mouse may move and still count as a click

    def __init__(self) -> None:
        super().__init__()
        self.orbit = Orbit()
        self._drag: tuple[int, float, float] | None = None
        self._moved = 0.0
        self._keys: set[str] = set()

    def _build_views(self) -> None:
        super()._build_views()
        base = self.engine.base
        base.disableMouse()
        self._input = DirectObject()
        accept = self._input.accept
        accept("mouse1", self._press, [1])
        accept("mouse1-up", self._release, [1])
        accept("mouse3", self._press, [3])
        accept("mouse3-up", self._release, [3])
        accept("wheel_up", self._wheel, [1])
        accept("wheel_down", self._wheel, [-1])
        accept("escape", self.send_button, [Button.MENU, True, None])
        for key in ("w", "a", "s", "d", "arrow_up", "arrow_down", "arrow_left", "arrow_right"):
            accept(key, self._keys.add, [key])
            accept(f"{key}-up", self._keys.discard, [key])
        self._apply_orbit()

    def _release_views(self) -> None:
        self._input.ignoreAll()
        super()._release_views()

    def _mouse(self) -> tuple[float, float] | None:
        watcher = self.engine.base.mouseWatcherNode
        if watcher is None or not watcher.hasMouse():
            return None
        return watcher.getMouseX(), watcher.getMouseY()

    def _press(self, button: int) -> None:
        m = self._mouse()
        if m is not None:
            self._drag = (button, *m)
            self._moved = 0.0
            if button == 1 and self.navigation == "handle":
                self.send_button(Button.SELECT, True, self.ray_through(*m))

    def _release(self, button: int) -> None:
        m = self._mouse()
        if button == 1 and self.navigation == "handle":
            ray = self.ray_through(*m) if m else None
            self.send_button(Button.SELECT, False, ray)
            self._drag = None
            return
        if self._drag and self._drag[0] == button == 1 and self._moved < self.CLICK_SLOP and m:
            ray = self.ray_through(*m)
            self.send_button(Button.SELECT, True, ray)
            self.send_button(Button.SELECT, False, ray)
        self._drag = None

    def _wheel(self, direction: int) -> None:
        if self.navigation == "handle":
            step = Button.ADJUST_UP if direction > 0 else Button.ADJUST_DOWN
            self.send_button(step, True, None)
            self.send_button(step, False, None)
            return
        self.orbit.zoom(0.88 if direction > 0 else 1 / 0.88)
        self._apply_orbit()

    def pointer_rays(self) -> list[PointerRay]:
        m = self._mouse()
        rays = list(self.scripted.rays.values())
        return ([self.ray_through(*m)] if m else []) + rays

    def update(self, dt: float) -> None:
        m = self._mouse()
        if self._drag and m:
            button, x0, y0 = self._drag
            dx, dy = m[0] - x0, m[1] - y0
            self._moved += abs(dx) + abs(dy)
            if self.navigation == "handle" and button == 1:
                pass  # the scene drags its tool along the pointer ray
            elif button == 1 or self.navigation == "handle":
                self.orbit.rotate(-dx * 180.0, dy * 90.0)
            else:
                self.orbit.pan(dx, dy)
            self._drag = (button, *m)
            self._apply_orbit()
        if self.navigation == "walk" and self._keys:
            forward = ("w" in self._keys or "arrow_up" in self._keys) - (
                "s" in self._keys or "arrow_down" in self._keys
            )
            strafe = ("d" in self._keys) - ("a" in self._keys)
            turn = ("arrow_left" in self._keys) - ("arrow_right" in self._keys)
            self.orbit.walk(forward * self.WALK_SPEED * dt, strafe * self.WALK_SPEED * dt)
            self.orbit.rotate(turn * 90.0 * dt, 0.0)
            self._apply_orbit()
        self.scripted.deliver(self)

    def _apply_orbit(self) -> None:
        self.head.setMat(look_at_matrix(self.orbit.eye(), self.orbit.target))

    def place_viewer(self, eye, target) -> None:
        self.tracking_space.setMat(LMatrix4.identMat())
        self.orbit = Orbit.looking(eye, target)
        self._apply_orbit()


def _hfov(vfov_deg: float, aspect: float) -> float:
    return math.degrees(2 * math.atan(math.tan(math.radians(vfov_deg) / 2) * aspect))
