import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sync.credits import (
    COURSES_PATH,
    DwellRule,
    NeedlingRule,
    QuizRule,
    ViewedRule,
    activity_names,
    evaluate,
    load_courses,
    parse_courses,
    report_lines,
)
from sync.errors import SyncError
from sync.events import (
    BehaviourEvent,
    CourseCompleted,
    LessonCompleted,
    NeedlingAttempted,
    ObjectViewed,
    QuizCompleted,
    SceneLeft,
)
from sync.statements import StatementFactory

ROOT = Path(__file__).resolve().parents[2]
HOME = "https://learn.example.org"
BASE = "https://learn.example.org/xapi/medvr"
SESSION = "0b7c7e0e-3f0e-4d4b-9a57-6a0f4c1d2e3f"
USER = "u-7f3a9c"
AT = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
SHIPPED_SCENES = {"lobby", "anatomy", "acupuncture"}
SHIPPED_QUIZZES = {"find_structure", "acupoint_locate", "acupoint_name"}


def title(en: str, zh: str) -> dict[str, str]:
    return {"zh-CN": zh, "en": en}


# A course with every rule kind, the hall rule included (no shipped course may use it).
COURSE = {
    "about": "Test course.",
    "courses": [
        {
            "id": "demo",
            "title": title("Demo course", "演示课程"),
            "credits": 1.5,
            "credit_type": "cme-class-ii",
            "credit_name": title("Class II CME credit", "II类继续医学教育学分"),
            "lessons": [
                {
                    "id": "anatomy",
                    "title": title("Anatomy", "解剖"),
                    "units": [
                        {
                            "id": "quiz",
                            "title": title("Find the structure", "找出结构"),
                            "rule": "quiz",
                            "quiz_id": "find_structure",
                            "min_score": 0.8,
                        },
                        {
                            "id": "thorax",
                            "title": title("Thorax viewed", "查看胸部"),
                            "rule": "viewed",
                            "scene": "anatomy",
                            "count": 3,
                            "objects": ["heart", "trachea", "sternum", "pleura_l"],
                        },
                    ],
                },
                {
                    "id": "needling",
                    "title": title("Needling", "针刺"),
                    "units": [
                        {
                            "id": "practice",
                            "title": title("Needling practice", "针刺练习"),
                            "rule": "needling",
                            "attempts": 10,
                        },
                        {
                            "id": "chest",
                            "title": title("Chest points", "胸部穴位"),
                            "rule": "needling",
                            "attempts": 2,
                            "min_score": 80,
                            "points": ["LU1", "ST16"],
                        },
                        {
                            "id": "lab_time",
                            "title": title("Lab time", "实验室时间"),
                            "rule": "dwell",
                            "scene": "acupuncture",
                            "min_minutes": 20,
                        },
                    ],
                },
                {
                    "id": "halls",
                    "title": title("Exhibition halls", "展厅"),
                    "units": [
                        {
                            "id": "hall_time",
                            "title": title("Time in the halls", "展厅参观时间"),
                            "rule": "dwell",
                            "scene_prefix": "hall.",
                            "min_minutes": 10,
                        },
                        {
                            "id": "booths",
                            "title": title("Booths seen", "参观展台"),
                            "rule": "viewed",
                            "scene": "hall.oab",
                            "count": 2,
                        },
                    ],
                },
            ],
        }
    ],
}


