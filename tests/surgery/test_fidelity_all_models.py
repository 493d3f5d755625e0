"""Import -> build reproduces every torchvision classifier (outputs and state_dict)."""

from __future__ import annotations

import pytest
import torch
import torchvision

from designer.surgery.build import build_module
from designer.surgery.trace import network_from_module

MODELS = torchvision.models.list_models(module=torchvision.models)
#: train-only auxiliary heads are dropped for fine-tuning (torchvision does the same when it
#: loads pretrained weights), so the comparison uses models built without them
BUILD_KWARGS = {"googlenet": {"aux_logits": False, "init_weights": False},
                "inception_v3": {"aux_logits": False, "init_weights": False}}
#: the smallest input each family accepts; small inputs keep the suite fast on 2 cores
SIZES = {"inception_v3": 75, "googlenet": 32, "alexnet": 63, "squeezenet1_0": 32}


def _size(name: str) -> int:
    if name.startswith(("vit_h_14",)):
        return 224
    if name.startswith(("vit", "swin", "maxvit")):
        return 224
    return SIZES.get(name, 64)


def test_registry_has_all_80_classifiers() -> None:
    assert len(MODELS) >= 80


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_import_then_build_is_identical(name: str) -> None:
    torch.manual_seed(0)
    original = torchvision.models.get_model(name, **BUILD_KWARGS.get(name, {})).eval()
    network, store = network_from_module(original)
    built = build_module(network, store).eval()
    size = _size(name)
    x = torch.randn(1, 3, size, size)
    with torch.no_grad():
        expected, actual = original(x), built(x)
    assert (expected - actual).abs().max().item() <= 1e-5
    a, b = original.state_dict(), built.state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
