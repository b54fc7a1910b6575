"""Which runtime runs this session: chosen once at start from the mode and the machine."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from dataclasses import dataclass

from app.config import Config
from scenes.i18n import strings

log = logging.getLogger("medvr.app")


@dataclass(frozen=True)
class Choice:
    mode: str  # desktop, headless, sim-vr, vr (a SteamVR headset was found)
    offscreen: bool
    notice: str | None = None  # a one-line note for the user (a fallback was taken)


def openvr_status(lang: str = "en") -> tuple[bool, str]:
    """(usable, what was found): the OpenVR runtime and a headset, without starting SteamVR."""
    text = strings("app")
    try:
        import openvr
    except Exception as e:  # the wheel ships a native library that may not load
        return False, text.get("openvr.not_loadable", lang, error=e)
    try:
        with _quiet_native_output():
            installed = openvr.isRuntimeInstalled()
            path = openvr.runtimePath() if installed else ""
            present = installed and openvr.isHmdPresent()
    except Exception as e:
        return False, text.get("openvr.check_failed", lang, error=e)
    if not installed:
        return False, text.get("openvr.not_installed", lang)
    if not present:
        return False, text.get("openvr.no_headset", lang, path=path)
    return True, text.get("openvr.ready", lang, path=path)


@contextlib.contextmanager
def _quiet_native_output():
    """The OpenVR client library prints its registry look-ups; keep them off the terminal."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def choose_runtime(mode: str, has_display: bool, lang: str) -> Choice:
    """Resolve ``auto`` and fall back from ``vr`` with a one-line notice."""
    text = strings("app")
    if mode == "auto":
        if not has_display:
            return Choice("headless", True, text.get("tour.headless", lang))
        mode = "desktop"
    if mode == "vr":
        usable, reason = openvr_status(lang)
        if not usable:
            fallback = "desktop" if has_display else "headless"
            note = text.get("vr.unavailable", lang, reason=reason, fallback=fallback)
            log.warning("vr mode unavailable: %s; using %s", reason, fallback)
            return Choice(fallback, fallback == "headless", note)
        return Choice("vr", not has_display)
    if mode in ("desktop", "sim-vr") and not has_display:
        note = text.get("tour.headless", lang)
        return Choice("headless" if mode == "desktop" else "sim-vr", True, note)
    return Choice(mode, mode == "headless")


def make_runtime(choice: Choice, config: Config, size: tuple[int, int]):
    """The runtime object for a choice; a stereo still of ``size`` holds two eyes side by side."""
    if choice.mode == "sim-vr":
        from scenes.runtime.sim_hmd import SimulatedHmdRuntime

        w, h = size
        return SimulatedHmdRuntime(
            ipd_m=config.ipd_mm / 1000.0, fov_deg=config.eye_fov_deg, eye_size=(w // 2, h)
        )
    if choice.mode == "vr":
        from scenes.runtime.steamvr import SteamVRRuntime

        return SteamVRRuntime()
    if choice.mode == "desktop":
        from scenes.runtime.mono import DesktopRuntime

        return DesktopRuntime()
    from scenes.runtime.mono import HeadlessRuntime

    return HeadlessRuntime()
