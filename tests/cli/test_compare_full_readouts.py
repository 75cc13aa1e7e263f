"""``argonet compare`` on larcv3 full readouts from the command line: which comparison runs, one-line refusals."""

from __future__ import annotations

from argonet.cli.main import main
from argonet.recipes.compare_larcv3 import is_larcv3_comparison


def test_dispatch_and_refusals(tmp_path, sample_path, capsys):
    sim = str(sample_path)
    assert is_larcv3_comparison("reference:sbnd") and is_larcv3_comparison(sim)
    assert not is_larcv3_comparison(str(tmp_path))                   # a folder: DUNE CVN maps
    out = tmp_path / "out"
    assert main(["compare", "real=reference:nope", f"sim={sim}", f"output_dir={out}"]) == 2
    assert "no reference 'nope'" in capsys.readouterr().err
    assert main(["compare", "real=reference:sbnd", f"sim={sim}", "charge=wire", f"output_dir={out}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no sparse2d product 'wire' (charge=)" in err
    assert main(["compare", "real=missing.h5", f"sim={sim}", f"output_dir={out}"]) == 2
    assert "no such file (real=)" in capsys.readouterr().err
    assert main(["compare", "real=reference:sbnd", f"sim={tmp_path / 'none_*.h5'}", f"output_dir={out}"]) == 2
    assert "no such file (sim=)" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == []                         # nothing left behind
