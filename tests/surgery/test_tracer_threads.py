"""Tracing a model must not disturb modules that other threads run at the same time."""

from __future__ import annotations

import threading

import torch
from torch import nn

from designer.surgery.tracer import trace_graph


class _Gate(nn.Module):
    """Pauses the trace half-way until another thread has run its own modules."""

    def __init__(self, reached: threading.Event, release: threading.Event) -> None:
        super().__init__()
        self.reached, self.release = reached, release

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.reached.set()
        assert self.release.wait(30), "the other thread never ran"
        return x


def test_another_thread_runs_its_modules_normally_while_a_model_is_traced() -> None:
    reached, release = threading.Event(), threading.Event()
    traced = nn.Sequential(nn.Linear(4, 4), _Gate(reached, release), nn.ReLU(), nn.Linear(4, 2))
    other = nn.Sequential(nn.Linear(3, 5), nn.ReLU())  # e.g. transforms.v2 in the preview thread
    results: dict[str, object] = {}

    def trace() -> None:
        results["graph"] = trace_graph(traced)

    tracing = threading.Thread(target=trace)
    tracing.start()
    assert reached.wait(30), "the trace did not reach the gate"
    try:  # fx's patches are active now, for the whole process
        x = torch.ones(2, 3)
        results["other"] = other(x)
        expected = torch.relu(other[0].weight.detach() @ x.T + other[0].bias.detach()[:, None]).T
    finally:
        release.set()
        tracing.join(30)
    assert torch.allclose(results["other"], expected)  # type: ignore[arg-type]
    called = [n.target for n in results["graph"].nodes if n.op == "call_module"]  # type: ignore[attr-defined]
    assert called == ["0", "2", "3"], "the other thread's modules leaked into the graph"
