"""Pointer input shared by scenes with world-space panels: pressing and dragging
widgets, hover highlights, and a search box typed into from the keyboard.

A scene mixes this in, keeps its panels in ``self.panels`` and, for search, a
``search_button`` on ``self.panels[2]`` and a ``_refresh_results`` method.
"""

from __future__ import annotations

from scenes.panels import Panel, Widget
from scenes.runtime.base import ButtonEvent


class PanelInput:
    panels: list[Panel]
    searching: bool = False
    search_query: str = ""
    _drag: tuple[Panel, Widget] | None = None

    def _panel_hit(self, ray):
        """(panel, (widget, fraction, distance)) nearest along the ray, or None."""
        best = None
        for panel in self.panels:
            found = panel.hit(ray.origin, ray.direction)
            if found and (best is None or found[2] < best[1][2]):
                best = (panel, found)
        return best

    def _press_panels(self, event: ButtonEvent) -> bool:
        """Route a select press or release to the panels; True when a panel took it."""
        if not event.pressed:
            self._drag = None
            return False
        hit = self._panel_hit(event.ray)
        if hit is None:
            return False
        panel, (widget, fraction, _) = hit
        widget.on_press(fraction)
        if "value" in widget.extras:
            self._drag = (panel, widget)
        return True

    def _track_panels(self, rays) -> None:
        """Per frame: hover the widget a pointer is on, and follow a dragged slider."""
        hovered = None
        for ray in rays:
            hit = self._panel_hit(ray)
            if hit is not None:
                hovered = hit
                break
        for panel in self.panels:
            panel.hover(hovered[1][0] if hovered and hovered[0] is panel else None)
        if self._drag is not None and rays:
            panel, widget = self._drag
            found = panel.hit(rays[0].origin, rays[0].direction)
            if found is not None and found[0] is widget:
                widget.on_press(found[1])

    # search ------------------------------------------------------------------------------
    def _listen_for_typing(self) -> None:
        self.accept("keystroke", self._on_keystroke)
        self.accept("backspace", self._on_backspace)
        self.accept("backspace-repeat", self._on_backspace)

    def toggle_search(self) -> None:
        self.searching = not self.searching
        self.panels[2].set_active(self.search_button, self.searching)
        self._refresh_results()

    def type_search(self, text: str) -> None:
        self.search_query = text
        self._refresh_results()

    def _on_keystroke(self, key: str) -> None:
        if self.searching and key.isprintable():
            self.type_search(self.search_query + key)

    def _on_backspace(self) -> None:
        if self.searching:
            self.type_search(self.search_query[:-1])
