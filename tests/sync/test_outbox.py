"""The durable outbox on a real SQLite file: what record() accepts is committed, a killed
process loses nothing accepted before the stated bound, the hand-off never drops, and a
corrupt or locked file is one clear error with the file left untouched."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import pytest

import sync.outbox as outbox_module
from sync.outbox import COMMIT_BOUND_S, Outbox, OutboxError, OutboxReader


def convert(event):
    sid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"medvr-test/{event}"))
    return sid, json.dumps({"id": sid, "n": event}).encode()


def test_recorded_events_are_committed_once_each(tmp_path):
    path = tmp_path / "outbox.sqlite"
    made = []

    def counting(event):
        made.append(event)
        return None if event % 10 == 9 else convert(event)  # some events make no statement

    with Outbox(path, counting) as box:
        for i in range(1000):
            box.record(i)
        box.flush()
        box.record(5)  # the same statement again: stored once
        box.flush()
    reader = OutboxReader(path)
    assert reader.counts().queued == 900
    assert len(made) == 1001
    stored = [json.loads(s) for s in reader.all_statements()]
    assert [s["n"] for s in stored] == [i for i in range(1000) if i % 10 != 9]
    assert reader.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert reader.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_delivery_and_dead_letters_are_kept_apart(tmp_path):
    path = tmp_path / "outbox.sqlite"
    with Outbox(path, convert) as box:
        for i in range(10):
            box.record(i)
    reader = OutboxReader(path)
    batch = reader.pending(4)
    assert [json.loads(p.json)["n"] for p in batch] == [0, 1, 2, 3]
    reader.mark_delivered([p.statement_id for p in batch[:3]])
    reader.dead_letter(batch[3].statement_id, "invalid verb", 400)
    assert reader.counts() == outbox_module.Counts(queued=6, delivered=3, dead=1)
    assert [json.loads(p.json)["n"] for p in reader.pending(100)] == [4, 5, 6, 7, 8, 9]
    assert reader.dead_letters() == [(batch[3].statement_id, "invalid verb", 400)]


def test_a_full_queue_makes_record_wait_and_drops_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(outbox_module, "QUEUE_LIMIT", 5)

    def slow(event):
        time.sleep(0.002)
        return convert(event)

    path = tmp_path / "outbox.sqlite"
    with Outbox(path, slow) as box:
        threads = [
            threading.Thread(target=lambda k=k: [box.record(k * 100 + i) for i in range(50)])
            for k in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        box.flush()
    assert OutboxReader(path).counts().queued == 200


KILLED = textwrap.dedent(
    """
    import json, os, signal, sys, time, uuid
    from pathlib import Path
    from sync.outbox import COMMIT_BOUND_S, Outbox

    def convert(event):
        sid = str(uuid.uuid4())
        return sid, json.dumps({"id": sid, "n": event}).encode()

    box = Outbox(Path(sys.argv[1]), convert)
    for i in range(int(sys.argv[2])):
        box.record(i)
    print("accepted", flush=True)
    time.sleep(COMMIT_BOUND_S)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_a_killed_process_loses_nothing_accepted_before_the_bound(tmp_path):
    path = tmp_path / "outbox.sqlite"
    r = subprocess.run(
        [sys.executable, "-c", KILLED, str(path), "5000"], capture_output=True, text=True
    )
    assert r.returncode == -9 and "accepted" in r.stdout, r.stderr
    assert COMMIT_BOUND_S <= 0.25
    reader = OutboxReader(path)
    assert reader.counts().queued == 5000
    assert sorted(json.loads(s)["n"] for s in reader.all_statements()) == list(range(5000))


def test_a_corrupt_outbox_is_one_clear_line_and_left_as_it_was(tmp_path):
    path = tmp_path / "outbox.sqlite"
    junk = b"this is not a database, but somebody's queued statements may be in here" * 100
    path.write_bytes(junk)
    with pytest.raises(OutboxError) as err:
        Outbox(path, convert)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    assert "not a readable outbox" in str(err.value) and err.value.zh
    assert path.read_bytes() == junk


def test_a_locked_outbox_is_one_clear_line_and_keeps_its_statements(tmp_path, monkeypatch):
    monkeypatch.setattr(outbox_module, "BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "outbox.sqlite"
    with Outbox(path, convert) as box:
        for i in range(20):
            box.record(i)
    holder = sqlite3.connect(path)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(OutboxError, match="locked"):
            with Outbox(path, convert) as box:
                box.record(99)
                box.flush()
    finally:
        holder.rollback()
        holder.close()
    assert OutboxReader(path).counts().queued == 20
