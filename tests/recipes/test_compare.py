"""``argonet compare``: realism report of simulated against real CVN maps; written whole or not at all."""

from __future__ import annotations

import json
import zlib

import numpy as np
import pytest

from argonet.cli.main import main
from argonet.event import Event, ImageMeta, SparseImage, Truth
from argonet.io import Larcv3Writer

FLAVOUR = {"NUMU_CC": 0, "NC": 3}


def cvn_map(n_pixels: int, charge: int, shape=(500, 500)) -> np.ndarray:
    """A map with a straight track of ``n_pixels`` wires at time bin 20 on each plane."""
    image = np.zeros((3, *shape), np.uint8)
    image[:, 10:10 + n_pixels, 20] = charge
    return image


@pytest.fixture
def real_folder(tmp_path):
    """A CVN folder in the original layout: 3 NUMU_CC events of 100 pixels per plane, 3 NC of 50."""
    folder = tmp_path / "real" / "dataset"
    folder.mkdir(parents=True)
    labels = {}
    for i, (name, n) in enumerate([("NUMU_CC", 100)] * 3 + [("NC", 50)] * 3):
        (folder / f"event{i}.gz").write_bytes(zlib.compress(cvn_map(n, 40).tobytes()))
        labels[str(i)] = [-1 if name == "NC" else 0, FLAVOUR[name], -1 if name == "NC" else 0, 0, 0, 0, 0]
    (folder / "partition.json").write_text(json.dumps({"IDs": list(labels), "labels": labels}))
    return tmp_path / "real"


def write_sim(path, events: list[tuple[str, int, int]], shape=(500, 500)) -> str:
    """A larcv3 file of CVN-style maps: (class, pixels per plane, charge) per event."""
    with Larcv3Writer(path, overwrite=True) as writer:
        for name, n, charge in events:
            image = cvn_map(n, charge, shape)
            planes = [SparseImage.from_dense(ImageMeta(p, shape, (shape[0] * 0.47, shape[1] * 0.3), (0.0, 0.0)),
                                             image[p].astype(np.float32)) for p in range(3)]
            writer.write(Event(planes, planes, [], truth=Truth(name)))
    return str(path)


def test_report_per_class(tmp_path, real_folder, capsys):
    sim = write_sim(tmp_path / "sim.h5", [("NUMU_CC", 120, 40)] * 2 + [("NC", 100, 80)] * 2)
    out = tmp_path / "report"
    assert main(["compare", f"real={real_folder}", f"sim={sim}", f"output_dir={out}"]) == 0
    report = json.loads((out / "report.json").read_text())
    numu, nc = report["classes"]["NUMU_CC"], report["classes"]["NC"]
    assert (numu["real"]["n_events"], numu["sim"]["n_events"]) == (3, 2)
    assert numu["real"]["n_pixels"]["median"] == 300 and numu["ratio"]["n_pixels"] == pytest.approx(1.2)
    assert numu["within"]["n_pixels"] and numu["charge_kolmogorov"] == 0.0
    assert nc["ratio"]["n_pixels"] == pytest.approx(2.0) and not nc["within"]["n_pixels"]
    assert nc["ratio"]["charge"] == pytest.approx(2.0) and nc["charge_kolmogorov"] == pytest.approx(1.0)
    assert numu["real"]["width_wires"]["median"] == 100 and numu["real"]["width_ticks"]["median"] == 1
    assert report["agree"] is False
    names = {p.name for p in out.iterdir()}
    assert names == {"report.json", "report.md", "distributions.png", "examples.png"}
    assert "| NC | events | 3 | 2 | | |" in (out / "report.md").read_text()
    assert "do NOT agree" in capsys.readouterr().out


def test_refusals_leave_nothing_behind(tmp_path, real_folder, capsys):
    sim = write_sim(tmp_path / "sim.h5", [("NUMU_CC", 120, 40)])
    out = tmp_path / "report"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    args = ["compare", f"real={real_folder}", f"sim={sim}", f"output_dir={out}", "examples=false"]
    assert main(args) == 2
    assert "already exists" in capsys.readouterr().err and (out / "keep.txt").read_text() == "old"
    assert main([*args, "overwrite=true", "max_events=1"]) == 0
    assert not (out / "keep.txt").exists()
    assert json.loads((out / "report.json").read_text())["classes"]["NUMU_CC"]["real"]["n_events"] == 1
    before = sorted(p.name for p in tmp_path.iterdir())
    small = write_sim(tmp_path / "small.h5", [("NC", 10, 40)], shape=(64, 64))
    assert main(["compare", f"real={real_folder}", f"sim={small}", f"output_dir={tmp_path / 'new'}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "simulated maps are 3 planes of [(64, 64)]" in err and "small.h5, event 0" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "small.h5"])     # no folder, no temp
    assert main(["compare", f"real={real_folder}", f"sim={sim}", "charge=wire", f"output_dir={tmp_path / 'x'}"]) == 2
    assert "no sparse2d product 'wire'" in capsys.readouterr().err
    assert main(["compare", f"sim={sim}"]) == 2
    assert "real: name the real CVN folder" in capsys.readouterr().err
    tau = write_sim(tmp_path / "tau.h5", [("NUTAU_CC", 10, 40)])
    assert main(["compare", f"real={real_folder}", f"sim={tau}", f"output_dir={tmp_path / 'y'}"]) == 2
    assert "no event class in both samples" in capsys.readouterr().err
    assert main(["compare", "--help"]) == 0 and "tolerance: 0.3" in capsys.readouterr().out


def test_real_events_selects_a_half_or_says_why_not(tmp_path, real_folder, capsys):
    sim = write_sim(tmp_path / "sim.h5", [("NUMU_CC", 120, 40)])
    args = ["compare", f"real={real_folder}", f"sim={sim}", "examples=false"]
    assert main([*args, f"output_dir={tmp_path / 'a'}", "real_events=half"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "real_events: unknown selection 'half'" in err and "adapt" in err
    assert main([*args, f"output_dir={tmp_path / 'b'}", "real_events=adapt", "per_class=1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "per_class=1: class NUE_CC has 0 events" in err     # simtoreal's four classes
    assert main(["compare", "real=full.h5", f"sim={sim}", "real_events=test", f"output_dir={tmp_path / 'c'}"]) == 2
    assert "real_events: selects events of a DUNE CVN folder" in capsys.readouterr().err
    assert main([*args, f"output_dir={tmp_path / 'd'}"]) == 0
    report = json.loads((tmp_path / "d" / "report.json").read_text())
    assert report["inputs"]["real_events"] == "all" and report["inputs"]["real_entries"] == list(range(6))
    capsys.readouterr()
    assert main(["compare", "--help"]) == 0 and "real_events: all" in capsys.readouterr().out
    assert not {"a", "b", "c"} & {p.name for p in tmp_path.iterdir()}
