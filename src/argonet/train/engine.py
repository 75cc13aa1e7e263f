"""The one training loop of argonet, for every task: ``train_one_epoch``, ``evaluate`` and ``fit``.

The loop never looks inside a task. A task is a callable ``task(model, batch)`` returning
``{"loss": scalar tensor, "output": tensor (N, ...), "target": ...}`` plus
``task.metrics(outputs, targets) -> {name: float}`` computed on the whole validation set; the
batch is whatever the loader yields, moved to the device. ``fit`` adds what a run needs around
the loop: mixed precision, gradient accumulation and clipping, a per-step learning-rate schedule,
DDP, early stopping on the validation loss, atomic checkpoints with exact resume, logs, and a
training-curve picture (``training_curves.png``) redrawn in the run folder at each epoch end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, is_dataclass
import math
from pathlib import Path
import time
from typing import Any, Protocol, runtime_checkable

import torch
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim import Optimizer
from torch.utils.data import DataLoader

from argonet.conf.train import OptimConfig, RunConfig
from argonet.errors import ArgonetError, ConfigError, DataError, raise_if_interrupted
from argonet.models.freezing import check_compatible, train_mode
from argonet.train import checkpoint as ckpt
from argonet.train.curves import write_training_curves
from argonet.data.loader import set_epoch
from argonet.train.distributed import DistInfo, all_reduce_sum, env_info, gather_objects, setup, \
    teardown, unwrap, wrap
from argonet.train.logging import RunLog
from argonet.train.optim import build_optimizer, build_scheduler
from argonet.train.runtime import Precision, autocast_dtype, determinism, resolve_device, seed_everything, to_device


@runtime_checkable
class Task(Protocol):
    """What the engine trains: a loss (and outputs) for a batch, metrics for a whole set."""

    def __call__(self, model: nn.Module, batch: Any) -> dict[str, Any]: ...

    def metrics(self, outputs: Tensor, targets: Any) -> dict[str, float]: ...


#: called after each epoch with the epoch number and that epoch's record (losses and validation metrics)
EpochCallback = Callable[[int, dict[str, float]], None]


class NonFiniteLossError(ArgonetError):
    """The training loss became NaN or infinite; training stopped and the last checkpoint was kept."""


@dataclass
class Progress:
    """Where a run stands; saved in every checkpoint so that a resumed run continues exactly."""

    epoch: int = 0
    epoch_batches: int = 0          # batches of ``epoch`` already trained
    step: int = 0                   # optimiser steps so far
    best_val_loss: float = math.inf
    bad_epochs: int = 0             # epochs since the validation loss last improved
    loss_sum: float = 0.0           # sum over this epoch's images of the training loss
    loss_count: int = 0
    history: list[dict] = field(default_factory=list)


@dataclass
class Loop:
    """The settings of ``train_one_epoch`` and ``evaluate`` besides model, task, data and optimiser."""

    precision: Precision
    info: DistInfo = field(default_factory=DistInfo)
    log: RunLog | None = None
    accumulate: int = 1
    clip_grad_norm: float | None = None
    max_steps: int | None = None
    checkpoint_every_steps: int = 0
    log_every_steps: int = 10
    save: Callable[[], Any] | None = None     # writes the last checkpoint; called on every rank
    checkpoint_path: Path | None = None       # where ``save`` writes (named when the loss turns NaN)
    resume_rng: dict | None = None            # random states to restore once the epoch's first batches are replayed
    epoch_rng: dict | None = None             # random states at the start of the epoch in progress


@dataclass
class FitResult:
    """How a run ended."""

    stopped: str                    # completed | early_stopping | max_steps
    progress: Progress
    checkpoint: Path | None         # the last checkpoint (rank 0), None on other ranks
    best: Path | None               # the checkpoint of the lowest validation loss

    @property
    def history(self) -> list[dict]:
        """One record per finished epoch: train_loss, val_loss, val_<metric>."""
        return self.progress.history


def _batch_len(out: dict[str, Any]) -> int:
    """Images in a batch, from the task's output (1 when it has no batch dimension)."""
    output = out.get("output")
    return int(output.shape[0]) if isinstance(output, Tensor) and output.ndim > 0 else 1


def _random_states(loader: DataLoader) -> dict[str, Any]:
    """This process's random states and the loader's own generator (which seeds its workers)."""
    generator = getattr(loader, "generator", None)
    return {"process": ckpt.rng_state(), "loader": generator.get_state() if generator is not None else None}


def _restore_random_states(loader: DataLoader, states: dict[str, Any]) -> None:
    """Undo ``_random_states``."""
    ckpt.set_rng_state(states["process"])
    if states["loader"] is not None and getattr(loader, "generator", None) is not None:
        loader.generator.set_state(states["loader"])


