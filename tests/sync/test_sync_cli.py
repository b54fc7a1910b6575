"""Behaviour sync as the app runs it: consent, credentials, the session's recorder, and the
`medvr sync` and `medvr credits` commands, against a real Ralph LRS."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring

from anatomy.catalog import load_catalog
from app.config import load_config
from app.sync_service import (
    SessionSync,
    account_id,
    ask_consent,
    consent,
    credentials,
    outbox_path,
    save_consent,
    save_credentials,
    status,
)
from sync.errors import SyncError
from sync.events import (
    ObjectViewed,
    QuizCompleted,
    SceneEntered,
    SceneLeft,
    SessionEnded,
    SessionStarted,
)
from sync.outbox import OutboxError, OutboxReader

ROOT = Path(__file__).resolve().parents[2]


def medvr(*args: str, env: dict | None = None, stdin: str | None = None):
    full_env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "app", "--lang", "en", *args],
        capture_output=True,
        text=True,
        env=full_env,
        input=stdin,
        timeout=180,
        cwd=ROOT,
    )


def lrs_env(store, consent: str = "yes") -> dict[str, str]:
    return {
        "MEDVR_LRS_ENDPOINT": store.endpoint,
        "MEDVR_LRS_USERNAME": "medvr",
        "MEDVR_LRS_PASSWORD": "s3cret-test",
        "MEDVR_TELEMETRY_CONSENT": consent,
    }


def stored(config) -> list[dict]:
    reader = OutboxReader(outbox_path(config))
    try:
        return [json.loads(js) for js in reader.all_statements()]
    finally:
        reader.close()


def a_session(sync: SessionSync, extra=()) -> str:
    session_id = str(uuid.uuid4())
    sync.record(SessionStarted(session_id=session_id, mode="desktop", language="en"))
    sync.record(SceneEntered(scene_id="anatomy"))
    sync.record(ObjectViewed(scene_id="anatomy", object_id="heart", dwell_s=4.0))
    for event in extra:
        sync.record(event)
    sync.record(SceneLeft(scene_id="anatomy", dwell_s=30.0))
    sync.record(SessionEnded(session_id=session_id, duration_s=31.0))
    return session_id


@pytest.fixture
def plain_keyring(tmp_path):
    """A real keyring backend (keyrings.alt's plain file) in place of the system one."""
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


# consent -----------------------------------------------------------------------------------
def test_consent_comes_from_environment_then_config_then_the_answer(user_folders, monkeypatch):
    config = load_config()
    assert consent(config).answer == "ask"
    save_consent(config, "yes")
    assert consent(config).source == "answer" and consent(config).granted
    cfg = user_folders / "config" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('[sync]\ntelemetry_consent = "no"\n', encoding="utf-8")
    config = load_config()
    assert (consent(config).answer, consent(config).source) == ("no", "config")
    monkeypatch.setenv("MEDVR_TELEMETRY_CONSENT", "true")
    config = load_config()
    assert (consent(config).answer, consent(config).source) == ("yes", "environment")


def test_first_run_question_keeps_a_clear_answer_only(user_folders):
    config = load_config()
    out = io.StringIO()
    answer = ask_consent(config, "Send? [y/n] ", io.StringIO("maybe\n\nn\n"), out)
    assert answer.answer == "no" and out.getvalue().count("Send?") == 3
    assert consent(config).answer == "no"
    assert ask_consent(config, "?", io.StringIO(""), io.StringIO()).answer == "ask"
    assert consent(config).answer == "no"  # end of input changes nothing
    assert ask_consent(config, "?", io.StringIO("是\n"), io.StringIO()).answer == "yes"
    assert consent(config).granted


def test_account_id_is_made_once_and_never_an_email(user_folders, monkeypatch):
    config = load_config()
    first = account_id(config)
    assert first.startswith("medvr-") and account_id(config) == first
    monkeypatch.setenv("MEDVR_USER_ID", "doc-0042")
    assert account_id(load_config()) == "doc-0042"


# credentials -------------------------------------------------------------------------------
def test_credentials_from_environment_or_keyring_never_the_config(
    user_folders, monkeypatch, plain_keyring
):
    monkeypatch.setenv("MEDVR_LRS_ENDPOINT", "https://lrs.example.org/xAPI")
    config = load_config()
    assert credentials(config).source == "none"
    save_credentials(config, "doc-0042", "pa ss")
    found = credentials(config)
    assert found.source == "keyring"
    assert (found.credentials.username, found.credentials.password) == ("doc-0042", "pa ss")
    assert "pa ss" not in "".join(p.read_text() for p in user_folders.rglob("*.toml"))
    monkeypatch.setenv("MEDVR_LRS_USERNAME", "env-user")
    with pytest.raises(SyncError, match="MEDVR_LRS_PASSWORD is not set"):
        credentials(config)
    monkeypatch.setenv("MEDVR_LRS_PASSWORD", "env-pass")
    assert credentials(config).credentials.username == "env-user"


# the session's recorder ----------------------------------------------------------------------
def test_consent_off_sends_nothing_and_keeps_the_records(user_folders, lrs_proxy, monkeypatch):
    for name, value in lrs_env(lrs_proxy, consent="no").items():
        monkeypatch.setenv(name, value)
    config = load_config()
    with SessionSync(config) as sync:
        a_session(sync)
    assert not sync.sending
    assert lrs_proxy.requests == []
    assert len(stored(config)) == 5
    assert status(config).queued == 5


def test_not_asked_yet_sends_nothing(user_folders, lrs_proxy, monkeypatch):
    env = lrs_env(lrs_proxy)
    del env["MEDVR_TELEMETRY_CONSENT"]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = load_config()
    with SessionSync(config) as sync:
        a_session(sync)
    assert lrs_proxy.requests == [] and status(config).queued == 5


def test_consented_session_reaches_the_store(user_folders, lrs, monkeypatch, ralph_validate):
    for name, value in lrs_env(lrs).items():
        monkeypatch.setenv(name, value)
    config = load_config()
    with SessionSync(config) as sync:
        session_id = a_session(sync)
    ours = stored(config)
    theirs = {s["id"]: s for s in lrs.all_statements()}
    assert sorted(theirs) == sorted(s["id"] for s in ours)
    assert {s["context"]["registration"] for s in ours} == {session_id}
    assert ralph_validate(ours) == []
    viewed = next(s for s in ours if s["verb"]["id"].endswith("/experienced"))
    heart = load_catalog()["heart"].names
    assert viewed["object"]["definition"]["name"] == {"zh-CN": heart.zh, "en-US": heart.en}
    assert status(config).delivered == 5 and status(config).queued == 0


def test_corrupt_outbox_is_one_error_and_left_as_it_was(user_folders):
    config = load_config()
    path = outbox_path(config)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a database, but someone's queued records " * 100)
    before = path.read_bytes()
    with pytest.raises(OutboxError, match="not a readable outbox"):
        SessionSync(config)
    r = medvr("sync", "status")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert str(path) in r.stderr
    assert path.read_bytes() == before


def test_credit_is_issued_once(user_folders, monkeypatch):
    monkeypatch.setenv("MEDVR_TELEMETRY_CONSENT", "no")
    config = load_config()
    thorax = ["trachea", "oesophagus", "diaphragm", "sternum", "pleura_l", "pleura_r"]
    thorax.append("aortic_arch")
    lesson = [
        *(ObjectViewed(scene_id="anatomy", object_id=s, dwell_s=3.0) for s in thorax),
        SceneLeft(scene_id="anatomy", dwell_s=21 * 60.0),
        QuizCompleted(
            scene_id="anatomy", quiz_id="find_structure", score=0.9, questions=10, duration_s=60.0
        ),
    ]
    with SessionSync(config) as sync:
        a_session(sync, lesson[:-1])  # "heart" is viewed by every session: 8 structures
    verbs = [s["verb"]["id"].rsplit("/", 1)[1] for s in stored(config)]
    assert verbs.count("completed") == 0  # the quiz is still missing
    with SessionSync(config) as sync:
        a_session(sync, lesson[-1:])
    done = [s for s in stored(config) if s["verb"]["id"].endswith("/completed")]
    assert [s["object"]["id"].rsplit("/", 1)[1] for s in done] == ["thoracic_anatomy"]
    with SessionSync(config) as sync:
        a_session(sync, lesson)
    again = [s for s in stored(config) if s["verb"]["id"].endswith("/completed")]
    assert len(again) == 1


# the commands --------------------------------------------------------------------------------
def test_tour_records_statements_that_reach_the_store(user_folders, lrs, tmp_path):
    env = lrs_env(lrs)
    out = str(tmp_path / "t")
    r = medvr("tour", "--scene", "lobby", "--out", out, "--size", "160x120", env=env)
    assert r.returncode == 0, r.stderr
    config = load_config()
    ours = stored(config)
    kinds = [s["verb"]["id"].rsplit("/", 1)[1] for s in ours]
    assert kinds[0] == "initialized" and "terminated" in kinds and len(ours) >= 4
    assert sorted(s["id"] for s in lrs.all_statements()) == sorted(s["id"] for s in ours)
    r = medvr("sync", "status", "--json", env=env)
    shown = json.loads(r.stdout)
    assert (shown["queued"], shown["delivered"], shown["consent"]) == (0, len(ours), "yes")
    assert shown["endpoint"] == lrs.endpoint and shown["credentials"] == "environment"


def test_flush_export_and_forget(user_folders, lrs_proxy, tmp_path, monkeypatch):
    env = lrs_env(lrs_proxy, consent="no")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with SessionSync(load_config()) as sync:
        a_session(sync)
    r = medvr("sync", "flush", env=env)
    assert r.returncode == 2 and "not agreed" in r.stderr and lrs_proxy.requests == []

    env["MEDVR_TELEMETRY_CONSENT"] = "yes"
    lrs_proxy.fail(503, count=None)
    r = medvr("sync", "flush", env=env)
    assert r.returncode == 2 and "HTTP 503" in r.stderr and "5 stay queued" in r.stderr
    assert json.loads(medvr("sync", "status", "--json", env=env).stdout)["last_error"]
    lrs_proxy.clear()
    r = medvr("sync", "flush", env=env)
    assert r.returncode == 0 and "Sent 5; 0 still queued" in r.stdout, r.stderr

    out = tmp_path / "mine.json"
    r = medvr("sync", "export", "--out", str(out), env=env)
    assert r.returncode == 0 and len(json.loads(out.read_text())) == 5

    r = medvr("sync", "forget", env=env, stdin="")
    assert r.returncode == 2 and "--yes" in r.stderr
    r = medvr("sync", "forget", "--yes", env=env)
    assert r.returncode == 0 and "Deleted 5" in r.stdout
    assert not outbox_path(load_config()).exists()
    assert json.loads(medvr("sync", "status", "--json", env=env).stdout)["queued"] == 0


def test_forget_is_refused_while_a_session_runs(user_folders, monkeypatch):
    from app.sync_service import forget

    config = load_config()
    with SessionSync(config) as sync:
        a_session(sync)
        with pytest.raises(SyncError, match="MedVR is running"):
            forget(config)
    assert forget(config) == 5


def test_consent_and_login_commands(user_folders, lrs):
    r = medvr("sync", "consent", "yes")
    assert r.returncode == 0 and "Recorded: yes" in r.stdout
    assert consent(load_config()).source == "answer"
    r = medvr("sync", "login", "--username", "medvr", stdin="s3cret-test\n")
    assert r.returncode == 2 and "no learning record store is set" in r.stderr

    env = {"MEDVR_LRS_ENDPOINT": lrs.endpoint}
    r = medvr("sync", "login", "--username", "medvr", stdin="s3cret-test\n", env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(medvr("sync", "status", "--json", env=env).stdout)["credentials"] == "keyring"
    config_text = "".join(p.read_text() for p in user_folders.rglob("*") if p.suffix == ".toml")
    assert "s3cret-test" not in config_text
    with SessionSync(load_config(overrides={})) as sync:  # the stored answer, no endpoint
        a_session(sync)
    r = medvr("sync", "flush", env=env)
    assert r.returncode == 0 and "Sent 5" in r.stdout, r.stderr
    assert len(lrs.all_statements()) == 5
    r = medvr("sync", "logout", env=env)
    assert r.returncode == 0 and "Removed" in r.stdout


def test_credits_command_shows_progress(user_folders, monkeypatch):
    monkeypatch.setenv("MEDVR_TELEMETRY_CONSENT", "no")
    with SessionSync(load_config()) as sync:
        a_session(sync)
    r = medvr("credits", "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["courses"]
    text = medvr("credits").stdout
    assert text.strip()


def test_locked_outbox_is_one_error(user_folders):
    config = load_config()
    with SessionSync(config) as sync:
        a_session(sync)
    holder = sqlite3.connect(outbox_path(config))
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        r = medvr("sync", "status")
    finally:
        holder.rollback()
        holder.close()
    assert r.returncode == 2 and "locked" in r.stderr, r.stderr
    assert status(config).queued == 5


def test_courses_name_real_structures_quizzes_and_points():
    from acupuncture.acupoint_catalog import load_acupoints
    from scenes.registry import scene_ids
    from sync.credits import load_courses

    structures, points = load_catalog().structures, load_acupoints().points
    quizzes = {"find_structure", "acupoint_locate", "acupoint_name"}
    for course in load_courses():
        for lesson in course.lessons:
            for unit in lesson.units:
                rule = unit.rule
                for name in ("objects", "points"):
                    for ref in getattr(rule, name, None) or ():
                        assert ref in structures or ref in points, (unit.id, ref)
                if hasattr(rule, "quiz_id"):
                    assert rule.quiz_id in quizzes, unit.id
                scene = getattr(rule, "scene", None)
                if scene is not None:
                    assert scene in scene_ids(), unit.id


def test_first_start_at_a_terminal_asks_once(user_folders, tmp_path):
    """The question is put on a real terminal (a pty); the answer is kept, not asked again."""
    import pty
    import select

    def run_at_terminal(answer: bytes) -> str:
        master, slave = pty.openpty()
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        args = ["--lang", "en", "tour", "--scene", "lobby", "--size", "160x120"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", *args, "--out", str(tmp_path / "t")],
            stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT,
        )  # fmt: skip
        os.close(slave)
        seen, sent = b"", False
        while True:
            ready, _, _ = select.select([master], [], [], 120)
            if not ready:
                proc.kill()
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closed: the process has ended
                break
            if not chunk:
                break
            seen += chunk
            if not sent and b"[y/n]" in seen:
                os.write(master, answer)
                sent = True
        os.close(master)
        assert proc.wait(timeout=60) == 0, seen.decode(errors="replace")
        return seen.decode(errors="replace")

    first = run_at_terminal(b"n\n")
    assert "Send your learning records? [y/n]" in first
    assert consent(load_config()).answer == "no"
    second = run_at_terminal(b"")
    assert "[y/n]" not in second and "Tour rendered" in second
