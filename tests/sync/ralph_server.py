"""A real Ralph LRS on 127.0.0.1 for the sync tests and benchmarks, and its strict model.

Ralph (`ralph-malph[cli,lrs]==5.1.0`, tests/sync/ralph-requirements.txt) lives in its own
venv, `.venv-ralph`, made by `make test` or `make bench` (Makefile rule `$(RALPH_STAMP)`):
its exact pins (httpx==0.28.1, fastapi==0.114.2, click<8.2.1, importlib-metadata<8.6)
would otherwise hold back or downgrade the app's own dependencies in `.venv`. It runs as a
subprocess with that venv's interpreter; the caller's process never imports `ralph`.

Used by tests/sync/conftest.py (the `lrs` and `ralph_validate` fixtures) and by
bench/upload.py; it needs httpx and nothing from pytest.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urljoin

import httpx

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

if len(sys.argv) > 2:  # profile to this file; uvicorn re-raises SIGTERM once it has stopped
    import cProfile, signal

    signal.signal(signal.SIGTERM, lambda *_: None)
    with cProfile.Profile() as profile:
        uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
    profile.dump_stats(sys.argv[2])
else:
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


class RalphMissing(RuntimeError):
    """`.venv-ralph` has not been made."""


def ralph_python() -> str:
    """Ralph's interpreter; RalphMissing, saying how to make it, when it is not there."""
    if not RALPH_PYTHON.exists():
        raise RalphMissing(
            f"Ralph LRS is not installed in {RALPH_VENV}: run `make test` (it makes it)"
        )
    return str(RALPH_PYTHON)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ralph_validate(statements: list[dict], python: str | None = None) -> list[str]:
    """Each statement checked against Ralph's strict `BaseXapiStatement`
    (ralph.models.xapi.base.statements) in Ralph's own venv, in one subprocess call for the
    whole list. Empty when all are valid; otherwise one string per error,
    "statement {index} ({id}): {field path}: {message}"."""
    done = subprocess.run(
        [python or ralph_python(), "-c", _VALIDATE],
        input=json.dumps(list(statements)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"Ralph's validator failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout)


class RalphLRS:
    """One Ralph LRS process on 127.0.0.1 with its filesystem backend.

    - `endpoint`: base URL; `{endpoint}/statements` is the xAPI statements resource;
    - `username`, `password`: HTTP Basic credentials it accepts (`auth` as a tuple);
    - `stop()` / `start()`: take it down and bring it back on the same port with the
      same data (its statements live in `data_dir/fs_lrs.jsonl`);
    - `all_statements()`: every stored statement, read back through paged xAPI GETs;
    - `startup_s`: seconds the last `start()` took until the server answered;
    - `pid`: the server process's id while it runs;
    - `profile_to`: when set, the server runs under cProfile and writes its stats there
      when it stops, for `pstats.Stats(profile_to)`.
    """

    def __init__(
        self,
        workdir: Path,
        username: str = "medvr",
        password: str = "s3cret-test",
        *,
        python: str | None = None,
        profile_to: Path | None = None,
    ):
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.username = username
        self.password = password
        self.port = free_port()
        self.log_path = workdir / "ralph.log"
        self.startup_s: float | None = None
        self._proc: subprocess.Popen | None = None
        self._python = python or ralph_python()
        self.profile_to = profile_to

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

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.running else None

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
                [self._python, "-c", _LAUNCH, str(self.port)]
                + ([str(self.profile_to)] if self.profile_to else []),
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

    def __enter__(self) -> RalphLRS:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
