"""The uploader against a real Ralph LRS (and the tests' own fault proxy in front of it):
everything delivered once and read back equal, a store that goes away and comes back, a
bad statement set aside with the store's reason, the store's back-pressure honoured, and
a killed uploader that re-sends without duplicating."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from sync.events import ObjectViewed, QuizAnswered
from sync.outbox import Outbox, OutboxReader
from sync.statements import StatementFactory
from sync.uploader import Credentials, RetryLater, Uploader

BASE = "https://learn.example.org/medvr"


def factory() -> StatementFactory:
    return StatementFactory(
        actor_home_page="https://learn.example.org",
        actor_name="u-4711",
        activity_base_iri=BASE,
        registration=str(uuid.uuid4()),
        platform="MedVR desktop",
        language="zh-CN",
        mode="desktop",
    )


def convert_with(f: StatementFactory):
    def convert(event):
        statement = f.statement_for(event)
        return None if statement is None else (str(statement.id), statement.to_json())

    return convert


def fill(path: Path, count: int) -> list[dict]:
    f = factory()
    with Outbox(path, convert_with(f)) as box:
        for i in range(count):
            if i % 3 == 0:
                box.record(
                    QuizAnswered(
                        scene_id="anatomy",
                        quiz_id="find_structure",
                        question_id=f"q{i}",
                        answer_id="heart",
                        correct=i % 2 == 0,
                        duration_s=1.5,
                    )
                )
            else:
                box.record(ObjectViewed(scene_id="anatomy", object_id="heart", dwell_s=i / 10))
    return [json.loads(s) for s in OutboxReader(path).all_statements()]


def uploader_for(path: Path, endpoint: str, lrs, **kw) -> Uploader:
    return Uploader(OutboxReader(path), endpoint, Credentials(lrs.username, lrs.password), **kw)


def test_a_thousand_statements_are_delivered_and_read_back_equal(tmp_path, lrs):
    path = tmp_path / "outbox.sqlite"
    sent = fill(path, 1000)
    up = uploader_for(path, lrs.endpoint, lrs)
    assert up.run_once() == 1000
    assert up.reader.counts().queued == 0 and up.reader.counts().delivered == 1000
    stored = {s["id"]: s for s in lrs.all_statements()}
    assert set(stored) == {s["id"] for s in sent}
    for s in sent[:50]:
        back = stored[s["id"]]
        for key in ("actor", "verb", "object", "result", "timestamp"):
            if key in s:
                assert back[key] == s[key] or key == "timestamp", key
    assert up.run_once() == 0  # nothing left, nothing sent twice
    up.stop()


def test_a_store_down_for_the_middle_of_a_run_gets_everything_after(tmp_path, lrs, lrs_proxy):
    path = tmp_path / "outbox.sqlite"
    fill(path, 300)
    up = uploader_for(path, lrs_proxy.endpoint, lrs, batch_size=50)
    assert up.run_once() == 300
    lrs_proxy.refuse()
    with Outbox(path, convert_with(factory())) as box:
        for i in range(200):
            box.record(ObjectViewed(scene_id="acupuncture", object_id="ST36", dwell_s=i))
    with pytest.raises(RetryLater):
        up.run_once()
    assert up.reader.counts().queued == 200
    lrs_proxy.accept()
    lrs.stop()  # the store itself is down now
    with pytest.raises(RetryLater):
        up.run_once()
    lrs.start()
    assert up.run_once() == 200
    assert len({s["id"] for s in lrs.all_statements()}) == 500
    up.stop()


def test_one_malformed_statement_in_a_hundred_is_set_aside_with_the_reason(tmp_path, lrs):
    path = tmp_path / "outbox.sqlite"
    sent = fill(path, 100)
    reader = OutboxReader(path)
    bad = sent[37]
    broken = {k: v for k, v in bad.items() if k != "actor"}  # no actor: refused by any LRS
    reader.conn.execute(
        "UPDATE statements SET json = ? WHERE id = ?", (json.dumps(broken).encode(), bad["id"])
    )
    reader.conn.commit()
    up = uploader_for(path, lrs.endpoint, lrs, batch_size=100)
    assert up.run_once() == 99
    counts = up.reader.counts()
    assert (counts.queued, counts.delivered, counts.dead) == (0, 99, 1)
    (dead_id, reason, status) = up.reader.dead_letters()[0]
    assert dead_id == bad["id"] and status in (400, 422) and "HTTP" in reason
    assert bad["id"] not in {s["id"] for s in lrs.all_statements()}
    up.stop()


def test_back_pressure_and_a_too_large_batch(tmp_path, lrs, lrs_proxy):
    path = tmp_path / "outbox.sqlite"
    fill(path, 40)
    up = uploader_for(path, lrs_proxy.endpoint, lrs, batch_size=40)
    lrs_proxy.fail(429, count=1, retry_after=3)
    with pytest.raises(RetryLater) as later:
        up.run_once()
    assert later.value.after == pytest.approx(3, abs=0.01)
    lrs_proxy.fail(413, count=1, method="POST")  # the batch is too large: split it
    assert up.run_once() == 40
    posts = [r for r in lrs_proxy.requests if r.method == "POST"]
    assert [r.statements for r in posts[-3:]] == [40, 20, 20]
    fill(path, 1)
    lrs_proxy.fail(503, count=None)
    with pytest.raises(RetryLater):
        up.run_once()
    lrs_proxy.clear()
    assert up.run_once() == 1
    up.stop()


KILLABLE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from sync.outbox import OutboxReader
    from sync.uploader import Credentials, Uploader

    credentials = Credentials(sys.argv[3], sys.argv[4])
    up = Uploader(OutboxReader(Path(sys.argv[1])), sys.argv[2], credentials,
                  batch_size=int(sys.argv[5]))
    print("ready", flush=True)
    up.run_once()
    print("done", flush=True)
    """
)


def test_an_uploader_killed_mid_batch_and_restarted_stores_each_statement_once(
    tmp_path, lrs, lrs_proxy
):
    path = tmp_path / "outbox.sqlite"
    sent = fill(path, 400)
    # Killed as soon as two batches are acknowledged: in the middle of sending the next,
    # which the store may or may not have taken.
    args = [sys.executable, "-c", KILLABLE, str(path), lrs_proxy.endpoint, lrs.username,
            lrs.password, "50"]  # fmt: skip
    child = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    reader = OutboxReader(path)
    deadline = time.monotonic() + 60
    while reader.counts().delivered < 100 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    partly = reader.counts().delivered
    assert 100 <= partly < 400
    up = uploader_for(path, lrs.endpoint, lrs, batch_size=50)
    up.run_once()
    assert up.reader.counts().queued == 0
    ids = [s["id"] for s in lrs.all_statements()]
    assert len(ids) == len(set(ids)) == 400
    assert set(ids) == {s["id"] for s in sent}
    up.stop()


def test_wrong_credentials_set_nothing_aside(tmp_path, lrs):
    """A 401 is the account's fault, not a statement's: all stay queued, the reason shown."""
    path = tmp_path / "outbox.sqlite"
    fill(path, 20)
    up = Uploader(OutboxReader(path), lrs.endpoint, Credentials(lrs.username, "wrong"))
    with pytest.raises(RetryLater, match="HTTP 401"):
        up.run_once()
    counts = up.reader.counts()
    assert (counts.queued, counts.dead) == (20, 0)
    up.stop()
    assert lrs.all_statements() == []
