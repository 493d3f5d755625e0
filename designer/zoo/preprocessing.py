"""How a model expects its input images: the data pipeline and the exporters read this."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torchvision.transforms import v2

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Preprocessing:
    """Resize the short side to ``resize_size``, centre-crop ``crop_size``, normalise.

    This is the evaluation pipeline a model's weights were trained with (torchvision keeps it in
    ``Weights.transforms``); training-time augmentation is layered on top by ``designer.data``.
    """

    resize_size: int = 256
    crop_size: int = 224
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    interpolation: str = "bilinear"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (for run directories, exports and the generated script)."""
        return {
            "resize_size": self.resize_size,
            "crop_size": self.crop_size,
            "mean": list(self.mean),
            "std": list(self.std),
            "interpolation": self.interpolation,
        }

    def at_size(self, image_size: int | None) -> Preprocessing:
        """The same pipeline cropping ``image_size`` (the resize keeps its ratio to the crop).

        What a model trained at another image size expects; None keeps the model's own sizes.
        """
        if image_size is None:
            return self
        resize = max(image_size, round(self.resize_size * image_size / self.crop_size))
        return replace(self, crop_size=image_size, resize_size=resize)

    def eval_transform(self) -> v2.Compose:
        """The torchvision pipeline: PIL image (or uint8 tensor) -> normalised float tensor.

        torchvision is imported here, not at module level, so this module stays torch-free.
        """
        import torch
        from torchvision.transforms import InterpolationMode, v2

        return v2.Compose([
            v2.ToImage(),
            v2.Resize(self.resize_size, InterpolationMode(self.interpolation), antialias=True),
            v2.CenterCrop(self.crop_size),
            v2.ToDtype(torch.float32, scale=True),
            v2.Normalize(list(self.mean), list(self.std)),
        ])

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Preprocessing:
        """Inverse of :meth:`to_dict`; unknown keys are ignored so old files keep loading."""
        mean = tuple(float(v) for v in data.get("mean", IMAGENET_MEAN))  # type: ignore[attr-defined]
        std = tuple(float(v) for v in data.get("std", IMAGENET_STD))  # type: ignore[attr-defined]
        return cls(
            resize_size=int(data.get("resize_size", 256)),  # type: ignore[call-overload]
            crop_size=int(data.get("crop_size", 224)),  # type: ignore[call-overload]
            mean=(mean[0], mean[1], mean[2]),
            std=(std[0], std[1], std[2]),
            interpolation=str(data.get("interpolation", "bilinear")),
        )
