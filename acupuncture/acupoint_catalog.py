"""The acupoint catalog: every WHO point with its names, location, placement rule,
needling and cautions, read from ``acupuncture/data`` and checked at load.

Files:
- ``meridians.json``: the 14 meridians and 5 extra-point groups (names, colour, count).
- ``spans.json``: the proportional bone (B-cun) spans a rule measures its cun with.
- ``cautions.json``: caution codes and their texts.
- ``points/<MERIDIAN>.json``: ``{"meridian": "LU", "points": [...]}``, one entry a point.

A point entry::

    {"code": "LU5", "zh": "尺泽", "pinyin": "Chǐzé", "en": "Cubit Marsh",
     "location": {"zh": "...", "en": "..."},
     "rule": RULE,                       # or "sites": [{"id": "a", "rule": RULE}, ...]
     "needling": {"angle": "perpendicular" | "oblique" | "transverse",
                  "toward": DIR or REF,  # where the tip leans (not for perpendicular)
                  "depth_cun": [0.5, 1.0]},
     "cautions": ["major_vessel"],
     "side": "bilateral" | "midline",    # optional, the meridian's by default
     "source": "..."}

A RULE places the point on a body (see ``acupuncture.placement``)::

    {"start": REF,
     "moves": [{"toward": REF, "cun": 3, "span": SPAN},   # along the line to REF
               {"toward": REF, "fraction": 0.5},          # part of the way to REF
               {"dir": DIR, "cun": 2, "span": SPAN},      # along a body direction
               {"level": REF},                            # to the height of REF
               {"ics": 4}],                               # into the 4th intercostal space
     "skin": DIR or "nearest"}                            # where the skin over it faces

``"skin": "mucosa"`` marks the few extra points inside the nose or mouth: they stay where
the rule puts them, with no skin over them.

REF: ``lm:<landmark>`` (anatomy.landmarks), ``an:<anchor>`` (acupuncture.anchor_names),
``pt:<code>`` (another point; ``pt:EX-B2#t1`` for a site), or
``bone:<bone>:<where>[:<DIR>]`` with ``where`` one of proximal, distal, mid, extreme or a
fraction 0..1 from the proximal end, and DIR the direction of the extreme vertex taken
there. Bilateral names are written without ``_l``/``_r``: the point's side is used.
DIR: up, down, anterior, posterior, lateral, medial.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from acupuncture.anchor_names import ANCHOR_NAMES
from acupuncture.errors import AcupunctureError
from anatomy.errors import AnatomyError
from anatomy.json_file import load_json

DATA_DIR = Path(__file__).with_name("data")
DIRS = ("up", "down", "anterior", "posterior", "lateral", "medial")
SKIN_DIRS = (*DIRS, "nearest", "mucosa")  # mucosa: inside the nose or mouth, not on the skin
ANGLES = {"perpendicular": 90.0, "oblique": 45.0, "transverse": 15.0}
BONE_WHERE = ("proximal", "distal", "mid", "extreme")
CODE_PATTERN = re.compile(r"^(LU|LI|ST|SP|HT|SI|BL|KI|PC|TE|GB|LR|GV|CV|EX-(HN|CA|B|UE|LE))\d+$")
SITE_PATTERN = re.compile(r"^[a-z0-9_]+$")
TONE_MARKS = re.compile(r"[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜĀÁǍÀĒÉĚÈĪÍǏÌŌÓǑÒŪÚǓÙ]")


@dataclass(frozen=True)
class Text:
    zh: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.zh if lang == "zh-CN" else self.en


@dataclass(frozen=True)
class Meridian:
    meridian_id: str
    names: Text
    pinyin: str
    count: int
    side: str  # "bilateral" or "midline"
    colour: tuple[float, float, float]
    extra: bool = False


@dataclass(frozen=True)
class Span:
    span_id: str
    start: str
    end: str
    cun: float
    measure: str
    names: Text


@dataclass(frozen=True)
class Needling:
    angle: str
    toward: str | None
    depth_cun: tuple[float, float]

    @property
    def angle_deg(self) -> float:
        """Angle between the needle and the skin surface."""
        return ANGLES[self.angle]


@dataclass(frozen=True)
class Site:
    site_id: str | None
    rule: dict


@dataclass(frozen=True)
class Acupoint:
    code: str
    meridian: str
    number: int
    names: Text
    pinyin: str
    location: Text
    sites: tuple[Site, ...]
    needling: Needling
    cautions: tuple[str, ...]
    side: str
    source: str

    def name(self, lang: str) -> str:
        return self.names(lang)


@dataclass
class AcupointCatalog:
    meridians: dict[str, Meridian]
    spans: dict[str, Span]
    cautions: dict[str, Text]
    points: dict[str, Acupoint] = field(default_factory=dict)

    def __getitem__(self, code: str) -> Acupoint:
        try:
            return self.points[code]
        except KeyError:
            raise AcupunctureError(f"no acupoint {code!r}", f"没有穴位 {code!r}") from None

    def of_meridian(self, meridian: str) -> list[Acupoint]:
        return sorted(
            (p for p in self.points.values() if p.meridian == meridian), key=lambda p: p.number
        )

    @cached_property
    def order(self) -> list[str]:
        """Every code, meridian by meridian in the standard's order."""
        return [p.code for m in self.meridians for p in self.of_meridian(m)]


