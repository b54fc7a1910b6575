"""One user session: engine, runtime, director and recorder wired together."""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

from app.config import Config
from app.runtime_choice import Choice, make_runtime
from scenes.i18n import strings
from sync.events import SessionEnded, SessionStarted
from sync.recorder import MemoryRecorder, Recorder


class Session:
    """Opens everything on enter, closes it on exit (also after an error)."""

    def __init__(
        self,
        config: Config,
        choice: Choice,
        recorder: Recorder | None = None,
        size: tuple[int, int] | None = None,
    ):
        self.config = config
        self.choice = choice
        self.recorder = recorder if recorder is not None else MemoryRecorder()
        self.size = size or config.window_size
        self.session_id = str(uuid.uuid4())
        self.engine = None
        self.runtime = None
        self.director = None
        self.notice: str | None = None

    def __enter__(self) -> Session:
        from scenes.engine import Engine

        self._started = time.monotonic()
        self.engine = Engine(offscreen=self.choice.offscreen, size=self.size)
        try:
            self.director = self._open_director()
        except BaseException:
            self.engine.destroy()
            raise
        # Before any scene opens: the session's statements are made from this event.
        self.recorder.record(
            SessionStarted(
                session_id=self.session_id,
                mode=self.choice.mode,
                language=self.config.language,
                headset=self.runtime.headset_name(),
            )
        )
        return self

    def _open_director(self):
        """The director on the chosen runtime; a headset that will not start gives one
        line and the desktop (or headless) runtime instead."""
        from scenes.director import Director
        from scenes.errors import SceneError

        def director():
            return Director(
                self.engine,
                self.runtime,
                self.recorder,
                self.config.language,
                data_dir=self.config.data_dir,
                cache_dir=self.config.cache_dir,
            )

        self.runtime = make_runtime(self.choice, self.config, self.size)
        try:
            return director()
        except SceneError as e:
            if self.choice.mode != "vr":
                raise
            fallback = "headless" if self.choice.offscreen else "desktop"
            lang = self.config.language
            reason = e.zh if lang == "zh-CN" and getattr(e, "zh", None) else str(e)
            self.notice = strings("app").get(
                "vr.unavailable", lang, reason=reason, fallback=fallback
            )
            print(self.notice, file=sys.stderr)
            self.choice = Choice(fallback, self.choice.offscreen, self.notice)
            self.runtime = make_runtime(self.choice, self.config, self.size)
            return director()

    def _ended(self) -> None:
        self.recorder.record(
            SessionEnded(session_id=self.session_id, duration_s=time.monotonic() - self._started)
        )

    def __exit__(self, *exc) -> None:
        try:
            if self.director is not None:
                self.director.shutdown()
            self._ended()
        finally:
            self.engine.destroy()

    def tour(self, out_dir: Path, scenes: list[str] | None = None) -> list[Path]:
        from scenes.director import render_tour

        return render_tour(self.director, out_dir, scenes)

    def still(self, scene_id: str, view: str | None, out: Path) -> Path:
        from scenes.engine import save_png
        from scenes.errors import SceneError

        scene = self.director.switch(scene_id)
        if view is not None:
            if view not in scene.views:
                known = ", ".join(scene.views)
                raise SceneError(
                    f"scene {scene_id!r} has no view {view!r} (views: {known})",
                    f"场景 {scene_id!r} 没有视角 {view!r}（可用视角：{known}）",
                )
            scene.show_view(view)
        self.director.settle()
        save_png(self.runtime.capture(), out)
        return out
