"""Must-show: the generated train.py, run headless, reproduces the app's training run; DDP works.

Measured here (2 shared CPU cores, one thread each side, 4 shapes classes, 28 train / 12 val
images at 32 px, resnet18 with a frozen stem, 2 epochs, augmentation on): the script's per-epoch
losses and validation accuracies equal the app's (differences 0) and its trained weights are
bit-identical. The stated tolerance is looser, so the test survives other CPUs' kernels: each
epoch's validation accuracy within one validation image, losses within 1e-3 (relative).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import safetensors.torch
import torch

from designer.data import (
    AugmentOptions,
    SplitManifest,
    datasets_from_manifest,
    generated_dataset,
    scan,
    split_scan,
)
from designer.export.codegen import (
    SCRIPT_NAME,
    import_script,
    load_script_weights,
    script_weights,
    write_script_bundle,
)
from designer.export.codegen.network import network_code
from designer.surgery.design import Design
from designer.surgery.opening import open_model
from designer.training import TrainingOptions
from designer.training.loop import fit

SIZE = 32
OPTIONS = TrainingOptions(epochs=2, batch_size=8, seed=3, mixed_precision="off", num_workers=0)
TIMEOUT = 300


def edited_resnet() -> Design:
    """Head replaced (torchvision), Dropout inserted before it, a frozen prefix, LR factors."""
    torch.manual_seed(0)
    design = open_model("resnet18", "none", input_size=SIZE)
    design.replace_head(4)
    design.insert_layer("flatten", "Dropout", p=0.2)
    design.freeze(up_to="layer1_1_relu_1")
    design.set_lr_factor(["layer4_1_conv1", "layer4_1_conv2"], 0.5)
    return design


def block_edits() -> Design:
    """A layer inserted inside a residual block and another deleted: still assignments only."""
    design = open_model("resnet18", "none", input_size=SIZE)
    design.replace_head(4)
    design.insert_layer("layer2_0_conv2", "Dropout2d", p=0.1)
    design.delete_layer("layer3_1_bn2")
    return design


def rewired_block() -> Design:
    """A shared layer deleted inside a block: the script falls back to writing the forward pass."""
    design = open_model("resnet18", "none", input_size=SIZE)
    design.replace_head(4)
    design.delete_layer("layer1_0_relu")
    return design


def timm_head() -> Design:
    """timm's EfficientNet-Lite0 (random weights) with a new head and a frozen backbone."""
    from designer.zoo.bundled import LITE0

    design = open_model(LITE0, "none", input_size=SIZE)
    design.replace_head(4, dropout=0.3)
    design.freeze_backbone()
    return design


DESIGNS = {"head_freeze_lr": edited_resnet, "block_edits": block_edits,
           "rewired_block": rewired_block, "timm_head": timm_head}


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> SplitManifest:
    root = generated_dataset(tmp_path_factory.mktemp("shapes"), classes=4, per_class=12, size=48)
    return split_scan(scan(root), (0.6, 0.25, 0.15), seed=0)


