"""Generators of ``argonet simulate``: one dataclass per ``generator=<name>``, holding only its options.

``GeneratorConfig`` is what every generator shares (its name); ``EventGenerator`` adds what the
LArTPC event generators share (neutrons, cosmic flux, ³⁹Ar), ``VertexGenerator`` what the two with a
primary vertex share (fiducial volume, cosmic overlay). Composition picks the dataclass from the
``generator`` group, so an option of another generator is refused instead of silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from argonet.conf.jets import JetOptions
from argonet.conf.validate import check as _check

GENERATORS = ("interactions", "gun", "cosmics", "jets")
GUN_PARTICLES = ("e-", "e+", "gamma", "mu-", "mu+", "pi-", "pi+", "p", "pi0", "K+")
GUN_DIRECTIONS = ("isotropic", "beam", "beamline")
KE_SPECTRA = ("uniform", "log")
INTERACTION_CLASSES = ("CCQE", "CCRES", "NCQE", "NCRES", "NUE_CC", "NC_PI0", "CCDIS", "NUTAU_CC", "NC", "NUMU_CC")
FLUXES = ("bnb", "dune")                               # neutrino beams of sim/generators (BNB, DUNE FHC)
SAMPLES = ("auto", "classes", "natural")
DEFAULT_CLASSES = ("CCQE", "CCRES", "NCQE", "NCRES")
DEFAULT_GUN_PARTICLES = ("e-", "gamma", "mu-", "pi-", "p")


@dataclass
class GeneratorConfig:
    """What is simulated: ``generator=<name>`` picks the generator, the other fields are its options."""

    name: str = "interactions"   # interactions | gun | cosmics | jets, set by generator=<name> (also: dune)

    def __post_init__(self) -> None:
        _check(self.name in GENERATORS, "generator.name", f"unknown generator {self.name!r}", GENERATORS)
        own = type(self).__dataclass_fields__["name"].default
        _check(self.name == own, "generator.name", f"choose the generator with generator={self.name} "
               f"(generator.name={self.name} would keep the options of generator={own})")


@dataclass
class EventGenerator(GeneratorConfig):
    """The options every generator of LArTPC events shares."""

    neutrons: bool = False                             # follow neutrons: capture/inelastic photon blips, protons
    cosmic_flux_scale: float = 1.0                     # multiplies the surface cosmic-muon flux
    ar39_Bq_per_kg: float | None = None                # 39Ar beta decays; None: 1.01 for full readouts, else 0

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(0.0 <= self.cosmic_flux_scale <= 100.0, "generator.cosmic_flux_scale", "must be in [0, 100]")
        _check(self.ar39_Bq_per_kg is None or 0.0 <= self.ar39_Bq_per_kg <= 1000.0, "generator.ar39_Bq_per_kg",
               "must be in [0, 1000] Bq/kg (null: automatic)")


@dataclass
class VertexGenerator(EventGenerator):
    """The options of the generators with a primary vertex in the fiducial volume."""

    fiducial_margin_cm: float = 10.0                   # vertices at least this far inside the active volume
    cosmics: bool = False                              # overlay cosmic muons of the readout window

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(self.fiducial_margin_cm >= 0, "generator.fiducial_margin_cm", "must be >= 0")


@dataclass
class InteractionsGenerator(VertexGenerator):
    """Neutrino interactions on argon (lartpc-physics.md §5), balanced classes by default."""

    name: str = "interactions"
    classes: list[str] = field(default_factory=lambda: list(DEFAULT_CLASSES))   # interaction classes, any of
    # CCQE CCRES NCQE NCRES NUE_CC NC_PI0 CCDIS NUTAU_CC NC NUMU_CC
    class_weights: list[float] | None = None          # None: balanced classes
    sample: str = "auto"                               # auto | classes | natural.
    # auto: the natural BNB mix for full readouts (image.mode=full, the cosmic-tagging sample) unless classes or
    # class_weights are given, classes otherwise; classes: always classes/class_weights; natural: always the
    # natural mix (NATURAL_CLASSES, NATURAL_WEIGHTS)
    flux: str = "bnb"                                  # neutrino beam: bnb (SBND/MicroBooNE) | dune (LBNF FHC)
    nu_energy_GeV_max: float | None = None             # None: the flux table's end (bnb 3 GeV, dune 40 GeV)
    require_visible: bool = True                       # redraw interactions with nothing that ionises
    fermi_motion: bool = True                          # nuclear model (§5.5): Fermi gas + removal energy
    fsi: bool = True                                   # final-state interactions in the nucleus (§5.5)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(self.flux in FLUXES, "generator.flux", f"unknown neutrino flux {self.flux!r}", FLUXES)
        _check(self.sample in SAMPLES, "generator.sample", f"unknown sample {self.sample!r}", SAMPLES)
        for c in self.classes:
            _check(c in INTERACTION_CLASSES, "generator.classes", f"unknown class {c!r}", INTERACTION_CLASSES)
        _check(len(self.classes) > 0, "generator.classes", "must name at least one class")
        if self.class_weights is not None:
            _check(len(self.class_weights) == len(self.classes), "generator.class_weights",
                   f"needs one weight per class ({len(self.classes)})")
            _check(all(w >= 0 for w in self.class_weights) and sum(self.class_weights) > 0,
                   "generator.class_weights", "weights must be >= 0 with a positive sum")
        _check(self.nu_energy_GeV_max is None or 0.2 < self.nu_energy_GeV_max <= 100.0,
               "generator.nu_energy_GeV_max", "must be in (0.2, 100] GeV")


@dataclass
class GunGenerator(VertexGenerator):
    """Single particles: one of the particles per event, in a kinetic-energy (or momentum) range."""

    name: str = "gun"
    particles: list[str] = field(default_factory=lambda: list(DEFAULT_GUN_PARTICLES))   # one per event, any of
    # e- e+ gamma mu- mu+ pi- pi+ p pi0 K+
    ke_MeV_min: float = 50.0                           # kinetic-energy range (MeV)
    ke_MeV_max: float = 1000.0
    ke_spectrum: str = "uniform"                       # uniform | log (uniform in log KE)
    p_MeV_min: float | None = None                     # momentum range (MeV/c): replaces ke_MeV_min/ke_MeV_max
    p_MeV_max: float | None = None
    direction: str = "isotropic"                       # isotropic | beam (+z) | beamline (enters the upstream face)
    beam_cone_deg: float = 5.0                         # beamline: half-angle of the cone around +z
    beam_spot_sigma_cm: float = 3.0                    # beamline: Gaussian spot around the upstream face's centre

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(len(self.particles) > 0, "generator.particles", "must name at least one particle", GUN_PARTICLES)
        for p in self.particles:
            _check(p in GUN_PARTICLES, "generator.particles", f"unknown particle {p!r}", GUN_PARTICLES)
        _check(0.0 < self.ke_MeV_min <= self.ke_MeV_max <= 10_000.0, "generator.ke_MeV_min/ke_MeV_max",
               "need 0 < ke_MeV_min <= ke_MeV_max <= 10000 MeV")
        _check(self.ke_spectrum in KE_SPECTRA, "generator.ke_spectrum", "unknown spectrum", KE_SPECTRA)
        _check(self.direction in GUN_DIRECTIONS, "generator.direction", "unknown direction", GUN_DIRECTIONS)
        _check((self.p_MeV_min is None) == (self.p_MeV_max is None), "generator.p_MeV_min/p_MeV_max",
               "set both ends of the momentum range, or neither")
        if self.p_MeV_min is not None:
            _check(0.0 < self.p_MeV_min <= self.p_MeV_max <= 10_000.0, "generator.p_MeV_min/p_MeV_max",
                   f"need 0 < p_MeV_min <= p_MeV_max <= 10000 MeV/c, got {self.p_MeV_min}..{self.p_MeV_max}")
        _check(0.0 <= self.beam_cone_deg <= 90.0, "generator.beam_cone_deg", "must be in [0, 90] degrees")
        _check(self.beam_spot_sigma_cm >= 0.0, "generator.beam_spot_sigma_cm", "must be >= 0")


@dataclass
class CosmicsGenerator(EventGenerator):
    """Cosmic muons only: the surface flux over the readout window."""

    name: str = "cosmics"


@dataclass
class JetsGenerator(GeneratorConfig):
    """Jets of pp collisions (Pythia 8 + FastJet), one per event index, written as jet images."""

    name: str = "jets"
    jets: JetOptions = field(default_factory=JetOptions)   # pp -> jets, see conf/jets.py


#: the dataclass of each ``generator=<name>``
GENERATOR_SCHEMAS: dict[str, type[GeneratorConfig]] = {
    "interactions": InteractionsGenerator, "gun": GunGenerator, "cosmics": CosmicsGenerator, "jets": JetsGenerator}

