"""The product's claim on real photos: pretrained features beat random ones, quickly."""

from __future__ import annotations

from pathlib import Path

import pytest

from designer.data import tuxpaint_source
from designer.project.data_config import SAMPLE_TUXPAINT, DataConfig, prepare_data
from designer.project.workflow import WorkflowError, train_design
from designer.surgery.opening import open_model
from designer.training.options import TrainingOptions

needs_photos = pytest.mark.skipif(
    tuxpaint_source() is None,
    reason="Tux Paint photos missing: apt-get install tuxpaint-stamps-default")


def _frozen_backbone_run(weights: str, tmp_path: Path) -> tuple[float, float]:
    design = open_model("efficientnet_lite0_bundled", weights, input_size=160)
    data = prepare_data(DataConfig(source=SAMPLE_TUXPAINT, image_size=160),
                        design.info.preprocessing)
    design.replace_head(len(data.classes), class_names=data.classes)
    design.freeze_backbone()
    options = TrainingOptions(epochs=30, batch_size=32, lr=3e-3, num_workers=0, seed=0)
    run = train_design(design, data, options, runs_root=tmp_path / weights)
    assert run.summary.feature_cache == "memory", "a frozen backbone must train on cached features"
    return float(run.summary.best_val_acc), float(run.evaluation.accuracy)


@pytest.mark.slow
@pytest.mark.needs_photos
@needs_photos
def test_pretrained_lite0_beats_random_weights_on_real_photos(tmp_path: Path) -> None:
    pretrained_val, pretrained_test = _frozen_backbone_run("bundled", tmp_path)
    random_val, random_test = _frozen_backbone_run("none", tmp_path)
    assert pretrained_val >= 0.80
    assert pretrained_test >= 0.75
    assert random_val <= pretrained_val - 0.15
    assert random_test <= pretrained_test - 0.15


def test_training_refuses_a_head_that_does_not_match_the_classes(tmp_path: Path) -> None:
    design = open_model("squeezenet1_1", input_size=32)
    data = prepare_data(DataConfig(image_size=32), design.info.preprocessing, check_health=False)
    with pytest.raises(WorkflowError, match="Replace the final layers"):
        train_design(design, data, TrainingOptions(epochs=1), runs_root=tmp_path)
    assert not any(tmp_path.iterdir()), "a refused run leaves no run folder"
