"""The fine-tune recipe: the head trains first (on cached features), then the whole network with
discriminative learning rates; the model keeps its flags, and a stopped run resumes in phase two."""

from __future__ import annotations

import pytest
import torch

from designer.training.callbacks import Callback, Recorder
from designer.training.errors import OptionsError
from designer.training.events import EpochEvent, LogEvent
from designer.training.loop import fit
from designer.training.recipe import finetune_factors


class _Snapshots(Callback):
    """conv1's weights at the end of every epoch."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.model, self.conv1 = model, {}

    def on_epoch(self, event: EpochEvent) -> None:
        self.conv1[event.epoch] = self.model.conv1.weight.detach().clone()


class _StopAt(Callback):
    def __init__(self, iteration: int) -> None:
        self.iteration, self.stop = iteration, False

    def on_iteration(self, event) -> None:
        self.stop = self.stop or event.iteration >= self.iteration

    def requested(self) -> bool:
        return self.stop


def test_head_first_then_the_whole_network(tiny_model, tiny_data, options):
    model = tiny_model(frozen_backbone=True)
    start = model.conv1.weight.detach().clone()
    snapshots, rec = _Snapshots(model), Recorder()
    opts = options(recipe="finetune", head_epochs=2, epochs=4)
    result = fit(model, tiny_data(), tiny_data(seed=1), opts, callbacks=[snapshots, rec])
    assert result.reason == "completed", result.message
    assert result.feature_cache == "memory"  # phase one trained the head on cached features
    assert torch.equal(snapshots.conv1[2], start)  # backbone untouched in phase one
    assert not torch.equal(snapshots.conv1[3], start)  # and trained in phase two
    log = "\n".join(e.message for e in rec.of_type(LogEvent))
    assert "fine-tune recipe, phase 2 from epoch 3" in log
    assert len(result.history.epochs) == 4
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ["fc.weight", "fc.bias"]
    assert result.evaluation_features is None  # phase two changed the backbone


def test_phase_two_learning_rates_fall_towards_the_input():
    names = ["conv1.weight", "bn1.weight", "conv2.weight", "conv2.bias", "fc.weight", "fc.bias"]
    factors = finetune_factors(names, ["fc.weight", "fc.bias"], {"bn1": 0.0}, 2, 0.5)
    assert factors["fc.weight"] == factors["fc.bias"] == 1.0
    assert factors["conv1.weight"] == 0.25 and factors["conv2.weight"] == 0.5
    assert factors["bn1.weight"] == 0.0  # frozen by the design for this run: stays frozen


def test_recipe_options_are_checked(options):
    with pytest.raises(OptionsError, match="head_epochs < epochs"):
        options(recipe="finetune", head_epochs=4, epochs=4)
    with pytest.raises(OptionsError, match="recipe='slow'"):
        options(recipe="slow")


def test_a_run_stopped_in_phase_two_resumes_there(tiny_model, tiny_data, options, tmp_path):
    opts = options(recipe="finetune", head_epochs=1, epochs=3)
    whole = fit(tiny_model(frozen_backbone=True), tiny_data(), tiny_data(seed=1), opts)
    model = tiny_model(frozen_backbone=True)
    stop = _StopAt(6 * 2 - 2)  # inside epoch 2 (6 iterations per epoch), in phase two
    first = fit(model, tiny_data(), tiny_data(seed=1), opts, run_dir=tmp_path / "run",
                should_stop=stop.requested, callbacks=[stop])
    assert first.reason == "stopped"
    rec = Recorder()
    again = fit(tiny_model(frozen_backbone=True), tiny_data(), tiny_data(seed=1), opts,
                run_dir=tmp_path / "run", resume_from=tmp_path / "run",
                callbacks=[rec])
    assert again.reason == "completed", again.message
    assert "phase 2" in "\n".join(e.message for e in rec.of_type(LogEvent))
    torch.testing.assert_close(
        torch.tensor([r["loss"] for r in again.history.iterations]),
        torch.tensor([r["loss"] for r in whole.history.iterations]), rtol=1e-4, atol=1e-5)
