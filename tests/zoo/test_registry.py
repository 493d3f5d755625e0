"""The registry lists every model with torchvision's own metadata, offline, and builds them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
import torchvision
from torchvision.models import get_model_weights, list_models

from designer.zoo import registry, timm_zoo
from designer.zoo.bundled import LITE0, MOBILENET_V2_BACKBONE
from designer.zoo.download import OFFLINE_MESSAGE
from designer.zoo.errors import OfflineError, UnknownModelError, WeightsChoiceError
from designer.zoo.registry import create_model, get_entry, is_cached, list_entries

TORCHVISION = list_models(module=torchvision.models)


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    """Forget the cached listing so the test sees it being built."""
    caches = (registry._entries_of, registry._index_of, timm_zoo.timm_entries)
    for cache in caches:
        cache.cache_clear()
    yield
    for cache in caches:
        cache.cache_clear()


def test_lists_every_torchvision_classifier_and_the_bundled_models() -> None:
    entries = list_entries()
    by_source = {s: [e.name for e in entries if e.source == s] for s in ("torchvision", "bundled")}
    assert sorted(by_source["torchvision"]) == sorted(TORCHVISION)
    assert len(by_source["torchvision"]) == 80
    assert by_source["bundled"] == [LITE0, MOBILENET_V2_BACKBONE]
    assert len({e.name for e in entries}) == len({e.display_name for e in entries}) == len(entries)


@pytest.mark.parametrize("name", TORCHVISION)
def test_metadata_is_torchvision_default_weights_meta(name: str) -> None:
    weights = get_model_weights(name).DEFAULT
    meta, keywords = weights.meta, weights.transforms.keywords
    entry = get_entry(name)
    assert entry.num_params == meta["num_params"]
    assert entry.acc1 == meta["_metrics"]["ImageNet-1K"]["acc@1"]
    assert entry.acc5 == meta["_metrics"]["ImageNet-1K"]["acc@5"]
    assert entry.gflops == meta["_ops"]
    assert entry.file_size_mb == meta["_file_size"]
    assert entry.min_size == max(meta["min_size"])
    assert entry.categories == tuple(meta["categories"])
    assert entry.weights_label == weights.name
    assert entry.preprocessing.crop_size == keywords["crop_size"]
    assert entry.preprocessing.resize_size == keywords.get("resize_size", 256)
    assert entry.preprocessing.interpolation == keywords.get(
        "interpolation", torchvision.transforms.InterpolationMode.BILINEAR).value
    assert entry.recipe_url == meta["recipe"]


def test_resnet50_reports_its_published_accuracy_and_cost() -> None:
    meta = get_model_weights("resnet50").DEFAULT.meta
    entry = get_entry("resnet50")
    assert entry.acc1 == pytest.approx(meta["_metrics"]["ImageNet-1K"]["acc@1"])
    assert entry.display_name == "ResNet-50"
    assert entry.family == "ResNet"
    assert entry.weights_file_name is not None
    assert entry.weights_file_name.startswith("resnet50-")


def test_every_entry_has_sane_metadata() -> None:
    for entry in list_entries():
        if entry.source == "timm":  # published figures only: some are not published
            assert entry.num_params is None or entry.num_params > 10_000, entry.name
            assert entry.gflops is None or entry.gflops > 0, entry.name
            assert entry.acc1 is None or 0 < entry.acc1 < 100, entry.name
            assert entry.family and entry.architecture and entry.license, entry.name
            continue
        assert entry.num_params is not None and entry.num_params > 100_000, entry.name
        assert entry.gflops is not None and entry.gflops > 0, entry.name
        assert entry.file_size_mb is not None and entry.file_size_mb > 0, entry.name
        assert entry.preprocessing.crop_size >= entry.min_size >= 1, entry.name
        if entry.acc1 is not None:
            assert 50 < entry.acc1 < 100, entry.name
        if entry.acc5 is not None:
            assert entry.acc1 is not None and entry.acc1 < entry.acc5 < 100, entry.name
        assert entry.family and entry.display_name, entry.name
        assert len(entry.categories) in (0, 1000), entry.name


def test_listing_neither_downloads_nor_touches_the_hub_cache(
    fresh_registry: None, hub_dir: Path, user_cache: Path, no_internet: list[str]
) -> None:
    entries = list_entries()
    assert {e.source for e in entries} == {"torchvision", "timm", "bundled"}
    assert no_internet == []
    assert not hub_dir.exists()


def test_unknown_model_names_close_matches() -> None:
    with pytest.raises(UnknownModelError) as caught:
        get_entry("resnet19")
    assert "resnet18" in caught.value.close_matches
    assert "resnet18" in str(caught.value)
    assert "netdesigner models" in str(caught.value)


def test_entries_are_found_by_display_name_too() -> None:
    assert get_entry("ViT-B/16").name == "vit_b_16"
    assert get_entry("efficientnet-lite0 (imagenet, bundled)").name == LITE0


def test_random_weights_model_is_built_in_eval_mode() -> None:
    model = create_model("mobilenet_v3_small")
    assert not model.training
    with torch.no_grad():
        assert model(torch.randn(1, 3, 32, 32)).shape == (1, 1000)


def test_googlenet_has_no_training_only_heads_so_train_mode_returns_logits() -> None:
    model = create_model("googlenet").train()
    assert model.aux1 is None and model.aux2 is None
    out = model(torch.randn(2, 3, 32, 32))
    assert isinstance(out, torch.Tensor) and out.shape == (2, 1000)


@pytest.mark.parametrize("name", ["mobilenet_v3_small", "googlenet"])
def test_pretrained_comes_from_the_hub_cache_without_downloading(
    name: str, hub_dir: Path, no_internet: list[str]
) -> None:
    """A file torchvision downloaded earlier is used as is (googlenet's has extra aux heads)."""
    torch.manual_seed(1)
    source = torchvision.models.get_model(name, aux_logits=True, init_weights=True) \
        if name == "googlenet" else torchvision.models.get_model(name)
    entry = get_entry(name)
    assert entry.weights_file_name is not None
    assert not is_cached(name)
    (hub_dir / "checkpoints").mkdir(parents=True)
    torch.save(source.state_dict(), hub_dir / "checkpoints" / entry.weights_file_name)
    assert is_cached(name)

    model = create_model(name, "pretrained")
    built = model.state_dict()
    assert no_internet == []
    for key, tensor in built.items():
        assert torch.equal(tensor, source.state_dict()[key]), key


def test_pretrained_with_no_network_says_what_to_do(hub_dir: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETDESIGNER_NO_DOWNLOAD", "1")
    with pytest.raises(OfflineError, match="No network: import a weights file or use a bundled"):
        create_model("resnet18", "pretrained")
    assert OFFLINE_MESSAGE.startswith("No network")
    assert not list(hub_dir.rglob("*.pth"))


def test_bundled_weights_on_a_torchvision_model_are_refused_with_alternatives() -> None:
    with pytest.raises(WeightsChoiceError, match=LITE0):
        create_model("resnet18", "bundled")


def test_unknown_weights_choice_is_refused() -> None:
    with pytest.raises(WeightsChoiceError, match="none, pretrained, bundled"):
        create_model("resnet18", "imagenet")
