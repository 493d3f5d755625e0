"""Class weights for an imbalanced training set: balanced weights, applied to the loss, logged."""

from __future__ import annotations

import torch
from torch.utils.data import Subset, TensorDataset

from designer.training.callbacks import Recorder
from designer.training.events import LogEvent
from designer.training.loop import fit
from designer.training.recipe import class_weights
from designer.training.samples import dataset_labels


def test_balanced_weights_make_every_class_weigh_the_same():
    labels = [0] * 8 + [1] * 2 + [3] * 2  # class 2 has no image
    weights = class_weights(labels, 4)
    counts = torch.bincount(torch.tensor(labels), minlength=4).float()
    totals = weights * counts
    assert torch.allclose(totals[[0, 1, 3]], torch.full((3,), 4.0))  # n / classes each
    assert weights[2] == 0 and weights[1] == 4 * weights[0]


def test_labels_are_read_without_loading_images(tiny_data):
    data = tiny_data(12)
    assert dataset_labels(data) == [i % 3 for i in range(12)]
    assert dataset_labels(Subset(data, [2, 5])) == [2, 2]
    assert dataset_labels(TensorDataset(torch.zeros(3, 2))) is None


def test_class_weights_change_the_loss_and_are_logged(tiny_model, tiny_data, options):
    base = tiny_data(48)
    keep = [i for i in range(48) if base.tensors[1][i] == 0 or i % 6 == 1]  # mostly class 0
    data = Subset(base, keep)
    plain = fit(tiny_model(frozen_backbone=True), data, None, options(epochs=1))
    rec = Recorder()
    weighted = fit(tiny_model(frozen_backbone=True), data, None,
                   options(epochs=1, class_weights="balanced"), callbacks=[rec])
    log = "\n".join(e.message for e in rec.of_type(LogEvent))
    assert "class weights (balanced, from" in log
    assert plain.history.iterations[0]["loss"] != weighted.history.iterations[0]["loss"]
