"""LR finder: the valley suggestion resists spikes and NaNs; the range test leaves the model as
it was and finds a rate that trains."""

from __future__ import annotations

import math

import pytest
import torch

from designer.training.lr_finder import range_test, smooth, suggest


def _curve(spike_at: float | None = None, spike: float = 0.0, nan_tail: bool = False):
    """Plateau until 1e-4, a valley falling until 1e-2, then a blow-up (like a real test)."""
    lrs = [10 ** (-7 + 8 * i / 99) for i in range(100)]
    losses = []
    for lr in lrs:
        x = math.log10(lr)
        if x < -4:
            loss = 2.3
        elif x < -2:
            loss = 2.3 - 2.0 * (x + 4) / 2
        else:
            loss = 0.3 + 3.0 * (x + 2) ** 2
        losses.append(loss)
    if spike_at is not None:
        i = min(range(100), key=lambda k: abs(math.log10(lrs[k]) - spike_at))
        losses[i] += spike
    if nan_tail:
        losses[-10:] = [math.nan] * 10
    return lrs, losses


@pytest.mark.parametrize(("spike_at", "spike"), [
    (-3.0, +6.0),   # a huge upward spike in the middle of the valley
    (-5.5, -2.2),   # a deep dip on the plateau that a "minimum loss" rule would pick
    (-2.6, -1.5),   # a dip near the bottom
    (None, 0.0),
])
def test_suggestion_stays_in_the_valley_despite_spikes(spike_at, spike):
    lrs, losses = _curve(spike_at, spike, nan_tail=True)
    found = suggest(lrs, smooth(losses))
    assert found is not None
    assert 1e-4 <= found.lr <= 1e-2, found
    start, end = found.valley
    assert lrs[start] < found.lr < lrs[end]


def test_nan_and_blow_up_are_cut_off():
    lrs, losses = _curve()
    losses[60] = math.nan
    found = suggest(lrs, smooth(losses))
    assert found is not None and found.used == 60 and found.index < 60


def test_no_valley_gives_no_suggestion_and_bad_input_is_refused():
    assert suggest([1e-5, 1e-4, 1e-3, 1e-2], [1.0, 1.1, 1.2, 1.3]) is None
    with pytest.raises(ValueError, match="learning rates but"):
        suggest([1e-3], [1.0, 2.0])
    with pytest.raises(ValueError, match="positive"):
        suggest([0.0, 1.0, 2.0], [1.0, 1.0, 1.0])


def test_range_test_restores_the_model_and_suggests_a_rate_that_trains(
        tiny_model, tiny_data, options):
    model = tiny_model(frozen_backbone=True)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = range_test(model, tiny_data(96), options(batch_size=16), steps=40)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ["fc.weight", "fc.bias"]
    assert len(result.lrs) == len(result.losses) <= 40
    assert result.suggestion is not None, result.message
    assert 1e-6 < result.suggestion.lr < 10
    assert "Suggested learning rate" in result.message


def test_a_stopped_range_test_puts_the_model_back(tiny_model, tiny_data, options):
    """Cancel after a few steps (the dashboard's Cancel): weights, flags and modes are as before."""
    from designer.training.feature_cache import CacheCancelled

    model = tiny_model(frozen_backbone=True)
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    told: list[tuple[int, int]] = []
    with pytest.raises(CacheCancelled):
        range_test(model, tiny_data(96), options(batch_size=16), steps=40,
                   step_done=lambda done, total: told.append((done, total)),
                   should_stop=lambda: len(told) >= 5)
    assert told[:5] == [(1, 40), (2, 40), (3, 40), (4, 40), (5, 40)]
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ["fc.weight", "fc.bias"]
    assert not any(m.training for m in model.modules())
