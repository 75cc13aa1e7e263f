"""Start ``argonet serve``: the application, its training worker and uvicorn on one host and port."""

from __future__ import annotations

from argonet.conf.serve import ServeConfig
from argonet.serve.app import create_app
from argonet.serve.jobs import Worker


def serve(cfg: ServeConfig) -> None:
    """Serve until interrupted; a running training job is stopped with its checkpoint kept."""
    import uvicorn

    app = create_app(cfg)
    worker = Worker(app.state.ctx.store) if cfg.worker else None
    if worker is not None:
        worker.start()
    where = f"http://{cfg.host}:{cfg.port}/" + (f"?token={cfg.token}" if cfg.token else "")
    print(f"argonet serve: runs {app.state.ctx.runs_root}, data {app.state.ctx.data_root}\n  open {where}", flush=True)
    try:
        uvicorn.run(app, host=cfg.host, port=cfg.port, log_level="warning")
    finally:
        if worker is not None:
            worker.close()
