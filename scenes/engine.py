"""One Panda3D engine per process: choose the display path, open the main output.

Headless machines try Mesa's EGL (``p3headlessgl``, real GLSL) first and fall back to
``p3tinydisplay`` (software, fixed-function). A machine with a display opens a window
through ``pandagl``. The choice and the reason are kept for ``medvr doctor``.
"""

from __future__ import annotations

import gc
import logging
import os
from dataclasses import dataclass, field

import numpy as np
from panda3d.core import (
    AntialiasAttrib,
    FrameBufferProperties,
    GraphicsPipeSelection,
    Texture,
    TypeRegistry,
    WindowProperties,
    loadPrcFileData,
)

from scenes.errors import SceneError
from scenes.i18n import strings

log = logging.getLogger("medvr.engine")

_PRC = """
audio-library-name null
window-title MedVR
framebuffer-srgb false
sync-video false
notify-level-device fatal
notify-level-egldisplay fatal
notify-level-x11display fatal
default-near 0.05
"""

# Display modules in the order they are tried, for each kind of output, with the pipe
# class wanted from each (p3tinydisplay holds an X11 pipe and an offscreen one).
HEADLESS_PIPES = ("p3headlessgl", "p3tinydisplay")
WINDOW_PIPES = ("pandagl", "p3tinydisplay")
_PIPE_CLASSES = {
    ("p3headlessgl", True): "eglGraphicsPipe",
    ("p3tinydisplay", True): "TinyOffscreenGraphicsPipe",
    ("pandagl", False): "glxGraphicsPipe",
    ("p3tinydisplay", False): "TinyXGraphicsPipe",
}


@dataclass
class DisplayChoice:
    """Which display module drives this engine, and why the others were passed over."""

    pipe: str
    offscreen: bool
    renderer: str = ""
    version: str = ""
    glsl: str = ""
    shaders: bool = False
    # (module, why) for each module tried first; why is a display.* string id's last part
    passed_over: list[tuple[str, str]] = field(default_factory=list)

    def describe(self, lang: str = "en") -> str:
        text = strings("scenes")
        kind = text.get("display.offscreen" if self.offscreen else "display.window", lang)
        if not self.passed_over:
            return text.get("display.first_choice", lang, pipe=self.pipe, kind=kind)
        tried = describe_passed_over(self.passed_over, lang)
        return text.get("display.after", lang, pipe=self.pipe, kind=kind, tried=tried)

    @property
    def reason(self) -> str:
        return self.describe("en")


def describe_passed_over(passed_over: list[tuple[str, str]], lang: str) -> str:
    text = strings("scenes")
    return "; ".join(f"{pipe}: {text.get('display.' + why, lang)}" for pipe, why in passed_over)


