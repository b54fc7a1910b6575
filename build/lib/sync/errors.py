"""The one exception type of the sync folder."""


class SyncError(Exception):
    """A behaviour event or statement that cannot be recorded or sent; the message says why.

    ``zh`` is the same line in Simplified Chinese; the CLI shows the user's language.
    """

    def __init__(self, message: str, zh: str | None = None):
        super().__init__(message)
        self.zh = zh
