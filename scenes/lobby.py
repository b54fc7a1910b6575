"""The lobby: one stand per training module, chosen by pointing and selecting.

Modules whose scene is not built yet stay on show, marked as coming, so a visitor sees
the whole product; selecting one says so instead of doing nothing.
"""

from __future__ import annotations

import math

import numpy as np
import trimesh
from panda3d.core import NodePath

from scenes.base import Scene, View
from scenes.meshes import mesh_node
from scenes.picking import BoxPicker
from scenes.registry import MODULES, Module, register
from scenes.runtime.base import Button, ButtonEvent
from sync.events import ModuleRequested, ObjectSelected

STAND_RADIUS = 3.4
STAND_CENTRE = np.array([0.0, 1.2, 0.0])
STAND_ANGLES_DEG = (-45.0, -15.0, 15.0, 45.0)
EMBLEM_HEIGHT = 1.35
NOTICE_SECONDS = 4.0


def stand_position(index: int) -> np.ndarray:
    a = math.radians(STAND_ANGLES_DEG[index])
    return STAND_CENTRE + np.array([math.sin(a), -math.cos(a) + 1.0, 0.0]) * STAND_RADIUS


def _stand_views() -> dict[str, View]:
    views = {"overview": View((0.0, -3.4, 1.7), (0.0, 2.4, 1.15), "lobby.view.overview")}
    for i, module in enumerate(MODULES):
        p = stand_position(i)
        toward_viewer = np.array([0.0, -3.4, 0.0]) - p
        toward_viewer[2] = 0.0
        toward_viewer /= np.linalg.norm(toward_viewer)
        eye = p + toward_viewer * 1.5 + np.array([0, 0, 1.55])
        views[module.module_id] = View(
            tuple(eye), (p[0], p[1], EMBLEM_HEIGHT + 0.05), module.title_key
        )
    return views


def _emblem(module_id: str) -> trimesh.Trimesh:
    """A small sculpture that says what the module is, centred on the origin."""
    parts: list[trimesh.Trimesh] = []
    if module_id == "anatomy":
        parts.append(trimesh.creation.icosphere(2, radius=0.09).apply_translation([0, 0, 0.27]))
        parts.append(trimesh.creation.capsule(0.22, 0.1).apply_translation([0, 0, 0.02]))
        for x in (-0.14, 0.14):
            arm = trimesh.creation.capsule(0.2, 0.035).apply_translation([x, 0, 0.0])
            parts.append(arm)
            leg = trimesh.creation.capsule(0.26, 0.045).apply_translation([x * 0.45, 0, -0.3])
            parts.append(leg)
    elif module_id == "acupuncture":
        parts.append(trimesh.creation.capsule(0.42, 0.09).apply_translation([0, 0, -0.05]))
        for z in np.linspace(-0.25, 0.15, 5):
            dot = trimesh.creation.icosphere(1, radius=0.022)
            parts.append(dot.apply_translation([0.0, -0.095, z]))
        needle = trimesh.creation.cylinder(radius=0.006, height=0.42)
        needle.apply_transform(trimesh.transformations.rotation_matrix(0.9, [1, 0, 0]))
        parts.append(needle.apply_translation([0.0, -0.2, 0.1]))
        parts.append(trimesh.creation.cylinder(0.018, 0.08).apply_translation([0, -0.36, 0.27]))
    elif module_id == "exhibits":
        for x, yaw in ((-0.2, 0.5), (0.0, 0.0), (0.2, -0.5)):
            panel = trimesh.creation.box([0.17, 0.02, 0.4])
            panel.apply_transform(trimesh.transformations.rotation_matrix(yaw, [0, 0, 1]))
            parts.append(panel.apply_translation([x, abs(x) * 0.5, 0.0]))
    else:
        parts.append(trimesh.creation.cylinder(0.2, 0.04).apply_translation([0, 0, -0.05]))
        for k in range(6):
            a = k * math.pi / 3
            seat = trimesh.creation.box([0.07, 0.07, 0.12])
            parts.append(seat.apply_translation([0.3 * math.cos(a), 0.3 * math.sin(a), -0.12]))
        parts.append(trimesh.creation.box([0.3, 0.02, 0.18]).apply_translation([0, 0.0, 0.2]))
    return trimesh.util.concatenate(parts)


