"""Evaluation metrics on a hand-checkable example, per-sample drill-down, failures."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import Dataset

from designer.evaluation import EvaluationCancelled, EvaluationError, EvaluationResult, evaluate

# Each row is the model's probability for (cat, dog, bird); the model is the identity on log-probs.
PROBS = [
    [0.7, 0.2, 0.1],  # cat  -> cat
    [0.3, 0.6, 0.1],  # cat  -> dog  (cat is 2nd)
    [0.1, 0.8, 0.1],  # dog  -> dog
    [0.2, 0.5, 0.3],  # dog  -> dog
    [0.9, 0.06, 0.04],  # bird -> cat  (bird is 3rd)
    [0.1, 0.2, 0.7],  # bird -> bird
]
TRUE = [0, 0, 1, 1, 2, 2]


@dataclass
class _Sample:
    path: Path


class _Scores(Dataset[tuple[torch.Tensor, int]]):
    def __init__(self, broken: int | None = None) -> None:
        self.classes = ["cat", "dog", "bird"]
        self.x = torch.tensor(PROBS).log()
        self.samples = [_Sample(Path(f"/photos/{i}.jpg")) for i in range(len(PROBS))]
        self.broken = broken

    def __len__(self) -> int:
        return len(TRUE)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        if index == self.broken:
            raise OSError("cannot identify image file")
        return self.x[index], TRUE[index]


@pytest.fixture
def result() -> EvaluationResult:
    return evaluate(nn.Identity(), _Scores(), batch_size=4, device="cpu", top_k=(1, 2, 5))


def test_accuracy_and_top_k(result):
    assert result.accuracy == pytest.approx(4 / 6)
    assert result.top_k_accuracy == pytest.approx({1: 4 / 6, 2: 5 / 6, 3: 1.0})  # 5 -> 3 classes
    expected_loss = -sum(torch.tensor(PROBS)[i, t].log() for i, t in enumerate(TRUE)) / 6
    assert result.loss == pytest.approx(float(expected_loss), rel=1e-5)


def test_confusion_matrix_and_per_class_metrics(result):
    assert result.confusion == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert sum(map(sum, result.confusion)) == len(TRUE)
    cat, dog, bird = result.per_class
    assert (cat.precision, cat.recall, cat.f1, cat.support) == pytest.approx((0.5, 0.5, 0.5, 2))
    assert (dog.precision, dog.recall, dog.f1) == pytest.approx((2 / 3, 1.0, 0.8))
    assert (bird.precision, bird.recall, bird.f1) == pytest.approx((1.0, 0.5, 2 / 3))
    assert result.macro_f1 == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)


def test_predictions_name_files_and_rank_classes(result):
    first = result.predictions[1]
    assert (first.index, first.path, first.true, first.predicted) == (1, "/photos/1.jpg", 0, 1)
    assert first.confidence == pytest.approx(0.6)
    assert [c for c, _ in first.top_k] == [1, 0, 2]


def test_misclassified_most_confident_first(result):
    assert [p.index for p in result.misclassified()] == [4, 1]


def test_cell_returns_exactly_that_cell_sorted(result):
    assert [p.index for p in result.cell("dog", "dog")] == [2, 3]
    assert [p.index for p in result.cell(2, "cat")] == [4]
    assert result.cell("bird", "dog") == []
    for t in range(3):
        for p in range(3):
            assert len(result.cell(t, p)) == result.confusion[t][p]
    with pytest.raises(ValueError, match="unknown class 'fish'"):
        result.cell("fish", "cat")


def test_result_round_trips_through_json(result):
    again = EvaluationResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result


def test_unreadable_sample_is_skipped_named_and_left_out_of_the_metrics():
    result = evaluate(nn.Identity(), _Scores(broken=3), batch_size=4, device="cpu")
    assert [(s.index, s.path) for s in result.skipped] == [(3, "/photos/3.jpg")]
    assert "cannot identify" in result.skipped[0].reason
    assert [p.index for p in result.predictions] == [0, 1, 2, 4, 5]
    assert [p.path for p in result.predictions][3] == "/photos/4.jpg"  # indices still match files
    assert result.accuracy == pytest.approx(3 / 5)  # 3 was right; it is not counted either way
    assert sum(map(sum, result.confusion)) == 5
    again = EvaluationResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again.skipped == result.skipped


def test_no_loadable_sample_is_an_error_naming_the_first():
    class _AllBroken(_Scores):
        def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
            raise OSError("cannot identify image file")

    with pytest.raises(EvaluationError, match=r"None of the 6 images.*/photos/0\.jpg"):
        evaluate(nn.Identity(), _AllBroken(), device="cpu")


def test_progress_cancel_and_model_state_restored():
    model = nn.Sequential(nn.Linear(3, 3))
    model.train()
    seen: list[float] = []
    evaluate(model, _Scores(), batch_size=2, device="cpu", progress=lambda f, _m: seen.append(f))
    assert seen == pytest.approx([1 / 3, 2 / 3, 1.0]) and model.training
    with pytest.raises(EvaluationCancelled):
        evaluate(model, _Scores(), device="cpu", cancel=lambda: True)


def test_class_count_mismatch_is_explained():
    with pytest.raises(EvaluationError, match="outputs 3 classes but there are 2 class names"):
        evaluate(nn.Identity(), _Scores(), device="cpu", classes=["a", "b"])


class _Linear(nn.Module):
    """Log-probabilities through a layer with weights (so the model has a device), noting the
    autograd mode each forward ran in."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(3))
        self.modes: list[tuple[bool, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.modes.append((torch.is_inference_mode_enabled(), torch.is_grad_enabled()))
        return x * self.scale


def test_the_loop_runs_like_a_bare_inference_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """What keeps evaluation as fast as an expert's loop (bench/eval_throughput.py): every batch
    under torch.inference_mode, and a model already on the device is not moved (Module.to
    walks every tensor); its mode is restored and the results still work in autograd."""
    from designer.evaluation.evaluate import collect_logits

    model = _Linear().train()
    moves: list[object] = []
    monkeypatch.setattr(model, "to", lambda *a, **k: moves.append(a) or model)
    result = evaluate(model, _Scores(), batch_size=4, device="cpu")
    assert result.accuracy == pytest.approx(4 / 6)
    assert model.modes == [(True, False), (True, False)]  # two batches, both inference mode
    assert moves == [] and model.training  # not moved, back in training mode
    logits, _labels = collect_logits(model, _Scores(), batch_size=4, device="cpu")
    temperature = torch.ones(1, requires_grad=True)
    (logits / temperature).sum().backward()  # usable where calibration fits a temperature
    assert temperature.grad is not None
