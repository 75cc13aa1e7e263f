"""Fixtures for every test: one torch thread per test process (CI runs two pytest workers on two
cores, and oversubscribed OpenMP threads slow small models down tenfold) and the shared reference data,
read from ``../shared`` beside the repository; a missing file fails with where it should be."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

SHARED = Path(__file__).parents[1].parent / "shared"
LARCV3_SAMPLE = SHARED / "data/larcv3/sample_cosmic_tagger.h5"


def shared_file(path: Path) -> Path:
    """A shared reference file, or a test failure that says where it should be."""
    if not path.is_file():
        pytest.fail(f"shared reference file missing: {path} (the tests read ../shared relative to the repository)")
    return path


@pytest.fixture(scope="session")
def sample_path() -> Path:
    """The SBND-format larcv3 file written by larcv3 3.5.1 itself (4 events, 3 planes of 2048 x 1280)."""
    return shared_file(LARCV3_SAMPLE)


@pytest.fixture(scope="session")
def sample_expected() -> dict:
    """What larcv3 itself reads back from the sample (sample_cosmic_tagger.h5.expected.json)."""
    return json.loads(shared_file(LARCV3_SAMPLE.with_name(LARCV3_SAMPLE.name + ".expected.json")).read_text())


@pytest.fixture(autouse=True)
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
