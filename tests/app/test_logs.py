import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest

from app.errors import AppError
from app.logs import close_logging, setup_logging

TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) ")


@pytest.fixture(autouse=True)
def detached_logging() -> Iterator[None]:
    logger = logging.getLogger("medvr")
    level = logger.level
    yield
    close_logging()
    logger.setLevel(level)


def flush() -> None:
    for handler in logging.getLogger("medvr").handlers:
        handler.flush()


def test_creates_the_folder_and_writes_utc_iso_lines(tmp_path: Path) -> None:
    log_dir = tmp_path / "state" / "log"
    log_file = setup_logging(log_dir)
    assert log_file == log_dir / "medvr.log"
    assert log_dir.is_dir()

    before = datetime.now(UTC)
    logging.getLogger("medvr.scenes").info("entered 解剖 lobby")
    flush()
    line = log_file.read_text(encoding="utf-8").splitlines()[-1]
    match = TIMESTAMP.match(line)
    assert match, line
    stamp = datetime.fromisoformat(match[1])
    assert stamp.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= stamp <= datetime.now(UTC) + timedelta(seconds=1)
    assert "INFO" in line and "medvr.scenes" in line and "entered 解剖 lobby" in line


def test_level_filters_the_file(tmp_path: Path) -> None:
    log_file = setup_logging(tmp_path, level="WARNING")
    logger = logging.getLogger("medvr.sync")
    logger.info("routine upload")
    logger.warning("upload retried")
    flush()
    text = log_file.read_text(encoding="utf-8")
    assert "upload retried" in text
    assert "routine upload" not in text


def test_unknown_level_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="LOUD"):
        setup_logging(tmp_path, level="LOUD")


def test_setup_twice_keeps_one_file_handler(tmp_path: Path) -> None:
    first = setup_logging(tmp_path / "a")
    second = setup_logging(tmp_path / "b")
    handlers = logging.getLogger("medvr").handlers
    file_handlers = [h for h in handlers if isinstance(h, RotatingFileHandler)]
    assert len(file_handlers) == 1
    assert Path(file_handlers[0].baseFilename) == second

    logging.getLogger("medvr").warning("after the second setup")
    flush()
    assert "after the second setup" in second.read_text(encoding="utf-8")
    assert "after the second setup" not in first.read_text(encoding="utf-8")


def test_handlers_added_by_others_stay(tmp_path: Path) -> None:
    logger = logging.getLogger("medvr")
    foreign = logging.NullHandler()
    logger.addHandler(foreign)
    try:
        setup_logging(tmp_path)
        setup_logging(tmp_path)
        close_logging()
        assert logger.handlers.count(foreign) == 1
    finally:
        logger.removeHandler(foreign)


def test_rotates_past_one_megabyte_and_keeps_five_backups(tmp_path: Path) -> None:
    log_file = setup_logging(tmp_path)
    logger = logging.getLogger("medvr.bench")
    payload = "x" * 1000
    # About 7 MB in all: enough for more rotations than there are backups.
    for index in range(7000):
        logger.info("%05d %s", index, payload)
    flush()
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == ["medvr.log", *(f"medvr.log.{n}" for n in range(1, 6))]
    for path in tmp_path.iterdir():
        assert path.stat().st_size <= 1024 * 1024
    assert "06999" in log_file.read_text(encoding="utf-8")


def test_rotation_size_and_backups_are_parameters(tmp_path: Path) -> None:
    setup_logging(tmp_path, max_bytes=2000, backup_count=2)
    logger = logging.getLogger("medvr")
    for index in range(100):
        logger.info("line %03d %s", index, "y" * 100)
    flush()
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "medvr.log",
        "medvr.log.1",
        "medvr.log.2",
    ]


def test_debug_also_writes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log_file = setup_logging(tmp_path, level="WARNING", debug=True)
    logging.getLogger("medvr.scenes").debug("pose task sort -1000")
    flush()
    assert "pose task sort -1000" in capsys.readouterr().err
    assert "pose task sort -1000" in log_file.read_text(encoding="utf-8")

    setup_logging(tmp_path)
    logging.getLogger("medvr.scenes").warning("no more stderr")
    flush()
    assert "no more stderr" not in capsys.readouterr().err


def test_unusable_folder_raises_app_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(AppError, match="cannot open the log file"):
        setup_logging(blocker / "log")
