"""Configuration of ``argonet serve``: the web front end for runs, metrics, events and training jobs."""

from __future__ import annotations

from dataclasses import dataclass

from argonet.conf.validate import check as _check

#: hosts that only this machine reaches; any other bind address needs a token
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass
class ServeConfig:
    """Where runs and data files live, where to listen, and the access token for non-local binds."""

    runs: str = "runs"                   # folder of training / evaluation runs (also where jobs write)
    data: str = "data"                   # folder of larcv3 files shown by the event browser
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None             # required when host is not local; sent as ?token=, cookie or bearer
    database: str | None = None          # SQLite run index and job queue; default <runs>/.argonet-serve.sqlite
    worker: bool = True                  # run queued training jobs (one at a time)
    poll_s: float = 2.0                  # how often pages of live runs and jobs refresh, seconds

    def __post_init__(self) -> None:
        _check(bool(self.runs), "runs", "must name a folder")
        _check(bool(self.data), "data", "must name a folder")
        _check(0 <= self.port <= 65535, "port", f"must be 0..65535 (got {self.port})")
        _check(self.host in LOCAL_HOSTS or bool(self.token), "token",
               f"host {self.host} is reachable from other machines: pass token=SECRET (every request must carry it)")
        _check(self.token is None or len(self.token) >= 8, "token", "must be at least 8 characters")
        _check(self.poll_s > 0, "poll_s", f"must be > 0 (got {self.poll_s})")
