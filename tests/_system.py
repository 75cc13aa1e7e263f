"""Debian packages that some tests need (a browser, a database server), installed by the test set-up."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

LOCK_PATH = Path("/tmp/argonet-test-apt.lock")


def ensure_debian_packages(commands: dict[str, str]) -> None:
    """Install the Debian package of each missing command ({command: package}); one installer at a time."""
    missing = {cmd: pkg for cmd, pkg in commands.items() if shutil.which(cmd) is None and not Path(cmd).exists()}
    if not missing:
        return
    with LOCK_PATH.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)       # pytest-xdist workers install one after the other
        still = sorted({pkg for cmd, pkg in missing.items() if shutil.which(cmd) is None and not Path(cmd).exists()})
        if not still:
            return
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-q", *still], check=True, env=env, capture_output=True)
