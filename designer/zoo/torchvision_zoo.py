"""Zoo entries for torchvision's classifiers, read from their ``Weights.DEFAULT`` metadata.

Nothing is downloaded or built: torchvision keeps params, GFLOPs, accuracies, file size, minimum
input size, categories and the evaluation transform in the weights enum itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from designer.zoo.download import cached_weights_path, download_weights
from designer.zoo.entry import ZooEntry
from designer.zoo.preprocessing import IMAGENET_MEAN, IMAGENET_STD, Preprocessing
from designer.zoo.sources import Cancel, Progress, ZooSource, register_source
from designer.zoo.weights import apply_weights, load_weights_file

if TYPE_CHECKING:
    from pathlib import Path

    from torch import nn

# (name prefix, family for grouping, label for display names, label/variant separator,
#  joiner of the variant's parts); "1_6gf" style version numbers read "1.6GF" where marked "."
_FAMILIES: tuple[tuple[str, str, str, str, str], ...] = (
    ("efficientnet_v2", "EfficientNet", "EfficientNetV2", "-", "-"),
    ("efficientnet", "EfficientNet", "EfficientNet", "-", "-"),
    ("mobilenet_v2", "MobileNet", "MobileNetV2", "-", "-"),
    ("mobilenet_v3", "MobileNet", "MobileNetV3", "-", "-"),
    ("wide_resnet", "Wide ResNet", "Wide ResNet", "-", "-"),
    ("resnext", "ResNeXt", "ResNeXt", "-", " "),
    ("resnet", "ResNet", "ResNet", "-", "-"),
    ("regnet_x", "RegNet", "RegNetX", "-", "."),
    ("regnet_y", "RegNet", "RegNetY", "-", "."),
    ("shufflenet_v2", "ShuffleNet", "ShuffleNetV2", " ", "."),
    ("squeezenet", "SqueezeNet", "SqueezeNet", " ", "."),
    ("mnasnet", "MNASNet", "MNASNet", " ", "."),
    ("swin_v2", "Swin", "Swin V2", "-", "-"),
    ("swin", "Swin", "Swin", "-", "-"),
    ("vit", "ViT", "ViT", "-", "/"),
    ("vgg", "VGG", "VGG", "-", " "),
    ("convnext", "ConvNeXt", "ConvNeXt", " ", " "),
    ("densenet", "DenseNet", "DenseNet", "-", "-"),
    ("maxvit", "MaxViT", "MaxViT", "-", "-"),
    ("inception", "Inception", "Inception", " ", " "),
    ("googlenet", "GoogLeNet", "GoogLeNet", "-", "-"),
    ("alexnet", "AlexNet", "AlexNet", "-", "-"),
)

# Per-model architecture settings that every weight choice needs (see ZooEntry.builder_kwargs).
_AUX_FREE = {"aux_logits": False, "transform_input": True, "init_weights": True}
_BUILDER_KWARGS: dict[str, dict[str, Any]] = {
    "googlenet": _AUX_FREE,
    "inception_v3": _AUX_FREE,
}
_IGNORED_PREFIXES: dict[str, tuple[str, ...]] = {
    "googlenet": ("aux1.", "aux2."),
    "inception_v3": ("AuxLogits.",),
}
_NOTES: dict[str, str] = {
    "googlenet": "Auxiliary training heads removed (they only matter when training from "
    "scratch); the input is re-normalised inside the model as the pretrained weights expect.",
    "inception_v3": "Auxiliary training head removed (it only matters when training from "
    "scratch); the input is re-normalised inside the model as the pretrained weights expect.",
}


def family_and_display_name(name: str) -> tuple[str, str]:
    """("ResNet", "ResNet-18") for "resnet18"; unknown names fall back to themselves."""
    for prefix, family, label, sep, joiner in _FAMILIES:
        if name.startswith(prefix):
            variant = name[len(prefix):].strip("_")
            if joiner == ".":
                variant = re.sub(r"(\d)_(\d)", r"\1.\2", variant)
            parts = [_pretty(p) for p in variant.split("_") if p]
            if not parts:
                return family, label
            return family, f"{label}{sep}{(joiner if joiner != '.' else ' ').join(parts)}"
    return name, name


def _pretty(token: str) -> str:
    if re.fullmatch(r"\d+x\d+d|v\d+|x[\d.]+", token):
        return token
    if token.isalpha() and len(token) > 2:
        return token.capitalize()
    return token.upper()


def _preprocessing(weights: Any) -> Preprocessing:
    keywords: Mapping[str, Any] = getattr(weights.transforms, "keywords", {})
    interpolation = keywords.get("interpolation")
    mean = tuple(float(v) for v in keywords.get("mean", IMAGENET_MEAN))
    std = tuple(float(v) for v in keywords.get("std", IMAGENET_STD))
    return Preprocessing(
        resize_size=int(keywords.get("resize_size", 256)),
        crop_size=int(keywords["crop_size"]),
        mean=(mean[0], mean[1], mean[2]),
        std=(std[0], std[1], std[2]),
        interpolation=str(interpolation.value) if interpolation is not None else "bilinear",
    )


def _builder_kwargs(name: str, weights: Any) -> dict[str, Any]:
    """Arguments that make a random-weight build match the default weights' architecture."""
    kwargs = dict(_BUILDER_KWARGS.get(name, {}))
    if name.startswith("vit_") and weights.meta["min_size"][0] != 224:
        kwargs["image_size"] = weights.meta["min_size"][0]  # vit_h_14's SWAG weights are 518 px
    return kwargs


