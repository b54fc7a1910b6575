import json
import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest

from sync.errors import SyncError
from sync.events import (
    EVENT_TYPES,
    BehaviourEvent,
    CourseCompleted,
    EventBus,
    LessonCompleted,
    ModuleRequested,
    ObjectSelected,
    ObjectViewed,
    SceneEntered,
    SceneLeft,
    SessionEnded,
    SessionStarted,
    event_from_dict,
)

AT = datetime(2024, 5, 1, 8, 30, 0, 125000, tzinfo=UTC)

ONE_OF_EACH = [
    SessionStarted("s-1", "sim-vr", "zh-CN", headset="Valve Index", at=AT),
    SessionEnded("s-1", 1800, at=AT),
    SceneEntered("anatomy", at=AT),
    SceneLeft("anatomy", 42.5, at=AT),
    ObjectViewed("anatomy", "femur_l", 3.2, at=AT),
    ObjectSelected("acupuncture", "ST36", "controller", at=AT),
    ModuleRequested("hall.oab", available=False, at=AT),
    LessonCompleted("thorax_foundations", "safe_needling", at=AT),
    CourseCompleted("thorax_foundations", 2, "cme-class-ii", at=AT),
]


def test_every_event_kind_is_covered_and_distinct() -> None:
    kinds = [event.kind for event in ONE_OF_EACH]
    assert len(set(kinds)) == len(kinds)
    assert set(kinds) <= set(EVENT_TYPES)


@pytest.mark.parametrize("event", ONE_OF_EACH, ids=lambda event: event.kind)
def test_to_dict_is_json_ready_with_a_utc_z_timestamp(event: BehaviourEvent) -> None:
    data = event.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["kind"] == event.kind
    assert data["at"] == "2024-05-01T08:30:00.125000Z"


@pytest.mark.parametrize("event", ONE_OF_EACH, ids=lambda event: event.kind)
def test_round_trips_through_json(event: BehaviourEvent) -> None:
    assert event_from_dict(json.loads(json.dumps(event.to_dict()))) == event


def test_to_dict_carries_the_fields() -> None:
    data = ObjectSelected("acupuncture", "ST36", "mouse", at=AT).to_dict()
    assert data == {
        "kind": "object_selected",
        "at": "2024-05-01T08:30:00.125000Z",
        "scene_id": "acupuncture",
        "object_id": "ST36",
        "via": "mouse",
    }
    started = SessionStarted("s-1", "desktop", "en").to_dict()
    assert started["headset"] is None


def test_default_time_is_now_in_utc() -> None:
    before = datetime.now(UTC)
    event = SceneEntered("lobby")
    assert event.at.tzinfo is UTC
    assert before <= event.at <= datetime.now(UTC)


def test_other_time_zones_are_stored_as_utc() -> None:
    beijing = timezone(timedelta(hours=8))
    event = SceneEntered("lobby", at=datetime(2024, 5, 1, 16, 30, tzinfo=beijing))
    assert event.at == datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    assert event.to_dict()["at"] == "2024-05-01T08:30:00.000000Z"


def test_naive_datetime_is_rejected() -> None:
    with pytest.raises(SyncError, match="no time zone"):
        SceneEntered("lobby", at=datetime(2024, 5, 1, 8, 30))


def test_non_datetime_is_rejected() -> None:
    with pytest.raises(SyncError, match="expected a datetime"):
        SceneEntered("lobby", at="2024-05-01T08:30:00Z")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "make",
    [
        lambda: SceneEntered(""),
        lambda: SceneEntered("   "),
        lambda: SceneLeft("", 1.0),
        lambda: ObjectViewed("anatomy", "", 1.0),
        lambda: ObjectSelected("", "heart", "mouse"),
        lambda: SessionStarted("", "desktop", "en"),
        lambda: SessionEnded("", 1.0),
        lambda: ModuleRequested("", available=True),
    ],
)
def test_empty_ids_are_rejected(make) -> None:
    with pytest.raises(SyncError, match="non-empty id"):
        make()


@pytest.mark.parametrize("bad", [-0.001, float("nan"), float("inf"), "3", True])
def test_bad_durations_are_rejected(bad: object) -> None:
    with pytest.raises(SyncError, match="expected seconds"):
        SceneLeft("anatomy", bad)  # type: ignore[arg-type]
    with pytest.raises(SyncError, match="expected seconds"):
        ObjectViewed("anatomy", "heart", bad)  # type: ignore[arg-type]
    with pytest.raises(SyncError, match="expected seconds"):
        SessionEnded("s-1", bad)  # type: ignore[arg-type]


def test_zero_duration_is_allowed_and_stored_as_float() -> None:
    event = SceneLeft("anatomy", 0)
    assert event.dwell_s == 0.0 and isinstance(event.dwell_s, float)


def test_other_field_checks() -> None:
    with pytest.raises(SyncError, match="via"):
        ObjectSelected("anatomy", "heart", "keyboard")  # type: ignore[arg-type]
    with pytest.raises(SyncError, match="available"):
        ModuleRequested("hall.oab", available="yes")  # type: ignore[arg-type]
    with pytest.raises(SyncError, match="headset"):
        SessionStarted("s-1", "vr", "en", headset="")
    with pytest.raises(SyncError, match="mode"):
        SessionStarted("s-1", "", "en")


