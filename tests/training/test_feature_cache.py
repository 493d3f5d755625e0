"""Feature caching: when it is used, that the split is exact, and that it trains the same."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import fx, nn

from designer.training.callbacks import Recorder
from designer.training.events import CacheProgressEvent, LogEvent
from designer.training.graph_split import split_frozen_prefix
from designer.training.loop import fit
from designer.training.params import frozen_batchnorm_names, set_train_mode


def _log(rec: Recorder) -> str:
    return "\n".join(e.message for e in rec.of_type(LogEvent))


def _split(model: fx.GraphModule):
    set_train_mode(model, frozen_batchnorm_names(model))
    return split_frozen_prefix(model)


def test_split_is_exact_on_the_tiny_cnn(tiny_model):
    model = tiny_model(frozen_backbone=True, dropout=0.5)
    split, why = _split(model)
    assert split is not None, why
    assert split.boundary == ["flatten"]  # Dropout feeds the trainable head: it stays after
    model.eval()
    x = torch.randn(5, 3, 16, 16)
    assert torch.equal(split.suffix(*split.prefix(x)), model(x))
    assert split.suffix.get_submodule("fc") is model.fc  # training the suffix trains the model


@pytest.mark.parametrize(("name", "trainable"), [
    ("resnet18", ("layer4.1.", "fc.")),  # boundary inside the network: a 4-D feature map
    ("mobilenet_v3_small", ("classifier.3.",)),  # Dropout before the last layer stays trainable
])
def test_split_is_exact_on_torchvision_models(name, trainable):
    torch.manual_seed(0)
    model = fx.symbolic_trace(torchvision.models.get_model(name, weights=None, num_classes=4))
    for pname, param in model.named_parameters():
        param.requires_grad_(pname.startswith(trainable))
    split, why = _split(model)
    assert split is not None, why
    model.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(split.suffix(*split.prefix(x)), model(x), rtol=0, atol=1e-6)
    suffix_modules = {n for n, _ in split.suffix.named_modules()}
    assert not any(n.startswith("features.0") or n == "conv1" for n in suffix_modules)


def test_no_split_when_the_first_layer_trains(tiny_model):
    split, why = _split(tiny_model())
    assert split is None and "nothing" in why


def test_random_op_ends_the_prefix(tiny_model):
    model = tiny_model(frozen_backbone=True)
    graph = model.graph
    conv2 = next(n for n in graph.nodes if n.target == "conv2")
    with graph.inserting_after(conv2):
        noise = graph.call_function(torch.randn_like, (conv2,))
    with graph.inserting_after(noise):
        noisy = graph.call_function(torch.add, (conv2, noise))
    conv2.replace_all_uses_with(noisy, delete_user_cb=lambda user: user not in (noise, noisy))
    model.recompile()
    split, _ = _split(model)
    assert split is not None
    assert "randn_like" not in split.prefix.code and "randn_like" in split.suffix.code


def test_cache_used_automatically_and_logged(tiny_model, tiny_data, options):
    rec = Recorder()
    model = tiny_model(frozen_backbone=True)
    result = fit(model, tiny_data(), tiny_data(seed=1), options(), callbacks=[rec])
    assert result.reason == "completed" and result.feature_cache == "memory"
    assert "features cached: backbone frozen, no augmentation" in _log(rec)
    progress = rec.of_type(CacheProgressEvent)
    assert progress[-1].done == progress[-1].total == 48


def test_cache_not_used_when_augmented_and_says_why(tiny_model, tiny_data, options):
    rec = Recorder()
    result = fit(tiny_model(frozen_backbone=True), tiny_data(), None, options(),
                 augmented=True, callbacks=[rec])
    assert result.feature_cache == "off"
    assert "not used: training images are augmented" in _log(rec)


def test_cache_not_used_for_plain_modules(tiny_data, options):
    rec = Recorder()
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 14 * 14, 3))
    model[0].requires_grad_(False)
    result = fit(model, tiny_data(), None, options(epochs=1), callbacks=[rec])
    assert result.feature_cache == "off" and "not a torch.fx graph" in _log(rec)


def test_augmented_views_are_cached_k_times(tiny_model, tiny_data, options):
    rec = Recorder()
    result = fit(tiny_model(frozen_backbone=True), tiny_data(), None,
                 options(cache_augmented_views=2), augmented=True, callbacks=[rec])
    assert result.feature_cache == "memory"
    stages = {e.stage for e in rec.of_type(CacheProgressEvent)}
    assert stages == {"train pass 1/2", "train pass 2/2"}
    assert "2 augmented views cached, one per epoch in turn" in _log(rec)


@pytest.mark.parametrize("storage", ["memory", "disk"])
def test_cached_training_matches_uncached(tiny_model, tiny_data, options, storage, tmp_path):
    opts = options(epochs=3, channels_last="off")
    uncached = tiny_model(frozen_backbone=True, dropout=0.3)
    a = fit(uncached, tiny_data(), tiny_data(seed=1), opts.replace(feature_cache="off"))
    cached = tiny_model(frozen_backbone=True, dropout=0.3)
    b = fit(cached, tiny_data(), tiny_data(seed=1), opts.replace(feature_cache=storage),
            run_dir=tmp_path / "run")
    assert (a.feature_cache, b.feature_cache) == ("off", storage)
    losses_a = torch.tensor([r["loss"] for r in a.history.iterations])
    losses_b = torch.tensor([r["loss"] for r in b.history.iterations])
    torch.testing.assert_close(losses_b, losses_a, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(cached.fc.weight, uncached.fc.weight, rtol=1e-4, atol=1e-5)
    assert a.best_val_acc == b.best_val_acc
    assert not (tmp_path / "run" / "feature_cache").exists()  # the disk cache is temporary


def test_frozen_batchnorm_statistics_unchanged_with_cache(tiny_model, tiny_data, options):
    model = tiny_model(frozen_backbone=True)
    before = model.bn1.running_mean.clone(), model.bn1.running_var.clone()
    fit(model, tiny_data(), None, options())
    assert torch.equal(model.bn1.running_mean, before[0])
    assert torch.equal(model.bn1.running_var, before[1])


class _SizeQuery(nn.Module):
    """The trainable head reshapes with the input's batch size: not cacheable as a tensor."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = torch.flatten(nn.functional.adaptive_avg_pool2d(self.conv(x), 1), 1)
        return self.fc(pooled).reshape(x.size(0), -1)


