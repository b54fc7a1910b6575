"""CME credit, evaluated locally: courses made of lessons made of units with rules, checked
against the user's own xAPI statements, and the lesson and course completions due once.

A course file (`sync/data/courses.json`, its source in SOURCE.md beside it) holds
`courses`, each with an id, a title {"zh-CN", "en"}, `credits` (a number), `credit_type`
(an id such as "cme-class-ii"), `credit_name` {"zh-CN", "en"} and `lessons`; a lesson has
an id, a title and `units`; a unit has an id, a title, a `rule` kind and that kind's fields:

rule      fields                             met when, over the statements of the user
--------  ---------------------------------  ---------------------------------------------
quiz      quiz_id, min_score (0..1)          the best score.scaled of passed/failed on
                                             {base}/quiz/{quiz_id} is ≥ min_score
needling  attempts (≥ 1), min_score          at least `attempts` attempted on {base}/
          (0..100, default 70), points       acupuncture/needling/{code} (a code of `points`
          (optional codes)                   if given) scoring raw ≥ min_score, no danger
dwell     scene or scene_prefix,             the durations of exited on {base}/scene/{id}
          min_minutes (> 0)                  (every id starting with scene_prefix) add up
                                             to ≥ min_minutes
viewed    scene, count (≥ 1), objects        experienced on at least `count` distinct
          (optional ids)                     objects of the scene (of `objects` if given)

A lesson is met when all its units are, a course when all its lessons are. A completion
once issued (a `completed` statement on the lesson, a `passed` one on the course, by this
user) stays done and is never due again, so evaluating twice never issues twice.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from sync.errors import SyncError
from sync.events import CourseCompleted, LessonCompleted, utc_now
from sync.statements import (
    ADL_VERB_BASE,
    NEEDLING_PASS_SCORE,
    NameLookup,
    activity_iri,
    duration_seconds,
    has_chinese,
    scene_object_iri,
)

logger = logging.getLogger("medvr.sync")

COURSES_PATH = Path(__file__).parent / "data" / "courses.json"
RULE_KINDS = ("quiz", "needling", "dwell", "viewed")
LANGUAGES = ("zh-CN", "en")

_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
# Float sums of centisecond durations must not miss a boundary by a rounding error.
_EPSILON = 1e-9


# --- course data ---------------------------------------------------------------------------


class Title(NamedTuple):
    """A user-facing text in both languages."""

    zh_cn: str
    en: str

    def text(self, language: str) -> str:
        return self.zh_cn if language.lower().startswith("zh") else self.en

    def as_dict(self) -> dict[str, str]:
        return {"zh-CN": self.zh_cn, "en": self.en}


@dataclass(frozen=True)
class QuizRule:
    quiz_id: str
    min_score: float
    kind = "quiz"


@dataclass(frozen=True)
class NeedlingRule:
    attempts: int
    min_score: float = NEEDLING_PASS_SCORE
    points: tuple[str, ...] | None = None
    kind = "needling"


@dataclass(frozen=True)
class DwellRule:
    min_minutes: float
    scene: str | None = None
    scene_prefix: str | None = None
    kind = "dwell"


@dataclass(frozen=True)
class ViewedRule:
    scene: str
    count: int
    objects: tuple[str, ...] | None = None
    kind = "viewed"


Rule = QuizRule | NeedlingRule | DwellRule | ViewedRule


def rule_as_dict(rule: Rule) -> dict[str, Any]:
    """The rule as its course-file fields: {"rule": kind, …}, unset options left out."""
    data: dict[str, Any] = {"rule": rule.kind}
    for name, value in vars(rule).items():
        if value is not None:
            data[name] = list(value) if isinstance(value, tuple) else value
    return data


@dataclass(frozen=True)
class Unit:
    id: str
    title: Title
    rule: Rule


@dataclass(frozen=True)
class Lesson:
    id: str
    title: Title
    units: tuple[Unit, ...]


@dataclass(frozen=True)
class Course:
    id: str
    title: Title
    credits: float
    credit_type: str
    credit_name: Title
    lessons: tuple[Lesson, ...]


def load_courses(path: Path | str | None = None) -> tuple[Course, ...]:
    """The courses of a course file (the shipped one by default), validated; SyncError
    naming the file and the place in it when something does not fit."""
    path = Path(path) if path is not None else COURSES_PATH
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SyncError(f"{path}: no such course file", f"{path}：课程文件不存在") from None
    except UnicodeDecodeError:
        raise SyncError(f"{path}: not UTF-8 text", f"{path}：不是 UTF-8 文本") from None
    except json.JSONDecodeError as e:
        raise SyncError(
            f"{path}: line {e.lineno} column {e.colno}: not valid JSON ({e.msg})",
            f"{path}：第 {e.lineno} 行第 {e.colno} 列：不是有效的 JSON（{e.msg}）",
        ) from None
    return parse_courses(data, str(path))


def parse_courses(data: object, source: str = "courses.json") -> tuple[Course, ...]:
    """Courses from a parsed course file; `source` names it in errors."""
    return _CourseReader(source).courses(data)


def activity_names(courses: Iterable[Course]) -> NameLookup:
    """A `StatementFactory(names=…)` lookup giving courses and lessons their titles."""
    names: dict[tuple[str, str], dict[str, str]] = {}
    for course in courses:
        names["course", course.id] = _display(course.title)
        for lesson in course.lessons:
            names["lesson", f"{course.id}/{lesson.id}"] = _display(lesson.title)

    def lookup(kind: str, object_id: str) -> Mapping[str, str] | None:
        return names.get((kind, object_id))

    return lookup


def _display(title: Title) -> dict[str, str]:
    return {"zh-CN": title.zh_cn, "en-US": title.en}


_COMMON_FIELDS = ("id", "title", "rule")
_RULE_FIELDS = {
    "quiz": ("quiz_id", "min_score"),
    "needling": ("attempts", "min_score", "points"),
    "dwell": ("scene", "scene_prefix", "min_minutes"),
    "viewed": ("scene", "count", "objects"),
}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class _CourseReader:
    """Validates a course file's data, failing with the file and the place in it."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, en: str, zh: str) -> SyncError:
        place = f"{self.source}: {where}" if where else self.source
        place_zh = f"{self.source}：{where}" if where else self.source
        return SyncError(f"{place}: {en}", f"{place_zh}：{zh}")

    def fields(self, value: object, where: str, allowed: Iterable[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "expected an object", "应为一个对象")
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            names = ", ".join(unknown)
            raise self.fail(
                where,
                f"unknown field {names}; expected {', '.join(allowed)}",
                f"未知字段 {names}；应为 {', '.join(allowed)}",
            )
        return value

    def id(self, obj: dict, where: str, seen: dict[str, str]) -> str:
        value = obj.get("id")
        place = f"{where}.id"
        if not isinstance(value, str) or not _ID.match(value):
            raise self.fail(
                place,
                f"{value!r}: expected a lowercase id (a-z, 0-9, _ . -) such as thorax_basics",
                f"{value!r}：应为小写标识（a-z、0-9、_ . -），例如 thorax_basics",
            )
        if value in seen:
            raise self.fail(
                place,
                f"{value!r} is already used by {seen[value]}",
                f"{value!r} 已被 {seen[value]} 使用",
            )
        seen[value] = where
        return value

    def ref(self, value: object, where: str) -> str:
        # Ids of other data (quizzes, scenes, structures, acupoint codes): any case, no spaces.
        if not isinstance(value, str) or not value or value.split() != [value]:
            raise self.fail(
                where, f"{value!r}: expected an id without spaces", f"{value!r}：应为不含空格的标识"
            )
        return value

    def refs(self, value: object, where: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(where, "expected a non-empty list of ids", "应为非空的标识列表")
        seen: set[str] = set()
        for i, item in enumerate(value):
            self.ref(item, f"{where}[{i}]")
            if item in seen:
                raise self.fail(f"{where}[{i}]", f"{item!r} is listed twice", f"{item!r} 重复列出")
            seen.add(item)
        return tuple(value)

    def title(self, obj: dict, key: str, where: str) -> Title:
        value = obj.get(key)
        place = f"{where}.{key}"
        if not isinstance(value, dict) or set(value) != set(LANGUAGES):
            raise self.fail(
                place,
                'expected {"zh-CN": …, "en": …}, a text in each language',
                '应为 {"zh-CN": …, "en": …}，两种语言各一段文字',
            )
        for language in LANGUAGES:
            text = value[language]
            if not isinstance(text, str) or not text.strip():
                raise self.fail(f"{place}.{language}", "expected non-empty text", "应为非空文字")
        if has_chinese(value["en"]):
            raise self.fail(
                f"{place}.en",
                "holds Chinese text; it belongs under zh-CN",
                "含有中文；中文应写在 zh-CN 下",
            )
        return Title(value["zh-CN"], value["en"])

    def number(self, obj: dict, key: str, where: str, low: float, high: float | None) -> float:
        value = obj.get(key)
        if not _is_number(value) or value < low or (high is not None and value > high):
            if high is None:
                en, zh = f"a number, {low:g} or more", f"不小于 {low:g} 的数"
            else:
                en, zh = f"a number from {low:g} to {high:g}", f"{low:g} 到 {high:g} 之间的数"
            raise self.fail(f"{where}.{key}", f"expected {en}", f"应为{zh}")
        return float(value)

    def whole(self, obj: dict, key: str, where: str) -> int:
        value = obj.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.fail(
                f"{where}.{key}", "expected a whole number, 1 or more", "应为不小于 1 的整数"
            )
        return value

    def items(self, obj: dict, key: str, where: str, en: str, zh: str) -> list:
        value = obj.get(key)
        if not isinstance(value, list) or not value:
            raise self.fail(
                f"{where}.{key}", f"expected a non-empty list of {en}", f"应为非空的{zh}列表"
            )
        return value

    # the document ---------------------------------------------------------------------------
    def courses(self, data: object) -> tuple[Course, ...]:
        top = self.fields(data, "", ("about", "courses"))
        if "about" in top and (not isinstance(top["about"], str) or not top["about"].strip()):
            raise self.fail("about", "expected non-empty text", "应为非空文字")
        items = self.items(top, "courses", "", "courses", "课程")
        seen: dict[str, str] = {}
        return tuple(self.course(item, f"courses[{i}]", seen) for i, item in enumerate(items))

    def course(self, value: object, where: str, seen: dict[str, str]) -> Course:
        allowed = ("id", "title", "credits", "credit_type", "credit_name", "lessons")
        obj = self.fields(value, where, allowed)
        course_id = self.id(obj, where, seen)
        title = self.title(obj, "title", where)
        credits = self.number(obj, "credits", where, 0, None)
        credit_type = obj.get("credit_type")
        if not isinstance(credit_type, str) or not _ID.match(credit_type):
            raise self.fail(
                f"{where}.credit_type",
                f"{credit_type!r}: expected a lowercase id such as cme-class-ii",
                f"{credit_type!r}：应为小写标识，例如 cme-class-ii",
            )
        credit_name = self.title(obj, "credit_name", where)
        items = self.items(obj, "lessons", where, "lessons", "课时")
        lessons_seen: dict[str, str] = {}
        lessons = tuple(
            self.lesson(item, f"{where}.lessons[{i}]", lessons_seen) for i, item in enumerate(items)
        )
        return Course(course_id, title, credits, credit_type, credit_name, lessons)

    def lesson(self, value: object, where: str, seen: dict[str, str]) -> Lesson:
        obj = self.fields(value, where, ("id", "title", "units"))
        lesson_id = self.id(obj, where, seen)
        title = self.title(obj, "title", where)
        items = self.items(obj, "units", where, "units", "学习项")
        units_seen: dict[str, str] = {}
        units = tuple(
            self.unit(item, f"{where}.units[{i}]", units_seen) for i, item in enumerate(items)
        )
        return Lesson(lesson_id, title, units)

    def unit(self, value: object, where: str, seen: dict[str, str]) -> Unit:
        if not isinstance(value, dict):
            raise self.fail(where, "expected an object", "应为一个对象")
        kind = value.get("rule")
        if kind not in _RULE_FIELDS:
            raise self.fail(
                f"{where}.rule",
                f"{kind!r} is not a rule kind; expected one of {', '.join(RULE_KINDS)}",
                f"{kind!r} 不是规则类型；应为 {', '.join(RULE_KINDS)} 之一",
            )
        obj = self.fields(value, where, (*_COMMON_FIELDS, *_RULE_FIELDS[kind]))
        unit_id = self.id(obj, where, seen)
        title = self.title(obj, "title", where)
        return Unit(unit_id, title, getattr(self, f"_{kind}")(obj, where))

    def _quiz(self, obj: dict, where: str) -> QuizRule:
        quiz_id = self.ref(obj.get("quiz_id"), f"{where}.quiz_id")
        return QuizRule(quiz_id, self.number(obj, "min_score", where, 0, 1))

    def _needling(self, obj: dict, where: str) -> NeedlingRule:
        attempts = self.whole(obj, "attempts", where)
        min_score = NEEDLING_PASS_SCORE
        if "min_score" in obj:
            min_score = self.number(obj, "min_score", where, 0, 100)
        points = self.refs(obj["points"], f"{where}.points") if "points" in obj else None
        return NeedlingRule(attempts, min_score, points)

    def _dwell(self, obj: dict, where: str) -> DwellRule:
        if ("scene" in obj) == ("scene_prefix" in obj):
            raise self.fail(
                where,
                "expected either scene or scene_prefix (one of the two)",
                "应有 scene 或 scene_prefix（二者取一）",
            )
        scene = prefix = None
        if "scene" in obj:
            scene = self.ref(obj["scene"], f"{where}.scene")
        else:
            prefix = self.ref(obj["scene_prefix"], f"{where}.scene_prefix")
        minutes = obj.get("min_minutes")
        if not _is_number(minutes) or minutes <= 0:
            raise self.fail(
                f"{where}.min_minutes", "expected minutes, more than 0", "应为大于 0 的分钟数"
            )
        return DwellRule(float(minutes), scene, prefix)

    def _viewed(self, obj: dict, where: str) -> ViewedRule:
        scene = self.ref(obj.get("scene"), f"{where}.scene")
        count = self.whole(obj, "count", where)
        objects = self.refs(obj["objects"], f"{where}.objects") if "objects" in obj else None
        if objects is not None and count > len(objects):
            raise self.fail(
                f"{where}.count",
                f"{count} is more than the {len(objects)} objects listed",
                f"{count} 多于所列的 {len(objects)} 个对象",
            )
        return ViewedRule(scene, count, objects)


# --- evaluation ----------------------------------------------------------------------------


class _Tally:
    """What one unit has gathered so far; `take` sees each statement that matches it."""

    __slots__ = ("count", "best", "seconds", "objects")

    def __init__(self) -> None:
        self.count = 0
        self.best = 0.0
        self.seconds = 0.0
        self.objects: set[str] = set()


def _take_quiz(tally: _Tally, rule: QuizRule, object_iri: str, result: dict) -> None:
    scaled = (result.get("score") or {}).get("scaled")
    if _is_number(scaled):
        tally.best = max(tally.best, scaled) if tally.count else scaled
        tally.count += 1


def _take_needling(tally: _Tally, rule: NeedlingRule, object_iri: str, result: dict) -> None:
    raw = (result.get("score") or {}).get("raw")
    # By its suffix: an app configured with another vocabulary IRI still names the danger.
    danger = any(key.endswith("/extension/danger") for key in result.get("extensions") or ())
    if _is_number(raw) and raw >= rule.min_score - _EPSILON and not danger:
        tally.count += 1


def _take_dwell(tally: _Tally, rule: DwellRule, object_iri: str, result: dict) -> None:
    tally.seconds += duration_seconds(result["duration"])
    tally.count += 1


def _take_viewed(tally: _Tally, rule: ViewedRule, object_iri: str, result: dict) -> None:
    tally.objects.add(object_iri)
    tally.count = len(tally.objects)


_TAKE = {
    "quiz": _take_quiz,
    "needling": _take_needling,
    "dwell": _take_dwell,
    "viewed": _take_viewed,
}


@dataclass(frozen=True)
class UnitProgress:
    """`have` against `need`: best scaled score, good attempts, minutes, or objects seen.
    `tries` is how many statements counted (quiz rounds, good attempts, exits, objects)."""

    unit: Unit
    have: float
    need: float
    tries: int

    @property
    def done(self) -> bool:
        return self.have >= self.need - _EPSILON

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.unit.id,
            "title": self.unit.title.as_dict(),
            **rule_as_dict(self.unit.rule),
            "have": self.have,
            "need": self.need,
            "tries": self.tries,
            "done": self.done,
        }


@dataclass(frozen=True)
class LessonProgress:
    lesson: Lesson
    units: tuple[UnitProgress, ...]
    issued: bool

    @property
    def met(self) -> bool:
        """Every unit's rule is met by the statements now."""
        return all(unit.done for unit in self.units)

    @property
    def done(self) -> bool:
        """Met, or completed before: an issued completion is not taken back."""
        return self.issued or self.met

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.lesson.id,
            "title": self.lesson.title.as_dict(),
            "done": self.done,
            "issued": self.issued,
            "units": [unit.as_dict() for unit in self.units],
        }


