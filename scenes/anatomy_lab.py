"""The anatomy lab: the body by systems and layers, picked, sectioned, exploded, quizzed.

Everything the learner does goes through the runtime's pointer rays and buttons, so the
mouse and a VR laser work alike; the panels are world-space cards in front of the viewer.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from panda3d.core import GeomNode, NodePath

from anatomy.body_model import Body, load_body
from anatomy.errors import AnatomyError
from anatomy.picking import StructurePicker
from anatomy.quiz import FindStructureQuiz
from anatomy.search import StructureSearch
from scenes.base import Scene, View
from scenes.batching import Batches
from scenes.errors import SceneError
from scenes.geometry_cache import cached_geom_nodes, file_key, geom_arrays
from scenes.meshes import pack_vertices, packed_geom_node
from scenes.panel_input import PanelInput
from scenes.panels import Panel, Widget
from scenes.registry import register
from scenes.resources import resource_path
from scenes.runtime.base import Button, ButtonEvent
from sync.events import (
    ControlUsed,
    ObjectSelected,
    ObjectViewed,
    QuizAnswered,
    QuizCompleted,
)

# Colours a trainee expects from atlases: bone ivory, muscle red, arteries red, veins
# blue, nerves yellow; organs in their own tones.
SYSTEM_COLOURS = {
    "integumentary": (0.93, 0.76, 0.65),
    "skeletal": (0.92, 0.88, 0.78),
    "muscular": (0.72, 0.24, 0.22),
    "cardiovascular": (0.78, 0.12, 0.14),
    "respiratory": (0.93, 0.62, 0.66),
    "digestive": (0.84, 0.55, 0.42),
    "urinary": (0.80, 0.66, 0.30),
    "reproductive": (0.86, 0.52, 0.62),
    "nervous": (0.95, 0.85, 0.35),
    "endocrine": (0.75, 0.45, 0.55),
    "lymphatic": (0.50, 0.18, 0.25),
}
STRUCTURE_COLOURS = {
    "liver": (0.55, 0.22, 0.16),
    "spleen": (0.50, 0.18, 0.25),
    "gallbladder": (0.35, 0.55, 0.25),
    "kidney_l": (0.55, 0.25, 0.20),
    "kidney_r": (0.55, 0.25, 0.20),
    "pancreas": (0.90, 0.75, 0.50),
    "cerebrum": (0.90, 0.75, 0.72),
    "cerebellum": (0.85, 0.68, 0.66),
}
VEIN_COLOUR = (0.20, 0.32, 0.75)
DEFAULT_HIDDEN_SYSTEMS = {"muscular"}
# The pleural sacs wrap the lung lobes: hidden at first, and see-through when shown.
DEFAULT_HIDDEN_STRUCTURES = {"pleura_l", "pleura_r"}
SEE_THROUGH = {"pleura_l": 0.3, "pleura_r": 0.3}
OUTER_LAYER = 1  # skin (0) and superficial muscles (1) take the opacity slider
EXPLODE_SCALE = 0.7
EXPLODE_SECONDS = 0.6
QUIZ_QUESTIONS = 10

ASSET_ENV = "MEDVR_ANATOMY_ASSETS"


def asset_dir() -> Path:
    """The pipeline's output: ``MEDVR_ANATOMY_ASSETS`` or the shipped ``assets/anatomy``."""
    override = os.environ.get(ASSET_ENV)
    if override:
        return Path(override)
    try:
        return resource_path("assets", "anatomy")
    except SceneError:
        return Path("assets-anatomy-missing")


@functools.lru_cache(maxsize=4)
def _cached_body(
    directory: str, shape: str | None, imports: str | None, imports_mtime: float
) -> tuple[Body, StructurePicker]:
    body = load_body(Path(directory), shape, imports=Path(imports) if imports else None)
    return body, StructurePicker(body.meshes)


