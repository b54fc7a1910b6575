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
        self._presses: deque[tuple[Button, str | None]] = deque()

    def aim(self, source: str, origin, target) -> PointerRay:
        origin = np.asarray(origin, dtype=float)
        direction = np.asarray(target, dtype=float) - origin
        ray = PointerRay(source, origin, direction / np.linalg.norm(direction))
        self.rays[source] = ray
        return ray

    def press(self, button: Button, source: str | None = None) -> None:
        self._presses.append((button, source))

    def deliver(self, runtime: Runtime) -> None:
        """Send queued presses as press+release pairs, with the pressing hand's ray."""
        while self._presses:
            button, source = self._presses.popleft()
            ray = self.rays.get(source) if source else None
            runtime.send_button(button, True, ray)
            runtime.send_button(button, False, ray)
