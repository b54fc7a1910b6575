"""xAPI 1.0.3 statements of behaviour events: strict models of what we send, and the factory.

Every statement names the user by a pseudonymous account only (homePage = the platform,
name = the user's platform id): the models have no field for a person's name or email.
A statement gets its UUID once, at creation, and `to_json()` makes its canonical bytes
once; the outbox stores those bytes, so a re-send is the same statement and idempotent.

Event → statement (verbs are http://adlnet.gov/expapi/verbs/<verb>; `{base}` is the
activity base IRI, `{vocab}` the vocabulary IRI, by default `{base}/vocab`):

event               verb              object, under {base}           result
------------------  ----------------  -----------------------------  -------------------------
session_started     initialized       /app                           —
session_ended       terminated        /app                           duration, completion
scene_entered       initialized       /scene/{scene_id}              —
scene_left          exited            /scene/{scene_id}              duration (dwell)
object_viewed       experienced       the object (see below)         duration (dwell)
object_selected     interacted        the object (see below)         — ; context ext. input
module_requested    launched          /module/{module_id}            success = available
control_used        interacted        /scene/{s}/control/{control}   response = new value
quiz_answered       answered          /quiz/{quiz}/question/{q}      success = correct,
                                                                     response = answer id,
                                                                     duration
quiz_completed      passed | failed   /quiz/{quiz_id}                score scaled/raw/min/max,
                    (score ≥ mark)                                   success, completion,
                                                                     duration; ext. questions,
                                                                     pass-mark
needling_attempted  attempted         /acupuncture/needling/{code}   score raw 0..100/scaled,
                                                                     success = no danger and
                                                                     score ≥ 70, completion,
                                                                     duration; ext. error-mm,
                                                                     error-cun, angle-error-
                                                                     deg, depth-cun, depth-ok,
                                                                     reached, danger (when
                                                                     one), side (when sided)
lesson_completed    completed         /course/{c}/lesson/{lesson}    completion, success
course_completed    passed            /course/{course_id}            completion, success;
                                                                     ext. cme-credits (a
                                                                     number), credit-type

The pass mark of a quiz is 0.8 unless `quiz_pass_marks` sets another.

The object of object_viewed/object_selected depends on the scene that saw it:
anatomy → {base}/anatomy/structure/{structure_id}; acupuncture → {base}/acupuncture/point/
{code}; lobby → {base}/module/{module_id}; any other scene → {base}/scene/{scene_id}/
object/{object_id}. A needling statement names its acupoint activity in
contextActivities.other; statements made inside a scene name it as parent (a quiz
question names its quiz, a lesson its course), and every statement groups under {base}/app.
Lesson and course completions are not emitted by scenes: `sync.credits` evaluates the
course rules over the user's statements and issues them once.

Context on every statement: registration (one UUID a session), platform ("MedVR desktop"
or "MedVR VR"), language, extensions {vocab}/extension/mode and, with a headset,
{vocab}/extension/headset.
"""

from __future__ import annotations

import json
import logging
import math
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from sync.errors import SyncError
from sync.events import (
    EVENT_TYPES,
    BehaviourEvent,
    ControlUsed,
    CourseCompleted,
    LessonCompleted,
    ModuleRequested,
    NeedlingAttempted,
    ObjectSelected,
    ObjectViewed,
    QuizAnswered,
    QuizCompleted,
    SceneEntered,
    SceneLeft,
    SessionEnded,
    SessionStarted,
    format_timestamp,
)

logger = logging.getLogger("medvr.sync")

XAPI_VERSION = "1.0.3"
ADL_VERB_BASE = "http://adlnet.gov/expapi/verbs/"
ADL_ACTIVITY_BASE = "http://adlnet.gov/expapi/activities/"
PLATFORMS = ("MedVR desktop", "MedVR VR")
Platform = Literal["MedVR desktop", "MedVR VR"]
VR_MODES = frozenset({"vr", "sim-vr", "openvr"})
DISPLAY_LANGUAGES = ("zh-CN", "en-US")

