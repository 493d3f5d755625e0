"""An imported design, opaque nodes included, saves and reopens as data; a hand-edited opaque
node that names an operator outside torch's core set is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

import designer
from designer.core.trust import TrustStore
from designer.project.design_io import DesignLoadError, load_design, save_design


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.clamp(self.conv(x), -0.5, 0.5)
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, designer.Design]:
    archive = tmp_path / "net.pt2"
    torch.export.save(torch.export.export(Net().eval(), (torch.randn(1, 3, 16, 16),)), archive)
    design = designer.open_file(archive, trust_store=TrustStore(tmp_path / "t.json")).design
    assert design is not None and any(ly.kind == "OpaqueOp" for ly in design.network)
    return save_design(design, tmp_path / "project"), design


def test_imported_design_with_an_opaque_node_reopens(saved: tuple[Path, designer.Design]) -> None:
    path, design = saved
    reopened = load_design(path)
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        assert torch.equal(reopened.build()(x), design.build()(x))


def test_an_opaque_node_naming_a_non_core_operator_is_refused(
        saved: tuple[Path, designer.Design]) -> None:
    path, _design = saved
    text = path.read_text()
    for operator in ("from_file.default", "_local_scalar_dense.default"):
        path.write_text(text.replace("clamp.default", operator))
        with pytest.raises(DesignLoadError, match=r"does not run from files|not an aten"):
            load_design(path)
    data = json.loads(text)
    assert "clamp.default" in json.dumps(data)  # the spec is plain JSON data in the file
