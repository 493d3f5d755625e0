"""Assemble ``train.py``: docstring, imports, settings, the network, recipe, data, training, main.

Only what the run uses is written: the recipe functions the code calls (``recipe_code``), the
lines of features that are on (``body_train.select``), the options the code reads (``OPTIONS``,
each a command-line flag) and the imports the text uses.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass

from designer.data.split import SplitManifest
from designer.data.transforms import AugmentOptions
from designer.export.codegen.architecture import BaseArchitecture
from designer.export.codegen.body_data import DATA
from designer.export.codegen.body_train import EARLY_STOPPING, FINETUNE, MAIN, TRAINING, select
from designer.export.codegen.network import NetworkCode, network_code
from designer.export.codegen.recipe_code import recipe_for
from designer.export.codegen.training_plan import TrainingPlan, training_plan
from designer.export.codegen.values import CodegenError, literal, quoted
from designer.surgery.design import Design
from designer.training.options import FINETUNE_GROUPS, TrainingOptions

#: import statement -> the name it binds; written when the script's code uses that name
_IMPORTS = (
    ("import argparse", "argparse"), ("import copy", "copy"), ("import json", "json"),
    ("import math", "math"), ("import operator", "operator"), ("import os", "os"),
    ("import time", "time"), ("from pathlib import Path", "Path"),
    ("from typing import NamedTuple", "NamedTuple"), ("", ""),
    ("import timm", "timm"), ("import torch", "torch"), ("import torch.distributed as dist", "dist"),
    ("import torch.nn.functional as F", "F"), ("import torchvision", "torchvision"),
    ("from PIL import Image", "Image"),
    ("from safetensors.torch import load_model, save_model", "load_model"),
    ("from torch import nn", "nn"), ("from torch.nn.parallel import DistributedDataParallel",
                                     "DistributedDataParallel"),
    ("from torch.utils.data import DataLoader, Dataset", "DataLoader"),
    ("from torchvision.transforms import v2", "v2"),
)
#: option -> (the command-line name the script reads, what it means)
_OPTIONS = {
    "epochs": ("epochs", ""), "batch_size": ("batch_size", "global batch, shared out between processes"),
    "lr": ("lr", "base learning rate"),
    "momentum": ("momentum", "sgdm only"),
    "weight_decay": ("weight_decay", "not applied to biases and norm scales"),
    "warmup_epochs": ("warmup_epochs", "linear warm-up (may be fractional)"),
    "step_size": ("step_size", "step schedule: epochs between decays"),
    "gamma": ("gamma", "step schedule: decay factor"),
    "label_smoothing": ("label_smoothing", ""), "grad_clip": ("grad_clip", "max gradient norm, 0 = off"),
    "early_stopping_patience": ("patience", "stop after N epochs without a better validation"),
    "keep": ("keep", "best | last weights at the end"), "seed": ("seed", ""),
    "device": ("device", "auto | cpu | cuda"),
    "num_workers": ("workers", "data-loading processes"),
    "head_epochs": ("head_epochs", "fine-tune recipe: epochs that train only the head"),
    "finetune_lr_ratio": ("finetune_lr_ratio", "fine-tune recipe: phase-two lr = lr x this"),
    "layer_lr_decay": ("layer_lr_decay", "fine-tune recipe: lr factor per earlier layer group"),
    "mixup_alpha": ("mixup_alpha", "MixUp of training batches, 0 = off"),
    "cutmix_alpha": ("cutmix_alpha", "CutMix of training batches, 0 = off (both on: one per batch)"),
    "ema_decay": ("ema_decay", "model EMA: validate and keep averaged weights"),
}


#: what ``args`` holds besides OPTIONS: paths, and what main() finds out (rank, world, amp dtype)
_NOT_OPTIONS = frozenset({"data_root", "split", "weights", "out_dir", "rank", "world", "amp"})


def _fixed(options: TrainingOptions) -> dict[str, str]:
    """The choices the script's recipe code is specialised for (recipe parameter -> value)."""
    return {"solver": options.solver, "schedule": options.schedule, "precision": options.mixed_precision}


def _known(options: TrainingOptions) -> dict[str, object]:
    """What every call of the script passes to a recipe parameter (``function.parameter`` keys
    hold for that function only)."""
    return {**_fixed(options), **({} if options.sampler == "balanced" else {"epoch_order.weights": None})}


@dataclass(frozen=True)
class GeneratedScript:
    """The script's text and how it names the design's tensors (its weights file uses them)."""

    text: str
    network: NetworkCode

    def rename(self, key: str) -> str:
        """The script's name of a design state_dict key or parameter name."""
        return self.network.rename(key)


def generate_script(design: Design, *, options: TrainingOptions, manifest: SplitManifest | None,
                    augment: AugmentOptions | None, image_size: int | None,
                    weights_file: str = "weights.safetensors", distributed: bool = False) -> str:
    """The source of a standalone ``train.py`` that rebuilds and trains `design`.

    distributed: also run under torchrun (DistributedDataParallel over several processes).

    Raises CodegenError when the design cannot be written as plain code (a user's own module
    made of layers other than torch.nn's); the message says what to do instead.
    """
    return generated_script(design, options=options, manifest=manifest, augment=augment,
                            image_size=image_size, weights_file=weights_file, distributed=distributed).text


