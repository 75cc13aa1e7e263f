"""What a sweep writes: ``sweep.json`` (every trial, for the web front end), the winning configuration
(``best.yaml`` and ``best.overrides`` for ``argonet train``), and ``report.md`` / ``report.json`` with
parameter importances, optimisation history, parallel-coordinate and Pareto plots (PNG and HTML)."""

from __future__ import annotations

from dataclasses import asdict
import json
import math
from pathlib import Path
import re
from typing import Any

import numpy as np
from omegaconf import OmegaConf
import optuna
from optuna.trial import FrozenTrial, TrialState

from argonet.conf.classify import TrainCommandConfig
from argonet.io.atomic import AtomicPath
from argonet.recipes.sweep_plan import SweepPlan
from argonet.recipes.sweep_space import apply_params
from argonet.viz.sweep import plot_history, plot_importances, plot_parallel, plot_pareto

_STATES = {TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned", TrialState.FAIL: "failed",
           TrialState.RUNNING: "running", TrialState.WAITING: "waiting"}
_PLAIN = re.compile(r"^[\w./:*+-]+$")


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` under a temporary name and rename it onto ``path`` (replacing an older version)."""
    out = AtomicPath(path, overwrite=True)
    out.tmp.write_text(text)
    return out.commit()


def config_yaml(cfg: Any) -> str:
    """A training configuration as YAML."""
    return OmegaConf.to_yaml(OmegaConf.structured(cfg))


def redact(url: str) -> str:
    """A database URL without its password."""
    head, sep, rest = url.partition("://")
    if "@" in rest and ":" in rest.split("@")[0]:
        user = rest.split("@")[0].split(":")[0]
        return f"{head}{sep}{user}:***@{rest.split('@', 1)[1]}"
    return url


def _value(value: Any) -> str:
    """A value as an ``argonet train`` override understands it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_value(v) for v in value) + "]"
    text = str(value)
    return text if _PLAIN.match(text) else "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted keys of a nested dict (mappings are opened, lists are values)."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out |= _flat(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


def overrides(cfg: TrainCommandConfig) -> list[str]:
    """``key=value`` overrides that turn the default ``argonet train`` configuration into ``cfg``."""
    default = _flat(asdict(TrainCommandConfig()))
    return [f"{k}={_value(v)}" for k, v in _flat(asdict(cfg)).items() if k not in default or default[k] != v]


def _trial_value(trial: FrozenTrial) -> list[float] | None:
    """The objective values; a pruned trial's last reported value."""
    if trial.values is not None:
        return [float(v) for v in trial.values]
    if trial.state == TrialState.PRUNED and trial.intermediate_values:
        return [float(trial.intermediate_values[max(trial.intermediate_values)])]
    return None


def trial_rows(study: optuna.Study) -> list[dict[str, Any]]:
    """One plain record per trial (surplus trials left out)."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        if "surplus" in t.user_attrs:
            continue
        values = _trial_value(t)
        state = _STATES.get(t.state, t.state.name.lower())
        if t.state == TrialState.FAIL and "error" not in t.user_attrs:
            state = "interrupted"
        rows.append({"number": t.number, "name": f"trial_{t.number:04d}", "state": state, "params": t.params,
                     "values": values, "value": values[0] if values else None,
                     "run_dir": t.user_attrs.get("run_dir"), "intermediate": {str(k): v for k, v in
                                                                              t.intermediate_values.items()},
                     "metrics": t.user_attrs.get("metrics", {}), "worker": t.user_attrs.get("worker"),
                     "error": t.user_attrs.get("error"), "retry_of": t.user_attrs.get("retry_of"),
                     "started": t.datetime_start.isoformat() if t.datetime_start else None,
                     "finished": t.datetime_complete.isoformat() if t.datetime_complete else None})
    return rows


def best_trials(plan: SweepPlan, study: optuna.Study) -> list[FrozenTrial]:
    """The best complete trial (one objective) or the Pareto front, ordered by the first objective."""
    done = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
    if not done:
        return []
    front = study.best_trials if len(plan.objectives) > 1 else [study.best_trial]
    sign = 1.0 if plan.objectives[0][1] == "minimize" else -1.0
    return sorted(front, key=lambda t: (sign * t.values[0], t.number))


def write_sweep_json(plan: SweepPlan, study: optuna.Study) -> Path:
    """``sweep.json``: the study, its objectives and space, every trial and where it ran."""
    best = best_trials(plan, study)
    doc = {"kind": "argonet-sweep", "study": plan.options.study, "folder": str(plan.folder),
           "storage": redact(plan.storage_url), "task": plan.base["task"],
           "objectives": [{"name": n, "direction": d} for n, d in plan.objectives],
           "space": [p.describe() for p in plan.space], "trials_wanted": plan.options.trials,
           "best": [t.number for t in best], "pareto": [t.number for t in best] if len(plan.objectives) > 1 else [],
           "trials": trial_rows(study)}
    return write_atomic(plan.folder / "sweep.json", json.dumps(doc, indent=1, default=str) + "\n")


def _importances(plan: SweepPlan, study: optuna.Study) -> dict[str, Any]:
    """fANOVA importance of each parameter, per objective; why not where too few trials finished."""
    out: dict[str, Any] = {}
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    for i, (name, _) in enumerate(plan.objectives):
        if len(done) < 2:
            out[name] = {"note": f"needs 2 complete trials ({len(done)} finished)"}
            continue
        try:
            found = optuna.importance.get_param_importances(
                study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0),
                target=(lambda t, i=i: t.values[i]) if len(plan.objectives) > 1 else None)
        except (RuntimeError, ValueError) as err:
            out[name] = {"note": str(err).splitlines()[0]}
            continue
        out[name] = {k: float(v) for k, v in found.items()}
    return out


def _save_png(fig: Any, path: Path) -> Path:
    """Save a matplotlib figure atomically and close it."""
    import matplotlib.pyplot as plt

    out = AtomicPath(path, overwrite=True)
    fig.savefig(out.tmp, format="png", dpi=110)
    plt.close(fig)
    return out.commit()


def _save_html(fig: Any, path: Path) -> Path:
    """Save a plotly figure atomically (plotly.min.js written once beside it)."""
    out = AtomicPath(path, overwrite=True)
    fig.write_html(str(out.tmp), include_plotlyjs="directory", full_html=True)
    return out.commit()


def _scaled(plan: SweepPlan, trials: list[FrozenTrial]) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Each trial's parameters scaled to [0, 1] along each axis, and the axis end labels."""
    columns, ends = [], []
    for p in plan.space:
        if p.kind == "categorical":
            index = {repr(c): i for i, c in enumerate(p.choices)}
            col = [index.get(repr(t.params.get(p.key)), math.nan) / max(len(p.choices) - 1, 1) for t in trials]
            ends.append((str(p.choices[0]), str(p.choices[-1])))
        else:
            low, high = (math.log(p.low), math.log(p.high)) if p.log else (p.low, p.high)
            span = (high - low) or 1.0
            raw = [t.params.get(p.key, math.nan) for t in trials]
            col = [((math.log(v) if p.log else v) - low) / span for v in raw]
            ends.append((f"{p.low:.3g}", f"{p.high:.3g}"))
        columns.append(col)
    return np.asarray(columns, dtype=float).T.reshape(len(trials), len(plan.space)), ends


def _figures(plan: SweepPlan, study: optuna.Study, importances: dict[str, Any]) -> list[Path]:
    """PNG (matplotlib) and HTML (optuna.visualization) figures of the study."""
    import optuna.visualization as ov

    folder, files = plan.folder, []
    name, direction = plan.objectives[0]
    finished = [t for t in study.get_trials(deepcopy=False) if t.state in (TrialState.COMPLETE, TrialState.PRUNED)
                and _trial_value(t) is not None]
    if not finished:
        return files
    values = [_trial_value(t)[0] for t in finished]
    best = np.minimum.accumulate(values) if direction == "minimize" else np.maximum.accumulate(values)
    files.append(_save_png(plot_history([t.number for t in finished], values, best, name,
                                        [t.state == TrialState.PRUNED for t in finished]), folder / "history.png"))
    scaled, ends = _scaled(plan, finished)
    files.append(_save_png(plot_parallel([p.key for p in plan.space], scaled, ends, values, name),
                           folder / "parallel.png"))
    found = {k: v for k, v in importances.get(name, {}).items() if k != "note"}
    if found:
        files.append(_save_png(plot_importances(list(found), list(found.values()), name), folder / "importances.png"))
    multi = len(plan.objectives) > 1
    target = {"target": (lambda t: t.values[0]), "target_name": name} if multi else {}
    complete = [t for t in finished if t.state == TrialState.COMPLETE]
    if multi and len(complete) >= 1:
        front = {t.number for t in study.best_trials}
        (n2, _), pair = plan.objectives[1], [(t.values[0], t.values[1]) for t in complete]
        files.append(_save_png(plot_pareto([a for a, _ in pair], [b for _, b in pair],
                                           [t.number in front for t in complete], (name, n2),
                                           [t.number for t in complete]), folder / "pareto.png"))
        files.append(_save_html(ov.plot_pareto_front(study, target_names=[n for n, _ in plan.objectives[:3]]
                                                     if len(plan.objectives) <= 3 else None), folder / "pareto.html"))
    if complete:
        files.append(_save_html(ov.plot_optimization_history(study, **target), folder / "history.html"))
        files.append(_save_html(ov.plot_parallel_coordinate(study, **target), folder / "parallel.html"))
    if found:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
        files.append(_save_html(ov.plot_param_importances(study, evaluator=evaluator, **target),
                                folder / "importances.html"))
    return files


def write_reports(plan: SweepPlan, study: optuna.Study) -> dict[str, Any]:
    """sweep.json, best.yaml + best.overrides, figures, report.json and report.md; returns the summary."""
    files = [write_sweep_json(plan, study)]
    rows = trial_rows(study)
    states: dict[str, int] = {}
    for row in rows:
        states[row["state"]] = states.get(row["state"], 0) + 1
    best = best_trials(plan, study)
    best_rows = [r for b in best for r in rows if r["number"] == b.number]
    if best:
        cfg = apply_params(plan.base, best[0].params, str(plan.folder / "best_run"))
        files.append(write_atomic(plan.folder / "best.yaml", config_yaml(cfg)))
        files.append(write_atomic(plan.folder / "best.overrides", "\n".join(overrides(cfg)) + "\n"))
    importances = _importances(plan, study)
    files += _figures(plan, study, importances)
    report = {"study": plan.options.study, "task": plan.base["task"],
              "objectives": [{"name": n, "direction": d} for n, d in plan.objectives], "states": states,
              "best": best_rows, "pareto": [r["number"] for r in best_rows] if len(plan.objectives) > 1 else [],
              "importances": importances, "history": [{"number": r["number"], "state": r["state"],
                                                       "values": r["values"]} for r in rows],
              "figures": [f.name for f in files if f.suffix in (".png", ".html")]}
    files.append(write_atomic(plan.folder / "report.json", json.dumps(report, indent=1, default=str) + "\n"))
    files.append(write_atomic(plan.folder / "report.md", _markdown(plan, report)))
    return {"states": states, "best": best_rows, "files": files}


def _markdown(plan: SweepPlan, report: dict[str, Any]) -> str:
    """The human-readable report."""
    names = [o["name"] for o in report["objectives"]]
    lines = [f"# Sweep `{plan.options.study}` ({report['task']})", "",
             "Objectives: " + ", ".join(f"{o['name']} ({o['direction']})" for o in report["objectives"]) + "  ",
             "Trials: " + ", ".join(f"{n} {s}" for s, n in sorted(report["states"].items())), "",
             "## " + ("Pareto front" if len(names) > 1 else "Best trial"), "",
             "| trial | " + " | ".join(names) + " | parameters |", "|---|" + "---|" * len(names) + "---|"]
    for row in report["best"]:
        values = " | ".join(f"{v:.4g}" for v in row["values"])
        params = ", ".join(f"{k}={_value(v)}" for k, v in row["params"].items())
        lines.append(f"| {row['name']} | {values} | {params} |")
    if report["best"]:
        lines += ["", "Run it again: `argonet train $(cat best.overrides)` (full configuration in best.yaml)."]
    lines += ["", "## Parameter importances (fANOVA)", ""]
    for name, found in report["importances"].items():
        lines.append(f"- {name}: " + (found["note"] if "note" in found else
                                      ", ".join(f"{k} {v:.2f}" for k, v in found.items())))
    lines += ["", "## Figures", ""] + [f"- [{f}]({f})" for f in report["figures"]]
    return "\n".join(lines) + "\n"