def test_falls_back_to_full_training_when_the_split_cannot_be_cached(tiny_data, options):
    model = fx.symbolic_trace(_SizeQuery())
    model.conv.requires_grad_(False)
    rec = Recorder()
    result = fit(model, tiny_data(), None, options(epochs=1), callbacks=[rec])
    assert result.reason == "completed" and result.feature_cache == "off"
    assert "not used: the frozen part passes a non-batch value" in _log(rec)


def test_stop_while_caching_trains_nothing(tiny_model, tiny_data, options):
    model = tiny_model(frozen_backbone=True)
    before = model.fc.weight.detach().clone()
    result = fit(model, tiny_data(), None, options(), should_stop=lambda: True)
    assert result.reason == "stopped" and "while caching" in result.message
    assert result.iterations == 0 and torch.equal(model.fc.weight, before)


class _Jitter(torch.utils.data.Dataset):
    """A random brightness shift per draw, like a transforms.v2 augmentation."""

    def __init__(self, base: torch.utils.data.TensorDataset) -> None:
        self.base = base

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image, label = self.base[index]
        return image + torch.rand(()), int(label)


def test_each_cached_view_is_a_fresh_augmented_pass(tiny_model, tiny_data, options):
    from designer.training.accel import Acceleration
    from designer.training.feature_cache import CacheContext, build_cache

    model = tiny_model(frozen_backbone=True)
    split, _ = _split(model)
    ctx = CacheContext(options(cache_augmented_views=3), Acceleration(torch.device("cpu"), None,
                       False, 0), lambda _e: None, lambda: False, None)
    cache = build_cache(model, split, _Jitter(tiny_data()), None, True, ctx)
    first, second, third = (view[0] for view in cache.train.views)
    assert not torch.equal(first, second) and not torch.equal(second, third)
    again = build_cache(model, split, _Jitter(tiny_data()), None, True, ctx)
    assert torch.equal(again.train.views[1][0], second)  # seeded: the same views every run
