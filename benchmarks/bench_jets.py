"""Jet generation speed on one core: jets/s of ``argonet simulate generator=jets``, beside Pythia 8 alone
generating the same events, with the time split by stage (Pythia event / particle list / anti-kT
clustering / image and features, with their kT and C/A re-clustering) to show what limits it.

    python benchmarks/bench_jets.py [--jets 200] [--no-mpi]

Pythia's initialisation (once per class and process, about a second) is excluded.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
from collections import defaultdict  # noqa: E402
import time  # noqa: E402

from argonet.conf.jets import JetOptions  # noqa: E402
from argonet.sim.jets import generate as jet_generate  # noqa: E402
from argonet.sim.jets.generate import JetGenerator  # noqa: E402
from argonet.sim.jets.pythia import PythiaSource, event_seed  # noqa: E402

SPENT: dict[str, float] = defaultdict(float)


def timed(name: str, function):
    """``function`` that adds its run time to SPENT[name]."""
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT[name] += time.perf_counter() - start
    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jets", type=int, default=200)
    parser.add_argument("--no-mpi", action="store_true", help="without multiparton interactions")
    args = parser.parse_args()
    options = JetOptions(mpi=not args.no_mpi)
    generator = JetGenerator(options, seed=5)
    for key in generator.keys:
        generator.source(key)                                    # initialisation, not timed

    PythiaSource.next = timed("pythia event", PythiaSource.next)
    PythiaSource.visible_final_state = timed("particle list", PythiaSource.visible_final_state)
    jet_generate.antikt_jets = timed("anti-kT clustering", jet_generate.antikt_jets)
    JetGenerator._record = timed("image + features", JetGenerator._record)
    start = time.perf_counter()
    events = sum(int(generator.jet(i).features["n_tries"]) for i in range(args.jets))
    total = time.perf_counter() - start
    print(f"argonet jets ({args.jets} jets from {events} events, MPI {'off' if args.no_mpi else 'on'}, "
          f"classes {' '.join(options.classes)})")
    print(f"  {args.jets / total:8.1f} jets/s/core    ({1e3 * total / args.jets:.1f} ms/jet)")
    for name, spent in SPENT.items():
        print(f"    {name:<22} {1e3 * spent / args.jets:7.2f} ms/jet ({100 * spent / total:4.1f} %)")

    # baseline: Pythia alone, the same number of events of each class
    per_class = {key: 0 for key in generator.keys}
    for i in range(args.jets):
        per_class[generator.keys[i % len(generator.keys)]] += 1
    start = time.perf_counter()
    n = 0
    for key, count in per_class.items():
        source = generator.source(key)
        source.start(event_seed(6, 0))
        for _ in range(round(count * events / args.jets)):
            source.pythia.next()
            n += 1
    alone = time.perf_counter() - start
    print(f"Pythia 8 alone ({n} events): {n / alone:8.1f} events/s/core ({1e3 * alone / n:.1f} ms/event)")
    print(f"  jets/s against Pythia events/s: {(args.jets / total) / (n / alone):.2f}")


if __name__ == "__main__":
    main()
