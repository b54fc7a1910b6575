"""Bilingual user-facing strings, kept in TOML catalogs beside the code that shows them.

A catalog is a TOML file of tables, one per string id, each with an ``en`` and a ``zh-CN``
value. Both languages are required; a missing one is an error at load, naming the file
and the id, so an untranslated string can never reach a user.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from scenes.errors import SceneError
from scenes.resources import resource_path

LANGUAGES = ("zh-CN", "en")


@dataclass(frozen=True)
class Text:
    """One user-facing string in both languages."""

    zh: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.zh if lang == "zh-CN" else self.en


class Catalog:
    """Strings by id; ``catalog.get("lobby.title", "en")``."""

    def __init__(self, texts: Mapping[str, Text]):
        self._texts = dict(texts)

    def text(self, key: str) -> Text:
        try:
            return self._texts[key]
        except KeyError:
            raise SceneError(f"no user-facing string with id {key!r}") from None

    def get(self, key: str, lang: str, **fields: object) -> str:
        s = self.text(key)(lang)
        return s.format(**fields) if fields else s

    def keys(self) -> Iterable[str]:
        return self._texts.keys()

    def merged(self, other: Catalog) -> Catalog:
        return Catalog({**self._texts, **other._texts})


def load_catalog(path: Path) -> Catalog:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise SceneError(
            f"{path}: cannot read string catalog: {e}", f"{path}：无法读取文字目录：{e}"
        ) from None
    texts: dict[str, Text] = {}
    for key, entry in _flatten(data):
        missing = [lang for lang in LANGUAGES if not isinstance(entry.get(lang), str)]
        if missing:
            langs = ", ".join(missing)
            raise SceneError(
                f"{path}: [{key}] needs a text for {langs}", f"{path}：[{key}] 缺少 {langs} 文本"
            )
        texts[key] = Text(zh=entry["zh-CN"], en=entry["en"])
    return Catalog(texts)


def _flatten(data: dict, prefix: str = ""):
    """Yield (dotted id, leaf table) for every table that holds language keys."""
    for name, value in data.items():
        if not isinstance(value, dict):
            raise SceneError(f"string catalog entry {prefix}{name!r} is not a table")
        if any(lang in value for lang in LANGUAGES):
            yield prefix + name, value
        else:
            yield from _flatten(value, f"{prefix}{name}.")


_catalogs: dict[str, Catalog] = {}


def strings(package: str = "scenes") -> Catalog:
    """The catalog shipped as ``strings.toml`` in ``package``, loaded once."""
    if package not in _catalogs:
        _catalogs[package] = load_catalog(resource_path(package, "strings.toml"))
    return _catalogs[package]
