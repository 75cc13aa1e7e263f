"""High-level jet features as a classification dataset (``data.format=jet_features``): the feature
vector of each jet stands where an image would, so the one training engine and ``argonet evaluate``
serve the feature-based baseline unchanged.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from argonet.conf.data import DataConfig
from argonet.data.image_files import LabelledImages
from argonet.data.transforms import normalise as normalise_values
from argonet.errors import ConfigError, DataError
from argonet.io import JetImageChain

#: the field's substructure baseline: mass, N-subjettiness ratios, energy-correlation ratios, multiplicity
DEFAULT_FEATURES = ("mass_GeV", "tau21", "tau32", "c2", "d2", "multiplicity")
#: the same observables under their hls4ml column names (angular exponent beta = 1)
HLS4ML_NAMES = {"mass_GeV": "j_mass", "tau21": "j_tau21_b1", "tau32": "j_tau32_b1", "c2": "j_c2_b1",
                "d2": "j_d2_b1", "multiplicity": "j_multiplicity"}


def feature_columns(available: tuple[str, ...], wanted: list[str] | None) -> list[str]:
    """The table columns to read: ``wanted``, or the default set (under hls4ml names in hls4ml files)."""
    if wanted is not None:
        if not wanted or len(set(wanted)) != len(wanted):
            raise ConfigError("data.features", f"name distinct feature columns, got {wanted}")
        missing = [name for name in wanted if name not in available]
        if missing:
            raise ConfigError("data.features", f"no column {missing[0]!r} in the features table", available)
        return list(wanted)
    for names in (list(DEFAULT_FEATURES), [HLS4ML_NAMES[n] for n in DEFAULT_FEATURES]):
        if all(name in available for name in names):
            return names
    raise ConfigError("data.features", f"the file lacks the default features {list(DEFAULT_FEATURES)}; "
                      "choose columns with data.features=[...]", available)


class JetFeatureDataset(LabelledImages):
    """Per-jet feature vectors of one jet file or several (shards): ``image`` (F,) float32, ``label``, ``entry``.

    ``in_channels`` is the number of features F (the input width of a feature model). The
    normalisation options act on the features as on image pixels (``log1p`` tames long tails such as
    D2's); batches are read whole (``read_batch``) from the table held in memory.
    """

    reads_batches = True

    def __init__(self, paths: str | os.PathLike | list, features: list[str] | None = None, normalise: str = "none",
                 scale: float = 1.0, clip: float | None = None):
        with JetImageChain([paths] if isinstance(paths, (str, os.PathLike)) else list(paths)) as chain:
            table = chain.features
            self.class_names = list(chain.class_names)
            self._labels = np.asarray(chain.labels, np.int64)
            where = ", ".join(str(f.path) for f in chain.files)
        if table is None:
            raise DataError(f"{where}: no features table (data.format=jet_features reads the 'features' of "
                            "argonet's jet files, or the 'jets' table of hls4ml files)")
        self.feature_names = feature_columns(tuple(table.dtype.names), features)
        self.values = np.stack([np.asarray(table[name], np.float32) for name in self.feature_names], 1)
        bad = ~np.isfinite(self.values)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise DataError(f"{where}: feature {self.feature_names[col]!r} of jet {row} is {self.values[row, col]}")
        self.values = normalise_values(self.values, normalise, scale, clip)
        self.in_channels, self.image_shape = len(self.feature_names), (len(self.feature_names),)

    @classmethod
    def from_config(cls, cfg: DataConfig) -> "JetFeatureDataset":
        """The jet file(s) of ``data.file`` with the columns ``data.features`` and the normalisation options."""
        return cls(cfg.paths(), cfg.features, cfg.normalise, cfg.scale, cfg.clip)

    def __len__(self) -> int:
        return len(self._labels)

    def labels(self) -> np.ndarray:
        return self._labels

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"image": torch.from_numpy(self.values[i].copy()), "label": torch.tensor(int(self._labels[i])),
                "entry": torch.tensor(i)}

    def read_batch(self, entries: list[int]) -> dict[str, Any]:
        """The batch of ``entries``: image (B, F), label (B,), entry (B,)."""
        index = np.asarray(entries, np.int64)
        return {"image": torch.from_numpy(self.values[index]), "label": torch.from_numpy(self._labels[index]),
                "entry": torch.from_numpy(index)}
