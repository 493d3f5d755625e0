"""fit(): learning, parameter groups, stopping, failures, reproducibility and resuming."""

from __future__ import annotations

import json
import math
import time

import pytest
import torch
from torch import nn

from designer.training.callbacks import Callback, Recorder
from designer.training.errors import CallbackError, StopTraining
from designer.training.events import FinishedEvent, IterationEvent, LogEvent, ValidationEvent
from designer.training.loop import fit
from designer.training.run_dir import load_checkpoint, load_weights


def _params(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_loss_decreases_and_accuracy_rises(tiny_model, tiny_data, options):
    model = tiny_model()
    result = fit(model, tiny_data(), tiny_data(seed=1), options(epochs=6, feature_cache="off"))
    assert result.reason == "completed"
    losses = [row["loss"] for row in result.history.iterations]
    assert sum(losses[-6:]) / 6 < 0.7 * sum(losses[:6]) / 6
    assert result.best_val_acc is not None and result.best_val_acc > 0.6
    assert len(result.history.validations) == 6  # validate_every=0: once per epoch


def test_frozen_parameters_stay_bit_identical(tiny_model, tiny_data, options):
    model = tiny_model(frozen_backbone=True)
    before = _params(model)
    result = fit(model, tiny_data(), None, options(feature_cache="off"))
    assert result.reason == "completed"
    after = model.state_dict()
    for key in ("conv1.weight", "conv2.bias", "bn1.weight", "bn1.running_mean", "bn1.running_var"):
        assert torch.equal(before[key], after[key]), key
    assert not torch.equal(before["fc.weight"], after["fc.weight"])
    assert all(p.requires_grad == n.startswith("fc.") for n, p in model.named_parameters())


def test_trainable_batchnorm_statistics_do_change(tiny_model, tiny_data, options):
    model = tiny_model()
    before = model.bn1.running_mean.clone()
    fit(model, tiny_data(), None, options(epochs=1))
    assert not torch.equal(before, model.bn1.running_mean)


def test_lr_factor_scales_the_step_and_zero_freezes(tiny_model, tiny_data, options):
    model = tiny_model()
    data = tiny_data(n=24)
    reference = tiny_model()
    images, labels = data.tensors
    nn.functional.cross_entropy(reference(images), labels).backward()
    before = _params(model)
    opts = options(epochs=1, batch_size=24, solver="sgdm", momentum=0.0, weight_decay=0.0,
                   schedule="none", lr=0.01, channels_last="off")
    rec = Recorder()
    result = fit(model, data, None, opts, lr_factors={"fc": 10.0, "conv1": 0.0}, callbacks=[rec])
    assert result.iterations == 1
    step_fc = before["fc.weight"] - model.fc.weight.detach()
    step_conv2 = before["conv2.weight"] - model.conv2.weight.detach()
    torch.testing.assert_close(step_fc, 0.1 * reference.fc.weight.grad, rtol=1e-4, atol=1e-7)
    torch.testing.assert_close(step_conv2, 0.01 * reference.conv2.weight.grad, rtol=1e-4, atol=1e-7)
    assert torch.equal(before["conv1.weight"], model.conv1.weight.detach())
    assert model.conv1.weight.requires_grad  # factor 0 froze it for the run only
    assert rec.of_type(IterationEvent)[0].lr == pytest.approx(0.01)


def test_stop_mid_epoch_leaves_usable_model_and_saved_run(tiny_model, tiny_data, options, tmp_path):
    model = tiny_model()
    calls = iter(range(1000))
    rec = Recorder()
    result = fit(model, tiny_data(), tiny_data(seed=1), options(epochs=3, validate_every=2),
                 should_stop=lambda: next(calls) >= 7, run_dir=tmp_path / "run", callbacks=[rec])
    assert result.reason == "stopped"
    assert 0 < result.iterations < 6  # stopped inside the first epoch (6 batches)
    assert model.training and next(model.parameters()).device.type == "cpu"
    assert model.conv1.weight.is_contiguous()
    out = model.eval()(tiny_data().tensors[0][:4])
    assert out.shape == (4, 3) and torch.isfinite(out).all()
    run = tmp_path / "run"
    for name in ("options.json", "history.json", "history.csv", "best.safetensors",
                 "last.safetensors", "checkpoint.pt", "run.log", "summary.json"):
        assert (run / name).is_file(), name
    assert json.loads((run / "summary.json").read_text())["reason"] == "stopped"
    fresh = tiny_model(seed=5)
    fresh.load_state_dict(load_weights(run / "best.safetensors"))
    torch.testing.assert_close(fresh.eval()(tiny_data().tensors[0][:4]), out)
    finished = rec.of_type(FinishedEvent)
    assert len(finished) == 1 and finished[0].reason == "stopped"


def test_nan_loss_stops_with_reason(tiny_model, tiny_data, options):
    data = tiny_data()
    data.tensors[0][5] = float("inf")
    model = tiny_model()
    rec = Recorder()
    result = fit(model, data, None, options(feature_cache="off", batch_size=48), callbacks=[rec])
    assert result.reason == "diverged" and not result.ok
    assert result.message.startswith("The loss became NaN at epoch 1, iteration 1: lower the "
                                     "learning rate (now 0.01)")
    assert rec.of_type(FinishedEvent)[0].reason == "diverged"
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_exploding_loss_stops_and_keeps_the_last_good_checkpoint(tiny_model, tiny_data, options,
                                                                  tmp_path):
    """A frozen backbone with an absurd learning rate: the head's loss heads for 1e20."""
    run = tmp_path / "run"
    sane = fit(tiny_model(frozen_backbone=True), tiny_data(), None,
               options(epochs=2, lr=0.01, solver="sgdm", feature_cache="off"), run_dir=run)
    assert sane.reason == "completed"
    good = load_weights(run / "last.safetensors")
    model = tiny_model(frozen_backbone=True)
    result = fit(model, tiny_data(), None,
                 options(epochs=6, lr=1e12, solver="sgdm", feature_cache="off"), run_dir=run,
                 resume_from=run / "checkpoint.pt")
    assert result.reason == "diverged" and not result.ok
    assert "The loss exploded to " in result.message and "at epoch 3, iteration" in result.message
    assert "lower the learning rate (now 1e+12)" in result.message
    assert "weights of epoch 2 (the last checkpoint) are kept" in result.message
    summary = json.loads((run / "summary.json").read_text())
    assert summary["reason"] == "diverged" and summary["epochs_completed"] == 2
    for name, tensor in load_weights(run / "last.safetensors").items():
        torch.testing.assert_close(tensor, good[name])  # the blown-up weights were not saved
    assert all(torch.isfinite(p).all() and p.abs().max() < 1e3 for p in model.parameters())


def test_divergence_in_the_first_epoch_keeps_no_weights(tiny_model, tiny_data, options, tmp_path):
    run = tmp_path / "run"
    result = fit(tiny_model(frozen_backbone=True), tiny_data(), None,
                 options(epochs=2, lr=1e12, solver="sgdm", feature_cache="off"), run_dir=run)
    assert result.reason == "diverged"
    assert "no weights were kept" in result.message
    assert not (run / "last.safetensors").exists() and not (run / "best.safetensors").exists()
    assert json.loads((run / "summary.json").read_text())["reason"] == "diverged"


@pytest.mark.parametrize("workers", [0, 1])
def test_failing_sample_names_the_file(file_dataset, tiny_model, options, workers):
    data = file_dataset(broken=13)
    rec = Recorder()
    result = fit(tiny_model(), data, None, options(num_workers=workers), callbacks=[rec])
    assert result.reason == "error"
    finished = rec.of_type(FinishedEvent)[0]
    assert finished.reason == "error"
    assert "img_013.png" in finished.message and "truncated" in finished.message
    assert "Traceback" not in finished.message


def test_same_seed_same_metrics_and_other_seed_differs(tiny_model, tiny_data, options):
    def run(seed: int) -> list[float]:
        result = fit(tiny_model(dropout=0.3), tiny_data(), tiny_data(seed=1),
                     options(seed=seed, feature_cache="off", mixed_precision="auto"))
        return [r["loss"] for r in result.history.iterations] + [
            v["val_loss"] for v in result.history.validations]

    first = run(3)
    assert run(3) == first
    assert run(4) != first


@pytest.mark.parametrize("stop_after", [9, 12])  # mid-epoch, and right at an epoch boundary
def test_resume_continues_exactly(tiny_model, tiny_data, options, tmp_path, stop_after):
    opts = options(epochs=3, schedule="cosine", warmup_epochs=0.5, feature_cache="off")
    straight = tiny_model(dropout=0.2)
    full = fit(straight, tiny_data(), tiny_data(seed=1), opts)
    interrupted = tiny_model(dropout=0.2)
    rec = Recorder()
    part = fit(interrupted, tiny_data(), tiny_data(seed=1), opts.replace(keep="last"),
               callbacks=[rec], run_dir=tmp_path / "run",
               should_stop=lambda: len(rec.of_type(IterationEvent)) >= stop_after)
    assert part.reason == "stopped" and part.iterations == stop_after
    resumed_model = tiny_model(seed=9, dropout=0.2)  # weights come from the checkpoint
    resumed = fit(resumed_model, tiny_data(), tiny_data(seed=1), opts,
                  resume_from=tmp_path / "run", run_dir=tmp_path / "run")
    assert resumed.reason == "completed" and resumed.iterations == full.iterations
    losses = [r["loss"] for r in full.history.iterations]
    assert [r["loss"] for r in resumed.history.iterations] == losses
    for key, value in straight.state_dict().items():
        torch.testing.assert_close(resumed_model.state_dict()[key], value, rtol=0, atol=0)


def test_resume_refuses_a_checkpoint_from_another_model(tiny_model, tiny_data, options, tmp_path):
    run = tmp_path / "run"
    fit(tiny_model(), tiny_data(), None, options(epochs=1), run_dir=run)
    saved = (run / "checkpoint.pt").read_bytes()
    other = nn.Sequential(nn.Flatten(), nn.Linear(768, 3))
    result = fit(other, tiny_data(), None, options(), resume_from=run, run_dir=run)
    assert result.reason == "error" and "does not fit this model" in result.message
    assert (run / "checkpoint.pt").read_bytes() == saved  # the failed resume overwrote nothing


def test_checkpoint_loads_with_weights_only(tiny_model, tiny_data, options, tmp_path):
    fit(tiny_model(), tiny_data(), tiny_data(), options(epochs=1), run_dir=tmp_path)
    checkpoint = load_checkpoint(tmp_path / "checkpoint.pt")
    assert checkpoint["epoch"] == 1 and "fc.weight" in checkpoint["model"]


def test_early_stopping_after_patience(tiny_model, tiny_data, options):
    rec = Recorder()  # a step too small to change any weight: validation never improves
    result = fit(tiny_model(), tiny_data(), tiny_data(seed=1),
                 options(epochs=20, lr=1e-12, early_stopping_patience=2, validate_every=3),
                 lr_factors={"conv1": 0, "conv2": 0, "bn1": 0}, callbacks=[rec])
    assert result.reason == "early_stopping"
    validations = rec.of_type(ValidationEvent)
    assert len(validations) == 3 and [v.is_best for v in validations] == [True, False, False]


@pytest.mark.parametrize("keep", ["best", "last"])
def test_keep_best_or_last(tiny_model, tiny_data, options, keep, tmp_path):
    model = tiny_model()
    result = fit(model, tiny_data(), tiny_data(seed=1), options(epochs=4, lr=0.5, keep=keep),
                 run_dir=tmp_path)
    kept = load_weights(tmp_path / ("best.safetensors" if keep == "best" else "last.safetensors"))
    assert result.weights_kept == keep
    for key, value in model.state_dict().items():
        assert torch.equal(value, kept[key]), key


def test_nothing_trainable_is_an_error(tiny_model, tiny_data, options):
    model = tiny_model()
    model.requires_grad_(False)
    result = fit(model, tiny_data(), None, options())
    assert result.reason == "error" and "every parameter is frozen" in result.message


class _Exploding(Callback):
    def on_iteration(self, event: IterationEvent) -> None:
        if event.iteration == 3:
            raise ValueError("plot failed")


class _Stopper(Callback):
    def on_iteration(self, event: IterationEvent) -> None:
        if event.iteration == 2:
            raise StopTraining


class _BadFinish(Callback):
    def on_finished(self, event: FinishedEvent) -> None:
        raise RuntimeError("boom")


def test_callback_errors_stop_the_run_and_say_so(tiny_model, tiny_data, options):
    rec = Recorder()
    result = fit(tiny_model(), tiny_data(), None, options(), callbacks=[_Exploding(), rec])
    assert result.reason == "error" and result.iterations == 3
    assert "_Exploding.on_iteration" in result.message and "plot failed" in result.message
    assert rec.of_type(FinishedEvent)[0].reason == "error"


def test_callback_can_request_stop(tiny_model, tiny_data, options):
    result = fit(tiny_model(), tiny_data(), None, options(), callbacks=[_Stopper()])
    assert result.reason == "stopped" and result.iterations == 2


def test_on_finished_failure_is_raised_after_saving(tiny_model, tiny_data, options, tmp_path):
    rec = Recorder()
    with pytest.raises(CallbackError, match="boom"):
        fit(tiny_model(), tiny_data(), None, options(epochs=1), callbacks=[_BadFinish(), rec],
            run_dir=tmp_path)
    assert rec.of_type(FinishedEvent) and (tmp_path / "summary.json").is_file()


def test_events_carry_progress(tiny_model, tiny_data, options):
    rec = Recorder()
    fit(tiny_model(), tiny_data(), tiny_data(), options(epochs=2), callbacks=[rec])
    its = rec.of_type(IterationEvent)
    assert [e.iteration for e in its] == list(range(1, 13))
    assert all(e.total_iterations == 12 for e in its)
    assert its[-1].eta_seconds == 0 and all(e.images_per_second > 0 for e in its)
    assert all(math.isfinite(e.loss) and 0 <= e.accuracy <= 1 for e in its)
    assert any("BatchNorm" not in e.message for e in rec.of_type(LogEvent))


def test_empty_training_set_is_an_error(tiny_model, tiny_data, options):
    empty = torch.utils.data.Subset(tiny_data(), [])
    result = fit(tiny_model(frozen_backbone=True), empty, None, options())
    assert result.reason == "error" and "training set is empty" in result.message


def test_error_that_already_names_the_file_is_not_repeated(file_dataset, tiny_model, options):
    data = file_dataset(broken=2, names_file=True)  # like designer.data's SampleError
    result = fit(tiny_model(), data, None, options())
    assert result.reason == "error"
    assert result.message.count("img_002.png") == 1 and "empty file" in result.message


def test_a_resumed_run_counts_the_time_it_trained_before_the_stop(tiny_model, tiny_data, options,
                                                                   tmp_path):
    opts = options(epochs=2, feature_cache="off")
    rec = Recorder()
    part = fit(tiny_model(), tiny_data(), None, opts, callbacks=[rec], run_dir=tmp_path / "run",
               should_stop=lambda: len(rec.of_type(IterationEvent)) >= 6)
    assert part.reason == "stopped"
    started = time.perf_counter()
    resumed = fit(tiny_model(), tiny_data(), None, opts, resume_from=tmp_path / "run",
                  run_dir=tmp_path / "run")
    this_process = time.perf_counter() - started
    assert resumed.reason == "completed"
    # the run's time is the stopped part plus the resumed part, not the resumed part alone
    assert resumed.elapsed > this_process
    assert resumed.elapsed >= part.elapsed
