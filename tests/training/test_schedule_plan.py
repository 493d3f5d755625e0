"""The schedule preview's numbers are the engine's: `schedules.plan` gives, for every step, the
learning rate `fit` then uses (warm-up, each schedule, both phases of the fine-tune recipe)."""

from __future__ import annotations

import pytest

from designer.training.callbacks import Recorder
from designer.training.events import IterationEvent
from designer.training.loop import fit
from designer.training.schedules import iterations_per_epoch, plan


@pytest.mark.parametrize("changes", [
    {"schedule": "cosine", "warmup_epochs": 0.5},
    {"schedule": "step", "step_size": 1, "gamma": 0.5},
    {"schedule": "onecycle"},
    {"schedule": "none", "warmup_epochs": 1.0},
    {"recipe": "finetune", "head_epochs": 1, "schedule": "cosine", "warmup_epochs": 0.5,
     "finetune_lr_ratio": 0.2},
    {"recipe": "finetune", "head_epochs": 2, "schedule": "onecycle"},
])
def test_plan_equals_the_learning_rates_fit_uses(tiny_model, tiny_data, options, changes):
    opts = options(epochs=3, batch_size=10, **changes)
    data = tiny_data(41)  # 4 full batches and one of a single image, which the loop drops
    recorder = Recorder()
    result = fit(tiny_model(frozen_backbone=True), data, None, opts, callbacks=[recorder])
    assert result.reason == "completed", result.message
    used = [e.lr for e in recorder.of_type(IterationEvent)]
    per_epoch = iterations_per_epoch(len(data), opts)
    planned = plan(opts, per_epoch)
    assert planned.total == len(used) == 3 * per_epoch
    assert planned.lrs == pytest.approx(used, rel=1e-9)
    if opts.recipe == "finetune":
        assert planned.phase_start == opts.head_epochs * per_epoch
        assert planned.lrs[planned.phase_start] <= opts.lr * opts.finetune_lr_ratio * (1 + 1e-9)
        assert planned.group_factors == pytest.approx(
            [opts.layer_lr_decay ** k for k in (4, 3, 2, 1)])


def test_a_sampled_plan_keeps_every_jump_and_bad_counts_are_refused(options):
    opts = options(epochs=40, schedule="step", step_size=10, gamma=0.1)
    full, sampled = plan(opts, 500), plan(opts, 500, max_points=200)
    assert len(sampled.steps) < 400 < len(full.steps) == 20_000
    assert sampled.lrs == [full.lrs[s] for s in sampled.steps]
    for drop in (5000, 10_000, 15_000):  # both sides of every step-decay drop are drawn
        assert {drop - 1, drop} <= set(sampled.steps)
    assert sampled.steps[0] == 0 and sampled.steps[-1] == 19_999
    with pytest.raises(ValueError, match="per_epoch"):
        plan(opts, 0)
    with pytest.raises(ValueError, match="train_images"):
        iterations_per_epoch(0, opts)
