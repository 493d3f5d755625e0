"""Model preprocessing and augmentation; previews show exactly what training sees."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.transforms import v2

from designer.data.loading import load_rgb_tensor
from designer.data.transforms import (
    AugmentOptions,
    augmented_previews,
    build_transforms,
    without_normalize,
)
from designer.zoo.preprocessing import Preprocessing

MakeImage = Callable[..., Path]
PRE = Preprocessing(resize_size=73, crop_size=64, mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.3))


def test_eval_transform_matches_the_models_preprocessing(tmp_path: Path, make_image: MakeImage) -> None:
    path = make_image(tmp_path / "x.png", size=(120, 90))
    ours = build_transforms(PRE, None, train=False)(load_rgb_tensor(path))
    expected = v2.Compose(
        [
            v2.ToImage(),
            v2.Resize(73, antialias=True),
            v2.CenterCrop(64),
            v2.ToDtype(torch.float32, scale=True),
            v2.Normalize([0.5, 0.4, 0.3], [0.2, 0.25, 0.3]),
        ]
    )(Image.open(path).convert("RGB"))
    assert ours.shape == (3, 64, 64)
    assert torch.allclose(ours, expected, atol=1e-5)


def test_image_size_overrides_the_crop_keeping_the_ratio() -> None:
    transform = build_transforms(Preprocessing(), None, train=False, image_size=32)
    out = transform(torch.zeros(3, 100, 50, dtype=torch.uint8))
    assert out.shape == (3, 32, 32)
    resize = next(t for t in transform.transforms if isinstance(t, v2.Resize))
    assert resize.size == [37]  # 256 * 32 / 224 rounded


def test_training_without_augmentation_is_the_eval_pipeline() -> None:
    image = torch.randint(0, 256, (3, 80, 70), dtype=torch.uint8)
    train = build_transforms(PRE, AugmentOptions(), train=True)
    evaluate = build_transforms(PRE, None, train=False)
    assert not AugmentOptions().enabled
    assert torch.equal(train(image), evaluate(image))


def test_every_augmentation_option_changes_the_output() -> None:
    image = torch.randint(0, 256, (3, 80, 70), dtype=torch.uint8)
    base = build_transforms(PRE, None, train=False)(image)
    options = [
        AugmentOptions(hflip=True),
        AugmentOptions(vflip=True),
        AugmentOptions(rotation_degrees=30),
        AugmentOptions(scale=(0.3, 0.6)),
        AugmentOptions(translate=0.2),
        AugmentOptions(brightness=0.5),
        AugmentOptions(contrast=0.5),
        AugmentOptions(saturation=0.5),
        AugmentOptions(hue=0.2),
    ]
    for aug in options:
        assert aug.enabled
        transform = build_transforms(PRE, aug, train=True)
        torch.manual_seed(0)
        outs = [transform(image) for _ in range(4)]
        assert all(o.shape == (3, 64, 64) for o in outs), aug
        assert any(not torch.allclose(o, base) for o in outs), aug


def test_augment_options_round_trip_through_dict() -> None:
    aug = AugmentOptions.recommended()
    assert AugmentOptions.from_dict(aug.to_dict()) == aug
    assert AugmentOptions.from_dict({"hflip": True, "future_option": 1}) == AugmentOptions(hflip=True)


def test_previews_differ_match_eval_size_and_repeat_for_a_seed(tmp_path: Path, make_image: MakeImage) -> None:
    path = make_image(tmp_path / "x.jpg", size=(160, 120))
    aug = AugmentOptions.recommended()

    state = torch.random.get_rng_state()
    previews = augmented_previews(path, PRE, aug, n=6, seed=1)
    assert torch.equal(state, torch.random.get_rng_state()), "caller's RNG must be untouched"

    assert len(previews) == 6
    assert all(p.size == (64, 64) and p.mode == "RGB" for p in previews)
    arrays = [np.asarray(p) for p in previews]
    assert len({a.tobytes() for a in arrays}) == 6
    again = augmented_previews(path, PRE, aug, n=6, seed=1)
    assert [np.asarray(p).tobytes() for p in again] == [a.tobytes() for a in arrays]
    other = augmented_previews(path, PRE, aug, n=6, seed=2)
    assert [np.asarray(p).tobytes() for p in other] != [a.tobytes() for a in arrays]


def test_previews_are_the_training_transform_before_normalisation(
    tmp_path: Path, make_image: MakeImage
) -> None:
    path = make_image(tmp_path / "x.png", size=(90, 90))
    aug = AugmentOptions(hflip=True, rotation_degrees=20, scale=(0.5, 1.0), brightness=0.3)
    previews = augmented_previews(path, PRE, aug, n=3, seed=7, image_size=48)

    train = build_transforms(PRE, aug, train=True, image_size=48)
    torch.manual_seed(7)
    image = load_rgb_tensor(path)
    for preview in previews:
        normalised = train(image)
        shown = v2.functional.to_dtype(v2.functional.pil_to_tensor(preview), torch.float32, scale=True)
        restored = normalised * torch.tensor(PRE.std)[:, None, None] + torch.tensor(PRE.mean)[:, None, None]
        assert torch.allclose(shown, restored.clamp(0, 1), atol=1 / 255 + 1e-6)


def test_without_normalize_drops_only_normalize() -> None:
    transform = build_transforms(PRE, AugmentOptions(hflip=True), train=True)
    stripped = without_normalize(transform)
    assert len(stripped.transforms) == len(transform.transforms) - 1
    assert not any(isinstance(t, v2.Normalize) for t in stripped.transforms)


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic", "nearest"])
def test_interpolation_comes_from_the_model(interpolation: str) -> None:
    pre = Preprocessing(resize_size=40, crop_size=32, interpolation=interpolation)
    resize = next(t for t in build_transforms(pre).transforms if isinstance(t, v2.Resize))
    assert resize.interpolation.value == interpolation


@pytest.mark.parametrize("policy", ["randaugment", "trivialaugment"])
def test_policy_presets_show_in_the_preview_and_repeat_for_a_seed(
    policy: str, tmp_path: Path, make_image: MakeImage
) -> None:
    path = make_image(tmp_path / "x.jpg", size=(160, 120))
    plain = AugmentOptions(hflip=True)
    preset = AugmentOptions(hflip=True, policy=policy, magnitude=15)
    assert preset.enabled and AugmentOptions(policy=policy).enabled
    steps = build_transforms(PRE, preset, train=True).transforms
    expected = v2.RandAugment if policy == "randaugment" else v2.TrivialAugmentWide
    assert sum(isinstance(t, expected) for t in steps) == 1
    ours = [np.asarray(p).tobytes() for p in augmented_previews(path, PRE, preset, n=6, seed=3)]
    without = [np.asarray(p).tobytes() for p in augmented_previews(path, PRE, plain, n=6, seed=3)]
    assert sum(a != b for a, b in zip(ours, without, strict=True)) >= 4  # the preset changes them
    again = [np.asarray(p).tobytes() for p in augmented_previews(path, PRE, preset, n=6, seed=3)]
    assert again == ours
    assert AugmentOptions.from_dict(preset.to_dict()) == preset


def test_policy_values_are_checked() -> None:
    with pytest.raises(ValueError, match="augmentation policy 'autoaugment' is not one of"):
        AugmentOptions(policy="autoaugment")
    with pytest.raises(ValueError, match="RandAugment magnitude must be a whole number from 0 to 30"):
        AugmentOptions(policy="randaugment", magnitude=31)
