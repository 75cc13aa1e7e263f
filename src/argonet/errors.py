"""The exceptions argonet raises on bad input; the command line turns them into one line."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
import difflib
import signal
import threading


class ArgonetError(Exception):
    """Base of every error argonet raises deliberately."""


class ConfigError(ArgonetError, ValueError):
    """A configuration value is missing, of the wrong type or out of range."""

    def __init__(self, field: str, message: str, choices: Iterable[str] | None = None):
        text = f"{field}: {message}"
        if choices is not None:
            choices = list(choices)
            text += f" (valid: {', '.join(choices)})"
        super().__init__(text)
        self.field = field


class FormatError(ArgonetError, ValueError):
    """A file cannot be read as the format it claims: names the file, event and product."""

    def __init__(
        self,
        message: str,
        file: str | None = None,
        event: int | None = None,
        product: str | None = None,
        available: Iterable[str] | None = None,
    ):
        where = []
        if file is not None:
            where.append(f"file {file}")
        if product is not None:
            where.append(f"product {product!r}")
        if event is not None:
            where.append(f"event {event}")
        text = (", ".join(where) + ": " if where else "") + message
        if available is not None and product is not None:
            names = list(available)
            near = difflib.get_close_matches(product, names, n=3)
            if near:
                text += f" (did you mean {', '.join(near)}?)"
            elif names:
                text += f" (available: {', '.join(names)})"
        super().__init__(text)
        self.file, self.event, self.product = file, event, product


class DataError(ArgonetError, ValueError):
    """Data are readable but unusable for the task (bad labels, shape mismatch, empty events)."""


def nearest(name: str, names: Iterable[str]) -> str:
    """A 'did you mean' suffix for an unknown name, or the list of valid names."""
    names = list(names)
    near = difflib.get_close_matches(name, names, n=1)
    return f"did you mean {near[0]!r}?" if near else f"valid: {', '.join(names)}"


class Terminated(KeyboardInterrupt):
    """SIGTERM (sent by ``timeout``, ``kill`` and batch systems) raised like Ctrl-C, so that outputs are cleaned up."""


#: the interruption a signal raised within ``sigterm_as_interrupt``, kept because Python drops an exception
#: raised inside a finaliser (``__del__``, a weakref or ctypes callback: llvmlite's, while numba compiles) and a
#: signal can land there; empty: none came
_RECEIVED: list[type[KeyboardInterrupt]] = []


#: what each handled signal raises
_RAISES: dict[int, type[KeyboardInterrupt]] = {signal.SIGTERM: Terminated, signal.SIGINT: KeyboardInterrupt}


def _raise_interruption(signum: int, frame: object) -> None:
    """SIGTERM or Ctrl-C handler: raise where the program is (like Python's Ctrl-C) and remember it."""
    _RECEIVED.append(_RAISES[signum])
    raise _RAISES[signum]()


def raise_if_interrupted() -> None:
    """Raise again a Ctrl-C or SIGTERM whose exception a finaliser swallowed; long loops call it once per item."""
    if _RECEIVED:
        raise _RECEIVED[0]()


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block SIGTERM raises ``Terminated`` and Ctrl-C ``KeyboardInterrupt`` (main thread only:
    signals are delivered there), both also seen by ``raise_if_interrupted``."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _RECEIVED.clear()
    previous = signal.signal(signal.SIGTERM, _raise_interruption)
    ctrl_c = signal.getsignal(signal.SIGINT)
    if ctrl_c is signal.default_int_handler:    # not where SIGINT is ignored (a background job)
        signal.signal(signal.SIGINT, _raise_interruption)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if ctrl_c is signal.default_int_handler:
            signal.signal(signal.SIGINT, ctrl_c)
        _RECEIVED.clear()


def interruption(err: KeyboardInterrupt, atomic: bool) -> tuple[str, int]:
    """(one-line message, exit status) for Ctrl-C (130) or SIGTERM (143); ``atomic``: the command's output
    appears only when complete, else (training) its checkpoints are kept."""
    kept = ("no partial output was kept" if atomic
            else "checkpoints written so far are kept; continue with run.resume=true")
    if isinstance(err, Terminated):
        return f"terminated (SIGTERM); {kept}", 143
    return f"interrupted; {kept}", 130