@dataclass(frozen=True)
class CourseProgress:
    course: Course
    lessons: tuple[LessonProgress, ...]
    issued: bool

    @property
    def met(self) -> bool:
        return all(lesson.done for lesson in self.lessons)

    @property
    def done(self) -> bool:
        return self.issued or self.met

    @property
    def credits_earned(self) -> float:
        return self.course.credits if self.done else 0.0

    def as_dict(self) -> dict[str, Any]:
        course = self.course
        return {
            "id": course.id,
            "title": course.title.as_dict(),
            "credits": course.credits,
            "credit_type": course.credit_type,
            "credit_name": course.credit_name.as_dict(),
            "done": self.done,
            "issued": self.issued,
            "lessons": [lesson.as_dict() for lesson in self.lessons],
        }


@dataclass(frozen=True)
class CreditReport:
    """Where one user stands in every course, from the statements read."""

    actor_name: str
    courses: tuple[CourseProgress, ...]
    statements_read: int
    unreadable: int = 0

    @property
    def credits_earned(self) -> dict[str, float]:
        """Credits earned by credit type."""
        earned: dict[str, float] = {}
        for progress in self.courses:
            if progress.done:
                kind = progress.course.credit_type
                earned[kind] = earned.get(kind, 0.0) + progress.course.credits
        return earned

    def course(self, course_id: str) -> CourseProgress:
        for progress in self.courses:
            if progress.course.id == course_id:
                return progress
        raise SyncError(f"no course {course_id!r}", f"没有课程 {course_id!r}")

    def due(self, at: datetime | None = None) -> list[LessonCompleted | CourseCompleted]:
        """The completions met and not yet issued: lessons first, then their course."""
        moment = at if at is not None else utc_now()
        events: list[LessonCompleted | CourseCompleted] = []
        for progress in self.courses:
            course = progress.course
            for lesson in progress.lessons:
                if lesson.met and not lesson.issued:
                    events.append(LessonCompleted(course.id, lesson.lesson.id, at=moment))
            if progress.met and not progress.issued:
                events.append(
                    CourseCompleted(course.id, course.credits, course.credit_type, at=moment)
                )
        return events

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the user, credits earned by type, and every course's progress."""
        return {
            "actor": self.actor_name,
            "statements_read": self.statements_read,
            "unreadable": self.unreadable,
            "credits_earned": self.credits_earned,
            "courses": [progress.as_dict() for progress in self.courses],
        }


