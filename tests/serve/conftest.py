"""A tiny served world: a fake-event larcv3 file under data/, a real 2-epoch smallcnn run and its
evaluation under runs/ (written by the real engine and commands), and a broken one (corrupt metrics.json)."""

from __future__ import annotations

import json
from pathlib import Path
import sys

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "cli"))

from _system import ensure_debian_packages  # noqa: E402
from fakes import write_sample  # noqa: E402
from served import CHROMEDRIVER, CHROMIUM  # noqa: E402
from torch_threads import one_torch_thread  # noqa: E402

from argonet.cli.main import main  # noqa: E402

QUIET = ["run.device=cpu", "run.progress=false", "run.tensorboard=false", "run.batch_size=8",
         "run.log_every_steps=1"]


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> dict[str, Path]:
    """{'root', 'runs', 'data', 'file'}: runs/good (trained, evaluated), runs/broken (corrupt metrics)."""
    root = tmp_path_factory.mktemp("serve")
    runs, data = root / "runs", root / "data"
    runs.mkdir()
    data.mkdir()
    file = write_sample(data / "fake.h5", 48, prediction="argonet_prediction")
    with one_torch_thread():
        assert main(["train", "task=classify", "model.name=smallcnn", f"data.file={file}", "run.epochs=2",
                     f"run.output_dir={runs / 'good'}", *QUIET]) == 0
        assert main(["evaluate", f"checkpoint={runs / 'good' / 'best.pt'}", f"data.file={file}",
                     f"output_dir={runs / 'good' / 'eval'}", "split=all", "device=cpu"]) == 0
    broken = runs / "broken"
    broken.mkdir()
    (broken / "run.json").write_text(json.dumps({"status": "completed", "config": {"task": "classify"}}))
    (broken / "metrics.json").write_text("{ not json")
    (root / "secret.txt").write_text("outside the served folders")
    return {"root": root, "runs": runs, "data": data, "file": file}


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium through chromedriver (installed from Debian when missing)."""
    ensure_debian_packages({CHROMIUM: "chromium", CHROMEDRIVER: "chromium-driver"})
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
