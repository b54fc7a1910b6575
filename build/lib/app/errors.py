"""The one exception type of the app folder: the CLI prints it in one line."""


class AppError(Exception):
    """A failure the user can act on; its message is the whole story, in one line.

    ``zh`` is the same line in Simplified Chinese; the CLI shows the user's language.
    """

    def __init__(self, message: str, zh: str | None = None):
        super().__init__(message)
        self.zh = zh
