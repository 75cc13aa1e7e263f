"""``argonet simulate`` end to end: reproducible, shardable, atomic, clear errors."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from argonet.recipes import simulate as simulate_cmd
from argonet.cli.main import main
from argonet.io import Larcv3File

SMALL = ["n_events=4", "progress=false", "image.crop_wires=64", "image.crop_ticks=64"]


def _arrays(path: Path) -> dict[str, np.ndarray]:
    """Every dataset of an HDF5 file, by name."""
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def test_same_seed_gives_identical_files(tmp_path):
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    assert main(["simulate", *SMALL, "seed=11", f"output={a}"]) == 0
    assert main(["simulate", *SMALL, "seed=11", f"output={b}"]) == 0
    da, db = _arrays(a), _arrays(b)
    assert da.keys() == db.keys() and len(da) > 5
    for name in da:
        assert np.array_equal(da[name], db[name]), name
    c = tmp_path / "c.h5"
    assert main(["simulate", *SMALL, "seed=12", f"output={c}"]) == 0
    dc = _arrays(c)
    assert any(not np.array_equal(da[n], dc[n]) for n in da if "voxels" in n)


def test_same_seed_and_configuration_give_byte_identical_files(tmp_path, monkeypatch):
    files = []
    for run in ("first", "second"):                 # the same command, output=e.h5, in two folders
        (tmp_path / run).mkdir()
        monkeypatch.chdir(tmp_path / run)
        assert main(["simulate", *SMALL, "n_events=2", "seed=11", "output=e.h5"]) == 0
        files.append((tmp_path / run / "e.h5").read_bytes())
    assert files[0] == files[1]


def test_shards_reassemble_the_unsharded_sample(tmp_path):
    whole = tmp_path / "whole.h5"
    assert main(["simulate", *SMALL, f"output={whole}"]) == 0
    parts = []
    for i in range(2):
        assert main(["simulate", *SMALL, f"shard={i}/2", f"output={tmp_path / 'part.h5'}"]) == 0
        parts.append(tmp_path / f"part.shard{i}of2.h5")
    with Larcv3File(whole) as w, Larcv3File(parts[0]) as p0, Larcv3File(parts[1]) as p1:
        assert len(w) == 4 and len(p0) == 2 and len(p1) == 2
        for k in range(4):
            part, local = (p0, p1)[k % 2], k // 2
            for x, y in zip(w.sparse2d("sbndwire", k), part.sparse2d("sbndwire", local)):
                assert np.array_equal(x.index, y.index) and np.array_equal(x.value, y.value)


def test_config_and_version_saved_in_file(tmp_path):
    out = tmp_path / "e.h5"
    assert main(["simulate", *SMALL, "seed=5", f"output={out}"]) == 0
    with h5py.File(out, "r") as f:
        assert "seed: 5" in str(f.attrs["argonet_config"])
        assert str(f.attrs["argonet_version"])


def test_the_stored_configuration_holds_only_the_generator_used(tmp_path):
    out = tmp_path / "gun.h5"
    assert main(["simulate", *SMALL, "generator=gun", "generator.particles=[p]", f"output={out}"]) == 0
    with Larcv3File(out) as f:
        text = f.config
    assert isinstance(text, str) and "\n  name: gun\n" in text and "particles:\n  - p\n" in text
    assert "classes:" not in text and "flux:" not in text and "jets:" not in text


def test_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "e.h5"
    out.write_bytes(b"keep me")
    assert main(["simulate", *SMALL, f"output={out}"]) == 2
    assert out.read_bytes() == b"keep me"
    err = capsys.readouterr().err
    assert "output" in err and "overwrite=true" in err and err.count("\n") == 1


def test_unwritable_output_is_one_line(tmp_path, capsys):
    assert main(["simulate", *SMALL, f"output={tmp_path / 'missing' / 'e.h5'}"]) == 2
    err = capsys.readouterr().err
    assert "output" in err and "does not exist" in err and err.count("\n") == 1


def test_interrupted_run_leaves_no_file(tmp_path, monkeypatch):
    out = tmp_path / "e.h5"
    real = simulate_cmd.simulate_event
    calls = {"n": 0}

    def flaky(cfg, index, detector=None):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(cfg, index, detector)

    monkeypatch.setattr(simulate_cmd, "simulate_event", flaky)
    assert main(["simulate", *SMALL, f"output={out}"]) == 130
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [["generator=neutrinos"], ["detector=icarus"], ["n_events=0"],
                                  ["generator=gun", "generator.ke_MeV_max=1e9"],
                                  ["generator=gun", "generator.classes=[CCQE]"]])
def test_bad_config_is_one_line(tmp_path, capsys, args):
    assert main(["simulate", *args, f"output={tmp_path / 'x.h5'}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("argonet simulate: error:") and err.count("\n") == 1
    assert not (tmp_path / "x.h5").exists()


def test_an_option_of_another_generator_is_one_line_naming_where_it_belongs(tmp_path, capsys):
    assert main(["simulate", "generator=gun", "generator.classes=[CCQE]", f"output={tmp_path / 'x.h5'}"]) == 2
    err = capsys.readouterr().err
    assert err.endswith("generator.classes: is not an option of generator=gun (it belongs to generator=interactions)\n")
    assert err.count("\n") == 1 and list(tmp_path.iterdir()) == []


def test_a_folder_as_output_is_named_as_a_folder(tmp_path, capsys):
    assert main(["simulate", *SMALL, f"output={tmp_path}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"output: {tmp_path} is a folder; name a file in it" in err
    assert "overwrite" not in err