# The ADL verbs we use, with their display in both languages.
ADL_VERBS: dict[str, dict[str, str]] = {
    "answered": {"zh-CN": "回答了", "en-US": "answered"},
    "attempted": {"zh-CN": "尝试了", "en-US": "attempted"},
    "completed": {"zh-CN": "完成了", "en-US": "completed"},
    "exited": {"zh-CN": "离开了", "en-US": "exited"},
    "experienced": {"zh-CN": "体验了", "en-US": "experienced"},
    "failed": {"zh-CN": "未通过", "en-US": "failed"},
    "initialized": {"zh-CN": "开始了", "en-US": "initialized"},
    "interacted": {"zh-CN": "交互了", "en-US": "interacted"},
    "launched": {"zh-CN": "启动了", "en-US": "launched"},
    "passed": {"zh-CN": "通过了", "en-US": "passed"},
    "terminated": {"zh-CN": "结束了", "en-US": "terminated"},
}

# Event kind → the verbs its statement may carry (the mapping table above, as data).
STATEMENT_VERBS: dict[str, tuple[str, ...]] = {
    SessionStarted.kind: ("initialized",),
    SessionEnded.kind: ("terminated",),
    SceneEntered.kind: ("initialized",),
    SceneLeft.kind: ("exited",),
    ObjectViewed.kind: ("experienced",),
    ObjectSelected.kind: ("interacted",),
    ModuleRequested.kind: ("launched",),
    ControlUsed.kind: ("interacted",),
    QuizAnswered.kind: ("answered",),
    QuizCompleted.kind: ("passed", "failed"),
    NeedlingAttempted.kind: ("attempted",),
    LessonCompleted.kind: ("completed",),
    CourseCompleted.kind: ("passed",),
}

DEFAULT_PASS_MARK = 0.8
ACTIVITY_CACHE_LIMIT = 4096  # activities a factory keeps made
NEEDLING_PASS_SCORE = 70.0

# Which kind of activity an object id names, by the scene that reported it.
OBJECT_KIND_BY_SCENE = {"anatomy": "structure", "acupuncture": "point", "lobby": "module"}

# --- value checks --------------------------------------------------------------------------

# RFC 3987 in outline: a scheme, then no spaces, controls or the characters it excludes,
# and every % followed by two hex digits.
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:(?:[^\x00-\x20<>\"{}|\\^`%\x7f]|%[0-9A-Fa-f]{2})+$")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?$")
_DURATION = re.compile(
    r"^P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?"
    r"(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$"
)
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def has_chinese(text: str) -> bool:
    """Whether `text` holds CJK characters (which belong under zh-CN, never en/en-US)."""
    return _CJK.search(text) is not None


def _check_iri(value: str) -> str:
    if not _IRI.match(value):
        raise ValueError(f"{value!r} is not an absolute IRI")
    scheme, _, rest = value.partition(":")
    if scheme.lower() in ("http", "https") and not re.match(r"^//[^/?#]+", rest):
        raise ValueError(f"{value!r} has no host")
    return value


def _check_language_map(value: dict[str, str]) -> dict[str, str]:
    if not value:
        raise ValueError("a language map needs at least one language")
    for tag, text in value.items():
        if not _LANGUAGE_TAG.match(tag):
            raise ValueError(f"{tag!r} is not a language tag such as zh-CN or en-US")
        if not text.strip():
            raise ValueError(f"{tag}: empty text")
        if not tag.lower().startswith("zh") and _CJK.search(text):
            raise ValueError(f"{tag}: {text!r} holds Chinese text; it belongs under zh-CN")
    return value


def _check_display(value: dict[str, str]) -> dict[str, str]:
    _check_language_map(value)
    missing = [tag for tag in DISPLAY_LANGUAGES if tag not in value]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}; every display is in zh-CN and en-US")
    return value


