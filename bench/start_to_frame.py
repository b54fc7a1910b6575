"""Process start to the first lobby frame, headless: cold (empty bytecode cache, page
cache dropped where the machine lets us) and warm, against a bare Panda3D offscreen
ShowBase drawing one frame (the floor any Panda3D app pays), in one run. The anatomy lab
runs twice: with its geometry cache (bam, filled by a first start) and with an empty
cache folder every start (geometry built from the glb files each time).

    python bench/start_to_frame.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

MEDVR = """
import time
from app.config import load_config
from app.runtime_choice import Choice
from app.session import Session
with Session(load_config(), Choice("headless", offscreen=True)) as s:
    s.director.switch("lobby")
    s.engine.render_frame()
    s.engine.screenshot()
    print(time.monotonic(), flush=True)
    import os; os._exit(0)
"""

ANATOMY = MEDVR.replace('switch("lobby")', 'switch("anatomy")')

BARE = """
import time
from panda3d.core import loadPrcFileData
loadPrcFileData("", "load-display p3headlessgl\\nwindow-type offscreen")
loadPrcFileData("", "audio-library-name null\\nwin-size 1280 720")
from direct.showbase.ShowBase import ShowBase
b = ShowBase()
m = b.loader.loadModel("models/environment")
m.reparentTo(b.render)
b.graphicsEngine.renderFrame()
b.win.getScreenshot()
print(time.monotonic(), flush=True)
import os; os._exit(0)
"""


def drop_page_cache() -> bool:
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


CACHE = tempfile.mkdtemp()  # shared by the runs that use the geometry cache


def one_run(code: str, cold: bool, cache: bool = True) -> float:
    env = dict(os.environ)
    env["MEDVR_DATA_DIR"] = env["MEDVR_LOG_DIR"] = tempfile.mkdtemp()
    env["MEDVR_CACHE_DIR"] = CACHE if cache else tempfile.mkdtemp()
    env["MEDVR_CONFIG"] = os.path.join(env["MEDVR_DATA_DIR"], "none.toml")
    if cold:
        env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp()  # no compiled bytecode to reuse
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return (float(out.stdout.strip().splitlines()[-1]) - t0) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    dropped = drop_page_cache()
    print(f"# start to first frame, headless 1280x720, {args.runs} runs each (median, ms)")
    dropped_text = "yes" if dropped else "no (not permitted)"
    print(f"# cold: fresh bytecode cache each run; page cache dropped: {dropped_text}")
    cases = (
        ("MedVR lobby", MEDVR, True),
        ("MedVR anatomy lab", ANATOMY, True),
        ("  without geometry cache", ANATOMY, False),
        ("bare Panda3D ShowBase", BARE, True),
    )
    one_run(ANATOMY, cold=False)  # fills the geometry cache
    for label, code, cache in cases:
        cold = []
        for _ in range(args.runs):
            drop_page_cache()
            cold.append(one_run(code, cold=True, cache=cache))
        warm = [one_run(code, cold=False, cache=cache) for _ in range(args.runs)]
        print(
            f"{label:24} cold {statistics.median(cold):7.0f}   warm {statistics.median(warm):7.0f}"
        )


if __name__ == "__main__":
    main()
