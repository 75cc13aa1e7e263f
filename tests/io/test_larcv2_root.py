"""LArCV2 ROOT files through uproot: the shared tutorial files read as their README says; damaged copies refused."""

from __future__ import annotations

import pickle
from pathlib import Path
import subprocess
import sys

import numpy as np
import pytest
import uproot

from argonet.errors import FormatError
from argonet.io.larcv2_root import Larcv2RootFile

TUTORIAL = Path(__file__).parents[2].parent / "shared" / "data" / "larcv_tutorial"


def shared(name: str) -> Path:
    """A shared tutorial file, or a failure saying where it should be."""
    path = TUTORIAL / name
    if not path.is_file():
        pytest.fail(f"shared reference file missing: {path} (the tests read ../shared relative to the repository)")
    return path


def test_electron_file_images_and_particles():
    with Larcv2RootFile(shared("electron.root")) as f:
        assert len(f) == 10 and f.products == {"image2d": ["data"], "particle": ["mctruth"]}
        assert f.event_id(0) == (1, 0, 1) and f.event_id(9) == (1, 0, 10)
        for entry in range(len(f)):
            images = f.image2d("data", entry)
            assert [im.meta.projection_id for im in images] == [0, 1, 2]
            assert all(im.pixels.shape == (256, 256) and im.pixels.dtype == np.float32 and im.unit == "cm"
                       for im in images)
            sums = [float(im.pixels.sum(dtype=np.float64)) for im in images]
            np.testing.assert_allclose(sums, sums[0], rtol=1e-5)     # README: projections of the same deposits
            assert all(150 <= np.count_nonzero(im.pixels) <= 900 for im in images)   # README: ~200-700 pixels
            particles = f.particles_raw("mctruth", entry)
            assert particles["pdg"].tolist() == [11]
            assert 0.2 <= particles["energy_init"][0] <= 0.8                 # README: ~0.25-0.8 GeV electrons
            assert f.particles("mctruth", entry)["energy_init_MeV"][0] == pytest.approx(
                1000 * particles["energy_init"][0])
        first = f.image2d("data", 0)[0]
        assert first.meta.origin_cm == (129.0, -62.5) and first.meta.size_cm == (128.0, 128.0)


def test_pixels_match_the_readme_recipe():
    """The README's uproot recipe gives (rows, cols); argonet's array is (cols, rows) = (x, y)."""
    path = shared("electron.root")
    tree = uproot.open(path)["image2d_data_tree"]
    prefix = "image2d_data_branch/_image_v/_image_v."
    flat = tree[prefix + "_img"].array(library="np")[3][2]
    rows, cols = tree[prefix + "_meta._row_count"].array(library="np")[3][2], \
        tree[prefix + "_meta._col_count"].array(library="np")[3][2]
    readme = np.asarray(flat).reshape(cols, rows).T
    with Larcv2RootFile(path) as f:
        np.testing.assert_array_equal(f.image2d("data", 3)[2].pixels, readme.T)
        assert f.image2d("data", 0)[0].pixels[206, 204] == np.float32(570.1023)    # the brightest pixel of event 0


def test_proton_and_wire_files():
    with Larcv2RootFile(shared("proton.root")) as f:
        assert len(f) == 10
        for entry in range(len(f)):
            particles = f.particles_raw("mctruth", entry)
            assert particles["pdg"].tolist() == [2212]
            assert 0.938 < particles["energy_init"][0] < 1.2                  # README: total energy ~1.0-1.14 GeV
            assert all(5 <= np.count_nonzero(im.pixels) <= 120 for im in f.image2d("data", entry))  # README: ~10-60
    with Larcv2RootFile(shared("example_larcv.root")) as f:
        assert len(f) == 5
        assert set(f.products) == {"image2d", "particle", "chstatus", "cluster2d", "cluster3d"}
        images = f.image2d("wire", 0)
        assert [im.pixels.shape for im in images] == [(512, 512)] * 3 and images[0].unit == "wire/time"
        meta = images[0].meta
        assert meta.origin_cm == (1379.0, 3431.0) and meta.size_cm[1] / meta.shape[1] == pytest.approx(6.0, abs=0.01)
        assert images[1].pixels.min() < 0                               # bipolar induction plane
        assert f.particles_raw("mcst", 0)["pdg"][0] == 2212
        clone = pickle.loads(pickle.dumps(f))                           # DataLoader workers reopen it
        np.testing.assert_array_equal(clone.image2d("wire", 4)[2].pixels, f.image2d("wire", 4)[2].pixels)
        clone.close()
        with pytest.raises(FormatError, match=r"product 'wir': no image2d product 'wir' \(did you mean wire\?\)"):
            f.image2d("wir", 0)


def test_damaged_files_give_one_line_naming_the_file(tmp_path):
    data = shared("example_larcv.root").read_bytes()
    truncated = tmp_path / "truncated.root"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match=r"^file .*truncated.root: cannot open as a ROOT file, truncated") as excinfo:
        Larcv2RootFile(truncated)
    assert "\n" not in str(excinfo.value)
    damaged = bytearray(data)
    damaged[1_000_000:1_000_400] = bytes(b ^ 0xFF for b in damaged[1_000_000:1_000_400])   # inside an image basket
    (tmp_path / "damaged.root").write_bytes(bytes(damaged))
    with Larcv2RootFile(tmp_path / "damaged.root") as f:
        with pytest.raises(FormatError, match=r"^file .*damaged.root, product 'image2d/wire', event \d: cannot read"):
            for entry in range(len(f)):
                f.image2d("wire", entry)
    (tmp_path / "text.root").write_text("not a ROOT file\n")
    with pytest.raises(FormatError, match=r"text.root: cannot open as a ROOT file"):
        Larcv2RootFile(tmp_path / "text.root")
    with pytest.raises(FormatError, match=r"no such file"):
        Larcv2RootFile(tmp_path / "missing.root")


def test_uproot_is_imported_with_the_first_larcv2_file_not_with_the_data_path():
    script = "import sys, argonet.data.loader; print(int('uproot' in sys.modules), int('awkward' in sys.modules))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "0"]
