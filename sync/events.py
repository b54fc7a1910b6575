"""Typed behaviour events that scenes emit, and the in-process bus that carries them."""

import logging
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import ClassVar, Literal, TypeVar

from sync.errors import SyncError

logger = logging.getLogger("medvr.sync")

SELECTION_SOURCES = ("mouse", "controller", "script")
SelectionSource = Literal["mouse", "controller", "script"]

# Every concrete event type by its `kind`, filled as the classes are defined.
EVENT_TYPES: dict[str, type["BehaviourEvent"]] = {}


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds and a Z, e.g. 2024-05-01T08:30:00.000000Z."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True, kw_only=True)
class BehaviourEvent:
    """Something a user did, at a moment in UTC. Subclasses set `kind` and add fields."""

    kind: ClassVar[str] = ""
    at: datetime = field(default_factory=utc_now)

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            if cls.kind in EVENT_TYPES:
                raise TypeError(
                    f"event kind {cls.kind!r} is already used by {EVENT_TYPES[cls.kind]}"
                )
            EVENT_TYPES[cls.kind] = cls

    def __post_init__(self) -> None:
        if not self.kind:
            raise SyncError(f"{type(self).__name__} has no kind; record one of its subclasses")
        at = self.at
        if not isinstance(at, datetime):
            raise SyncError(f"{self.kind}: at = {at!r}: expected a datetime")
        if at.utcoffset() is None:
            raise SyncError(
                f"{self.kind}: at = {at.isoformat()} has no time zone; expected an aware datetime"
            )
        # Stored in UTC so that equal moments compare and serialise the same.
        object.__setattr__(self, "at", at.astimezone(UTC))

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: kind, `at` as ISO 8601 UTC with Z, then the event's own fields."""
        data: dict[str, object] = {"kind": self.kind, "at": format_timestamp(self.at)}
        for item in fields(self):
            if item.name != "at":
                data[item.name] = getattr(self, item.name)
        return data

    def _require_id(self, name: str) -> None:
        value = getattr(self, name)
        if not isinstance(value, str) or not value.strip():
            raise SyncError(f"{self.kind}: {name} = {value!r}: expected a non-empty id")

    def _require_text(self, name: str, *, optional: bool = False) -> None:
        value = getattr(self, name)
        if optional and value is None:
            return
        if not isinstance(value, str) or not value.strip():
            raise SyncError(f"{self.kind}: {name} = {value!r}: expected non-empty text")

    def _require_duration(self, name: str) -> None:
        value = getattr(self, name)
        valid = (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value >= 0
        )
        if not valid:
            raise SyncError(f"{self.kind}: {name} = {value!r}: expected seconds, 0 or more")
        object.__setattr__(self, name, float(value))


@dataclass(frozen=True)
class SessionStarted(BehaviourEvent):
    kind: ClassVar[str] = "session_started"
    session_id: str
    mode: str
    language: str
    headset: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self._require_id("session_id")
        self._require_text("mode")
        self._require_text("language")
        self._require_text("headset", optional=True)


@dataclass(frozen=True)
class SessionEnded(BehaviourEvent):
    kind: ClassVar[str] = "session_ended"
    session_id: str
    duration_s: float

    def __post_init__(self) -> None:
        super().__post_init__()
        self._require_id("session_id")
        self._require_duration("duration_s")


@dataclass(frozen=True)
class SceneEntered(BehaviourEvent):
    kind: ClassVar[str] = "scene_entered"
    scene_id: str

    def __post_init__(self) -> None:
        super().__post_init__()
        self._require_id("scene_id")


@dataclass(frozen=True)
class SceneLeft(BehaviourEvent):
    kind: ClassVar[str] = "scene_left"
    scene_id: str
    dwell_s: float

    def __post_init__(self) -> None:
        super().__post_init__()
        self._require_id("scene_id")
        self._require_duration("dwell_s")


@dataclass(frozen=True)
class ObjectViewed(BehaviourEvent):
    kind: ClassVar[str] = "object_viewed"
    scene_id: str
    object_id: str
    dwell_s: float

    def __post_init__(self) -> None:
        super().__post_init__()
        self._require_id("scene_id")
        self._require_id("object_id")
        self._require_duration("dwell_s")


