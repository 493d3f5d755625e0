"""Calibration: ECE on probabilities whose answer we know, temperature scaling that helps."""

from __future__ import annotations

import pytest
import torch

from designer.evaluation import EvaluationError
from designer.evaluation.calibration import (
    expected_calibration_error,
    fit_temperature,
    nll,
    reliability,
)


def test_ece_of_constructed_probabilities():
    # 4 samples at 95 % with 2 right, 6 at 55 % with 3 right:
    # ECE = 0.4 * |0.5 - 0.95| + 0.6 * |0.5 - 0.55| = 0.18 + 0.03
    confidences = [0.95] * 4 + [0.55] * 6
    correct = [True, True, False, False, *([True] * 3), *([False] * 3)]
    result = reliability(confidences, correct)
    assert result.ece == pytest.approx(0.21)
    full = [b for b in result.bins if b.count]
    assert [(b.count, round(b.confidence, 2), b.accuracy) for b in full] == \
        [(6, 0.55, 0.5), (4, 0.95, 0.5)]
    assert sum(b.count for b in result.bins) == 10
    # 75 % sure and right 3 times in 4: perfectly calibrated
    assert expected_calibration_error([0.75] * 4, [True, True, True, False]) == pytest.approx(0.0)
    # the edges: 0 goes to the first bin, 1 to the last
    edges = reliability([0.0, 1.0], [False, True], bins=10)
    assert edges.bins[0].count == 1 and edges.bins[-1].count == 1 and edges.ece == 0.0


def test_ece_refuses_what_is_not_a_probability():
    with pytest.raises(EvaluationError, match="between 0 and 1"):
        reliability([1.5], [True])
    with pytest.raises(EvaluationError, match="2 confidences but 1"):
        reliability([0.5, 0.5], [True])


def overconfident(n: int = 600, classes: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """Scores that put the right class on top 70 % of the time, but with ~99 % confidence."""
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, classes, (n,), generator=g)
    top = torch.where(torch.rand(n, generator=g) < 0.7, labels,
                      torch.randint(0, classes, (n,), generator=g))
    logits = torch.randn(n, classes, generator=g) * 0.5
    logits[torch.arange(n), top] += 6.0
    return logits, labels


def test_temperature_fit_lowers_nll_of_an_overconfident_model():
    logits, labels = overconfident()
    t = fit_temperature(logits, labels)
    assert t > 1.5, "an over-confident model is cooled down"
    assert nll(logits, labels, t) < 0.8 * nll(logits, labels)
    grid = torch.linspace(0.5, 10, 400)
    best = float(grid[torch.stack([torch.tensor(nll(logits, labels, float(g))) for g in grid]).argmin()])
    assert t == pytest.approx(best, rel=0.03), "LBFGS finds the NLL minimum"
    before = torch.softmax(logits, 1).max(1)
    after = torch.softmax(logits / t, 1).max(1)
    assert torch.equal(before.indices, after.indices), "the predicted classes do not change"
    correct = before.indices == labels
    assert expected_calibration_error(after.values, correct) < \
        0.5 * expected_calibration_error(before.values, correct)


def test_temperature_fit_checks_its_input():
    with pytest.raises(EvaluationError, match="3 rows of scores but 2 labels"):
        fit_temperature(torch.zeros(3, 2), torch.tensor([0, 1]))
    with pytest.raises(EvaluationError, match="outside the model's classes"):
        fit_temperature(torch.zeros(2, 2), torch.tensor([0, 2]))