class _Reader:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, en: str, zh: str):
        raise AcupunctureError(f"{self.path}: {where}: {en}", f"{self.path}：{where}：{zh}")

    def load(self, en: str, zh: str):
        try:
            return load_json(self.path, en, zh)
        except AnatomyError as e:
            raise AcupunctureError(str(e), e.zh) from None

    def text(self, obj: dict, key: str, where: str) -> str:
        value = obj.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"{key} must be a non-empty text", f"{key} 必须是非空文本")
        return value

    def both(self, obj: dict, key: str, where: str) -> Text:
        value = obj.get(key)
        if not isinstance(value, dict):
            self.fail(where, f"{key} must be a table with zh and en", f"{key} 必须包含 zh 与 en")
        return Text(
            self.text(value, "zh", f"{where} {key}"), self.text(value, "en", f"{where} {key}")
        )

    def number(self, obj: dict, key: str, where: str, low: float = 0.0) -> float:
        value = obj.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
            self.fail(
                where, f"{key} must be a number >= {low:g}", f"{key} 必须是不小于 {low:g} 的数"
            )
        return float(value)


def _check_ref(reader: _Reader, ref, where: str, bilateral: bool, known_bones: set[str]) -> None:
    from anatomy.landmarks import LANDMARKS

    if not isinstance(ref, str) or ":" not in ref:
        reader.fail(
            where,
            f"reference {ref!r} must look like lm:…, an:…, pt:… or bone:…",
            f"引用 {ref!r} 的格式应为 lm:…、an:…、pt:… 或 bone:…",
        )
    kind, _, name = ref.partition(":")
    if kind == "lm":
        sided = {f"{name}_l", f"{name}_r"} <= LANDMARKS.keys()
        if name not in LANDMARKS and not (sided and bilateral):
            reader.fail(where, f"unknown landmark {name!r}", f"未知的标志点 {name!r}")
    elif kind == "an":
        if name not in ANCHOR_NAMES or (ANCHOR_NAMES[name][0] and not bilateral):
            reader.fail(where, f"unknown anchor {name!r}", f"未知的定位点 {name!r}")
    elif kind == "pt":
        code = name.split("#", 1)[0]
        if not CODE_PATTERN.match(code):
            reader.fail(where, f"{ref!r} names no point code", f"{ref!r} 不是穴位编号")
    elif kind == "bone":
        parts = name.split(":")
        bone = parts[0]
        sided = {f"{bone}_l", f"{bone}_r"} <= known_bones
        if bone not in known_bones and not (sided and bilateral):
            reader.fail(where, f"unknown bone {bone!r}", f"未知的骨 {bone!r}")
        if len(parts) not in (2, 3):
            reader.fail(
                where,
                f"{ref!r}: bone:<bone>:<where>[:<dir>]",
                f"{ref!r}：应为 bone:<骨>:<位置>[:<方向>]",
            )
        at = parts[1]
        if at not in BONE_WHERE:
            try:
                if not 0.0 <= float(at) <= 1.0:
                    raise ValueError
            except ValueError:
                reader.fail(
                    where,
                    f"{ref!r}: where must be proximal, distal, mid, extreme or 0..1",
                    f"{ref!r}：位置应为 proximal、distal、mid、extreme 或 0..1",
                )
        if (len(parts) == 3 and parts[2] not in DIRS) or (at == "extreme" and len(parts) != 3):
            reader.fail(
                where,
                f"{ref!r}: a direction ({', '.join(DIRS)}) is needed",
                f"{ref!r}：需要方向（{', '.join(DIRS)}）",
            )
    else:
        reader.fail(where, f"unknown reference kind {kind!r}", f"未知的引用类型 {kind!r}")