def display_available() -> bool:
    """Whether a window could be opened: an X11 or Wayland display is announced."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class Engine:
    """The ShowBase, its main output and the display choice. Create one, ``destroy()`` it."""

    def __init__(
        self,
        *,
        offscreen: bool,
        size: tuple[int, int] = (1280, 720),
        pipes: tuple[str, ...] | None = None,
        title: str = "MedVR",
    ):
        loadPrcFileData("medvr-engine", _PRC + f"win-size {size[0]} {size[1]}\n")
        from direct.showbase.ShowBase import ShowBase

        self.size = size
        self.offscreen = offscreen
        self.base = ShowBase(windowType="none")
        candidates = pipes or (HEADLESS_PIPES if offscreen else WINDOW_PIPES)
        env_pipe = os.environ.get("MEDVR_DISPLAY_PIPE")
        if env_pipe:
            candidates = (env_pipe,)
        self.display = self._open(candidates, title)
        self.base.render.setAntialias(AntialiasAttrib.MNone)
        # Python's cycle collector runs in whichever thread happens to allocate; in the
        # outbox writer's or the uploader's thread it would free Panda3D objects there,
        # which aborts the process. While an engine lives, collect here, once a frame.
        self._gc_was_enabled = gc.isenabled()
        gc.disable()
        self.base.taskMgr.add(_collect_garbage, "medvr-collect-garbage", sort=_GC_TASK_SORT)

    @property
    def render(self):
        return self.base.render

    def _open(self, candidates: tuple[str, ...], title: str) -> DisplayChoice:
        selection = GraphicsPipeSelection.getGlobalPtr()
        passed_over: list[tuple[str, str]] = []
        for name in candidates:
            pipe = _make_pipe(selection, name, self.offscreen)
            if pipe is None or not pipe.isValid():
                passed_over.append((name, "unavailable"))
                continue
            self.base.pipe = pipe
            props = WindowProperties.getDefault()
            props.setSize(*self.size)
            props.setTitle(title)
            fb = FrameBufferProperties()
            fb.setRgbColor(True)
            fb.setColorBits(24)
            fb.setAlphaBits(8)
            fb.setDepthBits(24)
            kind = "offscreen" if self.offscreen else "onscreen"
            ok = self.base.openMainWindow(type=kind, props=props, fbprops=fb, size=self.size)
            if not ok or self.base.win is None:
                passed_over.append((name, "no_output"))
                continue
            self.base.graphicsEngine.renderFrame()
            gsg = self.base.win.getGsg()
            if gsg is None or not gsg.isValid():
                self.base.closeWindow(self.base.win)
                passed_over.append((name, "no_context"))
                continue
            shaders = bool(gsg.getSupportsGlsl()) and (
                gsg.getDriverShaderVersionMajor(),
                gsg.getDriverShaderVersionMinor(),
            ) >= (1, 50)
            choice = DisplayChoice(
                pipe=name,
                offscreen=self.offscreen,
                renderer=gsg.getDriverRenderer(),
                version=gsg.getDriverVersion(),
                glsl=f"{gsg.getDriverShaderVersionMajor()}.{gsg.getDriverShaderVersionMinor()}",
                shaders=shaders,
                passed_over=passed_over,
            )
            log.info("display: %s, renderer %s", choice.reason, choice.renderer)
            return choice
        self.base.destroy()
        raise SceneError(
            "no display path works here: " + describe_passed_over(passed_over, "en"),
            "本机没有可用的显示路径：" + describe_passed_over(passed_over, "zh-CN"),
        )

    def render_frame(self) -> None:
        self.base.graphicsEngine.renderFrame()

    def step(self) -> None:
        """One turn of the main loop: tasks (input, poses, scene logic) then drawing."""
        self.base.taskMgr.step()

    def screenshot(self) -> np.ndarray:
        """The main output's last frame as an (H, W, 3) uint8 array, top row first."""
        return texture_to_array(self.base.win.getScreenshot())

    def destroy(self) -> None:
        self.base.destroy()
        gc.collect()
        if self._gc_was_enabled:
            gc.enable()


_GC_TASK_SORT = 1000  # after the scenes' tasks, before the frame is drawn


def _collect_garbage(task):
    """What the automatic collector would do now, by its own thresholds, in this thread."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    if counts[0] >= thresholds[0]:
        generation = 0
        if counts[1] >= thresholds[1]:
            generation = 2 if counts[2] >= thresholds[2] else 1
        gc.collect(generation)
    return task.cont


def texture_to_array(tex: Texture) -> np.ndarray:
    """RGB pixels of a texture with a RAM image, top row first."""
    if tex is None or not tex.hasRamImage():
        raise SceneError("the frame has no pixels to read back", "无法读回这一帧的像素")
    data = tex.getRamImageAs("RGB")
    h, w = tex.getYSize(), tex.getXSize()
    img = np.frombuffer(bytes(data), dtype=np.uint8).reshape(h, w, 3)
    return np.ascontiguousarray(img[::-1])


def save_png(img: np.ndarray, path: str | os.PathLike) -> None:
    """Write an (H, W, 3) uint8 array as PNG through Panda3D's own image writers."""
    from panda3d.core import Filename

    h, w, _ = img.shape
    tex = Texture("png")
    tex.setup2dTexture(w, h, Texture.T_unsigned_byte, Texture.F_rgb8)
    # Panda3D stores textures bottom row first, in BGR order.
    tex.setRamImage(np.ascontiguousarray(img[::-1, :, ::-1]).tobytes())
    if not tex.write(Filename.fromOsSpecific(os.fspath(path))):
        raise SceneError(f"{path}: cannot write the image", f"{path}：无法写入图片")


def _make_pipe(selection: GraphicsPipeSelection, module: str, offscreen: bool):
    """The pipe of the wanted class from a display module, or None."""
    pipe = selection.makeModulePipe(module)
    wanted = _PIPE_CLASSES.get((module, offscreen))
    if pipe is None or wanted is None or pipe.getType().getName() == wanted:
        return pipe
    pipe_type = TypeRegistry.ptr().findType(wanted)
    return selection.makePipe(pipe_type) if pipe_type else None


def pipe_kinds() -> list[str]:
    """Display modules Panda3D knows of on this machine (for ``doctor``)."""
    selection = GraphicsPipeSelection.getGlobalPtr()
    selection.loadAuxModules()
    return [selection.getPipeType(i).getName() for i in range(selection.getNumPipeTypes())]
