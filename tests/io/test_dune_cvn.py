"""DUNE CVN pixel maps: the shared 800 + 20 event folders read as their README describes; damaged copies refused."""

from __future__ import annotations

import json
import pickle
import shutil
import zlib
from pathlib import Path

import numpy as np
import pytest

from argonet.errors import FormatError
from argonet.io.dune_cvn import CVN_CLASSES, read_info, read_pixel_map, scan_cvn_folder

CVN = Path(__file__).parents[2].parent / "shared" / "data" / "dune_cvn"


def shared_folder(path: Path) -> Path:
    """A shared data folder, or a failure saying where it should be."""
    if not path.is_dir():
        pytest.fail(f"shared data folder missing: {path} (the tests read ../shared relative to the repository)")
    return path


@pytest.fixture(scope="module")
def dataset_info():
    return scan_cvn_folder(shared_folder(CVN / "dataset_info"))


def test_flavour_folders_counts_from_the_readme(dataset_info):
    assert len(dataset_info) == 800
    assert dataset_info.class_counts() == {"NUMU_CC": 200, "NUE_CC": 200, "NUTAU_CC": 200, "NC": 200}
    # README table: QE / Res / DIS / other and antineutrinos per flavour folder
    expected = {0: ([31, 60, 98, 11], 5), 1: ([31, 35, 129, 5], 33), 2: ([39, 34, 122, 5], 26)}
    for flavour, (modes, antinu) in expected.items():
        rows = dataset_info.labels[dataset_info.flavour == flavour]
        assert np.bincount(rows[:, 2], minlength=4).tolist() == modes
        assert int((rows[:, 0] == 1).sum()) == antinu
    nc = dataset_info.labels[dataset_info.flavour == 3]
    assert (nc[:, 0] == -1).all() and (nc[:, 2] == -1).all()


def test_pixel_map_matches_an_independent_decoding(dataset_info):
    path = CVN / "dataset_info" / "numu" / "event0.gz"
    independent = np.frombuffer(zlib.decompress(path.read_bytes()), np.uint8).reshape(3, 500, 500)
    index = [str(f) for f in dataset_info.files].index(str(path))
    image = dataset_info.pixel_map(index)
    assert image.shape == (3, 500, 500) and image.dtype == np.uint8
    np.testing.assert_array_equal(image, independent)
    assert image[0, 1, 199] == 69 and image[1, 30, 74] == 255     # values read with plain zlib + numpy
    assert [int(np.count_nonzero(v)) for v in image] == [737, 621, 663]


def test_median_non_zero_pixels_per_class_as_published(dataset_info):
    counts = np.array([np.count_nonzero(dataset_info.pixel_map(i)) for i in range(len(dataset_info))])
    medians = [np.median(counts[dataset_info.flavour == k]) for k in range(4)]
    # README: numu 1971, nue 6169, nutau 6965, NC 1081 (whole pixels; the medians of 200 fall on halves)
    np.testing.assert_allclose(medians, [1971, 6169, 6965, 1081], atol=0.5)


def test_info_truth_agrees_with_the_labels(dataset_info):
    info = dataset_info.info(0)
    assert info["nu_energy_GeV"] == pytest.approx(2.9556) and info["nu_pdg"] == 14 and info["cvn_code"] == 0
    truth = dataset_info.truth(0)
    assert (truth.class_name, truth.nu_pdg, truth.current_type, truth.interaction_type) == ("NUMU_CC", 14, 0, 1001)
    for i in range(0, len(dataset_info), 7):
        row, info = dataset_info.label(i), dataset_info.info(i)
        code = 13 if row["flavour"] == 3 else 4 * row["flavour"] + row["interaction"]   # README: .info line 0
        assert info["cvn_code"] == code
        sign = -1 if row["is_antinu"] == 1 else 1
        assert info["nu_pdg"] == (1 if row["flavour"] == 3 else sign * (14, 12, 16)[row["flavour"]])
    nc = int(np.flatnonzero(dataset_info.flavour == 3)[0])
    assert dataset_info.truth(nc).class_name == "NC" and dataset_info.truth(nc).current_type == 1


