"""`netdesigner train PROJECT --nproc 2` runs the engine itself under torchrun and equals one process.

Tolerance, and why: each process computes its half of every global batch and
DistributedDataParallel averages the two halves' gradients (each loss weighted by its share of
the batch, designer.training.ddp), so the update is the global batch's mean gradient, as in one
process, up to the order of the floating-point additions (two partial sums instead of one).
That rounding (~1e-7 relative per step) compounds over the steps through AdamW, so we allow
1e-4 relative on every logged loss, 1e-4 absolute on the trained weights, and equal validation
accuracy. Training BatchNorm layers would see half batches (other statistics) and is not
covered by this tolerance: the design here trains its head and one convolution block without
BatchNorm changes (frozen BatchNorm stays in eval mode).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from designer.cli import main
from designer.data import generated_dataset
from designer.project.data_config import DataConfig, prepare_data
from designer.project.project_file import Project, open_project, save_project
from designer.surgery.opening import open_model
from designer.training.options import TrainingOptions

TIMINGS = {"images_per_second", "elapsed", "seconds"}


def _numbers(run_dir: Path) -> dict[str, list[dict[str, float]]]:
    history = json.loads((run_dir / "history.json").read_text(encoding="utf-8"))
    return {part: [{k: v for k, v in row.items() if k not in TIMINGS} for row in rows]
            for part, rows in history.items() if part in ("validations", "epochs")}


@pytest.mark.slow
def test_two_processes_train_like_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = generated_dataset(tmp_path / "data", classes=3, per_class=14, size=40)
    config = DataConfig(source=str(root), image_size=32)
    design = open_model("resnet18", "none", input_size=32)
    data = prepare_data(config, design.info.preprocessing, check_health=False)
    design.replace_head(len(data.classes), class_names=data.classes)
    design.freeze_backbone()
    design.unfreeze(["layer4_1_conv2"])  # a trainable convolution before the pooled head
    options = TrainingOptions(epochs=2, batch_size=8, mixed_precision="off", num_workers=0,
                              seed=3, feature_cache="off")
    save_project(Project(tmp_path / "p", design, config, options, data.manifest))

    assert main(["train", str(tmp_path / "p"), "--json"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert main(["train", str(tmp_path / "p"), "--nproc", "2", "--json"]) == 0
    two = json.loads(capsys.readouterr().out)
    assert two["summary"]["processes"] == 2 and one["summary"]["processes"] == 1
    assert two["summary"]["reason"] == "completed"

    a, b = _numbers(Path(one["run_dir"])), _numbers(Path(two["run_dir"]))
    assert len(a["epochs"]) == len(b["epochs"]) == 2
    for part in ("validations", "epochs"):
        for row_a, row_b in zip(a[part], b[part], strict=True):
            assert row_a.keys() == row_b.keys()
            for key, value in row_a.items():
                if "loss" in key:
                    assert row_b[key] == pytest.approx(value, rel=1e-4), (part, key)
                else:
                    assert row_b[key] == value, (part, key)
    w1 = load_file(str(Path(one["run_dir"]) / "best.safetensors"))
    w2 = load_file(str(Path(two["run_dir"]) / "best.safetensors"))
    assert max(float((w1[k].float() - w2[k].float()).abs().max()) for k in w1) <= 1e-4
    changed = [k for k in w1 if not torch.equal(w1[k], design.state_dict()[k])]
    assert "fc.weight" in changed and "layer4.1.conv2.weight" in changed
    assert len(open_project(tmp_path / "p").runs) == 2
