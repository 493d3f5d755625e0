"""One model in the zoo, described by data only (nothing here builds or downloads anything)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from designer.zoo.preprocessing import Preprocessing

#: the name of the registered `designer.zoo.sources.ZooSource` ("torchvision", "bundled", ...)
Source = str

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class ZooEntry:
    """What the model browser shows and what ``create_model`` needs to build the model.

    Accuracies are ImageNet-1k top-1/top-5 in percent at ``preprocessing.crop_size``; ``gflops``
    follows torchvision's convention (giga multiply-adds of one image at that size). ``None``
    means the figure is not published for these weights (never an estimate);
    ``metrics_source`` says where the published figures come from.
    ``categories`` are the class names of the pretrained head (empty for backbone-only weights).
    ``builder_kwargs`` are passed to the architecture builder for every weight choice, so a
    model built with random weights has exactly the architecture the pretrained file fits.
    """

    name: str
    display_name: str
    family: str
    source: Source
    num_params: int | None
    gflops: float | None
    acc1: float | None
    acc5: float | None
    file_size_mb: float | None
    min_size: int
    preprocessing: Preprocessing
    categories: tuple[str, ...] = field(repr=False)
    recipe_url: str | None = None
    license_url: str | None = None
    weights_label: str = ""
    weights_url: str | None = None
    builder_kwargs: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, hash=False)
    ignored_weight_prefixes: tuple[str, ...] = ()
    notes: str = ""
    #: the architecture the weights belong to ("convnext_atto" for "convnext_atto.d2_in1k")
    architecture: str = ""
    #: what the weights were trained on, in order ("in22k → in1k"); "" when not stated
    pretraining: str = ""
    #: licence identifier of the weights ("apache-2.0"); see ``license_url`` where known
    license: str = ""
    #: Hugging Face hub repository holding the weights ("timm/convnext_atto.d2_in1k")
    hf_repo: str | None = None
    #: classes of the pretrained head (0: backbone only), when there are no category names
    num_classes: int | None = None
    #: eval crop as a fraction of the resized image (timm's crop_pct), when published
    crop_pct: float | None = None
    #: where the accuracy / size figures come from, or "not published"
    metrics_source: str = ""
    #: why this model can be looked at but not edited as a graph ("" when it can be)
    view_only: str = ""

    @property
    def has_pretrained_head(self) -> bool:
        """False for backbone-only weights: predictions mean nothing until the head is replaced."""
        return bool(self.categories) or bool(self.num_classes)

    @property
    def weights_file_name(self) -> str | None:
        """File name in the torch hub cache (it embeds torchvision's hash prefix)."""
        return self.weights_url.rsplit("/", 1)[-1] if self.weights_url else None

    def to_dict(self, *, include_categories: bool = False) -> dict[str, Any]:
        """JSON-ready form for ``netdesigner models --json`` and project files."""
        data: dict[str, Any] = {
            "name": self.name,
            "display_name": self.display_name,
            "family": self.family,
            "source": self.source,
            "num_params": self.num_params,
            "gflops": self.gflops,
            "acc1": self.acc1,
            "acc5": self.acc5,
            "file_size_mb": self.file_size_mb,
            "min_size": self.min_size,
            "num_categories": len(self.categories),
            "preprocessing": self.preprocessing.to_dict(),
            "recipe_url": self.recipe_url,
            "license_url": self.license_url,
            "weights_label": self.weights_label,
            "weights_url": self.weights_url,
            "builder_kwargs": dict(self.builder_kwargs),
            "notes": self.notes,
            "architecture": self.architecture or self.name,
            "pretraining": self.pretraining,
            "license": self.license,
            "hf_repo": self.hf_repo,
            "num_classes": self.num_classes if self.num_classes is not None
            else len(self.categories),
            "crop_pct": self.crop_pct,
            "metrics_source": self.metrics_source,
            "view_only": self.view_only,
        }
        if include_categories:
            data["categories"] = list(self.categories)
        return data
