"""Run folders: a live run, a run trained before run.json existed, a torn scalars line, a missing file."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from argonet.serve import runs
from argonet.serve.store import Store


@pytest.fixture
def copy(world, tmp_path):
    """A copy of the trained run under a fresh runs folder."""
    root = tmp_path / "runs"
    shutil.copytree(world["runs"] / "good", root / "group" / "copy")
    return root, root / "group" / "copy"


def test_live_run_is_running_and_a_dead_one_is_interrupted(copy):
    root, folder = copy
    state = json.loads((folder / "run.json").read_text())
    (folder / "run.json").write_text(json.dumps({**state, "status": "running", "pid": os.getpid()}))
    assert runs.summarise(root, folder)["status"] == "running"
    (folder / "run.json").write_text(json.dumps({**state, "status": "running", "pid": None}))
    assert runs.summarise(root, folder)["status"] == "interrupted"


def test_run_without_run_json_is_read_from_its_checkpoint(copy):
    root, folder = copy
    (folder / "run.json").unlink()
    (folder / "scalars.jsonl").unlink()
    row = runs.detail(root, folder)
    assert row["name"] == "group/copy" and row["status"] == "finished" and row["model"] == "smallcnn"
    assert row["epochs"] == 2 and len(row["scalars"]["val"]["loss"]) == 2 and not row["errors"]


def test_torn_last_scalars_line_is_skipped(copy):
    root, folder = copy
    before = runs.read_scalars(folder)
    with open(folder / "scalars.jsonl", "a") as f:
        f.write('{"prefix": "val", "step": 99, "lo')
    assert runs.read_scalars(folder) == before


def test_index_follows_changes_and_removals(copy, tmp_path):
    root, folder = copy
    store = Store(tmp_path / "index.sqlite")
    assert [r["name"] for r in store.refresh_runs(root)] == ["group/copy"]
    (folder / "eval" / "metrics.json").write_text("[1, 2]")
    (row,) = store.refresh_runs(root)
    assert "expected a JSON object" in row["error"]
    shutil.rmtree(folder)
    assert store.refresh_runs(root) == []


def test_predictions_where_filters_and_orders(world):
    path = world["runs"] / "good" / "eval" / "predictions.csv"
    rows = runs.predictions_where(path, "NCRES", None)
    assert rows and all(r["true"] == "NCRES" for r in rows)
    picked = runs.predictions_where(path, None, "CCQE")
    assert [float(r["p_CCQE"]) for r in picked] == sorted((float(r["p_CCQE"]) for r in picked), reverse=True)
