"""The README stays true: its Python example prints what it says, its test command is what CI runs."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_the_scheduler_example_prints_what_the_readme_shows():
    section = README[README.index("### Python API") :]
    code, shown = re.search(r"```python\n(.*?)```.*?```text\n(.*?)```", section, re.DOTALL).groups()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue() == shown


def test_the_development_table_names_every_subpackage():
    package = Path(__file__).resolve().parents[1] / "src" / "osteo_learn"
    folders = {init.parent.name for init in package.glob("*/__init__.py")}
    named = set(re.findall(r"^\| `(\w+)/` \|", README, re.MULTILINE))
    assert named == folders
