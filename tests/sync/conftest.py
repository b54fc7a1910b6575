"""A real learning record store for the sync tests: Ralph LRS, its strict xAPI model,
and a fault-injecting proxy.

Ralph (`ralph-malph[cli,lrs]==5.1.0`) runs in its own venv, `.venv-ralph`, made by
`make test`; how it is started lives in tests/sync/ralph_server.py, which
bench/upload.py uses too. The tests' own process never imports `ralph`.

Fixtures:
- `lrs`: a fresh Ralph LRS (filesystem backend, HTTP Basic auth) on 127.0.0.1;
- `ralph_validate`: Ralph's strict `BaseXapiStatement` model as a function;
- `lrs_proxy`: an `LrsProxy` (tests/sync/lrs_proxy.py) in front of `lrs`, to inject faults.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from lrs_proxy import LrsProxy  # noqa: E402
from ralph_server import RalphLRS, RalphMissing, ralph_python, ralph_validate  # noqa: E402


def _ralph_python() -> str:
    try:
        return ralph_python()
    except RalphMissing as e:
        missing = str(e)
    pytest.fail(missing)


@pytest.fixture
def lrs(tmp_path_factory) -> RalphLRS:
    """A fresh, running Ralph LRS of this test's own (see `RalphLRS`), stopped after it.

    Started in about a second, so each test gets an empty store. `lrs.endpoint` (base,
    `{endpoint}/statements` is the statements resource), `lrs.username`/`lrs.password`
    (HTTP Basic), `lrs.stop()`/`lrs.start()` (down and back, same port and data),
    `lrs.all_statements()` (paged read-back of everything stored).
    """
    server = RalphLRS(tmp_path_factory.mktemp("ralph"), python=_ralph_python())
    server.start()
    yield server
    server.stop()


@pytest.fixture(name="ralph_validate")
def ralph_validate_fixture() -> Callable[[list[dict]], list[str]]:
    """`ralph_validate(statements) -> errors`: checks each statement dict against Ralph's
    strict `BaseXapiStatement` (ralph.models.xapi.base.statements) in Ralph's own venv, in
    one subprocess call for the whole list. Empty list when all are valid; otherwise one
    string per error, "statement {index} ({id}): {field path}: {message}"."""
    python = _ralph_python()

    def validate(statements: list[dict]) -> list[str]:
        return ralph_validate(statements, python)

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
