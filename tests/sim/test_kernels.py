"""Compiling before the first event: the pieces compiled in parallel are exactly the ones the
transport loop uses, a first run says what it is doing, and a warm run says nothing."""

from __future__ import annotations

import os
from pathlib import Path
import subprocess
import sys

import numba

from argonet.conf.compose import compose
from argonet.conf.sim import SimulateConfig
from argonet.sim import kernels
from argonet.sim.detector import get_detector
from argonet.sim.pipeline import event_rng, simulate_event


def _small_config() -> SimulateConfig:
    return compose("simulate", SimulateConfig, ["generator=gun", "generator.particles=[e-,mu-,p]", "n_events=2"])


def test_pieces_are_declared_with_the_types_the_transport_loop_passes():
    """Compiling a piece by its declared types in another process helps only if the loop asks
    for exactly those types; otherwise it would compile the piece a second time."""
    simulate_event(_small_config(), 0)                  # the loop's own types (compiled or from the cache)
    loop = kernels._run
    numba.njit(loop.py_func).compile(loop.signatures[0])  # typing the loop again asks each piece for its types
    assert loop.signatures == [kernels.LOOP_TYPES]        # what kernels_cached looks for in the cache
    for name, (kernel, signature) in kernels.TRANSPORT_PIECES.items():
        assert [tuple(s) for s in kernel.signatures] == [signature], name


def test_a_first_run_says_it_compiles_and_a_warm_run_says_nothing(monkeypatch):
    cfg = _small_config()
    detector = get_detector(cfg.detector)
    said: list[str] = []
    monkeypatch.setattr(kernels, "kernels_cached", lambda: False)
    monkeypatch.setattr(kernels, "compile_processes", lambda: 1)
    kernels.prepare_kernels(cfg, detector, 1, echo=said.append)
    assert len(said) == 2
    assert said[0].startswith("compiling the simulation kernels with numba (first run only")
    assert said[1].startswith("compiled in ")
    monkeypatch.setattr(kernels, "kernels_cached", lambda: True)
    said.clear()
    kernels.prepare_kernels(cfg, detector, 1, echo=said.append)
    assert said == []


def _cached_in_a_fresh_process(**env_changes: str) -> bool:
    """kernels_cached() as a new process sees it (nothing compiled in it yet)."""
    env = dict(os.environ, **env_changes)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[2] / "src"), env.get("PYTHONPATH", "")])
    code = "from argonet.sim.kernels import kernels_cached; print(kernels_cached())"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    return {"True": True, "False": False}[result.stdout.strip()]


def test_an_empty_cache_is_a_first_run_and_a_filled_one_is_not(tmp_path):
    assert _cached_in_a_fresh_process(NUMBA_CACHE_DIR=str(tmp_path)) is False
    simulate_event(_small_config(), 0)                  # fills (or has filled) this process's cache
    assert _cached_in_a_fresh_process() is True


def test_the_response_piece_puts_charge_on_every_plane():
    """The few deposits reach every plane (noise off: only their charge), so the response kernels
    of the configuration run on real signal, not only on empty planes."""
    cfg = compose("simulate", SimulateConfig, ["generator=gun", "response.noise=false"])
    detector = get_detector(cfg.detector)
    deposits = kernels.few_deposits(detector)
    assert len(deposits) == 64
    charge, _, _ = kernels.detector_response(cfg, deposits, detector, event_rng(0, 0), detector.center_cm, 0.0)
    assert len(charge) == len(detector.planes)
    assert all(len(plane.index) > 0 for plane in charge)


def test_forked_compilers_finish_cleanly():
    """Each forked piece exits 0 (with a warm cache it only loads its kernels; a failure would
    leave the work to the simulating process and cost the time the workers were meant to save)."""
    cfg = _small_config()
    simulate_event(cfg, 0)
    assert kernels.compile_in_parallel(cfg, get_detector(cfg.detector), 4) == [0, 0, 0]
    assert kernels.compile_in_parallel(cfg, get_detector(cfg.detector), 2) == [0]


def test_pieces_are_shared_evenly_and_each_compiled_once():
    """Every piece lands in exactly one group, and two groups differ by less than the smallest piece."""
    assert set(kernels.PIECE_COMPILE_CPU_S) == {*kernels.TRANSPORT_PIECES, "response"}
    for n in range(1, 5):
        groups = kernels.share_pieces(n)
        names = [name for group in groups for name in group]
        assert len(groups) == n and sorted(names) == sorted(kernels.PIECE_COMPILE_CPU_S)
    loads = [sum(kernels.PIECE_COMPILE_CPU_S[name] for name in group) for group in kernels.share_pieces(2)]
    assert abs(loads[0] - loads[1]) < min(kernels.PIECE_COMPILE_CPU_S.values())


def test_a_busy_machine_compiles_in_one_process(monkeypatch):
    monkeypatch.setattr(kernels, "idle_cores", lambda: 0.3)
    assert kernels.compile_processes() == 1
    monkeypatch.setattr(kernels, "idle_cores", lambda: 1.7)
    assert kernels.compile_processes() == (2 if kernels.can_fork_compilers() else 1)
