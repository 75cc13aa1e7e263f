"""``argonet sweep``: hyper-parameter search with Optuna around an ``argonet train`` configuration.

Each trial is an ordinary training run in ``<output_dir>/trial_NNNN`` (its ``config.yaml`` beside
the checkpoints). The study lives in a database (SQLite in the sweep folder by default, or a
PostgreSQL URL shared by workers on several machines); running the same command again resumes it:
finished trials are kept, trials whose worker died are failed and retried with the same values.
Pruning reads the engine's per-epoch validation records through an epoch callback.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.util import find_spec
import multiprocessing
import os
from pathlib import Path
import socket
import warnings
from typing import Any

import optuna
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.trial import FrozenTrial, Trial, TrialState

from argonet.conf.sweep import SweepConfig, objective_key
from argonet.errors import ArgonetError, ConfigError
from argonet.io.atomic import process_alive
from argonet.recipes.sweep_report import config_yaml, redact, write_atomic, write_reports, write_sweep_json
from argonet.recipes.sweep_plan import SweepPlan, make_plan
from argonet.recipes.sweep_space import apply_params
from argonet.recipes.sweep_trial import cpu_s_per_event, parameter_count, train_trial, trained_model
from argonet.train.engine import EpochCallback

HOST = socket.gethostname()
_COUNTED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING)


class SurplusTrial(ArgonetError):
    """Other workers already started the sweep's last trials; this one is dropped unrun."""


class WorkerError(ArgonetError):
    """A worker process of the sweep ended with an error."""


def database_url(url: str) -> str:
    """``url`` for SQLAlchemy: plain ``postgresql://`` uses psycopg2 where psycopg 3 is not installed."""
    if url.startswith("postgresql://") and find_spec("psycopg") is None and find_spec("psycopg2") is not None:
        return "postgresql+psycopg2://" + url.removeprefix("postgresql://")
    return url


def open_storage(plan: SweepPlan) -> RDBStorage:
    """The study database, with heartbeats: a trial whose worker stops beating is failed and retried."""
    kwargs = {"connect_args": {"timeout": 60}} if plan.storage_url.startswith("sqlite") else {"pool_pre_ping": True}
    beat = plan.options.heartbeat_s
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            retry = RetryHeartbeatStaleTrialCallback(max_retry=2)
            return RDBStorage(database_url(plan.storage_url), engine_kwargs=kwargs, heartbeat_interval=beat,
                              grace_period=3 * beat, heartbeat_stale_trial_callback=retry)
    except (ImportError, ModuleNotFoundError) as err:
        scheme = plan.storage_url.split("://")[0]
        raise ConfigError("sweep.storage", f"no database driver for {scheme} ({err})") from None
    except Exception as err:        # SQLAlchemy: server unreachable, bad URL, no permission
        raise ConfigError("sweep.storage", f"cannot open {redact(plan.storage_url)}: "
                          f"{str(err).strip().splitlines()[0]}") from None


def _sampler(plan: SweepPlan, worker: int) -> optuna.samplers.BaseSampler:
    """TPE (or random) seeded with ``seed + worker``: the same sweep proposes the same trials."""
    seed = plan.options.seed + worker
    if plan.options.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, constant_liar=True)


def _pruner(plan: SweepPlan) -> optuna.pruners.BasePruner:
    """Median (after ``prune_startup_trials``), Hyperband over the epochs, or none."""
    name = plan.options.pruner
    if name == "auto":
        name = "median" if len(plan.objectives) == 1 else "none"
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=plan.options.prune_startup_trials)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=plan.base["run"]["epochs"])
    return optuna.pruners.NopPruner()


def open_study(plan: SweepPlan, worker: int = 0) -> optuna.Study:
    """Create or join the study; ConfigError when it exists with another space or other objectives."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    plan.folder.mkdir(parents=True, exist_ok=True)
    study = optuna.create_study(storage=open_storage(plan), study_name=plan.options.study, load_if_exists=True,
                                directions=[d for _, d in plan.objectives], sampler=_sampler(plan, worker),
                                pruner=_pruner(plan))
    stored = study.user_attrs.get("argonet_sweep")
    if stored is None:
        study.set_user_attr("argonet_sweep", plan.describe())
    elif stored != plan.describe():
        raise ConfigError("sweep.study", f"study {plan.options.study!r} in {redact(plan.storage_url)} was made with "
                          "another task, space or objectives; use a new sweep.output_dir or sweep.study")
    return study


def counted(trial: FrozenTrial) -> bool:
    """Whether a trial counts towards ``sweep.trials`` (interrupted and surplus trials do not)."""
    return trial.state in _COUNTED or (trial.state == TrialState.FAIL and "error" in trial.user_attrs)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (never this process: it has just started)."""
    return pid != os.getpid() and process_alive(pid)


def recover(study: optuna.Study) -> list[int]:
    """Fail the running trials of dead workers on this machine and enqueue a retry of every interrupted
    trial not yet retried (same values, a new trial and folder); the numbers of the retried trials."""
    storage = study._storage
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        host, _, pid = str(trial.user_attrs.get("worker", "")).rpartition(":")
        if host == HOST and pid.isdigit() and not _alive(int(pid)):
            try:
                storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
            except RuntimeError:           # another worker finished it meanwhile
                continue
    trials = study.get_trials(deepcopy=False)
    retried = {t.user_attrs.get("retry_of", t.system_attrs.get("failed_trial")) for t in trials}
    again = [t for t in trials if t.state == TrialState.FAIL and not counted(t) and "surplus" not in t.user_attrs
             and t.number not in retried]
    for trial in again:
        study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number})
    return [t.number for t in again]


