"""The one exception type of the acupuncture folder."""


class AcupunctureError(Exception):
    """A broken catalog entry or a point that cannot be placed, with the file and entry.

    ``zh`` is the same line in Simplified Chinese; the CLI shows the user's language.
    """

    def __init__(self, message: str, zh: str | None = None):
        super().__init__(message)
        self.zh = zh
