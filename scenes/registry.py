"""Which scenes exist, and which modules the lobby offers (built or coming)."""

from __future__ import annotations

from dataclasses import dataclass

from scenes.errors import SceneError

_SCENES: dict[str, type] = {}


def register(cls: type) -> type:
    """Class decorator: make a Scene subclass reachable by its ``scene_id``."""
    if not cls.scene_id:
        raise SceneError(f"{cls.__name__} has no scene_id")
    if cls.scene_id in _SCENES and _SCENES[cls.scene_id] is not cls:
        raise SceneError(f"two scenes claim the id {cls.scene_id!r}")
    _SCENES[cls.scene_id] = cls
    return cls


def scene_class(scene_id: str) -> type:
    load_builtin_scenes()
    try:
        return _SCENES[scene_id]
    except KeyError:
        known = ", ".join(sorted(_SCENES))
        raise SceneError(
            f"no scene {scene_id!r} (scenes: {known})",
            f"没有场景 {scene_id!r}（可用场景：{known}）",
        ) from None


def scene_ids() -> list[str]:
    """Registered scenes, the lobby first, then the modules in the lobby's order."""
    load_builtin_scenes()
    order = ["lobby", *(m.scene_id for m in MODULES)]
    return sorted(_SCENES, key=lambda s: order.index(s) if s in order else len(order))


def load_builtin_scenes() -> None:
    """Import the modules whose classes register themselves."""
    import scenes.acupuncture_lab  # noqa: F401
    import scenes.anatomy_lab  # noqa: F401
    import scenes.lobby  # noqa: F401


@dataclass(frozen=True)
class Module:
    """A training module as the lobby shows it."""

    module_id: str
    title_key: str
    blurb_key: str
    scene_id: str  # the scene that opens it, once built
    accent: tuple[float, float, float]

    @property
    def available(self) -> bool:
        """Built, and its content installed here."""
        load_builtin_scenes()
        cls = _SCENES.get(self.scene_id)
        return cls is not None and cls.available()


MODULES = (
    Module("anatomy", "module.anatomy", "module.anatomy_blurb", "anatomy", (0.85, 0.33, 0.30)),
    Module(
        "acupuncture",
        "module.acupuncture",
        "module.acupuncture_blurb",
        "acupuncture",
        (0.20, 0.62, 0.52),
    ),
    Module("exhibits", "module.exhibits", "module.exhibits_blurb", "exhibits", (0.90, 0.62, 0.18)),
    Module("meetings", "module.meetings", "module.meetings_blurb", "meetings", (0.30, 0.45, 0.85)),
)
