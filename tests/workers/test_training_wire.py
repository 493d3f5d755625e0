"""What crosses to the training process comes back as it was sent: every tensor's values,
dtype, shape, strides and gradient flag, parameters shared between modules still shared, and a
design's modules still runnable with the same outputs, also when the setup is pickled in
slices (the GUI thread runs between them)."""

from __future__ import annotations

import threading
from types import MappingProxyType
from typing import Any

import pytest
import torch
from torch import nn

from designer.workers import training_wire
from designer.workers.training_wire import dumps, loads


def _round_trip(message: object, **kwargs: Any) -> Any:
    return loads(dumps(message, **kwargs))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16, torch.float64,
                                   torch.int64, torch.uint8, torch.bool])
def test_tensors_keep_their_values_and_dtype(dtype: torch.dtype) -> None:
    tensor = (torch.arange(24) % 7).reshape(2, 3, 4).to(dtype)
    back = _round_trip(tensor)
    assert back.dtype == dtype and back.shape == tensor.shape and torch.equal(back, tensor)


def test_views_strides_empty_tensors_and_gradient_flags_survive() -> None:
    base = torch.randn(4, 6)
    message = {"transposed": base.t(), "slice": base[1:3, 2:], "empty": torch.empty(0, 3),
               "param": nn.Parameter(torch.randn(3)), "frozen": nn.Parameter(torch.randn(2),
                                                                             requires_grad=False),
               "scalar": torch.tensor(2.5)}
    back = _round_trip(message)
    for key, tensor in message.items():
        assert torch.equal(back[key], tensor), key
        assert back[key].stride() == tensor.stride(), key
        assert back[key].requires_grad == tensor.requires_grad, key
        assert type(back[key]) is type(tensor), key
    back["param"].data.add_(1)  # a writable copy of its own
    assert not torch.equal(back["param"], message["param"])


def test_a_parameter_shared_by_two_modules_stays_shared() -> None:
    first, second = nn.Linear(4, 4), nn.Linear(4, 4)
    second.weight = first.weight  # tied weights
    back_first, back_second = _round_trip((first, second))
    assert back_first.weight is back_second.weight
    with torch.no_grad():
        back_first.weight.zero_()
    assert torch.count_nonzero(back_second.weight) == 0


def test_a_model_sent_in_slices_computes_what_the_original_computes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pauses: list[float] = []
    sleep = training_wire.time.sleep
    monkeypatch.setattr(training_wire.time, "sleep", lambda s: (pauses.append(s), sleep(s)))
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(),
                          nn.Linear(8 * 6 * 6, 5)).eval()
    with torch.no_grad():
        model[1].running_mean.uniform_(-1, 1)
    message = {"model": model, "view": MappingProxyType({"a": 1})}
    back = _round_trip(message, pause_every=0.0)
    images = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        assert torch.equal(back["model"](images), model(images))
    assert isinstance(back["view"], MappingProxyType) and dict(back["view"]) == {"a": 1}
    tensors = len(model.state_dict())
    assert len(pauses) >= tensors - 1  # the GIL was left free between tensors
    pauses.clear()
    _round_trip(message)
    assert pauses == []  # not asked: one go


def test_another_thread_runs_while_a_big_message_is_pickled_in_slices() -> None:
    """The point of the slices: a thread that wants the GIL (the GUI thread) gets it while
    the setup is pickled, not only when pickling ends."""
    message = [torch.randn(64) for _ in range(200)]
    ticks: list[int] = []
    started, done = threading.Event(), threading.Event()

    def other() -> None:
        started.set()
        while not done.is_set():
            ticks.append(1)
            done.wait(0.0005)

    thread = threading.Thread(target=other)
    thread.start()
    started.wait()
    ticks.clear()
    dumps(message, pause_every=0.0)
    during = len(ticks)
    done.set()
    thread.join()
    assert during >= 20
