"""Where a sweep's study lives: resuming a killed sweep, worker processes sharing one SQLite study,
and a study on a real PostgreSQL server (a throw-away cluster started here)."""

from __future__ import annotations

import json
import os
from pathlib import Path
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import optuna
import pytest
from sweep_setup import one_torch_thread, sweep_args, sweep_config

import argonet
from argonet.recipes.sweep import database_url, run_sweep

SRC = Path(argonet.__file__).parents[1]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _rows(folder: Path) -> list[dict]:
    return json.loads((folder / "sweep.json").read_text())["trials"]


def test_killed_sweep_resumes_without_repeating_finished_trials(jet_file, space_file, tmp_path, monkeypatch):
    folder = tmp_path / "sweep"
    args = sweep_args(jet_file, space_file, folder, "sweep.trials=3", "sweep.pruner=none")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "argonet.cli", "sweep", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    started = folder / "trial_0001" / "config.yaml"       # trial 0 finished, trial 1 training
    for _ in range(6000):
        if started.exists() or proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.kill()
    _, err = proc.communicate()
    assert started.exists(), err
    first = folder / "trial_0000" / "checkpoint.pt"
    before = (first.stat().st_mtime_ns, first.read_bytes())
    with one_torch_thread():
        summary = run_sweep(sweep_config(jet_file, space_file, folder, "sweep.trials=3", "sweep.pruner=none"))
    rows = {r["number"]: r for r in _rows(folder)}
    assert summary.retried == [1] and summary.states == {"complete": 3, "interrupted": 1}
    assert [rows[n]["state"] for n in range(4)] == ["complete", "interrupted", "complete", "complete"]
    assert rows[2]["retry_of"] == 1 and rows[2]["params"] == rows[1]["params"]      # the killed trial, run again
    assert (first.stat().st_mtime_ns, first.read_bytes()) == before                 # the finished one was not
    assert len({rows[n]["worker"] for n in (0, 2)}) == 2


def test_two_worker_processes_share_one_sqlite_study(jet_file, space_file, tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    cfg = sweep_config(jet_file, space_file, tmp_path, "sweep.trials=4", "sweep.workers=2", "sweep.pruner=none")
    with one_torch_thread():
        summary = run_sweep(cfg)
    rows = _rows(tmp_path)
    assert summary.states == {"complete": 4} and len(rows) == 4
    assert len({r["number"] for r in rows}) == len({r["run_dir"] for r in rows}) == 4
    assert len({json.dumps(r["params"], sort_keys=True) for r in rows}) == 4
    assert len({r["worker"] for r in rows}) == 2                                     # both processes trained
    for row in rows:
        assert (tmp_path / row["run_dir"] / "checkpoint.pt").is_file()
    study = optuna.load_study(study_name="sweep", storage=f"sqlite:///{tmp_path / 'study.db'}")
    assert sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials) == 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    """A PostgreSQL 15 cluster in a temporary folder on 127.0.0.1 (run as the postgres user when we are root)."""
    from _system import ensure_debian_packages

    ensure_debian_packages({str(PG_BIN / "initdb"): "postgresql"})
    root = Path(tempfile.mkdtemp(prefix="argonet-pg-"))
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", _free_port()
    subprocess.run([*as_user, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-N"],
                   check=True, capture_output=True)
    subprocess.run([*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
                    f"-p {port} -k {root} -h 127.0.0.1 -F", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_a_study_on_a_postgresql_server(postgres_url, jet_file, space_file, tmp_path):
    cfg = sweep_config(jet_file, space_file, tmp_path / "here", "sweep.trials=2", f"sweep.storage={postgres_url}",
                       "sweep.study=jets", "sweep.pruner=none")
    with one_torch_thread():
        summary = run_sweep(cfg)
    assert summary.states == {"complete": 2} and not (tmp_path / "here" / "study.db").exists()
    study = optuna.load_study(study_name="jets", storage=database_url(postgres_url))   # as another machine sees it
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE] * 2
    assert [t.params for t in study.trials] == [r["params"] for r in _rows(tmp_path / "here")]
    more = sweep_config(jet_file, space_file, tmp_path / "there", "sweep.trials=3", f"sweep.storage={postgres_url}",
                        "sweep.study=jets", "sweep.pruner=none")
    with one_torch_thread():
        assert run_sweep(more).states == {"complete": 3}                         # joins: one trial more
    assert [r["run_dir"] for r in _rows(tmp_path / "there")] == ["trial_0000", "trial_0001", "trial_0002"]
    assert (tmp_path / "there" / "trial_0002").is_dir() and not (tmp_path / "there" / "trial_0000").exists()
