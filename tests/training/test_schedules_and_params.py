"""Learning-rate schedules and parameter groups."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from designer.training.options import TrainingOptions
from designer.training.params import frozen_batchnorm_names, lr_factor, prepare
from designer.training.recipe import build_optimizer
from designer.training.schedules import LrSchedule


def _multipliers(per_epoch: int = 10, **kw: object) -> list[float]:
    schedule = LrSchedule(TrainingOptions(epochs=4, **kw), per_epoch)  # type: ignore[arg-type]
    return [schedule.multiplier(i) for i in range(schedule.total)]


def test_warmup_ramps_linearly_then_cosine_decays():
    m = _multipliers(schedule="cosine", warmup_epochs=1)
    assert m[:3] == pytest.approx([0.1, 0.2, 0.3])
    assert m[10] == pytest.approx(1.0)
    assert all(a >= b for a, b in itertools.pairwise(m[10:]))
    assert m[-1] < 0.01


def test_step_schedule_decays_every_step_size_epochs():
    m = _multipliers(schedule="step", step_size=2, gamma=0.5)
    assert m[0] == m[19] == 1.0 and m[20] == m[39] == 0.5


def test_one_cycle_rises_to_the_peak_then_falls_low():
    m = _multipliers(schedule="onecycle")
    peak = max(range(len(m)), key=m.__getitem__)
    assert m[0] == pytest.approx(1 / 25) and m[peak] == pytest.approx(1.0, abs=1e-3)
    assert 8 <= peak <= 16 and m[-1] < 1e-3


def test_constant_schedule():
    assert set(_multipliers(schedule="none")) == {1.0}


def test_lr_factor_exact_then_longest_prefix():
    factors = {"layer4": 2.0, "layer4.1": 5.0, "fc.bias": 0.0}
    assert lr_factor("layer4.1.conv.weight", factors) == 5.0
    assert lr_factor("layer4.0.conv.weight", factors) == 2.0
    assert lr_factor("fc.bias", factors) == 0.0
    assert lr_factor("fc.weight", factors) == 1.0
    assert lr_factor("layer40.weight", factors) == 1.0  # a prefix is a whole module path


def test_groups_skip_frozen_split_decay_and_restore_zero_factors():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4, 2))
    model[1].requires_grad_(False)
    t = prepare(model, lr=0.1, weight_decay=0.01, factors={"3": 10.0, "0.bias": 0.0})
    by_param = {id(p): g for g in t.groups for p in g["params"]}
    assert by_param[id(model[3].weight)]["lr"] == pytest.approx(1.0)
    assert by_param[id(model[3].weight)]["weight_decay"] == 0.01
    assert by_param[id(model[3].bias)]["weight_decay"] == 0.0  # 1-D: no decay
    assert id(model[0].bias) not in by_param and not model[0].bias.requires_grad
    assert id(model[1].weight) not in by_param
    assert t.frozen_batchnorms == ["1"] == frozen_batchnorm_names(model)
    t.restore()
    assert model[0].bias.requires_grad and not model[1].weight.requires_grad


@pytest.mark.parametrize("solver", ["sgdm", "adam", "adamw", "rmsprop"])
def test_every_solver_builds_and_steps(solver):
    model = nn.Linear(3, 2)
    t = prepare(model, 0.1, 0.0, None)
    optimizer = build_optimizer(t.groups, solver, 0.1, 0.9)
    model(torch.randn(4, 3)).sum().backward()
    before = model.weight.detach().clone()
    optimizer.step()
    assert not torch.equal(before, model.weight)
