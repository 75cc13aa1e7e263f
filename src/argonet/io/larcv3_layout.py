"""The larcv3 HDF5 layout: row dtypes, group names, product names, and conversions.

Everything here follows ``larcv3-format.md`` (layout read from files written by larcv3 3.5.1):
compound dtypes keep larcv3's C-struct padding (offsets and itemsizes), so files we write are
byte-compatible. Conversions map larcv3 particle rows (GeV, cm, ns) to argonet's
``PARTICLE_DTYPE`` (MeV, cm, ns) and back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from argonet.event import EVENT_CLASSES, PARTICLE_DTYPE, ImageMeta, ParticleKind, Semantic, Truth
from argonet.units import MeV_per_GeV

# --- product names (SBND cosmic tagging + argonet's own) ---
CHARGE_PRODUCER = "sbndwire"              # sparse2d charge per wire plane
SEMANTIC_PRODUCER = "sbnd_cosmicseg"      # sparse2d Semantic label of each charge pixel
KIND_PRODUCER = "argonet_kind"            # sparse2d ParticleKind label of each charge pixel
PARTICLE_PRODUCER = "argonet_particles"   # particle table of every simulated particle
NEUTRINO_PRODUCER = "sbndneutrino"        # particle: the neutrino record, then its primaries

#: Product types larcv3 writes, as they prefix group names (none contains an underscore).
PRODUCT_TYPES = ("sparse2d", "sparse3d", "cluster2d", "cluster3d", "image2d", "tensor1d",
                 "tensor2d", "tensor3d", "tensor4d", "particle", "bbox2d", "bbox3d")

#: Per product type: the extents chain from the event level down, the payload table, and the
#: level whose rows the ``image_meta`` table parallels (None: no meta).
TABLES: dict[str, tuple[tuple[str, ...], str, int | None]] = {
    "sparse2d": (("extents", "voxel_extents"), "voxels", 1),
    "sparse3d": (("extents", "voxel_extents"), "voxels", 1),
    "cluster2d": (("extents", "projection_extents", "cluster_extents"), "voxels", 1),
    "cluster3d": (("extents", "projection_extents", "cluster_extents"), "voxels", 1),
    "image2d": (("extents", "image_extents"), "images", 1),
    "particle": (("extents",), "particles", None),
}

# --- row dtypes (explicit offsets: larcv3 writes padded C structs) ---
# ``align=True`` marks them as C structs, so numpy (concatenate) and h5py keep the padding.
EXTENTS_DTYPE = np.dtype({"names": ["first", "N"], "formats": ["<u8", "<u4"],
                          "offsets": [0, 8], "itemsize": 16}, align=True)
ID_EXTENTS_DTYPE = np.dtype({"names": ["first", "N", "ID"], "formats": ["<u8", "<u4", "<u4"],
                             "offsets": [0, 8, 12], "itemsize": 16}, align=True)
VOXEL_DTYPE = np.dtype({"names": ["id", "value"], "formats": ["<u8", "<f4"],
                        "offsets": [0, 8], "itemsize": 16}, align=True)
IMAGE_DTYPE = np.dtype("<f4")
EVENT_ID_DTYPE = np.dtype([("run", "<i8"), ("subrun", "<i8"), ("event", "<i8")])


def image_meta_dtype(ndim: int) -> np.dtype:
    """larcv3's image_meta row: 2-D itemsize 72 (as in larcv3 files), 3-D 96 (same struct rule, inferred).

    The C struct carries 8 trailing bytes that no field names (the distance unit), kept as padding.
    """
    vec = 8 * ndim
    return np.dtype({"names": ["valid", "projection_id", "image_sizes", "number_of_voxels", "origin"],
                     "formats": ["u1", "<u8", ("<f8", (ndim,)), ("<u8", (ndim,)), ("<f8", (ndim,))],
                     "offsets": [0, 8, 16, 16 + vec, 16 + 2 * vec], "itemsize": 24 + 3 * vec}, align=True)


IMAGE_META_2D_DTYPE = image_meta_dtype(2)
IMAGE_META_3D_DTYPE = image_meta_dtype(3)
POINT_DTYPE = np.dtype([("x", "<f8"), ("y", "<f8"), ("z", "<f8"), ("t", "<f8")], align=True)
_PARTICLE_FIELDS = [
    ("id", "<u2", 0), ("mcst_index", "<u2", 2), ("mct_index", "<u2", 4), ("shape", "<i4", 8),
    ("current_type", "<i2", 12), ("interaction_type", "<i2", 14), ("trackid", "<u4", 16),
    ("pdg", "<i4", 20), ("px", "<f8", 24), ("py", "<f8", 32), ("pz", "<f8", 40),
    ("vtx", POINT_DTYPE, 48), ("end_pt", POINT_DTYPE, 80), ("first_step", POINT_DTYPE, 112),
    ("last_step", POINT_DTYPE, 144), ("dist_travel", "<f8", 176), ("energy_init", "<f8", 184),
    ("energy_deposit", "<f8", 192), ("process", "S64", 200), ("parent_trackid", "<u4", 264),
    ("parent_pdg", "<i4", 268), ("parent_vtx", POINT_DTYPE, 272), ("ancestor_trackid", "<u4", 304),
    ("ancestor_pdg", "<i4", 308), ("ancestor_vtx", POINT_DTYPE, 312),
]
#: larcv3's particle row: 25 fields, itemsize 344; energies and momenta in GeV.
LARCV_PARTICLE_DTYPE = np.dtype({"names": [f[0] for f in _PARTICLE_FIELDS],
                                 "formats": [f[1] for f in _PARTICLE_FIELDS],
                                 "offsets": [f[2] for f in _PARTICLE_FIELDS], "itemsize": 344}, align=True)
INVALID_U2 = np.iinfo(np.uint16).max     # larcv3's kINVALID_USHORT (unset mcst/mct index)
INVALID_U4 = np.iinfo(np.uint32).max     # larcv3's kINVALID_UINT (unset track id)
#: larcv3's ShapeType_t: kShapeShower 0, kShapeTrack 1, kShapeUnknown 2.
SHAPE_SHOWER, SHAPE_TRACK, SHAPE_UNKNOWN = 0, 1, 2

# --- argonet extras (larcv3 ignores everything outside /Data and /Events) ---
TRUTH_PATH = "argonet/truth"
PARTICLE_LABELS_PATH = "argonet/particle_labels"     # one dataset per particle producer
PARTICLE_LABEL_DTYPE = np.dtype([("semantic", "i1"), ("kind", "i1")])
TRUTH_DTYPE = np.dtype([
    ("class_id", "<i2"), ("class_name", "S16"), ("nu_pdg", "<i4"), ("nu_energy_GeV", "<f8"),
    ("current_type", "<i2"), ("interaction_type", "<i4"), ("vertex_cm", "<f8", (3,)),
    ("vertex_t_ns", "<f8"), ("n_cosmics", "<i4"),
])


def same_layout(actual: np.dtype, expected: np.dtype) -> bool:
    """Whether a table's dtype has the expected fields, of the right kind (integer, float, bytes)
    and sub-array shape, recursively; padding, byte order and widths may differ."""
    if expected.names is not None:
        return actual.names is not None and all(
            name in actual.names and same_layout(actual[name], expected[name]) for name in expected.names)
    if actual.shape != expected.shape:
        return False
    kinds = {"u": "uib", "i": "uib", "f": "f", "S": "S"}[expected.base.kind]
    return actual.base.kind in kinds


def group_name(product_type: str, producer: str) -> str:
    """The /Data group of a product: ``<type>_<producer>_group``."""
    return f"{product_type}_{producer}_group"


def parse_group_name(name: str) -> tuple[str, str] | None:
    """(type, producer) of a /Data group name; None when it is not a larcv3 product group."""
    if not name.endswith("_group"):
        return None
    product_type, _, producer = name[: -len("_group")].partition("_")
    if product_type not in PRODUCT_TYPES or not producer:
        return None
    return product_type, producer


def product_key(product_type: str, producer: str) -> str:
    """The ``type/producer`` spelling used in messages and in ``write_products``."""
    return f"{product_type}/{producer}"


# --- image metadata ---
@dataclass(frozen=True)
class VoxelMeta:
    """Geometry of one 3-D voxel grid (sparse3d/cluster3d), attribute names as ImageMeta."""

    projection_id: int
    shape: tuple[int, int, int]
    size_cm: tuple[float, float, float]
    origin_cm: tuple[float, float, float]

    @property
    def pixel_cm(self) -> tuple[float, float, float]:
        """Voxel pitch along each axis in cm."""
        return tuple(s / n for s, n in zip(self.size_cm, self.shape))


def meta_rows(metas: Sequence[ImageMeta | VoxelMeta]) -> np.ndarray:
    """image_meta rows (all valid) for projections of one event; all metas share one dimension."""
    ndim = len(metas[0].shape) if metas else 2
    rows = np.zeros(len(metas), image_meta_dtype(ndim))
    if metas:
        rows["valid"] = 1
        rows["projection_id"] = [m.projection_id for m in metas]
        rows["image_sizes"] = [m.size_cm for m in metas]
        rows["number_of_voxels"] = [m.shape for m in metas]
        rows["origin"] = [m.origin_cm for m in metas]
    return rows


def make_meta(projection_id: int, shape, size_cm, origin_cm) -> ImageMeta | VoxelMeta:
    """An ImageMeta (2-D) or VoxelMeta (3-D) from one row's plain values."""
    cls = ImageMeta if len(shape) == 2 else VoxelMeta
    return cls(int(projection_id), tuple(int(n) for n in shape), tuple(float(s) for s in size_cm),
               tuple(float(o) for o in origin_cm))


