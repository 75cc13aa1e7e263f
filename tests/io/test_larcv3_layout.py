"""The larcv3 layout constants and the argonet <-> larcv3 conversions."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from argonet.event import EVENT_CLASSES, PARTICLE_DTYPE, ParticleKind, Truth
from argonet.io import larcv3_layout as L


def test_row_dtypes_are_those_larcv3_writes(sample_path):
    # larcv3-format.md: particle = 25 fields, itemsize 344; 2-D image_meta itemsize 72;
    # the sample was written by larcv3 3.5.1, so its dtypes are the reference, padding included.
    with h5py.File(sample_path) as f:
        wire = f["Data/sparse2d_sbndwire_group"]
        pairs = ((L.EXTENTS_DTYPE, wire["extents"].dtype), (L.ID_EXTENTS_DTYPE, wire["voxel_extents"].dtype),
                 (L.VOXEL_DTYPE, wire["voxels"].dtype), (L.IMAGE_META_2D_DTYPE, wire["image_meta"].dtype),
                 (L.EVENT_ID_DTYPE, f["Events/event_id"].dtype),
                 (L.LARCV_PARTICLE_DTYPE, f["Data/particle_sbndneutrino_group/particles"].dtype))
        for ours, theirs in pairs:
            assert ours.names == theirs.names
            assert [ours.fields[n][1] for n in ours.names] == [theirs.fields[n][1] for n in theirs.names]
            assert ours.itemsize == theirs.itemsize
            assert [ours[n] for n in ours.names] == [theirs[n] for n in theirs.names]
    assert len(L.LARCV_PARTICLE_DTYPE.names) == 25 and L.LARCV_PARTICLE_DTYPE.itemsize == 344
    assert L.IMAGE_META_2D_DTYPE.itemsize == 72


def test_group_names_split_off_type_and_suffix():
    # larcv3-format.md: "sparse2d_sbnd_cosmicseg_group is type sparse2d, producer sbnd_cosmicseg"
    assert L.parse_group_name("sparse2d_sbnd_cosmicseg_group") == ("sparse2d", "sbnd_cosmicseg")
    assert L.parse_group_name("particle_sbndneutrino_group") == ("particle", "sbndneutrino")
    assert L.parse_group_name(L.group_name("cluster2d", "sbnd_seg_merged")) == ("cluster2d", "sbnd_seg_merged")
    assert L.parse_group_name("sparse2d_group") is None and L.parse_group_name("argonet") is None


def test_process_is_read_up_to_the_first_nul_and_never_fails():
    # larcv3-format.md: "a short name after a long one reads b'comptry\xc0'"
    assert L.process_bytes(b"compt\x00ry\xc0") == b"compt"
    assert L.process_text(b"comptry\xc0").startswith("comptry")
    assert L.process_text(b"\xff\xfe\x00junk") == "\ufffd\ufffd"


def _table(n: int) -> np.ndarray:
    rng = np.random.default_rng(3)
    t = np.zeros(n, PARTICLE_DTYPE)
    t["track_id"] = np.arange(1, n + 1)
    t["parent_id"] = np.r_[-1, np.arange(1, n)]
    t["ancestor_id"] = np.r_[-1, np.ones(n - 1, int)]
    t["pdg"], t["parent_pdg"] = 13, 2212
    for name in ("px_MeV", "py_MeV", "pz_MeV", "energy_init_MeV", "energy_deposit_MeV", "distance_cm",
                 "start_t_ns", "end_t_ns"):
        t[name] = rng.uniform(-300, 300, n)
    t["start_cm"], t["end_cm"] = rng.uniform(-200, 200, (n, 3)), rng.uniform(-200, 200, (n, 3))
    t["semantic"], t["kind"] = 1, rng.integers(0, 6, n)
    t["process"] = b"muIoni"
    return t


def test_particles_round_trip_through_larcv3_rows():
    table = _table(6)
    rows = L.particles_to_larcv(table)
    # larcv3 stores GeV (larcv3-format.md, particle): 1 GeV = 1000 MeV
    assert rows["energy_init"] == pytest.approx(table["energy_init_MeV"] / 1000.0, rel=1e-15)
    assert rows["trackid"][0] == 1 and rows["parent_trackid"][0] == np.iinfo(np.uint32).max
    assert list(rows["id"]) == list(range(6))
    # parent vertex is the start of the parent particle of the same event
    assert rows["parent_vtx"]["x"][2] == table["start_cm"][1, 0] and rows["parent_vtx"]["t"][0] == 0.0
    kind = table["kind"]
    assert np.all(rows["shape"][kind == ParticleKind.TRACK] == L.SHAPE_TRACK)
    assert np.all(rows["shape"][kind == ParticleKind.SHOWER] == L.SHAPE_SHOWER)
    assert np.all(rows["shape"][kind == ParticleKind.BACKGROUND] == L.SHAPE_UNKNOWN)
    back = L.particles_from_larcv(rows, L.particle_labels(table))
    for name in PARTICLE_DTYPE.names:
        if back[name].dtype.kind == "f":
            assert np.allclose(back[name], table[name], rtol=1e-14, atol=0), name
        else:
            assert np.array_equal(back[name], table[name]), name


def test_block_conversion_keeps_events_apart():
    table = np.concatenate([_table(3), _table(3)])
    rows = L.particles_to_larcv(table, counts=[3, 3])
    assert list(rows["id"]) == [0, 1, 2, 0, 1, 2]
    # event 2's particle 2 has parent track 1 of event 2, not of event 1
    assert rows["parent_vtx"]["y"][4] == table["start_cm"][3, 1]


def test_neutrino_rows_put_the_neutrino_first():
    truth = Truth("CCQE", 14, 1.2, 0, 1001, (1.0, 2.0, 3.0), 4.0, 0)
    primaries = _table(2)
    rows = L.neutrino_rows(L.truth_rows([truth]), primaries, [2])
    assert list(rows["pdg"]) == [14, 13, 13]
    assert rows["energy_init"][0] == 1.2 and rows["current_type"][0] == 0 and rows["interaction_type"][0] == 1001
    assert list(rows["current_type"][1:]) == [-1, -1]
    assert [rows["vtx"][a][0] for a in "xyzt"] == [1.0, 2.0, 3.0, 4.0]


def test_truth_rows_round_trip():
    truth = Truth("NC_PI0", 14, 0.8, 1, 1012, (1.5, -2.0, 30.0), 800.0, 3)
    rows = L.truth_rows([truth, None])
    assert rows["class_id"][0] == EVENT_CLASSES.index("NC_PI0") and rows["class_id"][1] == -1
    assert L.truth_from_row(rows[0]) == truth and L.truth_from_row(rows[1]) is None
    rows["class_name"][0] = b"NOT_A_CLASS"
    with pytest.raises(ValueError):
        L.truth_from_row(rows[0])
