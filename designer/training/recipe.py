"""The training recipe: the pure pieces the engine and the generated ``train.py`` share.

Each function here is self-contained (it uses only ``math``, ``torch``, ``nn``, torchvision's
``v2`` and its own arguments), because :mod:`designer.export.codegen` copies its source verbatim
into the generated script with ``inspect.getsource``; the engine imports the same functions, so
the two cannot drift. A test compares the script's text with this module's source.
Keep them plain: no imports from designer, no module constants, no closures.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torchvision.transforms import v2


def mix_seed(seed: int, *parts: int) -> int:
    """A 63-bit seed derived from the run's seed and e.g. the epoch (stable across processes)."""
    value = seed & 0x7FFFFFFFFFFFFFFF
    for part in parts:
        value = (value * 1_000_003 + part + 0x9E3779B9) % (2**63 - 1)
    return value


def seed_generators(seed: int, cuda: bool) -> None:
    """Seed the generators a training step draws from (dropout, in-process augmentation).

    Not ``torch.manual_seed``: that also pokes every lazy device backend (~1 ms per call).
    """
    torch.default_generator.manual_seed(seed)
    if cuda:
        torch.cuda.manual_seed(seed)


def epoch_order(n: int, batch_size: int, seed: int, epoch: int, train: bool,
                world: int = 1, weights: torch.Tensor | None = None) -> list[list[int]]:
    """Sample indices of every global batch of ``epoch``: shuffled by (seed, epoch) when training.

    With ``weights`` (one per sample, see :func:`balanced_weights`) training draws ``n`` samples
    with replacement in proportion to them, the draw of torch's ``WeightedRandomSampler``.
    With ``world`` processes each global batch is shared out (``batch[rank::world]``), so the
    batches do not depend on the number of processes. A last training batch too small to give
    every process two samples is dropped: BatchNorm cannot train on a single sample.
    """
    if train:
        generator = torch.Generator().manual_seed(mix_seed(seed, epoch))
        if weights is not None:
            order = torch.multinomial(weights.double(), n, True, generator=generator).tolist()
        else:
            order = torch.randperm(n, generator=generator).tolist()
    else:
        order = list(range(n))
    batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    if train and len(batches) > 1 and len(batches[-1]) < 2 * world:
        batches.pop()
    return batches


def lr_factor(name: str, factors: dict[str, float]) -> float:
    """Learning-rate factor of parameter ``name``: an exact key, else the longest module-prefix
    key ("layer4" covers "layer4.0.conv1.weight"), else 1."""
    if name in factors:
        return float(factors[name])
    parts = name.split(".")
    for end in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in factors:
            return float(factors[prefix])
    return 1.0


def parameter_groups(model: nn.Module, lr: float, weight_decay: float,
                     factors: dict[str, float]) -> list[dict]:
    """Optimiser groups by learning-rate factor and by whether they decay.

    Parameters with ``requires_grad=False`` (frozen layers) are left out; a factor of 0 freezes
    the parameter for this run. Biases and norm scales (1-D tensors) get no weight decay:
    decaying them only hurts accuracy.
    """
    buckets: dict[tuple[float, bool], list[nn.Parameter]] = {}
    for name, param in model.named_parameters():
        factor = lr_factor(name, factors)
        if factor <= 0:
            param.requires_grad_(False)
        if param.requires_grad:
            buckets.setdefault((factor, param.dim() > 1), []).append(param)
    return [
        {"params": params, "lr": lr * factor, "base_lr": lr * factor, "lr_factor": factor,
         "weight_decay": weight_decay if decays else 0.0}
        for (factor, decays), params in buckets.items()
    ]


