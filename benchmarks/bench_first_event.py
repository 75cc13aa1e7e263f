"""First use: seconds from ``argonet simulate`` starting to its first written event, and to the end of
the README quickstart (200 events), with numba's cache empty (a fresh install) and then warm.

    python benchmarks/bench_first_event.py [--events 200] [--runs 1] [--pieces]

Each run is a fresh Python process with NUMBA_CACHE_DIR set to a new empty folder (cold) or to
the folder the cold run filled (warm). Wall seconds count from just before the process starts;
CPU seconds are those of the process and of every process it waited for (parallel compilation
included). The goal: the first event within 15 s of a fresh install. The last line is a JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import platform
import re
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import resource, sys, time
t0 = float(sys.argv[1])

def cpu():
    own = time.process_time()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own + kids.ru_utime + kids.ru_stime

from argonet.io import Larcv3Writer
write = Larcv3Writer.write
def first_write(self, event):
    if not getattr(Larcv3Writer, "_first_seen", False):
        Larcv3Writer._first_seen = True
        print(f"@@first {time.time() - t0:.3f} {cpu():.3f}", flush=True)
    return write(self, event)
Larcv3Writer.write = first_write

from argonet.cli.main import main
rc = main(["simulate", *sys.argv[2:]])
print(f"@@done {time.time() - t0:.3f} {cpu():.3f}", flush=True)
sys.exit(rc)
"""


PIECE = r"""
import sys, time
from argonet.conf.compose import compose
from argonet.conf.sim import SimulateConfig
from argonet.sim.detector import get_detector
from argonet.sim.kernels import compile_piece
cfg = compose("simulate", SimulateConfig, [])
detector = get_detector(cfg.detector)
start = time.process_time()
compile_piece(sys.argv[1], cfg, detector)
print(f"@@piece {time.process_time() - start:.3f}")
"""


def piece_cpu_s(name: str, cache_dir: str) -> float:
    """CPU seconds to compile one piece of argonet.sim.kernels in a fresh process (imports excluded)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", PIECE, name], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"piece {name} failed:\n{proc.stderr[-2000:]}")
    return float(re.search(r"@@piece ([\d.]+)", proc.stdout).group(1))


def cpu_model() -> str:
    """CPU model name, core count and the vector extensions that matter for numba."""
    name, flags = platform.processor() or "unknown", set()
    try:
        text = Path("/proc/cpuinfo").read_text()
        name = re.search(r"model name\s*:\s*(.*)", text).group(1).strip()
        flags = set(re.search(r"flags\s*:\s*(.*)", text).group(1).split())
    except (OSError, AttributeError):
        pass
    extras = [f for f in ("avx2", "avx512f", "amx_bf16") if f in flags]
    return f"{name} ({os.cpu_count()} logical cores; {' '.join(extras) or 'no avx2'})"


def run_once(cache_dir: str, workdir: str, n_events: int) -> dict:
    """One fresh ``argonet simulate`` process: wall and CPU seconds to the first event and to the end."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, OMP_NUM_THREADS="1")
    args = [f"n_events={n_events}", f"output={workdir}/quickstart.h5", "overwrite=true", "progress=false"]
    before = os.getloadavg()[0]
    t0 = time.time()
    proc = subprocess.run([sys.executable, "-c", CHILD, repr(t0), *args], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"simulate failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    marks = {m.group(1): (float(m.group(2)), float(m.group(3)))
             for m in re.finditer(r"@@(\w+) ([\d.]+) ([\d.]+)", proc.stdout)}
    notes = [line for line in (proc.stdout + proc.stderr).splitlines() if "compil" in line.lower()]
    return {"first_event_wall_s": marks["first"][0], "first_event_cpu_s": marks["first"][1],
            "quickstart_wall_s": marks["done"][0], "quickstart_cpu_s": marks["done"][1],
            "load_average_before": round(before, 2), "messages": notes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200, help="events in the quickstart (README: 200)")
    parser.add_argument("--runs", type=int, default=1, help="cold/warm pairs to run")
    parser.add_argument("--pieces", action="store_true",
                        help="also: CPU seconds of each piece that argonet.sim.kernels compiles in parallel, "
                             "each alone with a cold cache (what bounds the first event on idle cores)")
    args = parser.parse_args()
    cpu = cpu_model()
    print(f"CPU: {cpu}\npython {platform.python_version()}, argonet from {os.environ.get('PYTHONPATH', '(installed)')}")
    results: dict[str, list[dict]] = {"cold": [], "warm": []}
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as work:
            for kind in ("cold", "warm"):
                r = run_once(cache, work, args.events)
                results[kind].append(r)
                print(f"{kind}: first event {r['first_event_wall_s']:6.1f} s wall {r['first_event_cpu_s']:6.1f} s CPU;"
                      f"  {args.events} events {r['quickstart_wall_s']:6.1f} s wall {r['quickstart_cpu_s']:6.1f} s CPU"
                      f"  (load average before {r['load_average_before']})")
                for note in r["messages"]:
                    print(f"    printed: {note}")
    pieces = {}
    if args.pieces:
        from argonet.sim.kernels import TRANSPORT_PIECES
        for name in (*TRANSPORT_PIECES, "response"):
            with tempfile.TemporaryDirectory() as cache:
                pieces[name] = piece_cpu_s(name, cache)
            print(f"piece {name:<10} {pieces[name]:6.1f} s CPU to compile alone (cold cache)")
    summary = {kind: {key: min(r[key] for r in rs) for key in rs[0] if key.endswith("_s")}
               for kind, rs in results.items()}
    print(json.dumps({"benchmark": "first_event", "cpu": cpu, "events": args.events, "runs": args.runs,
                      "best": summary, "pieces_cpu_s": pieces,
                      "all": results}))


if __name__ == "__main__":
    main()
