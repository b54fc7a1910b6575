"""Build the bundled Chinese font: Noto Sans CJK SC cut down to the characters MedVR shows.

Reads every ``strings.toml`` catalog in the project, adds a fixed repertoire (ASCII,
Latin-1, pinyin tone marks, CJK punctuation, fullwidth forms) and the lines of
``extra_chars.txt``, and writes ``NotoSansSC-MedVR.otf`` beside this script.

    python assets/fonts/build_font_subset.py [--ttc PATH] [--out PATH]

The output is byte-for-byte reproducible for a given source font and set of strings, so
a test can rebuild it and compare hashes.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
DEFAULT_TTC = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
DEFAULT_OUT = HERE / "NotoSansSC-MedVR.otf"
EXTRA_CHARS = HERE / "extra_chars.txt"

SOURCE_FAMILY = "Noto Sans CJK SC"
SOURCE_SUBFAMILY = "Regular"
FAMILY = "MedVR Noto Sans SC Subset"
PS_NAME = "MedVRNotoSansSCSubset-Regular"

CATALOG_PATTERNS = ("*/strings.toml", "*/*/strings.toml")

PINYIN = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüĀÁǍÀĒÉĚÈĪÍǏÌŌÓǑÒŪÚǓÙǕǗǙǛÜńňǹŃŇǸ"
CJK_PUNCTUATION = "，。、：；！？（）「」《》—…·“”‘’\u3000〃〈〉『』【】〔〕〖〗〜～–•‰℃←↑→↓×÷±°"
# Fullwidth ASCII (U+FF01..U+FF5E): Chinese text uses fullwidth digits and punctuation.
FULLWIDTH = "".join(chr(cp) for cp in range(0xFF01, 0xFF5F))


class FontBuildError(Exception):
    """A problem building the font subset, worded for the person running the build."""


def _printable(chars: set[str]) -> set[str]:
    # Line breaks and tabs in strings are layout, not glyphs a font must carry.
    return {c for c in chars if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp")}


def catalog_paths(repo_root: Path) -> list[Path]:
    """The project's ``strings.toml`` catalogs, sorted, skipping hidden folders and tests."""
    found: set[Path] = set()
    for pattern in CATALOG_PATTERNS:
        for path in repo_root.glob(pattern):
            parts = path.relative_to(repo_root).parts
            # Test fixtures are never shown to users and may be malformed on purpose.
            if any(p.startswith(".") for p in parts) or parts[0] == "tests":
                continue
            found.add(path)
    return sorted(found)


def _strings_in(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings_in(v)]
    return []


def catalog_characters(repo_root: Path) -> set[str]:
    """Every printable character of every string value in the project's catalogs."""
    chars: set[str] = set()
    for path in catalog_paths(repo_root):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise FontBuildError(f"{path}: cannot read string catalog: {e}") from None
        for s in _strings_in(data):
            chars.update(s)
    return _printable(chars)


# Folders whose Python code may hold user-facing Chinese (error lines built in code).
SOURCE_PACKAGES = ("app", "scenes", "sync", "anatomy", "acupuncture", "exhibits", "meetings")


def _is_cjk(c: str) -> bool:
    return "\u3000" <= c <= "\u303f" or "\u4e00" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef"


SOURCE_SUFFIXES = (".py", ".json", ".toml", ".yaml", ".yml")


def source_characters(repo_root: Path) -> set[str]:
    """Chinese characters and CJK punctuation in the shipped packages' code and data files
    (error lines built in code, catalogs of structures, points and halls)."""
    chars: set[str] = set()
    for package in SOURCE_PACKAGES:
        for path in sorted((repo_root / package).rglob("*")):
            if path.suffix in SOURCE_SUFFIXES and path.is_file():
                chars.update(c for c in path.read_text(encoding="utf-8") if _is_cjk(c))
    return chars


def base_characters() -> set[str]:
    """The fixed repertoire kept whatever the catalogs say."""
    chars = {chr(cp) for cp in range(0x20, 0x7F)}
    chars |= {chr(cp) for cp in range(0xA0, 0x100) if cp != 0xAD}
    chars |= set(PINYIN) | set(CJK_PUNCTUATION) | set(FULLWIDTH)
    return chars


def extra_characters(path: Path = EXTRA_CHARS) -> set[str]:
    """Characters listed in ``extra_chars.txt`` (lines starting with # are comments)."""
    if not path.exists():
        return set()
    chars: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.lstrip().startswith("#"):
            chars.update(line.strip())
    return _printable(chars)


