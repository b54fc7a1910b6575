"""The uploader: a background thread that owns one ``httpx.Client`` and moves statements
from the outbox to the learning record store, exactly once.

- POST batches to ``{endpoint}/statements`` with ``X-Experience-API-Version: 1.0.3``.
- 2xx: delivered. A statement the store already holds counts as delivered (an identical
  re-send is answered 204 or 200; on 409 for a batch, each statement is confirmed by a
  GET of its id before it is acknowledged, and the rest are sent again one by one).
- 400, 413, 422 for a batch: split it in halves until the bad statements are alone; set
  each of those aside in the dead-letter table with the store's reason; deliver the rest.
- 429, 5xx, timeouts, refused connections: back off exponentially with full jitter
  (honouring Retry-After), then resume by itself; never a busy loop.
- 401, 403, 404, 405: the credentials or the address are wrong, not a statement: nothing
  is set aside; the uploader backs off likewise and says why in ``last_error``.

Statements are marked delivered only after the store said so, and the ids are the
statement ids made once when they were queued, so a process killed at any moment
re-sends at most a batch the store may already hold, which the store then ignores.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from sync.outbox import OutboxReader, Pending

log = logging.getLogger("medvr.sync")

XAPI_VERSION = "1.0.3"
BATCH_SIZE = 500  # ~600 KB a POST; a store that answers 413 gets the batch split
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 60.0
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
REJECTED = (400, 413, 422)


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


class RetryLater(Exception):
    """The store cannot take statements now; ``after`` seconds is its own hint, if any."""

    def __init__(self, reason: str, after: float | None = None):
        super().__init__(reason)
        self.after = after


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


class Uploader:
    """Sends what the outbox holds; ``run_once`` for one pass, ``start`` for the thread."""

    def __init__(
        self,
        reader: OutboxReader,
        endpoint: str,
        credentials: Credentials | None,
        *,
        batch_size: int = BATCH_SIZE,
        timeout: httpx.Timeout = TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ):
        self.reader = reader
        self.endpoint = endpoint.rstrip("/")
        self.batch_size = batch_size
        auth = (credentials.username, credentials.password) if credentials else None
        self.client = httpx.Client(
            auth=auth,
            timeout=timeout,
            headers={"X-Experience-API-Version": XAPI_VERSION},
            transport=transport,
        )
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0

    # one pass ------------------------------------------------------------------------------
    def run_once(self) -> int:
        """Send everything pending now; the number delivered. RetryLater if the store
        cannot take statements at the moment (nothing is lost: they stay queued)."""
        delivered = 0
        while not self._stop.is_set():
            batch = self.reader.pending(self.batch_size)
            if not batch:
                break
            delivered += self._send(batch)
        return delivered

    def _post(self, batch: list[Pending]) -> httpx.Response:
        body = b"[" + b",".join(p.json for p in batch) + b"]"
        self.reader.count_attempt([p.statement_id for p in batch])
        try:
            response = self.client.post(
                f"{self.endpoint}/statements",
                content=body,
                headers={"Content-Type": "application/json"},
            )
        except httpx.TransportError as e:  # refused, reset, timed out
            raise RetryLater(f"{type(e).__name__}: {e}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryLater(f"HTTP {response.status_code}", retry_after(response))
        return response

    def _send(self, batch: list[Pending]) -> int:
        response = self._post(batch)
        status = response.status_code
        if 200 <= status < 300:
            self.reader.mark_delivered([p.statement_id for p in batch])
            return len(batch)
        if status == 409:
            return self._resolve_conflict(batch)
        if status in (401, 403, 404, 405):
            # Credentials or address are wrong: no statement is at fault, keep them all.
            raise RetryLater(_reason(response))
        if status in REJECTED or 400 <= status < 500:
            if len(batch) == 1:
                reason = _reason(response)
                self.reader.dead_letter(batch[0].statement_id, reason, status)
                log.warning("statement %s set aside: %s", batch[0].statement_id, reason)
                return 0
            half = len(batch) // 2
            return self._send(batch[:half]) + self._send(batch[half:])
        raise RetryLater(f"HTTP {status}")

    def _resolve_conflict(self, batch: list[Pending]) -> int:
        """Some of the batch is already stored: acknowledge those the store holds, send
        the others again on their own."""
        held, rest = [], []
        for p in batch:
            (held if self._store_holds(p.statement_id) else rest).append(p)
        if held:
            self.reader.mark_delivered([p.statement_id for p in held])
        delivered = len(held)
        for p in rest:
            delivered += self._send([p])
        return delivered

    def _store_holds(self, statement_id: str) -> bool:
        try:
            r = self.client.get(f"{self.endpoint}/statements", params={"statementId": statement_id})
        except httpx.TransportError as e:
            raise RetryLater(f"{type(e).__name__}: {e}") from None
        if r.status_code == 429 or r.status_code >= 500:
            raise RetryLater(f"HTTP {r.status_code}", retry_after(r))
        if r.status_code != 200:
            return False
        try:
            body = r.json()
        except ValueError:
            return False
        # The statement itself (as xAPI says), or a result list (as some stores answer).
        if isinstance(body, dict) and isinstance(body.get("statements"), list):
            return any(s.get("id") == statement_id for s in body["statements"])
        return isinstance(body, dict) and body.get("id") == statement_id

    # the thread ---------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="medvr-uploader", daemon=True)
        self._thread.start()

    def nudge(self) -> None:
        """Something new is queued: look now rather than at the next poll."""
        self._wake.set()

    def _loop(self, poll_s: float = 2.0) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
                self.failures = 0
                self.reader.set_meta("last_error", None)
                wait = poll_s
            except RetryLater as e:
                self.failures += 1
                self.reader.set_meta("last_error", f"{_now()} {e}")
                wait = backoff(self.failures, e.after)
                log.info("store unavailable (%s); retrying in %.1f s", e, wait)
            except Exception as e:  # noqa: BLE001 - keep the thread alive, say why
                self.failures += 1
                log.exception("uploader pass failed")
                self.reader.set_meta("last_error", f"{_now()} {e}")
                wait = backoff(self.failures, None)
            self._wake.wait(wait)
            self._wake.clear()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        self.client.close()


def backoff(failures: int, hint: float | None) -> float:
    """Exponential back-off with full jitter, at least the store's Retry-After."""
    ceiling = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** min(failures - 1, 16))
    wait = random.uniform(ceiling / 2, ceiling)
    return max(wait, hint or 0.0)


def _reason(response: httpx.Response) -> str:
    try:
        detail = response.json()
        text = detail.get("detail", detail) if isinstance(detail, dict) else detail
        text = json.dumps(text, ensure_ascii=False) if not isinstance(text, str) else text
    except ValueError:
        text = response.text
    return f"HTTP {response.status_code}: {text[:500]}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
