"""The one exception type of the scenes folder."""


class SceneError(Exception):
    """A scene, shader, font or display failure, with the file or scene it concerns."""