def _check_rule(reader, rule, where, bilateral, spans, bones) -> None:
    if not isinstance(rule, dict):
        reader.fail(where, "rule must be an object", "rule 必须是对象")
    _check_ref(reader, rule.get("start"), f"{where} rule.start", bilateral, bones)
    moves = rule.get("moves", [])
    if not isinstance(moves, list):
        reader.fail(where, "rule.moves must be a list", "rule.moves 必须是列表")
    for i, move in enumerate(moves):
        place = f"{where} rule.moves[{i}]"
        if not isinstance(move, dict):
            reader.fail(place, "a move must be an object", "每一步必须是对象")
        keys = set(move)
        if "toward" in move:
            _check_ref(reader, move["toward"], place, bilateral, bones)
            if keys == {"toward", "fraction"}:
                reader.number(move, "fraction", place)
                continue
            if keys != {"toward", "cun", "span"}:
                reader.fail(
                    place,
                    "toward needs cun and span, or fraction",
                    "toward 需要 cun 与 span，或 fraction",
                )
        elif "dir" in move:
            if keys != {"dir", "cun", "span"} or move["dir"] not in DIRS:
                reader.fail(
                    place,
                    f"dir needs one of {', '.join(DIRS)}, cun and span",
                    f"dir 需要方向（{', '.join(DIRS)}）、cun 与 span",
                )
            if move["dir"] in ("lateral", "medial") and not bilateral:
                reader.fail(place, "a midline point has no lateral side", "正中线穴位没有外侧")
        elif "level" in move:
            _check_ref(reader, move["level"], place, bilateral, bones)
            continue
        elif "ics" in move:
            n = move["ics"]
            if keys != {"ics"} or isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 11:
                reader.fail(
                    place, "ics must be an intercostal space 1..11", "ics 必须是 1..11 的肋间隙"
                )
            continue
        else:
            reader.fail(
                place, "a move is toward, dir, level or ics", "每一步应为 toward、dir、level 或 ics"
            )
        reader.number(move, "cun", place)
        if move["span"] not in spans:
            reader.fail(place, f"unknown span {move['span']!r}", f"未知的骨度 {move['span']!r}")
    if rule.get("skin") not in SKIN_DIRS:
        reader.fail(
            where,
            f"rule.skin must be one of {', '.join(SKIN_DIRS)}",
            f"rule.skin 必须是 {', '.join(SKIN_DIRS)} 之一",
        )
    extra = set(rule) - {"start", "moves", "skin"}
    if extra:
        reader.fail(where, f"unknown rule keys {sorted(extra)}", f"未知的规则字段 {sorted(extra)}")


def load_acupoints(data_dir: Path = DATA_DIR, only: set[str] | None = None) -> AcupointCatalog:
    """Every point of every meridian file, checked; a broken entry is one line.

    ``only``: check just these meridians' files (while a catalog is being written).
    """
    from anatomy.catalog import load_catalog

    bones = {s.structure_id for s in load_catalog().of_system("skeletal")}
    meridians, extra = _load_meridians(data_dir / "meridians.json")
    spans = _load_spans(data_dir / "spans.json", bones)
    cautions = _load_cautions(data_dir / "cautions.json")
    catalog = AcupointCatalog({**meridians, **extra}, spans, cautions)
    for meridian in catalog.meridians.values():
        if only is not None and meridian.meridian_id not in only:
            continue
        path = data_dir / "points" / f"{meridian.meridian_id}.json"
        for point in _load_points(path, meridian, catalog, bones):
            catalog.points[point.code] = point
        got = len(catalog.of_meridian(meridian.meridian_id))
        if got != meridian.count:
            _Reader(path).fail(
                meridian.meridian_id,
                f"{got} points where the standard has {meridian.count}",
                f"共 {got} 个穴位，标准为 {meridian.count} 个",
            )
    _check_point_refs(catalog, data_dir)
    return catalog


def _load_meridians(path: Path):
    reader = _Reader(path)
    doc = reader.load("meridian file missing", "缺少经络文件")
    meridians, extra = {}, {}
    for key, out, is_extra in (("meridians", meridians, False), ("extra_groups", extra, True)):
        for i, m in enumerate(doc.get(key) or []):
            where = f"{key}[{i}]"
            mid = reader.text(m, "id", where)
            colour = m.get("colour", [0.9, 0.9, 0.9])
            out[mid] = Meridian(
                meridian_id=mid,
                names=Text(reader.text(m, "zh", where), reader.text(m, "en", where)),
                pinyin=m.get("pinyin", ""),
                count=int(reader.number(m, "points", where, 1)),
                side=m.get("side", "bilateral"),
                colour=tuple(float(c) for c in colour),
                extra=is_extra,
            )
    if len(meridians) != 14:
        reader.fail("meridians", "the standard has 14 meridians", "标准共有 14 条经脉")
    return meridians, extra


