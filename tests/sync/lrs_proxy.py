"""A small HTTP proxy of the tests' own, between a client (the uploader) and a real LRS,
that injects the faults a learning record store shows in the field.

Standard library only: a threaded `http.server` forwarding each request with
`http.client`. Every response carries `Connection: close`, so each request comes on a
new connection and a fault (or `refuse()`) applies to it at once, never to a connection
kept alive from before.

Faults, each for the next `count` requests (None: until `clear()`), optionally only for
one HTTP method:
- `fail(status, retry_after=None)`: answer `status` (503, 429, 413, 500…) without
  forwarding, with a `Retry-After` header when given;
- `hang()`: read the request, forward nothing and answer nothing until `clear()` (or
  the client gives up); the connection is then closed without a response;
- `refuse()` / `accept()`: stop listening (connections are refused) / listen again on
  the same port. `clear()` also listens again.

`requests` is the log of what the proxy saw: method, path (with query), number of
statements in the body (a JSON list → its length, a JSON object → 1, else 0) and the
status the client got (None when it got no response).
"""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}


@dataclass(frozen=True)
class ProxiedRequest:
    """One request the proxy saw, and the status the client got (None: no response)."""

    method: str
    path: str
    statements: int
    status: int | None


@dataclass
class _Fault:
    kind: str  # "status" or "hang"
    remaining: int | None  # None: until cleared
    method: str | None
    status: int = 0
    retry_after: float | int | None = None


def count_statements(body: bytes) -> int:
    """Statements in a request body: a JSON list → its length, an object → 1, else 0."""
    if not body:
        return 0
    try:
        data = json.loads(body)
    except ValueError:
        return 0
    if isinstance(data, list):
        return len(data)
    return 1 if isinstance(data, dict) else 0


class LrsProxy:
    """Forwards `http://127.0.0.1:{port}{path}` to the same path on `upstream` (a base
    URL such as the `lrs` fixture's endpoint); `endpoint` mirrors its path."""

    def __init__(self, upstream: str, host: str = "127.0.0.1", port: int = 0) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.base_path = parts.path.rstrip("/")
        self.host = host
        self.port = port
        self.upstream_timeout = 60.0
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self._log: list[ProxiedRequest] = []
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._refusing = False

    # -- life cycle ---------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """Base URL for clients: `{endpoint}/statements` reaches the LRS's statements."""
        return f"http://{self.host}:{self.port}{self.base_path}"

    def start(self) -> LrsProxy:
        """Listen (on the same port as before, if it had one) and serve in a thread."""
        if self._server is not None:
            return self
        server = ThreadingHTTPServer((self.host, self.port), _make_handler(self))
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop listening and release every hanging request."""
        self._release.set()
        self._stop_listening()

    def _stop_listening(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # -- faults -------------------------------------------------------------------------

    def fail(
        self,
        status: int,
        count: int | None = None,
        retry_after: float | int | None = None,
        method: str | None = None,
    ) -> None:
        """Answer `status` (with `Retry-After: retry_after` if given) to the next `count`
        requests (None: until `clear()`), only to `method` requests if given."""
        self._add(_Fault("status", count, method, status=status, retry_after=retry_after))

    def hang(self, count: int | None = None, method: str | None = None) -> None:
        """Never answer the next `count` requests (None: all until `clear()`)."""
        self._release.clear()
        self._add(_Fault("hang", count, method))

    def refuse(self) -> None:
        """Stop listening: new connections are refused until `accept()` or `clear()`."""
        self._refusing = True
        self._stop_listening()

    def accept(self) -> None:
        """Listen again on the same port after `refuse()`."""
        self._refusing = False
        self.start()

    def clear(self) -> None:
        """Drop every fault, release hanging requests, listen again if refusing."""
        with self._lock:
            self._faults.clear()
        self._release.set()
        if self._refusing:
            self.accept()

    def _add(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method is not None and fault.method.upper() != method:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    # -- log ----------------------------------------------------------------------------

    @property
    def requests(self) -> list[ProxiedRequest]:
        """A copy of the log of requests seen so far, oldest first."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def _record(self, entry: ProxiedRequest) -> None:
        with self._lock:
            self._log.append(entry)


def _make_handler(proxy: LrsProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002 - quiet in tests
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            method = self.command
            n = count_statements(body)
            fault = proxy._take_fault(method)
            if fault is not None and fault.kind == "hang":
                proxy._record(ProxiedRequest(method, self.path, n, None))
                proxy._release.wait()
                self.close_connection = True
                return
            if fault is not None:
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(fault.retry_after)
                payload = json.dumps({"error": f"injected {fault.status}"}).encode()
                proxy._record(ProxiedRequest(method, self.path, n, fault.status))
                self._reply(fault.status, headers, payload, "application/json")
                return
            self._forward(method, body, n)

        def _forward(self, method: str, body: bytes, n: int) -> None:
            """Forward to the upstream; logged before the client gets the answer."""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            conn = http.client.HTTPConnection(
                proxy.upstream_host, proxy.upstream_port, timeout=proxy.upstream_timeout
            )
            try:
                conn.request(method, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except OSError as exc:
                payload = json.dumps({"error": f"upstream: {exc}"}).encode()
                proxy._record(ProxiedRequest(method, self.path, n, 502))
                self._reply(502, {}, payload, "application/json")
                return
            finally:
                conn.close()
            out = {k: v for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP}
            proxy._record(ProxiedRequest(method, self.path, n, resp.status))
            self._reply(resp.status, out, data, None)

        def _reply(self, status: int, headers: dict, body: bytes, ctype: str | None) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if ctype:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if body and self.command != "HEAD":
                self.wfile.write(body)
            self.close_connection = True

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _handle

    return Handler
