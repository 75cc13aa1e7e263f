"""Options of the jet generator (``argonet simulate generator=jets``): process, jet selection, image."""

from __future__ import annotations

from dataclasses import dataclass, field

from argonet.conf.validate import check as _check

#: jet classes in label order (the order of the HSF ``jet-images.h5`` labels)
JET_CLASSES = ("g", "q", "t", "w", "z")
#: class names written to the files, index for index with JET_CLASSES
JET_CLASS_NAMES = ("gluon", "light_quark", "top", "W", "Z")
CENTRES = ("subjet", "axis")
INTENSITIES = ("pt_GeV", "pt_fraction")


@dataclass
class JetOptions:
    """pp collisions (Pythia 8), anti-kT jets (FastJet) in a pT window, and the jet image.

    One jet per event index: the class of index i is the (i mod n)-th of the n classes in label
    order; events of that process are generated until one has a jet in the window matched to the
    generated parton (g, q) or to the boson/top with all its decay quarks inside the jet (t, W, Z).
    """

    classes: list[str] = field(default_factory=lambda: list(JET_CLASSES))
    sqrt_s_GeV: float = 13000.0
    pthat_GeV_min: float = 900.0          # pT of the hard 2 -> 2 process
    pthat_GeV_max: float = 1200.0
    pt_GeV_min: float = 900.0             # jet pT window (the hls4ml set: jets of about 1 TeV)
    pt_GeV_max: float = 1100.0
    eta_max: float = 2.0                  # |eta| of the jet axis
    R: float = 0.8                        # anti-kT radius
    mpi: bool = True                      # multiparton interactions (underlying event)
    pixels: int = 20                      # image is pixels x pixels
    image_half_width: float = 0.8         # image spans [-w, w] in eta' and phi' around the centre
    centre: str = "subjet"                # subjet: leading of two (winner-take-all) kT subjets | axis: jet axis
    rotate: bool = True                   # second subjet (or principal axis) straight down
    flip: bool = True                     # mirror so that the right half holds more pT
    intensity: str = "pt_GeV"             # pixel value: pT in GeV | pt_fraction: pT / jet pT (sums to ~1)
    groomed_image: bool = False           # also write images_groomed: the soft-drop constituents, same frame
    max_tries: int = 1000                 # events tried for one jet before giving up

    def __post_init__(self) -> None:
        _check(len(self.classes) > 0, "generator.jets.classes", "must name at least one class", JET_CLASSES)
        for c in self.classes:
            _check(c in JET_CLASSES, "generator.jets.classes", f"unknown jet class {c!r}", JET_CLASSES)
        _check(len(set(self.classes)) == len(self.classes), "generator.jets.classes", "a class is listed twice")
        _check(100.0 <= self.sqrt_s_GeV <= 100_000.0, "generator.jets.sqrt_s_GeV", "must be in [100, 100000] GeV")
        _check(0.0 < self.pthat_GeV_min < self.pthat_GeV_max < self.sqrt_s_GeV / 2, "generator.jets.pthat_GeV_min",
               "need 0 < pthat_GeV_min < pthat_GeV_max < sqrt_s_GeV / 2")
        _check(0.0 < self.pt_GeV_min < self.pt_GeV_max, "generator.jets.pt_GeV_min", "need 0 < pt_GeV_min < pt_GeV_max")
        _check(0.0 < self.eta_max <= 5.0, "generator.jets.eta_max", "must be in (0, 5]")
        _check(0.1 <= self.R <= 1.5, "generator.jets.R", "must be in [0.1, 1.5]")
        _check(4 <= self.pixels <= 256, "generator.jets.pixels", "must be in [4, 256]")
        _check(0.05 <= self.image_half_width <= 2.0, "generator.jets.image_half_width", "must be in [0.05, 2]")
        _check(self.centre in CENTRES, "generator.jets.centre", f"unknown centre {self.centre!r}", CENTRES)
        _check(self.intensity in INTENSITIES, "generator.jets.intensity", f"unknown intensity {self.intensity!r}",
               INTENSITIES)
        _check(self.max_tries >= 1, "generator.jets.max_tries", "must be >= 1")

    @property
    def class_names(self) -> list[str]:
        """The classes of the file, in label order (g, q, t, w, z order whatever order they were given)."""
        return [JET_CLASS_NAMES[i] for i, c in enumerate(JET_CLASSES) if c in self.classes]

    @property
    def class_keys(self) -> list[str]:
        """The class keys in label order."""
        return [c for c in JET_CLASSES if c in self.classes]
