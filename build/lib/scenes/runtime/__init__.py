"""XR runtimes: one interface (head pose, pointer rays, buttons, per-frame update) that
every scene is written against, and one implementation per kind of display."""

from scenes.runtime.base import Button, ButtonEvent, PointerRay, Pose, Runtime

__all__ = ["Button", "ButtonEvent", "PointerRay", "Pose", "Runtime"]
