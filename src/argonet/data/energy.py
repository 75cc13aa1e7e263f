"""The particle-identification dataset with the primary's true kinetic energy, for energy regression and
efficiency against energy: ``{"image", "label", "energy" (MeV), "entry"}``.

The kinetic energy is that of the first primary of argonet's particle table (the gun's particle):
energy_init_MeV minus its mass, the mass being sqrt(E² − p²) of the same row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from argonet.data.datasets import ClassificationDataset
from argonet.errors import DataError

PRIMARY_PRODUCER = "argonet_particles"


def primary_kinetic_MeV(table: np.ndarray) -> float:
    """Kinetic energy (MeV) of the first primary row of a PARTICLE_DTYPE table."""
    primary = table[table["process"] == b"primary"]
    if not len(primary):
        raise DataError("no primary particle in the particle table")
    row = primary[0]
    p2 = float(row["px_MeV"]) ** 2 + float(row["py_MeV"]) ** 2 + float(row["pz_MeV"]) ** 2
    energy = float(row["energy_init_MeV"])
    return energy - float(np.sqrt(max(energy * energy - p2, 0.0)))


class EnergyDataset(ClassificationDataset):
    """A ClassificationDataset whose batches also carry ``energy``: the true kinetic energy (MeV, float32)."""

    def __init__(self, files, *, energy_producer: str = PRIMARY_PRODUCER, **kwargs):
        super().__init__(files, **kwargs)
        energies = []
        for entry in range(len(self)):
            try:
                energies.append(primary_kinetic_MeV(self.reader.particles(energy_producer, entry)))
            except DataError as err:
                raise DataError(f"{self.where(entry)}, particle/{energy_producer}: {err}") from None
        self.energy_MeV = np.asarray(energies, dtype=np.float32)

    def read_batch(self, entries: Sequence[int]) -> dict:
        """The classification batch plus ``energy`` (B,) float32 MeV."""
        batch = super().read_batch(entries)
        batch["energy"] = torch.as_tensor(self.energy_MeV[np.asarray(entries, dtype=np.int64)])
        return batch
