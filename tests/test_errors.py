"""A Ctrl-C or SIGTERM that lands inside a finaliser (where Python drops the exception it raises) still ends
the command: ``raise_if_interrupted`` raises it again at the next item of a long loop."""

from __future__ import annotations

import os
import signal
import sys

import pytest

from argonet.errors import Terminated, raise_if_interrupted, sigterm_as_interrupt


class _SignalOnCollect:
    """An object whose finaliser sends ``signum`` to this process, so the handler runs inside ``__del__``."""

    def __init__(self, signum: int):
        self.signum = signum

    def __del__(self):
        os.kill(os.getpid(), self.signum)
        sum(range(1000))                       # bytecode after the signal: the handler runs here


@pytest.fixture
def ctrl_c_not_ignored():
    """Ctrl-C handled as in a foreground process (a background job of a shell ignores it)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize(("signum", "kind"), [(signal.SIGTERM, Terminated), (signal.SIGINT, KeyboardInterrupt)])
def test_a_signal_swallowed_by_a_finaliser_is_raised_again(signum, kind, monkeypatch, ctrl_c_not_ignored):
    dropped = []
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: dropped.append(unraisable.exc_type))
    with sigterm_as_interrupt():
        _SignalOnCollect(signum)               # collected at once: its __del__ runs the handler
        assert dropped == [kind]               # Python dropped the exception the handler raised ...
        with pytest.raises(kind) as caught:
            raise_if_interrupted()             # ... and the next item of the loop raises it again
        assert type(caught.value) is kind
    raise_if_interrupted()                     # outside the block nothing is pending


def test_the_block_installs_and_restores_the_handlers():
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with sigterm_as_interrupt():
        assert signal.getsignal(signal.SIGTERM) is not before[0]
        raise_if_interrupted()                 # no signal came: nothing to raise
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
