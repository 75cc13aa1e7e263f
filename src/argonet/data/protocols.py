"""The interfaces of datasets that ``data.loader`` builds loaders from, as ``typing.Protocol``s."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class BatchReadingDataset(Protocol):
    """A dataset that reads a whole batch in one pass (one read of contiguous rows, not one per event)."""

    reads_batches: bool

    def __len__(self) -> int: ...

    def read_batch(self, entries: Sequence[int]) -> dict[str, Any]:
        """The collated batch of ``entries``."""
        ...


@runtime_checkable
class AugmentedDataset(Protocol):
    """A dataset with training-only augmentation: validation and test read its plain twin."""

    def without_augment(self) -> Any:
        """The same dataset without augmentation."""
        ...