def _check_extensions(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if not value:
        raise ValueError("empty extensions; leave them out instead")
    for key in value:
        _check_iri(key)
    return value


def iso_duration(seconds: float) -> str:
    """Seconds as an ISO 8601 duration to the centisecond (xAPI's precision): PT1H2M3.45S."""
    if isinstance(seconds, bool) or not math.isfinite(seconds) or seconds < 0:
        raise SyncError(
            f"duration = {seconds!r}: expected seconds, 0 or more",
            f"时长 = {seconds!r}：应为不小于 0 的秒数",
        )
    hundredths = round(seconds * 100)
    hours, hundredths = divmod(hundredths, 360_000)
    minutes, hundredths = divmod(hundredths, 6_000)
    whole, hundredths = divmod(hundredths, 100)
    text = "PT"
    if hours:
        text += f"{hours}H"
    if minutes:
        text += f"{minutes}M"
    if hundredths:
        text += f"{whole}.{hundredths:02d}".rstrip("0") + "S"
    elif whole or text == "PT":
        text += f"{whole}S"
    return text


_DURATION_PARTS = re.compile(
    r"^P(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
_SECONDS_PER_PART = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}


def duration_seconds(text: str) -> float:
    """An ISO 8601 duration (PT1H2M3.45S, P1DT2H…) back in seconds.

    Years and months have no fixed length in seconds: such durations are refused.
    """
    match = _DURATION_PARTS.match(text) if isinstance(text, str) else None
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise SyncError(
            f"duration = {text!r}: expected an ISO 8601 duration in weeks, days, hours, "
            "minutes and seconds, such as PT1M2.5S",
            f"时长 = {text!r}：应为以周、天、时、分、秒表示的 ISO 8601 时长，例如 PT1M2.5S",
        )
    return sum(
        float(value) * _SECONDS_PER_PART[part]
        for part, value in match.groupdict().items()
        if value is not None
    )


def platform_for_mode(mode: str) -> Platform:
    """The statement platform of a runtime mode: "MedVR VR" for a headset, else desktop."""
    return "MedVR VR" if mode in VR_MODES else "MedVR desktop"


IRI = Annotated[str, AfterValidator(_check_iri)]
Display = Annotated[dict[str, str], AfterValidator(_check_display)]
Extensions = Annotated[dict[str, Any] | None, AfterValidator(_check_extensions)]


# --- models --------------------------------------------------------------------------------


class _XapiModel(BaseModel):
    """Frozen, no extra fields, camelCase in JSON, snake_case in Python."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        str_strip_whitespace=False,
    )


class Account(_XapiModel):
    home_page: IRI
    name: str = Field(min_length=1)

    @field_validator("home_page")
    @classmethod
    def _home_page_is_a_web_address(cls, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise ValueError(f"{value!r}: expected an http(s) address of the platform")
        return value

    @field_validator("name")
    @classmethod
    def _name_is_an_id(cls, value: str) -> str:
        if not value.strip() or "@" in value:
            raise ValueError("expected the user's pseudonymous platform id, not an email")
        return value


class Actor(_XapiModel):
    """An Agent known only by a pseudonymous account: no name, no mbox."""

    object_type: Literal["Agent"] = "Agent"
    account: Account


class Verb(_XapiModel):
    id: IRI
    display: Display

    @field_validator("id")
    @classmethod
    def _adl_verb(cls, value: str) -> str:
        if value.removeprefix(ADL_VERB_BASE) not in ADL_VERBS:
            raise ValueError(f"{value!r}: expected one of the ADL verbs {ADL_VERB_BASE}…")
        return value


class ActivityDefinition(_XapiModel):
    type: IRI
    name: Display
    description: Display


class Activity(_XapiModel):
    """An activity; in context activities by id only, as the statement's object defined."""

    object_type: Literal["Activity"] = "Activity"
    id: IRI
    definition: ActivityDefinition | None = None


class Score(_XapiModel):
    scaled: float | None = Field(default=None, ge=-1.0, le=1.0)
    raw: float | None = None
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _in_range(self) -> Score:
        values = [v for v in (self.scaled, self.raw, self.min, self.max) if v is not None]
        if not values:
            raise ValueError("a score needs at least one of scaled, raw, min, max")
        if not all(math.isfinite(v) for v in values):
            raise ValueError("score values must be finite")
        if self.min is not None and self.max is not None and not self.min < self.max:
            raise ValueError(f"min {self.min} must be below max {self.max}")
        if self.raw is not None:
            if self.min is not None and self.raw < self.min:
                raise ValueError(f"raw {self.raw} is below min {self.min}")
            if self.max is not None and self.raw > self.max:
                raise ValueError(f"raw {self.raw} is above max {self.max}")
        return self


class Result(_XapiModel):
    score: Score | None = None
    success: bool | None = None
    completion: bool | None = None
    response: str | None = Field(default=None, min_length=1)
    duration: str | None = None
    extensions: Extensions = None

    @field_validator("duration")
    @classmethod
    def _iso_duration(cls, value: str | None) -> str | None:
        if value is not None and not _DURATION.match(value):
            raise ValueError(f"{value!r} is not an ISO 8601 duration such as PT1M2.5S")
        return value


class ContextActivities(_XapiModel):
    parent: list[Activity] | None = Field(default=None, min_length=1)
    grouping: list[Activity] | None = Field(default=None, min_length=1)
    other: list[Activity] | None = Field(default=None, min_length=1)


class Context(_XapiModel):
    registration: uuid.UUID
    platform: Platform
    language: str
    extensions: Extensions = None
    context_activities: ContextActivities | None = None

    @field_validator("language")
    @classmethod
    def _language_tag(cls, value: str) -> str:
        if not _LANGUAGE_TAG.match(value):
            raise ValueError(f"{value!r} is not a language tag such as zh-CN or en")
        return value


class Statement(_XapiModel):
    """One xAPI 1.0.3 statement; validated on construction, its JSON made once."""

    id: uuid.UUID
    actor: Actor
    verb: Verb
    object: Activity
    result: Result | None = None
    context: Context
    timestamp: AwareDatetime
    version: Literal["1.0.3"] = XAPI_VERSION

    _json: bytes | None = PrivateAttr(default=None)

    @field_validator("object")
    @classmethod
    def _object_defined(cls, value: Activity) -> Activity:
        if value.definition is None:
            raise ValueError(f"{value.id}: the statement's object needs its definition")
        return value

    @field_validator("timestamp")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @field_serializer("timestamp")
    def _timestamp_text(self, value: datetime) -> str:
        return format_timestamp(value)

    def to_dict(self) -> dict[str, Any]:
        """The statement as JSON-ready data, without the fields it does not set."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_json(self) -> bytes:
        """Canonical UTF-8 JSON (sorted keys, no spaces), made on the first call and kept."""
        if self._json is None:
            text = json.dumps(
                self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
            )
            self._json = text.encode("utf-8")
        return self._json

    @classmethod
    def from_json(cls, data: bytes | str) -> Statement:
        """A statement back from its stored JSON, validated; SyncError when it does not fit."""
        try:
            statement = cls.model_validate_json(data)
        except ValidationError as exc:
            raise SyncError(
                f"stored statement does not validate: {exc}", f"存储的语句未通过校验：{exc}"
            ) from None
        statement._json = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        return statement


# --- factory -------------------------------------------------------------------------------

# (activity kind, id) → display names {"zh-CN": …, "en-US": …}, or None for the default.
NameLookup = Callable[[str, str], Mapping[str, str] | None]

_ACTIVITY_KINDS: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    # kind: (type, name prefix, description)
    "app": (
        "http://activitystrea.ms/schema/1.0/application",
        {"zh-CN": "MedVR 医学训练", "en-US": "MedVR medical training"},
        {"zh-CN": "MedVR 桌面与 VR 医学训练应用", "en-US": "The MedVR desktop and VR application"},
    ),
    "scene": (
        ADL_ACTIVITY_BASE + "simulation",
        {"zh-CN": "场景", "en-US": "Scene"},
        {"zh-CN": "MedVR 中的一个三维场景", "en-US": "A 3D scene of MedVR"},
    ),
    "module": (
        ADL_ACTIVITY_BASE + "module",
        {"zh-CN": "模块", "en-US": "Module"},
        {"zh-CN": "大厅中可选的训练模块", "en-US": "A training module chosen in the lobby"},
    ),
    "structure": (
        "{vocab}/activitytype/anatomical-structure",
        {"zh-CN": "解剖结构", "en-US": "Anatomical structure"},
        {"zh-CN": "三维解剖模型中的结构", "en-US": "A structure of the 3D anatomy model"},
    ),
    "point": (
        "{vocab}/activitytype/acupoint",
        {"zh-CN": "穴位", "en-US": "Acupoint"},
        {"zh-CN": "经络腧穴", "en-US": "An acupuncture point"},
    ),
    "needling": (
        ADL_ACTIVITY_BASE + "performance",
        {"zh-CN": "针刺练习", "en-US": "Needling practice"},
        {"zh-CN": "在穴位上的针刺练习", "en-US": "Needling practice at an acupoint"},
    ),
    "quiz": (
        ADL_ACTIVITY_BASE + "assessment",
        {"zh-CN": "测验", "en-US": "Quiz"},
        {"zh-CN": "课程中的测验", "en-US": "An in-lesson quiz"},
    ),
    "question": (
        ADL_ACTIVITY_BASE + "question",
        {"zh-CN": "测验题", "en-US": "Quiz question"},
        {"zh-CN": "测验中的一道题", "en-US": "One question of a quiz"},
    ),
    "control": (
        ADL_ACTIVITY_BASE + "interaction",
        {"zh-CN": "场景控件", "en-US": "Scene control"},
        {"zh-CN": "场景中的一个控件", "en-US": "A control of a scene"},
    ),
    "object": (
        "{vocab}/activitytype/scene-object",
        {"zh-CN": "场景物体", "en-US": "Scene object"},
        {"zh-CN": "场景中的一个物体", "en-US": "An object in a scene"},
    ),
    "course": (
        ADL_ACTIVITY_BASE + "course",
        {"zh-CN": "课程", "en-US": "Course"},
        {"zh-CN": "MedVR 中可获学分的一门课程", "en-US": "A MedVR course that carries credit"},
    ),
    "lesson": (
        ADL_ACTIVITY_BASE + "lesson",
        {"zh-CN": "课时", "en-US": "Lesson"},
        {"zh-CN": "课程中的一个课时", "en-US": "One lesson of a course"},
    ),
}


def _segment(value: str) -> str:
    # Ids such as "EX-B2#t3_l" hold characters an IRI path cannot carry as they are.
    return quote(value, safe="-._~")


def activity_iri(base: str, kind: str, object_id: str, scene_id: str = "") -> str:
    """The IRI of an activity of `kind` ("structure", "point", "quiz"…) and id under `base`.

    Two-part ids are "quiz/question" for a question and "course/lesson" for a lesson.
    """
    base = base.rstrip("/")
    match kind:
        case "app":
            return f"{base}/app"
        case "scene":
            return f"{base}/scene/{_segment(object_id)}"
        case "module":
            return f"{base}/module/{_segment(object_id)}"
        case "structure":
            return f"{base}/anatomy/structure/{_segment(object_id)}"
        case "point":
            return f"{base}/acupuncture/point/{_segment(object_id)}"
        case "needling":
            return f"{base}/acupuncture/needling/{_segment(object_id)}"
        case "quiz":
            return f"{base}/quiz/{_segment(object_id)}"
        case "question":
            quiz_id, _, question_id = object_id.partition("/")
            return f"{base}/quiz/{_segment(quiz_id)}/question/{_segment(question_id)}"
        case "control":
            return f"{base}/scene/{_segment(scene_id)}/control/{_segment(object_id)}"
        case "object":
            return f"{base}/scene/{_segment(scene_id)}/object/{_segment(object_id)}"
        case "course":
            return f"{base}/course/{_segment(object_id)}"
        case "lesson":
            course_id, _, lesson_id = object_id.partition("/")
            return f"{base}/course/{_segment(course_id)}/lesson/{_segment(lesson_id)}"
    raise SyncError(
        f"activity kind {kind!r}: expected one of {', '.join(_ACTIVITY_KINDS)}",
        f"活动类型 {kind!r}：应为 {', '.join(_ACTIVITY_KINDS)} 之一",
    )


def scene_object_iri(base: str, scene_id: str, object_id: str) -> str:
    """The IRI of an object seen or selected in a scene: its kind depends on the scene."""
    kind = OBJECT_KIND_BY_SCENE.get(scene_id, "object")
    return activity_iri(base, kind, object_id, scene_id)


class StatementFactory:
    """Turns one session's behaviour events into statements for one pseudonymous user."""

    def __init__(
        self,
        actor_home_page: str,
        actor_name: str,
        activity_base_iri: str,
        registration: uuid.UUID | str,
        platform: Platform,
        language: str,
        mode: str,
        headset: str | None = None,
        *,
        vocabulary_iri: str | None = None,
        names: NameLookup | None = None,
        quiz_pass_marks: Mapping[str, float] | None = None,
        default_pass_mark: float = DEFAULT_PASS_MARK,
        needling_pass_score: float = NEEDLING_PASS_SCORE,
    ) -> None:
        self.base = activity_base_iri.rstrip("/")
        self.vocab = (vocabulary_iri or f"{self.base}/vocab").rstrip("/")
        self.names = names
        self.quiz_pass_marks = dict(quiz_pass_marks or {})
        self.default_pass_mark = default_pass_mark
        self.needling_pass_score = needling_pass_score
        self._activities: dict[tuple[str, str, str], Activity] = {}
        self._contexts: dict[tuple[str | None, str | None], ContextActivities] = {}
        extensions: dict[str, Any] = {f"{self.vocab}/extension/mode": mode}
        if headset is not None:
            extensions[f"{self.vocab}/extension/headset"] = headset
        try:
            self.actor = Actor(account=Account(home_page=actor_home_page, name=actor_name))
            # Built once: checks the configuration now rather than at the first event.
            self._context = Context(
                registration=registration,
                platform=platform,
                language=language,
                extensions=extensions,
            )
            self._app = self.activity("app", "")
        except ValidationError as exc:
            raise SyncError(
                f"statement settings do not validate: {exc}", f"语句设置未通过校验：{exc}"
            ) from None
        self._builders: dict[type[BehaviourEvent], Callable[[Any], dict[str, Any]]] = {
            SessionStarted: self._session_started,
            SessionEnded: self._session_ended,
            SceneEntered: self._scene_entered,
            SceneLeft: self._scene_left,
            ObjectViewed: self._object_viewed,
            ObjectSelected: self._object_selected,
            ModuleRequested: self._module_requested,
            ControlUsed: self._control_used,
            QuizAnswered: self._quiz_answered,
            QuizCompleted: self._quiz_completed,
            NeedlingAttempted: self._needling_attempted,
            LessonCompleted: self._lesson_completed,
            CourseCompleted: self._course_completed,
        }

    @classmethod
    def for_session(
        cls,
        event: SessionStarted,
        actor_home_page: str,
        actor_name: str,
        activity_base_iri: str,
        **options: Any,
    ) -> StatementFactory:
        """A factory whose registration, platform, language, mode and headset are the session's."""
        return cls(
            actor_home_page,
            actor_name,
            activity_base_iri,
            registration=event.session_id,
            platform=platform_for_mode(event.mode),
            language=event.language,
            mode=event.mode,
            headset=event.headset,
            **options,
        )

    # activities ------------------------------------------------------------------------------
    def activity_iri(self, kind: str, object_id: str, scene_id: str = "") -> str:
        """The IRI of an activity of `kind` ("structure", "point", "quiz"…) and id."""
        return activity_iri(self.base, kind, object_id, scene_id)

    def activity(self, kind: str, object_id: str, scene_id: str = "") -> Activity:
        """The activity of `kind` and id, with its type and names in zh-CN and en-US.

        Made and validated once per factory: a session names the same structures, points
        and scenes again and again, and building one is half of a statement's cost."""
        key = (kind, object_id, scene_id)
        made = self._activities.get(key)
        if made is None:
            if len(self._activities) >= ACTIVITY_CACHE_LIMIT:
                self._activities.clear()
            made = self._activities[key] = self._new_activity(kind, object_id, scene_id)
        return made

    def _new_activity(self, kind: str, object_id: str, scene_id: str) -> Activity:
        type_iri, prefix, description = _ACTIVITY_KINDS[kind]
        if kind == "app":
            name = dict(prefix)
        else:
            name = {tag: f"{prefix[tag]} {object_id}" for tag in DISPLAY_LANGUAGES}
        if self.names is not None and kind != "app":
            found = self.names(kind, object_id) or {}
            name.update({tag: found[tag] for tag in DISPLAY_LANGUAGES if found.get(tag)})
        return Activity(
            id=self.activity_iri(kind, object_id, scene_id),
            definition=ActivityDefinition(
                type=type_iri.format(vocab=self.vocab), name=name, description=dict(description)
            ),
        )

    def _scene_object(self, scene_id: str, object_id: str) -> Activity:
        kind = OBJECT_KIND_BY_SCENE.get(scene_id, "object")
        return self.activity(kind, object_id, scene_id)

    # statements -----------------------------------------------------------------------------
    def statement_for(self, event: BehaviourEvent) -> Statement | None:
        """The statement of `event`, or None for an event type that is not sent."""
        builder = self._builders.get(type(event))
        if builder is None:
            logger.warning("no xAPI statement for %s events; not sent", event.kind)
            return None
        parts = builder(event)
        parent: Activity | None = parts.pop("parent", None)
        other: Activity | None = parts.pop("other", None)
        input_via: str | None = parts.pop("via", None)
        context = self._context
        extensions = dict(context.extensions or {})
        if input_via is not None:
            extensions[f"{self.vocab}/extension/input"] = input_via
        try:
            return Statement(
                id=uuid.uuid4(),
                actor=self.actor,
                verb=self.verb(parts.pop("verb")),
                context=Context(
                    registration=context.registration,
                    platform=context.platform,
                    language=context.language,
                    extensions=extensions,
                    context_activities=self._context_activities(parent, other),
                ),
                timestamp=event.at,
                **parts,
            )
        except ValidationError as exc:
            raise SyncError(
                f"{event.kind}: statement does not validate: {exc}",
                f"{event.kind}：语句未通过校验：{exc}",
            ) from None

    def _context_activities(
        self, parent: Activity | None, other: Activity | None
    ) -> ContextActivities:
        """Grouping under the app, and the parent and other activities, by id only (their
        definitions travel when they are objects); made once per combination."""
        key = (parent.id if parent else None, other.id if other else None)
        made = self._contexts.get(key)
        if made is None:
            if len(self._contexts) >= ACTIVITY_CACHE_LIMIT:
                self._contexts.clear()
            activities: dict[str, list[Activity]] = {"grouping": [Activity(id=self._app.id)]}
            if parent is not None:
                activities["parent"] = [Activity(id=parent.id)]
            if other is not None:
                activities["other"] = [Activity(id=other.id)]
            made = self._contexts[key] = ContextActivities(**activities)
        return made

    @staticmethod
    def verb(name: str) -> Verb:
        return Verb(id=ADL_VERB_BASE + name, display=dict(ADL_VERBS[name]))

    def _session_started(self, event: SessionStarted) -> dict[str, Any]:
        return {"verb": "initialized", "object": self._app}

    def _session_ended(self, event: SessionEnded) -> dict[str, Any]:
        return {
            "verb": "terminated",
            "object": self._app,
            "result": Result(completion=True, duration=iso_duration(event.duration_s)),
        }

    def _scene_entered(self, event: SceneEntered) -> dict[str, Any]:
        return {"verb": "initialized", "object": self.activity("scene", event.scene_id)}

    def _scene_left(self, event: SceneLeft) -> dict[str, Any]:
        return {
            "verb": "exited",
            "object": self.activity("scene", event.scene_id),
            "result": Result(duration=iso_duration(event.dwell_s)),
        }

    def _object_viewed(self, event: ObjectViewed) -> dict[str, Any]:
        return {
            "verb": "experienced",
            "object": self._scene_object(event.scene_id, event.object_id),
            "result": Result(duration=iso_duration(event.dwell_s)),
            "parent": self.activity("scene", event.scene_id),
        }

    def _object_selected(self, event: ObjectSelected) -> dict[str, Any]:
        return {
            "verb": "interacted",
            "object": self._scene_object(event.scene_id, event.object_id),
            "parent": self.activity("scene", event.scene_id),
            "via": event.via,
        }

    def _module_requested(self, event: ModuleRequested) -> dict[str, Any]:
        return {
            "verb": "launched",
            "object": self.activity("module", event.module_id),
            "result": Result(success=event.available),
            "parent": self.activity("scene", "lobby"),
        }

    def _control_used(self, event: ControlUsed) -> dict[str, Any]:
        return {
            "verb": "interacted",
            "object": self.activity("control", event.control, event.scene_id),
            "result": Result(response=event.value),
            "parent": self.activity("scene", event.scene_id),
        }

    def _quiz_answered(self, event: QuizAnswered) -> dict[str, Any]:
        question = self.activity("question", f"{event.quiz_id}/{event.question_id}")
        return {
            "verb": "answered",
            "object": question,
            "result": Result(
                success=event.correct,
                response=event.answer_id,
                duration=iso_duration(event.duration_s),
            ),
            "parent": self.activity("quiz", event.quiz_id),
        }

    def _quiz_completed(self, event: QuizCompleted) -> dict[str, Any]:
        mark = self.quiz_pass_marks.get(event.quiz_id, self.default_pass_mark)
        success = event.score >= mark
        score = Score(
            scaled=round(event.score, 4),
            raw=round(event.score * event.questions, 2),
            min=0,
            max=event.questions,
        )
        return {
            "verb": "passed" if success else "failed",
            "object": self.activity("quiz", event.quiz_id),
            "result": Result(
                score=score,
                success=success,
                completion=True,
                duration=iso_duration(event.duration_s),
                extensions={
                    f"{self.vocab}/extension/questions": event.questions,
                    f"{self.vocab}/extension/pass-mark": mark,
                },
            ),
            "parent": self.activity("scene", event.scene_id),
        }

    def _needling_attempted(self, event: NeedlingAttempted) -> dict[str, Any]:
        ext = f"{self.vocab}/extension"
        extensions: dict[str, Any] = {
            f"{ext}/error-mm": round(event.error_mm, 2),
            f"{ext}/error-cun": round(event.error_cun, 3),
            f"{ext}/angle-error-deg": round(event.angle_error_deg, 1),
            f"{ext}/depth-cun": round(event.depth_cun, 3),
            f"{ext}/depth-ok": event.depth_ok,
            f"{ext}/reached": list(event.reached),
        }
        if event.danger is not None:
            extensions[f"{ext}/danger"] = event.danger
        if event.side is not None:
            extensions[f"{ext}/side"] = event.side
        score = round(event.score, 2)
        return {
            "verb": "attempted",
            "object": self.activity("needling", event.point_code),
            "result": Result(
                score=Score(scaled=round(event.score / 100, 4), raw=score, min=0, max=100),
                success=event.danger is None and event.score >= self.needling_pass_score,
                completion=True,
                duration=iso_duration(event.duration_s),
                extensions=extensions,
            ),
            "parent": self.activity("scene", event.scene_id),
            "other": self.activity("point", event.point_code),
        }

    def _lesson_completed(self, event: LessonCompleted) -> dict[str, Any]:
        return {
            "verb": "completed",
            "object": self.activity("lesson", f"{event.course_id}/{event.lesson_id}"),
            "result": Result(completion=True, success=True),
            "parent": self.activity("course", event.course_id),
        }

    def _course_completed(self, event: CourseCompleted) -> dict[str, Any]:
        ext = f"{self.vocab}/extension"
        return {
            "verb": "passed",
            "object": self.activity("course", event.course_id),
            "result": Result(
                success=True,
                completion=True,
                extensions={
                    f"{ext}/cme-credits": event.credits,
                    f"{ext}/credit-type": event.credit_type,
                },
            ),
        }


def unmapped_event_kinds() -> list[str]:
    """Event kinds that have no statement mapping (should be none)."""
    return sorted(set(EVENT_TYPES) - set(STATEMENT_VERBS))