@dataclass(frozen=True)
class ObjectSelected(BehaviourEvent):
    kind: ClassVar[str] = "object_selected"
    scene_id: str
    object_id: str
    via: SelectionSource

    def __post_init__(self) -> None:
        super().__post_init__()
        self._require_id("scene_id")
        self._require_id("object_id")
        if self.via not in SELECTION_SOURCES:
            expected = ", ".join(SELECTION_SOURCES)
            raise SyncError(f"{self.kind}: via = {self.via!r}: expected one of {expected}")


@dataclass(frozen=True)
class ModuleRequested(BehaviourEvent):
    kind: ClassVar[str] = "module_requested"
    module_id: str
    available: bool

    def __post_init__(self) -> None:
        super().__post_init__()
        self._require_id("module_id")
        if not isinstance(self.available, bool):
            raise SyncError(f"{self.kind}: available = {self.available!r}: expected true or false")


@dataclass(frozen=True)
class ControlUsed(BehaviourEvent):
    """A scene control was used: a system toggled, a section plane moved, x-ray on…"""

    kind: ClassVar[str] = "control_used"
    scene_id: str
    control: str
    value: str

    def __post_init__(self) -> None:
        super().__post_init__()
        self._require_id("scene_id")
        self._require_id("control")
        self._require_text("value")


@dataclass(frozen=True)
class QuizAnswered(BehaviourEvent):
    """One quiz question answered: what was asked, what was given, right or not, how fast."""

    kind: ClassVar[str] = "quiz_answered"
    scene_id: str
    quiz_id: str
    question_id: str
    answer_id: str
    correct: bool
    duration_s: float

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("scene_id", "quiz_id", "question_id", "answer_id"):
            self._require_id(name)
        self._require_duration("duration_s")
        if not isinstance(self.correct, bool):
            raise SyncError(f"{self.kind}: correct = {self.correct!r}: expected true or false")


@dataclass(frozen=True)
class QuizCompleted(BehaviourEvent):
    """A quiz round finished: its score (0..1) out of how many questions, and the time."""

    kind: ClassVar[str] = "quiz_completed"
    scene_id: str
    quiz_id: str
    score: float
    questions: int
    duration_s: float

    def __post_init__(self) -> None:
        super().__post_init__()
        self._require_id("scene_id")
        self._require_id("quiz_id")
        self._require_duration("duration_s")
        if not 0.0 <= self.score <= 1.0:
            raise SyncError(f"{self.kind}: score = {self.score!r}: expected 0 to 1")
        if self.questions < 1:
            raise SyncError(f"{self.kind}: questions = {self.questions!r}: expected at least 1")


