"""Shared fixtures: user folders in a temporary place, and a real offscreen engine."""

from __future__ import annotations

import gc
import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True, scope="module")
def _collect_garbage_in_the_main_thread():
    """Collect each module's leftover garbage here, in the main thread: Panda3D objects
    freed by a collection that happens to run in another thread (an HTTP server's, the
    outbox writer's) abort the process."""
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def user_folders(tmp_path, monkeypatch):
    """Config, data, cache and logs of every test live under its own tmp_path."""
    monkeypatch.setenv("MEDVR_CONFIG", str(tmp_path / "config" / "config.toml"))
    monkeypatch.setenv("MEDVR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEDVR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MEDVR_LOG_DIR", str(tmp_path / "logs"))
    for name in (
        "MEDVR_LANG", "MEDVR_MODE", "MEDVR_WINDOW_SIZE", "MEDVR_DISPLAY_PIPE",
        "MEDVR_TELEMETRY_CONSENT", "MEDVR_LRS_ENDPOINT", "MEDVR_LRS_USERNAME",
        "MEDVR_LRS_PASSWORD", "MEDVR_USER_ID", "MEDVR_PLATFORM_HOME_PAGE", "MEDVR_ACTIVITY_BASE",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    # Never the developer's own keyring: a plain file under tmp_path (keyrings.alt).
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    return tmp_path


@pytest.fixture
def engine():
    """A headless engine on the automatic display path, destroyed after the test."""
    from scenes.engine import Engine

    e = Engine(offscreen=True, size=(320, 240))
    yield e
    e.destroy()


@pytest.fixture
def director_factory():
    """Opens engine + runtime + director; everything opened is closed after the test."""
    from scenes.director import Director
    from scenes.engine import Engine
    from sync.recorder import MemoryRecorder

    opened = []

    def make(runtime, size=(320, 240), lang="en", recorder=None, cache_dir=None):
        e = Engine(offscreen=True, size=size)
        recorder = recorder if recorder is not None else MemoryRecorder()
        d = Director(e, runtime, recorder, lang, cache_dir=cache_dir)
        opened.append((e, d))
        return d

    yield make
    for e, d in opened:
        d.shutdown()
        e.destroy()


def hue_distance(rgb, reference) -> float:
    """Angle between two colours' chroma directions, in degrees (brightness ignored)."""
    a = np.asarray(rgb, float)
    b = np.asarray(reference, float)
    a, b = a - a.mean(), b - b.mean()
    denom = np.linalg.norm(a) * np.linalg.norm(b)
    if denom == 0:
        return 180.0
    return float(np.degrees(np.arccos(np.clip(a @ b / denom, -1, 1))))
