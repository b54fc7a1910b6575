import json
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from sync.errors import SyncError
from sync.events import (
    EVENT_TYPES,
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
)
from sync.statements import (
    ADL_ACTIVITY_BASE,
    ADL_VERB_BASE,
    STATEMENT_VERBS,
    Activity,
    ActivityDefinition,
    Actor,
    Result,
    Score,
    Statement,
    StatementFactory,
    Verb,
    activity_iri,
    duration_seconds,
    iso_duration,
    platform_for_mode,
    scene_object_iri,
)

HOME = "https://learn.example.org"
BASE = "https://learn.example.org/xapi/medvr"
SESSION = "0b7c7e0e-3f0e-4d4b-9a57-6a0f4c1d2e3f"
AT = datetime(2024, 5, 1, 8, 30, 0, 125000, tzinfo=UTC)

NEEDLING = dict(
    scene_id="acupuncture",
    point_code="ST36",
    side="l",
    error_mm=3.2,
    error_cun=0.11,
    angle_error_deg=7.5,
    depth_cun=1.2,
    depth_ok=True,
    reached=("skin", "tibialis_anterior"),
    danger=None,
    score=84.0,
    duration_s=21.0,
)

# One event of every type, with what its statement must say: verb and object IRI.
SAMPLES = [
    (SessionStarted(SESSION, "sim-vr", "zh-CN", headset="simulated", at=AT), "initialized", "/app"),
    (SessionEnded(SESSION, 1800.5, at=AT), "terminated", "/app"),
    (SceneEntered("anatomy", at=AT), "initialized", "/scene/anatomy"),
    (SceneLeft("anatomy", 42.5, at=AT), "exited", "/scene/anatomy"),
    (ObjectViewed("anatomy", "heart", 3.25, at=AT), "experienced", "/anatomy/structure/heart"),
    (
        ObjectSelected("acupuncture", "ST36", "controller", at=AT),
        "interacted",
        "/acupuncture/point/ST36",
    ),
    (ModuleRequested("exhibits", available=False, at=AT), "launched", "/module/exhibits"),
    (
        ControlUsed("anatomy", "xray", "true", at=AT),
        "interacted",
        "/scene/anatomy/control/xray",
    ),
    (
        QuizAnswered("acupuncture", "acupoint_name", "ST36", "SP6", False, 4.5, at=AT),
        "answered",
        "/quiz/acupoint_name/question/ST36",
    ),
    (
        QuizCompleted("anatomy", "find_structure", 0.9, 10, 95.0, at=AT),
        "passed",
        "/quiz/find_structure",
    ),
    (NeedlingAttempted(**NEEDLING, at=AT), "attempted", "/acupuncture/needling/ST36"),
    (
        LessonCompleted("thorax_foundations", "safe_needling", at=AT),
        "completed",
        "/course/thorax_foundations/lesson/safe_needling",
    ),
    (
        CourseCompleted("thorax_foundations", 2, "cme-class-ii", at=AT),
        "passed",
        "/course/thorax_foundations",
    ),
]

