"""The FastAPI application of ``argonet serve``: pages rendered on the server, a JSON API they share.

Pages: ``/runs`` (table; a sweep is one row, its trials under it), ``/run/{name}``, ``/sweep/{name}``,
``/compare``, ``/data`` (files), ``/data/{file}`` (events), ``/event``, ``/select`` (the events behind a
confusion-matrix cell), ``/jobs``. API: ``/api/runs``, ``/api/runs/{name}``, ``/api/sweeps``,
``/api/sweeps/{name}``, ``/api/jobs``, ``/api/jobs/{id}``. Files are served from under ``runs=`` and
``data=`` only; off loopback every request must carry the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from argonet import __version__
from argonet.conf.serve import ServeConfig
from argonet.errors import ArgonetError, DataError
from argonet.serve import events, jobs, plots, runs, sweeps
from argonet.serve.safety import TOKEN_COOKIE, PathRefused, resolve_under, same_origin, token_ok
from argonet.serve.store import Store

PAGE_EVENTS = 100
WORST_EVENTS_SCANNED = 5000


@dataclass
class Context:
    """What every request handler needs: the two roots, the store, the configuration."""

    cfg: ServeConfig
    runs_root: Path
    data_root: Path
    store: Store


def _templates() -> Jinja2Templates:
    folder = resources.files("argonet.serve").joinpath("templates")
    templates = Jinja2Templates(directory=str(folder))
    templates.env.filters["tojson_fig"] = plots.to_json
    templates.env.filters["num"] = lambda v: "" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v))
    templates.env.filters["duration"] = _duration
    templates.env.filters["yaml"] = _yaml
    return templates


def _duration(seconds: float | None) -> str:
    """'1 h 02 min', '3 min 05 s', '12 s'."""
    if not seconds:
        return ""
    s = int(round(seconds))
    return f"{s // 3600} h {s % 3600 // 60:02d} min" if s >= 3600 else f"{s // 60} min {s % 60:02d} s" if s >= 60 \
        else f"{s} s"


def _yaml(config: Any) -> str:
    """A nested config as YAML text."""
    from omegaconf import OmegaConf

    return OmegaConf.to_yaml(OmegaConf.create(config))


def _static_file(name: str) -> Path:
    """A packaged static file (plotly.min.js comes from the plotly wheel itself: no network needed)."""
    if name == "plotly.min.js":
        import plotly

        return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if name not in ("app.css", "app.js"):
        raise PathRefused(f"no static file {name!r}")
    return Path(str(resources.files("argonet.serve").joinpath("static", name)))


def create_app(cfg: ServeConfig) -> FastAPI:
    """The application for ``cfg`` (the worker is started by ``serve.server``, not here)."""
    runs_root, data_root = Path(cfg.runs).resolve(), Path(cfg.data).resolve()
    for field, folder in (("runs", runs_root), ("data", data_root)):
        if not folder.is_dir():
            raise DataError(f"{field}={folder}: no such folder")
    database = Path(cfg.database) if cfg.database else runs_root / ".argonet-serve.sqlite"
    ctx = Context(cfg, runs_root, data_root, Store(database))
    app = FastAPI(title="argonet", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = ctx
    templates = _templates()

    @app.middleware("http")
    async def require_token(request: Request, call_next):
        given = request.query_params.get("token")
        if not token_ok(cfg.token, given, request.cookies.get(TOKEN_COOKIE), request.headers.get("authorization")):
            return PlainTextResponse("401: this server needs its token (?token=...)", status_code=401)
        if request.method == "POST" and not same_origin(request.headers.get("origin"), request.headers.get("host")):
            return PlainTextResponse("403: forms are accepted from this server's own pages only", status_code=403)
        response = await call_next(request)
        if cfg.token and given:
            response.set_cookie(TOKEN_COOKIE, cfg.token, httponly=True, samesite="strict")
        return response

    @app.exception_handler(PathRefused)
    async def refused(request: Request, err: PathRefused):
        return _error(request, 404, str(err))

    @app.exception_handler(ArgonetError)
    async def argonet_error(request: Request, err: ArgonetError):
        return _error(request, 422, str(err))

    def _error(request: Request, status: int, message: str) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=status)
        return page(request, "error.html", status_code=status, message=message)

    def page(request: Request, name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, {"version": __version__, "poll_ms": int(cfg.poll_s * 1000),
                                                          **values}, status_code=status_code)

    def run_folder(name: str) -> Path:
        folder = resolve_under(runs_root, name)
        if not folder.is_dir() or folder == runs_root:
            raise PathRefused(f"no run {name!r}")
        return folder

    def run_detail(name: str) -> dict[str, Any]:
        folder = run_folder(name)
        run = runs.detail(runs_root, folder)
        trial = sweeps.sweep_of(runs_root, folder)
        if trial is not None:
            run.update(sweep=trial[0], trial=trial[1]["number"], trial_state=trial[1].get("state"))
            run["status"] = "pruned" if trial[1].get("state") == "pruned" else run["status"]
        return run

    def sweep_folder(name: str) -> Path:
        folder = resolve_under(runs_root, name)
        if not (folder / sweeps.SWEEP_FILE).is_file() or folder == runs_root:
            raise PathRefused(f"no sweep {name!r}")
        return folder

    # ---- runs ----------------------------------------------------------------------------------------
    @app.get("/")
    def home() -> RedirectResponse:
        return RedirectResponse("/runs")

    @app.get("/api/runs")
    def api_runs() -> list[dict[str, Any]]:
        rows = ctx.store.refresh_runs(runs_root)
        sweeps.group_runs(runs_root, rows)          # trials gain their sweep, and its state when pruned
        return rows

    @app.get("/api/sweeps")
    def api_sweeps() -> list[dict[str, Any]]:
        found, _ = sweeps.group_runs(runs_root, ctx.store.refresh_runs(runs_root))
        return [{**s, "runs": [r["name"] for r in s["runs"]]} for s in found]

    @app.get("/api/sweeps/{name:path}")
    def api_sweep(name: str) -> dict[str, Any]:
        return sweeps.detail(runs_root, sweep_folder(name))

    @app.get("/sweep/{name:path}", response_class=HTMLResponse)
    def sweep_page(request: Request, name: str):
        sweep = sweeps.detail(runs_root, sweep_folder(name))
        figures = {f"history{i}": plots.sweep_history_figure(sweep["trials"], o, i, len(sweep["objectives"]) == 1)
                   for i, o in enumerate(sweep["objectives"])}
        if len(sweep["objectives"]) > 1:
            figures["pareto"] = plots.sweep_pareto_figure(sweep["trials"], sweep["objectives"], sweep["pareto"])
        return page(request, "sweep.html", sweep=sweep, figures=figures)

    @app.get("/image/{path:path}")
    def image(path: str) -> FileResponse:
        """A PNG under ``runs=`` shown in the page (other files only download)."""
        target = resolve_under(runs_root, path)
        if not target.is_file() or target.suffix.lower() != ".png":
            raise PathRefused(f"no image {path!r}")
        return FileResponse(target, media_type="image/png")

    @app.get("/api/runs/{name:path}")
    def api_run(name: str) -> dict[str, Any]:
        return run_detail(name)

    @app.get("/runs", response_class=HTMLResponse)
    def runs_page(request: Request):
        rows = ctx.store.refresh_runs(runs_root)
        keys = sorted({k for r in rows for k in r["metrics"] if "plane" not in k}, key=_metric_order)[:6]
        found, plain = sweeps.group_runs(runs_root, rows)
        return page(request, "runs.html", rows=plain, sweeps=found, n_runs=len(rows), metric_keys=keys)

    def curve_figures(run: dict[str, Any]) -> dict[str, Any]:
        settings = (run["config"] or {}).get("run") or {}
        batch = (settings.get("batch_size") or 1) * (settings.get("accumulate") or 1)
        scalars = {run["name"]: run["scalars"]}
        return {"loss": plots.loss_figure(scalars), "metrics": plots.metric_figure(scalars),
                "rates": plots.rate_figure(run["scalars"], batch)}

    @app.get("/api/live/{name:path}")
    def api_live(name: str) -> Response:
        """What a live run page redraws: status, curves, log tail."""
        run = run_detail(name)
        body = {"status": run["status"], "figures": curve_figures(run), "log": run["log"]}
        return Response(plots.to_json(body), media_type="application/json")

    @app.get("/run/{name:path}", response_class=HTMLResponse)
    def run_page(request: Request, name: str):
        run = run_detail(name)
        return page(request, "run.html", run=run, figures=curve_figures(run), evaluations=_evaluation_figures(run))

    @app.get("/download/{path:path}")
    def download(path: str) -> FileResponse:
        target = resolve_under(runs_root, path)
        if not target.is_file():
            raise PathRefused(f"no file {path!r}")
        return FileResponse(target, filename=target.name)

    @app.get("/compare", response_class=HTMLResponse)
    def compare_page(request: Request, run: list[str] = Query(default=[])):  # noqa: B008
        names = list(dict.fromkeys(run or []))
        if names and not 2 <= len(names) <= 5:
            raise DataError(f"pick 2 to 5 runs to compare (got {len(names)})")
        picked = [run_detail(n) for n in names]
        scalars = {r["name"]: r["scalars"] for r in picked}
        figures = {"loss": plots.loss_figure(scalars), "metrics": plots.metric_figure(scalars)} if picked else {}
        metric_keys = sorted({k for r in picked for k in r["metrics"]})
        diff = _config_diff([r["config"] for r in picked]) if picked else []
        return page(request, "compare.html", runs=picked, all_runs=ctx.store.refresh_runs(runs_root),
                    figures=figures, metric_keys=metric_keys, diff=diff)

    def _evaluation_figures(run: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for ev in run["evaluations"]:
            report, figs = ev["report"], {}
            if ev["kind"] == "classify":
                figs["confusion"] = plots.confusion_figure(report["confusion"], report["class_names"],
                                                           f"confusion matrix ({report.get('split', '')} split)")
                figs["efficiency"] = plots.efficiency_figure(report)
                if report.get("roc"):
                    figs["roc"] = plots.roc_figure(report)
            elif ev["kind"] == "segment":
                figs["iou"] = plots.iou_figure(report)
                for plane, counts in (report.get("confusion") or {}).items():
                    figs[f"confusion {plane}"] = plots.confusion_figure(counts, report["class_names"],
                                                                        f"{plane}: pixels")
            out.append({**ev, "figures": figs, "data_file": _data_name(report)})
        return out

    def _data_name(report: dict[str, Any]) -> str | None:
        """The evaluated file relative to ``data=`` (None when it is elsewhere)."""
        files = report.get("files") or [report.get("output") or report.get("file")]
        for file in files:
            if file and Path(file).resolve().is_relative_to(data_root) and Path(file).is_file():
                return Path(file).resolve().relative_to(data_root).as_posix()
        return None

    @app.get("/select", response_class=HTMLResponse)
    def select_page(request: Request, eval: str, true: str | None = None, pred: str | None = None,
                    roc: str | None = None, bkg_eff: float | None = None):
        metrics_path = resolve_under(runs_root, eval)
        report = runs.read_json(metrics_path)
        predictions = metrics_path.with_name("predictions.csv")
        if not predictions.is_file():
            raise DataError(f"{eval}: no predictions.csv beside it (evaluate writes one per event)")
        if roc:
            rows = runs.false_positives(predictions, roc, 0.0 if bkg_eff is None else bkg_eff)
            heading = (f"{len(rows)} background events that the {roc} selection keeps at background "
                       f"efficiency {bkg_eff or 0:.3f}")
        else:
            rows = runs.predictions_where(predictions, true or None, pred or None)
            heading = f"{len(rows)} events: true {true or 'any'}, predicted {pred or 'any'}"
        return page(request, "select.html", eval=eval, heading=heading, rows=rows, n_rows=len(rows),
                    data_file=_data_name(report), class_names=report.get("class_names", []))

    # ---- events --------------------------------------------------------------------------------------
    @app.get("/data", response_class=HTMLResponse)
    def data_page(request: Request):
        return page(request, "files.html", files=events.data_files(data_root))

    @app.get("/data/{file:path}", response_class=HTMLResponse)
    def events_page(request: Request, file: str, start: int = 0, cls: str | None = None):
        path = resolve_under(data_root, file)
        if not path.is_file():
            raise PathRefused(f"no file {file!r}")
        table = events.event_table(path)
        classes = table["columns"].get("class")
        entries = None
        if cls and classes is not None:
            entries = [i for i, c in enumerate(classes.tolist()) if c == cls]
        n = table["n_events"] if entries is None else len(entries)
        start = max(0, min(start, max(n - 1, 0)))
        import numpy as np

        rows = events.event_rows(table, start, start + PAGE_EVENTS, None if entries is None else np.array(entries, int))
        class_list = sorted(set(classes.tolist()) - {""}) if classes is not None else []
        return page(request, "events.html", file=file, rows=rows, n=n, start=start, page_size=PAGE_EVENTS, cls=cls,
                    classes=class_list, products=table["products"], total=table["n_events"],
                    predictions=events.prediction_producers(table["products"]))

    @app.get("/event", response_class=HTMLResponse)
    def event_page(request: Request, file: str, entry: int, prediction: str | None = None, eval: str | None = None,
                   zoom: bool = True):
        path = resolve_under(data_root, file)
        if not path.is_file():
            raise PathRefused(f"no file {file!r}")
        view = events.event_view(path, entry, prediction or None, zoom)
        classified = None
        if eval:
            predictions = resolve_under(runs_root, eval).with_name("predictions.csv")
            if predictions.is_file():
                classified = next((r for r in runs.predictions_where(predictions, None, None)
                                   if r["entry"] == str(entry)), None)
        return page(request, "event.html", file=file, view=view, figure=plots.event_figure(view), eval=eval,
                    classified=classified, prediction=prediction, zoom=zoom)

    @app.get("/worst", response_class=HTMLResponse)
    def worst_page(request: Request, file: str, prediction: str, limit: int = WORST_EVENTS_SCANNED):
        path = resolve_under(data_root, file)
        if not path.is_file():
            raise PathRefused(f"no file {file!r}")
        rows = events.per_event_iou(path, prediction, limit)
        return page(request, "worst.html", file=file, prediction=prediction, rows=rows[:PAGE_EVENTS],
                    n_scanned=len(rows))

    # ---- jobs ----------------------------------------------------------------------------------------
    @app.get("/jobs", response_class=HTMLResponse)
    def jobs_page(request: Request):
        return page(request, "jobs.html", jobs=ctx.store.jobs(), files=events.data_files(data_root), form={},
                    error=None)

    @app.post("/jobs", response_class=HTMLResponse)
    async def submit_job(request: Request):
        form = {k: str(v) for k, v in (await request.form()).items()}
        try:
            job_id = jobs.submit(ctx.store, jobs.request_from_form(form, runs_root, data_root), runs_root)
        except ArgonetError as err:
            return page(request, "jobs.html", status_code=422, jobs=ctx.store.jobs(),
                        files=events.data_files(data_root), form=form, error=str(err))
        return RedirectResponse(f"/jobs/{job_id}", status_code=303)

    def job_or_404(job_id: int) -> dict[str, Any]:
        job = ctx.store.job(job_id)
        if job is None:
            raise PathRefused(f"no job {job_id}")
        return job

    @app.get("/api/jobs")
    def api_jobs() -> list[dict[str, Any]]:
        return ctx.store.jobs()

    @app.get("/api/jobs/{job_id}")
    def api_job(job_id: int, offset: int = 0) -> dict[str, Any]:
        job = job_or_404(job_id)
        text = ""
        log = Path(job["log"])
        if log.is_file():
            with open(log, "rb") as f:
                f.seek(max(0, offset))
                text = f.read(1 << 20).decode("utf-8", "replace")
        return {**job, "log_text": text, "log_offset": max(0, offset) + len(text.encode())}

    @app.get("/jobs/{job_id}", response_class=HTMLResponse)
    def job_page(request: Request, job_id: int):
        job = job_or_404(job_id)
        name = Path(job["output_dir"]).relative_to(runs_root).as_posix() \
            if Path(job["output_dir"]).is_relative_to(runs_root) else None
        return page(request, "job.html", job=job, run_name=name)

    @app.post("/jobs/{job_id}/stop")
    def stop_job(job_id: int) -> RedirectResponse:
        job_or_404(job_id)
        ctx.store.request_stop(job_id)
        return RedirectResponse(f"/jobs/{job_id}", status_code=303)

    @app.post("/jobs/{job_id}/resume")
    def resume_job(job_id: int) -> RedirectResponse:
        job = job_or_404(job_id)
        if job["status"] not in ("stopped", "failed"):
            raise DataError(f"job {job_id} is {job['status']}; only a stopped or failed job resumes")
        return RedirectResponse(f"/jobs/{jobs.resume(ctx.store, job)}", status_code=303)

    @app.get("/static/{name}")
    def static(name: str) -> FileResponse:
        return FileResponse(_static_file(name), headers={"Cache-Control": "max-age=3600"})

    return app


def _metric_order(key: str) -> tuple[int, str]:
    """Evaluation figures first, then validation accuracy / mIoU, then the validation loss, then the rest."""
    rank = 0 if not key.startswith("val_") else 1 if key in ("val_accuracy", "val_miou") else \
        2 if key == "val_loss" else 3
    return rank, key


def _flatten(config: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(config, dict):
        out: dict[str, Any] = {}
        for k, v in config.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): config}


def _config_diff(configs: list[dict[str, Any]]) -> list[tuple[str, list[Any]]]:
    """The dotted keys whose values differ between configs, with each config's value."""
    flat = [_flatten(c) for c in configs]
    keys = sorted(set().union(*flat))
    return [(k, [f.get(k) for f in flat]) for k in keys if len({repr(f.get(k)) for f in flat}) > 1]
