"""``argonet compare`` on SBND-style larcv3 full readouts: two small simulated files, the committed reference of
the real medians, and the larcv3 sample in the real layout."""

from __future__ import annotations

import json

import pytest

from argonet.cli.main import main
from argonet.recipes.compare_larcv3 import compare_larcv3

REPORT = {"report.json", "report.md", "distributions.png", "examples.png"}


@pytest.fixture(scope="module")
def sim_files(tmp_path_factory):
    """Two files of 2 full readouts (neutrino + cosmics): with the default response, and without noise."""
    folder = tmp_path_factory.mktemp("sim")
    common = ["simulate", "generator.cosmics=true", "image.mode=full", "n_events=2", "progress=false"]
    noisy, quiet = folder / "noisy.h5", folder / "quiet.h5"
    assert main([*common, "seed=4", f"output={noisy}"]) == 0
    assert main([*common, "seed=5", "response.noise=false", f"output={quiet}"]) == 0
    return str(noisy), str(quiet)


def test_two_simulated_files(tmp_path, sim_files, capsys):
    noisy, quiet = sim_files
    out = tmp_path / "report"
    assert main(["compare", f"real={noisy}", f"sim={quiet}", f"output_dir={out}"]) == 0
    assert {p.name for p in out.iterdir()} == REPORT
    report = json.loads((out / "report.json").read_text())
    assert report["real"]["n_events"] == report["sim"]["n_events"] == 2 and report["planes"] == ["U", "V", "Y"]
    rows = report["comparison"]["quantities"]
    for plane in range(3):
        assert rows["cosmic_pixels"][plane]["real"] > 1000
        assert rows["stored_pixels"][plane]["real"] == report["real"]["medians"]["stored_pixels"][plane]
    for plane in (0, 1):                       # noise makes most of the induction planes' background
        background = rows["far_background"][plane]
        assert background["ratio"] < 0.5 and background["within"] is False
    assert "| stored pixels (charge ≥ 5) |" in (out / "report.md").read_text()
    assert "within 30 %" in capsys.readouterr().out
    same = compare_larcv3(noisy, [noisy], str(tmp_path / "same"), examples=False)
    assert all(c["ratio"] in (None, 1.0) for cells in same["comparison"]["quantities"].values() for c in cells)
    assert same["comparison"]["n_within"] == same["comparison"]["n_checked"] > 40


def test_against_the_reference_and_the_real_layout_sample(tmp_path, sim_files, sample_path):
    noisy, _ = sim_files
    out = tmp_path / "ref"
    assert main(["compare", "real=reference:sbnd", f"sim={noisy}", f"output_dir={out}", "max_events=1"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["real"]["medians"]["background_pixels"] == [14200, 13800, 1550]
    assert report["sim"]["n_events"] == 1 and report["comparison"]["n_checked"] == 48
    assert {p.name for p in out.iterdir()} == REPORT
    assert main(["compare", f"real={sample_path}", f"sim={noisy}", f"output_dir={tmp_path / 's'}",
                 "examples=false"]) == 0
    both = json.loads((tmp_path / "s" / "report.json").read_text())
    real = both["real"]
    assert real["n_events"] == 4 and all(n > 0 for n in real["medians"]["stored_pixels"])
    assert real["neutrinos"] == {"n_events": 4, "cc_fraction": 1.0, "nue_fraction": 0.0, "energy_GeV_p16": 1.2,
                                 "energy_GeV_median": 1.2, "energy_GeV_p84": 1.2}   # the sample's 1.2 GeV numu CC
    assert both["sim"]["neutrinos"]["n_events"] == 2 and 0.1 < both["sim"]["neutrinos"]["energy_GeV_median"] < 3
    assert "| cc_fraction | 1 |" in (tmp_path / "s" / "report.md").read_text()
    assert "Neutrino sample: not compared" in (out / "report.md").read_text()
