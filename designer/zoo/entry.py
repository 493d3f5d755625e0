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

    Accuracies are ImageNet-1k top-1/top-5 in percent; ``gflops`` follows torchvision's
    convention (giga multiply-adds of one 224-ish image at ``preprocessing.crop_size``).
    ``categories`` are the class names of the pretrained head (empty for backbone-only weights).
    ``builder_kwargs`` are passed to the architecture builder for every weight choice, so a
    model built with random weights has exactly the architecture the pretrained file fits.
    """

    name: str
    display_name: str
    family: str
    source: Source
    num_params: int
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

    @property
    def has_pretrained_head(self) -> bool:
        """False for backbone-only weights: predictions mean nothing until the head is replaced."""
        return bool(self.categories)

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
        }
        if include_categories:
            data["categories"] = list(self.categories)
        return data
