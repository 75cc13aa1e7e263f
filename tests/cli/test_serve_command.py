"""``argonet serve``: refusals are one line and exit 2 before anything listens."""

from __future__ import annotations

from argonet.cli.main import main


def test_other_host_without_token_is_refused(tmp_path, capsys):
    assert main(["serve", f"runs={tmp_path}", f"data={tmp_path}", "host=0.0.0.0"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "token: host 0.0.0.0 is reachable from other machines" in err


def test_missing_runs_folder_is_one_line(tmp_path, capsys):
    assert main(["serve", f"runs={tmp_path / 'nope'}", f"data={tmp_path}"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "runs=" in err and "no such folder" in err
