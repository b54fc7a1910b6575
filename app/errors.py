"""The one exception type of the app folder: the CLI prints it in one line."""


class AppError(Exception):
    """A failure the user can act on; its message is the whole story, in one line."""
