"""Regularisers and the balanced sampler (issue 16 §1): each changes training the way a user
expects, is recorded in the run, and a run with all of them on is the same in every process."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import Dataset, Subset, WeightedRandomSampler

import designer
from designer.training.callbacks import Callback, Recorder
from designer.training.errors import OptionsError
from designer.training.events import IterationEvent, LogEvent
from designer.training.loop import fit
from designer.training.options import TrainingOptions
from designer.training.recipe import balanced_weights, epoch_order, mix_batch, mix_seed
from designer.training.run_dir import load_checkpoint, load_weights

REPO = Path(designer.__file__).resolve().parent.parent
IMBALANCED = [0] * 40 + [1] * 8 + [2] * 4


def _imbalanced(base: Any) -> Subset[Any]:
    """36 of class 0, 6 of class 1, 3 of class 2 from the tiny three-class set."""
    labels = base.tensors[1].tolist()
    keep = [i for i, y in enumerate(labels) if y == 0][:36] + \
        [i for i, y in enumerate(labels) if y == 1][:6] + [i for i, y in enumerate(labels) if y == 2][:3]
    return Subset(base, keep)


class CountingDataset(Dataset[tuple[torch.Tensor, int]]):
    """Counts the labels the loader fetches (what the model is shown)."""

    def __init__(self, inner: Subset[Any]) -> None:
        self.inner, self.seen = inner, torch.zeros(3, dtype=torch.long)
        self.targets = [int(inner[i][1]) for i in range(len(inner))]

    def __len__(self) -> int:
        return len(self.inner)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image, label = self.inner[index]
        self.seen[int(label)] += 1
        return image, int(label)


# -- balanced sampler --------------------------------------------------------------------------

def test_balanced_order_draws_every_class_about_equally_often():
    weights = balanced_weights(IMBALANCED)
    n = len(IMBALANCED)
    totals = torch.zeros(3)
    for epoch in range(1, 21):
        drawn = [i for batch in epoch_order(n, 8, 5, epoch, True, weights=weights) for i in batch]
        counts = torch.bincount(torch.tensor([IMBALANCED[i] for i in drawn]), minlength=3)
        assert counts.min() >= n / 3 * 0.4  # no class starved in any epoch (shuffle: 4 of 52)
        totals += counts
    share = totals / totals.sum()
    assert torch.allclose(share, torch.full((3,), 1 / 3), atol=0.05), share


def test_balanced_order_is_the_draw_of_weighted_random_sampler():
    """The recipe's draw is torch's WeightedRandomSampler with the run's (seed, epoch) generator."""
    weights = balanced_weights(IMBALANCED)
    n = len(IMBALANCED)
    ours = [i for b in epoch_order(n, n, 7, 3, True, weights=weights) for i in b]
    generator = torch.Generator().manual_seed(mix_seed(7, 3))
    assert ours == list(WeightedRandomSampler(weights.tolist(), n, True, generator=generator))


def test_balanced_sampler_shows_the_model_every_class_equally(tiny_data, options):
    data = CountingDataset(_imbalanced(tiny_data(120)))
    fit(torch.fx.symbolic_trace(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(768, 3))),
        data, None, options(epochs=4, feature_cache="off"))
    shuffled = data.seen.clone()
    data.seen.zero_()
    rec = Recorder()
    fit(torch.fx.symbolic_trace(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(768, 3))),
        data, None, options(epochs=4, feature_cache="off", sampler="balanced"), callbacks=[rec])
    assert shuffled.tolist() == [4 * 36, 4 * 6, 4 * 3]  # shuffling shows each image once
    share = data.seen.float() / data.seen.sum()
    assert torch.allclose(share, torch.full((3,), 1 / 3), atol=0.1), data.seen
    log = "\n".join(e.message for e in rec.of_type(LogEvent))
    assert "balanced sampler: each epoch draws 45 training images with replacement" in log


# -- MixUp / CutMix ----------------------------------------------------------------------------

@pytest.mark.parametrize(("mixup", "cutmix"), [(0.4, 0.0), (0.0, 1.0), (0.4, 1.0)])
def test_mixed_targets_are_soft_and_sum_to_one(mixup, cutmix):
    torch.manual_seed(0)
    images, labels = torch.rand(8, 3, 16, 16), torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    mixed, targets = mix_batch(images, labels, 4, mixup, cutmix)
    assert targets.shape == (8, 4)
    torch.testing.assert_close(targets.sum(1), torch.ones(8))
    assert ((targets > 0) & (targets < 1)).any()  # soft, not one-hot
    # each row mixes the image's own class with its neighbour's (the batch rolled by one)
    assert torch.all(targets[torch.arange(8), labels] + targets[torch.arange(8), labels.roll(1)]
                     >= 1 - 1e-6)
    assert not torch.equal(mixed, images) and mixed.shape == images.shape


