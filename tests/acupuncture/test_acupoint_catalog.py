"""The acupoint catalog: the whole WHO set, in both languages, and one-line errors for a
broken entry that name the file and the entry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from acupuncture.acupoint_catalog import DATA_DIR, load_acupoints
from acupuncture.errors import AcupunctureError

COUNTS = {
    "LU": 11, "LI": 20, "ST": 45, "SP": 21, "HT": 9, "SI": 19, "BL": 67,
    "KI": 27, "PC": 9, "TE": 23, "GB": 44, "LR": 14, "GV": 28, "CV": 24,
    "EX-HN": 15, "EX-CA": 1, "EX-B": 9, "EX-UE": 11, "EX-LE": 12,
}  # fmt: skip


@pytest.fixture(scope="module")
def catalog():
    return load_acupoints()


def test_every_who_point_is_there_once(catalog):
    for meridian, count in COUNTS.items():
        points = catalog.of_meridian(meridian)
        assert [p.number for p in points] == list(range(1, count + 1)), meridian
    assert sum(1 for p in catalog.points.values() if not p.meridian.startswith("EX")) == 361
    assert len(catalog.points) == 361 + 48
    assert len({p.names.zh for p in catalog.points.values()}) > 390  # names, not copies


def test_every_point_speaks_both_languages_and_names_its_source(catalog):
    for p in catalog.points.values():
        assert any("\u4e00" <= c <= "\u9fff" for c in p.names.zh), p.code
        assert any("\u4e00" <= c <= "\u9fff" for c in p.location.zh), p.code
        assert p.location.en.isascii() or "cun" in p.location.en, p.code
        assert len(p.location.en) > 15 and p.source, p.code
        for caution in p.cautions:
            assert catalog.cautions[caution].zh and catalog.cautions[caution].en


def test_midline_vessels_and_paired_channels(catalog):
    assert {p.side for p in catalog.points.values() if p.meridian in ("GV", "CV")} == {"midline"}
    for m in ("LU", "ST", "BL", "GB", "LR"):
        assert {p.side for p in catalog.of_meridian(m)} == {"bilateral"}


def test_thoracic_points_warn_of_the_lung(catalog):
    for code in ("LU1", "LU2", "ST13", "KI25", "BL13", "GB21", "SP21"):
        assert "pneumothorax" in catalog[code].cautions, code
    for code in ("LI4", "SP6"):
        assert "pregnancy" in catalog[code].cautions, code


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _break(data: Path, meridian: str, code: str, change) -> None:
    path = data / "points" / f"{meridian}.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    entry = next(p for p in doc["points"] if p["code"] == code)
    change(entry)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e["rule"].update(start="lm:no_such_place"), "unknown landmark"),
        (lambda e: e["needling"].update(depth_cun=[1.5, 0.5]), "depth_cun"),
        (lambda e: e.update(pinyin="Zusanli"), "tone marks"),
        (
            lambda e: (
                e["rule"].setdefault("moves", []).append({"dir": "up", "cun": 1, "span": "x"})
            ),
            "span",
        ),
        (lambda e: e.pop("location"), "location"),
    ],
)
def test_a_malformed_entry_is_one_line_naming_it(tmp_path, change, message):
    data = _copy(tmp_path)
    _break(data, "ST", "ST36", change)
    with pytest.raises(AcupunctureError) as err:
        load_acupoints(data)
    text = str(err.value)
    assert "\n" not in text
    assert "ST.json" in text and "ST36" in text and message in text
    assert err.value.zh and "ST36" in err.value.zh


def test_broken_json_and_circular_rules_are_caught(tmp_path):
    data = _copy(tmp_path)
    (data / "points" / "HT.json").write_text('{"meridian": "HT", "points": [', encoding="utf-8")
    with pytest.raises(AcupunctureError, match=r"HT\.json: line 1 column"):
        load_acupoints(data)
    data = _copy(tmp_path / "again")
    _break(data, "LU", "LU9", lambda e: e["rule"].update(start="pt:LU6"))
    with pytest.raises(AcupunctureError, match="circle"):
        load_acupoints(data)
