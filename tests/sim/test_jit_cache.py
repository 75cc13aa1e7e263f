"""A read-only installation with a read-only home still runs: numba's cache moves to a private
temporary folder, or is turned off, and argonet says so once instead of raising at import.

Each case runs in a fresh process in which numba's cache locators refuse every folder outside
the allowed one (what a read-only package folder and home look like to numba, also for root)."""

from __future__ import annotations

import os
from pathlib import Path
import subprocess
import sys

SCRIPT = r"""
import os, sys
from numba.core import caching

ALLOWED = sys.argv[1]
real = caching._CacheLocator.ensure_cache_path

def read_only_except_allowed(self):
    if not ALLOWED or not os.path.abspath(self.get_cache_path()).startswith(ALLOWED):
        raise PermissionError(30, "Read-only file system", self.get_cache_path())
    return real(self)

caching._CacheLocator.ensure_cache_path = read_only_except_allowed

import numpy as np
import argonet.sim.transport, argonet.sim.response, argonet.data.transforms  # define kernels: simulate, train
from argonet.sim.xoshiro import new_state, uniform

print("uniform", uniform(new_state(7)))
print("NUMBA_CACHE_DIR", os.environ.get("NUMBA_CACHE_DIR", ""))
"""


def _run(tmp_path: Path, allowed: str) -> subprocess.CompletedProcess:
    """Run SCRIPT in a fresh interpreter whose temporary directory is tmp_path/tmp."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["TMPDIR"] = str(tmp_path / "tmp")
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[2] / "src"), env.get("PYTHONPATH", "")])
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-c", SCRIPT, allowed], capture_output=True, text=True, env=env,
                          timeout=600)


def test_kernels_cache_in_a_private_temporary_folder_when_package_and_home_are_read_only(tmp_path):
    result = _run(tmp_path, str(tmp_path / "tmp"))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("argonet: numba cannot write its cache") == 1, result.stderr
    folder = Path(result.stdout.split("NUMBA_CACHE_DIR", 1)[1].strip())
    assert folder.parent == tmp_path / "tmp"
    assert (folder.stat().st_mode & 0o077) == 0           # private to this user
    assert any(folder.rglob("*.nbi")), "compiled kernel not cached in the fallback folder"


def test_kernels_run_uncached_when_no_folder_is_writable(tmp_path):
    result = _run(tmp_path, "")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("argonet: ") == 1, result.stderr
    assert "compiled again in every run" in result.stderr
    assert result.stdout.split("NUMBA_CACHE_DIR", 1)[1].strip() == ""
    assert not any((tmp_path / "tmp").rglob("*.nbi"))


SIMULATE_THEN_LIST = r"""
import sys
from argonet.cli.main import main
status = main(["simulate", "generator=gun", "n_events=1", "output=" + sys.argv[1], "progress=false"])
print("@@", status, *sorted(m for m in ("awkward", "vector", "sympy") if m in sys.modules))
"""


def test_simulate_does_not_load_other_packages_numba_extensions(tmp_path):
    """``argonet simulate`` compiles and runs its kernels without importing awkward, vector or sympy
    (numba would load them as extensions: about a second of every run), and still writes its file."""
    out = tmp_path / "one.h5"
    result = subprocess.run([sys.executable, "-c", SIMULATE_THEN_LIST, str(out)], capture_output=True, text=True,
                            timeout=600,
                            env=dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2] / "src")))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "@@ 0"
    assert out.is_file()
