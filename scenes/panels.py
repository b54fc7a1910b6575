"""World-space panels: buttons, toggles and sliders drawn as cards with text, pressed
by any pointer ray (the mouse through the cursor, a VR controller's laser).

A panel is a flat node facing its own −Y; its widgets are rectangles in the panel's
X (right) / Z (up) plane, in metres. Panels draw over the scene so a model never hides
the controls, and the same hit test serves every runtime.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from panda3d.core import CardMaker, NodePath, Point3, TextNode

from scenes.labels import Labels

PANEL_BIN = ("fixed", 100)
IDLE = (0.16, 0.19, 0.24, 0.92)
ACTIVE = (0.20, 0.50, 0.78, 0.95)
HOVER_TINT = 1.25


@dataclass
class Widget:
    name: str
    rect: tuple[float, float, float, float]  # left, right, bottom, top in panel metres
    on_press: Callable[[float], None] | None  # argument: 0..1 across the widget
    node: NodePath | None = None  # the widget's card (its colour shows the state)
    group: NodePath | None = None  # card and text together: hide or show the widget
    text_node: TextNode | None = None
    active: bool = False
    extras: dict = field(default_factory=dict)

    def contains(self, x: float, z: float) -> bool:
        left, right, bottom, top = self.rect
        return left <= x <= right and bottom <= z <= top


class Panel:
    """A column of widgets; ``hit(ray)`` finds the widget a ray points at."""

    ROW = 0.036
    GAP = 0.005
    TEXT = 0.018  # glyph height in metres at arm's length: about 1° of view

    def __init__(self, labels: Labels, parent: NodePath, name: str, width: float = 0.36):
        self.labels = labels
        self.width = width
        self.root = parent.attachNewNode(f"panel-{name}")
        self.root.setBin(*PANEL_BIN)
        self.root.setDepthTest(False)
        self.root.setDepthWrite(False)
        self.widgets: list[Widget] = []
        self._next_top = 0.0
        self.hovered: Widget | None = None

    def _group(self, widget: Widget) -> NodePath:
        widget.group = self.root.attachNewNode(widget.name)
        return widget.group

    def _card(self, parent: NodePath, name: str, rect, color) -> NodePath:
        cm = CardMaker(name)
        cm.setFrame(*rect)
        card = parent.attachNewNode(cm.generate())
        card.setColorScale(*color)  # the colour scale reaches shader and fixed function alike
        self.labels.shading.text_look(card)
        return card

    def _row(self, height: float | None = None) -> tuple[float, float, float, float]:
        h = height or self.ROW
        top = self._next_top
        self._next_top = top - h - self.GAP
        return (0.0, self.width, top - h, top)

    def add_heading(self, text: str) -> Widget:
        rect = self._row()
        w = Widget(f"heading-{len(self.widgets)}", rect, None)
        group = self._group(w)
        w.text_node = self._text(
            group, text, rect, color=(0.85, 0.9, 1, 1), scale=self.TEXT * 1.25
        ).node()
        self.widgets.append(w)
        return w

    def add_button(self, name: str, text: str, on_press: Callable[[float], None]) -> Widget:
        rect = self._row()
        w = Widget(name, rect, on_press)
        group = self._group(w)
        w.node = self._card(group, f"button-{name}", rect, IDLE)
        w.text_node = self._text(group, text, rect).node()
        self.widgets.append(w)
        return w

    def add_slider(
        self, name: str, text: str, value: float, on_change: Callable[[float], None]
    ) -> Widget:
        """A bar filled to ``value`` (0..1); pressing at a point sets the value there."""
        rect = self._row()
        w = Widget(name, rect, None)
        group = self._group(w)
        w.node = self._card(group, f"slider-{name}", rect, IDLE)
        left, right, bottom, top = rect
        fill = CardMaker(f"slider-fill-{name}")
        fill.setFrame(0, right - left, bottom, bottom + 0.008)
        fill.setColor(1, 1, 1, 1)
        w.extras["fill"] = group.attachNewNode(fill.generate())
        w.extras["fill"].setX(left)
        w.extras["fill"].setColorScale(*ACTIVE)
        self.labels.shading.text_look(w.extras["fill"])
        w.text_node = self._text(group, text, rect).node()

        def press(fraction: float) -> None:
            self.set_slider(w, fraction)
            on_change(w.extras["value"])

        w.on_press = press
        self.set_slider(w, value)
        self.widgets.append(w)
        return w

    def set_slider(self, widget: Widget, value: float) -> None:
        value = float(np.clip(value, 0.0, 1.0))
        widget.extras["value"] = value
        widget.extras["fill"].setSx(max(value, 1e-3))

    def add_text(self, name: str, text: str, lines: int = 3, scale: float | None = None) -> Widget:
        scale = scale or self.TEXT
        rect = self._row(lines * scale * 1.2 + 0.02)
        w = Widget(name, rect, None)
        group = self._group(w)
        w.node = self._card(group, f"text-{name}", rect, (0.1, 0.12, 0.15, 0.9))
        w.text_node = self._text(group, text, rect, scale=scale, align_top=True, wrap=True).node()
        self.widgets.append(w)
        return w

    def _text(
        self, parent, text, rect, color=(1, 1, 1, 1), scale=None, align_top=False, wrap=False
    ):
        scale = scale or self.TEXT
        left, right, bottom, top = rect
        label = self.labels.make(
            parent,
            text,
            name="text",
            height=scale,
            color=color,
            card=None,
            facing_viewer=False,
            wordwrap=(right - left - 0.024) / scale if wrap else None,
        )
        glyphs = label.find("+TextNode")
        glyphs.node().setAlign(TextNode.ALeft)
        z = top - scale * 1.1 if align_top else (top + bottom) / 2 - scale * 0.35
        label.setPos(left + 0.012, -0.001, z)
        return glyphs

    def set_text(self, widget: Widget, text: str) -> None:
        widget.text_node.setText(text)

    def show(self, widget: Widget, shown: bool) -> None:
        if shown:
            widget.group.show()
        else:
            widget.group.hide()

    def set_active(self, widget: Widget, active: bool) -> None:
        widget.active = active
        self._paint(widget)

    def _paint(self, widget: Widget) -> None:
        if widget.node is None or widget.on_press is None:
            return
        color = np.array(ACTIVE if widget.active else IDLE)
        if widget is self.hovered:
            color[:3] = np.minimum(color[:3] * HOVER_TINT, 1.0)
        widget.node.setColorScale(*color)

    # pointing ----------------------------------------------------------------------------
    def hit(self, origin, direction) -> tuple[Widget, float, float] | None:
        """(widget, fraction across it, distance) for a world ray, or None."""
        if self.root.isHidden():
            return None
        world = self.root.getTop()
        o = self.root.getRelativePoint(world, Point3(*origin))
        d = self.root.getRelativeVector(world, Point3(*direction))
        if abs(d[1]) < 1e-9:
            return None
        t = -o[1] / d[1]
        if t <= 0:
            return None
        x, z = o[0] + d[0] * t, o[2] + d[2] * t
        for w in self.widgets:
            if w.on_press is not None and not w.group.isHidden() and w.contains(x, z):
                left, right, _, _ = w.rect
                point = world.getRelativePoint(self.root, Point3(x, 0, z))
                distance = float(np.linalg.norm(np.array(point) - np.asarray(origin)))
                return w, (x - left) / (right - left), distance
        return None

    def hover(self, widget: Widget | None) -> None:
        previous, self.hovered = self.hovered, widget
        for w in (previous, widget):
            if w is not None:
                self._paint(w)

    def press(self, origin, direction) -> bool:
        found = self.hit(origin, direction)
        if found is None:
            return False
        widget, fraction, _ = found
        widget.on_press(fraction)
        return True

    @property
    def height(self) -> float:
        return -self._next_top
