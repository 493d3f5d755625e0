"""Is "90 % sure" right 90 % of the time? Reliability bins, expected calibration error (ECE),
and temperature scaling (Guo et al. 2017: one scalar T, logits / T, fitted on validation logits
by minimising the negative log-likelihood with LBFGS).

Temperature scaling never changes which class is predicted (dividing by T > 0 keeps the
order), only how sure the model says it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch.nn import functional

from designer.evaluation.errors import EvaluationError

#: equal-width confidence bins of the reliability diagram and the ECE (the usual 15)
BINS = 15
#: temperatures outside this range mean the fit went wrong (or the logits are degenerate)
MIN_T, MAX_T = 0.05, 100.0


@dataclass(frozen=True)
class ReliabilityBin:
    """Samples whose confidence falls in [lower, upper): how sure vs how often right."""

    lower: float
    upper: float
    count: int
    confidence: float  # mean confidence (0 when empty)
    accuracy: float  # fraction correct (0 when empty)


@dataclass(frozen=True)
class Reliability:
    """A reliability diagram's bins and the expected calibration error they give."""

    bins: tuple[ReliabilityBin, ...]
    ece: float
    samples: int


def reliability(confidences: Sequence[float] | torch.Tensor, correct: Sequence[bool] | torch.Tensor,
                bins: int = BINS) -> Reliability:
    """Bin the top-1 confidences; ECE = Σ (n_b / N) · |accuracy_b − confidence_b|."""
    conf = torch.as_tensor(confidences, dtype=torch.float64).flatten()
    hits = torch.as_tensor(correct, dtype=torch.float64).flatten()
    if conf.numel() != hits.numel():
        raise EvaluationError(f"{conf.numel()} confidences but {hits.numel()} right/wrong flags.")
    if conf.numel() == 0:
        raise EvaluationError("No predictions to measure calibration on.")
    if not isinstance(bins, int) or bins < 1:
        raise EvaluationError(f"bins must be a positive whole number, not {bins!r}")
    if bool(((conf < 0) | (conf > 1) | conf.isnan()).any()):
        raise EvaluationError("Confidences must be probabilities between 0 and 1.")
    # bin b holds (b/B, (b+1)/B]; confidence 0 goes into the first bin
    index = (conf * bins).ceil().long().sub(1).clamp(0, bins - 1)
    out, ece, total = [], 0.0, conf.numel()
    for b in range(bins):
        mask = index == b
        n = int(mask.sum())
        mean_conf = float(conf[mask].mean()) if n else 0.0
        acc = float(hits[mask].mean()) if n else 0.0
        ece += n / total * abs(acc - mean_conf)
        out.append(ReliabilityBin(b / bins, (b + 1) / bins, n, mean_conf, acc))
    return Reliability(tuple(out), ece, total)


def expected_calibration_error(confidences: Sequence[float] | torch.Tensor,
                               correct: Sequence[bool] | torch.Tensor, bins: int = BINS) -> float:
    """The ECE of :func:`reliability` (0 = perfectly calibrated)."""
    return reliability(confidences, correct, bins).ece


def nll(logits: torch.Tensor, labels: torch.Tensor, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of the labels under softmax(logits / T)."""
    logits, labels = _checked(logits, labels)
    return float(functional.cross_entropy(logits / temperature, labels))


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, max_iter: int = 100) -> float:
    """The temperature T > 0 minimising the NLL of softmax(logits / T) on these (validation)
    logits; LBFGS over log T, so T stays positive."""
    logits, labels = _checked(logits, labels)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([log_t], lr=0.1, max_iter=max_iter,
                                  line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = functional.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    optimiser.step(closure)
    temperature = float(log_t.detach().exp())
    if not math.isfinite(temperature) or not MIN_T <= temperature <= MAX_T:
        raise EvaluationError(
            f"Temperature scaling found no sensible temperature ({temperature:.3g}); the "
            "validation split may be too small or the model may predict every image correctly "
            "with full confidence. Keep the model's own probabilities.")
    return temperature


def check_temperature(value: object) -> float:
    """A usable temperature (a finite number > 0), or EvaluationError saying what is wrong."""
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value) or value <= 0:
        raise EvaluationError(f"The temperature must be a number above 0, not {value!r}.")
    return float(value)


def _checked(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(logits, torch.Tensor) or logits.dim() != 2 or logits.shape[0] == 0:
        raise EvaluationError("Calibration needs a non-empty (images x classes) tensor of scores.")
    labels = torch.as_tensor(labels).long().flatten()
    if labels.numel() != logits.shape[0]:
        raise EvaluationError(f"{logits.shape[0]} rows of scores but {labels.numel()} labels.")
    if int(labels.min()) < 0 or int(labels.max()) >= logits.shape[1]:
        raise EvaluationError("A label is outside the model's classes.")
    return logits.detach().double(), labels