def required_characters(repo_root: Path) -> set[str]:
    """All characters the bundled font must hold for the project at ``repo_root``."""
    extra = repo_root / EXTRA_CHARS.relative_to(REPO_ROOT)
    return (
        catalog_characters(repo_root)
        | source_characters(repo_root)
        | base_characters()
        | extra_characters(extra)
    )


def _open_sc_face(ttc: Path):
    from fontTools.ttLib import TTCollection

    if not ttc.is_file():
        raise FontBuildError(
            f"source font {ttc} not found; install the Debian package fonts-noto-cjk"
        )
    collection = TTCollection(str(ttc))
    for face in collection.fonts:
        name = face["name"]
        family = name.getDebugName(16) or name.getDebugName(1)
        subfamily = name.getDebugName(17) or name.getDebugName(2)
        if family == SOURCE_FAMILY and subfamily == SOURCE_SUBFAMILY:
            return face
    raise FontBuildError(f"{ttc} holds no '{SOURCE_FAMILY} {SOURCE_SUBFAMILY}' face")


def _rename(font, source_version: str) -> None:
    """Give the subset its own names so it is never mistaken for the full Noto font."""
    name = font["name"]
    # Typographic family/subfamily and localized names would keep the upstream name.
    name.names = [r for r in name.names if r.nameID not in (16, 17, 18, 21, 22)]
    name.names = [r for r in name.names if not (r.platformID == 3 and r.langID != 0x409)]
    name.setName(FAMILY, 1, 3, 1, 0x409)
    name.setName(SOURCE_SUBFAMILY, 2, 3, 1, 0x409)
    name.setName(f"{source_version};MEDVR;{PS_NAME}", 3, 3, 1, 0x409)
    name.setName(f"{FAMILY} {SOURCE_SUBFAMILY}", 4, 3, 1, 0x409)
    name.setName(PS_NAME, 6, 3, 1, 0x409)
    name.setName(
        f"Subset of {SOURCE_FAMILY} {SOURCE_SUBFAMILY} ({source_version}) holding only the "
        "characters MedVR displays. Licensed under the SIL Open Font License 1.1.",
        10,
        3,
        1,
        0x409,
    )

    cff = font["CFF "].cff
    old_ps = cff.fontNames[0]
    cff.fontNames = [PS_NAME]
    top = cff.topDictIndex[0]
    top.FullName = f"{FAMILY} {SOURCE_SUBFAMILY}"
    top.FamilyName = FAMILY
    # All faces of the collection share one CFF named after the JP face; rename its parts.
    for fd in getattr(top, "FDArray", []):
        fd_name = getattr(fd, "FontName", None)
        if fd_name and fd_name.startswith(old_ps):
            fd.FontName = PS_NAME + fd_name[len(old_ps) :]


def build(ttc: Path, out: Path, repo_root: Path) -> None:
    """Write the subset of the SC face of ``ttc`` for the catalogs under ``repo_root``."""
    from fontTools import subset

    font = _open_sc_face(ttc)
    wanted = required_characters(repo_root)
    cmap = font.getBestCmap()
    # The fixed repertoire may outrun the font; characters someone asked for may not.
    asked = wanted - base_characters()
    missing = sorted(c for c in asked if ord(c) not in cmap)
    if missing:
        raise FontBuildError(
            f"{SOURCE_FAMILY} has no glyph for {''.join(missing)!r} "
            "(used in a strings.toml catalog or extra_chars.txt)"
        )

    options = subset.Options()
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.name_languages = [0x409]
    # What shapers apply to horizontal text by default, minus locl: this face's cmap already
    # gives the Simplified Chinese forms and locl mostly leads to the JP, KR and TC ones.
    options.layout_features = ["ccmp", "calt", "liga", "clig", "rlig", "kern", "mark", "mkmk"]
    # Panda3D lays text out horizontally; vertical metrics and baselines only add bytes.
    options.drop_tables += ["VORG", "vhea", "vmtx", "BASE"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(c) for c in wanted if ord(c) in cmap))
    subsetter.subset(font)

    head = font["head"]
    source_version = f"Version {head.fontRevision:.3f}"
    _rename(font, source_version)

    # Pinned to the upstream build date so rebuilding the same inputs gives the same bytes.
    head.modified = head.created
    font.recalcTimestamp = False
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ttc", type=Path, default=DEFAULT_TTC)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        build(args.ttc, args.out, REPO_ROOT)
    except FontBuildError as e:
        print(f"build_font_subset: {e}", file=sys.stderr)
        return 1
    from fontTools.ttLib import TTFont

    with TTFont(str(args.out), lazy=True) as font:
        count = len(font.getBestCmap())
    size = args.out.stat().st_size
    print(f"{args.out}: {count} characters, {size} bytes ({size / 1024:.1f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