# --- particles ---
_KIND_TO_SHAPE = {ParticleKind.TRACK: SHAPE_TRACK, ParticleKind.SHOWER: SHAPE_SHOWER,
                  ParticleKind.MICHEL: SHAPE_SHOWER, ParticleKind.DELTA: SHAPE_SHOWER,
                  ParticleKind.LOW_ENERGY: SHAPE_SHOWER}


def process_bytes(raw: bytes) -> bytes:
    """A larcv3 ``process`` field up to its first NUL (larcv3 leaves stale bytes after it)."""
    return bytes(raw).split(b"\0", 1)[0]


def process_text(raw: bytes) -> str:
    """The process name as text; bytes that are not UTF-8 become U+FFFD, never an error."""
    return process_bytes(raw).decode("utf-8", errors="replace")


def _track_to_u4(ids: np.ndarray) -> np.ndarray:
    """argonet track ids (int32, -1 unset) to larcv3's (uint32, kINVALID_UINT unset)."""
    ids = np.asarray(ids, np.int64)
    return np.where(ids < 0, INVALID_U4, ids).astype(np.uint32)


def _track_from_u4(ids: np.ndarray) -> np.ndarray:
    """larcv3 track ids to argonet's: anything beyond int32 (kINVALID_UINT included) is -1."""
    ids = np.asarray(ids).astype(np.int64)
    return np.where((ids < 0) | (ids > np.iinfo(np.int32).max), -1, ids).astype(np.int32)