def _need(rule: Rule) -> float:
    match rule:
        case QuizRule():
            return rule.min_score
        case NeedlingRule():
            return float(rule.attempts)
        case DwellRule():
            return rule.min_minutes
        case ViewedRule():
            return float(rule.count)


def _have(rule: Rule, tally: _Tally) -> float:
    match rule:
        case QuizRule():
            return tally.best
        case DwellRule():
            return tally.seconds / 60
        case _:
            return float(tally.count)


class _Index:
    """Which tallies a statement feeds, by verb and object IRI (exactly or by prefix)."""

    def __init__(self, base: str):
        self.base = base
        self.exact: dict[tuple[str, str], list[tuple[Any, Rule, _Tally]]] = {}
        self.prefixes: dict[str, list[tuple[str, Any, Rule, _Tally]]] = {}

    def add(self, verb: str, iri: str, rule: Rule | None, tally: _Tally) -> None:
        take = _TAKE[rule.kind] if rule is not None else None
        self.exact.setdefault((verb, iri), []).append((take, rule, tally))

    def add_prefix(self, verb: str, prefix: str, rule: Rule, tally: _Tally) -> None:
        self.prefixes.setdefault(verb, []).append((prefix, _TAKE[rule.kind], rule, tally))

    def add_rule(self, rule: Rule, tally: _Tally) -> None:
        base = self.base
        match rule:
            case QuizRule():
                iri = activity_iri(base, "quiz", rule.quiz_id)
                self.add("passed", iri, rule, tally)
                self.add("failed", iri, rule, tally)
            case NeedlingRule(points=None):
                self.add_prefix("attempted", activity_iri(base, "needling", ""), rule, tally)
            case NeedlingRule():
                for code in rule.points:
                    self.add("attempted", activity_iri(base, "needling", code), rule, tally)
            case DwellRule(scene=None):
                prefix = activity_iri(base, "scene", rule.scene_prefix)
                self.add_prefix("exited", prefix, rule, tally)
            case DwellRule():
                self.add("exited", activity_iri(base, "scene", rule.scene), rule, tally)
            case ViewedRule(objects=None):
                prefix = scene_object_iri(base, rule.scene, "")
                self.add_prefix("experienced", prefix, rule, tally)
            case ViewedRule():
                for object_id in rule.objects:
                    iri = scene_object_iri(base, rule.scene, object_id)
                    self.add("experienced", iri, rule, tally)

    @property
    def verbs(self) -> frozenset[str]:
        return frozenset({verb for verb, _ in self.exact} | set(self.prefixes))

    def matches(self, verb: str, iri: str) -> list[tuple[Any, Rule | None, _Tally]]:
        found = list(self.exact.get((verb, iri), ()))
        for prefix, take, rule, tally in self.prefixes.get(verb, ()):
            # One path segment past the prefix: "hall." takes /scene/hall.oab, not deeper.
            if iri.startswith(prefix) and "/" not in iri[len(prefix) :]:
                found.append((take, rule, tally))
        return found


