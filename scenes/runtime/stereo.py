"""Two eye cameras rendering into their own buffers before the main window.

Each eye has an offset from the head (half the IPD) and an off-axis frustum given as
the tangents of its four half-angles, the form a headset reports (OpenVR's
``getProjectionRaw``). The simulated HMD and the OpenVR runtime both drive this rig.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from panda3d.core import (
    Camera,
    FrameBufferProperties,
    GraphicsOutput,
    GraphicsPipe,
    NodePath,
    PerspectiveLens,
    Texture,
    WindowProperties,
)

from scenes.engine import texture_to_array
from scenes.errors import SceneError

EYE_SORT = -1000  # eyes draw before the main (mirror) window


@dataclass(frozen=True)
class EyeFrustum:
    """Tangents of the half-angles: left and bottom negative, right and top positive."""

    left: float
    right: float
    bottom: float
    top: float


def lens_from_tangents(f: EyeFrustum, near: float = 0.05, far: float = 200.0) -> PerspectiveLens:
    """An off-axis perspective lens: at focal length 1 the film spans the tangents."""
    lens = PerspectiveLens()
    lens.setFocalLength(1.0)
    lens.setFilmSize(f.right - f.left, f.top - f.bottom)
    lens.setFilmOffset((f.right + f.left) / 2, (f.top + f.bottom) / 2)
    lens.setNearFar(near, far)
    return lens


class StereoRig:
    """Left and right eye cameras under ``head``, each drawing into an offscreen buffer."""

    SIDES = ("left", "right")

    def __init__(self, engine, head: NodePath, eye_size: tuple[int, int]):
        self.engine = engine
        self.head = head
        self.eye_size = eye_size
        self.buffers: dict[str, GraphicsOutput] = {}
        self.textures: dict[str, Texture] = {}
        self.cameras: dict[str, NodePath] = {}
        base = engine.base
        for i, side in enumerate(self.SIDES):
            tex = Texture(f"eye-{side}")
            buf = self._make_buffer(side, tex)
            buf.setSort(EYE_SORT + i)
            buf.setClearColorActive(True)
            buf.setClearColor(base.win.getClearColor())
            cam = NodePath(Camera(f"eye-{side}"))
            cam.reparentTo(head)
            buf.makeDisplayRegion().setCamera(cam)
            self.buffers[side] = buf
            self.textures[side] = tex
            self.cameras[side] = cam

    def _make_buffer(self, side: str, tex: Texture) -> GraphicsOutput:
        base = self.engine.base
        fb = FrameBufferProperties()
        fb.setRgbColor(True)
        fb.setColorBits(24)
        fb.setAlphaBits(8)
        fb.setDepthBits(24)
        props = WindowProperties.size(*self.eye_size)
        buf = base.graphicsEngine.makeOutput(
            base.pipe,
            f"eye-{side}",
            EYE_SORT,
            fb,
            props,
            GraphicsPipe.BFRefuseWindow,
            base.win.getGsg(),
            base.win,
        )
        if buf is None:
            raise SceneError(
                f"cannot open the {side} eye buffer ({self.eye_size[0]}x{self.eye_size[1]})"
            )
        # Eye images stay on the GPU (mirror, compositor); stills read them back on demand.
        buf.addRenderTexture(tex, GraphicsOutput.RTMBindOrCopy)
        return buf

    def set_eye(self, side: str, offset: np.ndarray, frustum: EyeFrustum) -> None:
        """Eye position in head space (metres) and its frustum; call again when IPD changes."""
        cam = self.cameras[side]
        cam.setPos(*offset)
        cam.node().setLens(lens_from_tangents(frustum))

    def set_clear_color(self, rgba) -> None:
        for buf in self.buffers.values():
            buf.setClearColor(rgba)

    def images(self) -> dict[str, np.ndarray]:
        """Both eyes' last frames, read back from the GPU now."""
        engine = self.engine.base.graphicsEngine
        gsg = self.engine.base.win.getGsg()
        out = {}
        for side in self.SIDES:
            tex = self.textures[side]
            if not engine.extractTextureData(tex, gsg):
                raise SceneError(f"cannot read back the {side} eye image", f"无法读回{side}眼图像")
            # Render targets may be padded to a power of two: keep the drawn corner.
            w, h = self.eye_size
            out[side] = np.ascontiguousarray(texture_to_array(tex)[-h:, :w])
        return out

    def side_by_side(self) -> np.ndarray:
        eyes = self.images()
        return np.concatenate([eyes["left"], eyes["right"]], axis=1)

    def release(self) -> None:
        for side in self.SIDES:
            self.engine.base.graphicsEngine.removeWindow(self.buffers[side])
            self.cameras[side].removeNode()
        self.buffers.clear()
        self.cameras.clear()