def _load_spans(path: Path, bones: set[str]) -> dict[str, Span]:
    reader = _Reader(path)
    doc = reader.load("span file missing", "缺少骨度文件")
    spans = {}
    for i, s in enumerate(doc.get("spans") or []):
        where = f"spans[{i}]"
        sid = reader.text(s, "id", where)
        where = f"spans[{i}] ({sid})"
        for end in ("from", "to"):
            _check_ref(reader, s.get(end), f"{where} {end}", True, bones)
        if s.get("measure") not in ("distance", "vertical", "horizontal", "arc"):
            reader.fail(
                where,
                "measure must be distance, vertical, horizontal or arc",
                "measure 必须是 distance、vertical、horizontal 或 arc",
            )
        spans[sid] = Span(
            sid,
            s["from"],
            s["to"],
            reader.number(s, "cun", where, 0.1),
            s["measure"],
            Text(reader.text(s, "zh", where), reader.text(s, "en", where)),
        )
    return spans


def _load_cautions(path: Path) -> dict[str, Text]:
    reader = _Reader(path)
    doc = reader.load("caution file missing", "缺少注意事项文件")
    table = doc.get("cautions")
    if not isinstance(table, dict):
        reader.fail("cautions", "must be a table", "必须是表")
    return {k: reader.both(table, k, "cautions") for k in table}


def _load_points(path: Path, meridian: Meridian, catalog: AcupointCatalog, bones: set[str]):
    reader = _Reader(path)
    doc = reader.load(
        f"points of {meridian.meridian_id} missing", f"缺少 {meridian.meridian_id} 的穴位文件"
    )
    if not isinstance(doc, dict) or doc.get("meridian") != meridian.meridian_id:
        reader.fail(
            "top level",
            f'must be {{"meridian": "{meridian.meridian_id}", "points": [...]}}',
            f'顶层应为 {{"meridian": "{meridian.meridian_id}", "points": [...]}}',
        )
    entries = doc.get("points")
    if not isinstance(entries, list):
        reader.fail("points", "must be a list", "必须是列表")
    seen = set()
    for i, e in enumerate(entries):
        where = f"points[{i}]"
        if not isinstance(e, dict):
            reader.fail(where, "must be an object", "必须是对象")
        code = e.get("code")
        if not isinstance(code, str) or not CODE_PATTERN.match(code):
            reader.fail(where, f"code {code!r} is not a WHO code", f"编号 {code!r} 不是 WHO 编号")
        where = f"points[{i}] ({code})"
        prefix = code.rstrip("0123456789")
        if prefix != meridian.meridian_id:
            reader.fail(
                where,
                f"belongs to {prefix}, not {meridian.meridian_id}",
                f"属于 {prefix}，不属于 {meridian.meridian_id}",
            )
        if code in seen or code in catalog.points:
            reader.fail(where, "code used twice", "编号重复")
        seen.add(code)
        number = int(code[len(prefix) :])
        if not 1 <= number <= meridian.count:
            reader.fail(
                where, f"number outside 1..{meridian.count}", f"序号不在 1..{meridian.count} 内"
            )
        pinyin = reader.text(e, "pinyin", where)
        if not TONE_MARKS.search(pinyin):
            reader.fail(where, "pinyin needs its tone marks", "拼音须带声调")
        side = e.get("side", meridian.side)
        if side not in ("bilateral", "midline"):
            reader.fail(
                where, "side must be bilateral or midline", "side 必须是 bilateral 或 midline"
            )
        bilateral = side == "bilateral"
        if "rule" in e and "sites" not in e:
            sites = (Site(None, e["rule"]),)
        elif "sites" in e and "rule" not in e and isinstance(e["sites"], list) and e["sites"]:
            sites = []
            for j, s in enumerate(e["sites"]):
                sid = s.get("id") if isinstance(s, dict) else None
                if not isinstance(sid, str) or not SITE_PATTERN.match(sid):
                    reader.fail(
                        f"{where} sites[{j}]", "a site needs a lowercase id", "每个部位需要小写编号"
                    )
                sites.append(Site(sid, s.get("rule")))
            sites = tuple(sites)
        else:
            reader.fail(where, "needs a rule, or sites with rules", "需要 rule，或带 rule 的 sites")
        for site in sites:
            place = where if site.site_id is None else f"{where}#{site.site_id}"
            _check_rule(reader, site.rule, place, bilateral, catalog.spans, bones)
        n = e.get("needling")
        if not isinstance(n, dict) or n.get("angle") not in ANGLES:
            reader.fail(
                where,
                f"needling.angle must be one of {', '.join(ANGLES)}",
                f"needling.angle 必须是 {', '.join(ANGLES)} 之一",
            )
        toward = n.get("toward")
        if n["angle"] != "perpendicular":
            if toward in DIRS:
                if toward in ("lateral", "medial") and not bilateral:
                    reader.fail(where, "a midline point has no lateral side", "正中线穴位没有外侧")
            else:
                _check_ref(reader, toward, f"{where} needling.toward", bilateral, bones)
        depth = n.get("depth_cun")
        if (
            not isinstance(depth, list)
            or len(depth) != 2
            or not all(isinstance(d, int | float) and not isinstance(d, bool) for d in depth)
            or not 0 <= depth[0] <= depth[1] <= 5
        ):
            reader.fail(
                where,
                "needling.depth_cun must be [least, most] within 0..5 cun",
                "needling.depth_cun 必须是 0..5 寸内的 [最浅, 最深]",
            )
        cautions = e.get("cautions", [])
        if not isinstance(cautions, list) or any(c not in catalog.cautions for c in cautions):
            bad = (
                [c for c in cautions if c not in catalog.cautions]
                if isinstance(cautions, list)
                else cautions
            )
            reader.fail(where, f"unknown cautions {bad}", f"未知的注意事项 {bad}")
        yield Acupoint(
            code=code,
            meridian=meridian.meridian_id,
            number=number,
            names=Text(reader.text(e, "zh", where), reader.text(e, "en", where)),
            pinyin=pinyin,
            location=reader.both(e, "location", where),
            sites=sites,
            needling=Needling(n["angle"], toward, (float(depth[0]), float(depth[1]))),
            cautions=tuple(cautions),
            side=side,
            source=reader.text(e, "source", where),
        )


