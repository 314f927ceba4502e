"""The bundled decks ship inside the package: a plain (non-editable) install finds them."""

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_wheel_installed_elsewhere_finds_and_checks_the_bundled_decks(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(REPO)],
        check=True,
        capture_output=True,
    )
    [wheel] = wheels.glob("osteo_learn-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "osteo_learn/decks/osteoporosis-leg-numbness.toml" in names
    assert "osteo_learn/decks/sources/osteoporosis-leg-numbness.txt" in names

    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PYTHONPATH": str(site), "OSTEO_LEARN_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    where = subprocess.run(
        [sys.executable, "-c", "import osteo_learn.system.paths as p; print(p.bundled_decks_dir())"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert Path(where) == site / "osteo_learn" / "decks"
    check = subprocess.run(
        [sys.executable, "-m", "osteo_learn", "check"], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith(f"{site / 'osteo_learn' / 'decks' / 'osteoporosis-leg-numbness.toml'}: ok")
