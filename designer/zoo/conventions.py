"""Where a model's classifier and stages are, by timm's conventions (read from the module).

timm models say it themselves: ``pretrained_cfg["classifier"]`` names the head module(s)
(two for distilled ViTs), ``get_classifier()`` returns it and ``feature_info`` lists the stage
outputs (module path, channels, stride). Models without them (torchvision's) get empty answers
and the design falls back to "the last Linear/Conv2d" and per-layer freezing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import nn


@dataclass(frozen=True)
class Stage:
    """One stage boundary: "freeze up to stage N" freezes everything through ``module``."""

    label: str
    module: str
    channels: int
    reduction: int


def classifier_paths(model: nn.Module) -> tuple[str, ...]:
    """Module paths of the classifier head(s) that exist in ``model`` ("head.fc"), or ()."""
    cfg: Any = getattr(model, "pretrained_cfg", None) or {}
    named = cfg.get("classifier") if isinstance(cfg, dict) else None
    if not named:
        return ()
    paths = (named,) if isinstance(named, str) else tuple(named)
    modules = dict(model.named_modules())
    return tuple(p for p in paths if isinstance(modules.get(p), nn.Linear | nn.Conv2d))


def stages(model: nn.Module) -> tuple[Stage, ...]:
    """The stage boundaries timm's ``feature_info`` declares, shallow to deep, or ()."""
    info = getattr(model, "feature_info", None)
    if not isinstance(info, list | tuple):
        return ()
    modules = dict(model.named_modules())
    found: list[Stage] = []
    for item in info:
        if not isinstance(item, dict) or item.get("module") not in modules:
            continue
        found.append(Stage(f"stage {len(found) + 1} ({item['module']}, stride "
                           f"{item.get('reduction', '?')})", str(item["module"]),
                           int(item.get("num_chs", 0)), int(item.get("reduction", 0))))
    return tuple(found)


def add_missing_head(model: nn.Module, num_classes: int = 1000) -> bool:
    """Give a backbone-only timm model (``num_classes=0``) a fresh classifier, so "replace
    the final layers" has a head to replace; True when one was added."""
    reset = getattr(model, "reset_classifier", None)
    if getattr(model, "num_classes", None) != 0 or not callable(reset):
        return False
    reset(num_classes)
    return bool(classifier_paths(model))