def _refs(rule: dict):
    yield rule["start"]
    for move in rule.get("moves", []):
        for key in ("toward", "level"):
            if key in move:
                yield move[key]


def _check_point_refs(catalog: AcupointCatalog, data_dir: Path) -> None:
    """pt: references name existing points and sites, with no cycle."""
    graph: dict[str, set[str]] = {}
    for p in catalog.points.values():
        path = data_dir / "points" / f"{p.meridian}.json"
        for site in p.sites:
            key = p.code if site.site_id is None else f"{p.code}#{site.site_id}"
            deps = set()
            for ref in _refs(site.rule):
                if not ref.startswith("pt:"):
                    continue
                target = ref[3:]
                code, _, sid = target.partition("#")
                point = catalog.points.get(code)
                if point is None or (sid and sid not in {s.site_id for s in point.sites}):
                    _Reader(path).fail(
                        key, f"refers to unknown point {target!r}", f"引用了不存在的穴位 {target!r}"
                    )
                if not sid and point.sites[0].site_id is not None:
                    _Reader(path).fail(
                        key,
                        f"{code} has sites: name one ({code}#…)",
                        f"{code} 有多个部位，须指明（{code}#…）",
                    )
                if point.side == "bilateral" and p.side == "midline":
                    _Reader(path).fail(
                        key,
                        f"a midline point cannot start from bilateral {code}",
                        f"正中线穴位不能以双侧穴位 {code} 为基准",
                    )
                deps.add(target)
            graph[key] = deps
    state: dict[str, int] = {}

    def visit(key: str, trail: list[str]) -> None:
        if state.get(key) == 2:
            return
        if state.get(key) == 1:
            cycle = " -> ".join([*trail[trail.index(key) :], key])
            raise AcupunctureError(
                f"{data_dir / 'points'}: placement rules go round in a circle: {cycle}",
                f"{data_dir / 'points'}：定位规则循环引用：{cycle}",
            )
        state[key] = 1
        for dep in graph.get(key, ()):
            visit(dep, [*trail, key])
        state[key] = 2

    for key in graph:
        visit(key, [])


def main(argv: list[str] | None = None) -> int:
    """``python -m acupuncture.acupoint_catalog [LU ST …]``: check the catalog files."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    try:
        catalog = load_acupoints(only=set(args) if args else None)
    except AcupunctureError as e:
        print(e, file=sys.stderr)
        return 1
    print(f"{len(catalog.points)} points checked")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
