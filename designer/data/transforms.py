"""Evaluation preprocessing from the model, and training augmentation on top, as transforms.v2.

Geometric and colour augmentation run on uint8 images (cheaper); conversion to float and the
model's normalisation come last, so a preview can drop that last step and show exactly what the
network is fed.

torch and torchvision are imported inside the functions: the main window reaches this module,
and importing torchvision (with torch._dynamo) at start-up would delay the window by seconds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from designer.zoo.preprocessing import Preprocessing

if TYPE_CHECKING:  # PIL, numpy, torch: loaded when used (AugmentOptions is on the start-up path)
    from PIL import Image
    from torchvision.transforms import v2

#: automatic augmentation presets (torchvision.transforms.v2)
POLICIES = ("none", "randaugment", "trivialaugment")


def _interpolation(name: str) -> v2.InterpolationMode:
    """The torchvision mode for a Preprocessing interpolation name (bilinear when unknown)."""
    from torchvision.transforms import v2

    modes = {
        "nearest": v2.InterpolationMode.NEAREST,
        "bilinear": v2.InterpolationMode.BILINEAR,
        "bicubic": v2.InterpolationMode.BICUBIC,
    }
    return modes.get(name, v2.InterpolationMode.BILINEAR)


@dataclass(frozen=True)
class AugmentOptions:
    """Training-time augmentation; the defaults do nothing (see :meth:`recommended`).

    ``scale`` is RandomResizedCrop's area range (None: resize and centre-crop like evaluation);
    ``translate`` is the largest shift as a fraction of the image size; the colour values are
    ColorJitter's (0 = off; hue at most 0.5). ``policy`` adds an automatic augmentation
    preset after the geometric steps: "randaugment" (two random operations per image at
    ``magnitude``, 0-30) or "trivialaugment" (TrivialAugmentWide: one at a random strength).
    """

    hflip: bool = False
    vflip: bool = False
    rotation_degrees: float = 0.0
    scale: tuple[float, float] | None = None
    ratio: tuple[float, float] = (3 / 4, 4 / 3)
    translate: float = 0.0
    brightness: float = 0.0
    contrast: float = 0.0
    saturation: float = 0.0
    hue: float = 0.0
    fill: tuple[int, int, int] | None = field(default=None)
    policy: str = "none"
    magnitude: int = 9

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise ValueError(f"augmentation policy {self.policy!r} is not one of "
                             f"{', '.join(POLICIES)}.")
        if isinstance(self.magnitude, bool) or not isinstance(self.magnitude, int) \
                or not 0 <= self.magnitude <= 30:
            raise ValueError(f"RandAugment magnitude must be a whole number from 0 to 30 "
                             f"(got {self.magnitude!r}; 9 is the usual choice).")

    @property
    def enabled(self) -> bool:
        """True when any augmentation is switched on."""
        return (
            self.hflip
            or self.vflip
            or self.rotation_degrees > 0
            or self.scale is not None
            or self.translate > 0
            or self.colour_enabled
            or self.policy != "none"
        )

    @property
    def colour_enabled(self) -> bool:
        """True when colour jitter is on."""
        return any(v > 0 for v in (self.brightness, self.contrast, self.saturation, self.hue))

    @classmethod
    def recommended(cls) -> AugmentOptions:
        """A mild, generally safe set for photos (flip, crop, small rotation, colour jitter)."""
        return cls(
            hflip=True, rotation_degrees=10.0, scale=(0.6, 1.0), brightness=0.2, contrast=0.2,
            saturation=0.2,
        )  # fmt: skip

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (for run directories and projects)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> AugmentOptions:
        """Inverse of :meth:`to_dict`; unknown keys are ignored so old files keep loading."""
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs: dict[str, object] = {k: v for k, v in data.items() if k in names}
        for key in ("scale", "ratio", "fill"):
            value = kwargs.get(key)
            if isinstance(value, list | tuple):
                kwargs[key] = tuple(value)
        return cls(**kwargs)  # type: ignore[arg-type]


def build_transforms(
    pre: Preprocessing,
    augment: AugmentOptions | None = None,
    train: bool = False,
    image_size: int | None = None,
) -> v2.Compose:
    """Transform from a PIL image or uint8 tensor to the normalised float tensor the model takes.

    Evaluation (or training without augmentation): resize the short side, centre-crop,
    normalise, as the model's weights expect. ``image_size`` overrides the crop (the resize
    scales along) so tests and quick runs can use e.g. 64 px.
    """
    import torch
    from torchvision.transforms import v2

    size, resize = _sizes(pre, image_size)
    interpolation = _interpolation(pre.interpolation)
    steps: list[v2.Transform] = [v2.ToImage()]
    if train and augment is not None and augment.enabled:
        steps += _augmentation(augment, size, resize, interpolation, pre)
    else:
        steps += [
            v2.Resize(resize, interpolation=interpolation, antialias=True),
            v2.CenterCrop(size),
        ]
    steps += [v2.ToDtype(torch.float32, scale=True), v2.Normalize(list(pre.mean), list(pre.std))]
    return v2.Compose(steps)


def _sizes(pre: Preprocessing, image_size: int | None) -> tuple[int, int]:
    """(crop, resize) keeping the model's resize/crop ratio when the crop is overridden."""
    sized = pre.at_size(image_size)
    return sized.crop_size, sized.resize_size


