"""Wire-Cell frames: the shared DUNE FD files split into U, V, W planes as their README says; broken files refused."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from argonet.errors import FormatError
from argonet.event import ParticleKind
from argonet.io.wirecell import WireCellFile, topology_labels

WIRECELL = Path(__file__).parents[2].parent / "shared" / "data" / "dune_fd_wirecell_seg"


def shared(name: str) -> Path:
    """A shared Wire-Cell file, or a failure saying where it should be."""
    path = WIRECELL / name
    if not path.is_file():
        pytest.fail(f"shared reference file missing: {path} (the tests read ../shared relative to the repository)")
    return path


@pytest.fixture(scope="module")
def rec():
    with WireCellFile(shared("test3_g4-rec.h5")) as f:
        yield f


@pytest.fixture(scope="module")
def tru():
    with WireCellFile(shared("rebin_4_g4-tru.h5")) as f:
        yield f


def test_events_tags_and_planes(rec, tru):
    assert rec.events == [str(i) for i in range(1, 11)] and tru.events == rec.events
    assert rec.tags == ["rebinned_reco"] and rec.charge_tags == ["rebinned_reco"]
    assert tru.tags == ["pid_1st", "pid_2nd", "trackid_1st", "trackid_2nd"] and tru.charge_tags == []
    planes = rec.planes(0, "rebinned_reco")
    assert [p.shape for p in planes] == [(800, 1500), (800, 1500), (960, 1500)]   # README: U 800, V 800, W 960
    assert sum(int(np.count_nonzero(p)) for p in rec.planes(2, "rebinned_reco")) == 697    # README: event 3, 697 px
    assert rec.tickinfo(0, "rebinned_reco").tolist() == [0.0, 500.0, 0.0]


def test_plane_split_matches_the_raw_frame(rec):
    with h5py.File(shared("test3_g4-rec.h5"), "r") as h5:
        frame, channels = h5["1/frame_rebinned_reco"][()], h5["1/channels_rebinned_reco"][()]
    row = int(np.flatnonzero(channels == 1700)[0])
    w = rec.planes(0, "rebinned_reco")[2]
    np.testing.assert_array_equal(w[100], frame[row])                 # channel 1700 = W wire 100
    u = rec.planes(0, "rebinned_reco")[0]
    np.testing.assert_array_equal(u[799], frame[int(np.flatnonzero(channels == 799)[0])])


def test_truth_pixels_are_charged_pixels(rec, tru):
    # README: events 1-3 have 22113, 31443, 360 truth pixels, every one of them with charge in the rec file
    for entry, expected in zip(range(3), (22113, 31443, 360)):
        truth = tru.planes(entry, "pid_1st")
        charge = rec.planes(entry, "rebinned_reco")
        assert sum(int(np.count_nonzero(t)) for t in truth) == expected
        assert all(bool((c[t != 0] != 0).all()) for c, t in zip(charge, truth))


def test_topology_labels_from_pdg():
    pdg = np.array([0, 13, -13, 211, -211, 2212, 321, 1000180400, 22, 11, -11, 111], np.float32)
    expected = [ParticleKind.BACKGROUND] + [ParticleKind.TRACK] * 7 + [ParticleKind.SHOWER] * 4
    assert topology_labels(pdg).tolist() == [int(k) for k in expected]


def test_broken_files_are_refused(tmp_path):
    data = shared("test3_g4-rec.h5").read_bytes()
    (tmp_path / "truncated.h5").write_bytes(data[: len(data) // 3])
    with pytest.raises(FormatError, match=r"^file .*truncated.h5: cannot read \(OSError") as excinfo:
        WireCellFile(tmp_path / "truncated.h5")
    assert "\n" not in str(excinfo.value)
    with h5py.File(tmp_path / "no_channels.h5", "w") as h5:
        h5.create_dataset("1/frame_x", data=np.zeros((4, 5), np.float32))
    with pytest.raises(FormatError, match=r"no_channels.h5, product '1/frame_x', event 0: needs channels_x"):
        WireCellFile(tmp_path / "no_channels.h5")
    with h5py.File(tmp_path / "two_apas.h5", "w") as h5:
        h5.create_dataset("1/frame_x", data=np.ones((2, 5), np.float32))
        h5.create_dataset("1/channels_x", data=np.array([5, 2565]))
    with WireCellFile(tmp_path / "two_apas.h5") as f:
        with pytest.raises(FormatError, match=r"frame rows span anodes \[0, 1\]"):
            f.planes(0, "x")
        with pytest.raises(FormatError, match=r"no frame tag 'y'"):
            f.frame(0, "y")
    with h5py.File(tmp_path / "empty.h5", "w") as h5:
        h5.create_group("1")
    with pytest.raises(FormatError, match=r"not a Wire-Cell frame file"):
        WireCellFile(tmp_path / "empty.h5")
