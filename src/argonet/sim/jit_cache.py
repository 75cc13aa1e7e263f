"""A folder for numba's compiled kernels that can be written, or no cache, but never a traceback.

numba's ``cache=True`` looks for a writable folder when a kernel is defined ($NUMBA_CACHE_DIR,
then ``__pycache__`` beside the module, then ~/.cache/numba) and raises "cannot cache function
...: no locator available" when there is none: a read-only installation with a read-only home.
Before a package's kernels are defined, ``ensure_kernel_cache`` asks numba's own locators
whether they find a folder for that package; if not, it points numba at a private per-user
folder under the system temporary directory and, failing that, turns caching off (kernels are
then compiled in every run). Either way it says so once, on stderr; the folder is also put in
the environment, so worker processes use it without saying it again.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile

from numba.core import caching, config, dispatcher

_checked: set[str] = set()
_said: set[str] = set()


def _say(text: str) -> None:
    """Print a note on stderr once per process."""
    if text not in _said:
        _said.add(text)
        print(f"argonet: {text}", file=sys.stderr, flush=True)


def _probe(folder: str):
    """A Python function that numba sees as defined in a module of ``folder``."""
    namespace: dict = {}
    exec(compile("def probe():\n    pass\n", os.path.join(folder, "__init__.py"), "exec"), namespace)
    return namespace["probe"]


def has_cache_folder(folder: str) -> bool:
    """True when numba finds a writable cache folder for kernels defined in ``folder``."""
    try:
        caching.FunctionCache(_probe(folder))
    except RuntimeError:
        return False
    return True


def _private_folder() -> str | None:
    """A folder under the system temporary directory that only this user can write, or None."""
    try:
        base = tempfile.gettempdir()
    except OSError:
        return None
    uid = os.getuid() if hasattr(os, "getuid") else None
    path = os.path.join(base, f"argonet-numba-cache-{uid if uid is not None else 'user'}")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
        safe = stat.S_ISDIR(info.st_mode) and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        if uid is not None:
            safe = safe and info.st_uid == uid
        return path if safe else tempfile.mkdtemp(prefix="argonet-numba-cache-")
    except OSError:
        return None


def _no_cache(self) -> None:
    """Stand-in for numba's Dispatcher.enable_caching when no folder can be written."""


def ensure_kernel_cache(package_file: str) -> None:
    """Make numba's ``cache=True`` work for the kernels of the package holding ``package_file``."""
    folder = os.path.dirname(os.path.abspath(package_file))
    if folder in _checked:
        return
    _checked.add(folder)
    if has_cache_folder(folder):
        return
    previous = config.CACHE_DIR
    fallback = _private_folder()
    if fallback is not None:
        config.CACHE_DIR = fallback
        if has_cache_folder(folder):
            os.environ["NUMBA_CACHE_DIR"] = fallback
            _say(f"numba cannot write its cache beside argonet or in the home folder; compiled kernels "
                 f"are kept in {fallback} (set NUMBA_CACHE_DIR to choose another folder)")
            return
        config.CACHE_DIR = previous
    dispatcher.Dispatcher.enable_caching = _no_cache
    _say("numba finds no writable folder for its cache (set NUMBA_CACHE_DIR to one); "
         "kernels are compiled again in every run")


def skip_other_numba_extensions() -> None:
    """In a process that runs only argonet's kernels (the ``argonet`` command), don't load the numba
    extensions other packages register (awkward and vector, through fastjet and uproot): argonet's
    kernels never use them, and their imports (sympy among them) cost about a second and 0.14 GB.
    A process that passes awkward arrays or vectors to numba must not call this."""
    from numba.core import entrypoints

    entrypoints._already_initialized = True
