"""Upload throughput to a real Ralph LRS on loopback, in one run: the Uploader at a few
batch sizes against one POST per statement (what one would write first with httpx), how
the figure falls as Ralph's store grows, and whose time it is, ours or Ralph's.

- Every row starts its own Ralph (tests/sync/ralph_server.py, the tests' launcher:
  filesystem backend, HTTP Basic auth, 127.0.0.1) and fills a fresh outbox with real
  statements: StatementFactory over a mix of real behaviour events, as the app makes them.
  Timed from the first read of the outbox to the last statement marked delivered.
- "null store": the same Uploader against an in-process transport that answers 200 at
  once (no HTTP, no Ralph): what our side alone can move.
- Store growth: Ralph started on a store already holding N statements (its own stored
  lines, each with a new id) and the history file such a store has; Ralph's filesystem
  backend parses every stored line on each POST to find duplicate ids, and rewrites its
  whole history file (two entries a POST) on each POST.
- Where Ralph's time goes: one run under cProfile, by part of its POST handling.

    python bench/upload.py [--count N] [--naive-count N] [--batch-sizes 100,500,1000]
                           [--stores 0,10000,50000,100000]

Needs Ralph's venv, `.venv-ralph` (`make bench` makes it).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "sync"))

import httpx  # noqa: E402
from ralph_server import RalphLRS, RalphMissing, ralph_python  # noqa: E402

from sync.events import (  # noqa: E402
    BehaviourEvent,
    ControlUsed,
    NeedlingAttempted,
    ObjectSelected,
    ObjectViewed,
    QuizAnswered,
    SceneLeft,
)
from sync.outbox import Outbox, OutboxReader  # noqa: E402
from sync.statements import StatementFactory  # noqa: E402
from sync.uploader import Credentials, Uploader  # noqa: E402

STORE_FILE = "fs_lrs.jsonl"  # Ralph's FSLRSBackend.DEFAULT_LRS_FILE
HISTORY_PER_POST = 2  # Ralph's history gets a "read" (the id check) and a "write" a POST
GROWTH_HISTORY_BATCH = 100  # the growth rows' history: statements received 100 a POST
GROWTH_POSTS = {100: 10, 1000: 3, 1: 10}  # POSTs timed per growth cell, by batch size
STRUCTURES = ("heart", "lung_l", "lung_r", "liver", "femur_l", "humerus_r", "stomach")
POINTS = ("ST36", "LI4", "PC6", "SP6", "LR3")


def session_events(n: int) -> Iterator[BehaviourEvent]:
    """A learner's session: mostly structures looked at, some picks, quizzes, needling."""
    for i in range(n):
        part = STRUCTURES[i % len(STRUCTURES)]
        match i % 10:
            case 0 | 1 | 2 | 3:
                yield ObjectViewed(scene_id="anatomy", object_id=part, dwell_s=1.5 + i % 7)
            case 4:
                yield ObjectSelected(scene_id="anatomy", object_id=part, via="mouse")
            case 5:
                yield QuizAnswered(
                    scene_id="anatomy",
                    quiz_id="find_structure",
                    question_id=f"q{i % 12}",
                    answer_id=part,
                    correct=i % 3 != 0,
                    duration_s=4.2,
                )
            case 6:
                yield ControlUsed(scene_id="anatomy", control="explode", value=f"{i % 10 / 10}")
            case 7 | 8:
                yield NeedlingAttempted(
                    scene_id="acupuncture",
                    point_code=POINTS[i % len(POINTS)],
                    side="l" if i % 2 else "r",
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
                yield SceneLeft(scene_id="anatomy", dwell_s=120.0)


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


def filled_outbox(path: Path, count: int) -> OutboxReader:
    """An outbox holding `count` statements, built on its writer thread as in the app."""
    f = factory()

    def convert(event: BehaviourEvent) -> tuple[str, bytes]:
        statement = f.statement_for(event)
        return str(statement.id), statement.to_json()

    with Outbox(path, convert) as box:
        for event in session_events(count):
            box.record(event)
        box.flush(timeout=600)
    return OutboxReader(path)


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Run:
    """One timed delivery: statements, wall seconds, our CPU and the store's CPU seconds."""

    statements: int
    wall: float
    ours: float
    store: float | None

    @property
    def rate(self) -> float:
        return self.statements / self.wall


def timed(send, reader: OutboxReader, count: int, pid: int | None) -> Run:
    """Times `send()`, which must deliver all `count` queued statements; closes `reader`."""
    store0 = cpu_s(pid) if pid else None
    cpu0, t0 = time.process_time(), time.perf_counter()
    delivered = send()
    wall, ours = time.perf_counter() - t0, time.process_time() - cpu0
    store = cpu_s(pid) - store0 if pid else None
    if delivered != count or reader.counts().queued:
        raise SystemExit(f"only {delivered} of {count} delivered: {reader.counts()}")
    reader.close()
    return Run(count, wall, ours, store)


def batched(reader: OutboxReader, lrs: RalphLRS | None, batch: int, count: int) -> Run:
    if lrs is None:  # the null store: every POST answered 200 at once, in process
        null = httpx.MockTransport(lambda request: httpx.Response(200, json=[]))
        up = Uploader(reader, "http://null.invalid/xAPI", None, batch_size=batch, transport=null)
    else:
        credentials = Credentials(lrs.username, lrs.password)
        up = Uploader(reader, lrs.endpoint, credentials, batch_size=batch)
    try:
        return timed(up.run_once, reader, count, lrs.pid if lrs else None)
    finally:
        up.client.close()


def one_per_post(reader: OutboxReader, lrs: RalphLRS, count: int) -> Run:
    """The obvious loop: POST each statement with httpx, mark it delivered when stored."""
    with httpx.Client(auth=lrs.auth, headers=lrs.headers, timeout=60) as client:

        def send() -> int:
            sent = 0
            for p in reader.pending(count):
                r = client.post(
                    f"{lrs.endpoint}/statements",
                    content=p.json,
                    headers={"Content-Type": "application/json"},
                )
                r.raise_for_status()
                reader.mark_delivered([p.statement_id])
                sent += 1
            return sent

        return timed(send, reader, count, lrs.pid)


class Seed:
    """Lines as Ralph stores them, and its history entries, from a real upload."""

    def __init__(self, workdir: Path):
        with RalphLRS(workdir / "ralph") as lrs:
            reader = filled_outbox(workdir / "seed.sqlite", 1000)
            batched(reader, lrs, 100, 1000)
            self.startup_s = lrs.startup_s
            self.lines = (lrs.data_dir / STORE_FILE).read_bytes().splitlines()
            self.history = json.loads((lrs.workdir / "history.json").read_text())
        self.ids = [json.loads(line)["id"].encode() for line in self.lines]
        self.line_bytes = sum(map(len, self.lines)) / len(self.lines)

    def prefill(self, lrs: RalphLRS, statements: int, history: int) -> None:
        """Before `lrs` starts: `statements` stored lines (new ids) and `history` entries."""
        templates = itertools.cycle(zip(self.lines, self.ids, strict=True))
        with open(lrs.data_dir / STORE_FILE, "wb") as out:
            for start in range(0, statements, 10_000):
                chunk = itertools.islice(templates, min(10_000, statements - start))
                out.writelines(line.replace(sid, new_id()) + b"\n" for line, sid in chunk)
        entries = list(itertools.islice(itertools.cycle(self.history), history))
        (lrs.workdir / "history.json").write_text(json.dumps(entries))


def new_id() -> bytes:
    return str(uuid.uuid4()).encode()


def fresh_ralph(folder: Path, **kw) -> RalphLRS:
    folder.mkdir(parents=True)
    return RalphLRS(folder, **kw)


def throughput(folder: Path, args, seed: Seed) -> None:
    mean = statement_bytes(folder)
    print(f"## {args.count:,} statements a row ({args.naive_count:,} one per POST) to a store "
          f"that starts empty; {mean:.0f} bytes each as sent, {seed.line_bytes:.0f} as "
          f"Ralph stores them")  # fmt: skip
    print(f"{'client':34} {'batch':>6} {'stmts/s':>9} {'Ralph busy':>11} "
          f"{'Ralph CPU us/stmt':>18} {'our CPU us/stmt':>16}")  # fmt: skip
    rows = []
    for batch in args.batch_sizes:
        reader = filled_outbox(folder / f"a{batch}.sqlite", args.count)
        with fresh_ralph(folder / f"a{batch}") as lrs:
            rows.append(("MedVR Uploader", batch, batched(reader, lrs, batch, args.count)))
    reader = filled_outbox(folder / "naive.sqlite", args.naive_count)
    with fresh_ralph(folder / "naive") as lrs:
        naive = one_per_post(reader, lrs, args.naive_count)
        rows.append(("one POST per statement (httpx)", 1, naive))
    for name, batch, run in rows:
        per = 1e6 / run.statements
        print(f"{name:34} {batch:>6} {run.rate:>9,.0f} {run.store / run.wall:>11.0%} "
              f"{run.store * per:>18.0f} {run.ours * per:>16.0f}")  # fmt: skip
    best = max((r for _, _, r in rows[:-1]), key=lambda r: r.rate)
    print(f"best batch against one per POST: {best.rate / rows[-1][2].rate:.0f}x")
    print("## our side alone: the same Uploader against a null store (in-process 200s)")
    for batch in args.batch_sizes:
        reader = filled_outbox(folder / f"null{batch}.sqlite", args.count)
        run = batched(reader, None, batch, args.count)
        print(f"{'MedVR Uploader, null store':34} {batch:>6} {run.rate:>9,.0f} {'':>11} "
              f"{'':>18} {run.ours * 1e6 / run.statements:>16.0f}")  # fmt: skip


def statement_bytes(folder: Path) -> float:
    reader = filled_outbox(folder / "sizes.sqlite", 100)
    sizes = [len(js) for js in reader.all_statements()]
    reader.close()
    return sum(sizes) / len(sizes)


def growth(folder: Path, args, seed: Seed) -> None:
    print(f"## as the store grows: statements/s by batch size, Ralph's history file as "
          f"{GROWTH_HISTORY_BATCH} statements a POST leave it ({HISTORY_PER_POST} entries a "
          f"POST); last row: as one a POST leaves it")  # fmt: skip
    sizes = sorted(GROWTH_POSTS, reverse=True)
    heads = [f"batch {b}" if b > 1 else "1 a POST" for b in sizes] + ["ms a POST of 1"]
    print(f"{'stored':>9} {'file MB':>8} {'history':>8} " + " ".join(f"{h:>14}" for h in heads))
    cases = [(n, n * HISTORY_PER_POST // GROWTH_HISTORY_BATCH) for n in args.stores]
    if args.stores:  # the second size again, with the history POSTs of one leave
        again = args.stores[min(1, len(args.stores) - 1)]
        cases.append((again, again * HISTORY_PER_POST))
    for stored, history in cases:
        rates = []
        for batch in sizes:
            count = batch * GROWTH_POSTS[batch]
            reader = filled_outbox(folder / f"g{stored}-{history}-{batch}.sqlite", count)
            lrs = fresh_ralph(folder / f"g{stored}-{history}-{batch}")
            seed.prefill(lrs, stored, history)
            size = (lrs.data_dir / STORE_FILE).stat().st_size / 1e6
            with lrs:
                if batch == 1:
                    rates.append(one_per_post(reader, lrs, count).rate)
                else:
                    rates.append(batched(reader, lrs, batch, count).rate)
            shutil.rmtree(lrs.workdir)
        cells = [f"{r:>14,.0f}" for r in rates] + [f"{1000 / rates[-1]:>14.1f}"]
        print(f"{stored:>9,} {size:>8.0f} {history:>8,} " + " ".join(cells))


# Parts of Ralph's POST handling, by (module path suffix, function name).
REQUEST = ("uvicorn/protocols/http/httptools_impl.py", "run_asgi")
HISTORY = ("ralph/backends/data/mixins.py", "append_to_history")
PARTS = {
    "id check (parses every stored line)": [
        ("ralph/backends/lrs/fs.py", "query_statements_by_ids")
    ],
    "history file rewritten": [HISTORY],
    "statements appended": [("ralph/backends/data/fs.py", "_write_bytes")],
    "statements validated": [("ralph/api/partial_success.py", "validate_strict_statements"),
                             ("ralph/api/routers/statements.py", "_statements_to_dict")],
    "body parsed": [("starlette/requests.py", "json")],
}  # fmt: skip
STORED_LINE_PARSED = ("json/__init__.py", "loads")


def profile(folder: Path, args, seed: Seed) -> None:
    stored, batch, posts = args.profile_store, 100, 10
    history = stored * HISTORY_PER_POST // GROWTH_HISTORY_BATCH
    prof = folder / "ralph.prof"
    reader = filled_outbox(folder / "profile.sqlite", batch * posts)
    lrs = fresh_ralph(folder / "profile", profile_to=prof)
    seed.prefill(lrs, stored, history)
    with lrs:
        run = batched(reader, lrs, batch, batch * posts)
    stats = pstats.Stats(str(prof)).stats

    def cum(suffix: str, name: str) -> float:
        return sum(v[3] for (f, _, n), v in stats.items() if n == name and f.endswith(suffix))

    def from_caller(suffix: str, name: str, caller: str, field: int) -> float:
        """Calls (field 1) or cumulative seconds (field 3) of `name` made by `caller`."""
        return sum(
            by_caller[field]
            for (f, _, n), v in stats.items()
            if n == name and f.endswith(suffix)
            for (_, _, cn), by_caller in v[4].items()
            if cn == caller
        )

    total = cum(*REQUEST)
    parts = {label: sum(cum(*key) for key in keys) for label, keys in PARTS.items()}
    from_read = from_caller(*HISTORY, "_append_to_history", 3)  # the id check's "read"
    from_write = from_caller(*HISTORY, "_write_bytes", 3)
    parsed = from_caller(*STORED_LINE_PARSED, "parse_iterable_to_dict", 1) / posts
    parts["id check (parses every stored line)"] -= from_read
    parts["statements appended"] -= from_write
    parts["HTTP, auth, FastAPI, the rest"] = total - sum(parts.values())
    print(f"## where Ralph's time goes, under cProfile: {posts} POSTs of {batch}, {stored:,} "
          f"stored, {history:,} history entries ({run.rate:,.0f} stmts/s profiled)")  # fmt: skip
    for label, seconds in parts.items():
        print(f"{label:40} {seconds / total:>6.0%} {seconds / posts * 1e3:>9.1f} ms a POST")
    print(f"{'all request handling':40} {1:>6.0%} {total / posts * 1e3:>9.1f} ms a POST")
    print(f"stored lines parsed a POST: {parsed:,.0f} (the whole file)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=5000, help="statements per batched row")
    ap.add_argument("--naive-count", type=int, default=500, help="statements, one per POST")
    ap.add_argument("--batch-sizes", type=ints, default=[100, 500, 1000])
    ap.add_argument("--stores", type=ints, default=[0, 10_000, 50_000, 100_000])
    ap.add_argument("--profile-store", type=int, default=10_000)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="medvr-bench-upload-"))
    try:
        try:
            seed = Seed(folder / "seed")
        except RalphMissing as e:
            raise SystemExit(str(e)) from None
        version = ralph_version()
        print(f"# upload to Ralph LRS {version} on 127.0.0.1 (filesystem backend), "
              f"{os.cpu_count()} cores; Ralph starts in {seed.startup_s:.1f} s")  # fmt: skip
        throughput(folder, args, seed)
        growth(folder, args, seed)
        profile(folder, args, seed)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def ralph_version() -> str:
    code = "import importlib.metadata as m; print(m.version('ralph-malph'))"
    done = subprocess.run([ralph_python(), "-c", code], capture_output=True, text=True)
    return done.stdout.strip() or "(version unknown)"


def ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


if __name__ == "__main__":
    main()
