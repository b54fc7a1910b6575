"""The medvr command end to end, as a user runs it: real processes, real renders."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from panda3d.core import Filename, PNMImage


def medvr(*args: str, display: str | None = None, env: dict | None = None):
    full_env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    if display:
        full_env["DISPLAY"] = display
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def png_pixels(path) -> np.ndarray:
    img = PNMImage()
    assert img.read(Filename.fromOsSpecific(str(path))), path
    w, h = img.getXSize(), img.getYSize()
    return np.array([[img.getXel(x, y) for x in range(0, w, 4)] for y in range(0, h, 4)])


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("medvr: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_doctor_reports_the_display_path_and_succeeds():
    r = medvr("--lang", "en", "doctor")
    assert r.returncode == 0, r.stderr
    assert "p3headlessgl (offscreen)" in r.stdout
    assert "llvmpipe" in r.stdout
    assert "GLSL 4.50" in r.stdout
    assert "OpenVR runtime: no OpenVR runtime" in r.stdout
    assert "ready to run" in r.stdout


def test_doctor_json_and_chinese():
    r = medvr("doctor", "--json")
    report = json.loads(r.stdout)
    assert report["ok"] is True
    keys = {c["key"]: c for c in report["checks"]}
    assert keys["openvr"]["ok"] is False and keys["openvr"]["essential"] is False
    assert keys["fonts"]["ok"] is True
    zh = medvr("--lang", "zh-CN", "doctor")
    assert "显示路径" in zh.stdout and "可以运行" in zh.stdout


def test_doctor_fails_when_no_display_path_works():
    r = medvr("--lang", "en", "doctor", env={"MEDVR_DISPLAY_PIPE": "p3nosuchdisplay"})
    assert r.returncode == 1
    assert "XX display path: no display path works" in r.stdout
    assert "cannot run on this machine" in r.stdout


def test_shot_renders_a_still_of_the_asked_size(tmp_path):
    out = tmp_path / "lobby.png"
    r = medvr("--lang", "en", "shot", "lobby", "--out", str(out), "--size", "400x300")
    assert r.returncode == 0, r.stderr
    assert f"Saved {out}" in r.stdout
    px = png_pixels(out)
    assert px.shape == (75, 100, 3)
    assert px.std() > 0.05


def test_shot_stereo_is_side_by_side(tmp_path):
    out = tmp_path / "stereo.png"
    r = medvr(
        "shot", "lobby", "--stereo", "--view", "anatomy", "--out", str(out), "--size", "400x300"
    )
    assert r.returncode == 0, r.stderr
    px = png_pixels(out)
    assert px.shape == (75, 100, 3)  # two 200x300 eyes
    left, right = px[:, :50], px[:, 50:]
    assert left.std() > 0.05 and right.std() > 0.05
    assert np.abs(left - right).mean() > 0.005, "the eyes see from different places"


def test_shot_errors_are_one_line(tmp_path):
    assert_one_line_error(
        medvr("shot", "nosuch", "--out", str(tmp_path / "x.png")), "nosuch", "lobby"
    )
    assert_one_line_error(
        medvr("shot", "lobby", "--view", "roof", "--out", str(tmp_path / "x.png")),
        "roof",
        "overview",
    )
    bad = medvr("--lang", "en", "shot", "lobby", "--size", "huge", "--out", str(tmp_path / "x.png"))
    assert bad.returncode == 2 and "expected WIDTHxHEIGHT" in bad.stderr
    bad_zh = medvr("shot", "lobby", "--size", "huge", "--out", str(tmp_path / "x.png"))
    assert bad_zh.returncode == 2 and "应为 宽x高 的形式" in bad_zh.stderr
    assert not (tmp_path / "x.png").exists()


def test_debug_shows_the_traceback(tmp_path):
    r = medvr("--debug", "shot", "nosuch", "--out", str(tmp_path / "x.png"))
    assert r.returncode != 0
    assert "Traceback" in r.stderr and "SceneError" in r.stderr


LOBBY_STEPS = ["overview", "anatomy", "acupuncture", "exhibits", "meetings", "select-anatomy"]
ANATOMY_STEPS = [
    "front", "thorax", "abdomen", "head", "side", "back",
    "select-heart", "section-axial", "xray", "explode", "quiz",
]  # fmt: skip
ACUPUNCTURE_STEPS = [
    "front", "back", "lung-meridian", "stomach-meridian-flow", "deep-view", "select-st36",
    "needle-st36", "needle-too-deep", "locate-quiz", "name-quiz",
]  # fmt: skip


def test_tour_writes_every_step(tmp_path):
    r = medvr("--lang", "en", "tour", "--out", str(tmp_path / "tour"), "--size", "320x240")
    assert r.returncode == 0, r.stderr
    files = sorted(f.name for f in (tmp_path / "tour").glob("*.png"))
    expected = [f"lobby-{s}" for s in LOBBY_STEPS] + [f"anatomy-{s}" for s in ANATOMY_STEPS]
    expected += [f"acupuncture-{s}" for s in ACUPUNCTURE_STEPS]
    assert [f[3:-4] for f in files] == expected
    assert f"Tour rendered: {len(expected)} images in {tmp_path / 'tour'}" in r.stdout
    # The visit is recorded like a user's session, and nothing is sent without consent.
    assert "not sent until you agree" in r.stderr
    status = json.loads(medvr("sync", "status", "--json").stdout)
    assert status["queued"] > 20 and status["delivered"] == 0


def test_run_without_display_renders_the_tour_and_says_where(user_folders):
    r = medvr("--lang", "en", "run")
    assert r.returncode == 0, r.stderr
    tour = user_folders / "data" / "tour"
    assert "No display found" in r.stderr
    assert str(tour) in r.stdout
    assert len(list(tour.glob("*.png"))) == len(LOBBY_STEPS) + len(ANATOMY_STEPS) + len(
        ACUPUNCTURE_STEPS
    )


def test_vr_mode_without_steamvr_falls_back_in_one_line(tmp_path):
    env = {"MEDVR_TELEMETRY_CONSENT": "no"}  # else the line that consent was not asked
    r = medvr("--lang", "en", "run", "--mode", "vr", "--out", str(tmp_path / "t"), env=env)
    assert r.returncode == 0, r.stderr
    notes = [line for line in r.stderr.splitlines() if line.strip()]
    assert notes == [
        "SteamVR not found (no OpenVR runtime (SteamVR) is installed);"
        " running in headless mode instead"
    ]


def test_bad_config_file_is_one_line_naming_file_and_key(user_folders):
    cfg = user_folders / "config" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text("[vr]\nipd_mm = 120\n", encoding="utf-8")
    assert_one_line_error(medvr("doctor"), str(cfg), "ipd_mm")


def test_config_init_then_show(user_folders):
    r = medvr("config", "init")
    cfg = user_folders / "config" / "config.toml"
    assert r.returncode == 0 and cfg.exists()
    shown = medvr("--lang", "en", "config", "show")
    assert "language = en" in shown.stdout
    assert f"config_file = {cfg}" in shown.stdout


@pytest.mark.parametrize("argv", [["--version"], ["nosuchcommand"]])
def test_unknown_arguments_exit_non_zero(argv):
    r = medvr(*argv)
    assert r.returncode == 2
    assert "usage:" in r.stderr


def test_errors_follow_the_language(tmp_path):
    zh = medvr("shot", "nosuch", "--out", str(tmp_path / "x.png"))
    assert_one_line_error(zh, "没有场景", "nosuch")
    en = medvr("--lang", "en", "shot", "nosuch", "--out", str(tmp_path / "x.png"))
    assert_one_line_error(en, "no scene 'nosuch'")


def test_headless_sim_vr_run_renders_stereo_pairs(tmp_path):
    out = tmp_path / "t"
    r = medvr("--lang", "en", "run", "--mode", "sim-vr", "--scene", "lobby", "--out", str(out))
    assert r.returncode == 0, r.stderr
    files = sorted(out.glob("*.png"))
    assert len(files) == 6
    img = PNMImage()
    assert img.read(Filename.fromOsSpecific(str(files[0])))
    assert (img.getXSize(), img.getYSize()) == (1280, 720)  # two 640x720 eyes


def test_run_with_an_unknown_scene_is_one_line():
    assert_one_line_error(medvr("--lang", "en", "run", "--scene", "attic"), "attic", "lobby")


def test_help_follows_the_language():
    zh = medvr("--help")
    assert zh.returncode == 0 and "无界面渲染一张静态图片" in zh.stdout
    en = medvr("--lang", "en", "shot", "--help")
    assert en.returncode == 0 and "named viewpoint of the scene" in en.stdout
    managed = medvr("doctor", "--help", env={"MEDVR_LANG": "en"})
    assert "print JSON" in managed.stdout


def test_assets_build_fills_the_panda3d_cache(user_folders):
    """Up to date, `medvr assets build` still readies the bam cache of every shape, and
    the anatomy lab then opens from it."""
    r = medvr("--lang", "en", "assets", "build")
    assert r.returncode == 0, r.stderr
    assert "up to date" in r.stderr and "geometry cache ready for 4 body shapes" in r.stdout
    cached = sorted((user_folders / "cache" / "geometry").glob("anatomy-*.bam"))
    assert len(cached) == 4
    code = (
        "from app.config import load_config; from app.runtime_choice import Choice; "
        "from app.session import Session\n"
        "with Session(load_config(), Choice('headless', offscreen=True)) as s:\n"
        "    print(s.director.switch('anatomy').geometry_source)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "cache"


def test_a_headset_that_will_not_start_falls_back_in_one_line(user_folders, capsys):
    """`vr` chosen, but openvr.init fails (no SteamVR here): one line, then headless, and
    the session is recorded as what it became."""
    from app.config import load_config
    from app.runtime_choice import Choice
    from app.session import Session
    from sync.events import SessionStarted
    from sync.recorder import MemoryRecorder

    recorder = MemoryRecorder()
    with Session(load_config(), Choice("vr", True), recorder, (160, 120)) as session:
        assert session.choice.mode == "headless"
        assert type(session.runtime).__name__ == "HeadlessRuntime"
    notes = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(notes) == 1 and "SteamVR" in notes[0]
    (started,) = recorder.of_type(SessionStarted)
    assert (started.mode, started.headset) == ("headless", None)
