"""The durable outbox: every statement the learner's session produced, in a SQLite file in
the user's data folder, until the learning record store has it.

``record(event)`` is what the render loop calls: it only hands the event to a bounded
queue (no I/O, no statement building) and returns in microseconds. A writer thread takes
what is queued, builds each statement once (its id and JSON are made there and stored,
never rebuilt), and commits them in one transaction with ``synchronous=FULL`` in WAL
mode, so a committed statement survives a crash or a power cut.

The bound: a statement ``record()`` accepted is committed within ``COMMIT_BOUND_S``
(0.25 s) unless the disk itself stalls; in practice within a few milliseconds, since the
writer wakes on the first item and commits as soon as the queue is empty or a batch is
full. The hand-off never drops: when ``QUEUE_LIMIT`` events wait (the disk is slower than
the producer), ``record()`` waits for room instead.

A file that is not an outbox (corrupt) or that another process holds locked gives one
clear ``OutboxError``; the file is never deleted or rewritten, so nothing already queued
is lost.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from sync.errors import SyncError

log = logging.getLogger("medvr.sync")

QUEUE_LIMIT = 10_000  # events waiting for the writer before record() waits for room
BATCH_LIMIT = 2_000  # statements per transaction
COMMIT_BOUND_S = 0.25
BUSY_TIMEOUT_MS = 2_000
SCHEMA_VERSION = 1

# (statement id, statement JSON bytes), or None for an event that makes no statement.
Converter = Callable[[object], "tuple[str, bytes] | None"]


class OutboxError(SyncError):
    """The outbox file cannot be used (corrupt, locked, unwritable)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the outbox at ``path`` in WAL mode with full sync, schema ready."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db = sqlite_utils.Database(conn)
        db.enable_wal()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        conn.execute("PRAGMA synchronous = FULL")
        _create_schema(db)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        elif version > SCHEMA_VERSION:
            raise OutboxError(
                f"{path}: outbox written by a newer MedVR (schema {version}); left untouched",
                f"{path}：发件箱由更新版本的 MedVR 写入（结构 {version}），未作改动",
            )
    except sqlite3.DatabaseError as e:
        raise _explain(path, e) from None
    except OSError as e:
        raise OutboxError(
            f"{path}: cannot open the outbox ({e})", f"{path}：无法打开发件箱（{e}）"
        ) from None
    if mode.lower() != "wal":
        log.warning("%s: journal mode %s, not WAL", path, mode)
    return conn


def _create_schema(db: sqlite_utils.Database) -> None:
    db["statements"].create(
        {"seq": int, "id": str, "json": bytes, "queued_at": str, "delivered_at": str,
         "attempts": int},
        pk="seq",
        not_null={"id", "json", "queued_at", "attempts"},
        defaults={"attempts": 0},
        if_not_exists=True,
    )  # fmt: skip
    db["statements"].create_index(["id"], unique=True, if_not_exists=True)
    db.execute(
        "CREATE INDEX IF NOT EXISTS statements_pending ON statements(seq) "
        "WHERE delivered_at IS NULL"
    )
    db["dead_letters"].create(
        {"id": str, "json": bytes, "reason": str, "status": int, "at": str},
        pk="id",
        not_null={"json", "reason", "at"},
        if_not_exists=True,
    )
    db["meta"].create({"key": str, "value": str}, pk="key", if_not_exists=True)


def _explain(path: Path, e: sqlite3.DatabaseError) -> OutboxError:
    text = str(e)
    if "locked" in text or "busy" in text:
        return OutboxError(
            f"{path}: the outbox is locked by another program ({text}); nothing was changed",
            f"{path}：发件箱被其他程序锁定（{text}），未作任何改动",
        )
    return OutboxError(
        f"{path}: not a readable outbox ({text}); the file was left as it is",
        f"{path}：发件箱文件无法读取（{text}），文件保持原样",
    )


@dataclass(frozen=True)
class Pending:
    seq: int
    statement_id: str
    json: bytes


@dataclass(frozen=True)
class Counts:
    queued: int
    delivered: int
    dead: int


