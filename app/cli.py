"""The ``medvr`` command: run, shot, tour, doctor, config.

Every failure the user can act on is one line on stderr and a non-zero exit;
``--debug`` shows the traceback as well.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from acupuncture.errors import AcupunctureError
from anatomy.errors import AnatomyError
from app.config import (
    MODES,
    Config,
    load_config,
    parse_window_size,
    write_default_config,
)
from app.errors import AppError
from app.logs import setup_logging
from scenes.errors import SceneError
from scenes.i18n import strings
from sync.errors import SyncError

if TYPE_CHECKING:
    from app.sync_service import SessionSync

log = logging.getLogger("medvr.app")
USER_ERRORS = (AppError, SceneError, SyncError, AnatomyError, AcupunctureError)


def _size_parser(lang: str):
    def size(text: str) -> tuple[int, int]:
        try:
            return parse_window_size(text)
        except ValueError:
            message = strings("app").get("help.bad_size", lang, text=text)
            raise argparse.ArgumentTypeError(message) from None

    return size


def build_parser(lang: str = "zh-CN") -> argparse.ArgumentParser:
    """The command line, its help in ``lang``."""

    def h(key: str) -> str:
        return strings("app").get(f"help.{key}", lang)

    size = _size_parser(lang)
    p = argparse.ArgumentParser(prog="medvr", description=h("description"))
    p.add_argument("--debug", action="store_true", help=h("debug"))
    p.add_argument("--config", type=Path, help=h("config_file"))
    p.add_argument("--lang", choices=("zh-CN", "en"), help=h("lang"))
    sub = p.add_subparsers(dest="command")

    run = sub.add_parser("run", help=h("run"))
    run.add_argument("--scene", help=h("run_scene"))
    run.add_argument("--mode", choices=MODES, help=h("mode"))
    run.add_argument("--lang", choices=("zh-CN", "en"), dest="run_lang", help=h("lang"))
    run.add_argument("--out", type=Path, help=h("run_out"))
    run.add_argument("--frames", type=int, help=h("frames"))

    shot = sub.add_parser("shot", help=h("shot"))
    shot.add_argument("scene", help=h("scene"))
    shot.add_argument("--out", type=Path, required=True, help=h("shot_out"))
    shot.add_argument("--size", type=size, default=None, help=h("size"))
    shot.add_argument("--view", help=h("view"))
    shot.add_argument("--stereo", action="store_true", help=h("stereo"))

    tour = sub.add_parser("tour", help=h("tour"))
    tour.add_argument("--out", type=Path, required=True, help=h("tour_out"))
    tour.add_argument("--size", type=size, default=None, help=h("size"))
    tour.add_argument("--stereo", action="store_true", help=h("stereo"))
    tour.add_argument("--scene", action="append", dest="scenes", help=h("tour_scene"))

    doctor = sub.add_parser("doctor", help=h("doctor"))
    doctor.add_argument("--json", action="store_true", help=h("json"))

    anatomy = sub.add_parser("anatomy", help=h("anatomy"))
    anatomy_sub = anatomy.add_subparsers(dest="anatomy_command", required=True)
    export = anatomy_sub.add_parser("export", help=h("anatomy_export"))
    export.add_argument("--shape", help=h("shape"))
    export.add_argument("--out", type=Path, required=True, help=h("export_out"))

    acupoints = sub.add_parser("acupoints", help=h("acupoints"))
    acupoints_sub = acupoints.add_subparsers(dest="acupoints_command", required=True)
    acu_export = acupoints_sub.add_parser("export", help=h("acupoints_export"))
    acu_export.add_argument("--shape", help=h("shape"))
    acu_export.add_argument("--out", type=Path, required=True, help=h("export_out"))

    assets = sub.add_parser("assets", help=h("assets"))
    assets_sub = assets.add_subparsers(dest="assets_command", required=True)
    build = assets_sub.add_parser("build", help=h("assets_build"))
    build.add_argument("--force", action="store_true", help=h("force"))
    build.add_argument("--out", type=Path, help=h("assets_out"))
    build.add_argument("--step", action="append", dest="steps", help=h("steps"))
    imp = assets_sub.add_parser("import", help=h("assets_import"))
    imp.add_argument("path", type=Path, help=h("import_path"))
    imp.add_argument("--mapping", type=Path, required=True, help=h("mapping"))

    sync = sub.add_parser("sync", help=h("sync"))
    sync_sub = sync.add_subparsers(dest="sync_command", required=True)
    sync_status = sync_sub.add_parser("status", help=h("sync_status"))
    sync_status.add_argument("--json", action="store_true", help=h("json"))
    sync_sub.add_parser("flush", help=h("sync_flush"))
    sync_export = sync_sub.add_parser("export", help=h("sync_export"))
    sync_export.add_argument("--out", type=Path, required=True, help=h("sync_export_out"))
    sync_forget = sync_sub.add_parser("forget", help=h("sync_forget"))
    sync_forget.add_argument("--yes", action="store_true", help=h("sync_yes"))
    sync_consent = sync_sub.add_parser("consent", help=h("sync_consent"))
    sync_consent.add_argument("answer", nargs="?", choices=("yes", "no"), help=h("sync_consent"))
    sync_login = sync_sub.add_parser("login", help=h("sync_login"))
    sync_login.add_argument("--username", help=h("sync_username"))
    sync_sub.add_parser("logout", help=h("sync_logout"))

    credits = sub.add_parser("credits", help=h("credits"))
    credits.add_argument("--json", action="store_true", help=h("json"))

    cfg = sub.add_parser("config", help=h("config"))
    cfg.add_argument(
        "action", choices=("show", "init"), nargs="?", default="show", help=h("config_action")
    )
    return p


def _early_language(argv: list[str]) -> str:
    """The language for help and parse errors, before the arguments are parsed."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in ("zh-CN", "en"):
            return argv[i + 1]
        if arg in ("--lang=en", "--lang=zh-CN"):
            return arg.split("=", 1)[1]
    try:
        return load_config().language
    except AppError:
        return "en" if os.environ.get("MEDVR_LANG", "").lower() == "en" else "zh-CN"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(_early_language(argv)).parse_args(argv)
    try:
        return _dispatch(args)
    except USER_ERRORS as e:
        if args.debug:
            raise
        print(f"medvr: {_in_language(e, _language(args))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as e:
        if args.debug:
            raise
        log.exception("unexpected failure")
        line = strings("app").get(
            "error.unexpected", _language(args), kind=type(e).__name__, error=e
        )
        print(f"medvr: {line}", file=sys.stderr)
        return 1


def _in_language(error: Exception, lang: str) -> str:
    zh = getattr(error, "zh", None)
    return zh if lang == "zh-CN" and zh else str(error)


def _language(args: argparse.Namespace) -> str:
    """The interface language, even when the config itself failed to load."""
    return getattr(args, "run_lang", None) or args.lang or _early_language([])


def _dispatch(args: argparse.Namespace) -> int:
    lang = getattr(args, "run_lang", None) or args.lang
    overrides = {
        "config_file": args.config,
        "language": lang,
        "mode": getattr(args, "mode", None),
        "start_scene": getattr(args, "scene", None) if args.command == "run" else None,
    }
    config = load_config(overrides=overrides)
    setup_logging(config.log_dir, config.log_level, debug=args.debug)
    command = args.command or "run"
    if command == "run":
        return _run(config, args)
    if command == "shot":
        return _shot(config, args)
    if command == "tour":
        return _tour(config, args)
    if command == "assets":
        return _assets(config, args)
    if command == "anatomy":
        return _anatomy(config, args)
    if command == "acupoints":
        return _acupoints(config, args)
    if command == "doctor":
        return _doctor(config, args)
    if command == "sync":
        return _sync(config, args)
    if command == "credits":
        return _credits(config, args)
    return _config(config, args)


def _say(key: str, config: Config, **fields) -> None:
    print(strings("app").get(key, config.language, **fields))


def _run(config: Config, args: argparse.Namespace) -> int:
    from app.runtime_choice import choose_runtime
    from app.session import Session
    from scenes.engine import display_available
    from scenes.registry import scene_class

    scene_class(config.start_scene)  # an unknown scene fails before anything opens
    choice = choose_runtime(config.mode, display_available(), config.language)
    if choice.notice:
        print(choice.notice, file=sys.stderr)
    frames = getattr(args, "frames", None)
    if choice.offscreen:
        out = getattr(args, "out", None) or config.data_dir / "tour"
        only = [config.start_scene] if getattr(args, "scene", None) else None
        with _recorded(config) as recorder, Session(config, choice, recorder) as session:
            written = session.tour(out, only)
        _say("tour.done", config, count=len(written), path=out)
        return 0
    with _recorded(config) as recorder, Session(config, choice, recorder) as session:
        session.director.switch(config.start_scene)
        if frames is None:
            session.engine.base.accept("window-closed", sys.exit)
            session.engine.base.run()
        else:
            session.director.settle(frames)
    return 0


@contextlib.contextmanager
def _recorded(config: Config) -> Iterator[SessionSync]:
    """The session's recorder: the durable outbox, sending only after consent. The first
    start at a terminal asks the question; elsewhere it is asked for in one line."""
    from app.sync_service import SessionSync, ask_consent, consent

    answer = consent(config)
    if answer.answer == "ask" and sys.stdin.isatty() and sys.stdout.isatty():
        endpoint = config.lrs_endpoint or strings("app").get("sync.no_endpoint", config.language)
        question = strings("app").get("sync.question", config.language, endpoint=endpoint)
        answer = ask_consent(config, question, sys.stdin, sys.stdout)
    if answer.answer == "ask":
        print(strings("app").get("sync.not_asked", config.language), file=sys.stderr)
    sync = SessionSync(config)
    if sync.sending:
        log.info("learning records are sent to %s", config.lrs_endpoint)
    try:
        yield sync
    finally:
        sync.close()


def _shot(config: Config, args: argparse.Namespace) -> int:
    from app.runtime_choice import Choice
    from app.session import Session

    choice = Choice("sim-vr" if args.stereo else "headless", offscreen=True)
    size = args.size or config.window_size
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with Session(config, choice, size=size) as session:
        session.still(args.scene, args.view, args.out)
    _say("shot.done", config, path=args.out)
    return 0


def _tour(config: Config, args: argparse.Namespace) -> int:
    from app.runtime_choice import Choice
    from app.session import Session

    choice = Choice("sim-vr" if args.stereo else "headless", offscreen=True)
    size = args.size or config.window_size
    with _recorded(config) as recorder, Session(config, choice, recorder, size) as session:
        written = session.tour(args.out, args.scenes)
    _say("tour.done", config, count=len(written), path=args.out)
    return 0


def _assets(config: Config, args: argparse.Namespace) -> int:
    from anatomy.pipeline.build import DEFAULT_STEPS, build
    from scenes.anatomy_lab import asset_dir

    if args.assets_command == "import":
        return _assets_import(config, args)
    out = args.out or asset_dir()
    steps = tuple(args.steps) if args.steps else DEFAULT_STEPS
    manifest = build(out, steps=steps, force=args.force)
    _say("assets.built", config, path=out, shapes=len(manifest["shapes"]))
    if Path(out).resolve() == asset_dir().resolve():
        _warm_geometry_cache(config, list(manifest["shapes"]))
    return 0


def _warm_geometry_cache(config: Config, shapes: list[str]) -> None:
    """Fill the Panda3D (bam) cache of every shape's structure geometry, so the first
    start into the anatomy lab needs no building either."""
    from anatomy.body_model import load_body
    from scenes.anatomy_lab import asset_dir, imports_file, structure_geometry

    imports = imports_file(config.data_dir)
    for shape in shapes:
        body = load_body(asset_dir(), shape, imports=imports)
        structure_geometry(body, config.cache_dir, config.data_dir)
    _say("assets.cached", config, shapes=len(shapes), path=config.cache_dir / "geometry")


def _assets_import(config: Config, args: argparse.Namespace) -> int:
    from anatomy.body_model import load_body
    from anatomy.importer import import_meshes, save_imports
    from scenes.anatomy_lab import asset_dir

    body = load_body(asset_dir())
    structures = import_meshes(args.path, args.mapping, body.meshes, body.catalog)
    path = save_imports(config.data_dir, structures)
    _say("assets.imported", config, count=len(structures), path=path)
    return 0


def _anatomy(config: Config, args: argparse.Namespace) -> int:
    from anatomy.body_model import export_body, load_body
    from scenes.anatomy_lab import asset_dir, imports_file

    body = load_body(asset_dir(), args.shape, imports=imports_file(config.data_dir))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    data = export_body(body)
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    _say("anatomy.exported", config, count=len(data["structures"]), path=args.out)
    return 0


def _acupoints(config: Config, args: argparse.Namespace) -> int:
    from acupuncture.acupoint_catalog import load_acupoints
    from acupuncture.placement import export_placement, place_points
    from anatomy.body_model import load_body
    from scenes.anatomy_lab import asset_dir, imports_file

    body = load_body(asset_dir(), args.shape, imports=imports_file(config.data_dir))
    catalog = load_acupoints()
    data = export_placement(catalog, place_points(body, catalog), body)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    _say("acupoints.exported", config, count=len(data["points"]), path=args.out)
    return 0


def _doctor(config: Config, args: argparse.Namespace) -> int:
    from app.doctor import examine

    report = examine(config)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        s = strings("app")
        print(s.get("doctor.title", config.language))
        for c in report.checks:
            mark = "ok " if c.ok else ("-- " if not c.essential else "XX ")
            print(f"  {mark}{s.get('doctor.' + c.key, config.language)}: {c.value}")
        print(s.get("doctor.ok" if report.ok else "doctor.fail", config.language))
    return 0 if report.ok else 1


def _sync(config: Config, args: argparse.Namespace) -> int:
    from app import sync_service

    command = args.sync_command
    if command == "status":
        return _sync_status(config, sync_service.status(config), args.json)
    if command == "flush":
        delivered, queued = sync_service.flush(config)
        _say("sync.flushed", config, delivered=delivered, queued=queued)
        return 0 if queued == 0 else 1
    if command == "export":
        count = sync_service.export(config, args.out)
        _say("sync.exported", config, count=count, path=args.out)
        return 0
    if command == "forget":
        path = sync_service.outbox_path(config)
        if not args.yes:
            if not sys.stdin.isatty():
                raise AppError(*_both("sync.forget_needs_yes"))
            question = strings("app").get("sync.forget_question", config.language, path=path)
            if input(question).strip().casefold() not in ("y", "yes", "是"):
                _say("sync.kept", config)
                return 1
        count = sync_service.forget(config)
        if count is None:
            _say("sync.forgotten_unreadable", config, path=path)
        else:
            _say("sync.forgotten", config, count=count)
        return 0
    if command == "consent":
        if args.answer is None:
            return _sync_status(config, sync_service.status(config), False)
        answer = sync_service.save_consent(config, args.answer)
        shown = strings("app").get(f"sync.consent.{answer.answer}", config.language)
        _say("sync.consent_set", config, answer=shown)
        return 0
    if command == "login":
        s = strings("app")
        username = args.username or input(s.get("sync.username_prompt", config.language))
        prompt = s.get("sync.password_prompt", config.language)
        password = getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline()
        sync_service.save_credentials(config, username.strip(), password.rstrip("\n"))
        _say("sync.login_saved", config, endpoint=config.lrs_endpoint)
        return 0
    removed = sync_service.delete_credentials(config)
    key = "sync.logout_done" if removed else "sync.logout_none"
    _say(key, config, endpoint=config.lrs_endpoint)
    return 0


def _both(key: str, **fields) -> tuple[str, str]:
    """A string in English and in Chinese, for an error that carries both."""
    s = strings("app")
    return s.get(key, "en", **fields), s.get(key, "zh-CN", **fields)


def _sync_status(config: Config, status, as_json: bool) -> int:
    if as_json:
        print(json.dumps(status.as_dict(), ensure_ascii=False, indent=2))
        return 0
    s, lang = strings("app"), config.language

    def t(key: str, **fields) -> str:
        return s.get(key, lang, **fields)

    consent = t(f"sync.consent.{status.consent.answer}")
    source = t(f"sync.source.{status.consent.source}", at=status.consent.at or "")
    rows = [
        ("consent", f"{consent} ({source})" if lang == "en" else f"{consent}（{source}）"),
        ("endpoint", status.endpoint or t("sync.status.none")),
        ("account", status.account),
        ("credentials", t(f"sync.credentials.{status.credentials}")),
        ("outbox", str(status.outbox)),
        ("queued", str(status.queued)),
        ("delivered", str(status.delivered)),
        ("dead", str(status.dead)),
        ("last_error", status.last_error or t("sync.status.none")),
    ]
    print(t("sync.status.title"))
    for key, value in rows:
        print(f"  {t('sync.status.' + key)}: {value}")
    for sid, reason, _status in status.dead_letters[:20]:
        print(f"    {sid}: {reason}")
    return 0


def _credits(config: Config, args: argparse.Namespace) -> int:
    from app.sync_service import credit_report
    from sync.credits import report_lines

    report = credit_report(config)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for line in report_lines(report, config.language):
            print(line)
    return 0


def _config(config: Config, args: argparse.Namespace) -> int:
    if args.action == "init":
        wrote = write_default_config(config.config_file)
        _say("config.written" if wrote else "config.kept", config, path=config.config_file)
        return 0
    for name, value in vars(config).items():
        print(f"{name} = {value}")
    return 0
