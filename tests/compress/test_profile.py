"""Per-layer profile: every layer timed, blocks add up, the sum is compared with the real forward."""

from __future__ import annotations

import pytest

from designer.compress.profile import ProfileCancelledError, profile_design
from designer.surgery.opening import open_model


def test_profile_times_every_layer_and_adds_blocks_up() -> None:
    design = open_model("resnet18", input_size=32)
    profile = profile_design(design, batch=2, warmup=1, repeats=2)
    computing = {layer.name for layer in design.network if layer.op not in ("input", "output")}
    assert computing <= set(profile.layers), "every layer of the document gets a time"
    assert all(ms >= 0 for ms in profile.layers.values())
    assert profile.batch == 2 and profile.total_ms > 0 and profile.sum_ms > 0
    assert profile.coverage > 0
    assert sum(profile.shares().values()) == pytest.approx(1.0)
    layer1 = [layer.name for layer in design.network if layer.group.startswith("layer1")]
    assert profile.blocks["layer1"] == pytest.approx(sum(profile.layers[n] for n in layer1))
    assert profile.share("layer1") == pytest.approx(profile.blocks["layer1"] / sum(profile.layers.values()))


def test_profile_cancel_and_bad_arguments() -> None:
    design = open_model("resnet18", input_size=32)
    with pytest.raises(ProfileCancelledError):
        profile_design(design, cancel=lambda: True)
    with pytest.raises(ValueError, match="batch"):
        profile_design(design, batch=0)
