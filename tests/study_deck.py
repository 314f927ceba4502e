"""A small deck of every kind, written under a test's tmp_path, for review and stats tests.

In deck order the studied cards are: ``weak-bones`` (basic), ``fracture-nerve``
c1 and c2 (one cloze, two siblings), ``case-mri`` (vignette, answer A) and
``mri-use`` (basic).
"""

from __future__ import annotations

from pathlib import Path

DECK_ID = "demo"

SOURCE_TEXT = (
    "Bones and nerves\n"
    "Bones weaken with age. A fracture of the spine may press on a nerve, causing numbness in the leg.\n"
    "Imaging\n"
    "MRI can help identify nerve compression. It shows soft tissue well.\n"
)

DECK = '''\
id = "demo"
title = "Demo deck"
description = "A small deck for tests."

[source]
title = "Demo article"
file = "sources/demo.txt"

[[cards]]
id = "weak-bones"
kind = "basic"
tags = ["mechanism"]
front = "What happens to bones with age?"
back = "They weaken."
source = "Bones weaken with age."

[[cards]]
id = "fracture-nerve"
kind = "cloze"
tags = ["mechanism", "symptoms"]
text = "A spinal {{c1::fracture}} may press on a {{c2::nerve::structure}}."
extra = "Numbness in the leg follows."
source = "A fracture of the spine may press on a nerve"

[[cards]]
id = "case-mri"
kind = "vignette"
tags = ["diagnosis"]
stem = "A 70-year-old woman has numbness in one leg."
question = "Which test can help identify nerve compression?"
options = ["MRI", "Blood count", "Chest X-ray", "Urine test"]
answer = "MRI"
explanation = "MRI can help identify nerve compression; the others do not."
source = "MRI can help identify nerve compression."

[[cards]]
id = "mri-use"
kind = "basic"
tags = ["diagnosis"]
front = "What does MRI show well?"
back = "Soft tissue."
source = "It shows soft tissue well."
'''


def write_deck(folder: Path, text: str = DECK, source: str = SOURCE_TEXT) -> Path:
    """Write the deck file and its source document; return the deck file's path."""
    (folder / "sources").mkdir(parents=True, exist_ok=True)
    (folder / "sources" / "demo.txt").write_text(source, encoding="utf-8")
    path = folder / "demo.toml"
    path.write_text(text, encoding="utf-8")
    return path


def study_db(folder: Path) -> Path:
    """``folder``/study.db with the deck added through the command line, as a student adds one."""
    from click.testing import CliRunner

    from osteo_learn.commands.cli import cli

    path = folder / "study.db"
    result = CliRunner().invoke(cli, ["add-deck", "--db", str(path), str(write_deck(folder / "decks"))])
    assert result.exit_code == 0, result.output
    return path