def _augmentation(
    aug: AugmentOptions,
    size: int,
    resize: int,
    interpolation: v2.InterpolationMode,
    pre: Preprocessing,
) -> list[v2.Transform]:
    from torchvision.transforms import v2

    steps: list[v2.Transform]
    if aug.scale is not None:
        steps = [
            v2.RandomResizedCrop(
                size, scale=aug.scale, ratio=aug.ratio, interpolation=interpolation, antialias=True
            )
        ]
    else:
        steps = [
            v2.Resize(resize, interpolation=interpolation, antialias=True),
            v2.CenterCrop(size),
        ]
    if aug.hflip:
        steps.append(v2.RandomHorizontalFlip())
    if aug.vflip:
        steps.append(v2.RandomVerticalFlip())
    if aug.rotation_degrees > 0 or aug.translate > 0:
        # Fill uncovered corners with the dataset mean: it normalises to 0, like padding.
        fill = aug.fill or tuple(round(m * 255) for m in pre.mean)
        translate = (aug.translate, aug.translate) if aug.translate > 0 else None
        steps.append(
            v2.RandomAffine(
                degrees=aug.rotation_degrees,
                translate=translate,
                interpolation=v2.InterpolationMode.BILINEAR,
                fill=list(fill),
            )
        )
    if aug.policy != "none":
        steps.append(policy_transform(aug, pre))
    if aug.colour_enabled:
        steps.append(
            v2.ColorJitter(
                brightness=aug.brightness or None,
                contrast=aug.contrast or None,
                saturation=aug.saturation or None,
                hue=aug.hue or None,
            )
        )
    return steps


def policy_transform(aug: AugmentOptions, pre: Preprocessing) -> v2.Transform:
    """RandAugment or TrivialAugmentWide on uint8 images; uncovered pixels get the mean colour."""
    from torchvision.transforms import v2

    fill = list(aug.fill or tuple(round(m * 255) for m in pre.mean))
    if aug.policy == "randaugment":
        return v2.RandAugment(num_ops=2, magnitude=aug.magnitude, fill=fill)
    return v2.TrivialAugmentWide(fill=fill)


def decode_min_side(pre: Preprocessing, image_size: int | None = None) -> int:
    """Shorter side a JPEG may be draft-decoded down to without hurting the transforms.

    Twice the resize keeps random crops sharp while letting a 12-megapixel photo decode at 1/4
    scale; datasets and previews use the same value so previews stay faithful.
    """
    return 2 * _sizes(pre, image_size)[1]


def without_normalize(transform: v2.Compose) -> v2.Compose:
    """The same transform objects minus the final Normalize: output is float RGB in [0, 1]."""
    from torchvision.transforms import v2

    steps = [t for t in transform.transforms if not isinstance(t, v2.Normalize)]
    return v2.Compose(steps)


def augmented_previews(
    path: Path | str,
    pre: Preprocessing,
    augment: AugmentOptions | None,
    n: int = 8,
    seed: int = 0,
    image_size: int | None = None,
) -> list[Image.Image]:
    """N versions of one image exactly as training sees them (before normalisation).

    Uses the training transform built by :func:`build_transforms` with the same options, minus
    Normalize, and a private random generator so the caller's RNG state is untouched.
    """
    import torch
    from torchvision.transforms.v2 import functional as tvf

    from designer.data.loading import load_rgb_tensor

    image = load_rgb_tensor(path, min_side=decode_min_side(pre, image_size))
    transform = without_normalize(build_transforms(pre, augment, train=True, image_size=image_size))
    out = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for _ in range(n):
            tensor = transform(image)
            out.append(tvf.to_pil_image(tensor.clamp(0.0, 1.0)))
    return out
