"""Every bound on what a deck may hold, in one place.

A deck that passes its check stays within these, and so does a row of the
database that passes its check (:mod:`osteo_learn.store.rows`), so what is
shown, stored and exported is always of a size the tool was made for.
Sizes of files are in :mod:`osteo_learn.core.files`.
"""

from __future__ import annotations

import re

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]*")
_TAG_PATTERN = re.compile(r"[^\s\"]+")

MAX_ID_LENGTH = 100
"""The longest deck or card id (a deck id names its Anki package file)."""
MAX_TAG_LENGTH = 100
MAX_TAGS = 50
"""The most tags on one card."""
MAX_TITLE_LENGTH = 500
"""The longest title (of a deck or its source document)."""
MAX_TEXT_LENGTH = 100_000
"""The longest text of one field (a description, front, back, option, source excerpt...)."""
MAX_NESTING = 100
"""The deepest nesting of TOML arrays and inline tables a deck may use (one level is plenty)."""
OPTION_COUNTS = (4, 5)
"""How many options a case vignette has."""


def valid_tag(tag: str) -> bool:
    """Whether ``tag`` is a tag a card may carry (and ``--tag`` may ask for)."""
    return len(tag) <= MAX_TAG_LENGTH and bool(_TAG_PATTERN.fullmatch(tag)) and tag.isprintable()


def valid_id(value: str) -> bool:
    """Whether ``value`` is a deck or card id a deck may use (and ``--deck`` may ask for)."""
    return isinstance(value, str) and len(value) <= MAX_ID_LENGTH and bool(ID_PATTERN.fullmatch(value))
