"""Behaviour sync in the app: where the outbox lives, the user's consent, their
pseudonymous account id, the store's credentials, and the recorder of one session.

Nothing leaves the machine before the user has agreed: consent comes from
MEDVR_TELEMETRY_CONSENT, else the config file's ``[sync] telemetry_consent``, else the
answer the user gave to the first-run question (kept in ``<data>/sync/consent.json``).
Until then statements are kept on this computer only, where ``medvr sync export`` shows
them and ``medvr sync forget`` deletes them.

Credentials are never settings: MEDVR_LRS_USERNAME and MEDVR_LRS_PASSWORD (managed
classroom machines), else the OS keyring entry that ``medvr sync login`` wrote for the
endpoint.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import IO

from app.config import Config
from sync.credits import CreditReport, evaluate, load_courses
from sync.errors import SyncError
from sync.events import BehaviourEvent, SessionStarted
from sync.outbox import Outbox, OutboxError, OutboxReader
from sync.statements import StatementFactory
from sync.uploader import Credentials, RetryLater, Uploader

log = logging.getLogger("medvr.sync")

KEYRING_SERVICE = "MedVR learning record store"
ENV_CONSENT = "MEDVR_TELEMETRY_CONSENT"
ENV_USERNAME = "MEDVR_LRS_USERNAME"
ENV_PASSWORD = "MEDVR_LRS_PASSWORD"
FINAL_UPLOAD_S = 5.0  # how long a session's end waits for its statements to go out


def sync_dir(config: Config) -> Path:
    return config.data_dir / "sync"


def outbox_path(config: Config) -> Path:
    return sync_dir(config) / "outbox.sqlite3"


def _write_json(path: Path, data: object) -> None:
    """Write a small JSON file whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(part, path)


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise SyncError(f"{path}: not readable ({e})", f"{path}：无法读取（{e}）") from None
    if not isinstance(data, dict):
        raise SyncError(f"{path}: expected a JSON object", f"{path}：应为 JSON 对象")
    return data


# consent ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Consent:
    answer: str  # "yes", "no" or "ask" (not asked yet)
    source: str  # "environment", "config", "answer" or "none"
    at: str | None = None  # when the user answered, for source "answer"

    @property
    def granted(self) -> bool:
        return self.answer == "yes"


def consent_file(config: Config) -> Path:
    return sync_dir(config) / "consent.json"


def consent(config: Config, env: Mapping[str, str] | None = None) -> Consent:
    env = os.environ if env is None else env
    if env.get(ENV_CONSENT, "").strip():
        return Consent(config.telemetry_consent, "environment")
    if config.telemetry_consent != "ask":
        return Consent(config.telemetry_consent, "config")
    path = consent_file(config)
    stored = _read_json(path)
    if stored is None:
        return Consent("ask", "none")
    answer = stored.get("answer")
    if answer not in ("yes", "no"):
        raise SyncError(
            f'{path}: answer = {answer!r}: expected "yes" or "no"',
            f'{path}：answer = {answer!r}：应为 "yes" 或 "no"',
        )
    return Consent(answer, "answer", stored.get("at"))


def save_consent(config: Config, answer: str) -> Consent:
    if answer not in ("yes", "no"):
        raise SyncError(
            f'consent {answer!r}: expected "yes" or "no"', f'同意 {answer!r}：应为 "yes" 或 "no"'
        )
    at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    _write_json(consent_file(config), {"answer": answer, "at": at})
    return Consent(answer, "answer", at)


def ask_consent(
    config: Config, question: str, stdin: IO[str], stdout: IO[str], retries: int = 3
) -> Consent:
    """Put the first-run question and keep the answer; "ask" again next time when there
    is no clear answer (end of input, or three unclear replies)."""
    for _ in range(retries):
        stdout.write(question)
        stdout.flush()
        line = stdin.readline()
        if not line:
            break
        reply = line.strip().casefold()
        if reply in ("y", "yes", "是", "同意"):
            return save_consent(config, "yes")
        if reply in ("n", "no", "否", "不同意"):
            return save_consent(config, "no")
    return Consent("ask", "none")


# the user's account id ---------------------------------------------------------------------
def account_id(config: Config) -> str:
    """The configured platform id, else a random id made once for this computer."""
    if config.user_id:
        return config.user_id
    path = sync_dir(config) / "identity.json"
    stored = _read_json(path)
    if stored is not None and isinstance(stored.get("account"), str) and stored["account"]:
        return stored["account"]
    made = f"medvr-{uuid.uuid4().hex}"
    _write_json(path, {"account": made})
    return made


