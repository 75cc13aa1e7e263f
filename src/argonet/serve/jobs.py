"""Training jobs from the web form: validated like the command line, run one at a time by a worker.

A job is ``python -m argonet.cli train KEY=VALUE ...`` in a child process writing into
``runs/<name>``; its output goes to ``runs/.jobs/<id>.log``. Stopping a job sends it SIGTERM (which, unlike
SIGINT, a child of a background process does not ignore): the engine keeps the checkpoints written so far
and the job can be resumed (``run.resume=true``).
"""

from __future__ import annotations

from dataclasses import dataclass
import os
from pathlib import Path
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import argonet
from argonet.conf.classify import TrainCommandConfig
from argonet.conf.compose import compose
from argonet.errors import ConfigError
from argonet.serve.safety import PathRefused, resolve_under
from argonet.serve.store import Store

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
FORM_FIELDS = {"task": "task", "model": "model.name", "epochs": "run.epochs", "batch_size": "run.batch_size",
               "lr": "optim.lr", "downsample": "data.downsample"}
POLL_S = 0.5
_COMPOSE_LOCK = threading.Lock()


def validate_train(overrides: list[str]) -> TrainCommandConfig:
    """The ``argonet train`` configuration the overrides give (composed as the command line composes it);
    ConfigError (one line) when they do not."""
    with _COMPOSE_LOCK:                  # Hydra's global state: one composition at a time
        return compose("train", TrainCommandConfig, overrides)


@dataclass
class JobRequest:
    """A training job as the form gives it: run name, data file under ``data=``, the overrides."""

    name: str
    data_file: Path
    overrides: list[str]


def request_from_form(form: dict[str, str], runs_root: Path, data_root: Path) -> JobRequest:
    """Check a submitted form (name, data file, main options, further ``key=value`` options); one-line errors."""
    name = (form.get("name") or "").strip()
    if not NAME_PATTERN.match(name):
        raise ConfigError("name", "use letters, digits, '_', '-' or '.' (at most 64, no leading '.')")
    if (runs_root / name).exists():
        raise ConfigError("name", f"run {name} already exists; pick another name")
    try:
        data_file = resolve_under(data_root, (form.get("data") or "").strip())
    except PathRefused as err:
        raise ConfigError("data", str(err)) from None
    if not data_file.is_file():
        raise ConfigError("data", f"no file {form.get('data')!r} under the data folder")
    given = {field: (form.get(field) or "").strip() for field in FORM_FIELDS}
    overrides = [f"{key}={given[field]}" for field, key in FORM_FIELDS.items() if given[field]]
    try:
        overrides += shlex.split(form.get("extra") or "")
    except ValueError as err:
        raise ConfigError("extra", f"cannot split options ({err})") from None
    for item in overrides:
        if item.split("=", 1)[0] in ("run.output_dir", "data.file", "run.resume"):
            raise ConfigError(item.split("=", 1)[0], "is set by the form (name and data)")
    overrides += [f"data.file={data_file}", f"run.output_dir={runs_root.resolve() / name}", "run.progress=false"]
    validate_train(overrides)
    return JobRequest(name, data_file, overrides)


def submit(store: Store, request: JobRequest, runs_root: Path) -> int:
    """Queue a validated request; returns the job id."""
    logs = runs_root / ".jobs"
    logs.mkdir(parents=True, exist_ok=True)
    job_id = store.add_job(request.name, request.overrides, runs_root.resolve() / request.name, logs / "pending.log")
    store.update_job(job_id, log=str(logs / f"{job_id}.log"))
    return job_id


def resume(store: Store, job: dict[str, Any]) -> int:
    """Queue a stopped or failed job again, continuing from its last checkpoint."""
    args = [a for a in job["args"] if not a.startswith("run.resume=")] + ["run.resume=true"]
    logs = Path(job["log"]).parent
    job_id = store.add_job(job["name"], args, Path(job["output_dir"]), logs / "pending.log")
    store.update_job(job_id, log=str(logs / f"{job_id}.log"))
    return job_id


def command(args: list[str]) -> list[str]:
    """The child process's command line."""
    return [sys.executable, "-m", "argonet.cli", "train", *args]


def child_env() -> dict[str, str]:
    """The server's environment with this argonet first on the path (the child imports the same code)."""
    source = str(Path(argonet.__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": source + (os.pathsep + path if path else ""), "PYTHONUNBUFFERED": "1"}


def run_job(store: Store, job: dict[str, Any], stop: threading.Event) -> str:
    """Run one job to its end (or until asked to stop); records pid, return code and state."""
    log_path = Path(job["log"])
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(command(job["args"]), stdout=log, stderr=subprocess.STDOUT, env=child_env(),
                                stdin=subprocess.DEVNULL, start_new_session=True)
        store.update_job(job["id"], pid=proc.pid)
        interrupted = False
        while proc.poll() is None:
            current = store.job(job["id"]) or {}
            if (current.get("stop_requested") or stop.is_set()) and not interrupted:
                proc.send_signal(signal.SIGTERM)     # ends it like Ctrl-C, checkpoints kept; never ignored
                interrupted = True
            time.sleep(POLL_S)
    status = "completed" if proc.returncode == 0 else "stopped" if interrupted else "failed"
    error = None
    if status == "failed":
        tail = log_path.read_text(errors="replace").strip().splitlines()
        error = tail[-1] if tail else f"exit status {proc.returncode}"
    store.update_job(job["id"], status=status, returncode=proc.returncode, finished=time.time(), error=error)
    return status


class Worker:
    """One thread that takes queued jobs in order and runs each in a child process."""

    def __init__(self, store: Store):
        self.store = store
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="argonet-serve-worker", daemon=True)

    def start(self) -> None:
        """Start taking jobs."""
        self.store.orphaned_to_failed()
        self.thread.start()

    def close(self, timeout_s: float = 30.0) -> None:
        """Stop the running job (checkpoint kept) and the thread."""
        self.stop.set()
        self.thread.join(timeout_s)

    def _loop(self) -> None:
        while not self.stop.is_set():
            job = self.store.next_queued()
            if job is None:
                self.stop.wait(POLL_S)
                continue
            try:
                run_job(self.store, job, self.stop)
            except OSError as err:
                self.store.update_job(job["id"], status="failed", error=str(err), finished=time.time())
