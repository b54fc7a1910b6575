"""Text in 3D from the bundled CJK font: labels that face the viewer, panels, signs."""

from __future__ import annotations

from panda3d.core import CardMaker, DynamicTextFont, Filename, NodePath, TextNode

from scenes.errors import SceneError
from scenes.resources import resource_path
from scenes.shading import Shading

FONT_FILE = ("fonts", "NotoSansSC-MedVR.otf")


def load_font() -> DynamicTextFont:
    path = resource_path("assets", *FONT_FILE)
    font = DynamicTextFont(Filename.fromOsSpecific(str(path)))
    if not font.isValid():
        raise SceneError(f"{path}: not a font Panda3D can read", f"{path}：无法读取该字体文件")
    font.setPixelsPerUnit(72)
    font.setPointSize(14)
    return font


class Labels:
    """Makes text nodes in the app's font with the unlit text look."""

    def __init__(self, shading: Shading, viewer: NodePath | None = None):
        self.shading = shading
        self.font = load_font()
        # Labels turn to the head, not to each eye camera, so both eyes see one label.
        self.viewer = viewer

    def make(
        self,
        parent: NodePath,
        text: str,
        *,
        name: str = "label",
        height: float = 0.08,
        color=(1, 1, 1, 1),
        card: tuple[float, float, float, float] | None = (0.08, 0.1, 0.14, 0.78),
        facing_viewer: bool = True,
        wordwrap: float | None = None,
    ) -> NodePath:
        """A centred label ``height`` metres tall per line; billboarded unless told not.

        The card is a separate quad set a little behind the glyphs, so the two never
        fight over depth whatever the shader.
        """
        tn = TextNode(name)
        tn.setFont(self.font)
        tn.setText(text)
        tn.setAlign(TextNode.ACenter)
        tn.setTextColor(*color)
        if wordwrap:
            tn.setWordwrap(wordwrap)
        label = parent.attachNewNode(name)
        label.setScale(height)
        glyphs = label.attachNewNode(tn)
        self.shading.text_look(glyphs)
        if card is not None:
            left, right, bottom, top = tn.getFrameActual()
            cm = CardMaker(f"{name}-card")
            cm.setFrame(left - 0.4, right + 0.4, bottom - 0.25, top + 0.25)
            cm.setColor(*card)
            back = label.attachNewNode(cm.generate())
            back.setY(0.04)
            self.shading.text_look(back, alpha_only=True)
        if facing_viewer:
            if self.viewer is not None:
                label.setBillboardPointEye(self.viewer, 0)
            else:
                label.setBillboardPointEye()
        return label
