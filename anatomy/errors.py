"""The one exception type of the anatomy folder."""


class AnatomyError(Exception):
    """A broken catalog entry, asset file or source, with the file and place it concerns.

    ``zh`` is the same line in Simplified Chinese; the CLI shows the user's language.
    """

    def __init__(self, message: str, zh: str | None = None):
        super().__init__(message)
        self.zh = zh
