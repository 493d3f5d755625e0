"""Top-k predictions for individual images (files, PIL images or prepared tensors)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from PIL import Image, ImageOps
from torch import nn

from designer.evaluation.errors import EvaluationError
from designer.evaluation.evaluate import resolve_device

ImageInput = str | Path | Image.Image | torch.Tensor


def load_rgb(path: str | Path) -> Image.Image:
    """Open an image as RGB: EXIF rotation applied, transparency composited on white."""
    try:
        with Image.open(path) as opened:
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (OSError, ValueError) as error:
        raise EvaluationError(
            f"Cannot read image {path}: {error}. Check that it is a readable image file."
        ) from error
    return to_rgb(image)


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB copy; RGBA/LA/palette-with-transparency images are composited on white."""
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def predict(
    model: nn.Module,
    images: Sequence[ImageInput],
    transform: Callable[[Image.Image], torch.Tensor],
    classes: Sequence[str],
    k: int = 5,
    *,
    device: str | torch.device = "cpu",
    batch_size: int = 32,
) -> list[list[tuple[str, float]]]:
    """For each image, its ``k`` most likely ``(label, probability)`` pairs, best first.

    Paths and PIL images go through ``transform`` (the model's evaluation preprocessing);
    tensors are taken as already prepared (C x H x W).
    """
    target = resolve_device(device)
    first = next(iter(model.parameters()), None)
    home, was_training = (first.device if first is not None else torch.device("cpu")), model.training
    k = max(1, min(k, len(classes)))
    results: list[list[tuple[str, float]]] = []
    model.eval().to(target)
    try:
        with torch.no_grad():
            for start in range(0, len(images), batch_size):
                batch = torch.stack([_prepare(i, transform) for i in images[start:start + batch_size]])
                probs = torch.softmax(_scores(model(batch.to(target)), len(classes)).float(), dim=1)
                top_p, top_i = probs.topk(k, dim=1)
                results.extend(
                    [(str(classes[int(i)]), float(p)) for i, p in zip(row_i, row_p, strict=True)]
                    for row_i, row_p in zip(top_i, top_p, strict=True)
                )
    finally:
        model.to(home).train(was_training)
    return results


def _prepare(image: Any, transform: Callable[[Image.Image], torch.Tensor]) -> torch.Tensor:
    if isinstance(image, torch.Tensor):
        return image
    if isinstance(image, str | Path):
        image = load_rgb(image)
    return transform(to_rgb(image))


def _scores(output: Any, classes: int) -> torch.Tensor:
    while isinstance(output, tuple | list):
        output = output[0]
    if not isinstance(output, torch.Tensor) or output.dim() != 2 or output.shape[1] != classes:
        shape = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
        raise EvaluationError(
            f"The model returned {shape} but {classes} class names were given; "
            "pass the class names the model was trained with."
        )
    return output
