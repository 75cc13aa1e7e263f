"""``argonet iotest``: reads batches as training does and reports its figures; one-line errors."""

from __future__ import annotations

import numpy as np
import pytest

from argonet.recipes.iotest import iotest
from argonet.conf.compose import compose
from argonet.cli.main import main
from argonet.conf.data import IotestConfig
from argonet.event import Event, ImageMeta, SparseImage
from argonet.io import Larcv3Writer


@pytest.fixture
def small_file(tmp_path):
    """Six events of 3 planes of 32 x 16 pixels, 40 stored pixels each."""
    rng = np.random.default_rng(0)
    path = tmp_path / "small.h5"
    with Larcv3Writer(path) as writer:
        for i in range(6):
            planes = []
            for p in range(3):
                meta = ImageMeta(p, (32, 16), (9.6, 4.8), (0.0, 0.0))
                ids = np.sort(rng.choice(32 * 16, 40, replace=False)).astype(np.uint64)
                planes.append((SparseImage(meta, ids, np.full(40, 10.0, np.float32)),
                               SparseImage(meta, ids, rng.integers(0, 3, 40).astype(np.float32))))
            writer.write(Event([c for c, _ in planes], [s for _, s in planes], [], event=i))
    return path


@pytest.mark.parametrize("dataset", ["segmentation", "sparse"])
def test_iotest_reports_rates(small_file, capsys, dataset):
    cfg = compose("iotest", IotestConfig, [f"data.file={small_file}", "data.downsample=[2,4]",
                                           "run.minibatch_size=4", "run.iterations=3", "run.warmup=1",
                                           f"run.dataset={dataset}"])
    result = iotest(cfg)
    assert result["events"] == 12                     # 3 timed batches of 4 (an epoch ends after one batch)
    assert result["events_per_s"] > 0 and result["MB_per_s"] > 0
    assert result["image_shape"] == [3, 16, 4]
    if dataset == "segmentation":
        # image float32 + label int64 per event: 3 x 16 x 4 x (4 + 8) bytes, and the entry number
        expected_bytes = 12 * (3 * 16 * 4 * 12 + 8)
        assert result["MB_per_s"] * result["seconds"] == pytest.approx(expected_bytes / 1e6)
    out = capsys.readouterr().out
    assert "events/s" in out and "MB/s" in out
    assert out.startswith("argonet ") and f"dataset: {dataset}" in out and "minibatch_size: 4" in out   # the config


def test_iotest_errors_are_one_line(small_file, capsys):
    assert main(["iotest", f"data.file={small_file.with_name('none.h5')}"]) == 2
    assert main(["iotest", f"data.file={small_file}", "run.minibatch_size=7"]) == 2
    assert main(["iotest", f"data.file={small_file}", "data.labels=sbnd_cosmicsg"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3
    assert "data.file:" in errors[0] and "does not exist" in errors[0]
    assert "run.minibatch_size:" in errors[1] and "6 events" in errors[1]
    assert "did you mean sbnd_cosmicseg" in errors[2]


def test_iotest_reads_the_sparse_batches_of_data_layout_sparse(small_file, capsys):
    cfg = compose("iotest", IotestConfig, [f"data.file={small_file}", "data.layout=sparse", "run.minibatch_size=3",
                                           "run.iterations=2", "run.warmup=0"])
    result = iotest(cfg)
    assert result["events"] == 6 and result["image_shape"] == [3, 32, 16]
    # per event 3 x 40 pixels: coords int64 (4 columns), charge float32, label int64; and the entry number
    assert result["MB_per_s"] * result["seconds"] == pytest.approx((6 * 120 * (32 + 4 + 8) + 6 * 8 + 2 * 2 * 8) / 1e6)
    assert "dataset sparse_segmentation" in capsys.readouterr().out
