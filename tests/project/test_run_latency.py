"""One latency figure per architecture: the same design gets the same figure in every run."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from designer.core.serialization import network_to_dict
from designer.project import run_latency
from designer.project.run_latency import design_latency, structure_digest, time_model
from designer.surgery.design import Design
from designer.surgery.opening import open_model


@pytest.fixture
def design() -> Design:
    return open_model("mobilenet_v3_small", weights="none")


def test_same_design_gets_the_same_figure_and_is_timed_once(
        design: Design, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    timed = []
    real = run_latency.time_model

    def counting(model: torch.nn.Module, size: int) -> run_latency.Latency:
        timed.append(size)
        return real(model, size, warmup=1, repeats=3)

    monkeypatch.setattr(run_latency, "time_model", counting)
    network = network_to_dict(design.snapshot().document())
    first = design_latency(network, design.build(), 48)
    design.freeze_backbone()  # a second run that only freezes differently: same network
    second = design_latency(network_to_dict(design.snapshot().document()), design.build(), 48)
    assert second == first and timed == [48], "a second run of the same network is not re-timed"
    assert first.ms > 0 and first.spread_ms >= 0
    design_latency(network, design.build(), 64)
    assert timed == [48, 64], "another input size is another figure"


def test_structure_digest_ignores_training_only_settings(design: Design) -> None:
    network = network_to_dict(design.snapshot().document())
    layers = [dict(ly, frozen=not ly.get("frozen"), lr_factor=0.1) for ly in network["layers"]]
    assert structure_digest({**network, "layers": layers}, 48) == structure_digest(network, 48)
    assert structure_digest(network, 48) != structure_digest(network, 64)
    with pytest.raises(ValueError, match="image_size"):
        structure_digest(network, 0)


def test_time_model_reports_median_and_spread() -> None:
    latency = time_model(torch.nn.Conv2d(3, 4, 3), 16, warmup=1, repeats=5)
    assert latency.ms > 0 and latency.spread_ms >= 0
    with pytest.raises(ValueError, match="repeats"):
        time_model(torch.nn.Conv2d(3, 4, 3), 16, repeats=1)
