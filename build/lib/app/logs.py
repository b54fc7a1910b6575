"""The app's log: a rotating UTF-8 file under the log folder, and stderr when debugging."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path

from app.errors import AppError

LOGGER_NAME = "medvr"
LOG_FILE_NAME = "medvr.log"
MAX_LOG_BYTES = 1024 * 1024
LOG_BACKUPS = 5
LOG_FORMAT = "%(asctime)s %(levelname)-8s %(name)s [%(threadName)s] %(message)s"

# Marks the handlers this module added, so a second setup replaces them instead of adding.
_OWNED = "_medvr_owned"


class UtcIsoFormatter(logging.Formatter):
    """Timestamps as ISO 8601 UTC with milliseconds, e.g. 2024-05-01T08:30:00.123Z."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _level_number(level: str) -> int:
    number = logging.getLevelNamesMapping().get(level.upper())
    if number is None:
        raise ValueError(f"unknown log level {level!r}")
    return number


def close_logging() -> None:
    """Detach and close the handlers setup_logging() added; other handlers stay."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        if getattr(handler, _OWNED, False):
            logger.removeHandler(handler)
            handler.close()


def setup_logging(
    log_dir: Path,
    level: str = "INFO",
    debug: bool = False,
    *,
    max_bytes: int = MAX_LOG_BYTES,
    backup_count: int = LOG_BACKUPS,
) -> Path:
    """Send the "medvr" logger to log_dir/medvr.log (rotated); returns that file's path.

    Calling it again replaces the handlers it added before, so there is always one file
    handler. debug=True logs everything, to the file and to stderr.
    """
    threshold = logging.DEBUG if debug else _level_number(level)
    log_file = Path(log_dir) / LOG_FILE_NAME
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = RotatingFileHandler(
            log_file, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8"
        )
    except OSError as exc:
        raise AppError(f"{log_file}: cannot open the log file: {exc.strerror or exc}") from None

    close_logging()
    formatter = UtcIsoFormatter(LOG_FORMAT)
    handlers: list[logging.Handler] = [file_handler]
    if debug:
        handlers.append(logging.StreamHandler(sys.stderr))
    logger = logging.getLogger(LOGGER_NAME)
    for handler in handlers:
        setattr(handler, _OWNED, True)
        handler.setFormatter(formatter)
        handler.setLevel(threshold)
        logger.addHandler(handler)
    logger.setLevel(threshold)
    return log_file
