"""Crash-safe outputs: write under a temporary name, rename onto the final name when complete.

A temporary beside output ``NAME`` is called ``.NAME.<pid>.<random>.part`` (a file or a folder), ``pid``
being the writing process: a temporary left by a process that no longer runs (``kill -9``, a power
cut) is removed the next time the same output is written. Both classes are context managers: the
block's normal end commits, an exception (Ctrl-C and SIGTERM included) discards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import os
from pathlib import Path
import shutil
import tempfile
import weakref

from argonet.errors import FormatError

SUFFIX = ".part"


def _remove(path: Path) -> None:
    """Delete a leftover temporary file or folder, quietly if it is already gone."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (one of another user counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _prefix(path: Path) -> str:
    """The start of this process's temporary names for ``path``."""
    return f".{path.name}.{os.getpid()}."


def remove_stale(path: str | os.PathLike) -> list[Path]:
    """Delete the temporaries of output ``path`` whose writing process is gone; returns what was removed."""
    path = Path(path)
    removed = []
    start = f".{path.name}."
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(start) and name.endswith((SUFFIX, ".old"))):
            continue
        pid = name[len(start):].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid)):
            _remove(Path(entry.path))
            removed.append(Path(entry.path))
    return removed


def _shared_mode(path: Path, mode: int) -> None:
    """mkstemp/mkdtemp make private entries; outputs are shared like any file or folder (umask applies)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


class _Atomic:
    """What both outputs share: the context-manager protocol over ``commit`` and ``discard``."""

    path: Path
    tmp: Path
    _finalizer: weakref.finalize

    def commit(self) -> Path:
        raise NotImplementedError

    def discard(self) -> None:
        """Delete the temporary; the final name is left untouched."""
        self._finalizer()

    @property
    def committed(self) -> bool:
        """True once the temporary was renamed or discarded."""
        return not self._finalizer.alive

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.discard()
        elif not self.committed:
            try:
                self.commit()
            except BaseException:
                self.discard()
                raise


class AtomicPath(_Atomic):
    """A temporary file beside ``path``: ``commit`` renames it onto ``path``, ``discard`` deletes it.

    A crash or an interrupt before ``commit`` never leaves a half-written file under the final
    name; the temporary file is also removed when the object is garbage-collected uncommitted.
    """

    def __init__(self, path: str | os.PathLike, overwrite: bool = False):
        self.path = Path(path)
        self.overwrite = overwrite
        self._refuse_existing()
        if not self.path.parent.is_dir():
            raise FormatError("the output folder does not exist", file=str(self.path))
        remove_stale(self.path)
        try:
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=_prefix(self.path), suffix=SUFFIX)
        except OSError as exc:
            raise FormatError(f"cannot create a file in the output folder ({exc.strerror})",
                              file=str(self.path)) from exc
        os.close(fd)
        self.tmp = Path(tmp)
        _shared_mode(self.tmp, 0o666)
        self._finalizer = weakref.finalize(self, _remove, self.tmp)

    def _refuse_existing(self) -> None:
        """Refuse a folder under the name, and an existing file unless overwrite was asked for."""
        if self.path.is_dir():
            raise FormatError("is a folder; name a file to write (e.g. a path ending in the file name)",
                              file=str(self.path))
        if self.path.exists() and not self.overwrite:
            raise FormatError("already exists; pass overwrite=True to replace it", file=str(self.path))

    def commit(self) -> Path:
        """Move the finished temporary file onto the final name."""
        self._refuse_existing()
        os.replace(self.tmp, self.path)
        self._finalizer.detach()
        return self.path


class AtomicFolder(_Atomic):
    """A temporary folder beside ``path``: ``commit`` puts it in place of ``path``, ``discard`` deletes it.

    For outputs made of several files (a report with its plots): either all of them appear under
    the final name or none; an existing folder is replaced only with ``overwrite``.
    """

    def __init__(self, path: str | os.PathLike, overwrite: bool = False):
        self.path = Path(path)
        self.overwrite = overwrite
        self._refuse_existing()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            remove_stale(self.path)
            self.tmp = Path(tempfile.mkdtemp(dir=self.path.parent, prefix=_prefix(self.path), suffix=SUFFIX))
        except OSError as exc:
            raise FormatError(f"cannot create a folder beside it ({exc.strerror or exc})", file=str(self.path)) from exc
        _shared_mode(self.tmp, 0o777)
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.tmp, ignore_errors=True)

    def _refuse_existing(self) -> None:
        """Refuse to replace an existing folder unless overwrite was asked for (never a file)."""
        if self.path.exists() and (not self.overwrite or not self.path.is_dir()):
            what = "a folder" if self.path.is_dir() else "not a folder"
            raise FormatError(f"already exists ({what}); pass overwrite=true to replace a folder", file=str(self.path))

    def commit(self) -> Path:
        """Move the finished temporary folder onto the final name (an old folder is removed after)."""
        self._refuse_existing()
        old = None
        if self.path.exists():
            old = Path(tempfile.mkdtemp(dir=self.path.parent, prefix=_prefix(self.path), suffix=".old"))
            os.replace(self.path, old / self.path.name)
        os.replace(self.tmp, self.path)
        self._finalizer.detach()
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.path


@contextmanager
def scratch_folder(output: str | os.PathLike) -> Iterator[Path]:
    """A temporary working folder beside ``output`` (same file system, so its files can be renamed onto
    ``output``), removed when the block ends however it ends; stale ones of ``output`` go first."""
    output = Path(output)
    remove_stale(output)
    tmp = Path(tempfile.mkdtemp(dir=output.parent, prefix=_prefix(output), suffix=SUFFIX))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