def finetune_factors(names: list[str], head: list[str], factors: dict[str, float],
                     groups: int, decay: float) -> dict[str, float]:
    """Learning-rate factors for phase two of the fine-tune recipe, when the whole network trains.

    The head (what trained in phase one) keeps its factor; the other parameters, in network
    order, are cut into ``groups`` equal runs: the last run gets ``decay``, the one before
    ``decay ** 2`` and so on, so the earliest layers (the most general features) change least.
    A parameter the design gives factor 0 stays frozen.
    """
    heads = set(head)
    body = [name for name in names if name not in heads]
    out = {name: lr_factor(name, factors) for name in names}
    for i, name in enumerate(body):
        out[name] *= decay ** (groups - i * groups // len(body))
    return out


def class_weights(labels: list[int], classes: int) -> torch.Tensor:
    """Loss weight per class for an imbalanced training set: ``n / (present * count)``
    (scikit-learn's "balanced" over the classes present), so every class weighs as much in total
    and the mean weight per image stays 1; a class with no image gets 0."""
    counts = torch.bincount(torch.tensor(labels, dtype=torch.long), minlength=classes).double()
    balanced = counts.sum() / ((counts > 0).sum() * counts.clamp(min=1))
    return torch.where(counts > 0, balanced, torch.zeros_like(counts)).float()


def balanced_weights(labels: list[int]) -> torch.Tensor:
    """Sampling weight per training image for a balanced sampler: 1 / its class's count, so an
    epoch draws every class about equally often (rare images repeat, common ones are skipped)."""
    targets = torch.tensor(labels, dtype=torch.long)
    counts = torch.bincount(targets).double()
    return 1.0 / counts[targets]


def mix_batch(images: torch.Tensor, labels: torch.Tensor, classes: int, mixup_alpha: float,
              cutmix_alpha: float) -> tuple[torch.Tensor, torch.Tensor]:
    """MixUp and/or CutMix of a training batch (torchvision.transforms.v2): mixed images and
    soft targets (one row per image, summing to 1). With both on, each batch gets one of the
    two at random. Draws from torch's default generator, which the loop seeds per epoch."""
    mixers: list[nn.Module] = []
    if mixup_alpha > 0:
        mixers.append(v2.MixUp(alpha=mixup_alpha, num_classes=classes))
    if cutmix_alpha > 0:
        mixers.append(v2.CutMix(alpha=cutmix_alpha, num_classes=classes))
    mixer = mixers[0] if len(mixers) == 1 else v2.RandomChoice(mixers)
    return mixer(images, labels)


def ema_model(model: nn.Module, decay: float) -> torch.optim.swa_utils.AveragedModel:
    """An exponential moving average of ``model``'s weights and buffers (``update_parameters``
    after every optimiser step: ``ema = decay * ema + (1 - decay) * weights``)."""
    return torch.optim.swa_utils.AveragedModel(
        model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(decay), use_buffers=True)


def build_optimizer(groups: list[dict], solver: str, lr: float,
                    momentum: float) -> torch.optim.Optimizer:
    """The solver over prepared parameter groups (``momentum`` is for sgdm only)."""
    if solver == "sgdm":
        return torch.optim.SGD(groups, lr=lr, momentum=momentum)
    if solver == "adam":
        return torch.optim.Adam(groups, lr=lr)
    if solver == "rmsprop":
        return torch.optim.RMSprop(groups, lr=lr)
    return torch.optim.AdamW(groups, lr=lr)


def lr_multiplier(iteration: int, per_epoch: int, epochs: int, schedule: str,
                  warmup_epochs: float, step_size: int, gamma: float) -> float:
    """Factor on every group's base learning rate for the next step (``iteration`` = steps
    already taken): linear warm-up, then step decay, cosine or one-cycle.

    One-cycle rises (cosine) from 1/25 over the warm-up (30 % without one) and falls to 1/25e4.
    """
    per_epoch = max(1, per_epoch)
    total = per_epoch * epochs
    warmup = min(total - 1, round(warmup_epochs * per_epoch))
    if schedule == "onecycle":
        rise = warmup if warmup > 0 else max(1, round(0.3 * total))
        start, end = 1.0 / 25.0, 1.0 / 25e4
        if iteration < rise:
            return start + (1.0 - start) * 0.5 * (1.0 - math.cos(math.pi * iteration / rise))
        t = (iteration - rise) / max(1, total - 1 - rise)
        return end + (1.0 - end) * 0.5 * (1.0 + math.cos(math.pi * min(1.0, t)))
    ramp = (iteration + 1) / warmup if iteration < warmup else 1.0
    if schedule == "step":
        return ramp * gamma ** ((iteration // per_epoch) // max(1, step_size))
    if schedule == "cosine" and iteration >= warmup:
        progress = (iteration - warmup) / max(1, total - warmup)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
    return ramp


def frozen_batchnorm_names(model: nn.Module) -> list[str]:
    """BatchNorm layers whose parameters are all frozen: their running statistics must not drift.

    A BatchNorm without affine parameters has nothing to freeze and keeps training its statistics.
    """
    names = []
    for name, module in model.named_modules():
        params = list(module.parameters(recurse=False))
        if isinstance(module, nn.modules.batchnorm._BatchNorm) and params and not any(
                p.requires_grad for p in params):
            names.append(name)
    return names


def set_train_mode(model: nn.Module, frozen_batchnorms: list[str]) -> None:
    """``model.train()`` except the frozen BatchNorm layers, which stay in eval mode."""
    model.train()
    for name in frozen_batchnorms:
        model.get_submodule(name).eval()


def autocast_dtype(precision: str, device: torch.device, cpu_bf16_faster: bool) -> torch.dtype | None:
    """Autocast dtype (None = fp32): as asked, else on a GPU bf16 (fp16 where bf16 is not
    supported), on a CPU bf16 only where it was measured faster."""
    if precision == "off":
        return None
    if precision in ("bf16", "fp16"):
        return torch.bfloat16 if precision == "bf16" else torch.float16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if cpu_bf16_faster else None


#: copied into the generated script, in this order
RECIPE = (mix_seed, seed_generators, epoch_order, lr_factor, parameter_groups, finetune_factors,
          class_weights, balanced_weights, mix_batch, ema_model, build_optimizer,
          lr_multiplier, frozen_batchnorm_names, set_train_mode, autocast_dtype)
