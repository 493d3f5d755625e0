"""The fit loop: train a model on (tensor, label) datasets and report through events.

Error policy: :func:`fit` does not raise for problems met while training. A failing sample
(the message names its file), a failing forward pass, a NaN/inf/exploding loss, a failing
callback, CUDA missing, an unusable checkpoint: each ends the run with a :class:`FitResult` whose
``reason`` is ``"error"`` or ``"diverged"`` (then the model goes back to its last checkpoint or
best weights) and whose ``message`` says what happened and what to do, and
the same text goes into the FinishedEvent and run.log (with the traceback). In every case the
model is left usable (best or last weights per ``options.keep``, on its original device, with
its original ``requires_grad`` flags and train/eval mode) and the run directory is complete.
Ctrl+C (KeyboardInterrupt) is treated as a stop. The only exception fit raises is
:class:`CallbackError` when a callback's ``on_finished`` fails, after everything is saved.
"""

from __future__ import annotations

import contextlib
import functools
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from designer.data.errors import TransformError
from designer.training import ddp
from designer.training.accel import Acceleration, choose
from designer.training.batches import BatchSource, LoaderSource, mix_seed
from designer.training.callbacks import Callback, CallbackList
from designer.training.errors import CallbackError, CheckpointError, SampleLoadError
from designer.training.events import (
    EpochEvent,
    FinishReason,
    IterationEvent,
    LogEvent,
    StartEvent,
    ValidationEvent,
)
from designer.training.failures import explain, last_message
from designer.training.feature_cache import CacheCancelled, CacheContext, FeatureCache
from designer.training.feature_store import FeatureStore
from designer.training.finish import Finisher
from designer.training.history import History
from designer.training.options import FINETUNE_GROUPS, TrainingOptions
from designer.training.params import Trainability, prepare, set_train_mode
from designer.training.provenance import changing_tensors, provenance
from designer.training.recipe import (
    balanced_weights,
    build_optimizer,
    class_weights,
    ema_model,
    finetune_factors,
    mix_batch,
    seed_generators,
)
from designer.training.result import FitResult
from designer.training.resume import TrainingState, load_model_state, restore_training_state
from designer.training.run_dir import CHECKPOINT, INITIAL, RunDir
from designer.training.samples import dataset_labels, user_message
from designer.training.schedules import LrSchedule, phase_lr, phase_schedule
from designer.training.sources import choose_sources
from designer.training.steps import (
    LossDiverged,
    Stepper,
    WeightedCrossEntropy,
    validation_pass,
)
from designer.training.tracking import BestTracker, RunningMean, Throughput, mutable_keys

__all__ = ["FitResult", "fit"]


def fit(
    model: nn.Module,
    train_data: Dataset[Any],
    val_data: Dataset[Any] | None,
    options: TrainingOptions,
    *,
    callbacks: Iterable[Callback] = (),
    should_stop: Callable[[], bool] | None = None,
    lr_factors: Mapping[str, float] | None = None,
    augmented: bool = False,
    run_dir: Path | str | None = None,
    resume_from: Path | str | None = None,
    manifest: Mapping[str, Any] | None = None,
    evaluation_data: Dataset[Any] | None = None,
    feature_store: FeatureStore | Path | str | None = None,
) -> FitResult:
    """Train ``model`` in place; see the module docstring for what happens on failure.

    ``lr_factors`` maps parameter names (or module prefixes) to learning-rate multipliers
    (missing = 1, 0 = frozen for this run). ``augmented`` says the training dataset draws random
    augmentations (this rules out plain feature caching). ``should_stop`` is polled before
    every iteration. ``manifest`` (JSON-able) is saved as the run's data manifest. When
    features are cached, ``evaluation_data`` (the split the run will be assessed on) is cached in
    the same pass and handed back in ``FitResult.evaluation_features``. ``feature_store`` (a
    folder or a :class:`FeatureStore`) keeps those features on disk for later runs with the
    same frozen part and data (see designer.training.feature_store).
    """
    trainer = _Trainer(model, options, CallbackList(callbacks), should_stop, run_dir, manifest)
    if feature_store is not None:
        trainer.store = feature_store if isinstance(feature_store, FeatureStore) \
            else FeatureStore(feature_store)
    uses_cuda = options.device != "cpu" and torch.cuda.is_available()
    cuda = [torch.cuda.current_device()] if uses_cuda else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(options.seed)
        return trainer.run(train_data, val_data, lr_factors, augmented, resume_from,
                           evaluation_data)


