"""Reading larcv3 files: the sample written by larcv3 3.5.1 must read back exactly as larcv3 reads it."""

from __future__ import annotations

import multiprocessing
import pickle
import shutil

import numpy as np
import pytest

from argonet.errors import FormatError
from argonet.event import Semantic
from argonet.io import Larcv3Chain, Larcv3File


def test_sample_matches_what_larcv3_reads(sample_path, expected, check_expected):
    # sample_cosmic_tagger.h5.expected.json: every field larcv3 itself read back
    with Larcv3File(sample_path) as f:
        checks = check_expected(f, expected)
        assert f.products == {"particle": ["sbndneutrino"], "sparse2d": ["sbnd_cosmicseg", "sbndwire"]}
    assert checks == 4 * 3 * 2 + 4 * 3      # 4 events x 3 planes x 2 products, 4 x 3 particles


def test_worked_pixel_example_of_the_format_reference():
    # larcv3-format.md, "Pixel index <-> coordinates": id 40786 on (2048, 1280) is pixel (31, 1106)
    assert np.unravel_index(40786, (2048, 1280)) == (31, 1106)


def test_labels_hold_the_charge_pixels(sample_path):
    with Larcv3File(sample_path) as f:
        for entry in range(len(f)):
            event = f.event(entry, particles="sbndneutrino")
            assert event.n_planes == 3 and event.kind == []
            for charge, label in zip(event.charge, event.semantic):
                assert np.array_equal(charge.index, label.index)
                assert set(np.unique(label.value)) <= {float(s) for s in Semantic}
            assert (event.run, event.subrun, event.event) == tuple(f.event_ids[entry])
            assert event.truth is None
            # larcv3 stores GeV, argonet MeV: the numu of the README is 1.2 GeV
            assert event.particles["pdg"][0] == 14 and event.particles["energy_init_MeV"][0] == pytest.approx(1200.0)


def test_batch_read_equals_entry_reads(sample_path):
    with Larcv3File(sample_path) as f:
        batch = f.sparse2d_range("sbndwire", 1, 4)
        assert len(batch) == 3 and batch.n_projections == 3 and batch.start == 1
        assert batch.index.dtype == np.uint64 and batch.value.dtype == np.float32
        for e in range(3):
            for got, want in zip(batch.images(e), f.sparse2d("sbndwire", 1 + e)):
                assert got.meta == want.meta
                assert np.array_equal(got.index, want.index) and np.array_equal(got.value, want.value)
        rows = batch.voxel_rows()
        assert len(rows) == len(batch.index) and np.all(np.diff(rows) >= 0)
        empty = f.sparse2d_range("sbndwire", 2, 2)
        assert len(empty) == 0 and len(empty.index) == 0


def _read_in_worker(reader) -> float:
    """What a DataLoader worker does with a pickled reader."""
    return float(reader.sparse2d("sbndwire", 3)[2].value.sum())


def test_reader_pickles_into_worker_processes(sample_path):
    with Larcv3File(sample_path) as f:
        want = float(f.sparse2d("sbndwire", 3)[2].value.sum())    # handle opened in this process
        clone = pickle.loads(pickle.dumps(f))
        assert _read_in_worker(clone) == want
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            assert pool.apply(_read_in_worker, (f,)) == want
        assert _read_in_worker(f) == want


def test_unknown_product_names_the_file_and_the_nearest_name(sample_path):
    with Larcv3File(sample_path) as f, pytest.raises(FormatError) as err:
        f.sparse2d("sbnd_wire", 0)
    message = str(err.value)
    assert str(sample_path) in message and "sparse2d/sbndwire" in message and "\n" not in message


def test_entry_past_the_end_is_a_format_error(sample_path):
    with Larcv3File(sample_path) as f:
        with pytest.raises(FormatError, match="past the end"):
            f.sparse2d("sbndwire", 4)
        with pytest.raises(FormatError, match="outside"):
            f.sparse2d_range("sbndwire", 2, 5)
        assert f.sparse2d("sbndwire", -1)[0].meta.projection_id == 0


def test_not_a_larcv3_file(tmp_path):
    bad = tmp_path / "notes.h5"
    bad.write_text("not hdf5")
    with pytest.raises(FormatError, match="notes.h5"):
        Larcv3File(bad)
    with pytest.raises(FormatError, match="no such file"):
        Larcv3File(tmp_path / "missing.h5")


def test_chain_reads_files_as_one(sample_path, tmp_path):
    second = tmp_path / "copy.h5"
    shutil.copy(sample_path, second)
    with Larcv3File(sample_path) as f, Larcv3Chain([sample_path, second]) as chain:
        assert len(chain) == 8 and chain.products == f.products
        file, local = chain.locate(6)
        assert file.path == second and local == 2
        assert chain.event_ids.tolist() == f.event_ids.tolist() * 2
        batch = chain.sparse2d_range("sbndwire", 2, 7)      # crosses the file boundary
        assert len(batch) == 5 and batch.start == 2
        for e, entry in enumerate(range(2, 7)):
            for got, want in zip(batch.images(e), f.sparse2d("sbndwire", entry % 4)):
                assert np.array_equal(got.index, want.index) and np.array_equal(got.value, want.value)
        assert np.array_equal(chain.particles_raw("sbndneutrino", 5), f.particles_raw("sbndneutrino", 1))
        with pytest.raises(FormatError, match="past the end"):
            chain.sparse2d("sbndwire", 8)
        counts = chain.sparse2d_pixel_counts("sbndwire", [0, 2])     # from the index, planes 0 and 2 only
        assert counts.tolist() == [sum(len(im.index) for im in f.sparse2d("sbndwire", e % 4)
                                       if im.meta.projection_id in (0, 2)) for e in range(8)]
        assert counts.min() > 0 and chain.sparse2d_pixel_counts("sbndwire", [7]).tolist() == [0] * 8
        clone = pickle.loads(pickle.dumps(chain))
        assert np.array_equal(clone.sparse2d("sbnd_cosmicseg", 7)[1].value, f.sparse2d("sbnd_cosmicseg", 3)[1].value)
