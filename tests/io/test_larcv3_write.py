"""Writing larcv3 files: the layout larcv3 reads, round trips, and crash-safe output."""

from __future__ import annotations

import json
import subprocess
import sys

import h5py
import numpy as np
import pytest

from argonet.errors import ArgonetError, DataError, FormatError
from argonet.event import EVENT_CLASSES, PARTICLE_DTYPE, ImageMeta, SparseImage
from argonet.io import Larcv3File, Larcv3Writer, write_events


def _copy_sample(sample_path, out, **writer_options):
    """Write the sample's products, as read, into a new file with our writer."""
    with Larcv3File(sample_path) as f, Larcv3Writer(out, **writer_options) as w:
        for entry in range(len(f)):
            w.write_products({"sparse2d/sbndwire": f.sparse2d("sbndwire", entry),
                              ("sparse2d", "sbnd_cosmicseg"): f.sparse2d("sbnd_cosmicseg", entry),
                              "particle/sbndneutrino": f.particles_raw("sbndneutrino", entry)},
                             event_id=f.event_ids[entry])
    return out


def test_round_trip_of_the_sample_matches_what_larcv3_reads(sample_path, expected, check_expected, tmp_path):
    out = _copy_sample(sample_path, tmp_path / "copy.h5")
    with Larcv3File(out) as f:
        assert check_expected(f, expected) == 36


def test_tables_have_the_larcv3_layout(sample_path, tmp_path, make_events):
    # larcv3-format.md: 1-D, chunked, maxshape (None,), gzip level 1; dtypes as larcv3 writes them
    ours = _copy_sample(sample_path, tmp_path / "copy.h5")
    write_events(tmp_path / "events.h5", make_events(3))
    with h5py.File(sample_path) as ref, h5py.File(ours) as a, h5py.File(tmp_path / "events.h5") as b:
        assert sorted(a["Data"]) == sorted(ref["Data"])
        for f in (a, b):
            seen = []

            def check(name, obj, seen=seen):
                if not isinstance(obj, h5py.Dataset) or name.startswith("argonet"):
                    return
                table = name.rsplit("/", 1)[-1]
                group = "particle_sbndneutrino_group" if "particle_" in name else "sparse2d_sbndwire_group"
                reference = ref["Events/event_id"] if name.startswith("Events") else ref[f"Data/{group}/{table}"]
                assert obj.ndim == 1 and obj.maxshape == (None,) and obj.chunks is not None, name
                assert (obj.compression, obj.compression_opts) == ("gzip", 1), name
                assert obj.dtype == reference.dtype and obj.dtype.itemsize == reference.dtype.itemsize, name
                seen.append(name)
            f.visititems(check)
            assert "Events/event_id" in seen and len(seen) >= 9


def test_same_events_give_byte_identical_files(tmp_path, make_events):
    # padding bytes of the voxel rows are zeroed and no timestamps are stored
    attrs = {"argonet_config": "seed: 3\n"}
    first = write_events(tmp_path / "a.h5", make_events(3, seed=2), attrs=attrs)
    with h5py.File(first) as h5:
        assert h5["Data/sparse2d_sbndwire_group/voxels"].dtype.itemsize == 16       # 4 padding bytes per row
    second = write_events(tmp_path / "b.h5", make_events(3, seed=2), attrs=attrs)
    assert first.read_bytes() == second.read_bytes()


def test_events_round_trip(tmp_path, make_events):
    events = make_events(5, seed=4)
    events[3].truth = None
    path = write_events(tmp_path / "events.h5", events, attrs={"argonet_config": "generator:\n  name: gun\n"})
    with Larcv3File(path) as f:
        assert f.attrs["argonet_config"] == "generator:\n  name: gun\n" and "argonet_version" in f.attrs
        assert f.products["sparse2d"] == ["argonet_kind", "sbnd_cosmicseg", "sbndwire"]
        for entry, want in enumerate(events):
            got = f.event(entry)
            assert (got.run, got.subrun, got.event) == (want.run, want.subrun, want.event)
            for name in ("charge", "semantic", "kind"):
                for a, b in zip(getattr(got, name), getattr(want, name)):
                    assert a.meta == b.meta and np.array_equal(a.index, b.index) and np.array_equal(a.value, b.value)
            assert got.truth == want.truth
            for field in PARTICLE_DTYPE.names:
                if got.particles[field].dtype.kind == "f":
                    assert np.allclose(got.particles[field], want.particles[field], rtol=1e-14, atol=0), field
                else:
                    assert np.array_equal(got.particles[field], want.particles[field]), field
            neutrino = f.particles_raw("sbndneutrino", entry)
            if want.truth is None:
                assert len(neutrino) == 0
            else:
                # larcv3-format.md: the neutrino record first, with current and interaction type
                assert neutrino["pdg"][0] == 14 and neutrino["energy_init"][0] == want.truth.nu_energy_GeV
                assert (neutrino["current_type"][0], neutrino["interaction_type"][0]) == (0, 1001)
                assert len(neutrino) == 1 + 2           # the two primaries of synthetic_event
        with h5py.File(path) as h5:
            assert json.loads(h5["argonet/truth"].attrs["class_names"]) == list(EVENT_CLASSES)


