"""Sweeps in the web front end, on sweeps the real ``argonet sweep`` recipe ran: one row per sweep in the run
table with its trials under it, the sweep page (trials, history, Pareto front, best.overrides), the JSON API,
the pruned state taken from sweep.json, and a damaged sweep.json that spoils nothing else."""

from __future__ import annotations

import json
from pathlib import Path
import re
import sys
import warnings

from markupsafe import escape
import numpy as np
import optuna
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "recipes"))

from served import serving, wait  # noqa: E402
from sweep_setup import SPACE, one_torch_thread, sweep_config  # noqa: E402

from argonet.conf.serve import ServeConfig  # noqa: E402
from argonet.io import write_jet_images  # noqa: E402
from argonet.recipes.sweep import make_plan, open_study, run_sweep  # noqa: E402
from argonet.serve.app import create_app  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")           # starlette's notice about its httpx dependency
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    """runs/multi (3 trials, accuracy against CPU cost), runs/pruned (its one trained trial pruned after
    epoch 0 against a perfect earlier trial), runs/bad (a torn sweep.json), runs/plain (not a sweep)."""
    root = tmp_path_factory.mktemp("sweeps")
    rng = np.random.default_rng(0)
    labels = np.arange(120) % 5
    features = {name: rng.random(120) + labels * (i == 0) for i, name in
                enumerate(["mass_GeV", "tau21", "tau32", "c2", "d2", "multiplicity"])}
    jets = write_jet_images(root / "jets.h5", rng.random((120, 4, 4)).astype(np.float32), labels,
                            ["gluon", "light_quark", "top", "W", "Z"], features=features)
    space = root / "space.yaml"
    space.write_text(SPACE)
    runs = root / "runs"
    pruned = sweep_config(jets, space, runs / "pruned", "run.epochs=3", "sweep.trials=2", "sweep.pruner=median",
                          "sweep.prune_startup_trials=1")
    open_study(make_plan(pruned)).add_trial(optuna.trial.create_trial(value=0.0, intermediate_values={0: 0.0,
                                                                                                      1: 0.0}))
    with one_torch_thread():
        run_sweep(sweep_config(jets, space, runs / "multi", "sweep.trials=3", "sweep.direction=[maximize,minimize]",
                               "sweep.objective=[val/accuracy,cost/cpu_s_per_event]"))
        run_sweep(pruned)
    (runs / "bad").mkdir()
    (runs / "bad" / "sweep.json").write_text('{"kind": "argonet-sweep", "trials": [')
    (runs / "plain").mkdir()
    (runs / "plain" / "run.json").write_text(json.dumps({"status": "completed", "config": {"task": "classify"}}))
    (root / "data").mkdir()
    return root


@pytest.fixture(scope="module")
def client(swept):
    return TestClient(create_app(ServeConfig(runs=str(swept / "runs"), data=str(swept / "data"))))


def _doc(swept: Path, name: str) -> dict:
    return json.loads((swept / "runs" / name / "sweep.json").read_text())


def _row(html: str, attribute: str) -> str:
    """The ``<tr>`` of the run table carrying ``attribute``."""
    match = re.search(r'<tr [^>]*' + re.escape(attribute) + r'[^>]*>(.*?)</tr>', html, re.S)
    assert match, attribute
    return match.group(0)


def test_run_table_shows_each_sweep_as_one_row_with_its_trials_under_it(client, swept):
    html = client.get("/runs").text
    multi, pruned = _row(html, 'data-sweep="multi"'), _row(html, 'data-sweep="pruned"')
    assert "3 done · 0 pruned · 0 failed" in multi and "val/accuracy ↑, cost/cpu_s_per_event ↓" in multi
    assert "<td>jetmlp</td>" in multi and 'title="' + str(swept / "jets.h5") + '">jets.h5</td>' in multi
    assert f"Pareto front of {len(_doc(swept, 'multi')['pareto'])}" in multi and 'href="/sweep/multi"' in multi
    assert "1 done · 1 pruned · 0 failed" in pruned and '<b class="best-value">0</b> (trial_0000)' in pruned
    trials = re.findall(r'<tr data-name="([^"]+)" class="[^"]*trial-row" data-parent="([^"]+)" hidden>', html)
    assert sorted(trials) == [("multi/trial_0000", "multi"), ("multi/trial_0001", "multi"),
                              ("multi/trial_0002", "multi"), ("pruned/trial_0001", "pruned")]
    assert 'data-name="plain" class="status-completed"' in html                 # not a sweep: a row of its own
    assert html.index('data-sweep="pruned"') < html.index('data-name="pruned/trial_0001"')
    assert 'data-name="pruned/trial_0001" class="status-pruned trial-row"' in html


def test_pruned_trial_takes_its_state_from_the_sweep(client, swept):
    assert json.loads((swept / "runs" / "pruned" / "trial_0001" / "run.json").read_text())["status"] == "failed"
    runs = {r["name"]: r for r in client.get("/api/runs").json()}
    assert runs["pruned/trial_0001"]["status"] == "pruned" and runs["pruned/trial_0001"]["sweep"] == "pruned"
    assert runs["multi/trial_0002"]["status"] == "completed" and runs["multi/trial_0002"]["trial"] == 2
    assert "sweep" not in runs["plain"]
    page = client.get("/run/pruned/trial_0001").text
    assert '<span id="status" class="badge pruned">pruned</span>' in page
    assert 'Trial 1 of sweep <a href="/sweep/pruned">pruned</a> (pruned)' in page
    sweep = client.get("/sweep/pruned").text
    assert re.search(r'<a href="/run/pruned/trial_0001">trial_0001</a>.*?<td><span class="badge pruned">', sweep, re.S)
    assert "<td>trial_0000 ★</td>" in sweep                       # the perfect trial: no run folder, no link
    assert 'id="fig-history0"' in sweep and 'id="fig-pareto"' not in sweep


