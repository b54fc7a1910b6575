"""The structure catalog: the committed file is complete in both languages, its left/right
pairs agree, the issue's vessels, nerves and muscles are there, every bone the skeleton step
makes has its entry, and broken copies fail with one line naming the file, the entry and the
field (in English and in Chinese)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from anatomy.catalog import CATALOG_FILE, Structure, load_catalog
from anatomy.errors import AnatomyError
from anatomy.pipeline.skeleton import bone_ids, bone_sources

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Chinese characters plus CJK and fullwidth punctuation: none of these belong in English text.
CJK_OR_FULLWIDTH = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")

# Side words, replaced by a placeholder so the two names of a pair can be compared. Latin
# keeps the ending so that the adjective must agree the same way on both sides.
SIDE_WORDS = (
    (re.compile(r"[左右]"), "<side>"),
    (re.compile(r"\b(?:Left|Right)\b"), "<Side>"),
    (re.compile(r"\b(?:left|right)\b"), "<side>"),
    (re.compile(r"\b(?:sinist|dext)(er|ra|rum|ri|rae|ro|ram)\b"), r"<side-\1>"),
)
LEFT_WORDS = {"zh": "左", "en": "Left", "la": "sinist"}
RIGHT_WORDS = {"zh": "右", "en": "Right", "la": "dext"}

REQUIRED_VESSELS = {
    "aorta_ascending",
    "aortic_arch",
    "aorta_thoracic",
    "aorta_abdominal",
    "superior_vena_cava",
    "inferior_vena_cava",
    "common_carotid_artery_l",
    "common_carotid_artery_r",
    "subclavian_artery_l",
    "subclavian_artery_r",
    "subclavian_vein_l",
    "subclavian_vein_r",
    "femoral_artery_l",
    "femoral_artery_r",
    "femoral_vein_l",
    "femoral_vein_r",
}
REQUIRED_NERVES = {
    f"{nerve}_nerve_{side}"
    for nerve in ("sciatic", "femoral", "median", "ulnar", "radial")
    for side in ("l", "r")
}
# Works a schematic shape may be drawn after; a schematic source must name at least one.
KNOWN_REFERENCES = ("Gray's Anatomy", "系统解剖学", "局部解剖学", "Netter", "Sobotta")
MIN_SUPERFICIAL_MUSCLES = 30
MIN_STRUCTURES = 150
BONE_LAYER = 4
BONE_SOURCE = "myo-sim 0.2.4 (MyoSuite, Apache-2.0), from OpenSim models"
MIRRORED_NOTE = "; right-arm bones mirrored for the left"
# Where each kind of bone sits: (id pattern, region).
BONE_REGIONS = (
    (r"skull|mandible", "head"),
    (r"[ctl]\d+", "back"),
    (r"sternum|rib_\d+_[lr]", "thorax"),
    (r"sacrum|hip_bone_[lr]", "pelvis"),
)
# Latin side adjectives agree with the noun they qualify (os is neuter, costa feminine;
# manus is feminine and pes masculine in the genitive of a phalanx's name).
LATIN_AGREEMENT = (
    (r"^Os ", r" (?:sinistrum|dextrum)$"),
    (r"^Costa ", r" (?:sinistra|dextra)$"),
    (r" manus ", r" manus (?:sinistrae|dextrae)$"),
    (r" pedis ", r" pedis (?:sinistri|dextri)$"),
)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads(CATALOG_FILE.read_text(encoding="utf-8"))


def _without_side(text: str) -> str:
    for pattern, placeholder in SIDE_WORDS:
        text = pattern.sub(placeholder, text)
    return text


def _texts(s: Structure) -> dict[str, str]:
    return {
        "name.zh": s.names.zh,
        "name.en": s.names.en,
        "description.zh": s.description.zh,
        "description.en": s.description.en,
    }


# --- the committed catalog -------------------------------------------------------------


def test_committed_catalog_loads(catalog):
    assert "skin" in catalog.structures
    assert catalog["heart"].system == "cardiovascular"
    assert catalog["femur_l"].system == "skeletal"
    assert len(catalog.structures) >= MIN_STRUCTURES


def test_ids_are_unique_in_the_file(raw):
    # The loader keeps a dict; read the file itself so a duplicate cannot hide.
    counts = Counter(entry["id"] for entry in raw["structures"])
    assert [sid for sid, n in counts.items() if n > 1] == []


def test_every_bone_of_the_skeleton_step_has_an_entry_and_no_other(catalog):
    """The skeleton step's ids, the mirrored left arm included, and the catalog's bones agree."""
    ids = bone_ids()
    assert len(ids) == 178  # 146 from myo-sim and 32 mirrored left-arm bones
    skeletal = {s.structure_id for s in catalog.of_system("skeletal")}
    assert set(ids) - skeletal == set(), "bones without a catalog entry"
    assert skeletal - set(ids) == set(), "skeletal entries the skeleton step does not make"


def test_bones_are_layer_four_and_only_bones_are(catalog):
    for s in catalog.of_system("skeletal"):
        assert s.layer == BONE_LAYER, (s.structure_id, s.layer)
    deep = {s.structure_id for s in catalog.structures.values() if s.layer == BONE_LAYER}
    assert deep == {s.structure_id for s in catalog.of_system("skeletal")}


def _arm_bones() -> set[str]:
    """The right-arm bones and their mirrored left twins (the twins share a source line)."""
    mirrored = {sid for sid, how in bone_sources().items() if "mirrored" in how}
    assert mirrored and all(sid.endswith("_l") for sid in mirrored)
    return mirrored | {f"{sid[:-2]}_r" for sid in mirrored}


def test_bones_are_derived_from_myosuite_and_the_mirrored_arm_says_so(catalog):
    arm = _arm_bones()
    assert len(arm) == 64  # clavicle to distal phalanges, both sides
    for sid in bone_ids():
        bone = catalog[sid]
        assert not bone.schematic, sid
        expected = BONE_SOURCE + MIRRORED_NOTE if sid in arm else BONE_SOURCE
        assert bone.source == expected, (sid, bone.source)


def test_bones_sit_in_their_regions(catalog):
    arm = _arm_bones()
    for s in catalog.of_system("skeletal"):
        sid = s.structure_id
        expected = next(
            (region for pattern, region in BONE_REGIONS if re.fullmatch(pattern, sid)),
            "upper_limb" if sid in arm else "lower_limb",
        )
        assert s.region == expected, (sid, s.region, expected)


def test_bone_latin_names_agree_with_their_nouns(catalog):
    problems = []
    for s in catalog.of_system("skeletal"):
        if not s.structure_id.endswith(("_l", "_r")):
            continue
        for noun, ending in LATIN_AGREEMENT:
            if re.search(noun, s.names.la) and not re.search(ending, s.names.la):
                problems.append(f"{s.structure_id}: {s.names.la}")
    assert problems == []


def test_sternum_says_it_holds_the_costal_cartilages(catalog):
    sternum = catalog["sternum"]
    assert "肋软骨" in sternum.description.zh
    assert "costal cartilages" in sternum.description.en


def test_every_entry_has_chinese_and_english_names_and_descriptions(catalog):
    problems = []
    for s in catalog.structures.values():
        for field, text in _texts(s).items():
            if field.endswith(".zh") and not CJK.search(text):
                problems.append(f"{s.structure_id} {field}: no Chinese characters: {text!r}")
            if field.endswith(".en") and CJK_OR_FULLWIDTH.search(text):
                problems.append(f"{s.structure_id} {field}: Chinese in English text: {text!r}")
        if not s.names.la or CJK_OR_FULLWIDTH.search(s.names.la):
            problems.append(f"{s.structure_id} name.la: not a Latin name: {s.names.la!r}")
    assert problems == []


def test_systems_and_regions_are_named_in_both_languages(catalog):
    for group in (*catalog.systems.values(), *catalog.regions.values()):
        assert CJK.search(group.names.zh), group
        assert not CJK_OR_FULLWIDTH.search(group.names.en), group


def test_every_system_and_region_is_used(catalog):
    used_systems = {s.system for s in catalog.structures.values()}
    assert set(catalog.systems) == used_systems
    used_regions = {s.region for s in catalog.structures.values()}
    assert set(catalog.regions) == used_regions


def test_every_left_entry_has_its_right_twin(catalog):
    ids = set(catalog.structures)
    lefts = {sid[:-2] for sid in ids if sid.endswith("_l")}
    rights = {sid[:-2] for sid in ids if sid.endswith("_r")}
    assert lefts == rights, f"unpaired: {sorted(lefts ^ rights)}"
    assert lefts, "no paired structures at all"
    for base in sorted(lefts):
        left, right = catalog[f"{base}_l"], catalog[f"{base}_r"]
        for attr in ("system", "layer", "region", "schematic", "source"):
            assert getattr(left, attr) == getattr(right, attr), (base, attr)
        for lang in ("zh", "en", "la"):
            lname, rname = getattr(left.names, lang), getattr(right.names, lang)
            assert LEFT_WORDS[lang] in lname and RIGHT_WORDS[lang] not in lname, (base, lname)
            assert RIGHT_WORDS[lang] in rname and LEFT_WORDS[lang] not in rname, (base, rname)
            assert _without_side(lname) == _without_side(rname), (base, lname, rname)


def test_side_words_are_recognised():
    assert _without_side("Musculus deltoideus sinister") == _without_side(
        "Musculus deltoideus dexter"
    )
    assert _without_side("Arteria subclavia sinistra") == _without_side("Arteria subclavia dextra")
    # Latin endings must agree: a feminine left name cannot pair with a masculine right one.
    assert _without_side("Vena femoralis sinistra") != _without_side("Vena femoralis dexter")
    assert _without_side("左股动脉") == _without_side("右股动脉")
    assert _without_side("左股动脉") != _without_side("右股静脉")


def test_at_least_thirty_superficial_muscles(catalog):
    muscles = {
        re.sub(r"_[lr]$", "", s.structure_id) for s in catalog.of_system("muscular") if s.layer == 1
    }
    assert len(muscles) >= MIN_SUPERFICIAL_MUSCLES, sorted(muscles)


def test_required_vessels_and_nerves_are_present(catalog):
    assert REQUIRED_VESSELS <= set(catalog.structures), REQUIRED_VESSELS - set(catalog.structures)
    assert REQUIRED_NERVES <= set(catalog.structures), REQUIRED_NERVES - set(catalog.structures)
    assert {catalog[sid].system for sid in REQUIRED_VESSELS} == {"cardiovascular"}
    assert {catalog[sid].system for sid in REQUIRED_NERVES} == {"nervous"}


def test_schematic_entries_name_their_references(catalog):
    schematic = [s for s in catalog.structures.values() if s.schematic]
    assert schematic
    for s in schematic:
        assert s.source.startswith("MedVR schematic"), (s.structure_id, s.source)
        cited = re.search(r"references \(([^)]+)\)", s.source)
        assert cited, (s.structure_id, s.source)
        assert any(ref in cited.group(1) for ref in KNOWN_REFERENCES), (s.structure_id, s.source)


def test_derived_entries_name_their_source_and_licence(catalog):
    for s in catalog.structures.values():
        if not s.schematic:
            # The licence closes a parenthesis, after the project's name if there is one:
            # "(Apache-2.0)", "(MyoSuite, Apache-2.0)".
            assert re.search(r"\((?:[^(),]+, )?(?:Apache-2\.0|CC0|CC BY [\d.]+|MIT)\)", s.source), (
                s.structure_id,
                s.source,
            )
            if s.layer == 3:
                assert re.match(r"scaffoldmaker 0\.21\.0 3D [A-Za-z ]+ \d", s.source), s.source


def test_uterus_is_marked_female_only(catalog):
    uterus = catalog["uterus"]
    assert "女性" in uterus.description.zh
    assert "female" in uterus.description.en.lower()


def test_prostate_is_marked_male_only(catalog):
    prostate = catalog["prostate"]
    assert prostate.system == "reproductive" and prostate.region == "pelvis"
    assert "仅在男性" in prostate.description.zh
    assert "male bodies only" in prostate.description.en


def test_pleural_sacs_replace_the_whole_lungs_and_say_how_they_are_derived(catalog):
    assert not {"lung_l", "lung_r"} & set(catalog.structures)
    for side in "lr":
        pleura = catalog[f"pleura_{side}"]
        assert pleura.system == "respiratory" and pleura.region == "thorax"
        assert not pleura.schematic
        assert "derived by MedVR" in pleura.source and "3 mm" in pleura.source
        assert "Derived by MedVR" in pleura.description.en and "MedVR" in pleura.description.zh
        assert "气胸" in pleura.description.zh and "pneumothorax" in pleura.description.en


def test_fma_ids_are_well_formed(catalog):
    fma = [s.fma for s in catalog.structures.values() if s.fma is not None]
    assert fma and all(re.fullmatch(r"FMA:\d+", f) for f in fma), fma
    assert len(set(fma)) == len(fma)


# --- broken copies ----------------------------------------------------------------------


def _index(doc: dict, sid: str) -> int:
    return next(i for i, e in enumerate(doc["structures"]) if e["id"] == sid)


def _drop_name_zh(doc: dict) -> tuple[int, str, str, str]:
    i = _index(doc, "deltoid_l")
    del doc["structures"][i]["name"]["zh"]
    return i, "deltoid_l", "name: zh", "name：zh"


def _drop_description_zh(doc: dict) -> tuple[int, str, str, str]:
    i = _index(doc, "liver")
    doc["structures"][i]["description"]["zh"] = "   "
    return i, "liver", "description: zh", "description：zh"


def _unknown_system(doc: dict) -> tuple[int, str, str, str]:
    i = _index(doc, "femoral_artery_r")
    doc["structures"][i]["system"] = "vascular"
    return i, "femoral_artery_r", "system", "系统"


def _unknown_region(doc: dict) -> tuple[int, str, str, str]:
    i = _index(doc, "stomach")
    doc["structures"][i]["region"] = "belly"
    return i, "stomach", "region", "部位"


def _duplicate_id(doc: dict) -> tuple[int, str, str, str]:
    first = _index(doc, "heart")
    later = len(doc["structures"]) - 1
    doc["structures"][later]["id"] = doc["structures"][first]["id"]
    return later, "heart", "id", "编号"


def _layer(value) -> Callable[[dict], tuple[int, str, str, str]]:
    def mutate(doc: dict) -> tuple[int, str, str, str]:
        i = _index(doc, "median_nerve_l")
        doc["structures"][i]["layer"] = value
        return i, "median_nerve_l", "layer", "layer"

    return mutate


BROKEN = {
    "missing name zh": _drop_name_zh,
    "blank description zh": _drop_description_zh,
    "unknown system": _unknown_system,
    "unknown region": _unknown_region,
    "duplicate id": _duplicate_id,
    "layer too deep": _layer(9),
    "negative layer": _layer(-1),
    "layer as text": _layer("2"),
    "fractional layer": _layer(1.5),
    "layer as boolean": _layer(True),
}


def _write(tmp_path: Path, doc: dict) -> Path:
    path = tmp_path / "structures.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _load_error(path: Path) -> AnatomyError:
    with pytest.raises(AnatomyError) as info:
        load_catalog(path)
    return info.value


def _assert_one_line_each(error: AnatomyError, path: Path) -> tuple[str, str]:
    message, zh = str(error), error.zh
    assert zh is not None
    for line in (message, zh):
        assert "\n" not in line, line
        assert str(path) in line, line
    assert CJK.search(zh), zh
    return message, zh


@pytest.mark.parametrize("mutate", BROKEN.values(), ids=BROKEN.keys())
def test_broken_entry_is_one_line_naming_file_entry_and_field(tmp_path, raw, mutate):
    doc = json.loads(json.dumps(raw))  # a deep copy
    i, sid, field, field_zh = mutate(doc)
    path = _write(tmp_path, doc)
    message, zh = _assert_one_line_each(_load_error(path), path)
    place = f"structures[{i}] ({sid})"
    assert place in message and place in zh, message
    # The field is named after the entry, where the reader looks for it.
    assert field in message.split(place, 1)[1], message
    assert field_zh in zh.split(place, 1)[1], zh


def test_invalid_json_names_the_line(tmp_path):
    lines = CATALOG_FILE.read_text(encoding="utf-8").splitlines()
    target = next(n for n, line in enumerate(lines) if line.strip() == '"layer": 1,')
    lines[target] = lines[target].replace('"layer": 1,', '"layer": ,')
    path = tmp_path / "structures.json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message, zh = _assert_one_line_each(_load_error(path), path)
    assert f"line {target + 1} " in message, message
    assert f"第 {target + 1} 行" in zh, zh


def test_missing_file_is_one_line(tmp_path):
    path = tmp_path / "nowhere.json"
    _assert_one_line_each(_load_error(path), path)


def test_unknown_structure_lookup_is_an_anatomy_error(catalog):
    with pytest.raises(AnatomyError) as info:
        catalog["femur_x"]
    assert "femur_x" in str(info.value) and CJK.search(info.value.zh)
