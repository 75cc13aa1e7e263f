"""A read-only HDF5 file opened lazily in each process, so readers pickle into DataLoader workers,
with every library error turned into one ``FormatError`` naming the file, product and event."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import h5py
import numpy as np

from argonet.errors import ArgonetError, FormatError

#: what h5py and numpy raise on damaged files
LIBRARY_ERRORS = (OSError, KeyError, ValueError, TypeError, IndexError, OverflowError, RuntimeError, MemoryError)


def one_line(exc: BaseException) -> str:
    """An exception as a short single line."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text[:200]}"


class LazyH5File:
    """Base of argonet's file readers: checks the layout at construction, then opens on demand.

    Subclasses implement ``_open_and_check`` and may override ``_reset_caches`` (called whenever the
    handle is (re)opened, closed or pickled) and ``h5_options`` (keyword arguments of h5py.File).
    """

    h5_options: dict = {}

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._h5: h5py.File | None = None
        self._pid = -1
        self._reset_caches()
        if not self.path.is_file():
            raise FormatError("no such file", file=str(self.path))
        try:
            self._open_and_check()
        except ArgonetError:
            self.close()
            raise

    def _open_and_check(self) -> None:
        """Validate the file's layout (FormatError otherwise)."""
        raise NotImplementedError

    def _reset_caches(self) -> None:
        """Forget whatever was read through the current handle."""

    def _file(self) -> h5py.File:
        """The HDF5 handle of this process, opened on first use (and again after a fork)."""
        if self._h5 is None or self._pid != os.getpid():
            self._h5 = h5py.File(self.path, "r", **self.h5_options)
            self._pid = os.getpid()
            self._reset_caches()
        return self._h5

    def __getstate__(self) -> dict:
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._reset_caches()
        return {**clone.__dict__, "_h5": None, "_pid": -1}

    @contextlib.contextmanager
    def _guard(self, product: str | None = None, entry: int | None = None):
        """Turn library errors into one FormatError; floating-point warnings are silenced (damaged
        values surface as checked FormatErrors or as the values the file holds)."""
        try:
            with np.errstate(all="ignore"):
                yield
        except ArgonetError:
            raise
        except LIBRARY_ERRORS as exc:
            raise FormatError(f"cannot read ({one_line(exc)})", file=str(self.path),
                              event=entry, product=product) from exc

    def close(self) -> None:
        """Release the HDF5 handle; a later read opens it again."""
        if self._h5 is not None and self._pid == os.getpid():
            with contextlib.suppress(Exception):
                self._h5.close()
        self._h5 = None
        self._reset_caches()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