class Outbox:
    """The outbox file and its writer thread. Use as a context manager or call close()."""

    def __init__(self, path: Path, convert: Converter):
        self.path = Path(path)
        self.convert = convert
        self._conn = connect(self.path)  # the writer's connection
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_LIMIT)
        self._closed = False
        self._error: BaseException | None = None
        self._idle = threading.Condition()
        self._pending_items = 0
        self._thread = threading.Thread(target=self._write_loop, name="medvr-outbox", daemon=True)
        self._thread.start()

    # the render loop's side -----------------------------------------------------------
    def record(self, event: object) -> None:
        """Hand an event to the writer. Never drops: waits for room when the queue is full."""
        if self._closed:
            raise SyncError("the outbox is closed", "发件箱已关闭")
        with self._idle:
            self._pending_items += 1
        self._queue.put(event)

    # the writer thread -----------------------------------------------------------------
    def _write_loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < BATCH_LIMIT:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            try:
                self._store(batch)
            except Exception as e:  # noqa: BLE001 - kept and raised to the next caller
                log.exception("outbox writer failed")
                self._error = e
            with self._idle:
                self._pending_items -= len(batch)
                self._idle.notify_all()
            if stop:
                return

    def _store(self, batch: list) -> None:
        rows = []
        failed: Exception | None = None
        for event in batch:
            try:
                made = self.convert(event)
            except Exception as e:  # noqa: BLE001 - one bad event must not cost the batch
                log.exception("no statement for %r", event)
                failed = e
                continue
            if made is not None:
                rows.append((made[0], made[1], _now()))
        if failed is not None:
            self._error = failed
        if not rows:
            return
        with self._conn:  # one transaction, committed with a full sync
            self._conn.executemany(
                "INSERT OR IGNORE INTO statements (id, json, queued_at) VALUES (?, ?, ?)", rows
            )

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything recorded so far is committed to the file."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending_items > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SyncError("the outbox did not catch up in time", "发件箱未能及时写入")
                self._idle.wait(left)
        if self._error is not None:
            error, self._error = self._error, None
            raise SyncError(
                f"{self.path}: writing failed ({error})", f"{self.path}：写入失败（{error}）"
            )

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()
        self._conn.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_STOP = object()


class OutboxReader:
    """The uploader's and the CLI's view of the file: their own connection."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.conn = connect(self.path)

    def pending(self, limit: int) -> list[Pending]:
        rows = self.conn.execute(
            "SELECT seq, id, json FROM statements WHERE delivered_at IS NULL ORDER BY seq LIMIT ?",
            (limit,),
        ).fetchall()
        return [Pending(seq, sid, bytes(js)) for seq, sid, js in rows]

    def mark_delivered(self, ids: list[str]) -> None:
        at = _now()
        with self.conn:
            self.conn.executemany(
                "UPDATE statements SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL",
                [(at, sid) for sid in ids],
            )

    def count_attempt(self, ids: list[str]) -> None:
        with self.conn:
            self.conn.executemany(
                "UPDATE statements SET attempts = attempts + 1 WHERE id = ?", [(s,) for s in ids]
            )

    def dead_letter(self, statement_id: str, reason: str, status: int | None) -> None:
        """Set a statement aside with the store's reason; it is no longer sent."""
        with self.conn:
            row = self.conn.execute(
                "SELECT json FROM statements WHERE id = ?", (statement_id,)
            ).fetchone()
            if row is None:
                return
            self.conn.execute(
                "INSERT OR REPLACE INTO dead_letters (id, json, reason, status, at) "
                "VALUES (?, ?, ?, ?, ?)",
                (statement_id, row[0], reason, status, _now()),
            )
            self.conn.execute("DELETE FROM statements WHERE id = ?", (statement_id,))

    def set_meta(self, key: str, value: str | None) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value)
            )

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def counts(self) -> Counts:
        queued, delivered = self.conn.execute(
            "SELECT SUM(delivered_at IS NULL), SUM(delivered_at IS NOT NULL) FROM statements"
        ).fetchone()
        dead = self.conn.execute("SELECT COUNT(*) FROM dead_letters").fetchone()[0]
        return Counts(queued or 0, delivered or 0, dead)

    def all_statements(self) -> Iterator[bytes]:
        """Every statement this machine made, delivered or not, oldest first."""
        for (js,) in self.conn.execute("SELECT json FROM statements ORDER BY seq"):
            yield bytes(js)

    def dead_letters(self) -> list[tuple[str, str, int | None]]:
        return self.conn.execute(
            "SELECT id, reason, status FROM dead_letters ORDER BY at"
        ).fetchall()

    def close(self) -> None:
        self.conn.close()
