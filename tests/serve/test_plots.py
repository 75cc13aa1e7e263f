"""The figures: confusion fractions, throughput without the validation gaps, the event display's axes."""

from __future__ import annotations

import json

import numpy as np

from argonet.serve import plots
from argonet.serve.events import EventView, PlaneRow


def test_confusion_is_row_normalised_with_counts_in_the_cells():
    fig = plots.confusion_figure([[3, 1], [0, 0]], ["a", "b"], "t")
    trace = fig["data"][0]
    assert np.allclose(trace["z"], [[0.75, 0.25], [0.0, 0.0]])
    assert trace["text"][0][0] == "75%<br>(3)" and trace["x"] == ["a", "b"]


def test_throughput_leaves_out_the_interval_holding_validation():
    scalars = {"train": {"step": [2, 4, 4, 6, 8], "time": [0.0, 1.0, 1.1, 11.0, 12.0],
                         "loss": [1.0, 0.9, None, 0.8, 0.7], "epoch_loss": [None, None, 0.9, None, None]}}
    rate = [t for t in plots.rate_figure(scalars, images_per_step=8)["data"] if t["name"] == "images/s"][0]
    assert rate["x"] == [4, 8] and rate["y"] == [16.0, 16.0]      # 4 → 6 spans the validation pass


def test_json_for_a_script_block_cannot_close_it_and_has_no_nan():
    text = plots.to_json({"title": "</script><script>alert(1)</script>", "z": [float("nan"), 1.0]})
    assert "</script>" not in text and json.loads(text) == {"title": "</script><script>alert(1)</script>",
                                                             "z": [None, 1.0]}


def test_event_rows_of_a_plane_zoom_together():
    image = np.zeros((4, 5), np.float32)
    image[1, 2] = 7.0
    view = EventView(0, "t", ["U", "V"], [(10, 20), (0, 0)], [1, 2], [(0.3, 0.08)] * 2, [(0.0, 0.0)] * 2,
                     [PlaneRow("charge", "", [image, image]),
                      PlaneRow("truth", "semantic", [image * 0 + (image > 0) * 2] * 2, ["bg", "cosmic", "nu"])],
                     None, [])
    fig = plots.event_figure(view)
    layout = fig["layout"]
    assert layout["xaxis3"]["matches"] == "x" and layout["yaxis4"]["matches"] == "y2"
    charge_u = fig["data"][0]
    assert charge_u["x"][0] == 10 and charge_u["y"][0] == 20           # wire and tick numbers of the window
    assert fig["data"][1]["x"][:2] == [0.5, 2.5]                        # 2x2 pooled: pixel centres
    assert [t["name"] for t in fig["data"] if t["type"] == "scatter"] == ["nu"]