@dataclass(frozen=True)
class NeedlingAttempted(BehaviourEvent):
    """One needle placed and inserted at a target point: how far from the point (mm and
    local cun), the angle error, the depth against the standard range, what it reached,
    the danger if any, and the score (0..100)."""

    kind: ClassVar[str] = "needling_attempted"
    scene_id: str
    point_code: str
    side: str | None
    error_mm: float
    error_cun: float
    angle_error_deg: float
    depth_cun: float
    depth_ok: bool
    reached: tuple[str, ...]
    danger: str | None
    score: float
    duration_s: float

    def __post_init__(self) -> None:
        super().__post_init__()
        self._require_id("scene_id")
        self._require_id("point_code")
        self._require_duration("duration_s")
        if self.side not in (None, "l", "r"):
            raise SyncError(f"{self.kind}: side = {self.side!r}: expected l, r or none")
        for name in ("error_mm", "error_cun", "angle_error_deg", "depth_cun"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise SyncError(f"{self.kind}: {name} = {value!r}: expected a number, 0 or more")
            object.__setattr__(self, name, float(value))
        if not isinstance(self.depth_ok, bool):
            raise SyncError(f"{self.kind}: depth_ok = {self.depth_ok!r}: expected true or false")
        if not 0.0 <= self.score <= 100.0:
            raise SyncError(f"{self.kind}: score = {self.score!r}: expected 0 to 100")
        object.__setattr__(self, "reached", tuple(self.reached))
        self._require_text("danger", optional=True)


@dataclass(frozen=True)
class LessonCompleted(BehaviourEvent):
    """Every unit of a course's lesson met, as evaluated from the user's statements."""

    kind: ClassVar[str] = "lesson_completed"
    course_id: str
    lesson_id: str

    def __post_init__(self) -> None:
        super().__post_init__()
        self._require_id("course_id")
        self._require_id("lesson_id")


@dataclass(frozen=True)
class CourseCompleted(BehaviourEvent):
    """Every lesson of a course completed: the credit the platform awards for it."""

    kind: ClassVar[str] = "course_completed"
    course_id: str
    credits: float
    credit_type: str

    def __post_init__(self) -> None:
        super().__post_init__()
        self._require_id("course_id")
        self._require_text("credit_type")
        value = self.credits
        valid = (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value >= 0
        )
        if not valid:
            raise SyncError(f"{self.kind}: credits = {value!r}: expected a number, 0 or more")
        object.__setattr__(self, "credits", float(value))


def event_from_dict(data: Mapping[str, object]) -> BehaviourEvent:
    """Rebuild an event from its to_dict() form; SyncError when it does not fit."""
    kind = data.get("kind")
    event_type = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if event_type is None:
        raise SyncError(f"kind = {kind!r}: expected one of {', '.join(EVENT_TYPES)}")
    at = data.get("at")
    if not isinstance(at, str):
        raise SyncError(f"{kind}: at = {at!r}: expected an ISO 8601 timestamp")
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise SyncError(f"{kind}: at = {at!r}: expected an ISO 8601 timestamp") from None
    names = {item.name for item in fields(event_type)} - {"at"}
    values = {key: value for key, value in data.items() if key not in ("kind", "at")}
    unknown = set(values) - names
    if unknown:
        raise SyncError(f"{kind}: unknown fields {', '.join(sorted(unknown))}")
    try:
        return event_type(at=moment, **values)
    except TypeError as exc:
        raise SyncError(f"{kind}: {exc}") from None


Event = TypeVar("Event", bound=BehaviourEvent)


class _Subscription:
    __slots__ = ("event_type", "handler", "active")

    def __init__(self, event_type: type[BehaviourEvent], handler: Callable) -> None:
        self.event_type = event_type
        self.handler = handler
        self.active = True


class EventBus:
    """Delivers each published event to the handlers subscribed to its type or a base of it.

    Handlers run synchronously, in subscription order, on the publishing thread. A handler
    that raises is logged to "medvr.sync" and the others still run.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Replaced, never mutated, so publish() reads it without taking the lock.
        self._subscriptions: tuple[_Subscription, ...] = ()

    def subscribe(
        self, event_type: type[Event], handler: Callable[[Event], None]
    ) -> Callable[[], None]:
        """Call `handler` for every event of `event_type`; returns a function that unsubscribes."""
        if not (isinstance(event_type, type) and issubclass(event_type, BehaviourEvent)):
            raise TypeError(f"expected a BehaviourEvent class, got {event_type!r}")
        if not callable(handler):
            raise TypeError(f"expected a callable handler, got {handler!r}")
        subscription = _Subscription(event_type, handler)
        with self._lock:
            self._subscriptions = (*self._subscriptions, subscription)

        def unsubscribe() -> None:
            with self._lock:
                subscription.active = False
                self._subscriptions = tuple(
                    item for item in self._subscriptions if item is not subscription
                )

        return unsubscribe

    def publish(self, event: BehaviourEvent) -> None:
        """Hand `event` to every matching handler, in the order they subscribed."""
        if not isinstance(event, BehaviourEvent):
            raise TypeError(f"expected a BehaviourEvent, got {event!r}")
        for subscription in self._subscriptions:
            if subscription.active and isinstance(event, subscription.event_type):
                try:
                    subscription.handler(event)
                except Exception:
                    # One broken subscriber must not cost the others their events.
                    logger.exception(
                        "event handler %r failed on a %s event", subscription.handler, event.kind
                    )