@pytest.fixture
def one_thread() -> Iterator[None]:
    """The app and the script each compute on one thread, so reductions run in the same order."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    if Path("/sys/class/net/lo").exists():
        env["GLOO_SOCKET_IFNAME"] = "lo"  # DDP over loopback only
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=TIMEOUT, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


#: (design, options): every kind of edit with the standard recipe, the fine-tune recipe, and the
#: regularisers (balanced sampler, MixUp + CutMix, model EMA, RandAugment)
CASES = [(edits, "standard") for edits in DESIGNS] + [("head_freeze_lr", "finetune"),
                                                        ("head_freeze_lr", "regularisers")]
RECIPES = {
    "standard": OPTIONS,
    # head first, then the whole network with discriminative learning rates
    "finetune": OPTIONS.replace(recipe="finetune", head_epochs=1, finetune_lr_ratio=0.5,
                                class_weights="balanced"),
    "regularisers": OPTIONS.replace(sampler="balanced", mixup_alpha=0.4, cutmix_alpha=1.0,
                                    ema_decay=0.6),
}


@pytest.mark.slow
@pytest.mark.usefixtures("one_thread")
@pytest.mark.parametrize(("edits", "recipe"), CASES, ids=[f"{e}-{r}" for e, r in CASES])
def test_script_reproduces_the_apps_run(edits: str, recipe: str, shapes: SplitManifest,
                                        tmp_path: Path) -> None:
    design = DESIGNS[edits]()
    options = RECIPES[recipe]
    source_form = network_code(design)
    assert source_form.minimal == (edits != "rewired_block")
    augment = AugmentOptions.recommended()
    if recipe == "regularisers":
        augment = dataclasses.replace(augment, policy="randaugment", magnitude=12)
    script = write_script_bundle(tmp_path / "bundle", design, options, shapes, augment, SIZE)
    sets = datasets_from_manifest(shapes, design.info.preprocessing, augment, image_size=SIZE)
    model = design.build()
    app = fit(model, sets["train"], sets["val"], options, lr_factors=design.lr_factors(), augmented=True)
    assert app.ok, app.message

    help_text = run([sys.executable, str(script), "--help"], tmp_path).stdout
    assert "--data-root" in help_text and "--epochs" in help_text
    output = run([sys.executable, str(script), "--out-dir", str(tmp_path / "out")], tmp_path).stdout
    assert "epoch 2/2" in output and "val: accuracy" in output and "confusion matrix" in output
    assert ("phase 2 from epoch 2" in output) == (options.recipe == "finetune")
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))

    n_val = len(sets["val"])
    app_epochs = app.history.to_dict()["validations"]
    assert [h["epoch"] for h in results["history"]] == [v["epoch"] for v in app_epochs] == [1, 2]
    for ours, theirs in zip(results["history"], app_epochs, strict=True):
        assert abs(ours["val_acc"] - theirs["val_acc"]) <= 1 / n_val + 1e-9
        assert ours["train_loss"] == pytest.approx(theirs["train_loss"], rel=1e-3)
        assert ours["val_loss"] == pytest.approx(theirs["val_loss"], rel=1e-3)
    assert app.best_val_acc is not None
    assert abs(results["evaluation"]["val"]["accuracy"] - app.best_val_acc) <= 1 / n_val + 1e-9
    trained = safetensors.torch.load_file(str(tmp_path / "out" / "trained.safetensors"))
    kept = {source_form.rename(k): v for k, v in model.state_dict().items()}
    assert set(kept) == set(trained)
    assert max(float((kept[k].float() - trained[k].float()).abs().max()) for k in kept) <= 1e-3

    # the app loads the script's trained weights back into the design (the script's tensor names
    # differ where it nests a layer): the design then predicts what the script's network does
    load_script_weights(design, tmp_path / "out" / "trained.safetensors")
    assert design.history.undo_label.startswith("Load weights trained by train.py")
    network = import_script(script).build_model(tmp_path / "out" / "trained.safetensors").eval()
    x = torch.randn(3, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.equal(design.build().eval()(x), network(x))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_two_process_ddp_trains_and_loads_back(shapes: SplitManifest, tmp_path: Path) -> None:
    design = edited_resnet()
    folder = tmp_path / "bundle"
    write_script_bundle(folder, design, OPTIONS, shapes, None, SIZE, distributed=True)
    moved = tmp_path / "images"
    shutil.copytree(shapes.root, moved)  # --data-root points the split at another folder
    output = run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                  "--master_addr", "127.0.0.1", "--master_port", str(free_port()),
                  str(folder / SCRIPT_NAME), "--epochs", "1", "--data-root", str(moved),
                  "--out-dir", str(tmp_path / "out")], tmp_path).stdout
    assert output.count("epoch 1/1") == 1  # only process 0 prints
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert results["processes"] == 2 and len(results["history"]) == 1

    model = design.build()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    # the script names the head "fc.1" (its Dropout and Linear share an nn.Sequential)
    trained = script_weights(design, tmp_path / "out" / "trained.safetensors")
    model.load_state_dict(trained, strict=True)
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    changed = {k for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert "fc.weight" in changed and "layer4.1.conv2.weight" in changed
    assert not changed & frozen  # frozen layers stayed frozen in every process
    design.apply_state_dict(trained)
    x = torch.randn(2, 3, SIZE, SIZE)
    with torch.no_grad():
        assert torch.allclose(design.build()(x), model.eval()(x), atol=1e-6)
