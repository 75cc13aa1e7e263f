"""The JSON API and the pages, through FastAPI's test client, on a run the real engine trained."""

from __future__ import annotations

import warnings

import pytest

from argonet.conf.serve import ServeConfig
from argonet.serve.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")           # starlette's notice about its httpx dependency
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client(world):
    return TestClient(create_app(ServeConfig(runs=str(world["runs"]), data=str(world["data"]))))


def test_api_runs_lists_both_runs_with_task_status_and_metrics(client):
    runs = {r["name"]: r for r in client.get("/api/runs").json()}
    assert set(runs) == {"good", "broken"}
    good = runs["good"]
    assert good["task"] == "classify" and good["model"] == "smallcnn" and good["status"] == "completed"
    assert good["epochs"] == 2 and 0 <= good["metrics"]["all_accuracy"] <= 1 and "val_loss" in good["metrics"]
    assert runs["broken"]["error"].startswith("broken/metrics.json: metrics.json: cannot read")


def test_api_run_detail_has_curves_evaluation_and_checkpoints(client):
    run = client.get("/api/runs/good").json()
    assert run["config"]["model"]["name"] == "smallcnn" and run["class_names"] == ["CCQE", "NCRES"]
    assert len(run["scalars"]["val"]["loss"]) == 2 and len(run["scalars"]["train"]["loss"]) >= 2
    (ev,) = run["evaluations"]
    assert ev["kind"] == "classify" and ev["predictions"] == "good/eval/predictions.csv"
    assert sum(map(sum, ev["report"]["confusion"])) == 48
    assert {c["file"] for c in run["checkpoints"]} == {"checkpoint.pt", "best.pt"}
    assert "epoch 1:" in run["log"]


def test_pages_render(client):
    for url, text in (("/runs", "good"), ("/run/good", "confusion matrix"), ("/data", "fake.h5"),
                      ("/data/fake.h5", "NCRES"), ("/event?file=fake.h5&entry=2", "true class"),
                      ("/compare?run=good&run=broken", "Configuration differences"), ("/jobs", "New training")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.text, url


def test_confusion_cell_lists_its_events_linked_to_the_browser(client, world):
    rows = [ln.split(",") for ln in (world["runs"] / "good/eval/predictions.csv").read_text().splitlines()[1:]]
    expected = sorted(int(r[0]) for r in rows if r[1] == "CCQE" and r[2] == "NCRES")
    page = client.get("/select", params={"eval": "good/eval/metrics.json", "true": "CCQE", "pred": "NCRES"}).text
    assert f"<h1>{len(expected)} events: true CCQE, predicted NCRES</h1>" in page
    for entry in expected:
        assert f"file=fake.h5&entry={entry}&eval=" in page


def test_event_page_shows_the_runs_prediction(client):
    page = client.get("/event", params={"file": "fake.h5", "entry": 3, "eval": "good/eval/metrics.json"}).text
    assert 'id="predicted-class"' in page and 'id="truth-class">NCRES<' in page


def test_broken_run_shows_its_error_and_the_rest_works(client, world):
    page = client.get("/run/broken")
    assert page.status_code == 200 and "metrics.json: cannot read" in page.text
    (world["data"] / "corrupt.h5").write_bytes(b"not an hdf5 file at all")
    try:
        bad = client.get("/data/corrupt.h5")
        assert bad.status_code == 422 and "corrupt.h5" in bad.text and "Traceback" not in bad.text
        assert client.get("/data/fake.h5").status_code == 200
    finally:
        (world["data"] / "corrupt.h5").unlink()


def test_event_past_the_end_is_one_line(client):
    response = client.get("/event", params={"file": "fake.h5", "entry": 999})
    assert response.status_code == 422 and "event 999 is past the end (48 events)" in response.text


def test_checkpoint_download(client, world):
    response = client.get("/download/good/best.pt")
    assert response.status_code == 200 and response.content == (world["runs"] / "good/best.pt").read_bytes()


def test_compare_needs_two_to_five_runs(client):
    assert client.get("/compare?run=good").status_code == 422


def test_worst_iou_events_agree_with_the_event_page(client):
    from argonet.serve.events import per_event_iou

    page = client.get("/worst", params={"file": "fake.h5", "prediction": "argonet_prediction"})
    assert page.status_code == 200 and "48 scanned" in page.text
    rows = per_event_iou(client.app.state.ctx.data_root / "fake.h5", "argonet_prediction")
    assert [r["miou"] for r in rows] == sorted(r["miou"] for r in rows)
    worst = rows[0]
    assert f"entry={worst['entry']}&prediction=argonet_prediction" in page.text
    event = client.get("/event", params={"file": "fake.h5", "entry": worst["entry"],
                                         "prediction": "argonet_prediction"})
    assert 'id="event-metrics"' in event.text and f"{worst['miou']:.4g}" in event.text


def test_worst_needs_a_prediction_product(client):
    response = client.get("/worst", params={"file": "fake.h5", "prediction": "nothing"})
    assert response.status_code == 422 and "no sparse2d product &#39;nothing&#39;" in response.text


def test_roc_point_lists_the_background_events_the_cut_keeps(client, world):
    rows = [ln.split(",") for ln in (world["runs"] / "good/eval/predictions.csv").read_text().splitlines()[1:]]
    background = sorted((r for r in rows if r[1] != "CCQE"), key=lambda r: -float(r[3]))   # p_CCQE column
    page = client.get("/select", params={"eval": "good/eval/metrics.json", "roc": "CCQE", "bkg_eff": 0.5}).text
    kept = background[:len(background) // 2 + len(background) % 2]
    assert f"<h1>{len(kept)} background events that the CCQE selection keeps at background efficiency 0.500" in page
    assert all(f"entry={r[0]}&eval=" in page for r in kept)
    assert f"entry={background[-1][0]}&eval=" not in page
