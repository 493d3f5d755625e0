"""The finder's quick features (zoo module cut before its head, BatchNorm folded) are the
features the opened design's frozen backbone gives, and are kept in the project."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from designer.data import datasets_from_manifest
from designer.search.backbone import head_input_model, pooled_features
from designer.search.finder import find_models, open_candidate
from designer.search.probe import Features, extract_features
from designer.search.shortlist import Candidate
from designer.zoo.bundled import LITE0
from designer.zoo.registry import get_entry
from tests.search.test_finder import _colour_data, empty_hub  # noqa: F401 - fixture

SIZE = 48


def _close(fast: Features, plain: Features) -> None:
    assert fast.test is not None and plain.test is not None
    for got, want in ((fast.pool, plain.pool), (fast.test, plain.test)):
        assert np.array_equal(got[1], want[1]), "same images, same order, same labels"
        scale = max(1.0, float(np.abs(want[0]).max()))
        assert got[0].shape == want[0].shape
        assert float(np.abs(got[0] - want[0]).max()) <= 1e-4 * scale


@pytest.mark.parametrize(("model", "weights"), [(LITE0, "pretrained"),
                                                ("mobilenet_v3_small", "none")])
def test_quick_features_equal_the_opened_designs_frozen_backbone(
        model: str, weights: str, empty_hub: Path, tmp_path: Path) -> None:  # noqa: F811
    data = _colour_data(tmp_path / "data", per_class=10)
    preprocessing = get_entry(model).preprocessing
    datasets = datasets_from_manifest(data.manifest, preprocessing, None, image_size=SIZE)
    design = open_candidate(Candidate(model, weights), data.classes, image_size=SIZE)
    plain = extract_features(design, datasets)

    threads = torch.get_num_threads()
    backbone = head_input_model(model, weights, len(data.classes), SIZE)
    assert backbone is not None
    fast = pooled_features(backbone, datasets, store=tmp_path / "store")
    _close(fast, plain)
    assert fast.head_ready and plain.head_ready
    assert backbone.params == sum(int(t.numel()) for t in design.state_dict().values())
    assert torch.get_num_threads() == threads, "torch's thread setting is given back"
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in backbone.model.modules())

    def no_forward(*_args: object) -> None:
        raise AssertionError("features kept in the project are read, not extracted again")

    again = head_input_model(model, weights, len(data.classes), SIZE)
    assert again is not None
    again.model.forward = no_forward  # type: ignore[method-assign]
    _close(pooled_features(again, datasets, store=tmp_path / "store"), plain)


def test_a_model_with_a_conv_head_is_probed_through_its_design(
        empty_hub: Path, tmp_path: Path) -> None:  # noqa: F811
    assert head_input_model("squeezenet1_1", "none", 3, 32) is None
    data = _colour_data(tmp_path / "data")
    result = find_models(data, [Candidate("squeezenet1_1", "none")], image_size=32, folds=3)
    assert [r.model for r in result.results] == ["squeezenet1_1"] and not result.skipped
