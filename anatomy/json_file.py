"""Reading the folder's JSON files with one-line, bilingual errors."""

from __future__ import annotations

import json
from pathlib import Path

from anatomy.errors import AnatomyError


def load_json(path: Path, missing_en: str, missing_zh: str):
    """The parsed document; a missing file or a syntax error is one line naming the
    file (and the line and column)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnatomyError(f"{path}: {missing_en}", f"{path}：{missing_zh}") from None
    except json.JSONDecodeError as e:
        raise AnatomyError(
            f"{path}: line {e.lineno} column {e.colno}: not valid JSON ({e.msg})",
            f"{path}：第 {e.lineno} 行第 {e.colno} 列：不是有效的 JSON（{e.msg}）",
        ) from None