def test_original_release_and_one_flavour_folder():
    original = scan_cvn_folder(shared_folder(CVN / "original_20"))
    assert len(original) == 20 and original.info(0) is None
    # expected_results.txt: supports 4 numu, 8 nue, 3 nutau, 5 NC
    assert original.class_counts() == {"NUMU_CC": 4, "NUE_CC": 8, "NUTAU_CC": 3, "NC": 5}
    assert original.pixel_map(19).shape == (3, 500, 500)
    nue = scan_cvn_folder(CVN / "dataset_info" / "nue")
    assert len(nue) == 200 and set(nue.class_names) == {"NUE_CC"}


def _copy_flavour(tmp_path: Path, n: int = 3, keep_json: bool = True) -> Path:
    """Events 0..n-1 of the nue folder with their labels, copied to tmp_path/nue."""
    src, dst = CVN / "dataset_info" / "nue", tmp_path / "nue"
    dst.mkdir()
    labels = json.loads((src / "partition_nue.json").read_text())
    for i in range(n):
        shutil.copy(src / f"event{i}.gz", dst)
    if keep_json:
        (dst / "partition_nue.json").write_text(json.dumps({str(i): labels[str(i)] for i in range(n)}))
    return dst


def test_pickle_partition_is_read_without_running_code(tmp_path):
    folder = _copy_flavour(tmp_path, keep_json=False)
    labels = json.loads((CVN / "dataset_info" / "nue" / "partition_nue.json").read_text())
    (folder / "partition_nue.p").write_bytes(pickle.dumps({str(i): labels[str(i)] for i in range(3)}))
    assert scan_cvn_folder(folder).labels.tolist() == [labels[str(i)] for i in range(3)]
    (folder / "partition_nue.p").write_bytes(pickle.dumps({"0": Path("x")}))      # a pickle naming a class
    with pytest.raises(FormatError, match=r"^file .*partition_nue.p: cannot read the partition labels .*refusing"):
        scan_cvn_folder(folder)


def _one_line(excinfo, *names: str) -> str:
    text = str(excinfo.value)
    assert "\n" not in text and all(name in text for name in names), text
    return text


def test_damaged_maps_give_one_line_naming_the_file(tmp_path):
    folder = _copy_flavour(tmp_path)
    data = (folder / "event1.gz").read_bytes()
    (folder / "event1.gz").write_bytes(data[: len(data) // 2])
    cvn = scan_cvn_folder(folder)
    assert cvn.pixel_map(0).shape == (3, 500, 500)
    with pytest.raises(FormatError, match="truncated or damaged") as excinfo:
        cvn.pixel_map(1)
    _one_line(excinfo, "event1.gz")
    (folder / "event2.gz").write_bytes(zlib.compress(bytes(3 * 500 * 499)))
    with pytest.raises(FormatError, match=r"holds 748500 bytes, a pixel map has 750000") as excinfo:
        read_pixel_map(folder / "event2.gz")
    _one_line(excinfo, "event2.gz")


def test_broken_folders_are_refused(tmp_path):
    folder = _copy_flavour(tmp_path)
    (folder / "event2.gz").unlink()
    with pytest.raises(FormatError, match=r"1 labelled event file\(s\) missing, first event2.gz"):
        scan_cvn_folder(folder)
    (folder / "partition_nue.json").write_text('{"0": [0, 1, 2]}')
    with pytest.raises(FormatError, match=r"event 0: label row \[0, 1, 2\] is not 7 integers") as excinfo:
        scan_cvn_folder(folder)
    _one_line(excinfo, "partition_nue.json")
    (folder / "partition_nue.json").write_text('{"0": [0, 0, 2, 1, 1, 0, 0]}')    # a numu row in the nue folder
    with pytest.raises(FormatError, match=r"labelled flavour 0 in folder 'nue'"):
        scan_cvn_folder(folder)
    (folder / "partition_nue.json").write_text('{"0": [0, 1, 2')
    with pytest.raises(FormatError, match=r"cannot read the partition labels \(JSONDecodeError"):
        scan_cvn_folder(folder)
    with pytest.raises(FormatError, match=r"CVN folder not found"):
        scan_cvn_folder(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FormatError, match=r"empty: not a CVN folder: expected flavour folders"):
        scan_cvn_folder(tmp_path / "empty")
    (tmp_path / "bad.info").write_text("1 2 3\n")
    with pytest.raises(FormatError, match=r"holds 3 numbers, expected 15"):
        read_info(tmp_path / "bad.info")
    assert CVN_CLASSES == ("NUMU_CC", "NUE_CC", "NUTAU_CC", "NC")
