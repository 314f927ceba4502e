"""osteo-learn: spaced-repetition study of one medical article in the terminal."""

__version__ = "0.1.0"
