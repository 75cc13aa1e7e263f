"""``ruff check`` (pycodestyle, pyflakes, bugbear; settings in pyproject.toml) passes on the whole tree."""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

ROOT = Path(__file__).parents[1]
CHECKED = ("src", "tests", "benchmarks", "tools", "docs")


def test_ruff_check_is_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", *CHECKED], cwd=ROOT,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
