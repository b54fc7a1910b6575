"""The one exception type of the scenes folder."""


class SceneError(Exception):
    """A scene, shader, font or display failure, with the file or scene it concerns.

    ``zh`` is the same line in Simplified Chinese; the CLI shows the user's language.
    """

    def __init__(self, message: str, zh: str | None = None):
        super().__init__(message)
        self.zh = zh
