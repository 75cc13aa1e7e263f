"""``argonet serve`` under load: the run table with 200 runs, the event pages of a 10 000-event file, and
20 clients polling a live run at once (loopback only).

    python benchmarks/bench_serve.py [--runs 200] [--events 10000] [--clients 20] [--poll-seconds 60]

The 200 run folders are copies of the small files (run.json, scalars.jsonl, train.log, metrics JSON,
predictions.csv) of one run trained here by the real engine; the event file holds fake 64 x 64
events (tests/serve/fakes.py). The server runs as ``argonet serve`` in its own process; wall times
are per request as the client sees them, CPU seconds are the server process's (user + system).
Goals: run table < 1 s, event page < 2 s, no failed poll.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import httpx  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "serve"))
from fakes import write_sample  # noqa: E402

SMALL_FILES = ("run.json", "scalars.jsonl", "train.log")


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_world(root: Path, n_runs: int, n_events: int) -> tuple[Path, Path]:
    """runs/ with ``n_runs`` copies of one trained and evaluated run, data/ with the big and the small file."""
    import torch

    from argonet.cli.main import main

    torch.set_num_threads(1)
    runs, data = root / "runs", root / "data"
    data.mkdir(parents=True)
    small = write_sample(data / "small.h5", 64, shape=(64, 64))
    t0 = time.perf_counter()
    write_sample(data / "big.h5", n_events, shape=(64, 64), seed=5)
    print(f"wrote {n_events} events in {time.perf_counter() - t0:.1f} s")
    seed = root / "seed"
    quiet = ["run.device=cpu", "run.progress=false", "run.tensorboard=false", "run.batch_size=8"]
    assert main(["train", "model.name=smallcnn", f"data.file={small}", "run.epochs=3", f"run.output_dir={seed}",
                 "run.log_every_steps=1", *quiet]) == 0
    assert main(["evaluate", f"checkpoint={seed / 'best.pt'}", f"data.file={small}", f"output_dir={seed / 'eval'}",
                 "split=all", "device=cpu"]) == 0
    for i in range(n_runs):
        run = runs / f"study{i // 50}" / f"run{i:03d}"
        (run / "eval").mkdir(parents=True)
        for name in SMALL_FILES:
            shutil.copy(seed / name, run / name)
        for name in ("metrics.json", "predictions.csv"):
            shutil.copy(seed / "eval" / name, run / "eval" / name)
    return runs, data


def timed(client: httpx.Client, url: str, pid: int, repeat: int) -> dict[str, float]:
    """Median, min and max wall seconds of ``repeat`` requests and the server's CPU seconds per request."""
    walls, cpu0 = [], _cpu_s(pid)
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(url)
        walls.append(time.perf_counter() - t0)
        response.raise_for_status()
    return {"median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls),
            "server_cpu_s_per_request": (_cpu_s(pid) - cpu0) / repeat, "bytes": len(response.content)}


def live_writer(run: Path, stop: threading.Event) -> None:
    """Make ``run`` a live run: status running with this process's pid, a scalar line every 0.2 s."""
    state = json.loads((run / "run.json").read_text())
    state.update(status="running", pid=os.getpid(), started=time.time())
    (run / "run.json").write_text(json.dumps(state))
    step = 1000
    while not stop.wait(0.2):
        step += 1
        with open(run / "scalars.jsonl", "a") as f:
            f.write(json.dumps({"prefix": "train", "step": step, "time": time.time(), "loss": 0.5}) + "\n")


def poll(base: str, url: str, until: float, results: list, interval_s: float) -> None:
    """One client: GET ``url`` every ``interval_s`` until ``until``; appends (ok, seconds)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        while time.perf_counter() < until:
            t0 = time.perf_counter()
            try:
                ok = client.get(url).status_code == 200
            except httpx.HTTPError:
                ok = False
            results.append((ok, time.perf_counter() - t0))
            time.sleep(max(0.0, interval_s - (time.perf_counter() - t0)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--poll-seconds", type=float, default=60.0)
    parser.add_argument("--poll-interval", type=float, default=2.0, help="seconds between one client's polls")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench_serve_"))
    server = None
    try:
        runs, data = make_world(root, args.runs, args.events)
        port = _free_port()
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
        server = subprocess.Popen([sys.executable, "-m", "argonet.cli", "serve", f"runs={runs}", f"data={data}",
                                   f"port={port}", "worker=false"], env=env, stdout=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(600):
                try:
                    client.get("/api/jobs")
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            cpu = Path("/proc/cpuinfo").read_text().split("model name")[1].split("\n")[0].split(":", 1)[1].strip()
            results = {"cpu": cpu, "cores": os.cpu_count(), "runs": args.runs, "events": args.events}
            results["run_table_first_s"] = timed(client, "/runs", server.pid, 1)["median_s"]   # builds the index
            results["run_table"] = timed(client, "/runs", server.pid, 5)
            results["api_runs"] = timed(client, "/api/runs", server.pid, 5)
            results["event_list_page"] = timed(client, "/data/big.h5?start=9900", server.pid, 3)
            results["event_page"] = timed(client, f"/event?file=big.h5&entry={args.events - 7}", server.pid, 5)
            last = args.runs - 1
            results["run_page"] = timed(client, f"/run/study{last // 50}/run{last:03d}", server.pid, 5)
        stop = threading.Event()
        live = runs / "study0" / "run000"
        writer = threading.Thread(target=live_writer, args=(live, stop), daemon=True)
        writer.start()
        polls: list[tuple[bool, float]] = []
        until = time.perf_counter() + args.poll_seconds
        cpu0 = _cpu_s(server.pid)
        clients = [threading.Thread(target=poll, args=(base, "/api/live/study0/run000", until, polls,
                                                       args.poll_interval)) for _ in range(args.clients)]
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        stop.set()
        seconds = sorted(s for _, s in polls)
        results["live_polling"] = {
            "clients": args.clients, "seconds": args.poll_seconds, "interval_s": args.poll_interval,
            "requests": len(polls), "failed": sum(not ok for ok, _ in polls),
            "median_s": statistics.median(seconds), "p95_s": seconds[int(0.95 * (len(seconds) - 1))],
            "server_cpu_s": _cpu_s(server.pid) - cpu0}
        print(json.dumps(results, indent=1))
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
