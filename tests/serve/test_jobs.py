"""Training jobs: the form is checked like the command line (one-line errors), the queue keeps order,
and a queued job can be dropped."""

from __future__ import annotations

import pytest

from argonet.errors import ConfigError
from argonet.serve import jobs
from argonet.serve.store import Store


@pytest.fixture
def form(world):
    return {"name": "new-run", "task": "classify", "model": "smallcnn", "data": "fake.h5", "epochs": "1",
            "batch_size": "8", "extra": "run.device=cpu"}


def test_a_good_form_becomes_train_overrides(form, world):
    request = jobs.request_from_form(form, world["runs"], world["data"])
    assert "model.name=smallcnn" in request.overrides and "run.epochs=1" in request.overrides
    assert f"data.file={world['file']}" in request.overrides
    assert f"run.output_dir={world['runs'] / 'new-run'}" in request.overrides


@pytest.mark.parametrize("change, field, words", [
    ({"name": "../up"}, "name", "use letters"),
    ({"name": "good"}, "name", "already exists"),
    ({"data": "../secret.txt"}, "data", "refused path"),
    ({"data": "missing.h5"}, "data", "no file"),
    ({"epochs": "many"}, "run.epochs", "many"),
    ({"task": "detect"}, "task", "unknown task 'detect'"),
    ({"extra": "optim.name=adamm"}, "optim.name", "adamm"),
    ({"extra": "run.nonsense=1"}, "run.nonsense", ""),
    ({"extra": "run.output_dir=/tmp/x"}, "run.output_dir", "set by the form"),
    ({"extra": "justaword"}, "justaword", "expected key=value"),
])
def test_bad_forms_are_one_line_errors_naming_the_field(form, world, change, field, words):
    with pytest.raises(ConfigError) as err:
        jobs.request_from_form({**form, **change}, world["runs"], world["data"])
    text = str(err.value)
    assert text.startswith(field) and words in text and "\n" not in text


def test_queue_order_stop_and_resume(form, world, tmp_path):
    store = Store(tmp_path / "db.sqlite")
    first = jobs.submit(store, jobs.request_from_form(form, world["runs"], world["data"]), tmp_path)
    second = jobs.submit(store, jobs.request_from_form({**form, "name": "other"}, world["runs"], world["data"]),
                         tmp_path)
    assert store.request_stop(second) == "stopped"
    taken = store.next_queued()
    assert taken["id"] == first and taken["status"] == "running" and store.next_queued() is None
    assert store.request_stop(first) == "running" and store.job(first)["stop_requested"] == 1
    again = jobs.resume(store, store.job(second))
    assert store.job(again)["args"][-1] == "run.resume=true" and store.job(again)["status"] == "queued"
    store.orphaned_to_failed()
    assert store.job(first)["status"] == "failed"


def test_stopping_a_running_job_keeps_its_checkpoint(form, world, tmp_path):
    import json
    import threading

    store = Store(tmp_path / "db.sqlite")
    long = {**form, "name": "stopped-run", "epochs": "500",
            "extra": "run.device=cpu run.tensorboard=false run.checkpoint_every_steps=1"}
    job_id = jobs.submit(store, jobs.request_from_form(long, tmp_path, world["data"]), tmp_path)
    job = store.next_queued()
    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(jobs.run_job(store, job, threading.Event())))
    thread.start()
    checkpoint = tmp_path / "stopped-run" / "checkpoint.pt"
    while not checkpoint.is_file() and thread.is_alive():
        thread.join(0.2)
    store.request_stop(job_id)
    thread.join(120)
    assert outcome == ["stopped"] and checkpoint.is_file()
    done = store.job(job_id)
    assert done["status"] == "stopped" and done["returncode"] == 143
    assert json.loads((tmp_path / "stopped-run" / "run.json").read_text())["status"] == "interrupted"
    assert "continue with run.resume=true" in (tmp_path / ".jobs" / f"{job_id}.log").read_text()
