"""Per-class precision/recall when only confident predictions count."""

from __future__ import annotations

import pytest

from designer.evaluation import EvaluationError
from designer.evaluation.result import Prediction
from designer.evaluation.thresholds import at_threshold


def p(index: int, true: int, predicted: int, confidence: float) -> Prediction:
    return Prediction(index, None, true, predicted, confidence, ((predicted, confidence),))


PREDICTIONS = [p(0, 0, 0, 0.95), p(1, 0, 0, 0.6), p(2, 1, 0, 0.55), p(3, 0, 1, 0.9),
               p(4, 1, 1, 0.8)]


def test_raising_the_threshold_trades_recall_for_precision():
    everything = at_threshold(PREDICTIONS, 0, 0.0)
    assert (everything.kept, everything.correct, everything.support) == (3, 2, 3)
    assert everything.precision == pytest.approx(2 / 3) and everything.recall == pytest.approx(2 / 3)
    confident = at_threshold(PREDICTIONS, 0, 0.58)  # the 55 % mistake is refused
    assert confident.precision == 1.0 and confident.recall == pytest.approx(2 / 3)
    strict = at_threshold(PREDICTIONS, 0, 0.9)
    assert strict.kept == 1 and strict.precision == 1.0 and strict.recall == pytest.approx(1 / 3)
    none = at_threshold(PREDICTIONS, 0, 1.0)
    assert none.kept == 0 and none.precision == 0.0 and none.recall == 0.0


def test_threshold_is_a_probability():
    with pytest.raises(EvaluationError, match="between 0 and 1"):
        at_threshold(PREDICTIONS, 0, 1.5)