class _Halt(Exception):  # noqa: N818 - control flow: end the run with a reason
    def __init__(self, reason: FinishReason, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


class _Trainer:
    """State of one fit() call; methods are the phases of the run."""

    def __init__(
        self, model: nn.Module, options: TrainingOptions, events: CallbackList,
        should_stop: Callable[[], bool] | None, run_dir: Path | str | None,
        manifest: Mapping[str, Any] | None,
    ) -> None:
        self.model, self.options, self.events = model, options, events
        self.should_stop = should_stop or (lambda: False)
        self.run_dir = RunDir(run_dir) if run_dir is not None else None
        self.manifest = manifest
        self.state = TrainingState(History())
        self.best = BestTracker([])
        self.finisher = Finisher(model, options, self.run_dir, events)
        self.accel: Acceleration | None = None
        self.trainability: Trainability | None = None
        self.cache: FeatureCache | None = None
        self.cache_reason = ""
        self.net: nn.Module = model
        self.train_src: BatchSource | None = None
        self.val_src: BatchSource | None = None
        self.since_validation = RunningMean()
        self.throughput = Throughput()
        self.setup_complete = False  # weights and checkpoint are only saved once this is True
        self.evaluation_data: Dataset[Any] | None = None
        self.store: FeatureStore | None = None
        self.phase = 1  # the fine-tune recipe's phase two trains the whole network
        self.data: tuple[Dataset[Any], Dataset[Any] | None, bool] | None = None
        self.lr_factors: dict[str, float] = {}
        self.loss_weights: torch.Tensor | None = None
        self.sample_weights: torch.Tensor | None = None  # balanced sampler
        self.ema: torch.optim.swa_utils.AveragedModel | None = None

    # -- phases ------------------------------------------------------------------------------

    def run(
        self, train_data: Dataset[Any], val_data: Dataset[Any] | None,
        lr_factors: Mapping[str, float] | None, augmented: bool, resume_from: Path | str | None,
        evaluation_data: Dataset[Any] | None = None,
    ) -> FitResult:
        self.evaluation_data = evaluation_data
        with self.run_dir.training_lock() if self.run_dir else contextlib.nullcontext():
            return self._run(train_data, val_data, lr_factors, augmented, resume_from)

    def _run(
        self, train_data: Dataset[Any], val_data: Dataset[Any] | None,
        lr_factors: Mapping[str, float] | None, augmented: bool, resume_from: Path | str | None,
    ) -> FitResult:
        try:
            self._setup(train_data, val_data, lr_factors, augmented, resume_from)
            reason, message = self._train()
        except _Halt as halt:
            reason, message = halt.reason, halt.message
        except KeyboardInterrupt:
            reason, message = "stopped", "Interrupted (Ctrl+C); the run was saved."
        except CallbackError as error:
            reason, message = "error", str(error)
        except Exception as error:  # noqa: BLE001 - reported in the result, see module docstring
            reason, message = "error", self._describe_error(error)
            self.finisher.log_file("".join(traceback.format_exception(error)).rstrip(), "error")
        return self.finisher.finish(self, reason, message)

    def _setup(
        self, train_data: Dataset[Any], val_data: Dataset[Any] | None,
        lr_factors: Mapping[str, float] | None, augmented: bool, resume_from: Path | str | None,
    ) -> None:
        options, model = self.options, self.model
        self.finisher.remember(model)
        if self.run_dir is not None:
            self.run_dir.write_options(options, {"augmented": augmented})
            self.run_dir.write_manifest(self.manifest)
        accel = self.accel = choose(options, model)
        for reason in accel.reasons:
            self.log(reason)
        if self.run_dir is not None:
            self.run_dir.write_provenance(provenance(options, accel, self.manifest))
        model.to(accel.device)
        if accel.channels_last:
            model.to(memory_format=torch.channels_last)
        trainability = self.trainability = prepare(model, options.lr, options.weight_decay, lr_factors)
        self._log_trainability(trainability)
        checkpoint = load_model_state(model, resume_from, accel.device) if resume_from else None
        if self.run_dir is not None and checkpoint is None:
            self.run_dir.save_weights(INITIAL, changing_tensors(model), kind="initial")
        set_train_mode(model, trainability.frozen_batchnorms)
        self.best = BestTracker(mutable_keys(model))
        self.data, self.lr_factors = (train_data, val_data, augmented), dict(lr_factors or {})
        self._class_weights(train_data)
        self._balanced_sampler(train_data)
        self.scaler = torch.amp.GradScaler("cuda") if accel.needs_grad_scaler else None
        if checkpoint is not None and options.recipe == "finetune" \
                and int(checkpoint.get("epoch", 0)) >= options.head_epochs:
            self._start_fine_tuning()  # resuming in phase two: no features to cache
        else:
            self._prepare_sources(train_data, val_data, augmented)
            assert self.train_src is not None
            self.optimizer = build_optimizer(trainability.groups, options.solver, options.lr,
                                             options.momentum)
            self._make_stepper(phase_schedule(options, len(self.train_src), 1))
            self._start_average()
        if checkpoint is not None:
            self.state = restore_training_state(checkpoint, self.optimizer, self.scaler, self.best)
            self._restore_average(checkpoint)
            self.finisher.continue_clock(float(checkpoint.get("elapsed", 0.0)))
            self.log(f"resumed from {resume_from} at epoch {self.state.epoch + 1}, "
                     f"iteration {self.state.iteration}")
            if self.run_dir is not None:  # training again: a kill from now on is an interruption
                self.run_dir.clear_summary()
        self.setup_complete = True

    def _make_stepper(self, schedule: LrSchedule) -> None:
        assert self.accel is not None
        smoothing = self.options.label_smoothing
        loss: nn.Module = nn.CrossEntropyLoss(label_smoothing=smoothing) \
            if self.loss_weights is None else WeightedCrossEntropy(self.loss_weights, smoothing)
        options = self.options
        mix = None
        if options.mixes_batches:
            mix = functools.partial(mix_batch, classes=self._class_count(),
                                    mixup_alpha=options.mixup_alpha,
                                    cutmix_alpha=options.cutmix_alpha)
        assert self.train_src is not None
        self.train_src.weights = self.sample_weights
        self.stepper = Stepper(
            ddp.wrap(self.net, self.accel.device), self.optimizer, schedule, self.accel, loss,
            options.grad_clip, self.scaler, mix,
        )

    def _class_count(self) -> int:
        """Classes of the soft targets: the data's, else the model's last Linear layer's."""
        assert self.data is not None
        train_data = self.data[0]
        labels = dataset_labels(train_data)
        if getattr(train_data, "classes", None):
            return len(train_data.classes)  # type: ignore[attr-defined]
        if labels:
            return max(labels) + 1
        heads = [m.out_features for m in self.model.modules() if isinstance(m, nn.Linear)]
        return heads[-1] if heads else 1

    def _balanced_sampler(self, train_data: Dataset[Any]) -> None:
        """Per-image draw weights for the balanced sampler (recorded in the run log)."""
        options = self.options
        if options.mixes_batches:
            self.log(f"MixUp/CutMix on (mixup alpha {options.mixup_alpha:g}, cutmix alpha "
                     f"{options.cutmix_alpha:g}): training batches are mixed, with soft targets; "
                     "training accuracy counts the class with the larger share")
        if options.sampler != "balanced":
            return
        labels = dataset_labels(train_data)
        if not labels:
            self.log("balanced sampler not applied: the training set does not list its labels",
                     "warning")
            return
        self.sample_weights = balanced_weights(labels)
        counts = torch.bincount(torch.tensor(labels))
        self.log(f"balanced sampler: each epoch draws {len(labels)} training images with "
                 f"replacement, every class equally often (class sizes {counts.min().item()} to "
                 f"{counts.max().item()})")

    def _start_average(self) -> None:
        """A fresh EMA of the weights that train (the model, or its suffix on cached features)."""
        decay = self.options.ema_decay
        if not decay:
            return
        self.ema = ema_model(self.net, decay)
        assert self.train_src is not None
        steps = len(self.train_src) * self.options.epochs
        self.log(f"model EMA on (decay {decay:g}, averaging about the last {1 / (1 - decay):.0f} "
                 "steps): validation, checkpoints and the saved model use the averaged weights")
        if 1 / (1 - decay) > steps / 2:
            self.log(f"the EMA averages over about {1 / (1 - decay):.0f} steps but the run has "
                     f"{steps}: the averaged weights stay close to the starting weights. Lower "
                     f"the decay (e.g. {max(0.5, 1 - 10 / max(steps, 1)):.2g}) or train longer.",
                     "warning")

    def _restore_average(self, checkpoint: Mapping[str, Any]) -> None:
        """The EMA from a checkpoint of the same phase (a new phase starts a new average)."""
        state = checkpoint.get("ema")
        if self.ema is None or state is None or checkpoint.get("ema_phase", 1) != self.phase:
            return
        try:
            self.ema.load_state_dict(state)
        except RuntimeError as error:
            raise CheckpointError(f"The checkpoint's averaged (EMA) weights do not fit this "
                                  f"model ({error}). Start a new run.") from error

    @contextlib.contextmanager
    def _averaged_weights(self) -> Iterator[None]:
        """The trained module holds the EMA weights inside the block (validation, best)."""
        if self.ema is None:
            yield
            return
        saved = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
        self.net.load_state_dict(self.ema.module.state_dict())
        try:
            yield
        finally:
            self.net.load_state_dict(saved)

    def apply_average(self) -> None:
        """End of the run: the model keeps the EMA weights (saved, exported, evaluated)."""
        if self.ema is not None:
            self.net.load_state_dict(self.ema.module.state_dict())
            self.log("the saved weights are the EMA (averaged) weights")

    def _class_weights(self, train_data: Dataset[Any]) -> None:
        """Inverse-frequency loss weights when asked for (recorded in the run log)."""
        if self.options.class_weights == "off":
            return
        labels = dataset_labels(train_data)
        if labels is None:
            self.log("class weights not applied: the training set does not list its labels",
                     "warning")
            return
        classes = len(getattr(train_data, "classes", ())) or max(labels) + 1
        self.loss_weights = class_weights(labels, classes)
        names = list(getattr(train_data, "classes", ())) or [str(i) for i in range(classes)]
        shown = ", ".join(f"{n} {w:.2f}" for n, w in zip(names, self.loss_weights.tolist(),
                                                           strict=True))
        self.log(f"class weights (balanced, from {len(labels)} training images): {shown}")

    def _start_fine_tuning(self) -> None:
        """Phase two of the fine-tune recipe: the whole network trains on the images (no cached
        features), with discriminative learning rates (recipe.finetune_factors), its own
        optimiser and its own schedule over the remaining epochs."""
        assert self.accel is not None
        options, model, accel = self.options, self.model, self.accel
        self.phase = 2
        head = [n for n, p in model.named_parameters() if p.requires_grad]
        names = [n for n, _ in model.named_parameters()]
        if self.trainability is not None:
            self.trainability.restore()
        flags = [(p, p.requires_grad) for p in model.parameters()]
        for param in model.parameters():
            param.requires_grad_(True)
        factors = finetune_factors(names, head, self.lr_factors, FINETUNE_GROUPS,
                                   options.layer_lr_decay)
        lr = phase_lr(options, 2)
        self.trainability = prepare(model, lr, options.weight_decay, factors)
        self.trainability.original_flags = flags
        set_train_mode(model, self.trainability.frozen_batchnorms)
        if self.cache is not None:  # the backbone changes from now on: its features are stale
            self.cache.evaluation = None
            self.cache.cleanup()
        assert self.data is not None
        train_data, val_data, _augmented = self.data
        pin = accel.device.type == "cuda"
        self.train_src = LoaderSource(train_data, options.batch_size, seed=options.seed,
                                      train=True, workers=accel.num_workers, pin_memory=pin)
        self.val_src = None
        if val_data is not None and len(val_data):  # type: ignore[arg-type]
            self.val_src = LoaderSource(val_data, options.batch_size, seed=options.seed,
                                        train=False, workers=accel.num_workers, pin_memory=pin)
        self.net = model
        self.optimizer = build_optimizer(self.trainability.groups, options.solver, lr,
                                         options.momentum)
        per_epoch = len(self.train_src)
        self._make_stepper(phase_schedule(options, per_epoch, 2))
        self._start_average()
        old, self.best = self.best, BestTracker(mutable_keys(model))
        if old.state is not None:  # phase one's best: the unchanged backbone + its best head
            state = model.state_dict()
            self.best.load({**old.to_dict(), "stale": 0, "state": {
                **{k: state[k].detach().to("cpu", copy=True) for k in self.best.mutable_keys},
                **old.state}})
        smallest = min(g["lr"] for g in self.trainability.groups)
        self.log(f"fine-tune recipe, phase 2 from epoch {options.head_epochs + 1}: the whole "
                 f"network trains, learning rate {lr:.2g} for the head down to {smallest:.2g} "
                 f"for the first layers ({self.trainability.trainable_count:,} parameters)")

    def _log_trainability(self, trainability: Trainability) -> None:
        if not trainability.groups:
            raise _Halt("error", "Nothing to train: every parameter is frozen. Unfreeze at least "
                        "one layer (for example the new classification head) and train again.")
        total = sum(p.numel() for p in self.model.parameters())
        self.log(f"training {trainability.trainable_count:,} of {total:,} parameters "
                 f"in {len(trainability.groups)} optimiser groups")
        frozen_bn = trainability.frozen_batchnorms
        if frozen_bn:
            shown = ", ".join(frozen_bn[:5]) + (", ..." if len(frozen_bn) > 5 else "")
            self.log(f"{len(frozen_bn)} BatchNorm layers with frozen parameters stay in eval mode "
                     f"so their running statistics do not change ({shown})")

    def _prepare_sources(
        self, train_data: Dataset[Any], val_data: Dataset[Any] | None, augmented: bool
    ) -> None:
        assert self.accel is not None
        if len(train_data) == 0:  # type: ignore[arg-type]
            raise _Halt("error", "The training set is empty: add images to the training split.")
        ctx = CacheContext(self.options, self.accel, self.events.emit, self._stop_requested,
                           None if self.run_dir is None else self.run_dir.path, self.store)
        try:
            sources = choose_sources(self.model, train_data, val_data, augmented, ctx,
                                     self.evaluation_data)
        except CacheCancelled:
            self.cache_reason = "feature caching was cancelled"
            raise _Halt("stopped", "Stopped while caching features; nothing was trained.") from None
        self.net, self.train_src, self.val_src = sources.net, sources.train, sources.val
        self.cache, self.cache_reason = sources.cache, sources.reason
        self.log(sources.reason)

    def _train(self) -> tuple[FinishReason, str]:
        assert self.train_src is not None and self.accel is not None
        options, state = self.options, self.state
        if state.epoch >= options.epochs:
            return "completed", (f"Already trained {state.epoch} epochs; "
                                 "raise the number of epochs to continue.")
        self.events.emit(StartEvent(
            self.total_iterations, len(self.train_src), options.epochs, state.iteration,
            str(self.accel.device), self.accel.precision, self.accel.channels_last,
            self.cache.storage if self.cache else "off",
            self.trainability.trainable_count if self.trainability else 0,
        ))
        if state.validation_pending:  # the previous run was stopped while validating
            self._validate(state.epoch if state.offset == 0 else state.epoch + 1)
        for epoch in range(state.epoch + 1, options.epochs + 1):
            if options.recipe == "finetune" and epoch == options.head_epochs + 1 \
                    and self.phase == 1:
                self._start_fine_tuning()
            self._epoch(epoch)
        if self.val_src is not None and state.last_validated != state.iteration:
            self._validate(options.epochs)
        if state.epoch < options.epochs:  # pragma: no cover - defensive
            return "stopped", "Stopped."
        return "completed", f"Trained {options.epochs} epochs ({state.iteration} iterations)."

    @property
    def total_iterations(self) -> int:
        assert self.train_src is not None
        return self.options.epochs * len(self.train_src)

    def _epoch(self, epoch: int) -> None:
        assert self.train_src is not None
        state, model = self.state, self.model
        assert self.trainability is not None
        set_train_mode(model, self.trainability.frozen_batchnorms)
        assert self.accel is not None
        seed_generators(mix_seed(self.options.seed, epoch, 0) + ddp.shard()[0],
                        self.accel.device.type == "cuda")
        skip = state.offset
        if skip and state.rng_state is not None:
            torch.set_rng_state(state.rng_state.cpu())
        started, epoch_mean = time.perf_counter(), RunningMean()
        tick = started
        for inputs, labels in self.train_src.batches(epoch, skip):
            self._check_stop()
            try:
                loss, correct, count, lr = self.stepper.step(inputs, labels, state.iteration)
            except LossDiverged as bad:
                message = bad.describe(epoch, state.iteration + 1, self.options.lr)
                raise _Halt("diverged", f"{message} {self._roll_back()}") from None
            if self.ema is not None:
                self.ema.update_parameters(self.net)
            now = time.perf_counter()
            self.throughput.add(now - tick, count)
            epoch_mean.add(loss, correct, count)
            self.since_validation.add(loss, correct, count)
            state.iteration += 1
            state.offset += 1
            self._emit_iteration(epoch, loss, correct / count, lr)
            every = self.options.validate_every
            if every and state.iteration % every == 0:
                self._validate(epoch)
                now = time.perf_counter()
            tick = now
        state.epoch, state.offset = epoch, 0
        if not self.options.validate_every:
            self._validate(epoch)
        seconds = time.perf_counter() - started
        event = EpochEvent(epoch, state.iteration, epoch_mean.loss, epoch_mean.accuracy, seconds,
                           epoch_mean.count / seconds if seconds > 0 else 0.0)
        state.history.add_epoch(event)
        self.events.emit(event)
        if self.run_dir is not None:
            if self.options.checkpoint_every_epoch:
                self.run_dir.save_checkpoint(self.checkpoint_state())
            self.run_dir.write_history(state.history)

    def _emit_iteration(self, epoch: int, loss: float, accuracy: float, lr: float) -> None:
        state = self.state
        event = IterationEvent(
            epoch, state.iteration, self.total_iterations, loss, accuracy, lr,
            self.throughput.images_per_second, self.finisher.elapsed(),
            self.throughput.eta(self.total_iterations - state.iteration),
        )
        state.history.add_iteration(event)
        self.events.emit(event)

    def _validate(self, epoch: int) -> None:
        if self.val_src is None or self.accel is None or self.trainability is None:
            return
        self.state.validation_pending = True
        self.model.eval()
        state = self.state
        with self._averaged_weights():
            mean = validation_pass(self.net, self.val_src, self.accel, self._check_stop)
            is_best = self.best.update(mean.accuracy, mean.loss, state.iteration, self.model)
        set_train_mode(self.model, self.trainability.frozen_batchnorms)
        event = ValidationEvent(state.iteration, epoch, self.since_validation.loss,
                                self.since_validation.accuracy, mean.loss, mean.accuracy, is_best)
        self.since_validation = RunningMean()
        state.last_validated, state.last_val_acc = state.iteration, mean.accuracy
        state.validation_pending = False
        state.history.add_validation(event)
        self.events.emit(event)
        patience = self.options.early_stopping_patience
        if patience and self.best.stale >= patience:
            raise _Halt("early_stopping", (
                f"Validation accuracy did not improve for {patience} validations; "
                f"best was {self.best.val_acc:.4f} at iteration {self.best.iteration}."))

    def _roll_back(self) -> str:
        """After a divergence: go back to the last checkpoint (or the best weights); with neither,
        keep no weights at all, as a run that never trained. Returns what was kept."""
        path = None if self.run_dir is None else self.run_dir.path / CHECKPOINT
        if path is not None and path.is_file() and self.accel is not None:
            checkpoint = load_model_state(self.model, path, self.accel.device)
            self.state = restore_training_state(checkpoint, self.optimizer, self.scaler, self.best)
            self._restore_average(checkpoint)
            self.finisher.continue_clock(float(checkpoint.get("elapsed", 0.0)))
            return (f"The weights of epoch {self.state.epoch} (the last checkpoint) are kept; "
                    "resume from there with a lower learning rate.")
        if self.best.state is not None:
            self.model.load_state_dict(self.best.state, strict=False)
            return f"The best weights (iteration {self.best.iteration}) are kept."
        self.setup_complete = False  # the Finisher then writes no weights and no checkpoint
        return "No epoch finished before that, so no weights were kept."

    # -- helpers -----------------------------------------------------------------------------

    def _stop_requested(self) -> bool:
        return self.events.stop_requested or bool(self.should_stop())

    def _check_stop(self) -> None:
        if self._stop_requested():
            raise _Halt("stopped", f"Stopped by request at iteration {self.state.iteration}; "
                        "the run was saved and can be resumed.")

    def checkpoint_state(self) -> dict[str, Any]:
        """Everything needed to resume (tensors and primitives only)."""
        averaged = {} if self.ema is None else {
            "ema": {k: v.detach().cpu() for k, v in self.ema.state_dict().items()},
            "ema_phase": self.phase}
        return {**self.state.to_checkpoint(self.model, self.optimizer, self.scaler, self.best,
                                           self.options),
                "elapsed": self.finisher.elapsed(), **averaged}

    def log(self, message: str, level: str = "info") -> None:
        self.events.emit(LogEvent(message, level))  # type: ignore[arg-type]
        if self.run_dir is not None:
            self.run_dir.log(message, level)

    def _describe_error(self, error: BaseException) -> str:
        where = f"at epoch {self.state.epoch + 1}, iteration {self.state.iteration + 1}"
        plain = explain(error, self.run_dir.path if self.run_dir else None)
        if plain is not None:
            return f"Training failed {where}: {plain}"
        if isinstance(error, TransformError) or TransformError.__name__ in str(error):
            return (f"Training failed {where}: {last_message(error)}. The image file is fine; "
                    "check the image size and augmentation settings.")
        if isinstance(error, SampleLoadError) or SampleLoadError.__name__ in str(error):
            return f"Training failed {where}: {user_message(error)}"
        return (f"Training failed {where}: {type(error).__name__}: {error}. "
                "The full traceback is in run.log.")

