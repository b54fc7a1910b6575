"""Scripted devices: pointer poses and button presses set by a tour, a test or a bench,
delivered through the same per-frame update as real devices."""

from __future__ import annotations

from collections import deque

import numpy as np

from scenes.runtime.base import Button, PointerRay, Runtime


class ScriptedDevices:
    """Queued button presses and fixed pointer rays, owned by a runtime."""

    def __init__(self) -> None:
        self.rays: dict[str, PointerRay] = {}
        self._presses: deque[tuple[Button, str | None, str]] = deque()

    def aim(self, source: str, origin, target) -> PointerRay:
        origin = np.asarray(origin, dtype=float)
        direction = np.asarray(target, dtype=float) - origin
        ray = PointerRay(source, origin, direction / np.linalg.norm(direction))
        self.rays[source] = ray
        return ray

    def press(self, button: Button, source: str | None = None) -> None:
        self._presses.append((button, source, "click"))

    def down(self, button: Button, source: str | None = None) -> None:
        """Press and hold (a drag starts); ``up`` lets go."""
        self._presses.append((button, source, "down"))

    def up(self, button: Button, source: str | None = None) -> None:
        self._presses.append((button, source, "up"))

    def deliver(self, runtime: Runtime) -> None:
        """Send queued presses (clicks as press+release pairs, or holds and releases), with
        the pressing hand's ray."""
        while self._presses:
            button, source, how = self._presses.popleft()
            ray = self.rays.get(source) if source else None
            if how in ("click", "down"):
                runtime.send_button(button, True, ray)
            if how in ("click", "up"):
                runtime.send_button(button, False, ray)