@register
class LobbyScene(Scene):
    scene_id = "lobby"
    title_key = "lobby.title"
    views = _stand_views()
    default_view = "overview"
    navigation = "walk"
    background = (0.10, 0.12, 0.16, 1)

    def build(self) -> None:
        root = self.root
        floor = trimesh.creation.cylinder(radius=7.0, height=0.04, sections=64)
        mesh_node_path = root.attachNewNode(mesh_node("floor", floor, (0.36, 0.38, 0.42, 1)))
        mesh_node_path.setZ(-0.02)
        wall = trimesh.creation.box([12.0, 0.2, 4.0])
        back = root.attachNewNode(mesh_node("wall", wall, (0.55, 0.58, 0.62, 1), smooth=False))
        back.setPos(0, 5.6, 2.0)

        labels = self.ctx.labels
        title = labels.make(
            root, self.text("lobby.title"), name="title", height=0.32, facing_viewer=False
        )
        title.setPos(0, 5.45, 3.45)
        hint = labels.make(
            root, self.text("lobby.hint"), name="hint", height=0.14, facing_viewer=False
        )
        hint.setPos(0, 5.45, 3.05)

        self.picker = BoxPicker()
        self.stands: dict[str, NodePath] = {}
        self.modules: dict[str, Module] = {}
        for i, module in enumerate(MODULES):
            self._build_stand(i, module)
        self.notice: NodePath | None = None
        self.hovered: str | None = None

    def _build_stand(self, index: int, module: Module) -> None:
        p = stand_position(index)
        stand = self.root.attachNewNode(f"stand-{module.module_id}")
        stand.setPos(*p)
        stand.lookAt(self.root, 0, -3.4, 0)
        stand.setH(stand.getH() + 180)  # lookAt turns +Y to the viewer; stands face with -Y
        pedestal = trimesh.creation.box([0.8, 0.6, 0.95]).apply_translation([0, 0, 0.475])
        stand.attachNewNode(mesh_node("pedestal", pedestal, (0.82, 0.83, 0.86, 1), smooth=False))
        band = trimesh.creation.box([0.82, 0.62, 0.08]).apply_translation([0, 0, 0.9])
        stand.attachNewNode(mesh_node("band", band, (*module.accent, 1), smooth=False))
        emblem = stand.attachNewNode(
            mesh_node("emblem", _emblem(module.module_id), (*module.accent, 1))
        )
        emblem.setZ(EMBLEM_HEIGHT)

        labels = self.ctx.labels
        name = labels.make(stand, self.text(module.title_key), name="name", height=0.11)
        name.setPos(0, 0, 2.2)
        blurb = labels.make(
            stand, self.text(module.blurb_key), name="blurb", height=0.045, wordwrap=15
        )
        blurb.setPos(0, 0, 2.02)
        status_key = "lobby.open" if module.available else "lobby.coming"
        badge_card = (0.15, 0.45, 0.25, 0.9) if module.available else (0.55, 0.38, 0.08, 0.9)
        badge = labels.make(
            stand,
            self.text(status_key),
            name="status",
            height=0.07,
            card=badge_card,
            facing_viewer=False,
        )
        badge.setPos(0, -0.31, 0.62)

        low, high = stand.getTightBounds(self.ctx.render)
        self.picker.add(module.module_id, tuple(low), tuple(high))
        self.stands[module.module_id] = stand
        self.modules[module.module_id] = module

    def tour(self) -> list[tuple[str, str, str | None]]:
        """Each view, then choosing a module (the action is its id)."""
        steps = [(name, name, None) for name in self.views]
        steps.append(("select-anatomy", "anatomy", "anatomy"))
        return steps

    def pick(self, origin, direction) -> str | None:
        hit = self.picker.pick(origin, direction)
        return hit[0] if hit else None

    def frame(self, dt: float) -> None:
        hovered = None
        for ray in self.ctx.runtime.pointer_rays():
            hovered = self.pick(ray.origin, ray.direction)
            if hovered:
                break
        if hovered != self.hovered:
            if self.hovered:
                self.ctx.shading.set_highlight(self.stands[self.hovered], False)
            if hovered:
                self.ctx.shading.set_highlight(self.stands[hovered], True)
            self.hovered = hovered

    def on_button(self, event: ButtonEvent) -> None:
        if event.button is not Button.SELECT or not event.pressed or event.ray is None:
            return
        module_id = self.pick(event.ray.origin, event.ray.direction)
        if module_id is not None:
            self.choose(module_id, via="mouse" if event.ray.source == "mouse" else "controller")

    def perform(self, action: str) -> None:
        self.choose(action, via="script")

    def choose(self, module_id: str, via: str = "script") -> None:
        module = self.modules[module_id]
        recorder = self.ctx.recorder
        recorder.record(ObjectSelected(scene_id=self.scene_id, object_id=module_id, via=via))
        recorder.record(ModuleRequested(module_id=module_id, available=module.available))
        if module.available:
            self.ctx.switch_to(module.scene_id)
            return
        # Re-entering Notice from Notice replaces the message (FSM re-runs exit/enter).
        self.request("Notice", module_id)

    # modes -------------------------------------------------------------------------------
    def enterNotice(self, module_id: str) -> None:
        """A coming module was chosen: say so beside its stand for a few seconds."""
        module = self.modules[module_id]
        text = self.text("lobby.not_ready", module=self.text(module.title_key))
        self.notice = self.ctx.labels.make(
            self.stands[module_id], text, name="notice", height=0.065, card=(0.5, 0.12, 0.1, 0.92)
        )
        self.notice.setPos(0, -0.45, 1.05)
        self.doMethodLater(NOTICE_SECONDS, self._notice_timeout, f"{self.scene_id}-notice")

    def _notice_timeout(self, task):
        self.request("Browse")
        return task.done

    def exitNotice(self) -> None:
        self.removeTask(f"{self.scene_id}-notice")
        self.notice.removeNode()
        self.notice = None