# credentials --------------------------------------------------------------------------------
@dataclass(frozen=True)
class FoundCredentials:
    credentials: Credentials | None
    source: str  # "environment", "keyring" or "none"


def credentials(config: Config, env: Mapping[str, str] | None = None) -> FoundCredentials:
    env = os.environ if env is None else env
    user, password = env.get(ENV_USERNAME, ""), env.get(ENV_PASSWORD, "")
    if user or password:
        if not (user and password):
            missing = ENV_PASSWORD if user else ENV_USERNAME
            raise SyncError(
                f"{missing} is not set; set both {ENV_USERNAME} and {ENV_PASSWORD}",
                f"未设置 {missing}；请同时设置 {ENV_USERNAME} 与 {ENV_PASSWORD}",
            )
        return FoundCredentials(Credentials(user, password), "environment")
    if not config.lrs_endpoint:
        return FoundCredentials(None, "none")
    try:
        import keyring

        secret = keyring.get_password(KEYRING_SERVICE, config.lrs_endpoint)
    except Exception as e:  # noqa: BLE001 - no keyring on this machine: none found
        log.info("keyring not available: %s", e)
        return FoundCredentials(None, "none")
    if not secret:
        return FoundCredentials(None, "none")
    try:
        stored = json.loads(secret)
        return FoundCredentials(Credentials(stored["username"], stored["password"]), "keyring")
    except (ValueError, KeyError, TypeError):
        raise SyncError(
            f"the keyring entry {KEYRING_SERVICE!r} for {config.lrs_endpoint} is not readable; "
            "run `medvr sync login` again",
            f"钥匙串中 {config.lrs_endpoint} 的条目 {KEYRING_SERVICE!r} 无法读取，"
            "请重新运行 `medvr sync login`",
        ) from None


def _keyring_failed(e: Exception) -> SyncError:
    return SyncError(
        f"the system keyring cannot be used ({type(e).__name__}: {e}); "
        f"set {ENV_USERNAME} and {ENV_PASSWORD} instead",
        f"无法使用系统钥匙串（{type(e).__name__}：{e}）；"
        f"请改为设置 {ENV_USERNAME} 与 {ENV_PASSWORD}",
    )


def _need_endpoint(config: Config) -> str:
    if not config.lrs_endpoint:
        raise SyncError(
            "no learning record store is set: set [sync] lrs_endpoint in the config file "
            "or MEDVR_LRS_ENDPOINT",
            "未设置学习记录存储：请在配置文件的 [sync] lrs_endpoint 或 MEDVR_LRS_ENDPOINT 中设置",
        )
    return config.lrs_endpoint


def save_credentials(config: Config, username: str, password: str) -> None:
    import keyring

    endpoint = _need_endpoint(config)
    if not username or not password:
        raise SyncError("user name and password must not be empty", "用户名和密码不能为空")
    secret = json.dumps({"username": username, "password": password})
    try:
        keyring.set_password(KEYRING_SERVICE, endpoint, secret)
    except Exception as e:  # noqa: BLE001 - keyring backends raise many kinds
        raise _keyring_failed(e) from None


def delete_credentials(config: Config) -> bool:
    """Remove the keyring entry of the endpoint; False when there was none."""
    import keyring
    import keyring.errors

    endpoint = _need_endpoint(config)
    try:
        keyring.delete_password(KEYRING_SERVICE, endpoint)
    except keyring.errors.PasswordDeleteError:
        return False
    except Exception as e:  # noqa: BLE001
        raise _keyring_failed(e) from None
    return True


# names of activities ------------------------------------------------------------------------
@cache
def _structure_names() -> dict[str, dict[str, str]]:
    from anatomy.catalog import load_catalog

    return {
        sid: {"zh-CN": s.names.zh, "en-US": s.names.en}
        for sid, s in load_catalog().structures.items()
    }


@cache
def _point_names() -> dict[str, dict[str, str]]:
    from acupuncture.acupoint_catalog import load_acupoints

    return {
        code: {"zh-CN": f"{p.names.zh} {code}", "en-US": f"{p.pinyin} {code}"}
        for code, p in load_acupoints().points.items()
    }


@cache
def _course_names() -> Callable[[str, str], Mapping[str, str] | None]:
    from sync.credits import activity_names

    return activity_names(load_courses())


