"""``medvr doctor``: what this machine offers the app, and whether it can run here."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.config import Config
from app.runtime_choice import openvr_status


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


def _folder_state(path: Path) -> str:
    if not path.exists():
        return f"{path} (not created yet)"
    files = [p for p in path.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    return f"{path} ({len(files)} files, {size / 1e6:.1f} MB)"


def examine(config: Config) -> Report:
    report = Report()
    add = report.checks.append

    display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    try:
        from scenes.engine import Engine

        engine = Engine(offscreen=True, size=(64, 64))
    except Exception as e:
        add(Check("display", f"no display path works: {e}", ok=False))
    else:
        d = engine.display
        window = f"; a window can open on {display}" if display else "; no display for a window"
        add(Check("display", d.reason + window))
        add(Check("renderer", f"{d.renderer or 'software (tinydisplay)'} {d.version}".strip()))
        glsl = f"GLSL {d.glsl}, project shaders in use" if d.shaders else "none: fixed-function"
        add(Check("glsl", glsl, ok=True))
        engine.destroy()

    usable, what = openvr_status()
    add(Check("openvr", what, ok=usable, essential=False))

    try:
        from scenes.labels import FONT_FILE, load_font
        from scenes.resources import resource_path

        font = load_font()
        path = resource_path("assets", *FONT_FILE)
        add(Check("fonts", f"{path} ({path.stat().st_size // 1024} KB)", ok=font.isValid()))
    except Exception as e:
        add(Check("fonts", str(e), ok=False))

    add(Check("assets", _folder_state(config.cache_dir), essential=False))
    state = "exists" if config.config_file.exists() else "absent, defaults in use"
    add(Check("config", f"{config.config_file} ({state})", essential=False))
    add(Check("data", _folder_state(config.data_dir), essential=False))
    add(Check("logs", str(config.log_dir), essential=False))
    return report
