"""What a run reports: printed lines (also in ``output_dir/train.log``), TensorBoard scalars, a progress bar.

The scalars are also appended to ``output_dir/scalars.jsonl`` (one JSON object per call) and the
run's state (config, classes, running / completed / failed) is kept in ``output_dir/run.json``:
small files that ``argonet serve`` reads without TensorBoard or torch.

Everything is a no-op except on rank 0, so a multi-process job prints and writes once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
import json
import os
from pathlib import Path
import time
from typing import Any, TypeVar

from tqdm import tqdm

from argonet.io.atomic import AtomicPath

T = TypeVar("T")


class RunLog:
    """Rank-0 reporting of one training run."""

    def __init__(self, output_dir: str | Path, *, enabled: bool = True, tensorboard: bool = True,
                 progress: bool = True, echo: bool = True):
        self.enabled, self.show_progress, self.echo = enabled, enabled and progress, echo
        self.path = Path(output_dir) / "train.log"
        self.scalars_path = Path(output_dir) / "scalars.jsonl"
        self.state_path = Path(output_dir) / "run.json"
        self._writer = None
        self._bar: tqdm | None = None
        if enabled:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if tensorboard:
                from torch.utils.tensorboard import SummaryWriter
                self._writer = SummaryWriter(log_dir=str(Path(output_dir) / "tensorboard"))

    def info(self, message: str) -> None:
        """One line to the terminal (above the progress bar) and to train.log."""
        if not self.enabled:
            return
        if self.echo:
            tqdm.write(message)
        with open(self.path, "a") as f:
            f.write(message + "\n")

    def scalars(self, prefix: str, values: dict[str, Any], step: int) -> None:
        """TensorBoard scalars ``prefix/name`` at ``step`` (non-numbers are skipped), and one line of scalars.jsonl."""
        if not self.enabled:
            return
        numbers = {k: v for k, v in values.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        with open(self.scalars_path, "a") as f:
            f.write(json.dumps({"prefix": prefix, "step": step, "time": time.time(), **numbers}) + "\n")
        if self._writer is None:
            return
        for name, value in numbers.items():
            self._writer.add_scalar(f"{prefix}/{name}", value, step)

    def state(self, **fields: Any) -> None:
        """Merge ``fields`` into run.json (written under a temporary name, then renamed)."""
        if not self.enabled:
            return
        try:
            current = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            current = {}
        current.update(fields, pid=os.getpid(), updated=time.time())
        with AtomicPath(self.state_path, overwrite=True) as out:
            out.tmp.write_text(json.dumps(current, indent=1, default=str))

    def progress(self, iterable: Iterable[T], total: int | None, desc: str) -> Iterator[T]:
        """``iterable`` with a tqdm bar on rank 0 (replacing the previous bar)."""
        if self._bar is not None:
            self._bar.close()
        self._bar = tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True,
                         disable=not self.show_progress)
        return iter(self._bar)

    def postfix(self, **values: float) -> None:
        """Numbers shown at the end of the progress bar."""
        if self._bar is not None and self.show_progress:
            self._bar.set_postfix({k: f"{v:.4g}" for k, v in values.items()}, refresh=False)

    def close(self) -> None:
        """Flush TensorBoard and close the bar."""
        if self._bar is not None:
            self._bar.close()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
