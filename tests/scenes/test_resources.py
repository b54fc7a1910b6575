"""Shipped files are found the same way from a checkout, an installed wheel and a
frozen bundle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scenes import resources
from scenes.errors import SceneError
from scenes.resources import resource_path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [
    ("scenes", "shaders", "lit.vert"),
    ("scenes", "shaders", "lit.frag"),
    ("scenes", "shaders", "text.vert"),
    ("scenes", "shaders", "text.frag"),
    ("scenes", "strings.toml"),
    ("app", "strings.toml"),
    ("assets", "fonts", "NotoSansSC-MedVR.otf"),
    ("assets", "fonts", "OFL.txt"),
    ("assets", "anatomy", "manifest.json"),
    ("assets", "anatomy", "skeleton.glb"),
    ("assets", "anatomy", "NOTICE.md"),
    ("anatomy", "data", "structures.json"),
]


@pytest.mark.parametrize("parts", SHIPPED, ids="/".join)
def test_checkout_finds_every_shipped_file(parts):
    assert resource_path(*parts).is_file()


def test_missing_resource_is_one_clear_error():
    with pytest.raises(SceneError, match="missing resource scenes/shaders/nope.frag"):
        resource_path("scenes", "shaders", "nope.frag")


def test_installed_wheel_carries_and_finds_its_files(tmp_path):
    """Build the wheel, unpack it as site-packages would, render a still from it."""
    # Build from a copy: setuptools writes build/ and egg-info beside the sources.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "*.egg-info", "__pycache__", ".*_cache", "tests"
        ),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(source), "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("medvr-*.whl")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    names = set(zipfile.ZipFile(wheel).namelist())
    for parts in SHIPPED:
        assert "/".join(parts) in names, parts
    probe = (
        "import scenes, scenes.resources as r; "
        "print(scenes.__file__); print(r.resource_path('scenes', 'shaders', 'lit.frag'))"
    )
    env = dict(os.environ, PYTHONPATH=str(site))
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    module_file, shader = out.stdout.split()
    assert module_file.startswith(str(site)) and shader.startswith(str(site))
    shot = subprocess.run(
        [sys.executable, "-m", "app", "shot", "lobby", "--out", "s.png", "--size", "160x120"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert shot.returncode == 0, shot.stderr
    assert (tmp_path / "s.png").stat().st_size > 1000


def test_frozen_bundle_looks_under_its_unpack_folder(tmp_path, monkeypatch):
    """A PyInstaller bundle unpacks data under sys._MEIPASS, keeping package folders."""
    bundled = tmp_path / "scenes" / "shaders" / "lit.frag"
    bundled.parent.mkdir(parents=True)
    bundled.write_text("// bundled copy\n")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resource_path("scenes", "shaders", "lit.frag") == bundled
    # Files the bundle lacks still come from the importable packages.
    assert resources.resource_path("scenes", "shaders", "lit.vert").is_file()