DURATION = re.compile(r"^PT(\d+H)?(\d+M)?(\d+(\.\d{1,2})?S)?$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.fixture
def factory() -> StatementFactory:
    return StatementFactory(
        actor_home_page=HOME,
        actor_name="u-7f3a9c",
        activity_base_iri=BASE,
        registration=SESSION,
        platform="MedVR VR",
        language="zh-CN",
        mode="sim-vr",
        headset="simulated",
    )


def statements(factory: StatementFactory) -> list[Statement]:
    return [factory.statement_for(event) for event, _, _ in SAMPLES]


def test_every_event_type_has_a_mapping_and_a_sample() -> None:
    assert set(STATEMENT_VERBS) == set(EVENT_TYPES)
    assert {type(event).kind for event, _, _ in SAMPLES} == set(EVENT_TYPES)


@pytest.mark.parametrize(("event", "verb", "path"), SAMPLES, ids=lambda v: getattr(v, "kind", ""))
def test_each_event_maps_to_its_verb_and_activity(factory, event, verb, path) -> None:
    statement = factory.statement_for(event)
    assert statement.verb.id == ADL_VERB_BASE + verb
    assert verb in STATEMENT_VERBS[event.kind]
    assert set(statement.verb.display) == {"zh-CN", "en-US"}
    assert statement.object.id == BASE + path
    definition = statement.object.definition
    assert set(definition.name) == set(definition.description) == {"zh-CN", "en-US"}
    context = statement.to_dict()["context"]
    assert context["registration"] == SESSION
    assert context["platform"] == "MedVR VR"
    assert context["language"] == "zh-CN"
    assert context["extensions"][f"{BASE}/vocab/extension/mode"] == "sim-vr"
    assert context["extensions"][f"{BASE}/vocab/extension/headset"] == "simulated"
    assert context["contextActivities"]["grouping"] == [
        {"objectType": "Activity", "id": BASE + "/app"}
    ]


def test_the_scene_decides_what_an_object_id_names(factory) -> None:
    def object_iri(scene_id: str, object_id: str) -> str:
        return factory.statement_for(ObjectViewed(scene_id, object_id, 1.0)).object.id

    assert object_iri("anatomy", "femur_l") == f"{BASE}/anatomy/structure/femur_l"
    assert object_iri("acupuncture", "LI4") == f"{BASE}/acupuncture/point/LI4"
    assert object_iri("lobby", "anatomy") == f"{BASE}/module/anatomy"
    assert object_iri("hall.oab", "booth 1") == f"{BASE}/scene/hall.oab/object/booth%201"
    # Placement keys such as "EX-B2#t3_l" are escaped, not cut at the '#'.
    assert object_iri("acupuncture", "EX-B2#t3_l") == f"{BASE}/acupuncture/point/EX-B2%23t3_l"


def test_dwell_and_quiz_results(factory) -> None:
    viewed = factory.statement_for(ObjectViewed("anatomy", "heart", 3.25, at=AT)).to_dict()
    assert viewed["result"] == {"duration": "PT3.25S"}
    assert viewed["context"]["contextActivities"]["parent"][0]["id"] == f"{BASE}/scene/anatomy"

    answered = factory.statement_for(
        QuizAnswered("acupuncture", "acupoint_locate", "ST36_l", "12mm", True, 61.5)
    ).to_dict()
    assert answered["result"] == {"success": True, "response": "12mm", "duration": "PT1M1.5S"}
    parent = answered["context"]["contextActivities"]["parent"][0]["id"]
    assert parent == f"{BASE}/quiz/acupoint_locate"


def test_quiz_passes_at_the_pass_mark(factory) -> None:
    def result(score: float, quiz_id: str = "find_structure") -> tuple[str, dict]:
        statement = factory.statement_for(QuizCompleted("anatomy", quiz_id, score, 10, 95.0))
        return statement.verb.id.removeprefix(ADL_VERB_BASE), statement.to_dict()["result"]

    verb, passed = result(0.8)
    assert verb == "passed"
    assert passed["success"] is True and passed["completion"] is True
    assert passed["score"] == {"scaled": 0.8, "raw": 8.0, "min": 0.0, "max": 10.0}
    assert passed["duration"] == "PT1M35S"
    verb, failed = result(0.7)
    assert verb == "failed" and failed["success"] is False and failed["completion"] is True

    strict = StatementFactory(
        HOME, "u-1", BASE, SESSION, "MedVR desktop", "en", "desktop", quiz_pass_marks={"q": 0.95}
    )
    assert strict.statement_for(QuizCompleted("anatomy", "q", 0.9, 10, 1.0)).verb.id.endswith(
        "/failed"
    )


def test_lesson_and_course_completions(factory) -> None:
    lesson = factory.statement_for(LessonCompleted("thorax_foundations", "safe_needling"))
    data = lesson.to_dict()
    assert data["result"] == {"completion": True, "success": True}
    assert data["object"]["definition"]["type"] == ADL_ACTIVITY_BASE + "lesson"
    parent = data["context"]["contextActivities"]["parent"]
    assert parent == [{"objectType": "Activity", "id": f"{BASE}/course/thorax_foundations"}]

    course = factory.statement_for(CourseCompleted("thorax_foundations", 1.5, "cme-class-ii"))
    data = course.to_dict()
    assert data["verb"]["id"] == ADL_VERB_BASE + "passed"
    assert data["object"]["definition"]["type"] == ADL_ACTIVITY_BASE + "course"
    assert data["result"] == {
        "success": True,
        "completion": True,
        "extensions": {
            f"{BASE}/vocab/extension/cme-credits": 1.5,
            f"{BASE}/vocab/extension/credit-type": "cme-class-ii",
        },
    }
    assert "parent" not in data["context"]["contextActivities"]
    # Ids with characters an IRI path cannot hold are escaped in both parts.
    odd = factory.statement_for(LessonCompleted("a b", "c#d"))
    assert odd.object.id == f"{BASE}/course/a%20b/lesson/c%23d"


def test_module_level_iris_match_the_factory(factory) -> None:
    for kind, object_id, scene_id in [
        ("quiz", "find_structure", ""),
        ("lesson", "thorax_foundations/safe_needling", ""),
        ("course", "thorax_foundations", ""),
        ("object", "booth 1", "hall.oab"),
    ]:
        assert activity_iri(BASE + "/", kind, object_id, scene_id) == factory.activity_iri(
            kind, object_id, scene_id
        )
    assert scene_object_iri(BASE, "anatomy", "heart") == f"{BASE}/anatomy/structure/heart"
    assert scene_object_iri(BASE, "hall.oab", "x") == f"{BASE}/scene/hall.oab/object/x"
    with pytest.raises(SyncError, match="activity kind 'booth'"):
        activity_iri(BASE, "booth", "x")


def test_needling_result(factory) -> None:
    good = factory.statement_for(NeedlingAttempted(**NEEDLING)).to_dict()
    ext = f"{BASE}/vocab/extension"
    assert good["result"]["score"] == {"scaled": 0.84, "raw": 84.0, "min": 0.0, "max": 100.0}
    assert good["result"]["success"] is True
    assert good["result"]["duration"] == "PT21S"
    extensions = good["result"]["extensions"]
    assert extensions[f"{ext}/error-mm"] == 3.2
    assert extensions[f"{ext}/error-cun"] == 0.11
    assert extensions[f"{ext}/angle-error-deg"] == 7.5
    assert extensions[f"{ext}/depth-cun"] == 1.2
    assert extensions[f"{ext}/depth-ok"] is True
    assert extensions[f"{ext}/reached"] == ["skin", "tibialis_anterior"]
    assert extensions[f"{ext}/side"] == "l"
    assert f"{ext}/danger" not in extensions
    other = good["context"]["contextActivities"]["other"]
    assert other == [{"objectType": "Activity", "id": f"{BASE}/acupuncture/point/ST36"}]

    dangerous = factory.statement_for(
        NeedlingAttempted(**{**NEEDLING, "danger": "pneumothorax", "score": 95.0})
    ).to_dict()
    assert dangerous["result"]["success"] is False
    assert dangerous["result"]["extensions"][f"{ext}/danger"] == "pneumothorax"
    low = factory.statement_for(NeedlingAttempted(**{**NEEDLING, "score": 69.9}))
    assert low.result.success is False


def test_no_personal_data_in_the_json(factory) -> None:
    for statement in statements(factory):
        data = json.loads(statement.to_json())
        assert data["actor"] == {
            "objectType": "Agent",
            "account": {"homePage": HOME, "name": "u-7f3a9c"},
        }
        text = statement.to_json().decode()
        for key in ("mbox", "mbox_sha1sum", "openid", "email", "member"):
            assert f'"{key}"' not in text
    with pytest.raises(ValidationError):
        Actor.model_validate({"name": "Li Wei", "account": {"homePage": HOME, "name": "u-1"}})
    with pytest.raises(ValidationError):
        Actor.model_validate(
            {"mbox": "mailto:li@example.org", "account": {"homePage": HOME, "name": "u-1"}}
        )
    with pytest.raises(SyncError):
        StatementFactory(HOME, "li@example.org", BASE, SESSION, "MedVR VR", "zh-CN", "vr")


def test_ids_are_unique_uuids_made_once(factory) -> None:
    made = statements(factory)
    ids = [json.loads(s.to_json())["id"] for s in made]
    assert len(set(ids)) == len(ids)
    for statement, text in zip(made, ids, strict=True):
        assert uuid.UUID(text) == statement.id
        assert uuid.UUID(text).version == 4
    # The same event twice is two statements; one statement keeps its id and bytes.
    again = factory.statement_for(SAMPLES[4][0])
    assert again.id != made[4].id
    first = made[4].to_json()
    assert made[4].to_json() is first
    restored = Statement.from_json(first)
    assert restored.id == made[4].id
    assert restored.to_json() == first
    assert Statement.model_validate_json(first).to_json() == first


def test_json_is_canonical(factory) -> None:
    statement = factory.statement_for(SAMPLES[0][0])
    raw = statement.to_json()
    data = json.loads(raw)
    assert (
        raw == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    assert data["version"] == "1.0.3"
    assert "None" not in raw.decode() and "null" not in raw.decode()


def test_timestamps_are_the_event_moment_in_utc(factory) -> None:
    for statement in statements(factory):
        text = statement.to_dict()["timestamp"]
        assert TIMESTAMP.match(text)
        assert text == "2024-05-01T08:30:00.125000Z"
    beijing = timezone(timedelta(hours=8))
    local = datetime(2024, 5, 1, 16, 30, tzinfo=beijing)
    statement = factory.statement_for(SceneEntered("lobby", at=local))
    assert statement.to_dict()["timestamp"] == "2024-05-01T08:30:00.000000Z"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "PT0S"),
        (0.5, "PT0.5S"),
        (3.25, "PT3.25S"),
        (59.999, "PT1M"),
        (61.5, "PT1M1.5S"),
        (3600, "PT1H"),
        (3723.456, "PT1H2M3.46S"),
        (90061, "PT25H1M1S"),
    ],
)
def test_durations(seconds, text) -> None:
    assert iso_duration(seconds) == text
    assert DURATION.match(text)
    parsed = TypeAdapter(timedelta).validate_python(text)
    assert abs(parsed.total_seconds() - seconds) <= 0.005
    assert duration_seconds(text) == pytest.approx(parsed.total_seconds())


