"""The server's SQLite file: the run index (one summary per run folder, rebuilt when its files change)
and the job queue (training commands, their state, their process)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import json
from pathlib import Path
import sqlite3
import time
from typing import Any

from argonet.serve import runs

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (name TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, summary TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, status TEXT NOT NULL, args TEXT NOT NULL,
    output_dir TEXT NOT NULL, log TEXT NOT NULL, pid INTEGER, returncode INTEGER, error TEXT,
    created REAL NOT NULL, started REAL, finished REAL, stop_requested INTEGER NOT NULL DEFAULT 0);
"""
JOB_STATES = ("queued", "running", "completed", "failed", "stopped")


class Store:
    """One SQLite database; every call opens its own connection (the server's threads share nothing)."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()

    # ---- run index -------------------------------------------------------------------------------
    def refresh_runs(self, root: Path) -> list[dict[str, Any]]:
        """Rescan ``root``; summaries are rebuilt only for run folders whose files changed; returns all rows."""
        folders = {f.relative_to(root.resolve()).as_posix(): f for f in runs.scan(root)}
        with self._db() as db:
            known = {r["name"]: (r["fingerprint"], json.loads(r["summary"]).get("status"))
                     for r in db.execute("SELECT name, fingerprint, summary FROM runs")}
            db.executemany("DELETE FROM runs WHERE name = ?", [(n,) for n in known if n not in folders])
            for name, folder in folders.items():
                key = runs.fingerprint(folder)
                if known.get(name, (None, None))[0] != key or known[name][1] == "running":   # live: pid may be gone
                    summary = runs.summarise(root.resolve(), folder)
                    db.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?)", (name, key, json.dumps(summary)))
            rows = [json.loads(r["summary"]) for r in db.execute("SELECT summary FROM runs ORDER BY name")]
        return rows

    # ---- job queue -------------------------------------------------------------------------------
    def add_job(self, name: str, args: list[str], output_dir: Path, log: Path) -> int:
        """Queue a training command; returns its id."""
        with self._db() as db:
            cur = db.execute("INSERT INTO jobs (name, status, args, output_dir, log, created) VALUES (?,?,?,?,?,?)",
                             (name, "queued", json.dumps(args), str(output_dir), str(log), time.time()))
            return int(cur.lastrowid)

    def jobs(self) -> list[dict[str, Any]]:
        """Every job, newest first."""
        with self._db() as db:
            return [self._row(r) for r in db.execute("SELECT * FROM jobs ORDER BY id DESC")]

    def job(self, job_id: int) -> dict[str, Any] | None:
        """One job, or None."""
        with self._db() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else self._row(row)

    def next_queued(self) -> dict[str, Any] | None:
        """The oldest queued job, marked running (atomically), or None."""
        with self._db() as db:
            row = db.execute("SELECT * FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1").fetchone()
            if row is None:
                return None
            db.execute("UPDATE jobs SET status = 'running', started = ? WHERE id = ?", (time.time(), row["id"]))
        return self.job(int(row["id"]))

    def update_job(self, job_id: int, **fields: Any) -> None:
        """Set columns of a job."""
        names = ", ".join(f"{k} = ?" for k in fields)
        with self._db() as db:
            db.execute(f"UPDATE jobs SET {names} WHERE id = ?", (*fields.values(), job_id))

    def request_stop(self, job_id: int) -> str | None:
        """Stop a job: a queued one is dropped (stopped), a running one is asked to stop; returns its new state."""
        with self._db() as db:
            row = db.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            if row["status"] == "queued":
                db.execute("UPDATE jobs SET status = 'stopped', finished = ? WHERE id = ?", (time.time(), job_id))
                return "stopped"
            if row["status"] == "running":
                db.execute("UPDATE jobs SET stop_requested = 1 WHERE id = ?", (job_id,))
            return str(row["status"])

    def orphaned_to_failed(self) -> None:
        """Jobs left 'running' by a server that died are marked failed when a new server starts."""
        with self._db() as db:
            db.execute("UPDATE jobs SET status = 'failed', error = 'the server stopped while it ran' "
                       "WHERE status = 'running'")

    @staticmethod
    def _row(row: sqlite3.Row) -> dict[str, Any]:
        job = dict(row)
        job["args"] = json.loads(job["args"])
        return job