def _history_value(record: dict[str, float], name: str) -> float:
    """An objective read from a training-history record; ConfigError naming what the record holds."""
    key = objective_key(name)
    if key not in record:
        have = ", ".join(k.replace("_", "/", 1) for k in record if k.startswith(("val_", "train_")))
        raise ConfigError("sweep.objective", f"training reports no {name} (it reports {have})")
    return float(record[key])


def pruning_callback(trial: Trial, name: str) -> EpochCallback:
    """An engine epoch callback: report the objective of each epoch; TrialPruned when the pruner says so."""

    def report(epoch: int, record: dict[str, float]) -> None:
        value = _history_value(record, name)
        trial.report(value, epoch)
        if trial.should_prune():
            raise optuna.TrialPruned(f"pruned after epoch {epoch}: {name} {value:.4g}")

    return report


def _objective(plan: SweepPlan):
    """Optuna's objective: one training run per trial, returning the objective values."""
    names = [n for n, _ in plan.objectives]

    def objective(trial: Trial) -> float | tuple[float, ...]:
        trial.set_user_attr("worker", f"{HOST}:{os.getpid()}")
        earlier = [t for t in trial.study.get_trials(deepcopy=False) if t.number < trial.number and counted(t)]
        if len(earlier) >= plan.options.trials:
            trial.set_user_attr("surplus", True)
            raise SurplusTrial(f"trial {trial.number}: the study already has {plan.options.trials} trials")
        try:
            return _train(plan, trial, names)
        except optuna.TrialPruned:
            raise
        except ArgonetError as err:
            trial.set_user_attr("error", str(err))
            raise

    return objective


def _train(plan: SweepPlan, trial: Trial, names: list[str]) -> float | tuple[float, ...]:
    """Train the trial's configuration in its own folder and measure its objectives."""
    params = {p.key: p.suggest(trial) for p in plan.space}
    name = f"trial_{trial.number:04d}"
    trial.set_user_attr("run_dir", name)
    cfg = apply_params(plan.base, params, str(plan.folder / name))
    (plan.folder / name).mkdir(parents=True, exist_ok=True)
    write_atomic(plan.folder / name / "config.yaml", config_yaml(cfg))
    callbacks = [pruning_callback(trial, names[0])] if len(names) == 1 and not names[0].startswith("cost/") else []
    result = train_trial(cfg, callbacks)
    history = result.history
    with_val = [r for r in history if "val_loss" in r]
    record = min(with_val, key=lambda r: r["val_loss"]) if with_val else history[-1]
    model = trained_model(result.checkpoint)
    measured = {"cost_parameters": float(parameter_count(model))}
    if "cost/cpu_s_per_event" in names:
        measured["cost_cpu_s_per_event"] = cpu_s_per_event(cfg, model, plan.options.cost_batches)
    trial.set_user_attr("metrics", {k: v for k, v in {**record, **measured}.items() if isinstance(v, (int, float))})
    trial.set_user_attr("stopped", result.stopped)
    values = tuple(measured[objective_key(n)] if n.startswith("cost/") else _history_value(record, n) for n in names)
    return values[0] if len(values) == 1 else values


def work(plan: SweepPlan, worker: int = 0, ready: Any = None) -> None:
    """One worker: run trials of the shared study until it has ``sweep.trials`` of them (``ready`` is set
    once the study is open)."""
    study = open_study(plan, worker)
    if ready is not None:
        ready.set()
    objective = _objective(plan)
    while True:
        trials = study.get_trials(deepcopy=False)
        waiting = any(t.state == TrialState.WAITING for t in trials)
        started = sum(counted(t) and t.state != TrialState.WAITING for t in trials)
        if started >= plan.options.trials and not waiting:
            break
        study.optimize(objective, n_trials=1, catch=(ArgonetError,),
                       callbacks=[lambda s, _t: write_sweep_json(plan, s)])


def _start_workers(plan: SweepPlan) -> list[Any]:
    """Spawn workers 1 .. N-1 and wait until each has opened the study (so that all start together)."""
    context = multiprocessing.get_context("spawn")
    started = []
    for i in range(1, plan.options.workers):
        ready = context.Event()
        process = context.Process(target=work, args=(plan, i, ready), name=f"sweep-worker-{i}")
        process.start()
        started.append((process, ready))
    for process, ready in started:
        while not ready.wait(1.0) and process.is_alive():
            pass
    return [process for process, _ in started]


@dataclass
class SweepSummary:
    """How a sweep ended: trial counts by state, the best trials and the files written."""

    folder: Path
    states: dict[str, int]
    best: list[dict[str, Any]]
    retried: list[int]
    files: list[Path]


def run_sweep(cfg: SweepConfig) -> SweepSummary:
    """Run (or resume) the sweep of ``cfg`` with ``sweep.workers`` processes, then write its report."""
    plan = make_plan(cfg)
    study = open_study(plan)
    retried = recover(study)
    others = _start_workers(plan)
    try:
        work(plan, 0)
    finally:
        for process in others:
            process.join()
    failed = [p.name for p in others if p.exitcode != 0]
    if failed:
        raise WorkerError(f"sweep: {', '.join(failed)} ended with an error (see above); run the command again "
                          "to resume")
    report = write_reports(plan, study)
    return SweepSummary(plan.folder, report["states"], report["best"], retried, report["files"])
