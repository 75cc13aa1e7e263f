"""The server in a thread on a free loopback port, and waiting in a real browser: shared by the browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import socket
import threading

from argonet.conf.serve import ServeConfig
from argonet.serve.app import create_app
from argonet.serve.jobs import Worker

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
WAIT_S = 60


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(runs: str, data: str, worker: bool = False) -> Iterator[str]:
    """uvicorn (and, with ``worker``, the training worker) on 127.0.0.1; yields the base URL."""
    import uvicorn

    cfg = ServeConfig(runs=runs, data=data, port=free_port(), poll_s=0.5)
    app = create_app(cfg)
    jobs = Worker(app.state.ctx.store) if worker else None
    if jobs is not None:
        jobs.start()
    uv = uvicorn.Server(uvicorn.Config(app, host=cfg.host, port=cfg.port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    while not uv.started:
        thread.join(0.05)
    try:
        yield f"http://127.0.0.1:{cfg.port}"
    finally:
        uv.should_exit = True
        thread.join(10)
        if jobs is not None:
            jobs.close()


def wait(driver, condition, timeout: float = WAIT_S):
    """Poll ``condition(driver)`` until it is truthy; its value."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(condition)
