"""Class probabilities of a batch, optionally with test-time augmentation and a temperature.

TTA runs the model on several views of each prepared image and averages the probabilities:
"flip" = the image and its mirror image; "crops" = the image, its four corners and centre at
7/8 of the side, each resized back to the input size. The temperature (designer.evaluation.
calibration) divides every view's scores before the softmax.
"""

from __future__ import annotations

from typing import Any, Literal, cast

import torch
from torch import nn
from torch.nn import functional

from designer.evaluation.errors import EvaluationError

Tta = Literal["flip", "crops"]
TTA_CHOICES: tuple[str, ...] = ("flip", "crops")
#: side of the multi-crop views, as a share of the image's side
CROP_SHARE = 7 / 8


def check_tta(value: object) -> Tta | None:
    """None (no TTA), "flip" or "crops"; EvaluationError naming the choices otherwise."""
    if value is None or value in ("", "none"):
        return None
    if value not in TTA_CHOICES:
        raise EvaluationError(f"Unknown test-time augmentation {value!r}: choose "
                              f"{' or '.join(TTA_CHOICES)} (or none).")
    return cast(Tta, value)


def views(batch: torch.Tensor, tta: Tta | None) -> list[torch.Tensor]:
    """The batches the model sees for one prepared batch (N x C x H x W)."""
    if tta is None:
        return [batch]
    if tta == "flip":
        return [batch, batch.flip(-1)]
    height, width = batch.shape[-2:]
    h, w = max(1, round(height * CROP_SHARE)), max(1, round(width * CROP_SHARE))
    tops = {"tl": (0, 0), "tr": (0, width - w), "bl": (height - h, 0),
            "br": (height - h, width - w), "c": ((height - h) // 2, (width - w) // 2)}
    crops = [functional.interpolate(batch[..., y:y + h, x:x + w], size=(height, width),
                                    mode="bilinear", align_corners=False)
             for y, x in tops.values()]
    return [batch, *crops]


def scores(output: Any) -> torch.Tensor:
    """The (batch, classes) scores in a model's output (first element of tuples/lists)."""
    while isinstance(output, tuple | list):
        output = output[0]
    if not isinstance(output, torch.Tensor) or output.dim() != 2:
        raise EvaluationError("The model must return a (batch, classes) tensor of scores.")
    return output


def probabilities(model: nn.Module, batch: torch.Tensor, temperature: float = 1.0,
                  tta: Tta | None = None) -> torch.Tensor:
    """Softmax(scores / temperature) averaged over the TTA views (fp32, on the batch's device)."""
    total: torch.Tensor | None = None
    shown = views(batch, tta)
    for view in shown:
        p = torch.softmax(scores(model(view)).float() / temperature, dim=1)
        total = p if total is None else total + p
    assert total is not None
    return total / len(shown)
