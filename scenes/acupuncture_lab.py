"""The acupuncture lab: the WHO points on the body, the meridians on the skin, needling
practice that knows the anatomy beneath, and two quizzes.

Modes (an FSM): Browse (pick points, search, toggle meridians, deep view), Needling
(place, angle and insert a needle at a target point with live feedback), LocateQuiz and
NameQuiz. Every input comes through the runtime's pointer rays and buttons, so the mouse
and a VR controller work alike.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np
from panda3d.core import NodePath

from acupuncture.acupoint_catalog import AcupointCatalog, load_acupoints
from acupuncture.anchors import BodyAnchors
from acupuncture.errors import AcupunctureError
from acupuncture.meridians import MeridianPath, meridian_paths
from acupuncture.needling import NeedleProbe, score_attempt, standard_heading
from acupuncture.placement import PlacedPoint, place_points
from acupuncture.quiz import LocatePointQuiz, NamePointQuiz
from acupuncture.search import AcupointSearch
from anatomy.errors import AnatomyError
from scenes.anatomy_lab import (
    SEE_THROUGH,
    _cached_body,
    asset_dir,
    body_source,
    structure_geometry,
)
from scenes.base import Scene, View
from scenes.batching import Batches
from scenes.errors import SceneError
from scenes.meshes import packed_geom_node, sphere_rows, tube_rows
from scenes.panel_input import PanelInput
from scenes.panels import Panel, Widget
from scenes.registry import register
from scenes.runtime.base import Button, ButtonEvent
from sync.events import (
    ControlUsed,
    NeedlingAttempted,
    ObjectSelected,
    ObjectViewed,
    QuizAnswered,
    QuizCompleted,
)

MARKER_RADIUS = 0.0035  # m
SELECTED_RADIUS = 0.006
TUBE_RADIUS = 0.001
PICK_RADIUS = 0.008  # m from the ray within which a marker is hit
BEAD_SPACING = 0.06  # m between flow beads
BEAD_SPEED = 0.05  # m/s along the meridian, in the direction of flow
DEEP_SYSTEMS = ("skeletal", "respiratory", "cardiovascular", "digestive", "urinary", "nervous")
SKIN_DEEP_ALPHA = 0.3
MAX_DEPTH_CUN = 3.0
DEPTH_STEP_CUN = 0.1
HANDLE_LIFT = 0.04  # m: the drag plane for the needle's angle lies this far off the skin
QUIZ_QUESTIONS = 10
MAX_LABELS = 120  # point labels at once (the shown meridians, left side and midline)


@functools.lru_cache(maxsize=1)
def _catalog() -> AcupointCatalog:
    return load_acupoints()


@functools.lru_cache(maxsize=4)
def _placed(directory: str, imports: str | None, mtime: float):
    body, _ = _cached_body(directory, None, imports, mtime)
    catalog = _catalog()
    anchors = BodyAnchors(body)
    placement = place_points(body, catalog, anchors)
    paths = meridian_paths(catalog, placement, anchors)
    return body, anchors, placement, paths, NeedleProbe(body, anchors)


@dataclass
class Needle:
    """The needle being placed: where it entered, which way it points, how deep."""

    entry: np.ndarray | None = None
    normal: np.ndarray | None = None
    heading: np.ndarray | None = None
    depth_cun: float = 0.0
    dragging: bool = False
    started: float = 0.0


@register
class AcupunctureLabScene(PanelInput, Scene):
    scene_id = "acupuncture"
    title_key = "module.acupuncture"
    navigation = "orbit"
    background = (0.1, 0.11, 0.14, 1)
    views = {
        "front": View((0.0, -2.1, 1.0), (0.0, 0.0, 0.95), "acu.view.front"),
        "back": View((0.0, 1.5, 1.3), (0.0, 0.0, 1.1), "acu.view.back"),
        "side": View((-2.0, -0.4, 1.0), (0.0, 0.0, 0.95), "acu.view.side"),
        "head": View((0.12, -0.75, 1.63), (0.0, 0.0, 1.6), "acu.view.head"),
        "chest": View((0.1, -1.3, 1.2), (0.0, 0.0, 1.18), "acu.view.chest"),
        "arm": View((0.55, -0.75, 0.98), (0.27, 0.0, 0.95), "acu.view.arm"),
        "leg": View((0.75, -0.75, 0.5), (0.12, 0.0, 0.36), "acu.view.leg"),
        "knee": View((0.45, -0.42, 0.52), (0.13, 0.0, 0.41), "acu.view.knee"),
        "upper_back": View((0.3, 0.72, 1.5), (0.03, 0.1, 1.36), "acu.view.upper_back"),
    }
    default_view = "front"

    @classmethod
    def available(cls) -> bool:
        return (asset_dir() / "manifest.json").is_file()

    # building ------------------------------------------------------------------------------
    def build(self) -> None:
        self._hand = "right"  # the hand that last pressed (its controller buzzes on danger)
        self._buzzed: str | None = None  # the danger already signalled
        try:
            self.catalog = _catalog()
            placed = _placed(*body_source(self.ctx.data_dir))
        except (AnatomyError, AcupunctureError) as e:
            raise SceneError(str(e), e.zh) from None
        self.body, self.anchors, self.placement, self.paths, self.probe = placed
        self.search = AcupointSearch(self.catalog)
        model = self.root.attachNewNode("body")
        self.ctx.shading.cap_from_vertex_color(model)
        _, packed, self.geometry_source = structure_geometry(
            self.body, self.ctx.cache_dir, self.ctx.data_dir
        )
        self.batches = Batches(model, self.ctx.shading, packed)
        self.deep = False
        self.flow = False
        self.show_labels = False
        self.shown = set(m for m, mer in self.catalog.meridians.items() if not mer.extra)
        self.shown.add("EX")
        self.selected: str | None = None  # a placement key
        self._selected_since = 0.0
        self.searching = False
        self.search_query = ""
        self._results: list[str] = []
        self.needle = Needle()
        self.attempts = 0
        self.target: str | None = None
        self.locate_quiz: LocatePointQuiz | None = None
        self.name_quiz: NamePointQuiz | None = None
        self._drag: tuple[Panel, Widget] | None = None
        self._flow_clock = 0.0
        self._build_overlays()
        self._build_panels()
        self._draw_body()
        self._draw_overlays()
        self._listen_for_typing()

    def _meridian_group(self, code: str) -> str:
        m = self.catalog[code].meridian
        return "EX" if m.startswith("EX") else m

    def _build_overlays(self) -> None:
        """Markers per meridian, meridian tubes, the selection marker, the needle."""
        self.overlay = self.root.attachNewNode("overlays")
        self.marker_nodes: dict[str, NodePath] = {}
        self.tube_nodes: dict[str, NodePath] = {}
        groups: dict[str, list[PlacedPoint]] = {}
        for p in self.placement.points.values():
            groups.setdefault(self._meridian_group(p.code), []).append(p)
        for group, points in groups.items():
            colour = self._colour(group)
            centres = np.array([p.position + p.normal * 0.001 for p in points])
            rows, faces = sphere_rows(centres, MARKER_RADIUS, (*colour, 1.0))
            self.marker_nodes[group] = self.overlay.attachNewNode(
                packed_geom_node(f"markers-{group}", rows, faces)
            )
        by_meridian: dict[str, list[np.ndarray]] = {}
        for path in self.paths:
            by_meridian.setdefault(path.meridian, []).extend(path.runs)
        for mid, runs in by_meridian.items():
            rows, faces = tube_rows(runs, TUBE_RADIUS, (*self._colour(mid), 1.0))
            node = self.overlay.attachNewNode(packed_geom_node(f"meridian-{mid}", rows, faces))
            node.setTwoSided(True)
            self.tube_nodes[mid] = node
        rows, faces = sphere_rows(np.zeros((1, 3)), SELECTED_RADIUS, (1.0, 0.95, 0.3, 1.0), 2)
        self.selection_marker = self.overlay.attachNewNode(
            packed_geom_node("selected", rows, faces)
        )
        self.ctx.shading.set_highlight(self.selection_marker, True)
        self.selection_marker.hide()
        self.selection_label: NodePath | None = None
        self.point_labels = self.overlay.attachNewNode("point-labels")
        self.beads: NodePath | None = None
        # The needle: a steel shaft 0.3 mm thick drawn 1.6 mm thick so it shows at arm's
        # length, and a handle.
        self.needle_node = self.root.attachNewNode("needle")
        shaft_rows, shaft_faces = tube_rows(
            [np.array([[0, 0.0, 0], [0, 1.0, 0]])], 0.0008, (0.85, 0.87, 0.9, 1.0), 8
        )
        self.needle_shaft = self.needle_node.attachNewNode(
            packed_geom_node("needle-shaft", shaft_rows, shaft_faces)
        )
        handle_rows, handle_faces = tube_rows(
            [np.array([[0, -0.035, 0], [0, 0.0, 0]])], 0.002, (0.75, 0.55, 0.25, 1.0), 8
        )
        self.needle_node.attachNewNode(packed_geom_node("needle-handle", handle_rows, handle_faces))
        self.needle_node.setTwoSided(True)
        self.needle_node.hide()

    def _colour(self, group: str) -> tuple[float, float, float]:
        if group == "EX" or group not in self.catalog.meridians:
            return (0.92, 0.92, 0.92)
        return self.catalog.meridians[group].colour

    def _build_panels(self) -> None:
        head = self.ctx.runtime.head
        t = self.text
        lang = self.ctx.lang
        left = Panel(self.ctx.labels, head, "meridians", width=0.26)
        left.root.setPos(-0.8, 1.0, 0.42)
        left.add_heading(t("acu.meridians"))
        self.meridian_buttons: dict[str, Widget] = {}
        for mid, m in self.catalog.meridians.items():
            if m.extra:
                continue
            self.meridian_buttons[mid] = left.add_button(
                f"meridian-{mid}",
                f"{mid} {m.names(lang)}",
                lambda _f, g=mid: self.toggle_meridian(g),
            )
        extra_name = "经外奇穴" if lang == "zh-CN" else "Extra points"
        self.meridian_buttons["EX"] = left.add_button(
            "meridian-EX", f"EX {extra_name}", lambda _f: self.toggle_meridian("EX")
        )
        left.add_button(
            "meridians-all", t("acu.all_meridians"), lambda _f: self.show_meridians(True)
        )
        left.add_button(
            "meridians-none", t("acu.no_meridians"), lambda _f: self.show_meridians(False)
        )

        tools = Panel(self.ctx.labels, head, "acu-tools", width=0.2)
        tools.root.setPos(-0.525, 1.0, 0.42)
        tools.add_heading(t("acu.tools"))
        self.flow_button = tools.add_button("flow", t("acu.flow"), lambda _f: self.toggle_flow())
        self.deep_button = tools.add_button("deep", t("acu.deep"), lambda _f: self.toggle_deep())
        self.labels_button = tools.add_button(
            "labels", t("acu.labels"), lambda _f: self.toggle_labels()
        )
        self.needling_button = tools.add_button(
            "needling", t("acu.needling"), lambda _f: self.request("Needling")
        )
        self.locate_button = tools.add_button(
            "locate-quiz", t("acu.locate_quiz"), lambda _f: self.request("LocateQuiz")
        )
        self.name_button = tools.add_button(
            "name-quiz", t("acu.name_quiz"), lambda _f: self.request("NameQuiz")
        )
        self.browse_button = tools.add_button(
            "browse", t("acu.browse"), lambda _f: self.request("Browse")
        )

        right = Panel(self.ctx.labels, head, "acu-info", width=0.36)
        right.root.setPos(0.42, 1.0, 0.42)
        self.info = right.add_text("info", t("acu.info_empty"), lines=14, scale=0.0155)
        self.search_button = right.add_button(
            "search", t("acu.search"), lambda _f: self.toggle_search()
        )
        self.result_buttons = [
            right.add_button(f"result-{i}", "", lambda _f, i=i: self._pick_result(i))
            for i in range(5)
        ]
        self.feedback = right.add_text("feedback", "", lines=8, scale=0.0155)
        self.depth_slider = right.add_slider("depth", t("acu.depth"), 0.0, self._set_depth_fraction)
        self.deeper_button = right.add_button(
            "deeper", t("acu.deeper"), lambda _f: self.change_depth(DEPTH_STEP_CUN)
        )
        self.shallower_button = right.add_button(
            "shallower", t("acu.shallower"), lambda _f: self.change_depth(-DEPTH_STEP_CUN)
        )
        self.finish_button = right.add_button(
            "finish", t("acu.finish"), lambda _f: self.finish_attempt()
        )
        self.choice_buttons = [
            right.add_button(f"choice-{i}", "", lambda _f, i=i: self._choose(i)) for i in range(4)
        ]
        self.panels = [left, tools, right]
        self._show_mode_widgets("Browse")
        self._refresh_meridian_buttons()
        self._refresh_results()

    def _show_mode_widgets(self, mode: str) -> None:
        right = self.panels[2]
        browse = mode == "Browse"
        for w in [self.search_button, *self.result_buttons]:
            right.show(w, browse)
        right.show(self.feedback, not browse)
        for w in (self.depth_slider, self.deeper_button, self.shallower_button, self.finish_button):
            right.show(w, mode == "Needling")
        for w in self.choice_buttons:
            right.show(w, mode == "NameQuiz")
        tools = self.panels[1]
        tools.set_active(self.needling_button, mode == "Needling")
        tools.set_active(self.locate_button, mode == "LocateQuiz")
        tools.set_active(self.name_button, mode == "NameQuiz")

    def teardown(self) -> None:
        self._record_dwell()
        self.batches.clear()
        for panel in self.panels:
            panel.root.removeNode()
        self.panels = []

    # drawing -------------------------------------------------------------------------------
    def _draw_body(self) -> None:
        catalog = self.body.catalog
        groups: dict[tuple[str, float | None], list[str]] = {}
        for sid in self.body.structures:
            system = catalog[sid].system
            if system == "integumentary":
                groups.setdefault((system, SKIN_DEEP_ALPHA if self.deep else None), []).append(sid)
            elif self.deep and system in DEEP_SYSTEMS:
                groups.setdefault((system, SEE_THROUGH.get(sid)), []).append(sid)
        self.batches.show(groups)

    def _draw_overlays(self) -> None:
        for group, node in self.marker_nodes.items():
            node.show() if group in self.shown else node.hide()
        for mid, node in self.tube_nodes.items():
            node.show() if mid in self.shown else node.hide()
        self.point_labels.getChildren().detach()
        for child in self.point_labels.getChildren():
            child.removeNode()
        if self.show_labels:
            count = 0
            for key, p in self.placement.points.items():
                if count >= MAX_LABELS:
                    break
                if self._meridian_group(p.code) not in self.shown or p.side == "r":
                    continue
                label = self.ctx.labels.make(
                    self.point_labels, self._label_text(p.code), name=f"label-{key}", height=0.011
                )
                label.setPos(*(p.position + p.normal * 0.012))
                count += 1
        self._rebuild_beads()

    def _label_text(self, code: str) -> str:
        p = self.catalog[code]
        return self.text("acu.label", zh=p.names.zh, code=p.code, pinyin=p.pinyin)

    def _refresh_meridian_buttons(self) -> None:
        for group, button in self.meridian_buttons.items():
            self.panels[0].set_active(button, group in self.shown)

    # meridians, flow, deep view, labels -----------------------------------------------------
    def toggle_meridian(self, group: str) -> None:
        self.shown ^= {group}
        self._refresh_meridian_buttons()
        self._draw_overlays()
        self._record_control("meridian", f"{group}={group in self.shown}")

    def show_meridians(self, on: bool) -> None:
        self.shown = set(self.meridian_buttons) if on else set()
        self._refresh_meridian_buttons()
        self._draw_overlays()
        self._record_control("meridians", "all" if on else "none")

    def toggle_flow(self) -> None:
        self.flow = not self.flow
        self.panels[1].set_active(self.flow_button, self.flow)
        self._rebuild_beads()
        self._record_control("flow", str(self.flow).lower())

    def toggle_deep(self) -> None:
        self.deep = not self.deep
        self.panels[1].set_active(self.deep_button, self.deep)
        self._draw_body()
        self._record_control("deep_view", str(self.deep).lower())

    def toggle_labels(self) -> None:
        self.show_labels = not self.show_labels
        self.panels[1].set_active(self.labels_button, self.show_labels)
        self._draw_overlays()
        self._record_control("labels", str(self.show_labels).lower())

    def _flow_paths(self) -> list[MeridianPath]:
        return [p for p in self.paths if p.meridian in self.shown]

    def _rebuild_beads(self) -> None:
        if self.beads is not None:
            self.beads.removeNode()
            self.beads = None
        self._bead_runs = []
        if not self.flow:
            return
        for path in self._flow_paths():
            for run in path.runs:
                arc = np.concatenate(
                    [[0.0], np.cumsum(np.linalg.norm(np.diff(run, axis=0), axis=1))]
                )
                count = max(1, int(arc[-1] / BEAD_SPACING))
                colour = np.minimum(np.array(self._colour(path.meridian)) * 1.3 + 0.1, 1.0)
                self._bead_runs.append((run, arc, count, colour))
        if not self._bead_runs:
            return
        centres, colours = self._bead_positions(0.0)
        rows, faces = sphere_rows(centres, 0.0022, colours, subdivisions=0)
        self.beads = self.overlay.attachNewNode(packed_geom_node("flow-beads", rows, faces))
        self._bead_template = rows.copy()
        self._bead_centres = centres

    def _bead_positions(self, clock: float) -> tuple[np.ndarray, np.ndarray]:
        centres, colours = [], []
        for run, arc, count, colour in self._bead_runs:
            spacing = arc[-1] / count
            s = (np.arange(count) * spacing + clock * BEAD_SPEED) % arc[-1]
            centres.append(np.stack([np.interp(s, arc, run[:, k]) for k in range(3)], axis=1))
            colours.append(np.repeat([[*colour, 1.0]], count, axis=0))
        return np.vstack(centres), np.vstack(colours)

    def _step_flow(self, dt: float) -> None:
        if self.beads is None:
            return
        self._flow_clock += dt
        centres, _ = self._bead_positions(self._flow_clock)
        per = len(self._bead_template) // len(centres)
        rows = self._bead_template.copy()
        rows[:, 0:3] += np.repeat(centres - self._bead_centres, per, axis=0)
        vdata = self.beads.node().modifyGeom(0).modifyVertexData()
        memoryview(vdata.modifyArray(0)).cast("B")[:] = rows.astype(np.float32).tobytes()

    # selecting points ------------------------------------------------------------------------
    def point_at(self, origin, direction) -> str | None:
        """The shown point marker nearest the viewer along a ray, unless skin hides it."""
        origin = np.asarray(origin, dtype=float)
        d = np.asarray(direction, dtype=float)
        d = d / np.linalg.norm(d)
        keys = [
            k
            for k, p in self.placement.points.items()
            if self._meridian_group(p.code) in self.shown
        ]
        if not keys:
            return None
        pos = np.array([self.placement.points[k].position for k in keys])
        rel = pos - origin
        along = rel @ d
        off = np.linalg.norm(rel - along[:, None] * d, axis=1)
        near = (off < PICK_RADIUS) & (along > 0)
        if not near.any():
            return None
        skin = self.anchors.on_skin(origin, d)
        limit = np.linalg.norm(skin - origin) + 0.01 if skin is not None else np.inf
        candidates = np.nonzero(near & (along <= limit))[0]
        if len(candidates) == 0:
            return None
        return keys[candidates[np.argmin(along[candidates])]]

    def select_point(self, key: str | None, via: str = "script") -> None:
        if key == self.selected:
            return
        self._record_dwell()
        self.selected = key
        self._selected_since = time.monotonic()
        if self.selection_label is not None:
            self.selection_label.removeNode()
            self.selection_label = None
        if key is None:
            self.selection_marker.hide()
            self.panels[2].set_text(self.info, self.text("acu.info_empty"))
            return
        p = self.placement.points[key]
        self.selection_marker.setPos(*(p.position + p.normal * 0.002))
        self.selection_marker.show()
        self.selection_label = self.ctx.labels.make(
            self.overlay, self._label_text(p.code), name="selection", height=0.018
        )
        self.selection_label.setPos(*(p.position + p.normal * 0.03 + np.array([0, 0, 0.02])))
        self.selection_label.setBin("fixed", 90)
        self.selection_label.setDepthTest(False)
        self.panels[2].set_text(self.info, self.point_info(p.code))
        self.ctx.recorder.record(ObjectSelected(scene_id=self.scene_id, object_id=p.code, via=via))

    def point_info(self, code: str) -> str:
        lang = self.ctx.lang
        p = self.catalog[code]
        meridian = self.catalog.meridians[p.meridian].names(lang)
        n = p.needling
        toward = ""
        if n.toward and n.angle != "perpendicular":
            if ":" in n.toward:
                where = self.text("acu.dir.point", code=n.toward.split(":", 1)[1])
            else:
                where = self.text(f"acu.dir.{n.toward}")
            toward = self.text("acu.toward", where=where)
        placed = next(iter(self.placement.of(code)), None)
        cun_mm = placed.cun_m * 1000 if placed else 0.0
        needling = self.text(
            "acu.needling_text",
            angle=self.text(f"acu.angle.{n.angle}"),
            toward=toward,
            low=f"{n.depth_cun[0]:g}",
            high=f"{n.depth_cun[1]:g}",
            low_mm=n.depth_cun[0] * cun_mm,
            high_mm=n.depth_cun[1] * cun_mm,
        )
        cautions = "\n".join(
            self.text("acu.caution", text=self.catalog.cautions[c](lang)) for c in p.cautions
        )
        return self.text(
            "acu.info",
            code=p.code,
            zh=p.names.zh,
            pinyin=p.pinyin,
            en=p.names.en,
            meridian=meridian,
            location=p.location(lang),
            needling=needling,
            cautions=cautions,
        )

    def _record_dwell(self) -> None:
        if self.selected is not None:
            code = self.placement.points[self.selected].code
            dwell = time.monotonic() - self._selected_since
            self.ctx.recorder.record(
                ObjectViewed(scene_id=self.scene_id, object_id=code, dwell_s=dwell)
            )

    def _record_control(self, control: str, value: str) -> None:
        self.ctx.recorder.record(ControlUsed(scene_id=self.scene_id, control=control, value=value))

    # search ------------------------------------------------------------------------------------
    def _refresh_results(self) -> None:
        panel = self.panels[2]
        query = self.search_query if self.searching else ""
        panel.set_text(
            self.search_button,
            self.text("acu.search_query", query=query) if query else self.text("acu.search"),
        )
        self._results = self.search.find(query, limit=5) if query else []
        for i, button in enumerate(self.result_buttons):
            if i < len(self._results):
                code = self._results[i]
                panel.set_text(
                    button, f"{code} {self.catalog[code].names.zh} {self.catalog[code].pinyin}"
                )
                panel.show(button, self.state in (None, "Browse"))
            else:
                panel.show(button, False)

    def _pick_result(self, index: int) -> None:
        if index < len(self._results):
            code = self._results[index]
            group = self._meridian_group(code)
            if group not in self.shown:
                self.toggle_meridian(group)
            self.select_point(self.placement.of(code)[0].key, via="mouse")

    # needling ---------------------------------------------------------------------------------
    def enterNeedling(self) -> None:
        if self.selected is None:
            fallback = (
                "ST36_l" if "ST36_l" in self.placement.points else next(iter(self.placement.points))
            )
            self.select_point(fallback)
        self.target = self.selected
        self.ctx.runtime.set_navigation("handle")
        self.needle = Needle(started=time.monotonic())
        self.needle_node.hide()
        self._show_mode_widgets("Needling")
        self.panels[2].set_slider(self.depth_slider, 0.0)
        code = self.placement.points[self.target].code
        self.panels[2].set_text(self.feedback, self.text("acu.target", name=self._label_text(code)))

    def exitNeedling(self) -> None:
        self.ctx.runtime.set_navigation(self.navigation)
        self.needle_node.hide()
        self.needle = Needle()

    def insert_at(self, entry, normal) -> None:
        """Touch the needle to the skin at ``entry``: perpendicular, not yet inserted."""
        self.needle.entry = np.asarray(entry, dtype=float)
        self.needle.normal = np.asarray(normal, dtype=float)
        self.needle.heading = -self.needle.normal
        self.needle.depth_cun = 0.0
        self.panels[2].set_slider(self.depth_slider, 0.0)
        self._update_needle()

    def aim_with(self, origin, direction) -> None:
        """Tilt the needle: its handle follows the pointer on a plane just off the skin."""
        n = self.needle
        if n.entry is None:
            return
        origin = np.asarray(origin, dtype=float)
        d = np.asarray(direction, dtype=float)
        plane_point = n.entry + n.normal * HANDLE_LIFT
        denom = d @ n.normal
        if abs(denom) < 1e-6:
            return
        t = ((plane_point - origin) @ n.normal) / denom
        if t <= 0:
            return
        handle = origin + t * d
        heading = n.entry - handle
        if heading @ n.normal < -1e-6:
            n.heading = heading / np.linalg.norm(heading)
            self._update_needle()

    def set_heading(self, heading) -> None:
        h = np.asarray(heading, dtype=float)
        self.needle.heading = h / np.linalg.norm(h)
        self._update_needle()

    def _set_depth_fraction(self, fraction: float) -> None:
        self.set_depth(fraction * MAX_DEPTH_CUN)

    def set_depth(self, depth_cun: float) -> None:
        self.needle.depth_cun = float(np.clip(depth_cun, 0.0, MAX_DEPTH_CUN))
        self.panels[2].set_slider(self.depth_slider, self.needle.depth_cun / MAX_DEPTH_CUN)
        self._update_needle()

    def change_depth(self, delta_cun: float) -> None:
        self.set_depth(self.needle.depth_cun + delta_cun)

    def _target_point(self) -> PlacedPoint:
        return self.placement.points[self.target]

    def _depth_m(self) -> float:
        return self.needle.depth_cun * self._target_point().cun_m

    def current_attempt(self):
        n = self.needle
        target = self._target_point()
        acupoint = self.catalog[target.code]
        report = self.probe.probe(n.entry, n.heading, self._depth_m())
        return score_attempt(
            acupoint, target, n.entry, n.heading, self._depth_m(), report, self.anchors, self._point
        )

    def _point(self, name: str, side: str | None) -> np.ndarray:
        code, _, site = name.partition("#")
        matches = [
            p
            for p in self.placement.of(code)
            if (p.site or "") == site and (p.side == side or p.side is None)
        ]
        return matches[0].position

    def _update_needle(self) -> None:
        n = self.needle
        if n.entry is None:
            return
        self.needle_node.show()
        self.needle_node.setPos(*n.entry)
        self.needle_node.lookAt(*(n.entry + n.heading))  # the model's +Y is its tip
        self.needle_shaft.setSy(max(self._depth_m(), 1e-4))
        self.panels[2].set_text(self.feedback, self._feedback_text(self.current_attempt()))

    def _feedback_text(self, attempt) -> str:
        lang = self.ctx.lang
        low, high = attempt.depth_range_cun
        if attempt.depth_ok:
            note = self.text("acu.depth_ok")
        elif attempt.depth_cun < low:
            note = self.text("acu.depth_shallow")
        else:
            note = self.text("acu.depth_deep")
        report = attempt.report
        danger = report.danger.kind if report.danger is not None else None
        if danger is not None and danger != self._buzzed:
            # A strong, long buzz in the hand that holds the needle: felt, not only read.
            self.ctx.runtime.haptic_pulse(self._hand, seconds=0.3, strength=1.0)
        self._buzzed = danger
        if report.danger is not None:
            reached = self.text("acu.danger", what=report.danger.message(lang))
        elif report.reached:
            names = [self._structure_name(r.structure_id) for r in report.reached]
            reached = self.text(
                "acu.reached", what="、".join(names) if lang == "zh-CN" else ", ".join(names)
            )
        else:
            reached = self.text("acu.reached_nothing")
        return self.text(
            "acu.feedback",
            mm=attempt.error_mm,
            cun=attempt.error_cun,
            angle=attempt.angle_error_deg,
            depth=attempt.depth_cun,
            low=f"{low:g}",
            high=f"{high:g}",
            depth_note=note,
            reached=reached,
        )

    def _structure_name(self, sid: str) -> str:
        if sid.startswith("eye_"):
            return "眼球" if self.ctx.lang == "zh-CN" else "eyeball"
        return self.body.catalog[sid].names(self.ctx.lang)

    def finish_attempt(self):
        """Score the needle as it stands and record the attempt."""
        if self.state != "Needling" or self.needle.entry is None:
            return None
        attempt = self.current_attempt()
        self.attempts += 1
        target = self._target_point()
        danger = attempt.report.danger
        self.ctx.recorder.record(
            NeedlingAttempted(
                scene_id=self.scene_id,
                point_code=target.code,
                side=target.side,
                error_mm=attempt.error_mm,
                error_cun=attempt.error_cun,
                angle_error_deg=attempt.angle_error_deg,
                depth_cun=attempt.depth_cun,
                depth_ok=attempt.depth_ok,
                reached=tuple(r.structure_id for r in attempt.report.reached),
                danger=danger.kind if danger else None,
                score=attempt.score,
                duration_s=time.monotonic() - self.needle.started,
            )
        )
        text = (
            self._feedback_text(attempt)
            + "\n"
            + self.text("acu.score", score=attempt.score, n=self.attempts)
        )
        self.panels[2].set_text(self.feedback, text)
        self.needle.started = time.monotonic()
        return attempt

    # quizzes ----------------------------------------------------------------------------------
    def _quiz_keys(self) -> list[str]:
        return [
            k
            for k, p in self.placement.points.items()
            if p.on_skin and p.side != "r" and not self.catalog[p.code].meridian.startswith("EX")
        ]

    def enterLocateQuiz(self) -> None:
        self.select_point(None)
        self.locate_quiz = LocatePointQuiz(self.placement, self._quiz_keys(), QUIZ_QUESTIONS)
        self.locate_started = time.monotonic()
        self._show_mode_widgets("LocateQuiz")
        for node in self.marker_nodes.values():
            node.hide()
        for node in self.tube_nodes.values():
            node.hide()
        self._ask_locate()

    def exitLocateQuiz(self) -> None:
        self.locate_quiz = None
        self._draw_overlays()

    def _ask_locate(self, prefix: str = "") -> None:
        quiz = self.locate_quiz
        target = quiz.ask(time.monotonic())
        if target is None:
            self.ctx.recorder.record(
                QuizCompleted(
                    scene_id=self.scene_id,
                    quiz_id="acupoint_locate",
                    score=quiz.score,
                    questions=len(quiz.answers),
                    duration_s=time.monotonic() - self.locate_started,
                )
            )
            text = prefix + self.text("acu.quiz_done", score=quiz.score * 100)
        else:
            text = prefix + self.text(
                "acu.locate_question",
                n=len(quiz.answers) + 1,
                total=len(quiz.order),
                name=self._label_text(target.code),
            )
        self.panels[2].set_text(self.feedback, text)

    def answer_locate(self, touched) -> None:
        quiz = self.locate_quiz
        if quiz is None or quiz.finished:
            return
        result = quiz.answer(touched, time.monotonic())
        self.ctx.recorder.record(
            QuizAnswered(
                scene_id=self.scene_id,
                quiz_id="acupoint_locate",
                question_id=result.key,
                answer_id=f"{result.error_mm:.0f}mm",
                correct=result.correct,
                duration_s=result.duration_s,
            )
        )
        shown = self.placement.points[result.key]
        self.selection_marker.setPos(*(shown.position + shown.normal * 0.002))
        self.selection_marker.show()
        prefix = self.text(
            "acu.locate_result", mm=result.error_mm, cun=result.error_cun, score=result.score * 100
        )
        self._ask_locate(prefix + "\n")

    def enterNameQuiz(self) -> None:
        self.select_point(None)
        keys = self._quiz_keys()
        codes = sorted({self.placement.points[k].code for k in keys}, key=self.catalog.order.index)
        self.name_quiz = NamePointQuiz(
            codes, {c: self.catalog[c].meridian for c in codes}, QUIZ_QUESTIONS
        )
        self.name_started = time.monotonic()
        self._show_mode_widgets("NameQuiz")
        self._ask_name()

    def exitNameQuiz(self) -> None:
        self.name_quiz = None
        self.selection_marker.hide()

    def _ask_name(self, prefix: str = "") -> None:
        quiz = self.name_quiz
        code = quiz.ask(time.monotonic())
        right = self.panels[2]
        if code is None:
            self.ctx.recorder.record(
                QuizCompleted(
                    scene_id=self.scene_id,
                    quiz_id="acupoint_name",
                    score=quiz.score,
                    questions=len(quiz.answers),
                    duration_s=time.monotonic() - self.name_started,
                )
            )
            right.set_text(
                self.feedback, prefix + self.text("acu.quiz_done", score=quiz.score * 100)
            )
            for button in self.choice_buttons:
                right.show(button, False)
            return
        p = self.placement.of(code)[0]
        self.selection_marker.setPos(*(p.position + p.normal * 0.002))
        self.selection_marker.show()
        for button, choice in zip(self.choice_buttons, quiz.current_choices, strict=False):
            right.set_text(button, self._label_text(choice))
        right.set_text(
            self.feedback,
            prefix + self.text("acu.name_question", n=len(quiz.answers) + 1, total=len(quiz.order)),
        )

    def _choose(self, index: int) -> None:
        quiz = self.name_quiz
        if quiz is None or quiz.finished:
            return
        picked = quiz.current_choices[index]
        result = quiz.answer(picked, time.monotonic())
        self.ctx.recorder.record(
            QuizAnswered(
                scene_id=self.scene_id,
                quiz_id="acupoint_name",
                question_id=result.code,
                answer_id=picked,
                correct=result.correct,
                duration_s=result.duration_s,
            )
        )
        verdict = (
            self.text("acu.right")
            if result.correct
            else self.text("acu.wrong", name=self._label_text(result.code))
        )
        self._ask_name(verdict + "\n")

    def enterBrowse(self) -> None:
        self._show_mode_widgets("Browse")
        self._refresh_results()

    # input ------------------------------------------------------------------------------------
    def _skin_hit(self, origin, direction):
        d = np.asarray(direction, dtype=float)
        d = d / np.linalg.norm(d)
        hit = self.anchors.on_skin(np.asarray(origin, dtype=float), d)
        if hit is None:
            return None
        _, normal = self.anchors.project(hit, "nearest", None)
        return hit, normal

    def on_button(self, event: ButtonEvent) -> None:
        if event.button in (Button.ADJUST_UP, Button.ADJUST_DOWN):
            if self.state == "Needling" and event.pressed:
                sign = 1 if event.button is Button.ADJUST_UP else -1
                self.change_depth(sign * DEPTH_STEP_CUN)
            return
        if event.button is not Button.SELECT:
            return
        if not event.pressed:
            self.needle.dragging = False
            self._drag = None
            return
        if event.ray is None or self._press_panels(event):
            return
        via = "mouse" if event.ray.source == "mouse" else "controller"
        origin, direction = event.ray.origin, event.ray.direction
        self._hand = event.ray.source
        if self.state == "Needling":
            skin = self._skin_hit(origin, direction)
            if skin is not None:
                self.insert_at(*skin)
                self.needle.dragging = True
            return
        if self.state == "LocateQuiz":
            skin = self._skin_hit(origin, direction)
            if skin is not None:
                self.answer_locate(skin[0])
            return
        if self.state == "Browse":
            self.select_point(self.point_at(origin, direction), via=via)

    def frame(self, dt: float) -> None:
        rays = self.ctx.runtime.pointer_rays()
        self._track_panels(rays)
        if self.needle.dragging and rays:
            self.aim_with(rays[0].origin, rays[0].direction)
        if self.flow:
            self._step_flow(dt)

    # tour and scripts ---------------------------------------------------------------------------
    def tour(self) -> list[tuple[str, str, str | None]]:
        return [
            ("front", "front", None),
            ("back", "back", None),
            ("lung-meridian", "arm", "only:LU"),
            ("stomach-meridian-flow", "front", "flow:ST"),
            ("deep-view", "chest", "deep"),
            ("select-st36", "leg", "select:ST36_l"),
            ("needle-st36", "knee", "needle:ST36_l"),
            ("needle-too-deep", "upper_back", "needle-deep:BL13_l"),
            ("locate-quiz", "front", "locate"),
            ("name-quiz", "front", "name"),
        ]

    def perform(self, action: str) -> None:
        kind, _, arg = action.partition(":")
        if kind == "only":
            self.request("Browse")
            self.show_meridians(False)
            self.toggle_meridian(arg)
            if not self.show_labels:
                self.toggle_labels()
        elif kind == "flow":
            self.show_meridians(False)
            self.toggle_meridian(arg)
            if self.show_labels:
                self.toggle_labels()
            if not self.flow:
                self.toggle_flow()
            self._step_flow(1.0)
        elif kind == "deep":
            if self.flow:
                self.toggle_flow()
            self.show_meridians(True)
            if not self.deep:
                self.toggle_deep()
        elif kind == "select":
            self.request("Browse")
            self.select_point(arg if arg in self.placement.points else None)
        elif kind in ("needle", "needle-deep"):
            self.request("Browse")
            self.select_point(arg if arg in self.placement.points else None)
            self.request("Needling")
            target = self._target_point()
            acupoint = self.catalog[target.code]
            self.insert_at(target.position, target.normal)
            if kind == "needle":
                self.set_heading(standard_heading(acupoint, target, self.anchors, self._point))
                self.set_depth(sum(acupoint.needling.depth_cun) / 2)
            else:
                self.set_depth(MAX_DEPTH_CUN)
            self.finish_attempt()
        elif kind == "locate":
            self.request("LocateQuiz")
        elif kind == "name":
            self.request("NameQuiz")
        else:
            raise SceneError(f"unknown acupuncture action {action!r}", f"未知的针灸操作 {action!r}")
