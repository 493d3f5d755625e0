"""Run a model over a labelled dataset and collect metrics and per-sample predictions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from designer.data.dataset import ignore_interrupts, sample_path
from designer.evaluation.calibration import check_temperature
from designer.evaluation.errors import EvaluationCancelled, EvaluationError
from designer.evaluation.metrics import confusion_matrix, per_class, top_k_hits
from designer.evaluation.result import EvaluationResult, Prediction, SkippedSample
from designer.evaluation.samples import GuardedDataset, collate
from designer.evaluation.tta import Tta, check_tta, probabilities, scores

Progress = Callable[[float, str], None]


def resolve_device(device: str | torch.device) -> torch.device:
    """"auto" = CUDA when present; anything else as given."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def evaluate(
    model: nn.Module,
    dataset: Dataset[Any],
    *,
    batch_size: int = 64,
    device: str | torch.device = "auto",
    top_k: Sequence[int] = (1, 5),
    classes: Sequence[str] | None = None,
    num_workers: int = 0,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    temperature: float = 1.0,
    tta: Tta | None = None,
) -> EvaluationResult:
    """Evaluate in eval mode; the model is put back on its device and in its mode afterwards.

    ``temperature`` divides the scores before the softmax (a run's calibration); ``tta``
    averages the probabilities over flipped ("flip") or cropped ("crops") views.

    Class names come from ``classes``, else ``dataset.classes``, else "0", "1", ...; k values
    larger than the number of classes are clamped. A sample that cannot be loaded is left out
    and listed in ``result.skipped`` with its file and reason (the metrics are over the rest);
    :class:`EvaluationError` when no sample loads, :class:`EvaluationCancelled` when
    ``cancel()`` is true.
    """
    temperature, tta = check_temperature(temperature), check_tta(tta)
    outputs = _on_device(model, device, lambda target: _run(
        lambda x: probabilities(model, x, temperature, tta), dataset, batch_size, target,
        num_workers, progress, cancel))
    return _summarise(outputs, dataset, classes, top_k)


def collect_logits(
    model: nn.Module, dataset: Dataset[Any], *, batch_size: int = 64,
    device: str | torch.device = "auto", progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(scores N x C, labels N) of every sample that loads (fp32 on the CPU), e.g. the validation
    logits temperature scaling is fitted on."""
    outputs = _on_device(model, device, lambda target: _run(
        lambda x: scores(model(x)).float(), dataset, batch_size, target, 0, progress, cancel))
    return outputs.probs, outputs.labels


def _on_device(model: nn.Module, device: str | torch.device,
               work: Callable[[torch.device], _Outputs]) -> _Outputs:
    """Run ``work`` with the model in eval mode on ``device``; put it back afterwards (a model
    already there is not moved: ``Module.to`` walks every tensor, twice per call)."""
    target = resolve_device(device)
    first = next(iter(model.parameters()), None)
    home, was_training = (first.device if first is not None else torch.device("cpu")), model.training
    moved = not _same_device(home, target)
    model.eval()
    if moved:
        model.to(target)
    try:
        return work(target)
    finally:
        if moved:
            model.to(home)
        model.train(was_training)


def _same_device(a: torch.device, b: torch.device) -> bool:
    """"cuda" and "cuda:0" are the same device when 0 is the current one."""
    if a.type != b.type:
        return False
    if a.type != "cuda" or a.index == b.index:
        return True
    current = torch.cuda.current_device()
    return (a.index if a.index is not None else current) == (
        b.index if b.index is not None else current)


def _run(
    forward: Callable[[torch.Tensor], torch.Tensor], dataset: Dataset[Any], batch_size: int,
    device: torch.device, num_workers: int, progress: Progress | None,
    cancel: Callable[[], bool] | None,
) -> _Outputs:
    """``forward`` of every batch (N x C, fp32 on CPU; probabilities or scores), labels and
    dataset indices of the samples that loaded, in dataset order, and the samples that did
    not."""
    loader = DataLoader(GuardedDataset(dataset), batch_size=batch_size, shuffle=False,
                        num_workers=num_workers, collate_fn=collate,
                        worker_init_fn=ignore_interrupts)
    total = len(dataset)  # type: ignore[arg-type]
    probs: list[torch.Tensor] = []
    labels: list[torch.Tensor] = []
    indices: list[torch.Tensor] = []
    skipped: list[SkippedSample] = []
    done = 0
    # inference mode, as an expert's loop: no autograd bookkeeping at all (the tensors made
    # here are copied by the torch.cat below, so callers may still use them in autograd)
    with torch.inference_mode():
        for images, y, index, bad in loader:
            if cancel is not None and cancel():
                raise EvaluationCancelled(f"Evaluation cancelled after {done} of {total} images.")
            skipped += bad
            if images is not None:
                probs.append(forward(images.to(device)).cpu())
                labels.append(y)
                indices.append(index)
            done += len(y) + len(bad)
            if progress is not None:
                progress(done / total, f"evaluated {done} of {total} images")
    if not probs:
        if skipped:
            first = skipped[0]
            raise EvaluationError(
                f"None of the {len(skipped)} images could be loaded (the first, "
                f"{first.path or f'sample #{first.index}'}: {first.reason}); check the data.")
        raise EvaluationError("The dataset is empty: there is nothing to evaluate.")
    return _Outputs(torch.cat(probs), torch.cat(labels), torch.cat(indices), skipped)


@dataclass(frozen=True)
class _Outputs:
    probs: torch.Tensor
    labels: torch.Tensor
    indices: torch.Tensor
    skipped: list[SkippedSample]


def _summarise(
    outputs: _Outputs, dataset: Dataset[Any],
    classes: Sequence[str] | None, top_k: Sequence[int],
) -> EvaluationResult:
    probs, labels = outputs.probs, outputs.labels
    n, c = probs.shape
    names = _class_names(classes, dataset, c)
    if int(labels.max()) >= c or int(labels.min()) < 0:
        raise EvaluationError(
            f"The dataset has label {int(labels.max())} but the model outputs {c} classes; "
            "evaluate with the model trained for this dataset's classes."
        )
    ks = sorted({min(max(1, int(k)), c) for k in top_k} | {1})
    top_p, top_i = probs.topk(max(ks), dim=1)
    predicted = top_i[:, 0]
    matrix = confusion_matrix(labels, predicted, c)
    loss = float(torch.nn.functional.nll_loss(probs.clamp_min(1e-12).log(), labels))
    predictions = []
    for row, index in enumerate(outputs.indices.tolist()):
        predictions.append(Prediction(
            index, sample_path(dataset, index), int(labels[row]), int(predicted[row]),
            float(top_p[row, 0]),
            tuple((int(a), float(b)) for a, b in zip(top_i[row], top_p[row], strict=True))))
    return EvaluationResult(
        classes=names,
        accuracy=float((predicted == labels).double().mean()),
        loss=loss,
        top_k_accuracy={k: top_k_hits(top_i, labels, k) / n for k in ks},
        per_class=per_class(matrix, names),
        confusion=matrix.tolist(),
        predictions=predictions,
        skipped=outputs.skipped,
    )


def _class_names(classes: Sequence[str] | None, dataset: Any, count: int) -> list[str]:
    names = list(classes) if classes is not None else list(getattr(dataset, "classes", []) or [])
    if not names:
        return [str(i) for i in range(count)]
    if len(names) != count:
        raise EvaluationError(
            f"The model outputs {count} classes but there are {len(names)} class names "
            f"({', '.join(map(str, names[:6]))}...); use the model trained for these classes."
        )
    return [str(n) for n in names]
