"""Per-frame App, Cull and Draw times from Panda3D's own PStats collectors.

Starts Panda3D's ``text-stats`` server on a loopback port, connects the engine to it for
a number of frames, and reads the per-collector times it prints.
"""

from __future__ import annotations

import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from panda3d.core import PStatClient

_LINE = re.compile(r"^  (App|Cull|Draw) = ([0-9.]+) ms$")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _text_stats() -> str:
    beside = Path(sys.executable).with_name("text-stats")
    found = beside if beside.exists() else shutil.which("text-stats")
    if not found:
        raise SystemExit("text-stats (Panda3D's PStats text server) is not installed")
    return str(found)


def capture(step, frames: int = 200) -> dict[str, float]:
    """Median App/Cull/Draw milliseconds over ``frames`` calls of ``step()``."""
    port = _free_port()
    out = Path(tempfile.mkdtemp()) / "stats.txt"
    server = subprocess.Popen(
        [_text_stats(), "-p", str(port), "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)  # let the server start listening before the first attempt
        for _ in range(50):
            if PStatClient.connect("127.0.0.1", port):
                break
            time.sleep(0.1)
        else:
            raise SystemExit("could not reach the PStats text server")
        for _ in range(frames):
            step()
        time.sleep(0.3)
        PStatClient.disconnect()
        time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=10)
    values: dict[str, list[float]] = {"App": [], "Cull": [], "Draw": []}
    for line in out.read_text().splitlines():
        m = _LINE.match(line)
        if m:
            values[m.group(1)].append(float(m.group(2)))
    return {k: statistics.median(v) if v else float("nan") for k, v in values.items()}