def torchvision_entry(name: str) -> ZooEntry:
    """The entry for one torchvision classifier (``get_model_weights(name).DEFAULT``)."""
    from torchvision.models import get_model_weights

    weights = get_model_weights(name).DEFAULT
    meta = weights.meta
    metrics = meta.get("_metrics", {}).get("ImageNet-1K", {})
    family, display = family_and_display_name(name)
    kwargs = _builder_kwargs(name, weights)
    notes = _NOTES.get(name, "")
    if "image_size" in kwargs:
        notes = f"Built for {kwargs['image_size']} px inputs, the size its default weights use."
    return ZooEntry(
        name=name,
        display_name=display,
        family=family,
        source="torchvision",
        num_params=int(meta["num_params"]),
        gflops=_float_or_none(meta.get("_ops")),
        acc1=_float_or_none(metrics.get("acc@1")),
        acc5=_float_or_none(metrics.get("acc@5")),
        file_size_mb=_float_or_none(meta.get("_file_size")),
        min_size=int(max(meta["min_size"])),
        preprocessing=_preprocessing(weights),
        categories=tuple(meta["categories"]),
        recipe_url=meta.get("recipe"),
        license_url=meta.get("license"),
        weights_label=weights.name,
        weights_url=weights.url,
        builder_kwargs=MappingProxyType(kwargs),
        ignored_weight_prefixes=_IGNORED_PREFIXES.get(name, ()),
        notes=notes,
    )


def torchvision_entries() -> list[ZooEntry]:
    """Every classifier in ``torchvision.models`` (80 with torchvision 0.29)."""
    import torchvision.models
    from torchvision.models import list_models

    return [torchvision_entry(n) for n in list_models(module=torchvision.models)]


def _float_or_none(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def build_torchvision(entry: ZooEntry) -> nn.Module:
    """The architecture with random weights, exactly as its pretrained file expects it."""
    import torchvision

    return torchvision.models.get_model(entry.name, weights=None, **entry.builder_kwargs)


def _fetch(entry: ZooEntry, progress: Progress | None, cancel: Cancel | None) -> Path:
    """The hub cache's file, downloaded once (torchvision code finds it there too)."""
    return cached_weights_path(entry) or download_weights(entry, progress, cancel)


def _load(model: nn.Module, path: Path, entry: ZooEntry) -> None:
    apply_weights(model, load_weights_file(path), entry.ignored_weight_prefixes)


SOURCE = register_source(ZooSource(
    name="torchvision", entries=torchvision_entries, build=build_torchvision, fetch=_fetch,
    load=_load, is_cached=lambda entry: cached_weights_path(entry) is not None))
