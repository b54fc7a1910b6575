"""Finding structures by Chinese, pinyin (full or initials, tones optional) or English.

Pinyin comes from ``pypinyin``'s phrase dictionary, which reads polyphonic characters
in context better than a character table would.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin

from anatomy.catalog import Catalog


def _plain(text: str) -> str:
    """Lowercase, tone marks and ü's dots dropped, only letters, digits and CJK kept."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^0-9a-z\u4e00-\u9fff]+", "", kept.replace("ü", "v"))


def match_rank(q: str, fields) -> int | None:
    """How well plain query ``q`` matches ``(base rank, plain text)`` fields: lowest is best
    (exact, then prefix +10, then substring +20); None when nothing matches."""
    best = None
    for base, field in fields:
        if not field:
            continue
        if field == q:
            score = base
        elif field.startswith(q):
            score = 10 + base
        elif q in field:
            score = 20 + base
        else:
            continue
        best = score if best is None else min(best, score)
    return best


@dataclass(frozen=True)
class _Keys:
    zh: str
    pinyin: str
    initials: str
    en: str
    latin: str


class StructureSearch:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self._keys = {}
        for sid, s in catalog.structures.items():
            self._keys[sid] = _Keys(
                zh=_plain(s.names.zh),
                pinyin=_plain("".join(lazy_pinyin(s.names.zh))),
                initials=_plain("".join(lazy_pinyin(s.names.zh, style=Style.FIRST_LETTER))),
                en=_plain(s.names.en),
                latin=_plain(s.names.la or ""),
            )

    def find(self, query: str, limit: int = 8) -> list[str]:
        """Structure ids best matching ``query``: exact, then prefix, then substring."""
        q = _plain(query)
        if not q:
            return []
        scored = []
        for sid, k in self._keys.items():
            fields = ((0, k.zh), (0, k.en), (1, k.pinyin), (2, k.initials), (3, k.latin))
            best = match_rank(q, fields)
            if best is not None:
                scored.append((best, len(self.catalog.structures[sid].names.en), sid))
        return [sid for _, _, sid in sorted(scored)[:limit]]
