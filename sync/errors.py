"""The one exception type of the sync folder."""


class SyncError(Exception):
    """A behaviour event or statement that cannot be recorded or sent; the message says why."""
