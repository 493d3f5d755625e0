"""Top-k predictions for individual images (files, PIL images or prepared tensors).

Files are decoded exactly as training decodes them (designer.data: alpha on white, CMYK and
16-bit converted, huge images refused), and a file that cannot be read fails alone: the other
images are still predicted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from torch import nn

from designer.data import DataError, load_rgb
from designer.data.decode import to_rgb
from designer.evaluation.calibration import check_temperature
from designer.evaluation.errors import EvaluationError
from designer.evaluation.evaluate import resolve_device
from designer.evaluation.result import ImagePrediction
from designer.evaluation.samples import failure_reason
from designer.evaluation.tta import Tta, check_tta, probabilities

ImageInput = str | Path | Image.Image | torch.Tensor
Transform = Callable[[Image.Image], torch.Tensor]


def predict(
    model: nn.Module,
    images: Sequence[ImageInput],
    transform: Transform,
    classes: Sequence[str],
    k: int = 5,
    *,
    device: str | torch.device = "cpu",
    batch_size: int = 32,
    temperature: float = 1.0,
    tta: Tta | None = None,
) -> list[list[tuple[str, float]]]:
    """For each image, its ``k`` most likely ``(label, probability)`` pairs, best first.

    Raises :class:`EvaluationError` naming the first image that cannot be read; use
    :func:`predict_each` to get the others' predictions anyway.
    """
    results = predict_each(model, images, transform, classes, k, device=device,
                           batch_size=batch_size, temperature=temperature, tta=tta)
    for result in results:
        if result.error is not None:
            raise EvaluationError(f"Cannot read image {result.source}: {result.error}. "
                                  "Check that it is a readable image file.")
    return [r.top for r in results]


def predict_each(
    model: nn.Module,
    images: Sequence[ImageInput],
    transform: Transform,
    classes: Sequence[str],
    k: int = 5,
    *,
    device: str | torch.device = "cpu",
    batch_size: int = 32,
    temperature: float = 1.0,
    tta: Tta | None = None,
) -> list[ImagePrediction]:
    """One :class:`ImagePrediction` per input, in order: its top ``k`` or why it failed.

    ``temperature`` (a run's calibration) divides the scores before the softmax; ``tta``
    averages the probabilities over flipped or cropped views (designer.evaluation.tta).

    Paths and PIL images go through ``transform`` (the model's evaluation preprocessing);
    tensors are taken as already prepared (C x H x W). Only the model itself failing (wrong
    class list, wrong output) raises :class:`EvaluationError`.
    """
    forward = _Forward(model, len(classes), check_temperature(temperature), check_tta(tta))
    target = resolve_device(device)
    first = next(iter(model.parameters()), None)
    home, was_training = (first.device if first is not None else torch.device("cpu")), model.training
    k = max(1, min(k, len(classes)))
    results: list[ImagePrediction] = []
    model.eval().to(target)
    try:
        with torch.no_grad():
            for start in range(0, len(images), batch_size):
                results += _predict_batch(forward, images[start:start + batch_size], start,
                                          transform, classes, k, target)
    finally:
        model.to(home).train(was_training)
    return results


def _predict_batch(forward: _Forward, images: Sequence[ImageInput], offset: int,
                   transform: Transform, classes: Sequence[str], k: int,
                   device: torch.device) -> list[ImagePrediction]:
    prepared: list[torch.Tensor | ImagePrediction] = []
    for i, image in enumerate(images):
        source = str(image) if isinstance(image, str | Path) else f"image #{offset + i}"
        try:
            prepared.append(_prepare(image, transform))
        except (DataError, OSError, ValueError, RuntimeError, TypeError) as error:
            prepared.append(ImagePrediction(source, [], failure_reason(error)))
    good = [t for t in prepared if isinstance(t, torch.Tensor)]
    tops: list[list[tuple[str, float]]] = []
    if good:
        top_p, top_i = forward(torch.stack(good).to(device)).topk(k, dim=1)
        tops = [[(str(classes[int(c)]), float(p)) for c, p in zip(row_i, row_p, strict=True)]
                for row_i, row_p in zip(top_i, top_p, strict=True)]
    out, next_top = [], iter(tops)
    for i, item in enumerate(prepared):
        if isinstance(item, ImagePrediction):
            out.append(item)
        else:
            image = images[i]
            source = str(image) if isinstance(image, str | Path) else f"image #{offset + i}"
            out.append(ImagePrediction(source, next(next_top)))
    return out


def _prepare(image: Any, transform: Transform) -> torch.Tensor:
    if isinstance(image, torch.Tensor):
        return image
    if isinstance(image, str | Path):
        return transform(load_rgb(image))
    return transform(to_rgb(image)[0])


@dataclass(frozen=True)
class _Forward:
    """Probabilities of a prepared batch, checked against the class names."""

    model: nn.Module
    classes: int
    temperature: float
    tta: Tta | None

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        try:
            probs = probabilities(self.model, batch, self.temperature, self.tta)
        except EvaluationError:
            probs = None
        if probs is None or probs.shape[1] != self.classes:
            output = self.model(batch[:1])
            while isinstance(output, tuple | list):
                output = output[0]
            shape = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
            raise EvaluationError(
                f"The model returned {shape} but {self.classes} class names were given; "
                "pass the class names the model was trained with.")
        return probs