def test_durations_read_back_in_seconds() -> None:
    assert duration_seconds("PT1H2M3.45S") == pytest.approx(3723.45)
    assert duration_seconds("P1DT2H") == 93_600
    assert duration_seconds("P2W") == 1_209_600
    assert duration_seconds("PT0.5S") == 0.5
    # Years and months have no length in seconds; the rest is not a duration at all.
    for bad in ("P1Y", "P1M", "P", "PT", "P1DT", "PT-1S", "12s", "1:02:03", ""):
        with pytest.raises(SyncError, match="expected an ISO 8601 duration"):
            duration_seconds(bad)


def test_every_duration_in_the_samples_is_iso_8601(factory) -> None:
    for statement in statements(factory):
        if statement.result is not None and statement.result.duration is not None:
            assert DURATION.match(statement.result.duration)


def test_bad_durations_are_refused() -> None:
    for bad in (-1, float("nan"), float("inf")):
        with pytest.raises(SyncError):
            iso_duration(bad)
    for bad in ("12s", "PT", "P", "PT1.5", "1:02:03", "PT-1S"):
        with pytest.raises(ValidationError):
            Result(duration=bad)


def test_platform_for_mode() -> None:
    assert platform_for_mode("sim-vr") == "MedVR VR"
    assert platform_for_mode("vr") == "MedVR VR"
    assert platform_for_mode("desktop") == "MedVR desktop"
    assert platform_for_mode("headless") == "MedVR desktop"


