"""Configuration of ``argonet simulate``: generator (conf/generators.py), physics, detector response, image, output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from argonet.conf.generators import (
    DEFAULT_CLASSES,
    GENERATOR_SCHEMAS,
    EventGenerator,
    GeneratorConfig,
    InteractionsGenerator,
)
from argonet.conf.validate import check as _check
from argonet.errors import ConfigError

#: the BNB event mix of a natural sample (lartpc-physics.md §5.1, §5.3): νμ CC (QE:RES:DIS inside), NC, νe CC
NATURAL_CLASSES = ["NUMU_CC", "NC", "NUE_CC"]
NATURAL_WEIGHTS = [0.725, 0.27, 0.005]
AR39_Bq_PER_KG = 1.01                                  # 39Ar in atmospheric argon (WArP 2007)


@dataclass
class PhysicsConfig:
    """Transport options (lartpc-physics.md §3-§4)."""

    step_cm: float = 0.3
    fluctuations: bool = True            # Landau/Vavilov energy-loss fluctuations
    delta_rays: bool = True              # explicit knock-on electrons above delta_ray_cut_MeV
    delta_ray_cut_MeV: float = 1.0
    multiple_scattering: bool = True
    hadronic: bool = True                # pion/proton interactions in flight
    recombination: str = "modbox"        # modbox | birks
    shower_cut_MeV: float = 1.0          # follow EM particles down to this energy

    def __post_init__(self) -> None:
        _check(0.01 <= self.step_cm <= 2.0, "physics.step_cm", "must be in [0.01, 2] cm")
        _check(self.delta_ray_cut_MeV > 0.05, "physics.delta_ray_cut_MeV", "must be > 0.05 MeV")
        _check(self.recombination in ("modbox", "birks"), "physics.recombination", "unknown model",
               ("modbox", "birks"))
        _check(0.05 <= self.shower_cut_MeV <= 20.0, "physics.shower_cut_MeV", "must be in [0.05, 20] MeV")


@dataclass
class ResponseConfig:
    """Detector response (lartpc-physics.md §1.5, §2): charge → ADC on each plane."""

    induction: str = "unipolar"          # unipolar (deconvolved-like) | bipolar (raw)
    noise: bool = True
    noise_scale: float = 1.0             # multiplies each plane's incoherent RMS
    coherent_noise_ADC: float = 0.5      # RMS of noise common to groups of 32 wires
    threshold_ADC: float = 5.0           # zero suppression; 0 keeps every non-zero pixel
    electron_lifetime_us: float | None = None   # None: the detector preset's value
    filter_sigma_ticks: float = 1.0      # Gaussian signal-processing filter of unipolar (deconvolved-like) signals
    # processed-readout model of full-chain data (sim/signal_processing.py): on | off (raw noise, integer ADC) |
    # auto (on for full readouts, the cosmic-tagging images; off for crops and CVN maps)
    signal_processing: str = "auto"
    label_threshold_MeV: float = 0.04    # a pixel is labelled when its noise-free charge reaches this (MIP) energy
    sp_filter_ticks: float = 1.6         # σ of the processing's Gaussian low-pass filter (Wire-Cell-like low-pass)
    sp_halo_fraction: list[float] = field(default_factory=lambda: [0.10, 0.04])   # induction, collection
    sp_halo_wires: float = 0.8           # σ of the processing halo across wires
    sp_halo_rows: float = 0.8            # σ of the processing halo along rows
    sp_noise_ADC: list[float] = field(default_factory=lambda: [1.9, 1.28])   # RMS after processing: ind., coll.
    sp_noise_group_spread: float = 0.08  # log-normal spread of the RMS between 32-wire channel groups
    # correlation of the processed noise between consecutive rows: induction, collection (their own filters)
    sp_noise_row_correlation: list[float] = field(default_factory=lambda: [0.8, 0.9])

    def __post_init__(self) -> None:
        _check(self.induction in ("unipolar", "bipolar"), "response.induction", "unknown induction response",
               ("unipolar", "bipolar"))
        _check(0.0 <= self.filter_sigma_ticks <= 20.0, "response.filter_sigma_ticks", "must be in [0, 20] ticks")
        _check(0.0 <= self.noise_scale <= 100.0, "response.noise_scale", "must be in [0, 100]")
        _check(self.coherent_noise_ADC >= 0.0, "response.coherent_noise_ADC", "must be >= 0")
        _check(self.threshold_ADC >= 0.0, "response.threshold_ADC", "must be >= 0")
        _check(self.electron_lifetime_us is None or self.electron_lifetime_us > 0,
               "response.electron_lifetime_us", "must be > 0")
        _check(self.signal_processing in ("auto", "on", "off"), "response.signal_processing", "unknown setting",
               ("auto", "on", "off"))
        _check(self.label_threshold_MeV >= 0, "response.label_threshold_MeV", "must be >= 0")
        for name in ("sp_halo_fraction", "sp_noise_ADC"):
            v = getattr(self, name)
            _check(len(v) == 2 and all(x >= 0 for x in v), f"response.{name}", "needs [induction, collection] >= 0")
        _check(all(x <= 1 for x in self.sp_halo_fraction), "response.sp_halo_fraction", "fractions must be <= 1")
        _check(0 <= self.sp_filter_ticks <= 20, "response.sp_filter_ticks", "must be in [0, 20] ticks")
        _check(self.sp_halo_wires >= 0 and self.sp_halo_rows >= 0, "response.sp_halo_wires/sp_halo_rows",
               "must be >= 0")
        _check(0 <= self.sp_noise_group_spread <= 2, "response.sp_noise_group_spread", "must be in [0, 2]")
        _check(len(self.sp_noise_row_correlation) == 2 and all(0 <= r < 1 for r in self.sp_noise_row_correlation),
               "response.sp_noise_row_correlation", "needs [induction, collection] in [0, 1)")


@dataclass
class ImageConfig:
    """How plane images are cut: the full readout, or a crop around the vertex."""

    mode: str = "crop"                   # crop | full | cvn (DUNE CVN pixel maps: 500 wires x 500 bins of hits)
    crop_wires: int = 256
    crop_ticks: int = 256                # after down-sampling
    tick_downsample: int = 4             # ticks summed per image row

    def __post_init__(self) -> None:
        _check(self.mode in ("crop", "full", "cvn"), "image.mode", "unknown image mode", ("crop", "full", "cvn"))
        _check(8 <= self.crop_wires <= 8192, "image.crop_wires", "must be in [8, 8192]")
        _check(8 <= self.crop_ticks <= 8192, "image.crop_ticks", "must be in [8, 8192]")
        _check(1 <= self.tick_downsample <= 64, "image.tick_downsample", "must be in [1, 64]")


@dataclass
class SimulateConfig:
    """Everything ``argonet simulate`` needs."""

    #: the dataclass of the generator section per generator=<name> (conf/generators.py): only its options apply
    VARIANT_GROUPS: ClassVar[dict[str, tuple[type, dict[str, type]]]] = {
        "generator": (GeneratorConfig, GENERATOR_SCHEMAS)}

    detector: str = "sbnd"
    generator: GeneratorConfig = field(default_factory=InteractionsGenerator)
    physics: PhysicsConfig = field(default_factory=PhysicsConfig)
    response: ResponseConfig = field(default_factory=ResponseConfig)
    image: ImageConfig = field(default_factory=ImageConfig)
    n_events: int = 100
    seed: int = 0
    shard: str = "0/1"                   # i/N: this process makes events i, i+N, i+2N, ...
    output: str = "events.h5"
    overwrite: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        _check(self.n_events > 0, "n_events", f"must be > 0 (got {self.n_events})")
        _check(self.seed >= 0, "seed", "must be >= 0")
        _check(bool(self.output), "output", "must name a file")
        _check(self.shard_index < self.n_events, "shard",
               f"shard {self.shard} has no events when n_events={self.n_events}")
        gen = self.generator
        if isinstance(gen, EventGenerator) and gen.ar39_Bq_per_kg is None:
            gen.ar39_Bq_per_kg = AR39_Bq_PER_KG if self.image.mode == "full" else 0.0
        if isinstance(gen, InteractionsGenerator):
            self._choose_sample(gen)

    def _choose_sample(self, gen: InteractionsGenerator) -> None:
        """Resolve ``generator.sample``: the natural BNB mix, or the classes as given."""
        untouched = tuple(gen.classes) == DEFAULT_CLASSES and gen.class_weights is None
        if gen.sample == "natural" or (gen.sample == "auto" and untouched and self.image.mode == "full"
                                       and gen.flux == "bnb"):
            gen.classes, gen.class_weights, gen.sample = list(NATURAL_CLASSES), list(NATURAL_WEIGHTS), "classes"

    @property
    def shard_index(self) -> int:
        """This process's shard number i of ``shard=i/N``."""
        return _parse_shard(self.shard)[0]

    @property
    def shard_count(self) -> int:
        """The number of shards N of ``shard=i/N``."""
        return _parse_shard(self.shard)[1]


def _parse_shard(text: str) -> tuple[int, int]:
    """'i/N' → (i, N) with 0 <= i < N."""
    try:
        i, n = (int(v) for v in str(text).split("/"))
    except ValueError:
        raise ConfigError("shard", f"expected i/N such as 0/4, got {text!r}") from None
    _check(n >= 1 and 0 <= i < n, "shard", f"need 0 <= i < N, got {text!r}")
    return i, n