def test_course_completion_checks() -> None:
    course = CourseCompleted("thorax_foundations", 2, "cme-class-ii")
    assert course.credits == 2.0 and isinstance(course.credits, float)
    assert CourseCompleted("c", 0, "cme-class-ii").credits == 0.0
    for bad in (-0.5, float("nan"), float("inf"), "2", True, None):
        with pytest.raises(SyncError, match="credits = .*expected a number, 0 or more"):
            CourseCompleted("c", bad, "cme-class-ii")  # type: ignore[arg-type]
    for bad in ("", "  ", None):
        with pytest.raises(SyncError, match="credit_type"):
            CourseCompleted("c", 1, bad)  # type: ignore[arg-type]
    with pytest.raises(SyncError, match="course_id = '': expected a non-empty id"):
        CourseCompleted("", 1, "cme-class-ii")
    with pytest.raises(SyncError, match="lesson_completed: lesson_id = '  '"):
        LessonCompleted("c", "  ")
    with pytest.raises(SyncError, match="lesson_completed: course_id"):
        LessonCompleted("", "l")


def test_events_are_immutable() -> None:
    event = SceneEntered("lobby")
    with pytest.raises(AttributeError):
        event.scene_id = "hall"  # type: ignore[misc]


def test_base_event_cannot_be_recorded() -> None:
    with pytest.raises(SyncError, match="no kind"):
        BehaviourEvent()


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "teleported", "at": "2024-05-01T08:30:00Z"},
        {"kind": "scene_entered"},
        {"kind": "scene_entered", "at": "yesterday", "scene_id": "lobby"},
        {"kind": "scene_entered", "at": "2024-05-01T08:30:00Z"},
        {"kind": "scene_entered", "at": "2024-05-01T08:30:00Z", "scene_id": "a", "x": 1},
        {"kind": "scene_entered", "at": "2024-05-01T08:30:00", "scene_id": "lobby"},
    ],
)
def test_event_from_dict_rejects_what_does_not_fit(data: dict[str, object]) -> None:
    with pytest.raises(SyncError):
        event_from_dict(data)


def test_bus_delivers_in_subscription_order() -> None:
    bus = EventBus()
    calls: list[str] = []
    bus.subscribe(SceneEntered, lambda event: calls.append("first"))
    bus.subscribe(BehaviourEvent, lambda event: calls.append("all"))
    bus.subscribe(SceneEntered, lambda event: calls.append("third"))
    bus.publish(SceneEntered("lobby"))
    assert calls == ["first", "all", "third"]


def test_bus_filters_by_type_and_base_type_gets_everything() -> None:
    bus = EventBus()
    entered: list[BehaviourEvent] = []
    everything: list[BehaviourEvent] = []
    bus.subscribe(SceneEntered, entered.append)
    bus.subscribe(BehaviourEvent, everything.append)
    events = [SceneEntered("lobby"), SceneLeft("lobby", 2.0), ModuleRequested("m", True)]
    for event in events:
        bus.publish(event)
    assert entered == [events[0]]
    assert everything == events


def test_bus_delivers_subclasses_to_their_base() -> None:
    class GuidedSceneEntered(SceneEntered):
        kind = "guided_scene_entered"

    try:
        bus = EventBus()
        received: list[SceneEntered] = []
        bus.subscribe(SceneEntered, received.append)
        guided = GuidedSceneEntered("hall.oab")
        bus.publish(guided)
        assert received == [guided]
    finally:
        EVENT_TYPES.pop("guided_scene_entered")


def test_unsubscribe_stops_delivery_and_can_be_called_twice() -> None:
    bus = EventBus()
    received: list[BehaviourEvent] = []
    unsubscribe = bus.subscribe(BehaviourEvent, received.append)
    bus.publish(SceneEntered("lobby"))
    unsubscribe()
    unsubscribe()
    bus.publish(SceneEntered("hall"))
    assert [event.scene_id for event in received] == ["lobby"]


def test_unsubscribe_removes_only_its_own_subscription() -> None:
    bus = EventBus()
    received: list[BehaviourEvent] = []
    first = bus.subscribe(SceneEntered, received.append)
    bus.subscribe(SceneEntered, received.append)
    first()
    bus.publish(SceneEntered("lobby"))
    assert len(received) == 1


def test_handler_unsubscribed_during_publish_is_not_called() -> None:
    bus = EventBus()
    calls: list[str] = []
    unsubscribe_second = None

    def first(event: BehaviourEvent) -> None:
        calls.append("first")
        unsubscribe_second()

    bus.subscribe(SceneEntered, first)
    unsubscribe_second = bus.subscribe(SceneEntered, lambda event: calls.append("second"))
    bus.publish(SceneEntered("lobby"))
    assert calls == ["first"]


def test_raising_handler_is_logged_and_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = EventBus()
    calls: list[str] = []

    def broken(event: BehaviourEvent) -> None:
        raise RuntimeError("outbox full")

    bus.subscribe(SceneEntered, lambda event: calls.append("before"))
    bus.subscribe(SceneEntered, broken)
    bus.subscribe(SceneEntered, lambda event: calls.append("after"))
    with caplog.at_level(logging.ERROR, logger="medvr.sync"):
        bus.publish(SceneEntered("lobby"))
    assert calls == ["before", "after"]
    [record] = [r for r in caplog.records if r.name == "medvr.sync"]
    assert "scene_entered" in record.getMessage()
    assert record.exc_info is not None and "outbox full" in str(record.exc_info[1])


def test_bus_rejects_what_is_not_an_event() -> None:
    bus = EventBus()
    with pytest.raises(TypeError):
        bus.publish({"kind": "scene_entered"})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        bus.subscribe(dict, print)  # type: ignore[arg-type]
