"""Configuration of the data pipeline (files → batches) and of ``argonet iotest``."""

from __future__ import annotations

from dataclasses import dataclass, field
import glob
import math
import numbers
import os
from typing import Any, ClassVar

from argonet.conf.validate import check as _check

NORMALISATIONS = ("none", "log1p", "scale")
FLIP_AXES = ("wire", "drift")
CROP_MODES = ("per_plane", "common")
LABEL_DTYPES = ("int64", "uint8")
#: batch layouts: auto (what the model reads), sparse (active pixels only), dense (whole images)
LAYOUTS = ("auto", "sparse", "dense")
IOTEST_DATASETS = ("segmentation", "image", "classification", "sparse")
#: file layouts a dataset can read (larcv3 HDF5 is the native one); see argonet.data.loader.FORMAT_DATASETS
FORMATS = ("larcv3", "jets", "folder", "cvn", "larcv2", "wirecell", "jet_features")
#: formats whose input is a folder, not a file (cvn: a DUNE CVN pixel-map folder)
FOLDER_FORMATS = ("folder", "cvn")


def _is_int(value: Any) -> bool:
    """True for a plain integer (bool excluded)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def int_pair(value: Any, field_name: str, low: int = 1) -> tuple[int, int]:
    """An int or an [a, b] list of ints, each >= low, as a pair (per-axis factors and boxes)."""
    pair = (value, value) if _is_int(value) else tuple(value) if isinstance(value, (list, tuple)) else ()
    _check(len(pair) == 2 and all(_is_int(v) for v in pair), field_name,
           f"expected an integer or [wire, tick] integers, got {value!r}")
    _check(min(pair) >= low, field_name, f"values must be >= {low}, got {list(pair)}")
    return int(pair[0]), int(pair[1])


@dataclass
class DataConfig:
    """Which larcv3 files and products to read, how images are shaped, and how batches are formed."""

    file: Any = ""                        # path, glob pattern, or list of paths (larcv3 HDF5)
    format: str = "larcv3"                # larcv3 | jets (images+labels HDF5) | folder (root/<class>/*.png)
                                          # | cvn (DUNE CVN maps) | larcv2 (ROOT) | wirecell (HDF5 frames)
                                          # | jet_features (the features table of jet files)
    charge: str = "sbndwire"              # sparse2d producer of the wire charge
    labels: str = "sbnd_cosmicseg"        # sparse2d producer of the per-pixel labels
    label_values: list[int] = field(default_factory=lambda: [0, 1, 2])  # stored value of bkg, cosmic, neutrino
    label_dtype: str = "int64"            # dense label dtype: int64 | uint8 (8x lighter; .long() on the device)
    class_source: str = "truth"           # event class: truth | particle:<field> (of the first particle)
    particles: str = "sbndneutrino"       # particle producer read by class_source=particle:<field>
    class_names: list[str] | None = None  # fixed classes and order (None: the classes found in the files)
    features: list[str] | None = None     # jet_features columns (None: mass, tau21, tau32, c2, d2, multiplicity)
    jet_images: list[str] | None = None   # jets: image datasets read as channels, e.g. [images,images_groomed]
    planes: list[int] | None = None       # projection ids kept as channels, in order; None: all
    layout: str = "auto"                  # auto (the model's: sparse for sparse-uresnet, else dense) | sparse
                                          # (active pixels as coordinates + charge) | dense (whole images)
    downsample: Any = 1                   # pixels summed: an int, or [wire, tick]
    crop: Any = None                      # None, or box [wires, ticks] (after down-sampling) of max charge
                                          # (dense and sparse batches keep the same pixels)
    crop_mode: str = "per_plane"          # per_plane: each plane's own box | common: one box for all planes
    normalise: str = "none"               # none | log1p | scale
    scale: float = 1.0                    # multiplies the charge when normalise=scale
    clip: float | None = None             # then |charge| is clipped to this value
    allow_empty: bool = False             # train on events without any charge pixel (refused by default, naming
                                          # the first and the count); inference always gives them an empty prediction
    augment: list[str] = field(default_factory=list)   # flips applied to training batches: wire, drift
    flip_probability: float = 0.5          # chance of each flip in data.augment, per event
    batch_size: int = 16                   # events per batch where the command has no batch size of its own
    workers: int = 0                      # DataLoader worker processes (0: read in the main process)
    prefetch_factor: int = 2              # batches each worker reads ahead
    persistent_workers: bool = True        # keep worker processes between epochs
    pin_memory: bool | None = None        # None: when CUDA is available
    seed: int = 0                         # fixes the split and the shuffling
    split: list[float] = field(default_factory=lambda: [0.8, 0.1, 0.1])  # train, val, test fractions
    split_block: int = 1                  # > 1: splits and shuffles keep runs of consecutive entries (range reads)

    def __post_init__(self) -> None:
        files = [self.file] if isinstance(self.file, str) else self.file
        _check(isinstance(files, (list, tuple)) and all(isinstance(f, str) for f in files), "data.file",
               f"expected a path or a list of paths, got {self.file!r}")
        _check(self.format in FORMATS, "data.format", f"unknown file format {self.format!r}", FORMATS)
        _check(bool(self.charge), "data.charge", "name the charge producer (e.g. sbndwire)")
        _check(len(self.label_values) == 3 and len(set(self.label_values)) == 3
               and all(_is_int(v) and 0 <= v < 256 for v in self.label_values), "data.label_values",
               f"needs 3 distinct stored values in [0, 255] for background, cosmic, neutrino, got {self.label_values}")
        _check(self.label_dtype in LABEL_DTYPES, "data.label_dtype", f"unknown label dtype {self.label_dtype!r}",
               LABEL_DTYPES)
        _check(self.class_source == "truth" or (self.class_source.startswith("particle:")
                                               and len(self.class_source) > len("particle:")),
               "data.class_source", f"unknown class source {self.class_source!r}", ("truth", "particle:<field>"))
        if self.class_names is not None:
            _check(len(self.class_names) > 0 and len(set(self.class_names)) == len(self.class_names),
                   "data.class_names", f"expected distinct class names, got {self.class_names}")
        if self.jet_images is not None:
            _check(len(self.jet_images) > 0 and len(set(self.jet_images)) == len(self.jet_images), "data.jet_images",
                   f"expected a non-empty list of distinct dataset names, got {self.jet_images}")
        if self.planes is not None:
            _check(len(self.planes) > 0 and all(_is_int(p) and p >= 0 for p in self.planes), "data.planes",
                   f"expected a non-empty list of projection ids >= 0, got {self.planes}")
            _check(len(set(self.planes)) == len(self.planes), "data.planes", "a plane is listed twice")
        _check(self.layout in LAYOUTS, "data.layout", f"unknown batch layout {self.layout!r}", LAYOUTS)
        int_pair(self.downsample, "data.downsample", 1)
        if self.crop is not None:
            int_pair(self.crop, "data.crop", 1)
        _check(self.crop_mode in CROP_MODES, "data.crop_mode", f"unknown crop mode {self.crop_mode!r}", CROP_MODES)
        _check(self.normalise in NORMALISATIONS, "data.normalise", f"unknown normalisation {self.normalise!r}",
               NORMALISATIONS)
        _check(math.isfinite(self.scale) and self.scale > 0, "data.scale", "must be > 0")
        _check(self.clip is None or self.clip > 0, "data.clip", "must be > 0")
        for axis in self.augment:
            _check(axis in FLIP_AXES, "data.augment", f"unknown flip axis {axis!r}", FLIP_AXES)
        _check(0.0 <= self.flip_probability <= 1.0, "data.flip_probability", "must be in [0, 1]")
        _check(1 <= self.batch_size <= 65536, "data.batch_size", "must be in [1, 65536]")
        _check(0 <= self.workers <= 256, "data.workers", "must be in [0, 256]")
        _check(self.prefetch_factor >= 1, "data.prefetch_factor", "must be >= 1")
        _check(len(self.split) == 3 and all(f >= 0 for f in self.split) and 0 < sum(self.split) <= 1 + 1e-9,
               "data.split", f"needs 3 fractions >= 0 (train, val, test) summing to at most 1, got {self.split}")
        _check(self.split_block >= 1, "data.split_block", "must be >= 1")

    @property
    def factors(self) -> tuple[int, int]:
        """(wire, tick) down-sampling factors."""
        return int_pair(self.downsample, "data.downsample", 1)

    @property
    def crop_box(self) -> tuple[int, int] | None:
        """(wires, ticks) of the crop box, or None."""
        return None if self.crop is None else int_pair(self.crop, "data.crop", 1)

    def paths(self) -> list[str]:
        """The input files, globs expanded in sorted order; each must exist."""
        items = [self.file] if isinstance(self.file, str) else list(self.file)
        _check(any(items), "data.file", "name the input file(s): data.file=events.h5")
        paths: list[str] = []
        for item in items:
            matches = sorted(glob.glob(item)) if glob.has_magic(item) else [item]
            _check(bool(matches), "data.file", f"no file matches {item!r}")
            paths.extend(matches)
        for path in paths:
            exists = os.path.isdir(path) if self.format in FOLDER_FORMATS else os.path.isfile(path)
            _check(exists, "data.file", f"{path} does not exist or is not a " +
                   ("folder" if self.format in FOLDER_FORMATS else "file"))
        return paths


@dataclass
class IotestRunConfig:
    """How many batches ``argonet iotest`` reads."""

    minibatch_size: int = 16               # events per batch read
    iterations: int = 20                  # timed batches
    warmup: int = 2                       # batches read before the clock starts
    dataset: str = "segmentation"         # segmentation (charge + labels) | image | classification | sparse
                                          # (segmentation and image give sparse batches with data.layout=sparse)

    def __post_init__(self) -> None:
        _check(1 <= self.minibatch_size <= 65536, "run.minibatch_size", "must be in [1, 65536]")
        _check(self.iterations >= 1, "run.iterations", "must be >= 1")
        _check(self.warmup >= 0, "run.warmup", "must be >= 0")
        _check(self.dataset in IOTEST_DATASETS, "run.dataset", f"unknown dataset {self.dataset!r}", IOTEST_DATASETS)


@dataclass
class IotestConfig:
    """Everything ``argonet iotest`` needs."""

    REPLACED_KEYS: ClassVar[dict[str, str]] = {"data.batch_size": "run.minibatch_size"}

    data: DataConfig = field(default_factory=DataConfig)
    run: IotestRunConfig = field(default_factory=IotestRunConfig)
