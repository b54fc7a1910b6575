"""Owns the running scene: builds the shared context, switches scenes between frames."""

from __future__ import annotations

from pathlib import Path

from scenes.base import Scene, SceneContext
from scenes.engine import Engine, save_png
from scenes.i18n import strings
from scenes.labels import Labels
from scenes.registry import scene_class, scene_ids
from scenes.runtime.base import Runtime
from scenes.shading import Shading
from sync.recorder import Recorder

SWITCH_TASK_SORT = -500  # after the runtime's poses, before scene logic


class Director:
    def __init__(
        self,
        engine: Engine,
        runtime: Runtime,
        recorder: Recorder,
        lang: str,
        data_dir: Path | None = None,
        cache_dir: Path | None = None,
    ):
        self.engine = engine
        self.runtime = runtime
        shading = Shading(engine.display.shaders)
        runtime.start(engine)
        self.ctx = SceneContext(
            engine=engine,
            runtime=runtime,
            recorder=recorder,
            strings=strings("scenes"),
            lang=lang,
            shading=shading,
            labels=Labels(shading, viewer=runtime.head),
            switch_to=self.request_switch,
            data_dir=data_dir,
            cache_dir=cache_dir,
        )
        self.current: Scene | None = None
        self._pending: str | None = None
        engine.base.taskMgr.add(self._switch_task, "medvr-director", sort=SWITCH_TASK_SORT)

    def switch(self, scene_id: str) -> Scene:
        """Leave the current scene and enter ``scene_id`` now."""
        cls = scene_class(scene_id)
        if self.current is not None:
            self.current.exit()
        self.current = cls(self.ctx)
        self.engine.base.setBackgroundColor(*cls.background)
        self.runtime.set_background(cls.background)
        self.current.enter()
        return self.current

    def request_switch(self, scene_id: str) -> None:
        """Switch at the start of the next frame, never from inside a scene's handler."""
        scene_class(scene_id)
        self._pending = scene_id

    def _switch_task(self, task):
        if self._pending is not None:
            scene_id, self._pending = self._pending, None
            self.switch(scene_id)
        return task.cont

    def settle(self, frames: int = 2) -> None:
        """Run whole frames so poses, scene logic and every buffer are up to date."""
        for _ in range(frames):
            self.engine.step()

    def shutdown(self) -> None:
        if self.current is not None:
            self.current.exit()
            self.current = None
        self.engine.base.taskMgr.remove("medvr-director")
        self.runtime.stop()


def render_tour(director: Director, out_dir: Path, scenes: list[str] | None = None) -> list[Path]:
    """Visit every scene's tour steps and save what the viewer sees at each as PNG."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for scene_id in scenes or scene_ids():
        scene = director.switch(scene_id)
        for name, view, action in scene.tour():
            scene.show_view(view)
            if action is not None:
                scene.perform(action)
            director.settle()
            path = out_dir / f"{len(written) + 1:02d}-{scene_id}-{name}.png"
            save_png(director.runtime.capture(), path)
            written.append(path)
    return written