def activity_names(kind: str, object_id: str) -> Mapping[str, str] | None:
    """Display names of the activities statements name, from the catalogs (loaded once,
    in the outbox's writer thread, when the first such statement is made)."""
    if kind == "structure":
        return _structure_names().get(object_id)
    if kind in ("point", "needling"):
        names = _point_names().get(object_id)
        if names is not None and kind == "needling":
            return {"zh-CN": f"针刺练习 {names['zh-CN']}", "en-US": f"Needling {names['en-US']}"}
        return names
    if kind in ("course", "lesson"):
        return _course_names()(kind, object_id)
    return None


# one session --------------------------------------------------------------------------------
def _session_lock(config: Config) -> Path:
    return sync_dir(config) / "outbox.lock"


@contextlib.contextmanager
def _locked(path: Path, exclusive: bool) -> Iterator[bool]:
    """An advisory lock beside the outbox: sessions share it, `forget` needs it alone.
    Yields False when it is held elsewhere (exclusive) — and on systems without flock."""
    try:
        import fcntl
    except ImportError:  # Windows: the outbox file is held open there, which is enough
        yield True
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class SessionSync:
    """The recorder of one app session: events go to the durable outbox as statements, and,
    once the user has agreed and a store is set, an uploader thread sends them. At the end
    the credit rules are evaluated and newly earned lessons and courses are recorded."""

    def __init__(
        self,
        config: Config,
        env: Mapping[str, str] | None = None,
        *,
        final_upload_s: float = FINAL_UPLOAD_S,
    ):
        self.config = config
        self.env = os.environ if env is None else env
        self.final_upload_s = final_upload_s
        self.account = account_id(config)
        self.consent = consent(config, self.env)
        self.factory: StatementFactory | None = None
        # Shared with other sessions; `medvr sync forget` waits for none to hold it.
        self._held = contextlib.ExitStack()
        self._held.enter_context(_locked(_session_lock(config), exclusive=False))
        try:
            self.outbox = Outbox(outbox_path(config), self._convert)
        except BaseException:
            self._held.close()
            raise
        self.uploader: Uploader | None = None
        self.reader: OutboxReader | None = None
        if self.consent.granted and config.lrs_endpoint:
            found = credentials(config, self.env)
            self.reader = OutboxReader(self.outbox.path)
            self.uploader = Uploader(self.reader, config.lrs_endpoint, found.credentials)
            self.uploader.start()

    def __enter__(self) -> SessionSync:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def sending(self) -> bool:
        return self.uploader is not None

    def record(self, event: BehaviourEvent) -> None:
        self.outbox.record(event)

    def _convert(self, event: BehaviourEvent) -> tuple[str, bytes] | None:
        if isinstance(event, SessionStarted):
            self.factory = StatementFactory.for_session(
                event,
                self.config.platform_home_page,
                self.account,
                self.config.activity_base,
                names=activity_names,
            )
        if self.factory is None:
            raise SyncError(
                f"{event.kind} recorded before the session started",
                f"{event.kind} 在会话开始前被记录",
            )
        statement = self.factory.statement_for(event)
        if statement is None:
            return None
        return str(statement.id), statement.to_json()

    def credit_report(self) -> CreditReport:
        reader = self.reader or OutboxReader(self.outbox.path)
        try:
            return evaluate(
                load_courses(), reader.all_statements(), self.config.activity_base, self.account
            )
        finally:
            if reader is not self.reader:
                reader.close()

    def close(self) -> None:
        """Store everything, record credit earned in this session, give the uploader a
        moment to send it, and stop."""
        try:
            self.outbox.flush()
            if self.factory is not None:
                for event in self.credit_report().due():
                    self.outbox.record(event)
                self.outbox.flush()
            if self.uploader is not None:
                self._final_upload()
        finally:
            if self.uploader is not None:
                self.uploader.stop()
            if self.reader is not None:
                self.reader.close()
            self.outbox.close()
            self._held.close()

    def _final_upload(self) -> None:
        assert self.uploader is not None and self.reader is not None
        deadline = time.monotonic() + self.final_upload_s
        self.uploader.nudge()
        while time.monotonic() < deadline:
            if self.reader.counts().queued == 0:
                return
            time.sleep(0.05)
        log.info("store still has %d statements to take; sent later", self.reader.counts().queued)


