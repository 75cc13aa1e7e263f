"""Which batches feed a segmentation model: data.layout must agree with the model, in one line."""

from __future__ import annotations

import pytest

from argonet.conf.segment import segment_dataset
from argonet.errors import ConfigError


@pytest.mark.parametrize("model, layout, kind", [
    ("uresnet", "auto", "segmentation"), ("uresnet", "dense", "segmentation"),
    ("sparse-uresnet", "auto", "sparse_segmentation"), ("sparse-uresnet", "sparse", "sparse_segmentation")])
def test_the_model_chooses_the_layout(model, layout, kind):
    assert segment_dataset(model, layout=layout) == (kind, {})


def test_without_truth_no_label_product_is_read():
    assert segment_dataset("uresnet", truth=False) == ("image", {})
    assert segment_dataset("sparse-uresnet", truth=False, layout="sparse") == ("sparse_segmentation", {"labels": None})


@pytest.mark.parametrize("model, layout, message", [
    ("uresnet", "sparse", "model uresnet reads dense images, not sparse ones; use data.layout=auto, or "
                          "model.name=sparse-uresnet for sparse batches"),
    ("sparse-uresnet", "dense", "model sparse-uresnet reads sparse batches (active pixels only), not dense ones; "
                                "use data.layout=auto, or model.name=uresnet for dense batches")])
def test_a_layout_the_model_does_not_read_is_refused(model, layout, message):
    with pytest.raises(ConfigError) as err:
        segment_dataset(model, layout=layout)
    assert str(err.value) == f"data.layout: {message}"
