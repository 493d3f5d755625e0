"""Lines of the generated train.py for issue 18's resnet18 case, against the script at filing.

resnet18 (random weights), head replaced by Dropout + Linear(512, 5), everything up to layer3
frozen, the default training options and the recommended augmentation; also the same design with
every optional part on (fine-tune recipe, class weights, early stopping, gradient clipping,
sgdm, step schedule, balanced sampler, MixUp + CutMix, EMA, RandAugment, torchrun). Target: the
issue's case at most half of the 731 lines at filing (ratio <= 0.5).

    python bench/script_length.py [--write PATH]
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import torch

from designer.data import AugmentOptions
from designer.export.codegen import generate_script
from designer.surgery.opening import open_model
from designer.training import TrainingOptions

FILED = 731
TARGET = 0.5
EVERYTHING = {"recipe": "finetune", "class_weights": "balanced", "early_stopping_patience": 3,
              "grad_clip": 1.0, "solver": "sgdm", "schedule": "step", "sampler": "balanced",
              "mixup_alpha": 0.2, "cutmix_alpha": 1.0, "ema_decay": 0.99}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="also write the issue case's script here")
    args = parser.parse_args()
    torch.manual_seed(0)
    design = open_model("resnet18", "none", input_size=64)
    design.replace_head(5, dropout=0.2)
    design.freeze(up_to="layer3_1_relu_1")
    augment = AugmentOptions.recommended()
    text = generate_script(design, options=TrainingOptions(), manifest=None, augment=augment,
                           image_size=None)
    lines = len(text.splitlines())
    print(f"issue 18 resnet18 case: {lines} lines = {lines / FILED:.2f} of the {FILED} at filing "
          f"(target <= {TARGET})")
    full = generate_script(design, options=TrainingOptions().replace(**EVERYTHING), manifest=None,
                           augment=dataclasses.replace(augment, policy="randaugment"),
                           image_size=None, distributed=True)
    print(f"every optional part on + torchrun: {len(full.splitlines())} lines")
    if args.write:
        args.write.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
