"""The bundled CJK font covers every catalog string, is rebuilt reproducibly and renders."""

from __future__ import annotations

import hashlib
import importlib.util
import tomllib
import unicodedata
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

REPO_ROOT = Path(__file__).resolve().parents[2]
FONT_DIR = REPO_ROOT / "assets" / "fonts"
FONT = FONT_DIR / "NotoSansSC-MedVR.otf"
SCRIPT = FONT_DIR / "build_font_subset.py"
TTC = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
LANGUAGES = ("zh-CN", "en")


def _load_script():
    spec = importlib.util.spec_from_file_location("build_font_subset", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


builder = _load_script()


def _catalogs() -> list[Path]:
    found = set()
    for pattern in ("*/strings.toml", "*/*/strings.toml"):
        for path in REPO_ROOT.glob(pattern):
            parts = path.relative_to(REPO_ROOT).parts
            if not any(p.startswith(".") for p in parts) and parts[0] != "tests":
                found.add(path)
    return sorted(found)


def _texts(table: dict) -> list[str]:
    """The en and zh-CN strings of every leaf table, however deeply nested."""
    if any(lang in table for lang in LANGUAGES):
        return [table[lang] for lang in LANGUAGES if isinstance(table.get(lang), str)]
    return [s for v in table.values() if isinstance(v, dict) for s in _texts(v)]


def _glyph_chars(text: str) -> set[str]:
    # Newlines and other control characters are layout, not glyphs.
    return {c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp")}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_catalogs_are_found():
    rel = {p.relative_to(REPO_ROOT).as_posix() for p in _catalogs()}
    assert {"app/strings.toml", "scenes/strings.toml"} <= rel
    assert set(builder.catalog_paths(REPO_ROOT)) == set(_catalogs())


def test_font_has_every_catalog_character():
    cmap = TTFont(FONT, lazy=True).getBestCmap()
    missing: dict[str, set[str]] = {}
    for path in _catalogs():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        chars = set().union(*(_glyph_chars(s) for s in _texts(data)))
        absent = {c for c in chars if ord(c) not in cmap}
        if absent:
            missing[path.relative_to(REPO_ROOT).as_posix()] = absent
    assert not missing, (
        f"{FONT.name} lacks characters used in string catalogs; run `make font` and commit "
        "the rebuilt font. Missing: "
        + "; ".join(f"{file}: {''.join(sorted(chars))}" for file, chars in missing.items())
    )


def test_font_has_every_chinese_character_in_code_and_data():
    cmap = TTFont(FONT, lazy=True).getBestCmap()
    missing = {c for c in builder.source_characters(REPO_ROOT) if ord(c) not in cmap}
    assert "场" in builder.source_characters(REPO_ROOT)  # from a SceneError's Chinese line
    assert not missing, (
        f"{FONT.name} lacks characters written in code; run `make font` and commit the "
        "rebuilt font. Missing: " + "".join(sorted(missing))
    )


def test_font_is_renamed_as_a_subset():
    font = TTFont(FONT, lazy=True)
    assert font["name"].getDebugName(1) == "MedVR Noto Sans SC Subset"
    assert font["CFF "].cff.fontNames == ["MedVRNotoSansSCSubset-Regular"]
    assert "Open Font License" in font["name"].getDebugName(13)
    assert (FONT_DIR / "OFL.txt").is_file() and (FONT_DIR / "SOURCE.md").is_file()


def test_required_characters_reads_nested_catalogs_and_extras(tmp_path):
    (tmp_path / "mod" / "sub").mkdir(parents=True)
    (tmp_path / "mod" / "strings.toml").write_text(
        '[a.b.c]\nzh-CN = "心脏"\nen = "Heart"\n', encoding="utf-8"
    )
    (tmp_path / "mod" / "sub" / "strings.toml").write_text(
        '[x]\nzh-CN = "肝\\n脾"\nen = "Liver"\n', encoding="utf-8"
    )
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "lib" / "strings.toml").write_text('[x]\nen = "鬱"\n', encoding="utf-8")
    (tmp_path / "assets" / "fonts").mkdir(parents=True)
    (tmp_path / "assets" / "fonts" / "extra_chars.txt").write_text(
        "# 龘 is in a comment\n肺肾\n", encoding="utf-8"
    )

    chars = builder.required_characters(tmp_path)

    assert set("心脏肝脾肺肾Hearv") <= chars
    assert "鬱" not in chars and "龘" not in chars and "\n" not in chars
    assert {"ǚ", "，", "。", "Ü", "é", "０"} <= chars


def test_missing_source_font_is_one_clear_line(tmp_path, capsys):
    rc = builder.main(["--ttc", str(tmp_path / "absent.ttc"), "--out", str(tmp_path / "x.otf")])

    err = capsys.readouterr().err
    assert rc != 0
    assert err.count("\n") == 1 and "fonts-noto-cjk" in err
    assert not (tmp_path / "x.otf").exists()


@pytest.mark.skipif(not TTC.is_file(), reason=f"{TTC} absent (Debian package fonts-noto-cjk)")
def test_rebuild_is_reproducible_and_matches_committed_font(tmp_path):
    first, second = tmp_path / "a.otf", tmp_path / "b.otf"
    builder.build(TTC, first, REPO_ROOT)
    builder.build(TTC, second, REPO_ROOT)

    assert _sha256(first) == _sha256(second), "two builds from the same inputs differ"
    assert _sha256(first) == _sha256(FONT), (
        f"{FONT.name} is not what the catalogs and build script give; run `make font`"
    )


def test_panda3d_renders_catalog_glyphs():
    from panda3d.core import DynamicTextFont, Filename

    font = DynamicTextFont(Filename.from_os_specific(str(FONT)))
    assert font.is_valid()

    # Characters outside the font come back as the invalid glyph, numbered 0.
    assert font.get_glyph(ord("龘")).get_character() == 0

    for ch in "解剖":
        glyph = font.get_glyph(ord(ch))
        assert glyph.get_character() == ord(ch), f"{ch!r} fell back to the invalid glyph"
        assert glyph.has_quad() and glyph.get_advance() > 0.5

        page = glyph.get_page()
        width, height = page.get_x_size(), page.get_y_size()
        assert page.get_num_components() == 1
        pixels = bytes(page.get_ram_image())
        x0, x1 = int(glyph.get_uv_left() * width), int(glyph.get_uv_right() * width)
        y0, y1 = int(glyph.get_uv_bottom() * height), int(glyph.get_uv_top() * height)
        inked = sum(1 for y in range(y0, y1) for x in range(x0, x1) if pixels[y * width + x])
        area = (x1 - x0) * (y1 - y0)
        assert area > 0 and inked > area // 10, f"{ch!r} rasterised with {inked}/{area} pixels"
