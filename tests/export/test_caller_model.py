"""Exporting never changes the model the app is still editing or training."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import Tensor, fx

from designer.export import FORMATS, SUFFIXES, Format, export_model

pytestmark = pytest.mark.filterwarnings("error")


@pytest.mark.parametrize("fmt", FORMATS)
def test_modes_weights_and_grad_flags_unchanged(
    fmt: Format, tiny: fx.GraphModule, tiny_input: Tensor, tmp_path: Path
) -> None:
    tiny.train()
    tiny.get_submodule("stem").eval()  # a mixed state, as a frozen backbone has
    tiny.get_submodule("block").requires_grad_(False)
    modes = {name: m.training for name, m in tiny.named_modules()}
    grads = {name: p.requires_grad for name, p in tiny.named_parameters()}
    state = {k: v.clone() for k, v in tiny.state_dict().items()}
    code = tiny.code

    export_model(
        tiny,
        fmt,
        tmp_path / f"m{SUFFIXES[fmt]}",
        example_input=tiny_input,
    )

    assert {name: m.training for name, m in tiny.named_modules()} == modes
    assert {name: p.requires_grad for name, p in tiny.named_parameters()} == grads
    for key, value in tiny.state_dict().items():
        assert torch.equal(value, state[key]), key
    assert tiny.code == code


def test_export_uses_eval_mode_even_for_a_training_model(tiny: fx.GraphModule, tmp_path: Path) -> None:
    """BN in train mode would normalise by batch statistics; the export must not."""
    tiny.train()
    x = torch.randn(4, 3, 16, 16)

    report = export_model(tiny, "pt2", tmp_path / "m.pt2", example_input=x)

    loaded = torch.export.load(str(report.path)).module()
    tiny.eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(x[:1]), tiny(x[:1]), atol=1e-5, rtol=1e-5)