def _epoch_batches(loader: DataLoader, progress: Progress, loop: Loop) -> Iterator[Any]:
    """The batches of ``progress.epoch`` not yet trained, with the random streams of an uninterrupted run.

    On resume the epoch's first batches are read again (same order, same random draws) and thrown
    away, then the random states of the interruption are restored.
    """
    set_epoch(loader, progress.epoch)
    if loop.resume_rng is not None and progress.epoch_batches > 0:
        _restore_random_states(loader, loop.epoch_rng)
    elif loop.resume_rng is not None:
        _restore_random_states(loader, loop.resume_rng)
        loop.resume_rng = None
    loop.epoch_rng = _random_states(loader)
    batches = iter(loader)
    for _ in range(progress.epoch_batches):
        next(batches)
    if loop.resume_rng is not None:
        _restore_random_states(loader, loop.resume_rng)
        loop.resume_rng = None
    return batches


def _optimizer_step(optimizer: Optimizer, loop: Loop) -> None:
    """Unscale (fp16), clip, step, and clear the gradients."""
    scaler = loop.precision.scaler
    if loop.clip_grad_norm is not None:
        if scaler is not None:
            scaler.unscale_(optimizer)
        params = [p for group in optimizer.param_groups for p in group["params"]]
        torch.nn.utils.clip_grad_norm_(params, loop.clip_grad_norm)
    if scaler is not None:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def _check_finite(loss: Tensor, progress: Progress, loop: Loop, batch_index: int) -> float:
    """The loss summed over ranks; NaN or inf on any rank stops every rank with the same message."""
    total = all_reduce_sum(loss.detach().float().reshape(1), loop.info).item()
    if not math.isfinite(total):
        last = loop.checkpoint_path
        kept = f"last good checkpoint {last}" if last is not None and last.exists() else "no checkpoint written yet"
        raise NonFiniteLossError(f"train: loss is {total} at epoch {progress.epoch}, batch {batch_index}, after "
                                 f"{progress.step} optimiser steps; stopped ({kept}); lower optim.lr, set "
                                 "optim.clip_grad_norm or use run.amp=off")
    return total / loop.info.world_size


def train_one_epoch(model: nn.Module, task: Task, loader: DataLoader, optimizer: Optimizer, scheduler: Any,
                    loop: Loop, progress: Progress) -> bool:
    """Train over the rest of ``progress.epoch``; True when ``loop.max_steps`` stopped it early."""
    train_mode(model)
    precision, accumulate = loop.precision, loop.accumulate
    n_batches = len(loader)
    start, seen, t0 = progress.epoch_batches, 0, time.perf_counter()
    batches = _epoch_batches(loader, progress, loop)
    log = loop.log or RunLog(".", enabled=False)
    window: list[float] = []
    for i, batch in enumerate(log.progress(batches, n_batches - start, f"epoch {progress.epoch}"), start=start):
        raise_if_interrupted()
        group_start = i - i % accumulate
        group_size = min(accumulate, n_batches - group_start)
        step_now = i + 1 == group_start + group_size
        batch = to_device(batch, precision.device, precision.channels_last)
        no_sync = isinstance(model, DistributedDataParallel) and not step_now
        with model.no_sync() if no_sync else nullcontext():
            with precision.autocast():
                out = task(model, batch)
            loss = out["loss"]
            mean_loss = _check_finite(loss, progress, loop, i)
            scaled = loss / group_size
            (precision.scaler.scale(scaled) if precision.scaler is not None else scaled).backward()
        n = _batch_len(out)
        progress.loss_sum += (mean_loss if loop.info.world_size == 1 else loss.item()) * n
        progress.loss_count += n
        progress.epoch_batches, seen = i + 1, seen + n
        window.append(mean_loss)
        if not step_now:
            continue
        _optimizer_step(optimizer, loop)
        scheduler.step()
        progress.step += 1
        if progress.step % loop.log_every_steps == 0:
            rates = {f"lr_{g.get('name', k)}": g["lr"] for k, g in enumerate(optimizer.param_groups)}
            log.scalars("train", {"loss": sum(window) / len(window), **rates}, progress.step)
            log.postfix(loss=sum(window) / len(window), img_s=seen / (time.perf_counter() - t0))
            window.clear()
        if loop.checkpoint_every_steps and progress.step % loop.checkpoint_every_steps == 0 and loop.save:
            loop.save()
        if loop.max_steps is not None and progress.step >= loop.max_steps:
            return True
    return False


def _concat(items: list[Any]) -> Any:
    """Join per-batch targets: tensors along dim 0, dicts key by key, anything else as a flat list."""
    if not items:
        return items
    if isinstance(items[0], Tensor):
        return torch.cat([t.reshape(1) if t.ndim == 0 else t for t in items])
    if isinstance(items[0], dict):
        return {k: _concat([d[k] for d in items]) for k in items[0]}
    return [x for item in items for x in (item if isinstance(item, (list, tuple)) else [item])]