def script_features(design: Design, options: TrainingOptions, distributed: bool = False) -> dict[str, bool]:
    """Which optional parts of the training code this run needs (see ``body_train.select``)."""
    from torch import nn

    convolutional = any(isinstance(m, nn.Conv2d) for m in design.store.values()
                        if isinstance(m, nn.Module) for m in m.modules())
    return {
        "finetune": options.recipe == "finetune",
        "class_weights": options.class_weights == "balanced",
        "early_stopping": options.early_stopping_patience > 0,
        "grad_clip": options.grad_clip > 0,
        "channels_last": options.channels_last == "on" or (options.channels_last == "auto" and convolutional),
        "auto_workers": options.num_workers == "auto",
        "momentum": options.solver == "sgdm",
        "step_schedule": options.schedule == "step",
        "ddp": distributed,
        "balanced_sampler": options.sampler == "balanced",
        "mix": options.mixup_alpha > 0 or options.cutmix_alpha > 0,
        "ema": options.ema_decay > 0,
    }


def generated_script(design: Design, *, options: TrainingOptions, manifest: SplitManifest | None,
                     augment: AugmentOptions | None, image_size: int | None,
                     weights_file: str = "weights.safetensors", distributed: bool = False) -> GeneratedScript:
    """:func:`generate_script` with the tensor names the script's network uses."""
    network = network_code(design)
    plan = training_plan(design, network.rename)
    classes = list(manifest.classes) if manifest is not None else list(design.info.class_names)
    if not classes:
        classes = [f"class_{i}" for i in range(design.num_classes or 0)]
    features = script_features(design, options, distributed)
    rest = "\n".join([
        _transforms(augment, design), DATA.rstrip("\n"), select(TRAINING, features).rstrip("\n"),
        *([select(EARLY_STOPPING, features).rstrip("\n")] if features["early_stopping"] else []),
        *([select(FINETUNE, features).rstrip("\n")] if features["finetune"] else []),
        select(MAIN, features)])
    code = network.section + rest
    recipe = "\n\n\n".join(text.rstrip("\n") for text in recipe_for(code, _known(options)))
    body = "\n".join([
        _settings(design, options, plan, classes, image_size, weights_file, code, features),
        network.section, "\n\n# ---- 2. The training recipe: NetDesigner's own functions "
        "(designer/training/recipe.py) ----\n" + recipe, rest])
    head = _docstring(design, network.base, classes, weights_file, distributed)
    return GeneratedScript("\n".join([head, _imports(head + body), body]), network)


def _docstring(design: Design, base: BaseArchitecture | None, classes: list[str], weights: str,
               distributed: bool) -> str:
    start = base.label if base else f"your own {design.info.model_name} module"
    names = ", ".join(classes[:8]) + (", ..." if len(classes) > 8 else "")
    torchrun = "; torchrun --nproc_per_node 2 train.py runs DDP" if distributed else ""
    return textwrap.dedent(f'''\
        #!/usr/bin/env python3
        """Train {design.info.model_name} as designed in NetDesigner ({len(classes)} classes: {names}).

        Generated by NetDesigner: {start} with the design's edits, trained with the run's recipe from
        {weights} and split.json; writes trained.safetensors and results.json into --out-dir.
        Any setting of OPTIONS is a flag: python train.py --epochs 20{torchrun}.
        """''')


def _imports(text: str) -> str:
    names = {node.id for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Name)} | {
        node.value.id for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)}
    lines = [""]
    lines += [statement for statement, name in _IMPORTS if not name or name in names]
    return "\n".join([*lines, "", 'HERE = Path(__file__).resolve().parent'])


def _settings(design: Design, options: TrainingOptions, plan: TrainingPlan, classes: list[str],
              image_size: int | None, weights_file: str, code: str, features: dict[str, bool]) -> str:
    pre = design.info.preprocessing
    size = image_size or pre.crop_size
    resize = max(size, round(pre.resize_size * size / pre.crop_size))
    memory = "channels_last  # faster convolutions" if features["channels_last"] else "preserve_format"
    lines = [
        "", "", "# ---- 0. Settings of the NetDesigner run -------------------------------------------------",
        f"MODEL_NAME = {quoted(design.info.model_name)}",
        f"CLASS_NAMES = {literal(classes)}",
        f"WEIGHTS_FILE = {quoted(weights_file)}",
        f"IMAGE_SIZE, RESIZE = {size}, {resize}  # resize the shorter side to RESIZE, centre-crop IMAGE_SIZE",
        f"MEAN, STD = {literal(tuple(pre.mean))}, {literal(tuple(pre.std))}  # the weights' normalisation",
        f"MEMORY_FORMAT = torch.{memory}",
        *_options_lines(options, code),
        "SOLVER, SCHEDULE, PRECISION = {}  # the recipe code below is written for these".format(
            ", ".join(quoted(v) for v in _fixed(options).values())),
        *([f"FINETUNE_GROUPS = {FINETUNE_GROUPS}  # fine-tune recipe: layer groups with their own lr"]
          if "FINETUNE_GROUPS" in code else []),
        *plan.comment_lines(),
        *_list_lines("FROZEN", plan.frozen),
        f"LR_FACTORS = {literal(plan.lr_factors)}  # these layers train at factor x the learning rate",
    ]
    return "\n".join(lines)