def body_source(data_dir: Path | None) -> tuple[str, str | None, float]:
    """What the user's body is read from: the asset folder, their imported meshes (if
    any) and the imports' modification time; the key of the cached bodies."""
    imports = imports_file(data_dir)
    mtime = imports.stat().st_mtime if imports else 0.0
    return str(asset_dir()), str(imports) if imports else None, mtime


def imports_file(data_dir: Path | None) -> Path | None:
    """The user's imported full-detail meshes, if any (``medvr assets import``)."""
    if data_dir is None:
        return None
    from anatomy.importer import IMPORT_FILE

    path = data_dir / "anatomy" / IMPORT_FILE
    return path if path.exists() else None


def structure_colour(body: Body, structure_id: str) -> tuple[float, float, float]:
    if structure_id in STRUCTURE_COLOURS:
        return STRUCTURE_COLOURS[structure_id]
    entry = body.catalog[structure_id]
    if entry.system == "cardiovascular" and ("vein" in structure_id or "cava" in structure_id):
        return VEIN_COLOUR
    return SYSTEM_COLOURS.get(entry.system, (0.8, 0.8, 0.8))


def _structure_geoms(body: Body) -> dict[str, GeomNode]:
    """One GeomNode per structure, in its atlas colour, with smooth normals."""
    out = {}
    for sid in body.structures:
        mesh = body.mesh(sid)
        rgb = structure_colour(body, sid)
        rows = pack_vertices(mesh.vertices, mesh.vertex_normals, (*rgb, 1.0))
        out[sid] = packed_geom_node(sid, rows, mesh.faces)
    return out


def structure_geometry(body: Body, cache_dir: Path | None, data_dir: Path | None):
    """Every structure's GeomNode (from the bam cache when it has them), the packed arrays
    batches merge, and where the nodes came from ("cache", "built", …)."""
    directory = asset_dir()
    files = sorted(directory.glob("*.json")) + sorted(directory.glob("*.glb"))
    files += sorted((directory / "shapes").glob("*.npz"))
    imports = imports_file(data_dir)
    if imports is not None:
        files.append(imports)
    colours = repr((SYSTEM_COLOURS, STRUCTURE_COLOURS, VEIN_COLOUR))
    geoms, source = cached_geom_nodes(
        cache_dir,
        f"anatomy-{body.shape}",
        [body.shape, colours, *file_key(files)],
        lambda: _structure_geoms(body),
        expect=body.structures,
    )
    packed = {sid: geom_arrays(node) for sid, node in geoms.items()}
    return geoms, packed, source


@dataclass
class Visibility:
    """What is shown: systems switched on, structures hidden, or one isolated."""

    systems: frozenset[str]
    hidden: frozenset[str] = frozenset()
    isolated: str | None = None

    def shows(self, structure_id: str, system: str) -> bool:
        if self.isolated is not None:
            return structure_id == self.isolated
        return system in self.systems and structure_id not in self.hidden


@dataclass
class SectionState:
    axis: str | None = None  # "axial", "sagittal", "coronal"
    fraction: float = 0.5  # across the body's extent on that axis


@dataclass
class Selection:
    structure_id: str | None = None
    since: float = 0.0
    label: NodePath | None = None


@dataclass
class ExplodeState:
    on: bool = False
    amount: float = 0.0  # 0 assembled … 1 fully apart
    offsets: dict[str, np.ndarray] = field(default_factory=dict)


