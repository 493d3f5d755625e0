"""Run-directory files and reproducible batch order."""

from __future__ import annotations

import csv
import io

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from designer.training.batches import LoaderSource, TensorSource, epoch_order
from designer.training.errors import CheckpointError
from designer.training.history import History
from designer.training.run_dir import RunDir, atomic_write, load_checkpoint, load_weights


def test_weights_with_tied_and_channels_last_tensors_save(tmp_path):
    model = nn.Sequential(nn.Embedding(5, 4), nn.Linear(4, 5), nn.Conv2d(3, 2, 3))
    model[1].weight = model[0].weight  # tied
    model.to(memory_format=torch.channels_last)
    RunDir(tmp_path).save_weights("w.safetensors", model.state_dict())
    loaded = load_weights(tmp_path / "w.safetensors")
    assert torch.equal(loaded["1.weight"], loaded["0.weight"])
    assert torch.equal(loaded["2.weight"], model[2].weight)


def test_atomic_write_leaves_the_old_file_on_failure(tmp_path):
    target = tmp_path / "summary.json"
    target.write_text("old")

    def fail(path):
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, fail)
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


def test_checkpoint_errors_are_clear(tmp_path):
    with pytest.raises(CheckpointError, match="No checkpoint"):
        load_checkpoint(tmp_path)
    (tmp_path / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="Cannot read"):
        load_checkpoint(tmp_path)


def test_history_csv_has_iterations_and_validations():
    history = History(
        iterations=[{"epoch": 1, "iteration": i, "loss": 1.0 / i, "accuracy": 0.5, "lr": 0.1,
                     "images_per_second": 10.0, "elapsed": i} for i in (1, 2)],
        validations=[{"iteration": 2, "epoch": 1, "train_loss": 0.7, "train_acc": 0.5,
                      "val_loss": 0.6, "val_acc": 0.75, "is_best": True}],
    )
    rows = list(csv.DictReader(io.StringIO(history.to_csv())))
    assert [r["kind"] for r in rows] == ["iteration", "iteration", "validation"]
    assert rows[2]["val_acc"] == "0.75"
    assert History.from_dict(history.to_dict()) == history


def test_epoch_order_is_seeded_and_drops_a_single_sample_batch():
    first = epoch_order(17, 4, seed=1, epoch=1, train=True)
    assert first == epoch_order(17, 4, seed=1, epoch=1, train=True)
    assert first != epoch_order(17, 4, seed=1, epoch=2, train=True)
    assert [len(b) for b in first] == [4, 4, 4, 4]  # the 17th sample would be alone
    assert sorted(i for b in epoch_order(17, 4, 1, 1, train=False) for i in b) == list(range(17))


def test_loader_and_tensor_sources_give_the_same_batches():
    data = TensorDataset(torch.arange(10).float()[:, None], torch.arange(10))
    loader = LoaderSource(data, 3, seed=5, train=True)
    tensors = TensorSource([[data.tensors[0]]], data.tensors[1], 3, seed=5, train=True)
    a = [y.tolist() for _, y in loader.batches(2, skip=1)]
    b = [y.tolist() for _, y in tensors.batches(2, skip=1)]
    assert a == b and len(a) == len(loader) - 1
