"""The generated train.py is short because it holds only what the run uses (issue 18).

The issue's case: resnet18 with its head replaced by Dropout + Linear(512, 5) and everything up
to layer3 frozen, trained with the default options and augmentation. At filing its script had
731 lines; it must be at most half. Every optional part (early stopping, gradient clipping,
class weights, the fine-tune recipe, torchrun) is written when the run uses it, and the recipe
functions are the engine's, specialised for the run's fixed choices without changing a result.
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import safetensors.torch
import torch

from designer.data import AugmentOptions
from designer.export.codegen import CodegenError, generate_script, script_weights
from designer.export.codegen.recipe_code import specialise
from designer.surgery.design import Design
from designer.surgery.opening import open_model
from designer.training import TrainingOptions, recipe

FILED_LINES = 731
RUFF_RULES = "E,W,F,I,UP,B,SIM,RET,C4,N,BLE,RUF,C90"


def issue_case() -> Design:
    torch.manual_seed(0)
    design = open_model("resnet18", "none", input_size=64)
    design.replace_head(5, dropout=0.2)
    design.freeze(up_to="layer3_1_relu_1")
    return design


@pytest.fixture(scope="module")
def design() -> Design:
    return issue_case()


def script_of(design: Design, options: TrainingOptions, augment: AugmentOptions | None = None,
              **kwargs: object) -> str:
    return generate_script(design, options=options, manifest=None,
                           augment=augment or AugmentOptions.recommended(), image_size=None,
                           **kwargs)  # type: ignore[arg-type]


def ruff_problems(text: str, tmp_path: Path) -> str:
    path = tmp_path / "train.py"
    path.write_text(text, encoding="utf-8")
    compile(text, str(path), "exec")
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).is_file():
        pytest.skip("ruff is not installed")
    result = subprocess.run([ruff, "check", "--isolated", "--line-length", "110", "--select", RUFF_RULES,
                             "--ignore", "N812", "--output-format", "concise", str(path)],
                            capture_output=True, text=True, check=False)
    return "" if result.returncode == 0 else result.stdout


def test_the_issues_resnet18_script_is_at_most_half_of_the_filed_one(design: Design, tmp_path: Path) -> None:
    text = script_of(design, TrainingOptions())
    lines = text.splitlines()
    assert len(lines) <= FILED_LINES // 2  # 365; measured 354
    network = text.split("def build_model(")[1].split("\n\n\n")[0].splitlines()
    assert len(network) <= 20
    assert "    model.fc = nn.Sequential(nn.Dropout(p=0.2), nn.Linear(512, 5))" in network
    assert "    # Replaced the classifier head: 5 classes (was 1000); inserted Dropout before fc" in network
    assert 'FROZEN = ["conv1", "bn1", "layer1", "layer2", "layer3"]' in lines
    assert ruff_problems(text, tmp_path) == ""


OPTIONAL = {  # option changes -> a definition or statement only that run's script holds
    "early stopping": ({"early_stopping_patience": 3}, "def stop_early("),
    "gradient clipping": ({"grad_clip": 1.0}, "nn.utils.clip_grad_norm_("),
    "class weights": ({"class_weights": "balanced"}, "def class_weights("),
    "fine-tune recipe": ({"recipe": "finetune"}, "def finetune_factors("),
    "sgdm momentum": ({"solver": "sgdm"}, '"momentum": 0.9'),
    "step schedule": ({"schedule": "step"}, '"step_size": 10'),
    "balanced sampler": ({"sampler": "balanced"}, "def balanced_weights("),
    "MixUp / CutMix": ({"mixup_alpha": 0.2, "cutmix_alpha": 1.0}, "def mix_batch("),
    "model EMA": ({"ema_decay": 0.99}, "def ema_model("),
}


def test_optional_parts_are_written_only_when_the_run_uses_them(design: Design, tmp_path: Path) -> None:
    plain = script_of(design, TrainingOptions())
    for name, (changes, marker) in OPTIONAL.items():
        assert marker not in plain, name
        assert marker in script_of(design, TrainingOptions().replace(**changes)), name
    assert "DistributedDataParallel" not in plain and "torchrun" not in plain
    assert "DistributedDataParallel(model)" in script_of(design, TrainingOptions(), distributed=True)


def test_every_combination_of_parts_is_valid_python_that_passes_ruff(design: Design, tmp_path: Path) -> None:
    everything: dict[str, object] = {}
    for changes, _ in OPTIONAL.values():
        everything.update(changes)
    randaugment = dataclasses.replace(AugmentOptions.recommended(), policy="randaugment", magnitude=12)
    for options, distributed in itertools.product(
            (TrainingOptions(), TrainingOptions().replace(**everything)), (False, True)):
        text = script_of(design, options, randaugment, distributed=distributed)
        assert "v2.RandAugment(magnitude=12, fill=[124, 116, 104])," in text
        assert ruff_problems(text, tmp_path) == "", (options, distributed)
        assert len(text.splitlines()) <= 500  # everything on, torchrun too: measured 479


def run_function(source: str, name: str) -> object:
    namespace: dict[str, object] = {"math": math, "torch": torch, "nn": torch.nn, "mix_seed": recipe.mix_seed}
    exec(compile(source, f"<{name}>", "exec"), namespace)  # the engine's own source
    return namespace[name]


def test_specialised_recipe_functions_give_the_engines_results() -> None:
    """Dropping the branches a fixed choice rules out changes no result (every choice checked)."""
    source = inspect.getsource
    for schedule in ("none", "step", "cosine", "onecycle"):
        mine = run_function(specialise(source(recipe.lr_multiplier), {"schedule": schedule}), "lr_multiplier")
        for per_epoch, epochs, warmup in ((5, 3, 0.0), (4, 6, 1.5), (1, 2, 0.5)):
            for i in range(per_epoch * epochs):
                args = (i, per_epoch, epochs, schedule, warmup, 2, 0.5)
                assert mine(*args) == recipe.lr_multiplier(*args), (schedule, args)  # type: ignore[operator]
    groups = [{"params": [torch.nn.Parameter(torch.zeros(2))]}]
    for solver in ("sgdm", "adam", "adamw", "rmsprop"):
        mine = run_function(specialise(source(recipe.build_optimizer), {"solver": solver}), "build_optimizer")
        built, engine = mine(groups, solver, 0.1, 0.9), recipe.build_optimizer(groups, solver, 0.1, 0.9)  # type: ignore[operator]
        assert type(built) is type(engine) and built.defaults == engine.defaults
    for precision in ("auto", "off", "bf16", "fp16"):
        text = specialise(source(recipe.autocast_dtype), {"precision": precision})
        mine = run_function(text, "autocast_dtype")
        for fast in (False, True):
            args = (precision, torch.device("cpu"), fast)
            assert mine(*args) == recipe.autocast_dtype(*args)  # type: ignore[operator]
    assert "onecycle" not in specialise(source(recipe.lr_multiplier), {"schedule": "cosine"})
    shuffled = run_function(specialise(source(recipe.epoch_order), {"weights": None}), "epoch_order")
    for train, world in itertools.product((True, False), (1, 2)):
        args = (23, 4, 5, 2, train, world)
        assert shuffled(*args) == recipe.epoch_order(*args)  # type: ignore[operator]
    assert "multinomial" not in specialise(source(recipe.epoch_order), {"weights": None})
    assert specialise(source(recipe.mix_seed), {"schedule": "step"}) == source(recipe.mix_seed)


def test_weights_of_another_design_or_a_broken_file_are_refused_plainly(design: Design,
                                                                        tmp_path: Path) -> None:
    other = open_model("resnet18", "none", input_size=64)
    other.replace_head(3)
    path = tmp_path / "trained.safetensors"
    safetensors.torch.save_file({k: v.contiguous() for k, v in other.build().state_dict().items()}, str(path))
    with pytest.raises(CodegenError, match=r"not trained from this design: fc\.(weight|bias) has shape \(3,"):
        script_weights(design, path)
    path.write_bytes(b"not a safetensors file")
    with pytest.raises(CodegenError, match="not a readable safetensors file"):
        script_weights(design, path)