def _set_point(out: np.ndarray, xyz_cm: np.ndarray, t_ns: np.ndarray) -> None:
    """Fill a (x, y, z, t) compound column from positions (cm) and times (ns)."""
    out["x"], out["y"], out["z"] = xyz_cm[:, 0], xyz_cm[:, 1], xyz_cm[:, 2]
    out["t"] = t_ns


def _entries(n_rows: int, counts: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Event number of every row and the index of each row within its event."""
    counts = np.array([n_rows], np.int64) if counts is None else np.asarray(counts, np.int64)
    entry = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return entry, np.arange(n_rows) - starts[entry]


def particles_to_larcv(table: np.ndarray, counts: np.ndarray | None = None) -> np.ndarray:
    """argonet PARTICLE_DTYPE rows (MeV) to larcv3 particle rows (GeV).

    ``counts`` (rows per event, in order; default: one event) lets a block of events convert in
    one call: ``id`` is the row index within its event and the parent/ancestor vertices are
    taken from the particle with that track id in the same event (left 0 when absent).
    """
    n = len(table)
    entry, row_in_event = _entries(n, counts)
    out = np.zeros(n, LARCV_PARTICLE_DTYPE)
    out["id"] = np.minimum(row_in_event, INVALID_U2 - 1)
    out["mcst_index"] = out["mct_index"] = INVALID_U2
    kind = table["kind"].astype(np.int64)
    out["shape"] = SHAPE_UNKNOWN
    for argonet_kind, shape in _KIND_TO_SHAPE.items():
        out["shape"][kind == argonet_kind] = shape
    out["current_type"] = out["interaction_type"] = -1
    out["trackid"] = _track_to_u4(table["track_id"])
    out["parent_trackid"] = _track_to_u4(table["parent_id"])
    out["ancestor_trackid"] = _track_to_u4(table["ancestor_id"])
    for name in ("pdg", "parent_pdg", "ancestor_pdg"):
        out[name] = table[name]
    for axis in ("x", "y", "z"):
        out[f"p{axis}"] = table[f"p{axis}_MeV"] / MeV_per_GeV
    out["energy_init"] = table["energy_init_MeV"] / MeV_per_GeV
    out["energy_deposit"] = table["energy_deposit_MeV"] / MeV_per_GeV
    out["dist_travel"] = table["distance_cm"]
    _set_point(out["vtx"], table["start_cm"], table["start_t_ns"])
    _set_point(out["end_pt"], table["end_cm"], table["end_t_ns"])
    out["process"] = table["process"]
    for relative in ("parent", "ancestor"):
        row = _row_of_track(entry, table["track_id"], table[f"{relative}_id"])
        found = np.flatnonzero(row >= 0)
        point = out[f"{relative}_vtx"]
        for a, axis in enumerate(("x", "y", "z")):
            point[axis][found] = table["start_cm"][row[found], a]
        point["t"][found] = table["start_t_ns"][row[found]]
    return out


def _row_of_track(entry: np.ndarray, track_ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Row of the particle with each wanted track id in the same event, -1 where absent."""
    if len(track_ids) == 0:
        return np.full(len(wanted), -1, np.int64)
    mask = np.int64(0xFFFFFFFF)
    keys = (entry.astype(np.int64) << 32) | (track_ids.astype(np.int64) & mask)
    wanted_keys = (entry.astype(np.int64) << 32) | (wanted.astype(np.int64) & mask)
    order = np.argsort(keys, kind="stable")
    pos = np.minimum(np.searchsorted(keys[order], wanted_keys), len(order) - 1)
    rows = order[pos]
    return np.where((keys[rows] == wanted_keys) & (wanted >= 0), rows, -1)


def particles_from_larcv(rows: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
    """larcv3 particle rows (GeV) to argonet PARTICLE_DTYPE (MeV).

    ``labels`` (PARTICLE_LABEL_DTYPE, argonet files only) gives semantic and kind; without it
    kind follows larcv3's shape (track/shower/unknown → background) and semantic is background.
    """
    n = len(rows)
    out = np.zeros(n, PARTICLE_DTYPE)
    out["track_id"] = _track_from_u4(rows["trackid"])
    out["parent_id"] = _track_from_u4(rows["parent_trackid"])
    out["ancestor_id"] = _track_from_u4(rows["ancestor_trackid"])
    for name in ("pdg", "parent_pdg", "ancestor_pdg"):
        out[name] = rows[name]
    for axis in ("x", "y", "z"):
        out[f"p{axis}_MeV"] = rows[f"p{axis}"] * MeV_per_GeV
    out["energy_init_MeV"] = rows["energy_init"] * MeV_per_GeV
    out["energy_deposit_MeV"] = rows["energy_deposit"] * MeV_per_GeV
    out["distance_cm"] = rows["dist_travel"]
    for point, prefix in (("vtx", "start"), ("end_pt", "end")):
        out[f"{prefix}_cm"] = np.stack([rows[point][a] for a in ("x", "y", "z")], axis=-1) if n else 0.0
        out[f"{prefix}_t_ns"] = rows[point]["t"]
    out["process"] = [process_bytes(p)[: PARTICLE_DTYPE["process"].itemsize] for p in rows["process"]]
    if labels is not None:
        out["semantic"], out["kind"] = labels["semantic"], labels["kind"]
    else:
        shape = rows["shape"].astype(np.int64)
        out["semantic"] = Semantic.BACKGROUND
        out["kind"] = np.select([shape == SHAPE_TRACK, shape == SHAPE_SHOWER],
                                [ParticleKind.TRACK, ParticleKind.SHOWER], ParticleKind.BACKGROUND)
    return out


def particle_labels(table: np.ndarray) -> np.ndarray:
    """The argonet-only (semantic, kind) columns larcv3's particle row has no room for."""
    out = np.zeros(len(table), PARTICLE_LABEL_DTYPE)
    out["semantic"], out["kind"] = table["semantic"], table["kind"]
    return out


def neutrino_primaries(table: np.ndarray) -> np.ndarray:
    """The primaries of the neutrino interaction: Semantic.NEUTRINO particles created as ``primary``."""
    return table[(table["semantic"] == Semantic.NEUTRINO) & (table["process"] == b"primary")]


def neutrino_rows(truths: np.ndarray, primaries: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The ``sbndneutrino`` rows of a block of events: per event the neutrino record, then its primaries.

    ``truths`` holds one TRUTH_DTYPE row per event, ``primaries`` the events' primaries (argonet
    PARTICLE_DTYPE, ``counts`` per event). The neutrino row carries pdg, energy (GeV), vertex,
    current and interaction type, track id 0 and no parent; its momentum is left 0 because
    Truth holds no direction.
    """
    counts = np.asarray(counts, np.int64)
    rows_per_event = counts + 1
    out = np.zeros(int(rows_per_event.sum()), LARCV_PARTICLE_DTYPE)
    nu = np.cumsum(rows_per_event) - rows_per_event
    is_nu = np.zeros(len(out), bool)
    is_nu[nu] = True
    out[~is_nu] = particles_to_larcv(primaries, counts)
    out["id"] = np.minimum(_entries(len(out), rows_per_event)[1], INVALID_U2 - 1)
    out["mcst_index"][nu] = out["mct_index"][nu] = INVALID_U2
    out["shape"][nu] = SHAPE_UNKNOWN
    out["current_type"][nu] = truths["current_type"]
    out["interaction_type"][nu] = truths["interaction_type"]
    out["trackid"][nu] = 0
    out["parent_trackid"][nu] = out["ancestor_trackid"][nu] = INVALID_U4
    out["pdg"][nu] = truths["nu_pdg"]
    out["energy_init"][nu] = truths["nu_energy_GeV"]
    for a, axis in enumerate(("x", "y", "z")):
        out["vtx"][axis][nu] = truths["vertex_cm"][:, a]
    out["vtx"]["t"][nu] = truths["vertex_t_ns"]
    out["dist_travel"][nu] = -1.0
    out["process"][nu] = b"primary"
    return out


# --- event-level truth ---
def truth_rows(truths: Sequence[Truth | None]) -> np.ndarray:
    """/argonet/truth rows; an event without truth gets class_id -1, an empty name, types -1."""
    rows = np.zeros(len(truths), TRUTH_DTYPE)
    rows["class_id"] = rows["current_type"] = rows["interaction_type"] = -1
    for i, truth in enumerate(truths):
        if truth is not None:
            rows[i] = (truth.class_id, truth.class_name.encode(), truth.nu_pdg, truth.nu_energy_GeV,
                       truth.current_type, truth.interaction_type, truth.vertex_cm, truth.vertex_t_ns,
                       truth.n_cosmics)
    return rows


def truth_from_row(row: np.void) -> Truth | None:
    """A Truth from a /argonet/truth row, None where the event had none.

    Raises ValueError on a class name argonet does not know (the reader turns it into FormatError).
    """
    if int(row["class_id"]) < 0:
        return None
    name = process_text(row["class_name"])
    if name not in EVENT_CLASSES:
        raise ValueError(f"unknown event class {name!r}")
    return Truth(class_name=name, nu_pdg=int(row["nu_pdg"]), nu_energy_GeV=float(row["nu_energy_GeV"]),
                 current_type=int(row["current_type"]), interaction_type=int(row["interaction_type"]),
                 vertex_cm=tuple(float(v) for v in row["vertex_cm"]),
                 vertex_t_ns=float(row["vertex_t_ns"]), n_cosmics=int(row["n_cosmics"]))