def test_cutmix_pastes_a_patch_in_the_share_its_target_says():
    torch.manual_seed(1)
    images = torch.stack([torch.full((3, 16, 16), float(i)) for i in range(4)])
    mixed, targets = mix_batch(images, torch.tensor([0, 1, 2, 3]), 4, 0.0, 1.0)
    own = (mixed[0, 0] == 0).float().mean()  # image 0 keeps this share of its pixels
    assert float(targets[0, 0]) == pytest.approx(float(own), abs=1e-6)


def test_mixup_changes_training_and_turns_the_feature_cache_off(tiny_model, tiny_data, options):
    plain = fit(tiny_model(frozen_backbone=True), tiny_data(), None, options(epochs=1))
    rec = Recorder()
    mixed = fit(tiny_model(frozen_backbone=True), tiny_data(), None,
                options(epochs=1, mixup_alpha=0.4), callbacks=[rec])
    assert plain.feature_cache != "off" and mixed.feature_cache == "off"
    assert "MixUp/CutMix mix the images of every batch" in mixed.feature_cache_reason
    assert plain.history.iterations[0]["loss"] != mixed.history.iterations[0]["loss"]
    assert any("MixUp/CutMix on (mixup alpha 0.4" in e.message for e in rec.of_type(LogEvent))


# -- model EMA ---------------------------------------------------------------------------------

class RawWeights(Callback):
    """A hand-made EMA of the raw weights after every step, to check the engine's against."""

    def __init__(self, model: torch.nn.Module, decay: float) -> None:
        self.model, self.decay, self.average, self.raw = model, decay, None, None

    def on_iteration(self, event: IterationEvent) -> None:
        state = {k: v.detach().clone() for k, v in self.model.state_dict().items()
                 if v.is_floating_point()}
        self.raw = state
        if self.average is None:
            self.average = state
        else:
            self.average = {k: self.decay * self.average[k] + (1 - self.decay) * v
                            for k, v in state.items()}


