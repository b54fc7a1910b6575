"""Every point placed by proportional cun on the shipped bodies: on the skin, on the
midline where it belongs, mirrored left and right, each meridian running the right way,
the standard's relations holding on two body shapes, the meridians lying on the skin."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh

from acupuncture.acupoint_catalog import load_acupoints
from acupuncture.anchors import BodyAnchors
from acupuncture.meridians import LIFT, meridian_paths
from acupuncture.needling import NeedleProbe, score_attempt, standard_heading
from acupuncture.placement import place_points
from anatomy.body_model import load_body, read_manifest
from scenes.anatomy_lab import asset_dir

SHAPES = ["male_average", "female_average"]
ALL_SHAPES = list(read_manifest(asset_dir())["shapes"])


@pytest.fixture(scope="module")
def catalog():
    return load_acupoints()


@pytest.fixture(scope="module")
def placed(catalog):
    out = {}
    for shape in ALL_SHAPES:
        body = load_body(asset_dir(), shape)
        anchors = BodyAnchors(body)
        out[shape] = (body, anchors, place_points(body, catalog, anchors))
    return out


@pytest.mark.parametrize("shape", ALL_SHAPES)
def test_every_point_lies_on_the_skin(placed, shape):
    body, _, placement = placed[shape]
    skin = body.mesh("skin")
    on = [p for p in placement.points.values() if p.on_skin]
    assert len(on) >= 2 * 300
    _, dist, _ = trimesh.proximity.closest_point(skin, np.array([p.position for p in on]))
    far = [(p.key, round(d * 1000, 1)) for p, d in zip(on, dist, strict=True) if d > 0.002]
    assert not far, far
    inside = [p.key for p in placement.points.values() if not p.on_skin]
    assert all(k.startswith(("EX-HN9", "EX-HN1")) for k in inside), inside


@pytest.mark.parametrize("shape", ALL_SHAPES)
def test_midline_points_and_left_right_pairs(placed, catalog, shape):
    _, _, placement = placed[shape]
    for p in placement.points.values():
        if catalog[p.code].meridian in ("GV", "CV"):
            assert abs(p.position[0]) < 0.002, p.key
    for key, p in placement.points.items():
        if p.side == "l":
            mirror = placement.points[key[:-2] + "_r"].position * [-1, 1, 1]
            assert np.linalg.norm(mirror - p.position) < 0.003, key
            assert p.position[0] > -0.002, key  # the subject's left is +X


HAND, FOOT, HEAD, TRUNK = "hand", "foot", "head", "trunk"


def _region(position, body) -> str:
    top = body.landmarks["vertex"][2]
    wrist = body.landmarks["wrist_crease_l"][2]
    x, _, z = position
    if z < 0.12:
        return FOOT
    if abs(x) > 0.2 and z <= wrist + 0.02:
        return HAND
    if z > body.landmarks["suprasternal_notch"][2] + 0.06 and z < top + 0.01 and abs(x) < 0.1:
        return HEAD
    return TRUNK


# Where each channel starts and ends: the direction of flow of the standard.
FLOW = {
    "LU": (TRUNK, HAND), "LI": (HAND, HEAD), "ST": (HEAD, FOOT), "SP": (FOOT, TRUNK),
    "HT": (TRUNK, HAND), "SI": (HAND, HEAD), "BL": (HEAD, FOOT), "KI": (FOOT, TRUNK),
    "PC": (TRUNK, HAND), "TE": (HAND, HEAD), "GB": (HEAD, FOOT), "LR": (FOOT, TRUNK),
}  # fmt: skip


@pytest.mark.parametrize("shape", SHAPES)
def test_each_meridian_runs_the_right_way(placed, catalog, shape):
    body, _, placement = placed[shape]
    for meridian, (start, end) in FLOW.items():
        points = catalog.of_meridian(meridian)
        first = placement.at(points[0].code, "l").position
        last = placement.at(points[-1].code, "l").position
        assert (_region(first, body), _region(last, body)) == (start, end), meridian
    # GV rises from the coccyx over the head to the upper lip; CV from the perineum
    # up the front to the chin.
    gv = [placement.at(p.code).position for p in catalog.of_meridian("GV")]
    mouth = body.landmarks["glabella"][2] - 0.1
    assert gv[0][2] < 0.95 and gv[0][1] > 0 and gv[-1][1] < 0 and gv[-1][2] > mouth
    assert max(p[2] for p in gv) == pytest.approx(body.landmarks["vertex"][2], abs=0.03)
    cv = [placement.at(p.code).position for p in catalog.of_meridian("CV")]
    assert cv[0][2] < 0.9 and cv[-1][2] > mouth - 0.05
    assert all(b[2] >= a[2] - 0.01 for a, b in zip(cv, cv[1:], strict=False))


@pytest.mark.parametrize("shape", SHAPES)
def test_proportional_relations_hold(placed, shape):
    body, _, pl = placed[shape]
    lm = body.landmarks
    forearm = pl.scales["cubital_wrist_l"]
    pc6 = pl.at("PC6", "l").position
    assert np.linalg.norm(pc6 - lm["wrist_crease_l"]) / forearm == pytest.approx(2.0, abs=0.3)
    leg = pl.at("ST36", "l").cun_m
    st35, st36 = pl.at("ST35", "l").position, pl.at("ST36", "l").position
    assert np.linalg.norm(st36 - st35) / leg == pytest.approx(3.0, abs=0.3)
    assert st36[2] < st35[2]
    sp6 = pl.at("SP6", "l")
    above = (sp6.position[2] - lm["malleolus_medial_l"][2]) / sp6.cun_m
    assert above == pytest.approx(3.0, abs=0.3)
    assert np.linalg.norm(pl.at("CV8").position - lm["umbilicus"]) < 0.01
    belly = pl.scales["xiphisternal_umbilicus"]
    cv12 = pl.at("CV12").position
    assert (cv12[2] - lm["umbilicus"][2]) / belly == pytest.approx(4.0, abs=0.2)
    chest = pl.scales["nipples"]
    st25 = pl.at("ST25", "l").position
    assert st25[0] / chest == pytest.approx(2.0, abs=0.2)
    assert abs(st25[2] - lm["umbilicus"][2]) < 0.01
    assert pl.at("GV14").position[2] < lm["c7"][2]  # below the C7 spinous process
    # The rib spaces down the front: ST16 in the 3rd, the nipple (ST17), ST18 in the 5th,
    # LR14 in the 6th; CV17 level with the 4th.
    heights = [pl.at(c, "l").position[2] for c in ("ST16", "ST17", "ST18", "LR14")]
    assert heights == sorted(heights, reverse=True)
    if shape.startswith("male"):
        assert abs(pl.at("CV17").position[2] - lm["nipple_l"][2]) < 0.015


def test_points_follow_the_body_shape(placed):
    a = placed["male_average"][2].at("ST36", "l").position
    b = placed["female_average"][2].at("ST36", "l").position
    assert np.linalg.norm(a - b) > 0.005
    for shape in SHAPES:
        body, _, pl = placed[shape]
        knee = body.landmarks["patella_apex_l"][2]
        assert knee - 0.15 < pl.at("ST36", "l").position[2] < knee


@pytest.mark.parametrize("shape", SHAPES)
def test_meridian_curves_lie_on_the_skin(placed, catalog, shape):
    body, anchors, placement = placed[shape]
    paths = meridian_paths(catalog, placement, anchors)
    assert len(paths) == 12 * 2 + 2
    samples = np.vstack([run for p in paths for run in p.runs])
    _, dist, _ = trimesh.proximity.closest_point(body.mesh("skin"), samples)
    assert np.percentile(dist, 99) < LIFT + 0.0015
    assert dist.max() < 0.006
    lu = next(p for p in paths if p.meridian == "LU" and p.side == "l")
    chord = np.linalg.norm(placement.at("LU11", "l").position - placement.at("LU1", "l").position)
    assert lu.length() > chord  # along the skin, not a straight chord


def test_needling_reports_what_lies_beneath(placed, catalog):
    body, anchors, pl = placed["male_average"]
    probe = NeedleProbe(body, anchors)
    bl13 = pl.at("BL13", "l")
    safe = probe.probe(bl13.position, -bl13.normal, 0.5 * bl13.cun_m)
    assert safe.danger is None
    deep = probe.probe(bl13.position, -bl13.normal, 3.0 * bl13.cun_m)
    assert deep.danger is not None and deep.danger.kind == "lung"
    st36 = pl.at("ST36", "l")
    acupoint = catalog["ST36"]
    heading = standard_heading(acupoint, st36, anchors)
    depth = np.mean(acupoint.needling.depth_cun) * st36.cun_m
    report = probe.probe(st36.position, heading, depth)
    attempt = score_attempt(acupoint, st36, st36.position, heading, depth, report, anchors)
    assert attempt.score == 100 and attempt.depth_ok and report.danger is None
    off = st36.position + np.array([0.0, 0.0, 0.02])
    worse = score_attempt(acupoint, st36, off, heading, depth * 3, report, anchors)
    assert worse.score < 60 and worse.error_mm == pytest.approx(20, abs=0.1)
    danger = score_attempt(catalog["BL13"], bl13, bl13.position, -bl13.normal, 0.1, deep, anchors)
    assert danger.score == 0


def test_the_export_command_writes_every_point(tmp_path, monkeypatch):
    from app.cli import main

    monkeypatch.setenv("MEDVR_LANG", "en")
    out = tmp_path / "points.json"
    assert main(["acupoints", "export", "--shape", "female_tall_slim", "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["shape"] == "female_tall_slim"
    codes = {p["code"] for p in data["points"]}
    assert len(codes) == 361 + 48
    st36 = next(p for p in data["points"] if p["key"] == "ST36_l")
    assert st36["names"]["zh"] == "足三里" and len(st36["position"]) == 3
    assert "cubital_wrist_l" in data["cun_scales_m"] and "umbilicus" in data["landmarks"]
    assert main(["acupoints", "export", "--shape", "nobody", "--out", str(out)]) == 2
