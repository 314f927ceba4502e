"""Shared fixtures: no test ever touches the real home folder or database; a real Anki collection."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUNDLED_DECK = REPO / "decks" / "osteoporosis-leg-numbness.toml"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("OSTEO_LEARN_HOME", str(home))
    monkeypatch.delenv("OSTEO_LEARN_DB", raising=False)
    monkeypatch.delenv("OSTEO_LEARN_TODAY", raising=False)
    monkeypatch.delenv("OSTEO_LEARN_NOW", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    return home


@pytest.fixture
def anki(tmp_path):
    """An empty collection of the real Anki (its own package), to import exports into."""
    from anki.collection import Collection

    (tmp_path / "anki").mkdir()
    collection = Collection(str(tmp_path / "anki" / "collection.anki2"))
    yield collection
    collection.close()
