"""The outbox's durable enqueue rate against a naive insert-and-commit per statement, the
cost of one record() call in the render loop, and memory with a million statements
queued, in one run.

- Statements: real ones, StatementFactory over real behaviour events (about 1.2 KB of
  JSON); the rows that time storage alone reuse them with a fresh id each.
- "statements made beforehand": record() is handed finished (id, JSON) pairs, so the
  figure is the hand-off and the durable write, the same work as the naive row.
- "statements built on its writer": record() is handed events and the writer builds each
  statement with StatementFactory, as the app's outbox does.
- Naive: one INSERT and one COMMIT a statement on a connection with the same settings
  (WAL, synchronous=FULL). Each rate is the median of `--runs` runs.
- `--million`: a million statements recorded as fast as the caller can; resident memory
  and the depth of the writer's hand-off queue sampled as they go.

    python bench/outbox.py [--count N] [--runs N] [--million]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sync.events import (  # noqa: E402
    BehaviourEvent,
    NeedlingAttempted,
    ObjectSelected,
    ObjectViewed,
    QuizAnswered,
    SceneLeft,
)
from sync.outbox import QUEUE_LIMIT, Outbox, OutboxReader, connect  # noqa: E402
from sync.statements import StatementFactory  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def factory() -> StatementFactory:
    return StatementFactory(
        actor_home_page="https://learn.example.org",
        actor_name="u-4711",
        activity_base_iri="https://learn.example.org/medvr",
        registration=str(uuid.uuid4()),
        platform="MedVR desktop",
        language="zh-CN",
        mode="desktop",
    )


def event(i: int) -> BehaviourEvent:
    """One event of a learner's session: mostly structures looked at."""
    part = ("heart", "lung_l", "liver", "femur_l", "stomach")[i % 5]
    match i % 8:
        case 0 | 1 | 2 | 3:
            return ObjectViewed(scene_id="anatomy", object_id=part, dwell_s=1.5 + i % 7)
        case 4:
            return ObjectSelected(scene_id="anatomy", object_id=part, via="mouse")
        case 5:
            return QuizAnswered(
                scene_id="anatomy",
                quiz_id="find_structure",
                question_id=f"q{i % 12}",
                answer_id=part,
                correct=i % 3 != 0,
                duration_s=4.2,
            )
        case 6:
            return NeedlingAttempted(
                scene_id="acupuncture",
                point_code="ST36",
                side="l",
                error_mm=2.1,
                error_cun=0.08,
                angle_error_deg=4.0,
                depth_cun=1.2,
                depth_ok=True,
                reached=("skin", "muscle"),
                danger=None,
                score=88.0,
                duration_s=12.0,
            )
        case _:
            return SceneLeft(scene_id="anatomy", dwell_s=120.0)


def converter():
    """The app's converter: the statement of an event, built once, as (id, JSON bytes)."""
    f = factory()

    def convert(e: BehaviourEvent) -> tuple[str, bytes]:
        statement = f.statement_for(e)
        return str(statement.id), statement.to_json()

    return convert


TEMPLATES = [converter()(event(i)) for i in range(8)]


def made(i: int) -> tuple[str, bytes]:
    """A real statement of the session mix with a fresh id: a few microseconds to make."""
    old, js = TEMPLATES[i % len(TEMPLATES)]
    sid = str(uuid.uuid4())
    return sid, js.replace(old.encode(), sid.encode())


def rss_mb() -> float:
    """Resident memory now, MiB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


def peak_rss_mb() -> float:
    """The most resident memory so far, MiB."""
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


def built(path: Path, count: int) -> float:
    events = [event(i) for i in range(count)]
    with Outbox(path, converter()) as box:
        t0 = time.perf_counter()
        for e in events:
            box.record(e)
        box.flush(timeout=600)
        elapsed = time.perf_counter() - t0
    assert OutboxReader(path).counts().queued == count
    return count / elapsed


def building_alone(count: int) -> float:
    """Statements built a second by StatementFactory in one thread, nothing stored."""
    events, convert = [event(i) for i in range(count)], converter()
    t0 = time.perf_counter()
    for e in events:
        convert(e)
    return count / (time.perf_counter() - t0)


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
    n, every = 1_000_000, 100_000
    before, peak_before = rss_mb(), peak_rss_mb()
    samples = []
    deepest = 0
    with Outbox(path, made) as box:  # the statement is made by the writer, as in the app
        t0 = time.perf_counter()
        for i in range(n):
            box.record(i)
            if i % 1000 == 0:
                # The hand-off queue's depth: private, but what this figure is about.
                deepest = max(deepest, box._queue.qsize())
            if (i + 1) % every == 0:
                samples.append(rss_mb())
        box.flush(timeout=600)
        elapsed = time.perf_counter() - t0
    after = rss_mb()
    size = path.stat().st_size / 1e6
    reader = OutboxReader(path)
    queued = reader.counts().queued
    t0 = time.perf_counter()
    first = reader.pending(500)
    read_ms = (time.perf_counter() - t0) * 1000
    print(f"## a million statements queued: {queued:,} in {elapsed:.1f} s "
          f"({queued / elapsed:,.0f}/s), file {size:.0f} MB")  # fmt: skip
    print(f"resident memory {before:.0f} MiB before, {after:.0f} MiB after; every "
          f"{every // 1000}k recorded: {' '.join(f'{s:.0f}' for s in samples)} MiB")  # fmt: skip
    print(f"peak resident {peak_before:.0f} MiB before, {peak_rss_mb():.0f} MiB after; hand-off "
          f"queue at most {deepest:,} deep (limit {QUEUE_LIMIT:,})")  # fmt: skip
    print(f"first batch of {len(first)} read in {read_ms:.1f} ms, "
          f"{rss_mb():.0f} MiB resident after")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--million", action="store_true")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="medvr-bench-outbox-"))
    try:
        run_all(folder, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_all(folder: Path, args: argparse.Namespace) -> None:
    naive_count = max(200, args.count // 20)
    rates, slow, app, calls = [], [], [], []
    for run in range(args.runs):
        rate, times = ours(folder / f"ours{run}.sqlite", args.count)
        rates.append(rate)
        calls.extend(times)
        app.append(built(folder / f"built{run}.sqlite", args.count))
        slow.append(naive(folder / f"naive{run}.sqlite", naive_count))
    rate, fast_app, slow = map(statistics.median, (rates, app, slow))
    building = building_alone(args.count)
    q = statistics.quantiles(calls, n=100)
    size = statistics.mean(len(js) for _, js in TEMPLATES)
    print(f"# outbox, {os.cpu_count()} cores, SQLite {sqlite3.sqlite_version}, WAL, FULL sync, "
          f"statements {size:.0f} bytes on average, median of {args.runs} runs")  # fmt: skip
    print(f"{'':50} {'statements/s':>14}")
    print(f"{'MedVR outbox, statements made beforehand':50} {rate:14,.0f}   ({args.count})")
    print(f"{'MedVR outbox, statements built on its writer':50} {fast_app:14,.0f}   ({args.count})")
    print(f"{'insert + commit per statement':50} {slow:14,.0f}   ({naive_count})")
    print(f"{'(StatementFactory alone, nothing stored)':50} {building:14,.0f}   ({args.count})")
    print(f"ratio: {rate / slow:.0f}x; record() p50 {q[49]:.1f} us, p99 {q[98]:.1f} us")
    if args.million:
        million(folder / "million.sqlite")


if __name__ == "__main__":
    main()
