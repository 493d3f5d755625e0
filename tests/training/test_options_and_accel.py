"""Options round-trip and validation; device, precision and channels_last choices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from designer.training import accel
from designer.training.errors import OptionsError
from designer.training.options import TrainingOptions


def test_options_json_round_trip_ignores_unknown_keys():
    options = TrainingOptions(solver="sgdm", lr=0.05, schedule="onecycle", num_workers=3,
                              keep="last", cache_augmented_views=4)
    data = json.loads(json.dumps(options.to_dict()))
    data["from_a_future_version"] = 1
    assert TrainingOptions.from_dict(data) == options


@pytest.mark.parametrize(("field", "value"), [
    ("solver", "lbfgs"), ("lr", 0), ("epochs", 0), ("batch_size", -1), ("schedule", "poly"),
    ("device", "tpu"), ("mixed_precision", "fp8"), ("num_workers", -2), ("num_workers", "many"),
    ("grad_clip", -1.0), ("keep", "worst"), ("feature_cache", "gpu"),
])
def test_invalid_options_name_the_field(field, value):
    with pytest.raises(OptionsError, match=field):
        TrainingOptions(**{field: value})


def test_cuda_requested_without_gpu_is_an_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(OptionsError, match="no CUDA GPU"):
        accel.resolve_device("cuda")
    assert accel.resolve_device("auto").type == "cpu"


def test_channels_last_auto_only_for_conv_nets():
    conv = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(12, 2))
    assert accel.resolve_channels_last("auto", conv)[0] is True
    assert accel.resolve_channels_last("auto", mlp)[0] is False
    assert accel.resolve_channels_last("off", conv)[0] is False


def test_precision_choices_on_cpu(monkeypatch):
    cpu = torch.device("cpu")
    assert accel.resolve_precision("off", cpu)[0] is None
    assert accel.resolve_precision("bf16", cpu)[0] is torch.bfloat16
    for forced, expected in (("1", torch.bfloat16), ("0", None)):
        monkeypatch.setenv("NETDESIGNER_CPU_BF16", forced)
        accel.cpu_bf16_is_faster.cache_clear()
        dtype, reason = accel.resolve_precision("auto", cpu)
        assert dtype is expected and "auto" in reason
    accel.cpu_bf16_is_faster.cache_clear()


def test_auto_workers_leave_small_cpus_alone(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert accel.resolve_num_workers("auto", torch.device("cpu")) == 0
    assert accel.resolve_num_workers(3, torch.device("cpu")) == 3


def test_channels_last_inputs_and_autocast():
    chosen = accel.Acceleration(torch.device("cpu"), torch.bfloat16, True, 0)
    x = chosen.batch_to_device(torch.randn(2, 3, 8, 8))
    assert x.is_contiguous(memory_format=torch.channels_last)
    assert chosen.batch_to_device(torch.randn(2, 5)).shape == (2, 5)  # 2-D features pass through
    with chosen.autocast():
        assert (torch.randn(2, 4) @ torch.randn(4, 2)).dtype == torch.bfloat16
    assert chosen.precision == "bf16" and not chosen.needs_grad_scaler


def test_cpu_bf16_verdict_is_measured_once_per_machine(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A busy moment cannot flip the choice: the first verdict is kept in the cache folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("NETDESIGNER_CPU_BF16", raising=False)
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True)
    monkeypatch.setattr(accel, "_probe", lambda: (2.0, 1.0))  # bf16 twice as fast
    accel.cpu_bf16_is_faster.cache_clear()
    try:
        assert accel.cpu_bf16_is_faster()
        monkeypatch.setattr(accel, "_probe", lambda: (1.0, 2.0))  # now the machine is loaded
        accel.cpu_bf16_is_faster.cache_clear()  # a new process
        assert accel.cpu_bf16_is_faster()
        options = TrainingOptions(device="cpu", num_workers=0)
        resolved = accel.choose(options, nn.Conv2d(3, 3, 3)).resolved()
        assert resolved == {"device": "cpu", "mixed_precision": "bf16", "channels_last": "on",
                            "num_workers": 0}
    finally:
        accel.cpu_bf16_is_faster.cache_clear()