def _cpu(value: Any) -> Any:
    """Detached CPU copies of the tensors in a (nested) target."""
    if isinstance(value, Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _cpu(v) for k, v in value.items()}
    return value


def evaluate(model: nn.Module, task: Task, loader: DataLoader, loop: Loop) -> dict[str, float]:
    """Mean loss and the task's metrics over the whole loader (all ranks together)."""
    model.eval()
    precision = loop.precision
    log = loop.log or RunLog(".", enabled=False)
    loss_sum, count, outputs, targets = 0.0, 0, [], []
    with torch.inference_mode(), precision.autocast():
        for batch in log.progress(loader, len(loader), "validation"):
            out = task(model, to_device(batch, precision.device, precision.channels_last))
            n = _batch_len(out)
            loss_sum += out["loss"].float().item() * n
            count += n
            outputs.append(out["output"].float().cpu())
            targets.append(_cpu(out.get("target")))
    totals = all_reduce_sum(torch.tensor([loss_sum, count], dtype=torch.float64, device=precision.device), loop.info)
    gathered = gather_objects((_concat(outputs), _concat(targets)), loop.info)
    all_outputs = _concat([o for o, _ in gathered])
    all_targets = _concat([t for _, t in gathered])
    loss = (totals[0] / totals[1]).item() if totals[1] > 0 else math.nan
    return {"loss": loss, **task.metrics(all_outputs, all_targets)}


def _as_dict(config: Any) -> Any:
    """A dataclass config as a plain dict (checkpoints hold only plain types)."""
    return asdict(config) if is_dataclass(config) and not isinstance(config, type) else config


def fit(model: nn.Module, task: Task, train_loader: DataLoader, val_loader: DataLoader | None = None, *,
        optim: OptimConfig, run: RunConfig, class_names: list[str] | None = None,
        input_spec: dict[str, Any] | None = None, config: Any = None, echo: bool = True,
        build_report: str | None = None, callbacks: Sequence[EpochCallback] = ()) -> FitResult:
    """Train ``model`` for ``run.epochs`` epochs (or until early stopping / ``run.max_steps``).

    Checkpoints go to ``run.output_dir/checkpoint.pt`` (every ``run.checkpoint_every_steps`` and at
    each epoch end) and ``best.pt`` (lowest validation loss); ``run.resume`` continues from the
    former exactly. ``class_names``, ``input_spec``, ``config`` and the model's builder are stored for
    inference; ``build_report`` (how the model was built) is logged once.
    Each of ``callbacks`` is called on every rank after each epoch's checkpoint is written, with the
    epoch and its record (``train_loss``, ``val_loss``, ``val_<metric>``); an exception it raises
    stops training there and propagates, the checkpoints written so far being kept.
    """
    resume_state = ckpt.read_checkpoint(Path(run.output_dir) / ckpt.LAST) if run.resume else None
    device = resolve_device(run.device, env_info().local_rank)
    info = setup(device)
    log = RunLog(run.output_dir, enabled=info.is_main, tensorboard=run.tensorboard, progress=run.progress, echo=echo)
    meta = {"class_names": class_names, "input_spec": input_spec,
            "builder": getattr(unwrap(model), "argonet_builder", None),
            "config": _as_dict(config) if config is not None else {"optim": asdict(optim), "run": asdict(run)}}
    log.state(status="running", started=time.time(), error=None, stopped=None, **meta)
    try:
        with determinism(run.deterministic, device):
            result = _fit(model, task, train_loader, val_loader, optim, run, info, log, device, resume_state,
                          build_report, meta, tuple(callbacks))
        log.state(status="completed", stopped=result.stopped)
        return result
    except KeyboardInterrupt:
        log.state(status="interrupted", error="interrupted; continue from its checkpoint with run.resume=true")
        raise
    except BaseException as err:
        log.state(status="failed", error=(str(err).strip().splitlines() or [type(err).__name__])[0])
        raise
    finally:
        log.close()
        teardown(info)


