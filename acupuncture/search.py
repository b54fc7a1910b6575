"""Finding acupoints by code (ST36, st-36), Chinese, pinyin (tones optional, or initials)
or English name."""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

from acupuncture.acupoint_catalog import AcupointCatalog
from anatomy.search import _plain, match_rank


def _code(text: str) -> str:
    return re.sub(r"[\s\-_.]+", "", text.upper())


class AcupointSearch:
    def __init__(self, catalog: AcupointCatalog):
        self.catalog = catalog
        self._keys = {}
        for code, p in catalog.points.items():
            self._keys[code] = (
                _plain(p.names.zh),
                _plain(p.pinyin),
                _plain("".join(lazy_pinyin(p.names.zh, style=Style.FIRST_LETTER))),
                _plain(p.names.en),
            )
        self._order = {code: i for i, code in enumerate(catalog.order)}

    def find(self, query: str, limit: int = 8) -> list[str]:
        """Codes best matching ``query``: the exact code, then exact names, prefixes,
        substrings; in the catalog's order within a rank."""
        code = _code(query)
        q = _plain(query)
        if not q:
            return []
        scored = []
        for point_code, (zh, pinyin, initials, en) in self._keys.items():
            best = match_rank(q, ((0, zh), (0, en), (1, pinyin), (2, initials)))
            if _code(point_code) == code:
                best = -1
            if best is None and _code(point_code).startswith(code) and len(code) >= 2:
                best = 5
            if best is not None:
                scored.append((best, self._order.get(point_code, 0), point_code))
        return [c for _, _, c in sorted(scored)[:limit]]
