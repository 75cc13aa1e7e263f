"""Crash-safe output files: write under a temporary name, rename onto the final name when complete."""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from pathlib import Path

from argonet.errors import FormatError


def _remove(path: Path) -> None:
    """Delete a leftover temporary file, quietly if it is already gone."""
    try:
        path.unlink()
    except FileNotFoundError:
        pass


class AtomicPath:
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
        try:
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".part")
        except OSError as exc:
            raise FormatError(f"cannot create a file in the output folder ({exc.strerror})",
                              file=str(self.path)) from exc
        os.close(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)         # mkstemp makes 0600; outputs are shared like any file
        self.tmp = Path(tmp)
        self._finalizer = weakref.finalize(self, _remove, self.tmp)

    def _refuse_existing(self) -> None:
        """Refuse to replace an existing file unless overwrite was asked for."""
        if self.path.exists() and not self.overwrite:
            raise FormatError("already exists; pass overwrite=True to replace it", file=str(self.path))

    def commit(self) -> Path:
        """Move the finished temporary file onto the final name."""
        self._refuse_existing()
        os.replace(self.tmp, self.path)
        self._finalizer.detach()
        return self.path

    def discard(self) -> None:
        """Delete the temporary file; the final name is left untouched."""
        self._finalizer()


class AtomicFolder:
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
            self.tmp = Path(tempfile.mkdtemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".part"))
        except OSError as exc:
            raise FormatError(f"cannot create a folder beside it ({exc.strerror or exc})", file=str(self.path)) from exc
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.tmp, 0o777 & ~umask)    # mkdtemp makes 0700; outputs are shared like any folder
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
            old = Path(tempfile.mkdtemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".old"))
            os.replace(self.path, old / self.path.name)
        os.replace(self.tmp, self.path)
        self._finalizer.detach()
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.path

    def discard(self) -> None:
        """Delete the temporary folder; the final name is left untouched."""
        self._finalizer()
