"""The structure catalog: every named structure with its names, system, layer, region,
description and source, read from ``anatomy/data/structures.json`` and checked at load.

A broken entry stops loading with one line naming the file, the entry and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from anatomy.errors import AnatomyError
from anatomy.json_file import load_json

CATALOG_FILE = Path(__file__).with_name("data") / "structures.json"
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_LAYER = 5


@dataclass(frozen=True)
class Names:
    zh: str
    en: str
    la: str | None = None

    def __call__(self, lang: str) -> str:
        return self.zh if lang == "zh-CN" else self.en


@dataclass(frozen=True)
class Group:
    """A system or a region: an id and its names."""

    group_id: str
    names: Names


@dataclass(frozen=True)
class Structure:
    structure_id: str
    names: Names
    system: str
    layer: int  # 0 = skin, growing with depth from the surface
    region: str
    description: Names
    source: str
    schematic: bool
    fma: str | None = None


@dataclass(frozen=True)
class Catalog:
    systems: dict[str, Group]
    regions: dict[str, Group]
    structures: dict[str, Structure]

    def __getitem__(self, structure_id: str) -> Structure:
        try:
            return self.structures[structure_id]
        except KeyError:
            raise AnatomyError(
                f"no structure {structure_id!r} in the catalog", f"目录中没有结构 {structure_id!r}"
            ) from None

    def of_system(self, system: str) -> list[Structure]:
        return [s for s in self.structures.values() if s.system == system]


class _Reader:
    """Walks the JSON document keeping the place for error lines."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, en: str, zh: str):
        raise AnatomyError(f"{self.path}: {where}: {en}", f"{self.path}：{where}：{zh}")

    def text(self, obj: dict, key: str, where: str, optional: bool = False) -> str | None:
        value = obj.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"{key} must be a non-empty text", f"{key} 必须是非空文本")
        return value

    def names(self, obj: dict, key: str, where: str, latin: bool) -> Names:
        value = obj.get(key)
        if not isinstance(value, dict):
            self.fail(where, f"{key} must be a table with zh and en", f"{key} 必须包含 zh 与 en")
        place = f"{where} {key}"
        return Names(
            zh=self.text(value, "zh", place),
            en=self.text(value, "en", place),
            la=self.text(value, "la", place) if latin else None,
        )

    def groups(self, doc: dict, key: str) -> dict[str, Group]:
        table = doc.get(key)
        if not isinstance(table, dict) or not table:
            self.fail(key, "must be a table of ids to names", "必须是以编号为键的名称表")
        out = {}
        for group_id, names in table.items():
            where = f"{key}.{group_id}"
            if not ID_PATTERN.match(group_id):
                self.fail(
                    where,
                    "ids are lowercase letters, digits and _",
                    "编号只能含小写字母、数字和下划线",
                )
            out[group_id] = Group(group_id, self.names({"n": names}, "n", where, latin=False))
        return out


def load_catalog(path: Path = CATALOG_FILE) -> Catalog:
    reader = _Reader(path)
    doc = load_json(path, "catalog file missing", "缺少结构目录文件")
    if not isinstance(doc, dict):
        reader.fail("top level", "must be a JSON object", "顶层必须是 JSON 对象")
    systems = reader.groups(doc, "systems")
    regions = reader.groups(doc, "regions")
    entries = doc.get("structures")
    if not isinstance(entries, list) or not entries:
        reader.fail("structures", "must be a list of entries", "必须是条目列表")
    structures: dict[str, Structure] = {}
    for i, entry in enumerate(entries):
        where = f"structures[{i}]"
        if not isinstance(entry, dict):
            reader.fail(where, "must be an object", "必须是对象")
        sid = entry.get("id")
        if not isinstance(sid, str) or not ID_PATTERN.match(sid):
            reader.fail(where, f"id {sid!r} is not a lowercase id", f"编号 {sid!r} 不是小写编号")
        where = f"structures[{i}] ({sid})"
        if sid in structures:
            reader.fail(where, "id used twice", "编号重复")
        system = reader.text(entry, "system", where)
        if system not in systems:
            reader.fail(where, f"unknown system {system!r}", f"未知的系统 {system!r}")
        region = reader.text(entry, "region", where)
        if region not in regions:
            reader.fail(where, f"unknown region {region!r}", f"未知的部位 {region!r}")
        layer = entry.get("layer")
        if not isinstance(layer, int) or isinstance(layer, bool) or not 0 <= layer <= MAX_LAYER:
            reader.fail(
                where,
                f"layer must be a whole number 0–{MAX_LAYER}",
                f"layer 必须是 0–{MAX_LAYER} 的整数",
            )
        schematic = entry.get("schematic")
        if not isinstance(schematic, bool):
            reader.fail(where, "schematic must be true or false", "schematic 必须是 true 或 false")
        structures[sid] = Structure(
            structure_id=sid,
            names=reader.names(entry, "name", where, latin=True),
            system=system,
            layer=layer,
            region=region,
            description=reader.names(entry, "description", where, latin=False),
            source=reader.text(entry, "source", where),
            schematic=schematic,
            fma=reader.text(entry, "fma", where, optional=True),
        )
    return Catalog(systems=systems, regions=regions, structures=structures)