def evaluate(
    courses: Iterable[Course],
    statements: Iterable[bytes | str | Mapping[str, Any]],
    base_iri: str,
    actor_name: str,
) -> CreditReport:
    """Every course's progress for the user `actor_name` (actor.account.name), from the
    statements (JSON bytes or text as the outbox stores them, or parsed dicts) in one pass.

    Other users' statements are skipped, a statement id seen twice counts once, and an
    unreadable statement is logged and counted in `unreadable`, never fatal.
    """
    courses = tuple(courses)
    base = base_iri.rstrip("/")
    index = _Index(base)
    tallies: dict[tuple[str, str, str], _Tally] = {}
    lesson_issued: dict[tuple[str, str], _Tally] = {}
    course_issued: dict[str, _Tally] = {}
    for course in courses:
        course_issued[course.id] = tally = _Tally()
        index.add("passed", activity_iri(base, "course", course.id), None, tally)
        for lesson in course.lessons:
            lesson_issued[course.id, lesson.id] = tally = _Tally()
            iri = activity_iri(base, "lesson", f"{course.id}/{lesson.id}")
            index.add("completed", iri, None, tally)
            for unit in lesson.units:
                tallies[course.id, lesson.id, unit.id] = tally = _Tally()
                index.add_rule(unit.rule, tally)

    verbs = {ADL_VERB_BASE + verb: verb for verb in index.verbs}
    seen_ids: set[str] = set()
    read = unreadable = 0
    for number, raw in enumerate(statements):
        try:
            data = raw if isinstance(raw, Mapping) else json.loads(raw)
            if data["actor"]["account"]["name"] != actor_name:
                continue
            read += 1
            verb = verbs.get(data["verb"]["id"])
            if verb is None:
                continue
            matched = index.matches(verb, data["object"]["id"])
            if not matched:
                continue
            statement_id = data["id"]
            if statement_id in seen_ids:
                continue
            seen_ids.add(statement_id)
            result = data.get("result") or {}
            for take, rule, tally in matched:
                if take is None:
                    tally.count += 1
                else:
                    take(tally, rule, data["object"]["id"], result)
        except (ValueError, KeyError, TypeError, AttributeError, SyncError) as e:
            unreadable += 1
            logger.warning(
                "statement %d: not read for credits (%s: %s)", number, type(e).__name__, e
            )

    progress = []
    for course in courses:
        lessons = []
        for lesson in course.lessons:
            units = tuple(
                UnitProgress(
                    unit,
                    _have(unit.rule, tally := tallies[course.id, lesson.id, unit.id]),
                    _need(unit.rule),
                    tally.count,
                )
                for unit in lesson.units
            )
            issued = lesson_issued[course.id, lesson.id].count > 0
            lessons.append(LessonProgress(lesson, units, issued))
        issued = course_issued[course.id].count > 0
        progress.append(CourseProgress(course, tuple(lessons), issued))
    return CreditReport(actor_name, tuple(progress), read, unreadable)