def _fit(model: nn.Module, task: Task, train_loader: DataLoader, val_loader: DataLoader | None,
         optim: OptimConfig, run: RunConfig, info: DistInfo, log: RunLog, device: torch.device,
         state: dict[str, Any] | None, build_report: str | None, meta: dict[str, Any],
         callbacks: tuple[EpochCallback, ...] = ()) -> FitResult:
    """``fit`` once the process group, log and determinism are set up."""
    if len(train_loader) == 0:
        raise DataError("train: the training split gives no full batch; lower run.batch_size or add events")
    precision = Precision(device, autocast_dtype(run.amp, device), run.channels_last)
    model.to(device)
    if run.channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer = build_optimizer(unwrap(model), optim)
    scheduler = build_scheduler(optimizer, optim, math.ceil(len(train_loader) / run.accumulate), run.epochs)
    out_dir = Path(run.output_dir)
    progress = Progress()
    loop = Loop(precision, info, log, run.accumulate, optim.clip_grad_norm, run.max_steps,
                run.checkpoint_every_steps, run.log_every_steps)
    if state is not None:
        stored, built = state.get("builder"), getattr(unwrap(model), "argonet_builder", None)
        if stored and built and stored["name"] != built["name"]:
            raise ConfigError("run.resume", f"{out_dir / ckpt.LAST} holds a {stored['name']} model; this run "
                              f"builds {built['name']}: resume with the run's model.name")
        check_compatible(unwrap(model), state["model"])
        try:
            unwrap(model).load_state_dict(state["model"])
        except RuntimeError as err:
            raise ConfigError("run.resume", f"{out_dir / ckpt.LAST} holds a different model "
                              f"({str(err).splitlines()[0]}); resume with the run's model.name") from None
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if precision.scaler is not None and state["scaler"] is not None:
            precision.scaler.load_state_dict(state["scaler"])
        progress = Progress(**state["progress"])
        rank = info.rank if info.rank < len(state["rng"]) else 0
        loop.resume_rng, loop.epoch_rng = state["rng"][rank], state["epoch_rng"][rank]
        log.info(f"resumed {out_dir / ckpt.LAST}: epoch {progress.epoch}, step {progress.step}")
    else:
        seed_everything(run.seed + info.rank)
    net = wrap(model, info, device)
    if build_report and state is None:      # resumed weights come from the checkpoint, not from the build
        log.info(build_report)
    log.info(f"training {type(unwrap(model)).__name__} on {precision.describe()}, {info.world_size} process(es), "
             f"{len(train_loader)} batches/epoch, accumulate {run.accumulate}")

    def save(path: Path = out_dir / ckpt.LAST) -> Path | None:
        rng = gather_objects(_random_states(train_loader), info)
        epoch_rng = gather_objects(loop.epoch_rng, info)
        if not info.is_main:
            return None
        return ckpt.atomic_save({
            "format": ckpt.FORMAT, "model": unwrap(model).state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "scaler": precision.scaler.state_dict() if precision.scaler is not None else None,
            "epoch": progress.epoch, "epoch_batches": progress.epoch_batches, "step": progress.step,
            "rng": rng, "epoch_rng": epoch_rng, "progress": asdict(progress), **meta}, path)

    loop.save, loop.checkpoint_path = save, out_dir / ckpt.LAST
    done = run.max_steps is not None and progress.step >= run.max_steps    # resumed a run that already stopped
    stopped = "max_steps" if done else "completed"
    for epoch in range(progress.epoch, progress.epoch if done else run.epochs):
        progress.epoch = epoch
        if train_one_epoch(net, task, train_loader, optimizer, scheduler, loop, progress):
            save()
            stopped = "max_steps"
            break
        sums = all_reduce_sum(torch.tensor([progress.loss_sum, progress.loss_count], dtype=torch.float64,
                                           device=device), info)
        record = {"epoch": epoch, "step": progress.step, "train_loss": (sums[0] / sums[1].clamp(min=1)).item()}
        log.scalars("train", {"epoch_loss": record["train_loss"], "epoch": epoch}, progress.step)
        if val_loader is not None:
            metrics = evaluate(net, task, val_loader, loop)
            log.scalars("val", metrics, progress.step)
            record.update({f"val_{k}": v for k, v in metrics.items()})
        progress.history.append(record)
        if info.is_main:
            write_training_curves(progress.history, out_dir, f"{type(unwrap(model)).__name__}, {out_dir.name}")
        log.info(f"epoch {epoch}: " + ", ".join(f"{k} {v:.4g}" for k, v in record.items() if k != "epoch"))
        progress.epoch, progress.epoch_batches, progress.loss_sum, progress.loss_count = epoch + 1, 0, 0.0, 0
        improved = val_loader is not None and record["val_loss"] < progress.best_val_loss
        if improved:
            progress.best_val_loss, progress.bad_epochs = record["val_loss"], 0
        elif val_loader is not None:
            progress.bad_epochs += 1
        loop.epoch_rng = _random_states(train_loader)
        if improved:
            save(out_dir / ckpt.BEST)
        save()
        for callback in callbacks:
            callback(epoch, dict(record))
        if run.early_stopping_patience and progress.bad_epochs >= run.early_stopping_patience:
            log.info(f"early stopping: validation loss has not improved for {progress.bad_epochs} epochs")
            stopped = "early_stopping"
            break
    return FitResult(stopped, progress, _existing(out_dir / ckpt.LAST, info), _existing(out_dir / ckpt.BEST, info))


def _existing(path: Path, info: DistInfo) -> Path | None:
    """``path`` on rank 0 when it exists."""
    return path if info.is_main and path.exists() else None
