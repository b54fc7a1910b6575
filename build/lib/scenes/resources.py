"""Finding shipped files (shaders, fonts, catalogs, assets) the same way everywhere.

``importlib.resources`` resolves a package's data in a source checkout, an installed
wheel and a PyInstaller bundle (whose importer maps packages under ``sys._MEIPASS``).
Panda3D needs real file paths, so a resource inside a zip is extracted once.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.resources
import os
import sys
from pathlib import Path

from scenes.errors import SceneError

_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


def resource_path(package: str, *parts: str) -> Path:
    """Filesystem path of a data file shipped inside ``package``."""
    override = os.environ.get("MEDVR_RESOURCE_DIR")
    if override:
        candidate = Path(override, package, *parts)
        if candidate.exists():
            return candidate
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        candidate = Path(sys._MEIPASS, package, *parts)
        if candidate.exists():
            return candidate
    try:
        traversable = importlib.resources.files(package).joinpath(*parts)
    except ModuleNotFoundError:
        raise SceneError(
            f"resource package {package!r} is not installed", f"资源包 {package!r} 未安装"
        ) from None
    if not traversable.is_file() and not traversable.is_dir():
        where = f"{package}/{'/'.join(parts)}"
        raise SceneError(f"missing resource {where}", f"缺少资源文件 {where}")
    if isinstance(traversable, Path):
        return traversable
    return Path(_extracted.enter_context(importlib.resources.as_file(traversable)))
