"""``argonet display``: a PNG per event, clear errors for bad files and events."""

from __future__ import annotations

from argonet.cli.main import main


def test_display_writes_png(tmp_path, capsys):
    out = tmp_path / "e.h5"
    assert main(["simulate", "n_events=2", "progress=false", f"output={out}"]) == 0
    png = tmp_path / "ev1.png"
    capsys.readouterr()
    assert main(["display", str(out), "event=1", f"output={png}"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.h5", "ev1.png"]          # no temporary left
    printed = capsys.readouterr().out
    assert printed.startswith("argonet ") and "event: 1" in printed and f"output: {png}" in printed   # the config


def test_display_errors(tmp_path, capsys):
    assert main(["display", str(tmp_path / "nope.h5")]) == 2
    assert "nope.h5" in capsys.readouterr().err
    out = tmp_path / "e.h5"
    assert main(["simulate", "n_events=1", "progress=false", f"output={out}"]) == 0
    assert main(["display", str(out), "event=5"]) == 2
    err = capsys.readouterr().err
    assert "event 5" in err and err.count("\n") == 1
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5 at all" * 10)
    assert main(["display", str(bad)]) == 2
    assert "bad.h5" in capsys.readouterr().err


def test_display_into_missing_folder_is_one_line(tmp_path, capsys):
    out = tmp_path / "e.h5"
    assert main(["simulate", "n_events=1", "progress=false", f"output={out}"]) == 0
    capsys.readouterr()
    assert main(["display", str(out), f"output={tmp_path / 'nope' / 'x.png'}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("argonet display: error: output: folder") and "nope" in err and err.count("\n") == 1
    assert ".tmp" not in err
