"""The pages in a real headless Chromium: run table → run → curves and confusion matrix → click a cell →
event; and a tiny training queued from the form, watched until it finishes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from served import serving, wait as _wait


@pytest.fixture(scope="module")
def server(world) -> Iterator[str]:
    """The server with the training worker, on the world's folders."""
    with serving(str(world["runs"]), str(world["data"]), worker=True) as url:
        yield url


def test_run_table_to_run_to_confusion_cell_to_event(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server + "/runs")
    link = _wait(browser, lambda d: d.find_element(By.LINK_TEXT, "good"))
    assert "completed" in browser.find_element(By.CSS_SELECTOR, 'tr[data-name="good"]').text
    link.click()
    # curves and the confusion matrix drawn by Plotly (served locally)
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#fig-loss .scatterlayer .trace"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#fig-loss .scatterlayer .trace")) >= 2
    cells = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "div[data-click=cell] .hm, "
                                                                      "div[data-click=cell] .heatmaplayer image"))
    assert cells
    # click the (true CCQE, predicted NCRES) cell: upper-right quarter of the heat map
    plot = browser.find_element(By.CSS_SELECTOR, "div[data-click=cell] .nsewdrag")
    box = plot.rect
    browser.execute_script("""
        const el = arguments[0], x = arguments[1], y = arguments[2];
        for (const type of ['mousemove', 'mousedown', 'mouseup', 'click'])
          el.dispatchEvent(new MouseEvent(type, {bubbles: true, clientX: x, clientY: y, view: window}));""",
                           plot, box["x"] + 0.75 * box["width"], box["y"] + 0.25 * box["height"])
    _wait(browser, lambda d: "/select" in d.current_url)
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert "true CCQE, predicted NCRES" in heading
    events = browser.find_elements(By.CSS_SELECTOR, "a.event-link")
    if not events:   # an empty cell: the column beside it has the rest of the CCQE events
        browser.get(server + "/select?eval=good/eval/metrics.json&true=CCQE&pred=CCQE")
        events = browser.find_elements(By.CSS_SELECTOR, "a.event-link")
    events[0].click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#fig-event .heatmaplayer"))
    assert browser.find_element(By.ID, "truth-class").text == "CCQE"
    assert browser.find_element(By.ID, "predicted-class").text in ("CCQE", "NCRES")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#fig-event .heatmaplayer .hm, "
                                                      "#fig-event .heatmaplayer image")) >= 6


def test_form_error_is_one_line_and_a_queued_training_finishes(server, browser, world):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(server + "/jobs")
    form = browser.find_element(By.ID, "job-form")
    form.find_element(By.NAME, "name").send_keys("from-form")
    Select(form.find_element(By.NAME, "data")).select_by_visible_text("fake.h5")
    form.find_element(By.NAME, "model").send_keys("smallcnn")
    for field, value in (("epochs", "1"), ("batch_size", "8")):
        box = form.find_element(By.NAME, field)
        box.clear()
        box.send_keys(value)
    form.find_element(By.NAME, "extra").send_keys("run.device=cpu optim.name=adamm")
    form.find_element(By.ID, "queue").click()
    error = _wait(browser, lambda d: d.find_element(By.ID, "form-error")).text
    assert "optim.name" in error and "adamm" in error and "\n" not in error
    extra = browser.find_element(By.NAME, "extra")
    extra.clear()
    extra.send_keys("run.device=cpu run.tensorboard=false")
    browser.find_element(By.ID, "queue").click()
    _wait(browser, lambda d: "/jobs/" in d.current_url)
    _wait(browser, lambda d: d.find_element(By.ID, "job-status").text in ("completed", "failed"), timeout=240)
    assert browser.find_element(By.ID, "job-status").text == "completed", browser.find_element(By.ID, "log").text
    assert "training completed" in browser.find_element(By.ID, "log").text
    assert (world["runs"] / "from-form" / "checkpoint.pt").is_file()
    browser.find_element(By.ID, "run-link").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#fig-loss .scatterlayer .trace"))
    assert browser.find_element(By.ID, "status").text == "completed"
