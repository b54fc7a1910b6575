"""The project's GLSL 150 shaders and the per-node looks built on them.

Where the display has no shaders (p3tinydisplay), the same calls fall back to
fixed-function lights, colour scales and Panda3D clip planes, so scenes never ask.
"""

from __future__ import annotations

from panda3d.core import (
    AmbientLight,
    ColorBlendAttrib,
    DirectionalLight,
    NodePath,
    Plane,
    PlaneNode,
    Point3,
    Shader,
    TransparencyAttrib,
    Vec3,
    Vec4,
)

from scenes.errors import SceneError
from scenes.resources import resource_path

HIGHLIGHT_COLOR = (1.0, 0.72, 0.2)
CAP_COLOR = (0.85, 0.35, 0.3, 1.0)


def load_shader(name: str) -> Shader:
    """A vertex/fragment pair from ``scenes/shaders/NAME.vert`` and ``.frag``."""
    vert = resource_path("scenes", "shaders", f"{name}.vert")
    frag = resource_path("scenes", "shaders", f"{name}.frag")
    shader = Shader.load(Shader.SL_GLSL, vertex=str(vert), fragment=str(frag))
    if shader is None:
        raise SceneError(
            f"{vert}: shader {name!r} failed to load", f"{vert}：着色器 {name!r} 加载失败"
        )
    return shader


class Shading:
    """Applies the lit/x-ray/highlight/section look to node paths."""

    def __init__(self, shaders: bool):
        self.shaders = shaders
        self._lit = load_shader("lit") if shaders else None
        self._text = load_shader("text") if shaders else None

    def install(self, root: NodePath) -> None:
        """Give a scene root the default look: lit, opaque, unclipped."""
        if self.shaders:
            root.setShader(self._lit)
            root.setShaderInput("u_base_color", Vec4(1, 1, 1, 1))
            root.setShaderInput("u_alpha", 1.0)
            root.setShaderInput("u_highlight", Vec4(0, 0, 0, 0))
            root.setShaderInput("u_clip_plane", Vec4(0, 0, 1, 0))
            root.setShaderInput("u_clip_enabled", 0.0)
            root.setShaderInput("u_cap_color", Vec4(*CAP_COLOR))
            root.setShaderInput("u_cap_from_color", 0.0)
        else:
            ambient = root.attachNewNode(AmbientLight("ambient"))
            ambient.node().setColor((0.35, 0.35, 0.38, 1))
            key = root.attachNewNode(DirectionalLight("key"))
            key.node().setColor((0.8, 0.8, 0.78, 1))
            key.setHpr(20, -40, 0)
            root.setLight(ambient)
            root.setLight(key)

    def text_look(self, node: NodePath, alpha_only: bool = True) -> None:
        """Textured cards and glyphs: unlit, never clipped."""
        if self.shaders:
            node.setShader(self._text, 1)
            node.setShaderInput("u_alpha_only", 1.0 if alpha_only else 0.0)
        node.setLightOff(1)
        node.setTransparency(TransparencyAttrib.MAlpha)

    def set_xray(self, node: NodePath, alpha: float | None) -> None:
        """See-through at ``alpha`` (0..1), or opaque again with None.

        Transparent nodes go to Panda3D's back-to-front sorted bin without writing depth,
        so overlapping x-ray structures blend in the right order.
        """
        if alpha is None or alpha >= 1.0:
            node.clearTransparency()
            node.clearBin()
            node.clearDepthWrite()
            node.clearAttrib(ColorBlendAttrib)
            if self.shaders:
                node.setShaderInput("u_alpha", 1.0)
            else:
                node.clearColorScale()
            return
        node.setTransparency(TransparencyAttrib.MAlpha)
        node.setBin("transparent", 0)
        node.setDepthWrite(False)
        if self.shaders:
            node.setShaderInput("u_alpha", float(alpha))
        else:
            node.setAlphaScale(float(alpha))

    def set_highlight(self, node: NodePath, on: bool, color=HIGHLIGHT_COLOR) -> None:
        if self.shaders:
            node.setShaderInput("u_highlight", Vec4(*color, 0.9 if on else 0.0))
        elif on:
            node.setColorScale(1.0 + color[0] * 0.6, 1.0 + color[1] * 0.6, 1.0 + color[2] * 0.6, 1)
        else:
            node.clearColorScale()

    def set_cap_color(self, node: NodePath, rgb) -> None:
        """Colour of this node's cut faces (its own colour reads best)."""
        if self.shaders:
            node.setShaderInput("u_cap_color", Vec4(*rgb, 1.0))

    def cap_from_vertex_color(self, node: NodePath) -> None:
        """Cut faces below ``node`` take each vertex's own colour, darkened: one setting for
        merged meshes whose parts have different colours."""
        if self.shaders:
            node.setShaderInput("u_cap_from_color", 1.0)

    def set_section(self, root: NodePath, plane: tuple[float, float, float, float] | None):
        """Cut ``root`` by a world plane (a, b, c, d): a·x + b·y + c·z + d >= 0 is kept.

        Faces seen from inside a cut solid are drawn in a cap colour (two-sided).
        """
        if plane is None:
            if self.shaders:
                root.setShaderInput("u_clip_enabled", 0.0)
            else:
                root.clearClipPlane()
            root.clearTwoSided()
            return
        a, b, c, d = plane
        root.setTwoSided(True)
        if self.shaders:
            root.setShaderInput("u_clip_plane", Vec4(a, b, c, d))
            root.setShaderInput("u_clip_enabled", 1.0)
        else:
            normal = Vec3(a, b, c)
            point = Point3(normal * (-d / normal.lengthSquared()))
            clip = root.attachNewNode(PlaneNode("section", Plane(normal, point)))
            root.setClipPlane(clip)
