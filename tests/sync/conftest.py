"""A real learning record store for the sync tests: Ralph LRS, its strict xAPI model,
and a fault-injecting proxy.

Ralph (`ralph-malph[cli,lrs]==5.1.0`, tests/sync/ralph-requirements.txt) lives in its own
venv, `.venv-ralph`, made by `make test` (Makefile rule `$(RALPH_STAMP)`): its exact pins
(httpx==0.28.1, fastapi==0.114.2, click<8.2.1, importlib-metadata<8.6) would otherwise
hold back or downgrade the app's own dependencies in `.venv`. The fixtures run it as a
subprocess with that venv's interpreter; the tests' own process never imports `ralph`.

Fixtures:
- `lrs`: a fresh Ralph LRS (filesystem backend, HTTP Basic auth) on 127.0.0.1;
- `ralph_validate`: Ralph's strict `BaseXapiStatement` model as a function;
- `lrs_proxy`: an `LrsProxy` (tests/sync/lrs_proxy.py) in front of `lrs`, to inject faults.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from lrs_proxy import LrsProxy  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RALPH_VENV = ROOT / ".venv-ralph"
RALPH_PYTHON = RALPH_VENV / "bin" / "python"
XAPI_VERSION = "1.0.3"
START_TIMEOUT_S = 30.0

# Run by Ralph's interpreter. The filesystem backend's default operation type is CREATE,
# which makes every POST after the first fail with 500 once its file exists (observed with
# 5.1.0); APPEND must be set before `ralph.api` (which builds the backend) is imported.
_LAUNCH = r"""
import json, os, sys
from pathlib import Path

import bcrypt

auth = Path(os.environ["RALPH_AUTH_FILE"])
if not auth.exists():
    user, password = os.environ["MEDVR_TEST_LRS_USER"], os.environ["MEDVR_TEST_LRS_PASSWORD"]
    auth.write_text(json.dumps([{
        "username": user,
        "hash": bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode(),
        "scopes": ["all"],
        "agent": {"account": {"homePage": "https://lrs.medvr.example.org", "name": user}},
    }]))

from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

import uvicorn
from ralph.api import app

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""

# Run by Ralph's interpreter: statements (a JSON list) on stdin, one JSON list of error
# strings on stdout.
_VALIDATE = r"""
import json, sys
from pydantic import ValidationError
from ralph.models.xapi.base.statements import BaseXapiStatement

errors = []
for i, statement in enumerate(json.load(sys.stdin)):
    sid = statement.get("id") if isinstance(statement, dict) else None
    try:
        BaseXapiStatement.model_validate(statement)
    except ValidationError as exc:
        for e in exc.errors():
            loc = ".".join(str(p) for p in e["loc"]) or "(statement)"
            errors.append(f"statement {i} ({sid}): {loc}: {e['msg']}")
json.dump(errors, sys.stdout)
"""