def test_ema_weights_are_the_average_and_are_what_the_run_keeps(tiny_model, tiny_data, options,
                                                                  tmp_path):
    model = tiny_model()
    watch = RawWeights(model, 0.8)
    result = fit(model, tiny_data(), tiny_data(12, seed=1), options(epochs=3, ema_decay=0.8,
                 keep="last", feature_cache="off"), callbacks=[watch], run_dir=tmp_path / "run")
    assert result.ok, result.message
    assert watch.average is not None and watch.raw is not None
    saved = load_weights(tmp_path / "run" / "last.safetensors")
    checkpoint = load_checkpoint(tmp_path / "run")
    averaged = {k[len("module."):]: v for k, v in checkpoint["ema"].items() if k != "n_averaged"}
    for key in ("fc.weight", "conv1.weight", "bn1.running_mean"):
        torch.testing.assert_close(saved[key], watch.average[key], rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(averaged[key], saved[key])
        torch.testing.assert_close(checkpoint["model"][key], watch.raw[key])  # raw kept to resume
        assert not torch.allclose(saved[key], watch.raw[key])
    torch.testing.assert_close(model.state_dict()["fc.weight"], watch.average["fc.weight"],
                               rtol=1e-5, atol=1e-6)  # the model the app goes on with


def test_ema_on_cached_features_averages_the_trained_head(tiny_model, tiny_data, options):
    model = tiny_model(frozen_backbone=True)
    watch = RawWeights(model, 0.7)
    result = fit(model, tiny_data(), tiny_data(12, seed=1),
                 options(epochs=2, ema_decay=0.7, keep="last"), callbacks=[watch])
    assert result.feature_cache != "off"
    assert watch.average is not None
    torch.testing.assert_close(model.fc.weight.detach(), watch.average["fc.weight"],
                               rtol=1e-5, atol=1e-6)


_KILLED_RUN = """
import os, signal, sys, torch
sys.path.insert(0, {repo!r})
from tests.training.conftest import make_model, make_data
from designer.training.callbacks import Callback
from designer.training.loop import fit
from designer.training.options import TrainingOptions

class KillInEpoch3(Callback):
    def on_iteration(self, event):
        if event.epoch == 3:
            os.kill(os.getpid(), signal.SIGKILL)

options = TrainingOptions.from_dict({options!r})
fit(make_model(), make_data(), make_data(12, seed=1), options, run_dir={run!r},
    callbacks=[KillInEpoch3()])
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_resume_after_kill_9_continues_the_same_average(tiny_model, tiny_data, options, tmp_path):
    opts = options(epochs=4, ema_decay=0.8, keep="last", feature_cache="off", sampler="balanced",
                   mixup_alpha=0.3)
    whole = fit(tiny_model(), tiny_data(), tiny_data(12, seed=1), opts, run_dir=tmp_path / "whole")
    assert whole.ok
    run = tmp_path / "killed"
    script = _KILLED_RUN.format(repo=str(REPO), options=opts.to_dict(), run=str(run))
    env = {**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          timeout=300, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    assert int(load_checkpoint(run)["epoch"]) == 2 and "ema" in load_checkpoint(run)
    resumed = fit(tiny_model(), tiny_data(), tiny_data(12, seed=1), opts, run_dir=run,
                  resume_from=run / "checkpoint.pt")
    assert resumed.ok, resumed.message
    a, b = load_weights(tmp_path / "whole" / "last.safetensors"), load_weights(run / "last.safetensors")
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6)


# -- validation, recording, reproducibility ----------------------------------------------------

@pytest.mark.parametrize(("change", "words"), [
    ({"mixup_alpha": -0.2}, "mixup_alpha must be greater than 0 to mix batches, or 0 for off"),
    ({"cutmix_alpha": float("nan")}, "cutmix_alpha must be a finite number"),
    ({"ema_decay": 1.0}, "ema_decay must be between 0 and 1 (exclusive), or 0 for off"),
    ({"ema_decay": -0.5}, "ema_decay must be between 0 and 1"),
    ({"sampler": "oversample"}, "sampler='oversample' is not one of shuffle, balanced"),
])
def test_unworkable_values_are_named(change, words):
    with pytest.raises(OptionsError, match=words.replace("(", r"\(").replace(")", r"\)")):
        TrainingOptions(**change)


def test_settings_are_recorded_and_differ_in_compare(tiny_model, tiny_data, options, tmp_path):
    from designer.project.run_compare import config_diff
    from designer.project.runs import RunRecord

    fit(tiny_model(), tiny_data(24), None, options(epochs=1), run_dir=tmp_path / "a")
    fit(tiny_model(), tiny_data(24), None, options(epochs=1, mixup_alpha=0.2, ema_decay=0.9,
                                                   sampler="balanced"), run_dir=tmp_path / "b")
    rows = dict(config_diff([RunRecord.load(tmp_path / "a"), RunRecord.load(tmp_path / "b")]))
    assert rows["mixup_alpha"] == ["0", "0.2"] and rows["ema_decay"] == ["0", "0.9"]
    assert rows["sampler"] == ["shuffle", "balanced"]


_SAME_SEED = """
import hashlib, sys, torch
sys.path.insert(0, {repo!r})
from designer.data import AugmentOptions, datasets_from_manifest, generated_dataset, scan, split_scan
from designer.training.loop import fit
from designer.training.options import TrainingOptions
from designer.zoo.preprocessing import Preprocessing
from tests.training.conftest import make_model

torch.set_num_threads(1)
split = split_scan(scan(generated_dataset({data!r}, classes=3, per_class=10, size=24)),
                   (0.7, 0.3, 0.0), seed=0)
sets = datasets_from_manifest(split, Preprocessing(), AugmentOptions(policy="randaugment", hflip=True),
                              image_size=16)
options = TrainingOptions.from_dict({options!r})
model = make_model(dropout=0.2)
torch.rand(int(sys.argv[1]))  # each process comes with its own random state: fit must not care
result = fit(model, sets["train"], sets["val"], options, augmented=True)
assert result.ok, result.message
digest = hashlib.sha256()
for key, value in sorted(model.state_dict().items()):
    digest.update(key.encode()); digest.update(value.contiguous().numpy().tobytes())
print(digest.hexdigest())
"""


def test_same_seed_gives_the_same_weights_in_two_processes(options, tmp_path):
    opts = options(epochs=2, seed=11, sampler="balanced", mixup_alpha=0.3, cutmix_alpha=1.0,
                   ema_decay=0.8, class_weights="balanced")
    script = _SAME_SEED.format(repo=str(REPO), data=str(tmp_path / "shapes"),
                               options=opts.to_dict())
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    digests = []
    for draws in ("1", "1000"):
        done = subprocess.run([sys.executable, "-c", script, draws], env=env, capture_output=True,
                              text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        digests.append(done.stdout.strip().splitlines()[-1])
    assert digests[0] == digests[1] and len(digests[0]) == 64
    assert hashlib.sha256(b"").hexdigest() not in digests