def test_empty_projection_rows_and_increasing_ids(tmp_path):
    meta = [ImageMeta(p, (4, 5), (4.0, 5.0), (0.0, 0.0)) for p in range(3)]
    unsorted = SparseImage(meta[0], np.array([7, 2, 11], np.uint64), np.array([1.0, 2.0, 3.0], np.float32))
    empty = SparseImage(meta[1], np.zeros(0, np.uint64), np.zeros(0, np.float32))
    last = SparseImage(meta[2], np.array([19], np.uint64), np.array([4.0], np.float32))
    path = tmp_path / "e.h5"
    with Larcv3Writer(path) as w:
        w.write_products({"sparse2d/q": [unsorted, empty, last]})
        w.write_products({"sparse2d/q": []})
    with h5py.File(path) as h5:
        g = h5["Data/sparse2d_q_group"]
        assert g["voxel_extents"]["N"].tolist() == [3, 0, 1] and len(g["image_meta"]) == 3
        assert g["extents"]["N"].tolist() == [3, 0]
        assert g["voxels"]["id"].tolist() == [2, 7, 11, 19] and g["voxels"]["value"].tolist() == [2.0, 1.0, 3.0, 4.0]


def test_bad_pixels_are_refused(tmp_path):
    meta = ImageMeta(0, (4, 5), (4.0, 5.0), (0.0, 0.0))
    with Larcv3Writer(tmp_path / "bad.h5") as w:
        with pytest.raises(DataError, match="duplicate"):
            w.write_products({"sparse2d/q": [SparseImage(meta, np.array([3, 3], np.uint64), np.ones(2, np.float32))]})
        with pytest.raises(DataError, match="outside the image"):
            w.write_products({"sparse2d/q": [SparseImage(meta, np.array([20], np.uint64), np.ones(1, np.float32))]})
        assert len(w) == 0


def test_products_missing_from_some_events_get_empty_entries(tmp_path, make_events):
    event = make_events(1)[0]
    path = tmp_path / "p.h5"
    with Larcv3Writer(path) as w:
        w.write_products({"sparse2d/a": event.charge})
        w.write_products({"sparse2d/b": event.charge, "particle/p": event.particles})
        w.write_products({"sparse2d/a": event.charge})
    with Larcv3File(path) as f:
        assert len(f) == 3
        assert [len(f.sparse2d("b", e)) for e in range(3)] == [0, 3, 0]
        assert [len(f.sparse2d("a", e)) for e in range(3)] == [3, 0, 3]
        assert [len(f.particles("p", e)) for e in range(3)] == [0, len(event.particles), 0]


def test_refuses_to_overwrite_unless_asked(tmp_path, make_events):
    path = write_events(tmp_path / "x.h5", make_events(2))
    with pytest.raises(FormatError, match="x.h5.*overwrite=True"):
        write_events(path, make_events(1))
    with Larcv3File(path) as f:
        assert len(f) == 2
    write_events(path, make_events(1), overwrite=True)
    with Larcv3File(path) as f:
        assert len(f) == 1


def test_file_appears_only_when_complete(tmp_path, make_events):
    path = tmp_path / "atomic.h5"
    writer = Larcv3Writer(path)
    for event in make_events(3):
        writer.write(event)
    writer.flush()
    assert not path.exists() and writer._out.tmp.parent == tmp_path and writer._out.tmp.exists()
    writer.close()
    assert path.exists() and [p.name for p in tmp_path.iterdir()] == ["atomic.h5"]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_exception_inside_with_leaves_no_file(tmp_path, make_events, error):
    path = tmp_path / "broken.h5"
    with pytest.raises(error):
        with Larcv3Writer(path) as w:
            for event in make_events(2):
                w.write(event)
            w.flush()
            raise error("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_killed_writer_leaves_nothing_under_the_final_name(tmp_path):
    path = tmp_path / "killed.h5"
    script = (
        "import time, numpy as np\n"
        "from argonet.event import ImageMeta, SparseImage\n"
        "from argonet.io import Larcv3Writer\n"
        f"w = Larcv3Writer({str(path)!r})\n"
        "m = ImageMeta(0, (8, 8), (8.0, 8.0), (0.0, 0.0))\n"
        "w.write_products({'sparse2d/q': [SparseImage(m, np.arange(3, dtype=np.uint64), np.ones(3, np.float32))]})\n"
        "w.flush()\n"
        "print('flushed', flush=True)\n"
        "time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"flushed"
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    assert not path.exists()
    assert [p.name.endswith(".part") for p in tmp_path.iterdir()] == [True]   # only the temporary file


def test_a_thousand_small_events_round_trip(tmp_path, make_events):
    # the writing speed is measured by benchmarks/bench_write.py, beside plain h5py
    events = make_events(1000, pixels=100, n_particles=5)
    write_events(tmp_path / "many.h5", events)
    with Larcv3File(tmp_path / "many.h5") as f:
        assert len(f) == 1000 and np.array_equal(f.sparse2d("sbndwire", 999)[2].value, events[999].charge[2].value)


def test_writer_errors_are_argonet_errors(tmp_path):
    with pytest.raises(ArgonetError, match="output folder"):
        Larcv3Writer(tmp_path / "missing" / "x.h5")
    with Larcv3Writer(tmp_path / "ok.h5") as w:
        with pytest.raises(ArgonetError, match="entry_products"):
            w.write_products({"cluster3d/x": []})
        with pytest.raises(DataError, match="PARTICLE_DTYPE"):
            w.write_products({"particle/x": np.zeros(2)})


def test_written_files_follow_the_umask(tmp_path, make_events):
    import os
    import stat

    from argonet.io import write_events

    old = os.umask(0o022)
    try:
        path = write_events(tmp_path / "shared.h5", make_events(1))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