# --- human lines ---------------------------------------------------------------------------


def _percent(value: float) -> str:
    return f"{round(value * 100, 1):g}"


def _rule_progress(progress: UnitProgress, zh: bool) -> str:
    rule, have, need = progress.unit.rule, progress.have, progress.need
    match rule:
        case QuizRule():
            if not progress.tries:
                best = "尚未参加" if zh else "not taken yet"
            else:
                best = f"最高 {_percent(have)}%" if zh else f"best {_percent(have)} %"
            if zh:
                return f"≥ {_percent(need)}%：{best}"
            return f"≥ {_percent(need)} %: {best}"
        case NeedlingRule():
            points = rule.points or ()
            named = ", ".join(points) if len(points) <= 3 else ""
            count = f"{int(have)}/{int(need)}"
            if zh:
                at = f" {named or f'{len(points)} 个指定穴位'}" if points else ""
                return f"针刺{at} ≥ {rule.min_score:g} 分且无危险：{count}"
            at = f" at {named or f'{len(points)} listed points'}" if points else ""
            return f"needling ≥ {rule.min_score:g}{at}, no danger: {count}"
        case DwellRule():
            # Down to the tenth: 19.96 minutes must not read as the 20 needed.
            minutes = f"{math.floor(have * 10 + _EPSILON) / 10:g}"
            if zh:
                return f"用时：{minutes}/{need:g} 分钟"
            return f"time: {minutes}/{need:g} min"
        case ViewedRule():
            if zh:
                return f"已查看：{int(have)}/{int(need)} 个"
            return f"viewed: {int(have)}/{int(need)}"