def _ralph_python() -> str:
    if not RALPH_PYTHON.exists():
        pytest.fail(f"Ralph LRS is not installed in {RALPH_VENV}: run `make test` (it makes it)")
    return str(RALPH_PYTHON)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RalphLRS:
    """One Ralph LRS process on 127.0.0.1 with its filesystem backend.

    - `endpoint`: base URL; `{endpoint}/statements` is the xAPI statements resource;
    - `username`, `password`: HTTP Basic credentials it accepts (`auth` as a tuple);
    - `stop()` / `start()`: take it down and bring it back on the same port with the
      same data (its statements live in `data_dir/fs_lrs.jsonl`);
    - `all_statements()`: every stored statement, read back through paged xAPI GETs;
    - `startup_s`: seconds the last `start()` took until the server answered.
    """

    def __init__(self, workdir: Path, username: str = "medvr", password: str = "s3cret-test"):
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.username = username
        self.password = password
        self.port = _free_port()
        self.log_path = workdir / "ralph.log"
        self.startup_s: float | None = None
        self._proc: subprocess.Popen | None = None
        self._python = _ralph_python()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/xAPI"

    @property
    def auth(self) -> tuple[str, str]:
        return (self.username, self.password)

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Experience-API-Version": XAPI_VERSION}

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the server (same port, same data as before) and wait until it answers."""
        if self.running:
            return
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RALPH_", "VIRTUAL_ENV"))}
        env.update(
            RALPH_APP_DIR=str(self.workdir / "app"),
            RALPH_AUTH_FILE=str(self.workdir / "auth.json"),
            RALPH_HISTORY_FILE=str(self.workdir / "history.json"),
            RALPH_RUNSERVER_BACKEND="fs",
            RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH=str(self.data_dir),
            RALPH_RUNSERVER_MAX_SEARCH_HITS_COUNT="100",
            MEDVR_TEST_LRS_USER=self.username,
            MEDVR_TEST_LRS_PASSWORD=self.password,
        )
        began = time.monotonic()
        log = open(self.log_path, "ab")
        try:
            self._proc = subprocess.Popen(
                [self._python, "-c", _LAUNCH, str(self.port)],
                cwd=self.workdir,  # Ralph reads a `.env` from its working directory
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()
        deadline = began + START_TIMEOUT_S
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"Ralph exited with {self._proc.returncode} on start:\n{self._log_tail()}"
                )
            try:
                if httpx.get(f"{self.base_url}/__lbheartbeat__", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"Ralph did not answer in {START_TIMEOUT_S} s:\n{self._log_tail()}"
                )
            time.sleep(0.05)
        self.startup_s = time.monotonic() - began

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL); the data stays for the next start()."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def all_statements(self, limit: int = 100) -> list[dict]:
        """Every stored statement, through GET {endpoint}/statements following `more`."""
        out: list[dict] = []
        url = f"{self.endpoint}/statements?limit={limit}"
        with httpx.Client(auth=self.auth, headers=self.headers, timeout=30) as client:
            while url:
                resp = client.get(url)
                resp.raise_for_status()
                page = resp.json()
                out.extend(page["statements"])
                more = page.get("more")
                url = urljoin(self.base_url + "/", more) if more else None
        return out

    def _log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return "(no log)"


@pytest.fixture
def lrs(tmp_path_factory) -> RalphLRS:
    """A fresh, running Ralph LRS of this test's own (see `RalphLRS`), stopped after it.

    Started in about a second, so each test gets an empty store. `lrs.endpoint` (base,
    `{endpoint}/statements` is the statements resource), `lrs.username`/`lrs.password`
    (HTTP Basic), `lrs.stop()`/`lrs.start()` (down and back, same port and data),
    `lrs.all_statements()` (paged read-back of everything stored).
    """
    server = RalphLRS(tmp_path_factory.mktemp("ralph"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ralph_validate() -> Callable[[list[dict]], list[str]]:
    """`ralph_validate(statements) -> errors`: checks each statement dict against Ralph's
    strict `BaseXapiStatement` (ralph.models.xapi.base.statements) in Ralph's own venv, in
    one subprocess call for the whole list. Empty list when all are valid; otherwise one
    string per error, "statement {index} ({id}): {field path}: {message}"."""
    python = _ralph_python()

    def validate(statements: list[dict]) -> list[str]:
        done = subprocess.run(
            [python, "-c", _VALIDATE],
            input=json.dumps(list(statements)),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"Ralph's validator failed:\n{done.stderr[-4000:]}")
        return json.loads(done.stdout)

    return validate


@pytest.fixture
def lrs_proxy(lrs) -> LrsProxy:
    """An `LrsProxy` (tests/sync/lrs_proxy.py) on 127.0.0.1 forwarding to `lrs`.

    `lrs_proxy.endpoint` is the base URL to give a client instead of `lrs.endpoint`.
    Faults for the next `count` requests (None: until `clear()`), optionally one method:
    `fail(503|429|413|…, count=None, retry_after=None, method=None)`, `hang(count=None)`,
    `refuse()` (stop listening) / `accept()`; `clear()` ends them all. `requests` is the
    log: `ProxiedRequest(method, path, statements, status)`; `clear_log()` empties it.
    """
    proxy = LrsProxy(lrs.endpoint).start()
    yield proxy
    proxy.close()
