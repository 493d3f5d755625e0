"""Where and how fast to run: device, mixed precision, channels_last and loader workers.

"auto" choices are made here, once, and explained in words for the run log. On a CPU, bf16
autocast is only chosen when a tiny microbenchmark shows it clearly faster than fp32 (CPUs
without native bf16 emulate it and get slower). The benchmark's verdict is cached per machine
(CPU model, core count, torch version) in the user's cache folder, so a busy moment cannot flip
it between runs; every run also records what was resolved (:meth:`Acceleration.resolved`) and
a re-run passes those values instead of "auto". ``NETDESIGNER_CPU_BF16=1|0`` overrides both.
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from designer.training.errors import OptionsError
from designer.training.options import TrainingOptions
from designer.training.recipe import autocast_dtype
from designer.zoo.cache import read_json, update_json, user_cache_dir

# bf16 must beat fp32 by this factor on the probe, so noise cannot flip the choice between runs.
_BF16_MARGIN = 1.2


@dataclass(frozen=True)
class Acceleration:
    """The resolved execution settings of one run, with the reasons shown in the run log."""

    device: torch.device
    amp_dtype: torch.dtype | None
    channels_last: bool
    num_workers: int
    reasons: tuple[str, ...] = ()

    @property
    def precision(self) -> str:
        """"bf16", "fp16" or "fp32" (what the run log and summary say)."""
        return {torch.bfloat16: "bf16", torch.float16: "fp16"}.get(self.amp_dtype, "fp32")  # type: ignore[arg-type]

    @property
    def needs_grad_scaler(self) -> bool:
        """fp16 gradients underflow without loss scaling; bf16 has fp32's range."""
        return self.amp_dtype is torch.float16 and self.device.type == "cuda"

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        """Autocast context for forward passes (a no-op at fp32)."""
        if self.amp_dtype is None:
            yield
            return
        with torch.autocast(device_type=self.device.type, dtype=self.amp_dtype):
            yield

    def resolved(self) -> dict[str, Any]:
        """The choices as option values ("auto" resolved), for the run's records and re-runs."""
        return {"device": self.device.type, "mixed_precision": self.precision.replace("fp32", "off"),
                "channels_last": "on" if self.channels_last else "off",
                "num_workers": self.num_workers}

    def batch_to_device(self, tensor: torch.Tensor) -> torch.Tensor:
        """Move one input tensor, in channels_last when that was chosen and it is an image batch."""
        non_blocking = self.device.type == "cuda"
        tensor = tensor.to(self.device, non_blocking=non_blocking)
        if self.channels_last and tensor.dim() == 4:
            tensor = tensor.contiguous(memory_format=torch.channels_last)
        return tensor


def resolve_device(option: str) -> torch.device:
    """"auto" picks CUDA when present; asking for CUDA without one is an error, not a fallback."""
    if option == "cpu":
        return torch.device("cpu")
    if option == "cuda" and not torch.cuda.is_available():
        raise OptionsError(
            "device='cuda' was requested but no CUDA GPU is available; use device 'auto' or 'cpu'."
        )
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def resolve_precision(option: str, device: torch.device) -> tuple[torch.dtype | None, str]:
    """Autocast dtype (None = fp32, recipe.autocast_dtype) and why."""
    faster = option == "auto" and device.type == "cpu" and cpu_bf16_is_faster()
    dtype = autocast_dtype(option, device, faster)
    if option != "auto":
        return dtype, "mixed precision off: fp32" if dtype is None else \
            f"mixed precision {option} (as requested)"
    if device.type == "cuda":
        return dtype, ("mixed precision auto: bf16 autocast on this GPU" if dtype is torch.bfloat16
                       else "mixed precision auto: fp16 autocast with loss scaling on this GPU")
    if dtype is not None:
        return dtype, "mixed precision auto: bf16 autocast (measured faster on this CPU)"
    return None, "mixed precision auto: fp32 (bf16 is not faster on this CPU)"


def resolve_channels_last(option: str, model: nn.Module) -> tuple[bool, str]:
    """channels_last helps convolutions (1.5x measured on CPU, tensor cores on GPU) only."""
    if option != "auto":
        return option == "on", f"channels_last {option} (as requested)"
    has_conv = any(isinstance(m, nn.Conv2d) for m in model.modules())
    if has_conv:
        return True, "channels_last auto: on (the model has 2-D convolutions)"
    return False, "channels_last auto: off (no 2-D convolutions)"


def resolve_num_workers(option: int | str, device: torch.device) -> int:
    """Loader processes: none on small CPUs, where workers would steal the cores torch computes on."""
    if isinstance(option, int):
        return option
    cpus = os.cpu_count() or 1
    if device.type == "cuda":
        return max(0, min(8, cpus - 1))
    return 0 if cpus <= 4 else min(4, cpus // 4)


def choose(options: TrainingOptions, model: nn.Module) -> Acceleration:
    """Resolve every "auto" in ``options`` for ``model``."""
    device = resolve_device(options.device)
    amp_dtype, why_amp = resolve_precision(options.mixed_precision, device)
    channels_last, why_cl = resolve_channels_last(options.channels_last, model)
    workers = resolve_num_workers(options.num_workers, device)
    reasons = (f"device: {device}", why_amp, why_cl, f"data-loader workers: {workers}")
    return Acceleration(device, amp_dtype, channels_last, workers, reasons)


@functools.cache
def cpu_bf16_is_faster() -> bool:
    """True when bf16 autocast beats fp32 on a small conv forward+backward (decided once per
    machine: the verdict is kept in the user's cache folder)."""
    forced = os.environ.get("NETDESIGNER_CPU_BF16")
    if forced in ("0", "1"):
        return forced == "1"
    if not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return False
    key = f"cpu_bf16 {cpu_name()} x{os.cpu_count()} torch {torch.__version__}"
    cached = read_json(_choices_file()).get(key)
    if isinstance(cached, bool):
        return cached
    fp32, bf16 = _probe()
    faster = fp32 > bf16 * _BF16_MARGIN
    update_json(_choices_file(), key, faster)
    return faster


def _choices_file() -> Path:
    return user_cache_dir() / "machine_choices.json"


def cpu_name() -> str:
    """The CPU model (from /proc/cpuinfo on Linux), so a moved cache folder does not mislead."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _probe(rounds: int = 8) -> tuple[float, float]:
    """Best fp32 and bf16 times of a tiny conv net step (~5 ms each), interleaved so that a
    busy machine slows both alike; randomness is local so the caller's seeds stay intact."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = nn.Sequential(
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1)
        ).to(memory_format=torch.channels_last)
        x = torch.randn(8, 32, 32, 32).contiguous(memory_format=torch.channels_last)
    best = {False: float("inf"), True: float("inf")}
    for round_ in range(rounds + 1):
        for bf16 in (False, True):
            start = time.perf_counter()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                out = net(x).float().sum()
            out.backward()
            if round_:  # the first round warms up oneDNN's kernel caches
                best[bf16] = min(best[bf16], time.perf_counter() - start)
    return best[False], best[True]
