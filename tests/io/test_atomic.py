"""Atomic outputs: context managers that commit or discard, and stale temporaries of dead writers removed."""

from __future__ import annotations

import os
from pathlib import Path
import subprocess
import sys

import pytest

from argonet.errors import FormatError
from argonet.io.atomic import AtomicFolder, AtomicPath, remove_stale, scratch_folder


def _dead_pid() -> int:
    """The id of a process that has finished (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_atomic_path_commits_at_the_end_of_the_block(tmp_path):
    with AtomicPath(tmp_path / "out.txt") as out:
        out.tmp.write_text("done")
        assert not out.path.exists()
    assert (tmp_path / "out.txt").read_text() == "done" and os.listdir(tmp_path) == ["out.txt"]


def test_atomic_path_and_folder_discard_on_an_exception(tmp_path):
    with pytest.raises(KeyboardInterrupt), AtomicPath(tmp_path / "out.txt") as out:
        out.tmp.write_text("half")
        raise KeyboardInterrupt
    with pytest.raises(RuntimeError), AtomicFolder(tmp_path / "report") as folder:
        (folder.tmp / "a.json").write_text("{}")
        raise RuntimeError("failed half-way")
    assert os.listdir(tmp_path) == []


def test_a_folder_under_a_file_output_name_is_named_as_such(tmp_path):
    (tmp_path / "out.h5").mkdir()
    with pytest.raises(FormatError, match="is a folder; name a file"):
        AtomicPath(tmp_path / "out.h5", overwrite=True)


def test_temporaries_carry_the_writer_pid(tmp_path):
    with AtomicPath(tmp_path / "out.h5") as out:
        assert out.tmp.name.startswith(f".out.h5.{os.getpid()}.") and out.tmp.name.endswith(".part")
    with scratch_folder(tmp_path / "pred.h5") as scratch:
        assert scratch.name.startswith(f".pred.h5.{os.getpid()}.") and scratch.is_dir()
    assert not scratch.exists()


def test_stale_temporaries_of_dead_writers_are_removed_on_the_next_write(tmp_path):
    dead = _dead_pid()
    stale_file = tmp_path / f".out.h5.{dead}.abc123.part"
    stale_folder = tmp_path / f".out.h5.{dead}.xyz789.part"
    live = tmp_path / f".out.h5.{os.getppid()}.def456.part"    # a running process: kept
    other = tmp_path / f".other.h5.{dead}.abc123.part"          # another output: kept
    stale_file.write_bytes(b"half")
    stale_folder.mkdir()
    (stale_folder / "predictions.h5").write_bytes(b"half")
    live.write_bytes(b"writing")
    other.write_bytes(b"half")
    with AtomicPath(tmp_path / "out.h5") as out:
        out.tmp.write_text("done")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out.h5", live.name, other.name])
    assert remove_stale(tmp_path / "other.h5") == [other]


def test_a_scratch_folder_removes_stale_ones_first(tmp_path):
    stale = tmp_path / f".pred.h5.{_dead_pid()}.q1w2e3.part"
    stale.mkdir()
    with scratch_folder(Path(tmp_path / "pred.h5")):
        assert not stale.exists()
