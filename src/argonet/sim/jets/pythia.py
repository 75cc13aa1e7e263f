"""Pythia 8 for the five jet classes: process settings, per-event random streams, the event's particles
and the generated partons, bosons and tops the jets are matched to.

Processes (pp at ``sqrt_s_GeV``, hard-process pT in the pT-hat window):

* g: gg -> gg and qqbar -> gg (both outgoing partons gluons);
* q: qq -> qq, qqbar -> q'qbar' and gg -> qqbar with light new flavours (outgoing u, d, s kept);
* t: gg, qqbar -> ttbar with every W decaying to quarks;
* W: qqbar -> W+W- with W -> quarks;
* Z: qqbar -> ZZ (Z only, no photon) with Z -> quarks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pythia8mc

from argonet.conf.jets import JetOptions
from argonet.errors import ConfigError, DataError

_W_TO_QUARKS = ("24:onMode = off", "24:onIfAny = 1 2 3 4 5")
PROCESS_SETTINGS: dict[str, tuple[str, ...]] = {
    "g": ("HardQCD:gg2gg = on", "HardQCD:qqbar2gg = on"),
    "q": ("HardQCD:qq2qq = on", "HardQCD:qqbar2qqbarNew = on", "HardQCD:gg2qqbar = on", "HardQCD:nQuarkNew = 3"),
    "t": ("Top:gg2ttbar = on", "Top:qqbar2ttbar = on", *_W_TO_QUARKS),
    "w": ("WeakDoubleBoson:ffbar2WW = on", *_W_TO_QUARKS),
    "z": ("WeakDoubleBoson:ffbar2gmZgmZ = on", "WeakZ0:gmZmode = 2", "23:onMode = off", "23:onIfAny = 1 2 3 4 5"),
}
#: PDG id of the particle a t, W or Z jet comes from
PARENT_ID = {"t": 6, "w": 24, "z": 23}
GLUON_ID = 21
LIGHT_QUARK_IDS = (1, 2, 3)
#: Pythia's random generator takes seeds 1..900 000 000 (0 would mean "from the clock")
PYTHIA_SEED_MAX = 900_000_000
_SEED_STRIDE = 1_000_003             # a prime: seeds of different samples rarely share streams


def event_seed(seed: int, index: int) -> int:
    """The Pythia seed of event ``index`` of a sample: distinct for every index below 9e8."""
    return 1 + (int(seed) * _SEED_STRIDE + int(index)) % (PYTHIA_SEED_MAX - 1)


def init_seed(seed: int) -> int:
    """The Pythia seed of the initialisation (its search for the cross-section maxima)."""
    return 1 + int(seed) % (PYTHIA_SEED_MAX - 1)


def pythia_settings(key: str, options: JetOptions, seed: int) -> list[str]:
    """The readString lines of class ``key`` (the initialisation is seeded by ``seed``)."""
    return [f"Beams:eCM = {options.sqrt_s_GeV}", f"PhaseSpace:pTHatMin = {options.pthat_GeV_min}",
            f"PhaseSpace:pTHatMax = {options.pthat_GeV_max}", f"PartonLevel:MPI = {'on' if options.mpi else 'off'}",
            "Random:setSeed = on", f"Random:seed = {init_seed(seed)}",
            "Print:quiet = on", "Next:numberCount = 0", *PROCESS_SETTINGS[key]]


@dataclass
class Parent:
    """What a jet is matched to: the generated parton (g, q) or boson/top, and its decay quarks."""

    rap: float                       # rapidity
    phi: float
    pt_GeV: float
    products: np.ndarray             # (k, 2) rapidity, phi of the quarks that must lie inside the jet


class PythiaSource:
    """One initialised Pythia for one jet class; ``start(seed)`` begins the random stream of one index."""

    def __init__(self, key: str, options: JetOptions, seed: int):
        if key not in PROCESS_SETTINGS:
            raise ConfigError("generator.jets.classes", f"unknown jet class {key!r}", PROCESS_SETTINGS)
        self.key = key
        self.pythia = pythia8mc.Pythia("", False)
        for line in pythia_settings(key, options, seed):
            if not self.pythia.readString(line):
                raise ConfigError("generator.jets", f"Pythia refused the setting {line!r}")
        if not self.pythia.init():
            raise DataError(f"Pythia failed to initialise the {key} process (settings: "
                            f"{'; '.join(pythia_settings(key, options, seed))})")

    def start(self, seed: int) -> None:
        """Reset the random stream: the events that follow depend on ``seed`` only."""
        self.pythia.rndm.init(int(seed))

    def next(self) -> bool:
        """Generate the next event; False when Pythia failed on it (try another)."""
        return bool(self.pythia.next())

    def visible_final_state(self, eta_max: float) -> np.ndarray:
        """(n, 4) px, py, pz, E in GeV of the final-state particles a detector sees (no neutrinos)
        within |eta| < eta_max."""
        rows = [(p.px(), p.py(), p.pz(), p.e()) for p in self.pythia.event.particles()
                if p.isFinal() and p.isVisible() and abs(p.eta()) < eta_max]
        return np.array(rows, dtype=np.float64).reshape(-1, 4)

    def parents(self) -> list[Parent]:
        """The generated objects of this class in the hard process (usually two per event)."""
        record = self.pythia.process
        found = []
        for i in range(record.size()):
            p = record[i]
            if record[p.mother1()].status() != -21:          # not a direct product of the hard process
                continue
            if self.key in PARENT_ID:
                if p.idAbs() == PARENT_ID[self.key]:
                    quarks = _final_descendants(record, i)
                    found.append(Parent(p.y(), p.phi(), p.pT(), np.array(quarks, np.float64).reshape(-1, 2)))
            elif p.status() == 23 and (p.id() == GLUON_ID if self.key == "g" else p.idAbs() in LIGHT_QUARK_IDS):
                found.append(Parent(p.y(), p.phi(), p.pT(), np.array([[p.y(), p.phi()]])))
        return found


def _final_descendants(record, index: int) -> list[tuple[float, float]]:
    """(rapidity, phi) of the outgoing quarks a resonance of the hard-process record decays to."""
    out, stack = [], [index]
    while stack:
        p = record[stack.pop()]
        daughters = list(p.daughterList())
        if not daughters:
            if p.isQuark():
                out.append((p.y(), p.phi()))
            continue
        stack.extend(daughters)
    return out
