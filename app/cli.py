"""The ``medvr`` command: run, shot, tour, doctor, config.

Every failure the user can act on is one line on stderr and a non-zero exit;
``--debug`` shows the traceback as well.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

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

log = logging.getLogger("medvr.app")
USER_ERRORS = (AppError, SceneError, SyncError)


def _size(text: str) -> tuple[int, int]:
    try:
        return parse_window_size(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected WIDTHxHEIGHT, e.g. 1280x720, got {text!r}"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="medvr", description="MedVR medical VR/3D training")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    p.add_argument("--config", type=Path, help="config file (default: the platform's location)")
    p.add_argument("--lang", choices=("zh-CN", "en"), help="language of the interface")
    sub = p.add_subparsers(dest="command")

    run = sub.add_parser(
        "run", help="start the app (a window, or a headless tour without a display)"
    )
    run.add_argument("--scene", help="scene to start in (default: lobby)")
    run.add_argument("--mode", choices=MODES, help="runtime (default: auto)")
    run.add_argument("--lang", choices=("zh-CN", "en"), dest="run_lang", help=argparse.SUPPRESS)
    run.add_argument("--out", type=Path, help="where a headless run writes its tour")
    run.add_argument("--frames", type=int, help="quit after this many frames (smoke tests)")

    shot = sub.add_parser("shot", help="render one still headless")
    shot.add_argument("scene")
    shot.add_argument("--out", type=Path, required=True)
    shot.add_argument("--size", type=_size, default=None, help="WIDTHxHEIGHT (default 1280x720)")
    shot.add_argument("--view", help="named viewpoint of the scene")
    shot.add_argument("--stereo", action="store_true", help="both eyes of the simulated HMD")

    tour = sub.add_parser("tour", help="render the guided tour headless")
    tour.add_argument("--out", type=Path, required=True)
    tour.add_argument("--size", type=_size, default=None)
    tour.add_argument("--stereo", action="store_true")
    tour.add_argument("--scene", action="append", dest="scenes", help="only these scenes")

    doctor = sub.add_parser("doctor", help="what this machine offers; non-zero if MedVR cannot run")
    doctor.add_argument("--json", action="store_true")

    cfg = sub.add_parser("config", help="show the settings in force, or write a commented file")
    cfg.add_argument("action", choices=("show", "init"), nargs="?", default="show")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
    chosen = getattr(args, "run_lang", None) or args.lang
    if chosen:
        return chosen
    try:
        return load_config().language
    except AppError:
        return "en" if os.environ.get("MEDVR_LANG", "").lower() == "en" else "zh-CN"


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
    if command == "doctor":
        return _doctor(config, args)
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
        with Session(config, choice) as session:
            written = session.tour(out, only)
        _say("tour.done", config, count=len(written), path=out)
        return 0
    with Session(config, choice) as session:
        session.director.switch(config.start_scene)
        if frames is None:
            session.engine.base.accept("window-closed", sys.exit)
            session.engine.base.run()
        else:
            session.director.settle(frames)
    return 0


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
    with Session(config, choice, size=args.size or config.window_size) as session:
        written = session.tour(args.out, args.scenes)
    _say("tour.done", config, count=len(written), path=args.out)
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


def _config(config: Config, args: argparse.Namespace) -> int:
    if args.action == "init":
        wrote = write_default_config(config.config_file)
        _say("config.written" if wrote else "config.kept", config, path=config.config_file)
        return 0
    for name, value in vars(config).items():
        print(f"{name} = {value}")
    return 0
