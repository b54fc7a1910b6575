"""The scene base class: enter/exit with its own node root, event scope and tasks, and
modes as ``direct.fsm.FSM`` states (``enterBrowse``/``exitBrowse`` on the scene)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from direct.fsm.FSM import FSM
from panda3d.core import NodePath

from scenes.i18n import Catalog
from scenes.labels import Labels
from scenes.runtime.base import BUTTON_EVENT, ButtonEvent, Runtime
from scenes.shading import Shading
from sync.events import SceneEntered, SceneLeft
from sync.recorder import Recorder


@dataclass(frozen=True)
class View:
    """A named viewpoint: where the viewer stands and what they look at (world, metres)."""

    eye: tuple[float, float, float]
    target: tuple[float, float, float]
    title_key: str | None = None


@dataclass
class SceneContext:
    """Everything a scene may use, handed in: no scene reads Panda3D's builtins."""

    engine: object  # scenes.engine.Engine
    runtime: Runtime
    recorder: Recorder
    strings: Catalog
    lang: str
    shading: Shading
    labels: Labels
    switch_to: Callable[[str], None]  # ask the director for another scene
    data_dir: Path | None = None  # the user's data folder (their imports, their progress)
    cache_dir: Path | None = None  # rebuildable files (built geometry); None: no cache

    @property
    def render(self) -> NodePath:
        return self.engine.render

    @property
    def task_mgr(self):
        return self.engine.base.taskMgr


class Scene(FSM):
    """One module's 3D world. Subclasses set ``scene_id``, ``views`` and build in ``build``."""

    scene_id: ClassVar[str] = ""
    title_key: ClassVar[str] = ""
    views: ClassVar[dict[str, View]] = {}
    default_view: ClassVar[str] = ""
    initial_mode: ClassVar[str] = "Browse"
    navigation: ClassVar[str] = "orbit"  # or "walk"
    background: ClassVar[tuple[float, float, float, float]] = (0.08, 0.09, 0.11, 1)

    def __init__(self, ctx: SceneContext):
        FSM.__init__(self, f"scene-{self.scene_id}")
        self.ctx = ctx
        self.root: NodePath | None = None
        self._entered_at = 0.0

    # lifecycle -----------------------------------------------------------------------------
    def enter(self) -> None:
        self.root = self.ctx.render.attachNewNode(f"scene-{self.scene_id}")
        self.ctx.shading.install(self.root)
        self.ctx.runtime.set_navigation(self.navigation)
        self.build()
        self.accept(BUTTON_EVENT, self.on_button)
        self.addTask(self._frame_task, f"{self.scene_id}-frame", sort=10)
        self.show_view(self.default_view or next(iter(self.views)))
        self.request(self.initial_mode)
        self._entered_at = time.monotonic()
        self.ctx.recorder.record(SceneEntered(scene_id=self.scene_id))

    def exit(self) -> None:
        dwell = time.monotonic() - self._entered_at
        self.cleanup()  # FSM back to Off, running the current mode's exit first
        self.teardown()
        self.ignoreAll()
        self.removeAllTasks()
        self.root.removeNode()
        self.root = None
        self.ctx.recorder.record(SceneLeft(scene_id=self.scene_id, dwell_s=dwell))

    def show_view(self, name: str) -> None:
        view = self.views[name]
        self.ctx.runtime.place_viewer(view.eye, view.target)

    def _frame_task(self, task):
        self.frame(self.ctx.engine.base.clock.getDt())
        return task.cont

    @classmethod
    def available(cls) -> bool:
        """Whether the scene can open here (its content is installed)."""
        return True

    def tour(self) -> list[tuple[str, str, str | None]]:
        """Guided-tour steps: (step name, view name, action or None), see ``perform``."""
        return [(name, name, None) for name in self.views]

    def perform(self, action: str) -> None:
        """Do a tour or script action as a user would (select a thing, use a control)."""

    # for subclasses -----------------------------------------------------------------------
    def build(self) -> None:
        """Make the scene's nodes under ``self.root``."""

    def teardown(self) -> None:
        """Release what ``build`` made outside ``self.root`` (buffers, sounds)."""

    def frame(self, dt: float) -> None:
        """Per-frame logic, after the runtime has updated poses and input."""

    def on_button(self, event: ButtonEvent) -> None:
        """A button from any runtime: mouse click, controller trigger, scripted press."""

    def text(self, key: str, **fields) -> str:
        return self.ctx.strings.get(key, self.ctx.lang, **fields)