# the CLI's views ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Status:
    consent: Consent
    endpoint: str
    account: str
    credentials: str
    outbox: Path
    queued: int
    delivered: int
    dead: int
    last_error: str | None
    dead_letters: list[tuple[str, str, int | None]]

    def as_dict(self) -> dict[str, object]:
        return {
            "consent": self.consent.answer,
            "consent_source": self.consent.source,
            "consent_at": self.consent.at,
            "endpoint": self.endpoint or None,
            "account": self.account,
            "credentials": self.credentials,
            "outbox": str(self.outbox),
            "queued": self.queued,
            "delivered": self.delivered,
            "dead_lettered": self.dead,
            "last_error": self.last_error,
            "dead_letters": [
                {"id": sid, "reason": reason, "status": status}
                for sid, reason, status in self.dead_letters
            ],
        }


def _reader(config: Config) -> OutboxReader | None:
    path = outbox_path(config)
    return OutboxReader(path) if path.exists() else None


def status(config: Config, env: Mapping[str, str] | None = None) -> Status:
    reader = _reader(config)
    try:
        counts = reader.counts() if reader else None
        last_error = reader.meta("last_error") if reader else None
        dead = reader.dead_letters() if reader else []
    finally:
        if reader:
            reader.close()
    try:
        found = credentials(config, env).source
    except SyncError:
        found = "incomplete"
    return Status(
        consent=consent(config, env),
        endpoint=config.lrs_endpoint,
        account=account_id(config),
        credentials=found,
        outbox=outbox_path(config),
        queued=counts.queued if counts else 0,
        delivered=counts.delivered if counts else 0,
        dead=counts.dead if counts else 0,
        last_error=last_error,
        dead_letters=dead,
    )


def flush(config: Config, env: Mapping[str, str] | None = None) -> tuple[int, int]:
    """Send what is queued now, in the foreground: (delivered, still queued)."""
    if not consent(config, env).granted:
        raise SyncError(
            "nothing was sent: you have not agreed to send your learning records "
            "(`medvr sync consent yes`)",
            "未发送任何内容：您尚未同意发送学习记录（`medvr sync consent yes`）",
        )
    endpoint = _need_endpoint(config)
    found = credentials(config, env)
    reader = _reader(config)
    if reader is None:
        return 0, 0
    uploader = Uploader(reader, endpoint, found.credentials)
    try:
        delivered = uploader.run_once()
    except RetryLater as e:
        left = reader.counts().queued
        reader.set_meta("last_error", f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} {e}")
        raise SyncError(
            f"{endpoint}: the store cannot take statements now ({e}); "
            f"{left} stay queued and are sent later",
            f"{endpoint}：学习记录存储暂时无法接收（{e}）；{left} 条记录仍在队列中，稍后发送",
        ) from None
    finally:
        uploader.stop()
    try:
        return delivered, reader.counts().queued
    finally:
        reader.close()


def export(config: Config, out: Path) -> int:
    """Every statement this computer holds for the user (queued, sent and set aside), as a
    JSON array of xAPI statements; the count."""
    reader = _reader(config)
    statements: list[object] = []
    if reader is not None:
        try:
            statements = [json.loads(js) for js in reader.all_statements()]
            rows = reader.conn.execute("SELECT json FROM dead_letters ORDER BY at").fetchall()
            statements += [json.loads(bytes(js)) for (js,) in rows]
        finally:
            reader.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(statements, ensure_ascii=False, indent=1), encoding="utf-8")
    return len(statements)


def forget(config: Config) -> int | None:
    """Delete the statements kept on this computer (not what the store already has);
    the number deleted (None for a file that could not be read). Refused while a MedVR
    session is running."""
    path = outbox_path(config)
    with _locked(_session_lock(config), exclusive=True) as alone:
        if not alone:
            raise SyncError(
                f"{path}: MedVR is running and writing to it; close MedVR first",
                f"{path}：MedVR 正在运行并写入该文件，请先关闭 MedVR",
            )
        count: int | None = 0
        if path.exists():
            try:
                reader = OutboxReader(path)
            except OutboxError:  # unreadable: deleted all the same, as asked
                count = None
            else:
                try:
                    counts = reader.counts()
                    count = counts.queued + counts.delivered + counts.dead
                finally:
                    reader.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    return count


def credit_report(config: Config) -> CreditReport:
    reader = _reader(config)
    statements = reader.all_statements() if reader else iter(())
    try:
        return evaluate(load_courses(), statements, config.activity_base, account_id(config))
    finally:
        if reader:
            reader.close()