@pytest.fixture
def course_file(tmp_path: Path) -> Path:
    path = tmp_path / "courses.json"
    path.write_text(json.dumps(COURSE, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def courses(course_file: Path):
    return load_courses(course_file)


def factory(actor: str = USER, courses=None) -> StatementFactory:
    return StatementFactory(
        HOME,
        actor,
        BASE,
        SESSION,
        "MedVR desktop",
        "en",
        "desktop",
        names=activity_names(courses) if courses is not None else None,
    )


def made(*events: BehaviourEvent, actor: str = USER, courses=None) -> list[bytes]:
    """The stored JSON of each event's statement, as the outbox holds it."""
    maker = factory(actor, courses)
    return [maker.statement_for(event).to_json() for event in events]


def needle(code: str = "ST36", score: float = 84.0, danger: str | None = None):
    return NeedlingAttempted(
        scene_id="acupuncture",
        point_code=code,
        side="l",
        error_mm=2.0,
        error_cun=0.1,
        angle_error_deg=4.0,
        depth_cun=1.0,
        depth_ok=True,
        reached=("skin",),
        danger=danger,
        score=score,
        duration_s=12.0,
        at=AT,
    )


def quiz(score: float, quiz_id: str = "find_structure"):
    return QuizCompleted("anatomy", quiz_id, score, 10, 60.0, at=AT)


def unit(report, lesson_id: str, unit_id: str):
    [course] = report.courses
    [lesson] = [item for item in course.lessons if item.lesson.id == lesson_id]
    [found] = [item for item in lesson.units if item.unit.id == unit_id]
    return found


def run(courses, statements, actor: str = USER):
    return evaluate(courses, statements, BASE, actor)


# --- the shipped course ------------------------------------------------------------------


def test_the_shipped_course_uses_only_what_the_app_has_today() -> None:
    courses = load_courses()
    assert COURSES_PATH == ROOT / "sync" / "data" / "courses.json"
    [course] = [c for c in courses if c.id == "thorax_foundations"]
    assert course.title.en == "Thoracic anatomy and acupuncture foundations"
    assert course.title.zh_cn == "胸部解剖与针灸基础"
    assert course.credits > 0 and course.credit_type == "cme-class-ii"

    structures = {
        s["id"]
        for s in json.loads((ROOT / "anatomy/data/structures.json").read_text())["structures"]
    }
    points = {}
    for path in (ROOT / "acupuncture/data/points").glob("*.json"):
        for point in json.loads(path.read_text())["points"]:
            points[point["code"]] = point
    kinds = set()
    for c in courses:
        for lesson in c.lessons:
            for u in lesson.units:
                rule = u.rule
                kinds.add(rule.kind)
                match rule:
                    case QuizRule():
                        assert rule.quiz_id in SHIPPED_QUIZZES
                    case DwellRule():
                        assert rule.scene in SHIPPED_SCENES and rule.scene_prefix is None
                    case ViewedRule():
                        assert rule.scene in SHIPPED_SCENES
                        known = structures if rule.scene == "anatomy" else set(points)
                        assert set(rule.objects) <= known, set(rule.objects) - known
                    case NeedlingRule():
                        assert set(rule.points or ()) <= set(points)
    assert kinds == {"quiz", "needling", "dwell", "viewed"}
    # The chest needling unit is about the pleura: every point in it carries that caution.
    chest = unit(run(courses, []), "safe_needling", "chest_needling").unit.rule
    assert all("pneumothorax" in points[code]["cautions"] for code in chest.points)
    about = json.loads(COURSES_PATH.read_text())["about"]
    assert "set by the platform operator" in about
    assert "no accreditation body" in about
    assert (COURSES_PATH.parent / "SOURCE.md").is_file()


def test_the_shipped_course_can_be_completed_from_real_events() -> None:
    courses = load_courses()
    [course] = courses
    events: list[BehaviourEvent] = [
        SceneLeft("anatomy", 20 * 60, at=AT),
        SceneLeft("acupuncture", 30 * 60, at=AT),
        quiz(0.8),
        quiz(0.9, "acupoint_locate"),
        quiz(1.0, "acupoint_name"),
    ]
    structures = course.lessons[0].units[0].rule.objects
    events += [ObjectViewed("anatomy", sid, 2.0, at=AT) for sid in structures[:8]]
    acupoints = course.lessons[1].units[0].rule.objects
    events += [ObjectViewed("acupuncture", code, 2.0, at=AT) for code in acupoints[:6]]
    events += [needle("ST36") for _ in range(7)] + [needle(c) for c in ("LU1", "PC1", "GB24")]
    report = run(courses, made(*events))
    assert [lesson.done for lesson in report.courses[0].lessons] == [True, True, True]
    assert report.courses[0].done
    assert [event.kind for event in report.due()] == [
        "lesson_completed",
        "lesson_completed",
        "lesson_completed",
        "course_completed",
    ]
    # One fewer structure viewed and the first lesson is not met.
    fewer = [e for e in events if not (isinstance(e, ObjectViewed) and e.object_id == "heart")]
    report = run(courses, made(*fewer))
    assert [lesson.done for lesson in report.courses[0].lessons] == [False, True, True]
    assert unit(report, "thoracic_anatomy", "thoracic_structures").have == 7


# --- rules -------------------------------------------------------------------------------


def test_quiz_best_scaled_score_against_the_minimum(courses) -> None:
    report = run(courses, made(quiz(0.79)))
    progress = unit(report, "anatomy", "quiz")
    assert (progress.have, progress.need, progress.done) == (0.79, 0.8, False)
    report = run(courses, made(quiz(0.5), quiz(0.8), quiz(0.6)))
    progress = unit(report, "anatomy", "quiz")
    assert (progress.have, progress.tries, progress.done) == (0.8, 3, True)
    # Another quiz's score does not count.
    assert not unit(run(courses, made(quiz(1.0, "acupoint_name"))), "anatomy", "quiz").done
    assert unit(run(courses, []), "anatomy", "quiz").tries == 0


def test_needling_counts_good_attempts_without_danger(courses) -> None:
    nine = [needle(score=70.0)] * 5 + [needle(score=99.0)] * 4
    report = run(courses, made(*nine))
    assert (
        unit(report, "needling", "practice").have,
        unit(report, "needling", "practice").done,
    ) == (
        9,
        False,
    )
    # Below the minimum or with a danger: not counted, however high the score.
    not_good = [needle(score=69.9), needle(score=95.0, danger="pneumothorax")]
    report = run(courses, made(*nine, *not_good))
    assert unit(report, "needling", "practice").have == 9
    report = run(courses, made(*nine, *not_good, needle(score=70.0)))
    assert unit(report, "needling", "practice").done


def test_needling_limited_to_points_and_its_own_minimum(courses) -> None:
    statements = made(
        needle("ST36", 95.0),  # not a listed point
        needle("LU1", 79.0),  # below this unit's 80
        needle("ST16", 90.0, danger="pneumothorax"),
        needle("LU1", 80.0),
    )
    chest = unit(run(courses, statements), "needling", "chest")
    assert (chest.have, chest.need, chest.done) == (1, 2, False)
    chest = unit(run(courses, statements + made(needle("ST16", 85.0))), "needling", "chest")
    assert chest.done
    # The unlimited unit took every good attempt at any point, at its default minimum 70.
    assert unit(run(courses, statements), "needling", "practice").have == 3


def test_dwell_sums_the_exits_of_a_scene(courses) -> None:
    events = [SceneLeft("acupuncture", s, at=AT) for s in (600, 540, 59.99)]
    events += [SceneLeft("anatomy", 3600, at=AT), SceneLeft("lobby", 3600, at=AT)]
    progress = unit(run(courses, made(*events)), "needling", "lab_time")
    assert progress.have == pytest.approx(1199.99 / 60)
    assert not progress.done and progress.tries == 3
    progress = unit(
        run(courses, made(*events, SceneLeft("acupuncture", 0.01))), "needling", "lab_time"
    )
    assert progress.done and progress.have == pytest.approx(20.0)


def test_dwell_over_scenes_by_prefix(courses) -> None:
    halls = [SceneLeft("hall.oab", 240), SceneLeft("hall.copd", 300)]
    # Not halls: another scene whose id merely starts with "hall", and the lobby.
    others = [SceneLeft("hallway", 600), SceneLeft("lobby", 600)]
    progress = unit(run(courses, made(*halls, *others)), "halls", "hall_time")
    assert (progress.have, progress.done) == (9.0, False)
    progress = unit(
        run(courses, made(*halls, *others, SceneLeft("hall.oab", 60))), "halls", "hall_time"
    )
    assert (progress.have, progress.done) == (10.0, True)
    # One path segment past the prefix: an activity inside a hall is not a hall.
    inside = json.loads(made(SceneLeft("hall.oab", 600))[0])
    inside["object"]["id"] += "/object/booth"
    assert unit(run(courses, [inside]), "halls", "hall_time").have == 0
    inside["object"]["id"] = inside["object"]["id"].removesuffix("/object/booth")
    assert unit(run(courses, [inside]), "halls", "hall_time").have == 10


def test_viewed_counts_distinct_objects_of_the_scene(courses) -> None:
    events = [
        ObjectViewed("anatomy", "heart", 1.0),
        ObjectViewed("anatomy", "heart", 9.0),  # the same structure again
        ObjectViewed("anatomy", "femur_l", 1.0),  # not listed
        ObjectViewed("acupuncture", "sternum", 1.0),  # another scene
        ObjectViewed("anatomy", "trachea", 1.0),
    ]
    thorax = unit(run(courses, made(*events)), "anatomy", "thorax")
    assert (thorax.have, thorax.need, thorax.done) == (2, 3, False)
    thorax = unit(
        run(courses, made(*events, ObjectViewed("anatomy", "pleura_l", 1))), "anatomy", "thorax"
    )
    assert thorax.done
    # Without a list, any object of the scene counts, once.
    booths = [ObjectViewed("hall.oab", "booth 1", 1), ObjectViewed("hall.oab", "booth 1", 1)]
    assert unit(run(courses, made(*booths)), "halls", "booths").have == 1
    booths.append(ObjectViewed("hall.copd", "booth 2", 1))
    assert unit(run(courses, made(*booths)), "halls", "booths").have == 1
    booths.append(ObjectViewed("hall.oab", "poster", 1))
    assert unit(run(courses, made(*booths)), "halls", "booths").done


def test_other_actors_statements_are_ignored(courses) -> None:
    theirs = made(*[needle()] * 10, quiz(1.0), actor="u-other")
    report = run(courses, theirs)
    assert unit(report, "needling", "practice").have == 0
    assert not unit(report, "anatomy", "quiz").done
    assert report.statements_read == 0
    mine = made(*[needle()] * 10)
    assert unit(run(courses, theirs + mine), "needling", "practice").done


def test_bytes_text_and_dicts_read_alike_and_a_statement_counts_once(courses) -> None:
    statements = made(*[needle()] * 5)
    as_text = [s.decode() for s in statements]
    as_dicts = [json.loads(s) for s in statements]
    for form in (statements, as_text, as_dicts, statements + statements):
        assert unit(run(courses, form), "needling", "practice").have == 5


def test_statements_are_read_in_one_pass(courses) -> None:
    consumed = []

    def stream():
        for statement in made(*[needle()] * 10):
            consumed.append(statement)
            yield statement

    assert unit(run(courses, stream()), "needling", "practice").done
    assert len(consumed) == 10


def test_unreadable_statements_are_counted_not_fatal(courses, caplog) -> None:
    good = made(*[needle()] * 10)
    broken = json.loads(made(SceneLeft("acupuncture", 60))[0])
    broken["result"]["duration"] = "a minute"
    report = run(courses, [b"not json", b"[1, 2]", {"actor": None}, *good, broken])
    assert report.unreadable == 4
    assert unit(report, "needling", "practice").done
    assert unit(report, "needling", "lab_time").have == 0
    assert "not read for credits" in caplog.text


# --- completions ------------------------------------------------------------------------


def test_completions_are_due_once(courses) -> None:
    anatomy = made(
        quiz(0.9),
        *[ObjectViewed("anatomy", sid, 1.0) for sid in ("heart", "trachea", "sternum")],
    )
    report = run(courses, anatomy)
    assert report.due(at=AT) == [LessonCompleted("demo", "anatomy", at=AT)]
    # Recorded, the completion is issued: the same statements plus it make nothing due.
    issued = made(*report.due(), courses=courses)
    report = run(courses, anatomy + issued)
    assert report.due() == []
    [lesson, *_] = report.courses[0].lessons
    assert lesson.issued and lesson.done

    everything = anatomy + issued
    everything += made(*[needle("LU1", 90.0)] * 2, *[needle()] * 8, SceneLeft("acupuncture", 1200))
    everything += made(SceneLeft("hall.oab", 600), *[ObjectViewed("hall.oab", b, 1) for b in "ab"])
    report = run(courses, everything)
    assert report.due(at=AT) == [
        LessonCompleted("demo", "needling", at=AT),
        LessonCompleted("demo", "halls", at=AT),
        CourseCompleted("demo", 1.5, "cme-class-ii", at=AT),
    ]
    assert report.courses[0].done and report.credits_earned == {"cme-class-ii": 1.5}
    everything += made(*report.due(), courses=courses)
    report = run(courses, everything)
    assert report.due() == [] and report.courses[0].issued
    # Another user's completions are not this user's.
    assert len(run(courses, everything, actor="u-other").due()) == 0
    assert run(courses, everything, actor="u-other").courses[0].issued is False


def test_an_issued_lesson_stays_done(courses) -> None:
    # Issued earlier (e.g. before the rules changed), not met by the statements now.
    issued = made(LessonCompleted("demo", "anatomy"), courses=courses)
    [lesson, *_] = run(courses, issued).courses[0].lessons
    assert lesson.issued and not lesson.met and lesson.done
    assert run(courses, issued).due() == []


def test_completion_statements_carry_the_titles_and_the_credit(courses, ralph_validate) -> None:
    statements = made(
        LessonCompleted("demo", "needling", at=AT),
        CourseCompleted("demo", 1.5, "cme-class-ii", at=AT),
        courses=courses,
    )
    lesson, course = (json.loads(s) for s in statements)
    assert lesson["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert lesson["object"]["id"] == f"{BASE}/course/demo/lesson/needling"
    assert lesson["object"]["definition"]["name"] == {"zh-CN": "针刺", "en-US": "Needling"}
    assert lesson["context"]["contextActivities"]["parent"][0]["id"] == f"{BASE}/course/demo"
    assert course["verb"]["id"] == "http://adlnet.gov/expapi/verbs/passed"
    assert course["object"]["definition"]["name"] == {"zh-CN": "演示课程", "en-US": "Demo course"}
    assert course["result"]["extensions"] == {
        f"{BASE}/vocab/extension/cme-credits": 1.5,
        f"{BASE}/vocab/extension/credit-type": "cme-class-ii",
    }
    shipped = load_courses()
    [thorax] = shipped
    events = [LessonCompleted(thorax.id, lesson.id) for lesson in thorax.lessons]
    events.append(CourseCompleted(thorax.id, thorax.credits, thorax.credit_type))
    assert (
        ralph_validate([json.loads(s) for s in statements + made(*events, courses=shipped)]) == []
    )


# --- output -----------------------------------------------------------------------------


def test_as_dict_is_json_ready(courses) -> None:
    report = run(courses, made(*[needle()] * 7, quiz(0.85)))
    data = report.as_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["actor"] == USER and data["statements_read"] == 8
    assert data["credits_earned"] == {}
    [course] = data["courses"]
    assert course["id"] == "demo" and course["credits"] == 1.5 and course["done"] is False
    assert course["credit_name"] == {"zh-CN": "II类继续医学教育学分", "en": "Class II CME credit"}
    needling = course["lessons"][1]
    assert needling["done"] is False and needling["issued"] is False
    assert needling["units"][0] == {
        "id": "practice",
        "title": {"zh-CN": "针刺练习", "en": "Needling practice"},
        "rule": "needling",
        "attempts": 10,
        "min_score": 70.0,
        "have": 7.0,
        "need": 10.0,
        "tries": 7,
        "done": False,
    }
    assert course["lessons"][0]["units"][0]["have"] == 0.85
    assert course["lessons"][2]["units"][0]["scene_prefix"] == "hall."


def test_report_lines_in_both_languages(courses) -> None:
    statements = made(
        *[needle()] * 7,
        quiz(0.85),
        *[SceneLeft("acupuncture", 599.99)] * 2,
        ObjectViewed("anatomy", "heart", 1),
    )
    report = run(courses, statements)
    assert report_lines(report, "en") == [
        "· Demo course: 0/3 lessons; 1.5 × Class II CME credit on completion",
        "  · Anatomy: 1/2 units",
        "    ✓ Find the structure — ≥ 80 %: best 85 %",
        "    · Thorax viewed — viewed: 1/3",
        "  · Needling: 0/3 units",
        "    · Needling practice — needling ≥ 70, no danger: 7/10",
        "    · Chest points — needling ≥ 80 at LU1, ST16, no danger: 0/2",
        "    · Lab time — time: 19.9/20 min",
        "  · Exhibition halls: 0/2 units",
        "    · Time in the halls — time: 0/10 min",
        "    · Booths seen — viewed: 0/2",
    ]
    assert report_lines(report, "zh-CN") == [
        "· 演示课程：0/3 课时；完成后可获 1.5 学分（II类继续医学教育学分）",
        "  · 解剖：1/2 项",
        "    ✓ 找出结构 — ≥ 80%：最高 85%",
        "    · 查看胸部 — 已查看：1/3 个",
        "  · 针刺：0/3 项",
        "    · 针刺练习 — 针刺 ≥ 70 分且无危险：7/10",
        "    · 胸部穴位 — 针刺 LU1, ST16 ≥ 80 分且无危险：0/2",
        "    · 实验室时间 — 用时：19.9/20 分钟",
        "  · 展厅：0/2 项",
        "    · 展厅参观时间 — 用时：0/10 分钟",
        "    · 参观展台 — 已查看：0/2 个",
    ]
    untaken = report_lines(run(courses, []), "en")[2]
    assert untaken == "    · Find the structure — ≥ 80 %: not taken yet"
    assert report_lines(run(courses, []), "zh-CN")[2].endswith("：尚未参加")


def test_report_lines_of_a_finished_course(courses) -> None:
    issued = made(
        *[LessonCompleted("demo", lesson) for lesson in ("anatomy", "needling", "halls")],
        CourseCompleted("demo", 1.5, "cme-class-ii"),
        courses=courses,
    )
    report = run(courses, issued)
    assert report_lines(report, "en")[0] == (
        "✓ Demo course: 3/3 lessons; 1.5 × Class II CME credit earned"
    )
    assert (
        report_lines(report, "zh-CN")[0]
        == "✓ 演示课程：3/3 课时；已获 1.5 学分（II类继续医学教育学分）"
    )


# --- malformed course files -------------------------------------------------------------

U = "courses[0].lessons[0].units[0]"
N = "courses[0].lessons[1].units"


def _set(path: str, value):
    """A change to COURSE: set the value at a dotted path ("courses.0.credits")."""

    def change(data):
        *parents, last = path.split(".")
        target = data
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is _DELETE:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return change


_DELETE = object()
UNIT0 = "courses.0.lessons.0.units.0"
NEEDLE0 = "courses.0.lessons.1.units.0"
DWELL = "courses.0.lessons.1.units.2"
HALL = "courses.0.lessons.2.units.0"
VIEWED = "courses.0.lessons.0.units.1"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set(f"{UNIT0}.min_score", 1.5), f"{U}.min_score: expected a number from 0 to 1"),
        (_set(f"{UNIT0}.min_score", "80%"), f"{U}.min_score: expected a number from 0 to 1"),
        (_set(f"{UNIT0}.min_score", _DELETE), f"{U}.min_score: expected a number from 0 to 1"),
        (_set(f"{UNIT0}.min_score", True), f"{U}.min_score: expected a number from 0 to 1"),
        (_set(f"{NEEDLE0}.min_score", 101), f"{N}[0].min_score: expected a number from 0 to 100"),
        (_set(f"{NEEDLE0}.attempts", 0), f"{N}[0].attempts: expected a whole number, 1 or more"),
        (_set(f"{NEEDLE0}.attempts", 2.5), f"{N}[0].attempts: expected a whole number, 1 or more"),
        (
            _set(f"{UNIT0}.rule", "watch"),
            f"{U}.rule: 'watch' is not a rule kind; expected one of quiz, needling, dwell, viewed",
        ),
        (
            _set(f"{UNIT0}.min_scor", 0.8),
            f"{U}: unknown field min_scor; expected id, title, rule, quiz_id, min_score",
        ),
        (
            _set(f"{VIEWED}.id", "quiz"),
            "courses[0].lessons[0].units[1].id: 'quiz' is already used by " + U,
        ),
        (
            _set("courses.0.lessons.1.id", "anatomy"),
            "courses[0].lessons[1].id: 'anatomy' is already used by courses[0].lessons[0]",
        ),
        (
            _set(f"{UNIT0}.id", "Find Structure"),
            f"{U}.id: 'Find Structure': expected a lowercase id",
        ),
        (
            _set(f"{UNIT0}.title", {"zh-CN": "找出结构"}),
            f'{U}.title: expected {{"zh-CN": …, "en": …}}, a text in each language',
        ),
        (_set(f"{UNIT0}.title.en", " "), f"{U}.title.en: expected non-empty text"),
        (
            _set(f"{UNIT0}.title.en", "Find 结构"),
            f"{U}.title.en: holds Chinese text; it belongs under zh-CN",
        ),
        (_set(f"{UNIT0}.quiz_id", "find structure"), f"{U}.quiz_id: 'find structure': expected"),
        (_set(f"{DWELL}.scene_prefix", "hall."), f"{N}[2]: expected either scene or scene_prefix"),
        (_set(f"{HALL}.scene_prefix", _DELETE), "lessons[2].units[0]: expected either scene or"),
        (_set(f"{DWELL}.min_minutes", 0), f"{N}[2].min_minutes: expected minutes, more than 0"),
        (
            _set(f"{VIEWED}.count", 5),
            "lessons[0].units[1].count: 5 is more than the 4 objects listed",
        ),
        (
            _set("courses.0.lessons.1.units.1.points", ["LU1", "LU1"]),
            f"{N}[1].points[1]: 'LU1' is listed twice",
        ),
        (_set("courses.0.lessons.1.units.1.points", []), f"{N}[1].points: expected a non-empty"),
        (_set("courses.0.credits", -1), "courses[0].credits: expected a number, 0 or more"),
        (_set("courses.0.credits", "2"), "courses[0].credits: expected a number, 0 or more"),
        (_set("courses.0.credit_type", "Class II"), "courses[0].credit_type: 'Class II': expected"),
        (_set("courses.0.lessons", []), "courses[0].lessons: expected a non-empty list of lessons"),
        (_set("courses.0.lessons.0.units", {}), "lessons[0].units: expected a non-empty list"),
        (_set("courses.0.lessons.0.units.0", "quiz"), f"{U}: expected an object"),
        (_set("courses", []), "courses: expected a non-empty list of courses"),
        (_set("about", 3), "about: expected non-empty text"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_malformed_course_files_name_the_place(tmp_path, change, message) -> None:
    data = copy.deepcopy(COURSE)
    change(data)
    path = tmp_path / "courses.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(SyncError) as caught:
        load_courses(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: ")
    assert message in text
    assert "\n" not in text
    assert caught.value.zh and caught.value.zh.startswith(f"{path}：")


def test_the_example_message_in_full(tmp_path) -> None:
    data = copy.deepcopy(COURSE)
    data["courses"][0]["lessons"][1]["units"].append(
        {"id": "q", "title": title("Q", "测"), "rule": "quiz", "quiz_id": "x", "min_score": 80}
    )
    path = tmp_path / "courses.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SyncError) as caught:
        load_courses(path)
    assert str(caught.value) == (
        f"{path}: courses[0].lessons[1].units[3].min_score: expected a number from 0 to 1"
    )


def test_duplicate_course_ids(tmp_path) -> None:
    data = copy.deepcopy(COURSE)
    data["courses"].append(copy.deepcopy(data["courses"][0]))
    with pytest.raises(SyncError, match=r"^courses.json: courses\[1\]\.id: 'demo' is already used"):
        parse_courses(data)


def test_broken_or_missing_files(tmp_path) -> None:
    path = tmp_path / "courses.json"
    path.write_text('{"courses": [\n  {"id": "x",}\n]}', encoding="utf-8")
    with pytest.raises(SyncError, match=r"courses.json: line 2 column 14: not valid JSON"):
        load_courses(path)
    with pytest.raises(SyncError, match="no such course file"):
        load_courses(tmp_path / "gone.json")
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(SyncError, match=r"courses.json: expected an object$"):
        load_courses(path)
    # Strings from the shell are paths too.
    path.write_text(json.dumps(COURSE), encoding="utf-8")
    assert load_courses(str(path))[0].id == "demo"
