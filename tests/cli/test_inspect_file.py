"""`netdesigner inspect PATH`: a model file ends with its import report; code needs --trust-code."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from designer.cli import main

NET = """
from torch import nn


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(self.pool(self.conv(x)).flatten(1))
"""


def test_inspect_pt2_prints_layers_and_the_import_report(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(4, 2)).eval()
    path = tmp_path / "seq.pt2"
    torch.export.save(torch.export.export(model, (torch.randn(1, 3, 24, 24),)), path)
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Conv2d" in out and "IMPORT REPORT — torch.export archive" in out
    assert "Opaque nodes: 0 (none)" in out and "Numerical check: OK: max |diff|" in out


def test_inspect_python_file_asks_for_trust_code(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "small.py"
    path.write_text(NET)
    assert main(["inspect", str(path), "--class", "Small", "--input-size", "16"]) == 1
    err = capsys.readouterr().err
    assert "runs the Python code in it" in err and "--trust-code" in err
    assert main(["inspect", str(path), "--class", "Small", "--input-size", "16",
                 "--trust-code"]) == 0
    out = capsys.readouterr().out
    assert "IMPORT REPORT — Python file" in out and "Small built by Small()" in out
    # remembered: no flag needed the second time
    assert main(["inspect", str(path), "--class", "Small", "--input-size", "16"]) == 0


def test_inspect_mismatched_weights_offers_the_matching_part(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from torchvision.models import resnet18

    path = tmp_path / "r18_5classes.pt"
    torch.save(resnet18(num_classes=5).state_dict(), path)
    assert main(["inspect", "resnet18", "--weights", str(path)]) == 1
    out = capsys.readouterr().out
    assert "WEIGHTS REPORT — 120 of 122 model tensors match the file" in out
    assert "fc.weight: file [5, 512] vs model [1000, 512]" in out and "--load-matching" in out
    assert main(["inspect", "resnet18", "--weights", str(path), "--load-matching",
                 "--input-size", "32"]) == 0
    out = capsys.readouterr().out
    assert "Numerical check: OK" in out and "kept the model's own (random) values" in out