@register
class AnatomyLabScene(PanelInput, Scene):
    scene_id = "anatomy"
    title_key = "module.anatomy"
    navigation = "orbit"
    background = (0.12, 0.13, 0.16, 1)
    views = {
        "front": View((0.0, -2.9, 1.05), (0.0, 0.0, 0.95), "anatomy.view.front"),
        "thorax": View((0.25, -1.25, 1.38), (0.0, 0.0, 1.28), "anatomy.view.thorax"),
        "abdomen": View((0.2, -1.2, 1.05), (0.0, 0.0, 1.02), "anatomy.view.abdomen"),
        "head": View((0.15, -0.95, 1.62), (0.0, 0.0, 1.58), "anatomy.view.head"),
        "side": View((-2.7, -0.4, 1.05), (0.0, 0.0, 0.95), "anatomy.view.side"),
        "back": View((0.0, 2.9, 1.05), (0.0, 0.0, 0.95), "anatomy.view.back"),
    }
    default_view = "front"

    @classmethod
    def available(cls) -> bool:
        return (asset_dir() / "manifest.json").is_file()

    # building --------------------------------------------------------------------------
    def build(self) -> None:
        try:
            directory, imports, mtime = body_source(self.ctx.data_dir)
            self.body, self.picker = _cached_body(directory, None, imports, mtime)
        except AnatomyError as e:
            raise SceneError(str(e), e.zh) from None
        self.search = StructureSearch(self.body.catalog)
        self.nodes: dict[str, NodePath] = {}
        self.colours: dict[str, tuple[float, float, float]] = {}
        shading = self.ctx.shading
        model = self.root.attachNewNode("body")
        shading.cap_from_vertex_color(model)
        singles = model.attachNewNode("structures")
        geoms, packed, self.geometry_source = structure_geometry(
            self.body, self.ctx.cache_dir, self.ctx.data_dir
        )
        for sid in self.body.structures:
            node = singles.attachNewNode(geoms[sid])
            node.hide()
            self.nodes[sid] = node
            self.colours[sid] = structure_colour(self.body, sid)
        # Structures sharing a look are drawn merged, one draw call per system and look;
        # a single node is shown only for the selected one and while exploding.
        self.batches = Batches(model, shading, packed)
        self.systems = self.body.systems_present()
        self.visibility = Visibility(
            frozenset(self.systems) - DEFAULT_HIDDEN_SYSTEMS,
            frozenset(DEFAULT_HIDDEN_STRUCTURES & set(self.body.structures)),
        )
        self.undo_stack: list[Visibility] = []
        self.outer_opacity = 0.35
        self.xray = False
        self.section = SectionState()
        self.selection = Selection()
        self.explode = ExplodeState()
        self.quiz: FindStructureQuiz | None = None
        self.search_query = ""
        self.searching = False
        self._drag: tuple[Panel, Widget] | None = None
        self._build_panels()
        self._apply_visibility()
        self._apply_looks()
        self._listen_for_typing()

    def _build_panels(self) -> None:
        head = self.ctx.runtime.head
        t = self.text
        lang = self.ctx.lang
        catalog = self.body.catalog

        left = Panel(self.ctx.labels, head, "systems", width=0.26)
        left.root.setPos(-0.8, 1.0, 0.42)
        left.add_heading(t("anatomy.systems"))
        self.system_buttons: dict[str, Widget] = {}
        for system in self.systems:
            name = catalog.systems[system].names(lang)
            self.system_buttons[system] = left.add_button(
                f"system-{system}", name, lambda _f, s=system: self.toggle_system(s)
            )
        self.opacity_slider = left.add_slider(
            "opacity", t("anatomy.opacity"), self.outer_opacity, self.set_outer_opacity
        )
        self.xray_button = left.add_button("xray", t("anatomy.xray"), lambda _f: self.toggle_xray())

        tools = Panel(self.ctx.labels, head, "tools", width=0.2)
        tools.root.setPos(-0.525, 1.0, 0.42)
        tools.add_heading(t("anatomy.tools"))
        tools.add_button("hide", t("anatomy.hide"), lambda _f: self.hide_selected())
        tools.add_button("isolate", t("anatomy.isolate"), lambda _f: self.isolate_selected())
        tools.add_button("show_all", t("anatomy.show_all"), lambda _f: self.show_all())
        tools.add_button("undo", t("anatomy.undo"), lambda _f: self.undo())
        self.section_buttons: dict[str, Widget] = {}
        for axis in ("axial", "sagittal", "coronal"):
            self.section_buttons[axis] = tools.add_button(
                f"section-{axis}",
                t(f"anatomy.section_{axis}"),
                lambda _f, a=axis: self.set_section(a),
            )
        tools.add_button("section-off", t("anatomy.section_off"), lambda _f: self.set_section(None))
        self.section_slider = tools.add_slider(
            "section-position", t("anatomy.section_position"), 0.5, self.move_section
        )
        self.explode_button = tools.add_button(
            "explode", t("anatomy.explode"), lambda _f: self.toggle_explode()
        )
        self.quiz_button = tools.add_button(
            "quiz", t("anatomy.quiz"), lambda _f: self.toggle_quiz()
        )

        right = Panel(self.ctx.labels, head, "info", width=0.34)
        right.root.setPos(0.44, 1.0, 0.42)
        self.info = right.add_text("info", t("anatomy.info_empty"), lines=22, scale=0.016)
        self.search_button = right.add_button(
            "search", t("anatomy.search"), lambda _f: self.toggle_search()
        )
        self.result_buttons = [
            right.add_button(f"result-{i}", "", lambda _f, i=i: self._pick_result(i))
            for i in range(5)
        ]
        self.quiz_text = right.add_text("quiz", "", lines=3)
        right.show(self.quiz_text, False)
        self.panels = [left, tools, right]
        self._results: list[str] = []
        self._refresh_results()

    def teardown(self) -> None:
        self._record_dwell()
        self.batches.clear()
        for panel in self.panels:
            panel.root.removeNode()
        self.panels = []

    # visibility -------------------------------------------------------------------------
    def _push(self, visibility: Visibility, control: str, value: str) -> None:
        self.undo_stack.append(self.visibility)
        self.visibility = visibility
        self._apply_visibility()
        self._record_control(control, value)

    def _apply_visibility(self) -> None:
        self._draw()
        for system, button in self.system_buttons.items():
            self.panels[0].set_active(button, system in self.visibility.systems)

    def visible_ids(self) -> set[str]:
        catalog = self.body.catalog
        return {sid for sid in self.nodes if self.visibility.shows(sid, catalog[sid].system)}

    def toggle_system(self, system: str) -> None:
        systems = set(self.visibility.systems) ^ {system}
        on = system in systems
        self._push(
            Visibility(frozenset(systems), self.visibility.hidden), "system", f"{system}={on}"
        )

    def hide_selected(self) -> None:
        sid = self.selection.structure_id
        if sid is None:
            return
        hidden = self.visibility.hidden | {sid}
        self._push(Visibility(self.visibility.systems, hidden), "hide", sid)
        self.select(None)

    def isolate_selected(self) -> None:
        sid = self.selection.structure_id
        if sid is not None:
            self._push(
                Visibility(self.visibility.systems, self.visibility.hidden, sid), "isolate", sid
            )

    def show_all(self) -> None:
        self._push(Visibility(frozenset(self.systems)), "show_all", "all")

    def undo(self) -> None:
        if self.undo_stack:
            self.visibility = self.undo_stack.pop()
            self._apply_visibility()
            self._record_control("undo", "visibility")

    # looks: opacity, x-ray, highlight -----------------------------------------------------
    def set_outer_opacity(self, value: float) -> None:
        self.outer_opacity = float(value)
        self._apply_looks()
        self._record_control("opacity", f"{value:.2f}")

    def toggle_xray(self) -> None:
        self.xray = not self.xray
        self.panels[0].set_active(self.xray_button, self.xray)
        self._apply_looks()
        self._record_control("xray", str(self.xray).lower())

    def _alpha(self, sid: str) -> float | None:
        alpha = None
        if self.body.catalog[sid].layer <= OUTER_LAYER and self.outer_opacity < 0.99:
            alpha = round(max(self.outer_opacity, 0.02), 3)
        if sid in SEE_THROUGH and sid != self.selection.structure_id:
            alpha = min(alpha or 1.0, SEE_THROUGH[sid])
        if self.xray and sid != self.selection.structure_id:
            alpha = min(alpha or 1.0, 0.22)
        return alpha

    def _apply_looks(self) -> None:
        shading = self.ctx.shading
        selected = self.selection.structure_id
        for sid, node in self.nodes.items():
            shading.set_xray(node, self._alpha(sid))
            shading.set_highlight(node, sid == selected)
        self._draw()

    def _draw(self) -> None:
        """Show single nodes where a structure needs its own state, batches for the rest."""
        catalog = self.body.catalog
        selected = self.selection.structure_id
        moving = 0.0 < self.explode.amount < 1.0
        groups: dict[tuple[str, float | None], list[str]] = {}
        for sid, node in self.nodes.items():
            shown = self.visibility.shows(sid, catalog[sid].system)
            alone = shown and (moving or sid == selected)
            if alone:
                node.show()
            else:
                node.hide()
            if shown and not alone:
                groups.setdefault((catalog[sid].system, self._alpha(sid)), []).append(sid)
        exploded = self.explode.amount >= 1.0
        self.batches.show(groups, self.explode.offsets if exploded else None, 1.0)

    def drawn_ids(self) -> set[str]:
        """Structures on screen now, alone or in a batch."""
        alone = {sid for sid, node in self.nodes.items() if not node.isHidden()}
        return alone | self.batches.members()

    # section ----------------------------------------------------------------------------
    def section_plane(self) -> tuple[float, float, float, float] | None:
        """World plane (a, b, c, d), a·p + d >= 0 kept: the near or upper part is cut away."""
        axis = self.section.axis
        if axis is None:
            return None
        low = np.min([m.bounds[0] for m in self.body.meshes.values()], axis=0)
        high = np.max([m.bounds[1] for m in self.body.meshes.values()], axis=0)
        f = self.section.fraction
        if axis == "axial":  # keep below the plane, looking down into the cut
            z = low[2] + f * (high[2] - low[2])
            return (0.0, 0.0, -1.0, z)
        if axis == "sagittal":  # keep the subject's left (+X), the cut faces the right
            x = low[0] + f * (high[0] - low[0])
            return (1.0, 0.0, 0.0, -x)
        y = low[1] + f * (high[1] - low[1])  # coronal: keep the back, cut faces the front
        return (0.0, 1.0, 0.0, -y)

    def set_section(self, axis: str | None) -> None:
        self.section.axis = axis
        for name, button in self.section_buttons.items():
            self.panels[1].set_active(button, name == axis)
        self._apply_section()
        self._record_control("section", axis or "off")

    def move_section(self, fraction: float) -> None:
        self.section.fraction = float(fraction)
        self._apply_section()
        self._record_control("section_position", f"{fraction:.2f}")

    def _apply_section(self) -> None:
        self.ctx.shading.set_section(self.root.find("body"), self.section_plane())

    # explode ----------------------------------------------------------------------------
    def toggle_explode(self) -> None:
        self.explode.on = not self.explode.on
        if not self.explode.offsets:
            centre = self.body.centre
            for sid in self.nodes:
                if self.body.catalog[sid].layer == 0:
                    continue  # the skin stays as the frame of reference
                direction = self.body.mesh(sid).centroid - centre
                direction[2] *= 0.6
                self.explode.offsets[sid] = direction * EXPLODE_SCALE
        self.panels[1].set_active(self.explode_button, self.explode.on)
        self._record_control("explode", str(self.explode.on).lower())

    def _step_explode(self, dt: float) -> None:
        target = 1.0 if self.explode.on else 0.0
        if self.explode.amount == target:
            return
        step = dt / EXPLODE_SECONDS
        was_moving = 0.0 < self.explode.amount < 1.0
        self.explode.amount = float(
            np.clip(self.explode.amount + np.sign(target - self.explode.amount) * step, 0, 1)
        )
        eased = self.explode.amount * self.explode.amount * (3 - 2 * self.explode.amount)
        for sid, offset in self.explode.offsets.items():
            self.nodes[sid].setPos(*(offset * eased))
        if was_moving != (0.0 < self.explode.amount < 1.0):
            self._draw()  # single nodes while moving, merged batches at rest

    # selection --------------------------------------------------------------------------
    def select(self, structure_id: str | None, via: str = "script") -> None:
        if structure_id == self.selection.structure_id:
            return
        self._record_dwell()
        if self.selection.label is not None:
            self.selection.label.removeNode()
        self.selection = Selection(structure_id, time.monotonic())
        self._apply_looks()
        if structure_id is None:
            self.panels[2].set_text(self.info, self.text("anatomy.info_empty"))
            return
        entry = self.body.catalog[structure_id]
        lang = self.ctx.lang
        centroid = self.body.mesh(structure_id).centroid
        self.selection.label = self.ctx.labels.make(
            self.nodes[structure_id], entry.names(lang), name="selection", height=0.035
        )
        # Beside the structure, up and toward the viewer, so it never hides what it names.
        self.selection.label.setPos(*(centroid + np.array([0.06, -0.12, 0.05])))
        self.selection.label.setBin("fixed", 90)
        self.selection.label.setDepthTest(False)
        catalog = self.body.catalog
        description = entry.description(lang)
        if entry.schematic and "imported_from" not in self.body.structures[structure_id].extras:
            description += " " + self.text("anatomy.schematic")
        self.panels[2].set_text(
            self.info,
            self.text(
                "anatomy.info",
                zh=entry.names.zh,
                en=entry.names.en,
                la=entry.names.la or "",
                system=catalog.systems[entry.system].names(lang),
                region=catalog.regions[entry.region].names(lang),
                description=description,
            ),
        )
        self.ctx.recorder.record(
            ObjectSelected(scene_id=self.scene_id, object_id=structure_id, via=via)
        )

    def _record_dwell(self) -> None:
        sid = self.selection.structure_id
        if sid is not None:
            dwell = time.monotonic() - self.selection.since
            self.ctx.recorder.record(
                ObjectViewed(scene_id=self.scene_id, object_id=sid, dwell_s=dwell)
            )

    def _record_control(self, control: str, value: str) -> None:
        self.ctx.recorder.record(ControlUsed(scene_id=self.scene_id, control=control, value=value))

    def pick(self, origin, direction):
        return self.picker.pick(origin, direction, self.visible_ids(), self.section_plane())

    # search -----------------------------------------------------------------------------
    def _refresh_results(self) -> None:
        panel = self.panels[2] if self.panels else None
        if panel is None:
            return
        query = self.search_query if self.searching else ""
        label = (
            self.text("anatomy.search_query", query=query) if query else self.text("anatomy.search")
        )
        panel.set_text(self.search_button, label)
        found = (
            [s for s in self.search.find(query, limit=8) if s in self.nodes][:5] if query else []
        )
        self._results = found
        lang = self.ctx.lang
        for i, button in enumerate(self.result_buttons):
            panel.show(button, i < len(found))
            panel.set_text(
                button, self.body.catalog[found[i]].names(lang) if i < len(found) else ""
            )

    def _pick_result(self, index: int) -> None:
        if index < len(self._results):
            sid = self._results[index]
            self._record_control("search", self.search_query or sid)
            self.select(sid, via="mouse")

    # quiz (a mode) ----------------------------------------------------------------------
    def toggle_quiz(self) -> None:
        self.request("Browse" if self.state == "Quiz" else "Quiz")

    def enterQuiz(self) -> None:
        candidates = sorted(sid for sid in self.visible_ids() if self.body.catalog[sid].layer > 0)
        self.quiz = FindStructureQuiz(candidates, questions=QUIZ_QUESTIONS)
        self.quiz.ask(time.monotonic())
        self.panels[1].set_active(self.quiz_button, True)
        self.panels[2].show(self.quiz_text, True)
        self._show_question()
        self._record_control("quiz", "start")

    def exitQuiz(self) -> None:
        self.panels[1].set_active(self.quiz_button, False)
        self.panels[2].show(self.quiz_text, False)
        self.quiz = None

    def _show_question(self, prefix: str = "") -> None:
        quiz = self.quiz
        if quiz.finished:
            text = self.text(
                "anatomy.quiz_done",
                score=round(quiz.score * 100),
                seconds=f"{quiz.duration_s:.1f}",
            )
        else:
            entry = self.body.catalog[quiz.current]
            text = self.text(
                "anatomy.quiz_question",
                name=entry.names(self.ctx.lang),
                n=len(quiz.answers) + 1,
                total=len(quiz.order),
            )
        self.panels[2].set_text(self.quiz_text, f"{prefix}\n{text}" if prefix else text)

    def answer_quiz(self, picked: str) -> None:
        quiz = self.quiz
        if quiz is None or quiz.finished:
            return
        result = quiz.answer(picked, time.monotonic())
        self.ctx.recorder.record(
            QuizAnswered(
                scene_id=self.scene_id,
                quiz_id="find_structure",
                question_id=result.question_id,
                answer_id=result.answer_id,
                correct=result.correct,
                duration_s=result.duration_s,
            )
        )
        if result.correct:
            feedback = self.text("anatomy.quiz_right", seconds=f"{result.duration_s:.1f}")
        else:
            picked_name = self.body.catalog[picked].names(self.ctx.lang)
            feedback = self.text("anatomy.quiz_wrong", picked=picked_name)
        if quiz.finished:
            self.ctx.recorder.record(
                QuizCompleted(
                    scene_id=self.scene_id,
                    quiz_id="find_structure",
                    score=quiz.score,
                    questions=len(quiz.order),
                    duration_s=quiz.duration_s,
                )
            )
        self._show_question(feedback)

    # input ------------------------------------------------------------------------------
    def on_button(self, event: ButtonEvent) -> None:
        if event.button is not Button.SELECT or event.ray is None:
            return
        if self._press_panels(event) or not event.pressed:
            return
        via = "mouse" if event.ray.source == "mouse" else "controller"
        found = self.pick(event.ray.origin, event.ray.direction)
        if self.state == "Quiz":
            if found is not None:
                self.answer_quiz(found.structure_id)
            return
        self.select(found.structure_id if found else None, via=via)

    def frame(self, dt: float) -> None:
        rays = self.ctx.runtime.pointer_rays()
        self._track_panels(rays)
        self._step_explode(dt)

    # tour and scripts ---------------------------------------------------------------------
    def tour(self) -> list[tuple[str, str, str | None]]:
        steps = [(name, name, None) for name in self.views]
        steps += [
            ("select-heart", "thorax", "select:heart"),
            ("section-axial", "thorax", "section:axial:0.72"),
            ("xray", "front", "xray"),
            ("explode", "front", "explode"),
            ("quiz", "front", "quiz"),
        ]
        return steps

    def perform(self, action: str) -> None:
        kind, _, arg = action.partition(":")
        if kind == "select":
            target = arg if arg in self.nodes else next(iter(self.nodes))
            self.select(target)
        elif kind == "section":
            axis, _, fraction = arg.partition(":")
            self.set_section(axis)
            if fraction:
                self.move_section(float(fraction))
                self.panels[1].set_slider(self.section_slider, float(fraction))
        elif kind == "xray":
            self.set_section(None)
            self.toggle_xray()
        elif kind == "explode":
            self.toggle_xray()
            self.toggle_explode()
            self._step_explode(EXPLODE_SECONDS)
        elif kind == "quiz":
            self.request("Quiz")
        else:
            raise SceneError(f"unknown anatomy action {action!r}", f"未知的解剖操作 {action!r}")