def test_sweep_page_lists_trials_with_links_history_pareto_and_best_overrides(client, swept):
    doc = _doc(swept, "multi")
    html = client.get("/sweep/multi").text
    for trial in doc["trials"]:
        assert f'<a href="/run/multi/{trial["run_dir"]}">{trial["name"]}</a>' in html
        assert f'{trial["params"]["model.options.hidden"]}</td>' in html
    assert 'id="fig-history0"' in html and 'id="fig-history1"' in html
    pareto = json.loads(re.search(r'id="data-pareto">(.*?)</script>', html, re.S).group(1))
    front = next(t for t in pareto["data"] if t["name"] == "Pareto front")
    assert sorted(front["text"]) == sorted(f"trial_{n:04d}" for n in doc["pareto"])
    overrides = (swept / "runs" / "multi" / "best.overrides").read_text()
    assert str(escape(overrides)) in html and "run.output_dir=" in overrides
    assert 'src="/image/multi/pareto.png"' in html and 'href="/download/multi/history.html"' in html
    image = client.get("/image/multi/pareto.png")
    assert image.headers["content-type"] == "image/png" and image.content[:4] == b"\x89PNG"
    api = client.get("/api/sweeps/multi").json()
    assert [t["run"] for t in api["trials"]] == [f"multi/{t['run_dir']}" for t in doc["trials"]]
    assert api["pareto"] == doc["pareto"] and api["counts"]["done"] == 3 and api["best_overrides"] == overrides
    listed = {s["name"]: s for s in client.get("/api/sweeps").json()}
    assert set(listed) == {"bad", "multi", "pruned"} and listed["pruned"]["runs"] == ["pruned/trial_0001"]
    assert listed["pruned"]["best"]["value"] == 0.0 and listed["multi"]["best"]["pareto"] == len(doc["pareto"])


def test_damaged_sweep_json_shows_its_error_and_the_rest_keeps_working(client, swept):
    page = client.get("/sweep/bad")
    assert page.status_code == 200 and '<p class="error">sweep.json: cannot read (JSONDecodeError' in page.text
    assert "sweep.json: cannot read" in _row(client.get("/runs").text, 'data-sweep="bad"')
    assert client.get("/api/sweeps/bad").json()["errors"][0].startswith("sweep.json: cannot read")
    assert client.get("/sweep/multi").status_code == 200
    (swept / "outside.png").write_bytes((swept / "runs" / "multi" / "pareto.png").read_bytes())
    for url in ("/sweep/plain", "/sweep/multi/trial_0000", "/sweep/..%2Fruns", "/image/multi/sweep.json",
                "/image/..%2Foutside.png", "/image/multi%2F..%2F..%2Foutside.png", "/api/sweeps/..%2F.."):
        assert client.get(url).status_code == 404, url
    other = swept / "runs" / "other"
    other.mkdir()
    (other / "sweep.json").write_text(json.dumps({"kind": "something-else"}))
    assert client.get("/api/sweeps/other").json()["errors"] == ["sweep.json: not an argonet sweep (kind "
                                                                "'something-else')"]


def test_in_a_browser_a_sweep_unfolds_sorts_with_its_trials_and_its_page_draws(swept, browser):
    from selenium.webdriver.common.by import By

    def shown() -> list[str]:
        return [r.get_attribute("data-name") for r in browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr")
                if r.is_displayed()]

    with serving(str(swept / "runs"), str(swept / "data")) as url:
        browser.get(url + "/runs")
        wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, 'tr[data-sweep="multi"] button.expand'))
        assert "multi/trial_0000" not in shown() and {"multi", "pruned", "plain"} <= set(shown())
        browser.find_element(By.CSS_SELECTOR, 'tr[data-sweep="multi"] button.expand').click()
        assert [n for n in shown() if n.startswith("multi")] == ["multi", "multi/trial_0000", "multi/trial_0001",
                                                                 "multi/trial_0002"]
        name_header = browser.find_elements(By.CSS_SELECTOR, "#runs th")[1]
        name_header.click()
        name_header.click()                                      # descending: the trials still follow their sweep
        order = shown()
        assert order.index("pruned") < order.index("multi") < order.index("multi/trial_0000")
        assert order[order.index("multi") + 1:order.index("multi") + 4] == [f"multi/trial_000{i}" for i in range(3)]
        browser.find_element(By.CSS_SELECTOR, 'tr[data-sweep="multi"] button.expand').click()
        search = browser.find_element(By.ID, "filter")
        search.send_keys("trial_0001")                          # finds trials inside folded sweeps
        assert sorted(shown()) == ["multi", "multi/trial_0001", "pruned", "pruned/trial_0001"]
        browser.get(url + "/sweep/multi")
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#fig-pareto .scatterlayer .trace"))
        assert browser.find_elements(By.CSS_SELECTOR, "#fig-history0 .scatterlayer .trace")
        assert all(browser.execute_script("return arguments[0].naturalWidth", img) > 100
                   for img in browser.find_elements(By.CSS_SELECTOR, ".figures img"))
        browser.get(url + "/sweep/pruned")
        browser.find_element(By.LINK_TEXT, "trial_0001").click()
        assert wait(browser, lambda d: d.find_element(By.ID, "status")).text == "pruned"
