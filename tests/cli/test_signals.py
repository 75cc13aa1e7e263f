"""SIGTERM ends a command like Ctrl-C (one line, exit 143, no temporaries); kill -9 leaves a temporary that
the next run of the same output removes. Real processes, real signals."""

from __future__ import annotations

import os
from pathlib import Path
import signal
import subprocess
import sys
import time

from argonet.cli.main import main

SIM = ["simulate", "progress=false", "image.crop_wires=64", "image.crop_ticks=64"]


def _start_simulation(out: Path) -> tuple[subprocess.Popen, list[Path]]:
    """A long simulation into ``out`` in its own process, once its temporary file exists."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src"), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "argonet.cli", *SIM, "n_events=100000", f"output={out}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    for _ in range(1200):                     # polls every 0.25 s for at most 5 min (a compile on a loaded machine)
        temporaries = list(out.parent.glob(f".{out.name}.*.part"))
        if temporaries or proc.poll() is not None:
            break
        time.sleep(0.25)
    assert proc.poll() is None, proc.stderr.read()
    assert len(temporaries) == 1 and f".{proc.pid}." in temporaries[0].name
    return proc, temporaries


def test_sigterm_is_one_line_exit_143_and_no_debris(tmp_path):
    out = tmp_path / "events.h5"
    proc, _ = _start_simulation(out)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143
    assert err.strip() == "argonet simulate: terminated (SIGTERM); no partial output was kept"
    assert list(tmp_path.iterdir()) == []


def test_kill_9_debris_is_removed_by_the_next_run(tmp_path):
    out = tmp_path / "events.h5"
    proc, temporaries = _start_simulation(out)
    proc.kill()
    proc.wait(timeout=60)
    proc.stderr.close()
    assert temporaries[0].exists() and not out.exists()         # what kill -9 leaves
    assert main([*SIM, "n_events=2", f"output={out}"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["events.h5"]


def test_sigterm_swallowed_by_a_finaliser_still_ends_the_simulation(tmp_path, monkeypatch, capsys):
    """A SIGTERM whose exception lands in a finaliser (Python drops it) ends the run at the next event."""
    import argonet.recipes.simulate as recipe

    class SignalOnCollect:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGTERM)
            sum(range(1000))                      # the handler runs here, inside __del__

    made = []

    def simulate_event(cfg, index, detector):
        if index == 1:
            SignalOnCollect()                     # collected at once
        made.append(index)
        return real(cfg, index, detector)

    real = recipe.simulate_event
    monkeypatch.setattr(recipe, "simulate_event", simulate_event)
    monkeypatch.setattr("sys.unraisablehook", lambda unraisable: None)
    out = tmp_path / "events.h5"
    assert main([*SIM, "n_events=6", f"output={out}"]) == 143
    assert capsys.readouterr().err.strip() == "argonet simulate: terminated (SIGTERM); no partial output was kept"
    assert made[-1] == 1 and list(tmp_path.iterdir()) == []