def test_for_session_takes_the_session_settings() -> None:
    started = SessionStarted(SESSION, "desktop", "en", at=AT)
    factory = StatementFactory.for_session(started, HOME, "u-1", BASE)
    context = factory.statement_for(started).to_dict()["context"]
    assert context["registration"] == SESSION
    assert context["platform"] == "MedVR desktop"
    assert context["language"] == "en"
    assert context["extensions"] == {f"{BASE}/vocab/extension/mode": "desktop"}


def good_dict(factory: StatementFactory) -> dict:
    return json.loads(factory.statement_for(NeedlingAttempted(**NEEDLING, at=AT)).to_json())


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda d: d.update(stored="2024-05-01T08:30:00Z"), "extra field on the statement"),
        (lambda d: d["actor"].update(name="Li Wei"), "a name on the actor"),
        (lambda d: d["actor"].update(mbox="mailto:li@example.org"), "an mbox on the actor"),
        (lambda d: d["result"].update(note="x"), "extra field in result"),
        (lambda d: d["object"].update(id="not an iri"), "object id is not an IRI"),
        (lambda d: d["object"].update(id="https:///no-host"), "IRI without a host"),
        (lambda d: d["object"].update(id="https://x.org/a b"), "IRI with a space"),
        (lambda d: d["object"].update(id="https://x.org/a%zz"), "bad percent escape"),
        (lambda d: d["object"].pop("definition"), "object without its definition"),
        (lambda d: d["verb"].update(id="https://example.org/verbs/did"), "verb not ADL"),
        (lambda d: d["verb"]["display"].pop("en-US"), "display without en-US"),
        (lambda d: d["verb"]["display"].update({"en-US": "尝试了"}), "Chinese under en-US"),
        (lambda d: d["verb"]["display"].update({"english": "x"}), "bad language tag"),
        (lambda d: d["object"]["definition"].update(type="performance"), "type not an IRI"),
        (lambda d: d["result"]["score"].update(scaled=1.5), "scaled above 1"),
        (lambda d: d["result"]["score"].update(scaled=-1.01), "scaled below -1"),
        (lambda d: d["result"]["score"].update(raw=101), "raw above max"),
        (lambda d: d["result"]["score"].update(raw=-1), "raw below min"),
        (lambda d: d["result"]["score"].update(min=100, max=0), "min above max"),
        (lambda d: d["result"].update(duration="21 seconds"), "duration not ISO 8601"),
        (lambda d: d["result"]["extensions"].update({"error-mm": 1}), "extension key not an IRI"),
        (lambda d: d.update(id="not-a-uuid"), "id not a UUID"),
        (lambda d: d["context"].update(registration="s-1"), "registration not a UUID"),
        (lambda d: d["context"].update(platform="MedVR mobile"), "unknown platform"),
        (lambda d: d["context"].update(language="Chinese"), "language not a tag"),
        (lambda d: d.update(timestamp="2024-05-01T08:30:00"), "timestamp without a zone"),
        (lambda d: d.update(version="2.0.0"), "not xAPI 1.0.3"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_bad_values_are_refused(factory, change, why) -> None:
    data = good_dict(factory)
    Statement.model_validate(data)
    change(data)
    with pytest.raises(ValidationError):
        Statement.model_validate(data)


def test_models_refuse_bad_values_when_built_in_python() -> None:
    with pytest.raises(ValidationError):
        Score(scaled=2.0)
    with pytest.raises(ValidationError):
        Score(raw=5, min=0, max=4)
    with pytest.raises(ValidationError):
        Verb(id=ADL_VERB_BASE + "liked", display={"zh-CN": "喜欢", "en-US": "liked"})
    with pytest.raises(ValidationError):
        Activity(id="urn has spaces", definition=None)
    with pytest.raises(ValidationError):
        ActivityDefinition(
            type=BASE + "/t", name={"zh-CN": "心脏"}, description={"zh-CN": "x", "en-US": "x"}
        )
    statement = Statement.model_validate(
        {
            "id": str(uuid.uuid4()),
            "actor": {"account": {"homePage": HOME, "name": "u-1"}},
            "verb": {
                "id": ADL_VERB_BASE + "experienced",
                "display": {"zh-CN": "体验了", "en-US": "experienced"},
            },
            "object": {
                "id": BASE + "/anatomy/structure/heart",
                "definition": {
                    "type": BASE + "/vocab/activitytype/anatomical-structure",
                    "name": {"zh-CN": "心脏", "en-US": "Heart"},
                    "description": {"zh-CN": "心脏", "en-US": "The heart"},
                },
            },
            "context": {"registration": SESSION, "platform": "MedVR desktop", "language": "en"},
            "timestamp": "2024-05-01T08:30:00Z",
        }
    )
    with pytest.raises(ValidationError):
        statement.verb = None  # frozen


def test_names_come_from_the_lookup_when_given() -> None:
    names = {("structure", "heart"): {"zh-CN": "心脏", "en-US": "Heart"}}
    factory = StatementFactory(
        HOME,
        "u-1",
        BASE,
        SESSION,
        "MedVR desktop",
        "en",
        "desktop",
        names=lambda kind, object_id: names.get((kind, object_id)),
    )
    heart = factory.statement_for(ObjectViewed("anatomy", "heart", 1.0)).object.definition.name
    assert heart == {"zh-CN": "心脏", "en-US": "Heart"}
    liver = factory.statement_for(ObjectViewed("anatomy", "liver", 1.0)).object.definition.name
    assert liver["en-US"] == "Anatomical structure liver"


def test_bad_settings_are_a_sync_error() -> None:
    for args in (
        ("ftp://learn.example.org", "u-1", BASE, SESSION, "MedVR VR", "zh-CN", "vr"),
        (HOME, "u-1", "not a base", SESSION, "MedVR VR", "zh-CN", "vr"),
        (HOME, "u-1", BASE, "session-1", "MedVR VR", "zh-CN", "vr"),
        (HOME, "u-1", BASE, SESSION, "Quest", "zh-CN", "vr"),
        (HOME, "", BASE, SESSION, "MedVR VR", "zh-CN", "vr"),
    ):
        with pytest.raises(SyncError):
            StatementFactory(*args)


def test_ralphs_strict_model_accepts_one_statement_of_each_type(factory, ralph_validate) -> None:
    made = [json.loads(statement.to_json()) for statement in statements(factory)]
    made.append(
        json.loads(
            factory.statement_for(
                NeedlingAttempted(**{**NEEDLING, "danger": "pneumothorax", "side": None})
            ).to_json()
        )
    )
    made.append(
        json.loads(factory.statement_for(QuizCompleted("anatomy", "q", 0.1, 3, 9.0)).to_json())
    )
    assert ralph_validate(made) == []
