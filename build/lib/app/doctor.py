"""``medvr doctor``: what this machine offers the app, and whether it can run here."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.config import Config
from app.runtime_choice import openvr_status
from scenes.i18n import strings


@dataclass
class Check:
    key: str  # string id in app/strings.toml (doctor.KEY)
    value: str
    ok: bool = True
    essential: bool = True


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks if c.essential)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks]}


def _folder_state(path: Path, lang: str) -> str:
    text = strings("app")
    if not path.exists():
        return text.get("doctor.folder_new", lang, path=path)
    files = [p for p in path.rglob("*") if p.is_file()]
    mb = f"{sum(p.stat().st_size for p in files) / 1e6:.1f}"
    return text.get("doctor.folder", lang, path=path, files=len(files), mb=mb)


def examine(config: Config) -> Report:
    lang = config.language
    text = strings("app")
    report = Report()
    add = report.checks.append

    display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    try:
        from scenes.engine import Engine

        engine = Engine(offscreen=True, size=(64, 64))
    except Exception as e:
        error = getattr(e, "zh", None) if lang == "zh-CN" and getattr(e, "zh", None) else e
        add(Check("display", text.get("doctor.no_display_path", lang, error=error), ok=False))
    else:
        d = engine.display
        window = (
            text.get("doctor.window_on", lang, display=display)
            if display
            else text.get("doctor.no_window", lang)
        )
        add(Check("display", f"{d.describe(lang)}; {window}"))
        renderer = d.renderer or text.get("doctor.software", lang)
        add(Check("renderer", f"{renderer} {d.version}".strip()))
        glsl = (
            text.get("doctor.glsl_on", lang, version=d.glsl)
            if d.shaders
            else text.get("doctor.glsl_off", lang)
        )
        add(Check("glsl", glsl))
        engine.destroy()

    usable, what = openvr_status(lang)
    add(Check("openvr", what, ok=usable, essential=False))

    try:
        from scenes.labels import FONT_FILE, load_font
        from scenes.resources import resource_path

        font = load_font()
        path = resource_path("assets", *FONT_FILE)
        size = text.get("doctor.font_size", lang, path=path, kb=path.stat().st_size // 1024)
        add(Check("fonts", size, ok=font.isValid()))
    except Exception as e:
        add(Check("fonts", str(e), ok=False))

    add(Check("assets", _folder_state(config.cache_dir, lang), essential=False))
    state = "doctor.config_exists" if config.config_file.exists() else "doctor.config_absent"
    add(Check("config", text.get(state, lang, path=config.config_file), essential=False))
    add(Check("data", _folder_state(config.data_dir, lang), essential=False))
    add(Check("logs", str(config.log_dir), essential=False))
    return report
