"""The one exception family the command line turns into an error message and exit 1."""


class OsteoError(Exception):
    """A failure the student can act on; its message says what, where and how to fix."""


class StoreError(OsteoError):
    """The database cannot be opened or written; nothing in it was changed."""
