"""The classification task the engine trains, and the evaluation summary built from its predictions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from argonet.errors import ConfigError, DataError
from argonet.tasks.classify import ClassifyTask, predict, summarise

CLASSES = ["CCQE", "CCRES", "NCQE", "NCRES"]


class FixedLogits(nn.Module):
    """Returns the logits it was built with, whatever the input (to test the loss arithmetic)."""

    def __init__(self, logits: torch.Tensor):
        super().__init__()
        self.logits = logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits[: len(x)]


def test_uniform_logits_cost_log_of_the_class_count():
    # cross-entropy of a uniform prediction over K classes is ln K, whatever the true class
    task = ClassifyTask(CLASSES)
    batch = {"image": torch.zeros(5, 3, 8, 8), "label": torch.tensor([0, 1, 2, 3, 1]), "entry": torch.arange(5)}
    out = task(FixedLogits(torch.zeros(5, 4)), batch)
    assert out["loss"].item() == pytest.approx(math.log(4), rel=1e-6)
    assert out["output"].shape == (5, 4) and torch.equal(out["target"], batch["label"])


def test_confident_correct_logits_cost_almost_nothing_and_pairs_work():
    # (features, labels) pairs are what the cached-feature head training yields
    logits = torch.full((3, 4), -20.0)
    labels = torch.tensor([2, 0, 3])
    logits[torch.arange(3), labels] = 20.0
    out = ClassifyTask(CLASSES)(FixedLogits(logits), (torch.zeros(3, 128), labels))
    assert out["loss"].item() < 1e-12       # ln(1 + 3 e^-40)


def test_metrics_accuracy_and_balanced_accuracy():
    task = ClassifyTask(["a", "b"])
    # 3 of class a (all right), 1 of class b (wrong): accuracy 3/4, per-class efficiency 1 and 0
    outputs = torch.tensor([[2.0, 0.0], [2.0, 0.0], [2.0, 0.0], [2.0, 0.0]])
    metrics = task.metrics(outputs, torch.tensor([0, 0, 0, 1]))
    assert metrics["accuracy"] == pytest.approx(0.75)
    assert metrics["balanced_accuracy"] == pytest.approx(0.5)


def test_wrong_output_width_and_too_few_classes_are_config_errors():
    task = ClassifyTask(CLASSES)
    with pytest.raises(ConfigError, match="model.num_classes: the model gives \\(2,\\) outputs"):
        task(FixedLogits(torch.zeros(2, 2)), (torch.zeros(2, 3), torch.tensor([0, 1])))
    with pytest.raises(ConfigError, match="at least 2 classes"):
        ClassifyTask(["CCQE"])
    with pytest.raises(DataError, match="'image' and 'label'"):
        task(FixedLogits(torch.zeros(2, 4)), {"image": torch.zeros(2, 3)})


def test_predict_restores_train_mode_and_gives_probabilities():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 4), nn.Dropout(0.5))
    model.train()
    batches = [(torch.randn(3, 3, 2, 2), torch.tensor([0, 1, 2])), (torch.randn(2, 3, 2, 2), torch.tensor([3, 3]))]
    probs, labels = predict(model, batches, torch.device("cpu"))
    assert model.training
    assert probs.shape == (5, 4) and np.allclose(probs.sum(1), 1.0)
    assert labels.tolist() == [0, 1, 2, 3, 3]
    with pytest.raises(DataError, match="no events"):
        predict(model, [], torch.device("cpu"))


def test_summary_counts_and_roc_of_a_perfect_classifier():
    labels = np.array([0, 0, 1, 1, 1, 2])
    probs = np.eye(4)[labels] * 0.7 + 0.075          # each event's true class scores highest
    report = summarise(probs, labels, CLASSES)
    assert report["accuracy"] == 1.0 and report["n_events"] == 6
    assert np.array(report["confusion"]).sum() == 6 and np.trace(report["confusion"]) == 6
    assert report["efficiency"]["CCRES"] == 1.0 and report["purity"]["NCQE"] == 1.0
    assert report["efficiency"]["NCRES"] is None            # no true NCRES event: undefined, not 0
    # a perfect separation has AUC 1; NCRES has no signal events, so no ROC curve
    assert report["auc"] == {"CCQE": 1.0, "CCRES": 1.0, "NCQE": 1.0}
    assert "NCRES" not in report["roc"]


def test_particle_id_classes_add_the_fake_rate_at_90_percent_of_each_pair():
    # e vs gamma: 4 electrons with scores 0.9, 0.8, 0.7, 0.2 and 5 photons with 0.85, 0.6, 0.3, 0.1, 0.05.
    # Keeping 90 % of electrons (3.6 of 4) needs the electron at 0.2: the ROC's electron efficiency climbs from
    # 3/4 to 4/4 at that cut, while the photons above it (0.85, 0.6, 0.3) stay 3 of 5 -> fake rate 0.6
    classes = ["SINGLE_E", "SINGLE_GAMMA", "SINGLE_MU"]
    p_e = torch.tensor([0.9, 0.8, 0.7, 0.2, 0.85, 0.6, 0.3, 0.1, 0.05], dtype=torch.float64)
    probs = torch.stack([p_e, 1 - p_e, torch.zeros_like(p_e)], dim=1)
    logits = torch.log(probs.clamp_min(1e-12))
    labels = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1, 1])
    found = ClassifyTask(classes).metrics(logits, labels)
    assert set(found) == {"accuracy", "balanced_accuracy", "fake_rate_at_90_e_vs_gamma", "fake_rate_at_90_e_vs_all"}
    assert found["fake_rate_at_90_e_vs_gamma"] == pytest.approx(0.6)
    assert found["fake_rate_at_90_e_vs_all"] == pytest.approx(0.6)      # the only background present is gamma
    assert "fake_rate_at_90_e_vs_gamma" not in ClassifyTask(CLASSES).metrics(logits[:, :2].repeat(1, 2), labels)
