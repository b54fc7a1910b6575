"""The outbox's durable enqueue rate against a naive insert-and-commit per statement, the
cost of one record() call in the render loop, and memory with a million statements
queued, in one run.

    python bench/outbox.py [--count N] [--million]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sync.outbox import Outbox, OutboxReader, connect  # noqa: E402

# A statement the size of a real one (about 900 bytes of JSON).
TEMPLATE = {
    "actor": {"account": {"homePage": "https://learn.example.org", "name": "u-4711"}},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "x"}},
    "object": {
        "id": "https://learn.example.org/medvr/anatomy/structure/heart",
        "definition": {"name": {"zh-CN": "心脏", "en-US": "Heart"}},
    },
    "result": {"duration": "PT12.5S"},
    "context": {"registration": str(uuid.uuid4()), "platform": "MedVR desktop"},
    "timestamp": "2026-11-23T20:00:00.000000Z",
}


def made(i: int) -> tuple[str, bytes]:
    sid = str(uuid.uuid4())
    return sid, json.dumps({"id": sid, **TEMPLATE, "n": i}).encode()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ours(path: Path, count: int) -> tuple[float, list[float]]:
    statements = [made(i) for i in range(count)]
    calls = []
    with Outbox(path, lambda s: s) as box:
        t0 = time.perf_counter()
        for s in statements:
            c0 = time.perf_counter_ns()
            box.record(s)
            calls.append((time.perf_counter_ns() - c0) / 1000)
        box.flush()
        elapsed = time.perf_counter() - t0
    assert OutboxReader(path).counts().queued == count
    return count / elapsed, calls


def naive(path: Path, count: int) -> float:
    conn = connect(path)
    statements = [made(i) for i in range(count)]
    t0 = time.perf_counter()
    for sid, js in statements:
        conn.execute(
            "INSERT INTO statements (id, json, queued_at) VALUES (?, ?, ?)", (sid, js, "now")
        )
        conn.commit()
    elapsed = time.perf_counter() - t0
    conn.close()
    return count / elapsed


def million(path: Path) -> None:
    before = rss_mb()
    n = 1_000_000
    with Outbox(path, made) as box:  # the statement is built by the writer, as in the app
        t0 = time.perf_counter()
        for i in range(n):
            box.record(i)
        box.flush(timeout=600)
        elapsed = time.perf_counter() - t0
    after = rss_mb()
    size = path.stat().st_size / 1e6
    reader = OutboxReader(path)
    queued = reader.counts().queued
    t0 = time.perf_counter()
    first = reader.pending(500)
    read_ms = (time.perf_counter() - t0) * 1000
    print(f"## a million statements queued: {queued} in {elapsed:.1f} s, file {size:.0f} MB")
    print(f"peak RSS {before:.0f} MB before, {after:.0f} MB after; first batch of "
          f"{len(first)} read in {read_ms:.1f} ms")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=20_000)
    ap.add_argument("--million", action="store_true")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp())
    naive_count = max(200, args.count // 20)
    rate, calls = ours(folder / "ours.sqlite", args.count)
    slow = naive(folder / "naive.sqlite", naive_count)
    p50, p99 = statistics.quantiles(calls, n=100)[49], statistics.quantiles(calls, n=100)[98]
    print(f"# outbox, {os.cpu_count()} cores, SQLite {sqlite3.sqlite_version}, WAL, FULL sync")
    print(f"{'':34} {'statements/s':>14}")
    print(f"{'MedVR outbox (batched writer)':34} {rate:14,.0f}   ({args.count} statements)")
    print(f"{'insert + commit per statement':34} {slow:14,.0f}   ({naive_count} statements)")
    print(f"ratio: {rate / slow:.0f}x; record() p50 {p50:.1f} us, p99 {p99:.1f} us")
    if args.million:
        million(folder / "million.sqlite")


if __name__ == "__main__":
    main()
