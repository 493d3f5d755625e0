"""Every knob of a training run as one JSON-friendly dataclass (saved in the run directory)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from designer.training.errors import OptionsError

SOLVERS = ("sgdm", "adam", "adamw", "rmsprop")
SCHEDULES = ("none", "step", "cosine", "onecycle")
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "off", "bf16", "fp16")
CHANNELS_LAST = ("auto", "on", "off")
KEEP = ("best", "last")
FEATURE_CACHE = ("auto", "off", "memory", "disk")
RECIPES = ("standard", "finetune")
CLASS_WEIGHTS = ("off", "balanced")
SAMPLERS = ("shuffle", "balanced")
FINETUNE_GROUPS = 4  # runs of layers with their own learning rate in the fine-tune phase

_CHOICES: dict[str, tuple[str, ...]] = {
    "solver": SOLVERS,
    "schedule": SCHEDULES,
    "device": DEVICES,
    "mixed_precision": PRECISIONS,
    "channels_last": CHANNELS_LAST,
    "keep": KEEP,
    "feature_cache": FEATURE_CACHE,
    "recipe": RECIPES,
    "class_weights": CLASS_WEIGHTS,
    "sampler": SAMPLERS,
}


@dataclass
class TrainingOptions:
    """Options of one run. Defaults suit fine-tuning a new head on a pretrained backbone.

    Units: ``step_size`` and ``warmup_epochs`` are in epochs (warm-up may be fractional);
    ``validate_every`` is in iterations (0 = once per epoch); ``early_stopping_patience`` counts
    validations without improvement (0 = off); ``grad_clip`` is a max global L2 norm (0 = off).
    ``recipe="finetune"``: ``head_epochs`` epochs train what the design leaves trainable (the
    new head, on cached features), then the whole network trains at ``lr × finetune_lr_ratio``
    with earlier layers slower by ``layer_lr_decay`` per group (discriminative learning rates).
    """

    solver: str = "adamw"
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 1e-4
    schedule: str = "cosine"
    step_size: int = 10
    gamma: float = 0.1
    warmup_epochs: float = 0.0
    epochs: int = 10
    batch_size: int = 32
    label_smoothing: float = 0.0
    validate_every: int = 0
    early_stopping_patience: int = 0
    grad_clip: float = 0.0
    seed: int = 0
    device: str = "auto"
    mixed_precision: str = "auto"
    channels_last: str = "auto"
    num_workers: int | str = "auto"
    checkpoint_every_epoch: bool = True
    keep: str = "best"
    feature_cache: str = "auto"
    cache_augmented_views: int = 0
    recipe: str = "standard"
    head_epochs: int = 3
    finetune_lr_ratio: float = 0.1
    layer_lr_decay: float = 0.3
    class_weights: str = "off"  # "balanced": weigh the loss by inverse class frequency
    sampler: str = "shuffle"  # "balanced": sample every class equally often (with replacement)
    mixup_alpha: float = 0.0
    cutmix_alpha: float = 0.0
    ema_decay: float = 0.0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`OptionsError` naming the first option that cannot work."""
        for name, allowed in _CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise OptionsError(f"{name}={value!r} is not one of {', '.join(allowed)}.")
        self._check_numbers()
        positive = {"lr": self.lr, "epochs": self.epochs, "batch_size": self.batch_size}
        for name, number in positive.items():
            if not number > 0:
                raise OptionsError(f"{name} must be greater than 0 (got {number}).")
        non_negative = {
            "momentum": self.momentum, "weight_decay": self.weight_decay,
            "warmup_epochs": self.warmup_epochs, "validate_every": self.validate_every,
            "early_stopping_patience": self.early_stopping_patience,
            "grad_clip": self.grad_clip, "cache_augmented_views": self.cache_augmented_views,
            "label_smoothing": self.label_smoothing,
        }
        for name, number in non_negative.items():
            if number < 0:
                raise OptionsError(f"{name} must be 0 or more (got {number}).")
        if self.recipe == "finetune" and not 1 <= self.head_epochs < self.epochs:
            raise OptionsError(f"the fine-tune recipe needs 1 ≤ head_epochs < epochs (got "
                               f"{self.head_epochs} head epochs of {self.epochs}).")
        if not (0 < self.finetune_lr_ratio <= 1 and 0 < self.layer_lr_decay <= 1):
            raise OptionsError("finetune_lr_ratio and layer_lr_decay must be in (0, 1] (got "
                               f"{self.finetune_lr_ratio}, {self.layer_lr_decay}).")
        self._check_regularisers()
        if self.schedule == "step" and self.step_size < 1:
            raise OptionsError(f"step_size must be at least 1 epoch (got {self.step_size}).")
        workers = self.num_workers
        if not (workers == "auto" or (isinstance(workers, int) and workers >= 0)):
            raise OptionsError(f"num_workers must be 'auto' or an integer ≥ 0 (got {workers!r}).")

    def _check_regularisers(self) -> None:
        for name in ("mixup_alpha", "cutmix_alpha"):
            alpha = getattr(self, name)
            if alpha < 0:
                raise OptionsError(f"{name} must be greater than 0 to mix batches, or 0 for off "
                                   f"(got {alpha}; 0.2 for MixUp and 1.0 for CutMix are common).")
        if self.ema_decay != 0 and not 0 < self.ema_decay < 1:
            raise OptionsError(f"ema_decay must be between 0 and 1 (exclusive), or 0 for off "
                               f"(got {self.ema_decay}; 0.99-0.9999 are common).")

    @property
    def mixes_batches(self) -> bool:
        """True when MixUp or CutMix is on (then training sees images, never cached features)."""
        return self.mixup_alpha > 0 or self.cutmix_alpha > 0

    def _check_numbers(self) -> None:
        """Whole numbers are ints and real numbers finite (a NaN or inf learning rate trains
        nothing and says nothing)."""
        whole = {"epochs": self.epochs, "batch_size": self.batch_size, "step_size": self.step_size,
                 "validate_every": self.validate_every, "seed": self.seed,
                 "early_stopping_patience": self.early_stopping_patience,
                 "cache_augmented_views": self.cache_augmented_views,
                 "head_epochs": self.head_epochs}
        for name, value in whole.items():
            if isinstance(value, bool) or not isinstance(value, int):
                raise OptionsError(f"{name} must be a whole number (got {value!r}).")
        reals: dict[str, float] = {
            "lr": self.lr, "momentum": self.momentum, "weight_decay": self.weight_decay,
            "gamma": self.gamma, "warmup_epochs": self.warmup_epochs,
            "label_smoothing": self.label_smoothing, "grad_clip": self.grad_clip,
            "finetune_lr_ratio": self.finetune_lr_ratio, "layer_lr_decay": self.layer_lr_decay,
            "mixup_alpha": self.mixup_alpha, "cutmix_alpha": self.cutmix_alpha,
            "ema_decay": self.ema_decay}
        for name, real in reals.items():
            if isinstance(real, bool) or not isinstance(real, int | float) \
                    or not math.isfinite(real):
                raise OptionsError(f"{name} must be a finite number (got {real!r}).")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (options.json in a run directory, the project file)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainingOptions:
        """Inverse of :meth:`to_dict`; unknown keys are ignored so old and new files load."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def replace(self, **changes: Any) -> TrainingOptions:
        """A validated copy with some fields changed."""
        return dataclasses.replace(self, **changes)
