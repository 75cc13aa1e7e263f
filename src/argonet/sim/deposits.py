"""The records passed between simulation stages: primaries in, energy deposits out.

generators → ``Primaries`` → transport → ``Deposits`` (+ particle table) → detector response.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

#: A primary particle handed from a generator to transport. Momentum MeV/c, position cm,
#: time ns relative to the trigger. ``semantic`` is the pixel origin label (argonet.event.Semantic).
PRIMARY_DTYPE = np.dtype([
    ("pdg", np.int32),
    ("px_MeV", np.float64), ("py_MeV", np.float64), ("pz_MeV", np.float64),
    ("x_cm", np.float64), ("y_cm", np.float64), ("z_cm", np.float64),
    ("t_ns", np.float64),
    ("semantic", np.int8),
])


def make_primaries(n: int = 0) -> np.ndarray:
    """An empty (zeroed) primaries array of length n."""
    return np.zeros(n, PRIMARY_DTYPE)


@dataclass
class Deposits:
    """Energy deposits of one event, one row per transport step (structure of arrays).

    Positions are step mid-points in cm, ``t_ns`` the deposit time relative to the trigger,
    ``dx_cm`` the step length (so ``dE_MeV / dx_cm`` is the local dE/dx for recombination).
    """

    x_cm: np.ndarray
    y_cm: np.ndarray
    z_cm: np.ndarray
    t_ns: np.ndarray
    dE_MeV: np.ndarray
    dx_cm: np.ndarray
    track_id: np.ndarray
    semantic: np.ndarray
    kind: np.ndarray

    @classmethod
    def empty(cls) -> "Deposits":
        """No deposits."""
        return cls(*(np.zeros(0, dt) for dt in _DTYPES))

    @classmethod
    def concat(cls, parts: "list[Deposits]") -> "Deposits":
        """Join several deposit sets (e.g. neutrino + cosmics)."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]).astype(dt, copy=False)
                     for f, dt in zip(fields(cls), _DTYPES)))

    def select(self, mask: np.ndarray) -> "Deposits":
        """The subset of rows where mask is true."""
        return Deposits(*(getattr(self, f.name)[mask] for f in fields(self)))

    def __len__(self) -> int:
        return len(self.dE_MeV)


_DTYPES = (np.float64, np.float64, np.float64, np.float64, np.float32, np.float32,
           np.int32, np.int8, np.int8)