def report_lines(report: CreditReport, language: str) -> list[str]:
    """The report as lines for a person, in "zh-CN" or "en": each course, its lessons and
    units, ✓ when done and · when not."""
    zh = language.lower().startswith("zh")
    colon = "：" if zh else ": "
    lines: list[str] = []
    for progress in report.courses:
        course = progress.course
        done = sum(lesson.done for lesson in progress.lessons)
        of = f"{done}/{len(progress.lessons)}"
        credit = f"{course.credits:g}"
        name = course.credit_name.text(language)
        if zh:
            status = "已获" if progress.done else "完成后可获"
            tail = f"{of} 课时；{status} {credit} 学分（{name}）"
        else:
            status = "earned" if progress.done else "on completion"
            tail = f"{of} lessons; {credit} × {name} {status}"
        lines.append(f"{_mark(progress.done)} {course.title.text(language)}{colon}{tail}")
        for lesson in progress.lessons:
            done = sum(unit.done for unit in lesson.units)
            of = f"{done}/{len(lesson.units)}" + (" 项" if zh else " units")
            lines.append(f"  {_mark(lesson.done)} {lesson.lesson.title.text(language)}{colon}{of}")
            for unit in lesson.units:
                title = unit.unit.title.text(language)
                lines.append(f"    {_mark(unit.done)} {title} — {_rule_progress(unit, zh)}")
    return lines


def _mark(done: bool) -> str:
    return "✓" if done else "·"