def _options_lines(options: TrainingOptions, code: str) -> list[str]:
    """OPTIONS: the run's value of every option the code reads (``args.name``), with a note."""
    tree = ast.parse(code)
    read = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id == "args"}
    lines = ["OPTIONS = {  # the run's options; each is a command-line flag (--batch-size 16)"]
    for field, (name, note) in _OPTIONS.items():
        if name in read:
            value = getattr(options, field)
            lines.append(f"    {quoted(name)}: {literal(value)},{f'  # {note}' if note else ''}")
    lines.append("}")
    unknown = read - {name for name, _ in _OPTIONS.values()} - _NOT_OPTIONS
    if unknown:
        raise CodegenError(f"the script reads options it does not define: {sorted(unknown)}")
    if options.validate_every:
        lines.append(f"# The NetDesigner run validated every {options.validate_every} iterations; "
                     "this script validates once per epoch.")
    if options.cache_augmented_views:
        lines.append(f"# The run trained on {options.cache_augmented_views} cached augmented views; "
                     "this script draws fresh augmentation every epoch.")
    return lines


def _list_lines(name: str, items: list[str]) -> list[str]:
    if not items:
        return [f"{name}: list[str] = []"]
    text = f"{name} = {literal(items)}"
    if len(text) <= 100:
        return [text]
    return [f"{name} = [", *(f"    {quoted(item)}," for item in items), "]"]


def _transforms(augment: AugmentOptions | None, design: Design) -> str:
    """TRAIN_TRANSFORM (the run's augmentation) and EVAL_TRANSFORM, on uint8 images."""
    pre = design.info.preprocessing
    mode = {"nearest": "NEAREST", "bicubic": "BICUBIC"}.get(pre.interpolation)
    how = f", interpolation=v2.InterpolationMode.{mode}" if mode else ""  # bilinear: the default
    resize = [f"v2.Resize(RESIZE{how}),", "v2.CenterCrop(IMAGE_SIZE),"]
    normalise = ["v2.ToDtype(torch.float32, scale=True),", "v2.Normalize(MEAN, STD),"]
    header = "# ---- 3. Images: the run's augmentation for training, resize + centre crop otherwise ----"
    lines = ["", "", header, "EVAL_TRANSFORM = v2.Compose([",
             *(f"    {s}" for s in ["v2.ToImage(),", *resize, *normalise]), "])"]
    if augment is not None and augment.enabled:
        steps = _augment_steps(augment, how, resize, tuple(round(m * 255) for m in pre.mean))
        lines += ["TRAIN_TRANSFORM = v2.Compose([",
                  *(f"    {s}" for s in ["v2.ToImage(),", *steps, *normalise]), "])"]
    else:
        lines.append("TRAIN_TRANSFORM = EVAL_TRANSFORM  # the run used no augmentation")
    return "\n".join(lines)


def _augment_steps(aug: AugmentOptions, how: str, resize: list[str], mean_fill: tuple[int, ...]) -> list[str]:
    """The augmentation as v2 transforms, each on one line, default arguments left out."""
    steps = list(resize)
    if aug.scale is not None:
        ratio = "" if tuple(aug.ratio) == (3 / 4, 4 / 3) else f", ratio={literal(tuple(aug.ratio))}"
        steps = [f"v2.RandomResizedCrop(IMAGE_SIZE, scale={literal(tuple(aug.scale))}{ratio}{how}),"]
    if aug.hflip:
        steps.append("v2.RandomHorizontalFlip(),")
    if aug.vflip:
        steps.append("v2.RandomVerticalFlip(),")
    if aug.rotation_degrees > 0 or aug.translate > 0:
        fill = literal(list(aug.fill or mean_fill))
        translate = f", translate={literal((aug.translate, aug.translate))}" if aug.translate > 0 else ""
        steps.append(f"v2.RandomAffine({literal(float(aug.rotation_degrees))}{translate}, "
                     f"interpolation=v2.InterpolationMode.BILINEAR, fill={fill}),")
    if aug.policy != "none":
        fill = literal(list(aug.fill or mean_fill))
        magnitude = "" if aug.magnitude == 9 else f"magnitude={aug.magnitude}, "
        steps.append(f"v2.RandAugment({magnitude}fill={fill})," if aug.policy == "randaugment"
                     else f"v2.TrivialAugmentWide(fill={fill}),")
    if aug.colour_enabled:
        jitter = ", ".join(f"{k}={literal(float(v))}" for k, v in (
            ("brightness", aug.brightness), ("contrast", aug.contrast), ("saturation", aug.saturation),
            ("hue", aug.hue)) if v)
        steps.append(f"v2.ColorJitter({jitter}),")
    return steps


__all__ = ["CodegenError", "GeneratedScript", "generate_script", "generated_script", "script_features"]
