"""Compiling the simulation's numba kernels before the first event: in parallel, and saying so.

numba compiles a kernel when it first runs and keeps the machine code in its cache, so on a fresh
install the first event of a run waits for every kernel (about 17 s of CPU on a 2020s server core; a
progress bar would sit at 0 with an absurd estimate). ``prepare_kernels`` does that work before
the bar starts, after a one-line message. With a cold cache it shares the independent pieces among
the idle cores: the charged-particle stepper, the photon showers, the end-of-track products (with
the exact argument types the transport loop passes them) and the detector response of this
configuration (by running it on a few deposits). Forked processes compile their share into the
cache while the simulating process compiles its own; it then compiles only the transport loop that
joins the pieces, loading the others from the cache. On a busy machine (no idle core) forked
compilers only add CPU time (each repeats the small shared kernels), so it compiles in turn.
The kernels and their types are unchanged: only when they compile moves.
"""

from __future__ import annotations

from collections.abc import Callable
import multiprocessing
import os
import sys
import time

import numpy as np
from numba import types

from argonet.conf.sim import SimulateConfig
from argonet.errors import raise_if_interrupted
from argonet.event import ParticleKind, Semantic
from argonet.sim.deposits import Deposits
from argonet.sim.detector import Detector
from argonet.sim.pipeline import detector_response, event_rng, simulate_event
from argonet.sim.secondaries import products
from argonet.sim.showers import track_photon
from argonet.sim.stepping import track_charged
from argonet.sim.transport import _run

_STATE, _VECTOR, _TABLE = types.uint64[::1], types.float64[::1], types.float64[:, ::1]
#: Argument types of the pieces as transport._run calls them (state, tables, params, stack entry,
#: track id, step state, deposits, n deposits, stack, n stack | fate, products).
_STEPPER_TYPES = (_STATE, _VECTOR, _VECTOR, _VECTOR, types.int64, _VECTOR, _TABLE, types.int64, _TABLE, types.int64)
_PRODUCTS_TYPES = (_STATE, _VECTOR, _VECTOR, _VECTOR, types.int64, _TABLE)
#: ... and of the loop itself as transport.transport calls it (state, tables, params, stack, n, first id).
LOOP_TYPES = (_STATE, _VECTOR, _VECTOR, _TABLE, types.int64, types.int64)
TRANSPORT_PIECES = {"stepping": (track_charged, _STEPPER_TYPES), "showers": (track_photon, _STEPPER_TYPES),
                    "products": (products, _PRODUCTS_TYPES)}


def kernels_cached() -> bool:
    """True when this process or numba's cache already has the transport loop for this CPU and source."""
    if _run.signatures:
        return True
    cache = _run._cache
    if not _caching():
        return False
    return cache._index_key(LOOP_TYPES, _run.targetctx.codegen()) in cache._cache_file._load_index()


def _caching() -> bool:
    """True when numba writes compiled kernels to a cache (so other processes can compile for us)."""
    return getattr(_run._cache, "_cache_file", None) is not None


def few_deposits(detector: Detector, n: int = 64) -> Deposits:
    """A short straight track of n deposits through the detector centre (to run the response on)."""
    x, y, z = (np.full(n, c) for c in detector.center_cm)
    z = z + np.arange(n) * 0.3
    dE_MeV, dx_cm = np.full(n, 0.6, np.float32), np.full(n, 0.3, np.float32)
    return Deposits(x, y, z, np.zeros(n), dE_MeV, dx_cm, np.ones(n, np.int32), np.full(n, Semantic.NEUTRINO, np.int8),
                    np.full(n, ParticleKind.TRACK, np.int8))


def compile_piece(name: str, cfg: SimulateConfig, detector: Detector) -> None:
    """Compile one piece: a transport callee by its types, or ``response`` by running it."""
    if name in TRANSPORT_PIECES:
        kernel, signature = TRANSPORT_PIECES[name]
        kernel.compile(signature)
    else:
        detector_response(cfg, few_deposits(detector), detector, event_rng(cfg.seed, 0), detector.center_cm, 0.0)


#: CPU seconds each piece takes to compile alone with a cold cache (`benchmarks/bench_first_event.py
#: --pieces`, AMD EPYC): only their ratios matter, to share the pieces evenly among processes.
PIECE_COMPILE_CPU_S = {"stepping": 5.6, "response": 4.6, "products": 3.5, "showers": 3.3}


def _worker(names: tuple[str, ...], cfg: SimulateConfig, detector: Detector) -> None:
    """Process body: compile quietly; whatever fails is compiled later by the simulating process."""
    try:
        for name in names:
            compile_piece(name, cfg, detector)
    except BaseException:           # noqa: BLE001 - the parent compiles it again and reports real errors
        os._exit(1)
    os._exit(0)


def idle_cores() -> float:
    """Cores this process may use minus the current load (the 1-minute load average)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores - os.getloadavg()[0] if hasattr(os, "getloadavg") else float(cores)


def can_fork_compilers() -> bool:
    """Forked compilers need numba's cache (to hand their work over) and no torch threads to fork."""
    return _caching() and sys.platform.startswith("linux") and "torch" not in sys.modules


def compile_processes() -> int:
    """How many processes should compile at once: one per idle core (rounded), one if forking is unsafe."""
    if not can_fork_compilers():
        return 1
    return max(1, min(len(PIECE_COMPILE_CPU_S), round(idle_cores())))


def share_pieces(n_processes: int) -> list[tuple[str, ...]]:
    """The pieces in ``n_processes`` groups of about equal compile time (largest first, to the lightest group)."""
    groups: list[list[str]] = [[] for _ in range(n_processes)]
    load = [0.0] * n_processes
    for name in sorted(PIECE_COMPILE_CPU_S, key=PIECE_COMPILE_CPU_S.get, reverse=True):
        lightest = load.index(min(load))
        groups[lightest].append(name)
        load[lightest] += PIECE_COMPILE_CPU_S[name]
    return [tuple(group) for group in groups]


def compile_in_parallel(cfg: SimulateConfig, detector: Detector, n_processes: int) -> list[int]:
    """Compile the first group here and the others in forked processes at the same time; their exit codes."""
    own, *others = share_pieces(n_processes)
    context = multiprocessing.get_context("fork")
    jobs = [context.Process(target=_worker, args=(names, cfg, detector), daemon=True) for names in others]
    for job in jobs:
        job.start()
    for name in own:
        compile_piece(name, cfg, detector)
    for job in jobs:
        job.join()
    return [job.exitcode for job in jobs]


def prepare_kernels(cfg: SimulateConfig, detector: Detector, first_index: int,
                    echo: Callable[[str], None] = print) -> None:
    """Compile what simulating ``cfg`` runs, saying so, unless numba's cache already has it."""
    if kernels_cached():
        return
    echo("compiling the simulation kernels with numba (first run only: about 17 s of CPU, shared among the "
         "idle cores; longer on a busy machine)...")
    start = time.perf_counter()
    n_processes = compile_processes()
    if n_processes > 1:
        compile_in_parallel(cfg, detector, n_processes)  # fork: no imports to repeat; torch's threads do not survive it
    simulate_event(cfg, first_index, detector)  # the transport loop, and anything a piece did not leave
    raise_if_interrupted()      # a signal that landed in one of llvmlite's callbacks, which drop exceptions
    where = f"; cached in {_run._cache._cache_path}" if _caching() else ""
    echo(f"compiled in {time.perf_counter() - start:.0f} s{where}")
