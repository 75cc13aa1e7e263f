"""``argonet serve runs=RUNS data=DATA``: the web front end for runs, metrics, events and training jobs.

    argonet serve runs=runs data=data            # http://127.0.0.1:8765/
    argonet serve runs=runs data=data host=0.0.0.0 token=SECRET

Binds 127.0.0.1 unless told otherwise; any other host needs ``token=`` and every request without it
is refused (401).
"""

from __future__ import annotations

from argonet.conf.serve import ServeConfig
from argonet.serve.server import serve


def run(cfg: ServeConfig) -> None:
    """Serve until interrupted (Ctrl-C)."""
    serve(cfg)
