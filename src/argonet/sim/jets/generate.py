"""One labelled jet per event index: Pythia event -> anti-kT jets -> the matched jet in the window ->
preprocessed image and high-level features.

Each index has its own Pythia random stream (``event_seed(seed, index)``) and Pythia's state after
initialisation does not change from event to event (cross-section maxima are fixed), so jet i is
the same whichever shard makes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from argonet.conf.jets import JetOptions
from argonet.errors import DataError
from argonet.sim.jets.clustering import Jet, antikt_jets, exclusive_kt_subjets, soft_drop
from argonet.sim.jets.features import invariant_mass, substructure
from argonet.sim.jets.preprocess import delta_r, jet_image, pt_rap_phi
from argonet.sim.jets.pythia import Parent, PythiaSource, event_seed

#: the features table written beside the images (one row per jet)
FEATURE_DTYPE = np.dtype([
    ("index", np.int64),             # event index of the sample (sharding keeps it)
    ("pt_GeV", np.float64), ("eta", np.float64), ("phi", np.float64),
    ("mass_GeV", np.float64),        # invariant mass of all constituents
    ("mass_sd_GeV", np.float64),     # soft-drop mass (beta = 0, z_cut = 0.1, R0 = R)
    ("tau1", np.float64), ("tau2", np.float64), ("tau3", np.float64),
    ("tau21", np.float64), ("tau32", np.float64), ("c2", np.float64), ("d2", np.float64),
    ("multiplicity", np.int64),      # number of constituents
    ("parent_pt_GeV", np.float64),   # pT of the generated parton / boson / top the jet is matched to
    ("n_tries", np.int64),           # events generated to find this jet
])
SOFT_DROP_Z_CUT = 0.1
#: the dataset of the soft-drop groomed images in a jet file (generator.jets.groomed_image=true)
GROOMED_IMAGES = "images_groomed"


@dataclass
class JetRecord:
    """One generated jet: its image, its label (index into the class names) and its features row."""

    image: np.ndarray
    label: int
    features: np.ndarray             # () of FEATURE_DTYPE
    groomed: np.ndarray | None = None   # image of the soft-drop constituents (options.groomed_image)


def matches(jet: Jet, parent: Parent, R: float) -> bool:
    """The jet axis lies within R of the parent, and so does every decay quark (in rapidity, azimuth)."""
    rap = pt_rap_phi(jet.p4)[1][0]
    if delta_r(rap, jet.phi, parent.rap, parent.phi) >= R:
        return False
    return bool(np.all(delta_r(rap, jet.phi, parent.products[:, 0], parent.products[:, 1]) < R))


class JetGenerator:
    """Makes jet ``index`` of the sample (seed, options); one Pythia per class, initialised on first use."""

    def __init__(self, options: JetOptions, seed: int):
        self.options, self.seed = options, int(seed)
        self.keys = options.class_keys
        self._sources: dict[str, PythiaSource] = {}

    def source(self, key: str) -> PythiaSource:
        """The initialised Pythia of class ``key``."""
        if key not in self._sources:
            self._sources[key] = PythiaSource(key, self.options, self.seed)
        return self._sources[key]

    def _select(self, source: PythiaSource) -> tuple[Jet, Parent] | None:
        """The hardest jet of the current event in the window that matches a generated parent."""
        o = self.options
        parents = source.parents()
        # anti-kT merges only within R, so particles beyond eta_max + 2R never reach a selected jet
        for jet in antikt_jets(source.visible_final_state(o.eta_max + 2 * o.R), o.R, o.pt_GeV_min):
            if jet.pt_GeV > o.pt_GeV_max or abs(jet.eta) >= o.eta_max:
                continue
            for parent in parents:
                if matches(jet, parent, o.R):
                    return jet, parent
        return None

    def jet(self, index: int) -> JetRecord:
        """Jet number ``index`` (deterministic); DataError when max_tries events give none."""
        label = index % len(self.keys)
        source = self.source(self.keys[label])
        source.start(event_seed(self.seed, index))
        for tries in range(1, self.options.max_tries + 1):
            if not source.next():
                continue
            found = self._select(source)
            if found is not None:
                return self._record(index, label, tries, *found)
        o = self.options
        raise DataError(f"no {self.keys[label]} jet with {o.pt_GeV_min} <= pT <= {o.pt_GeV_max} GeV and "
                        f"|eta| < {o.eta_max} in {o.max_tries} events (index {index}); widen the pT window or "
                        "match it to the pT-hat window")

    def _record(self, index: int, label: int, tries: int, jet: Jet, parent: Parent) -> JetRecord:
        """Image and features of the selected jet."""
        o = self.options
        axes = tuple(exclusive_kt_subjets(jet.constituents, (1, 2, 3)))
        if o.centre == "subjet" and len(axes[1]) == 2:           # winner-take-all: the hardest particle's direction
            _, sub_rap, sub_phi = pt_rap_phi(axes[1])
            centre, second = (sub_rap[0], sub_phi[0]), (sub_rap[1], sub_phi[1])
        else:
            centre, second = (pt_rap_phi(jet.p4)[1][0], jet.phi), None
        unit = jet.pt_GeV if o.intensity == "pt_fraction" else 1.0
        image = jet_image(jet.constituents, centre, second, o.pixels, o.image_half_width, o.rotate, o.flip, unit)
        groomed = soft_drop(jet.constituents, o.R, SOFT_DROP_Z_CUT)
        row = np.zeros((), FEATURE_DTYPE)
        values = {"index": index, "pt_GeV": jet.pt_GeV, "eta": jet.eta, "phi": jet.phi,
                  "mass_GeV": invariant_mass(jet.constituents),
                  "mass_sd_GeV": invariant_mass(jet.constituents[groomed]),
                  **substructure(jet.constituents, axes, o.R), "parent_pt_GeV": parent.pt_GeV, "n_tries": tries}
        for name, value in values.items():
            row[name] = value
        groomed_image = (jet_image(jet.constituents, centre, second, o.pixels, o.image_half_width, o.rotate,
                                   o.flip, unit, keep=groomed) if o.groomed_image else None)
        return JetRecord(image, label, row, groomed_image)


def generate_jets(options: JetOptions, seed: int, indices: Iterable[int], progress: bool = True
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Images (n, pixels, pixels) float32, labels (n,) int64, the features table of the given indices,
    and the groomed images (n, pixels, pixels) when ``options.groomed_image`` (else None)."""
    indices = list(indices)
    generator = JetGenerator(options, seed)
    images = np.zeros((len(indices), options.pixels, options.pixels), np.float32)
    groomed = np.zeros_like(images) if options.groomed_image else None
    labels = np.zeros(len(indices), np.int64)
    table = np.zeros(len(indices), FEATURE_DTYPE)
    for i, index in enumerate(tqdm(indices, desc="jets", unit="jet", disable=not progress, mininterval=0.5)):
        record = generator.jet(index)
        images[i], labels[i], table[i] = record.image, record.label, record.features
        if groomed is not None:
            groomed[i] = record.groomed
    return images, labels, table, groomed
