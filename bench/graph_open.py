"""Module -> analysed, laid-out document, for resnet50 and maxvit_t (target maxvit_t <= 0.75 s).

Prints the median of 3 runs of each stage, and the whole, side by side with a plain
torch.fx.symbolic_trace of the same model for scale.
Run: python bench/graph_open.py
"""

from __future__ import annotations

import statistics
import time

import torch
import torchvision
from torch import fx

from designer.core.grouping import default_collapsed, visible_graph
from designer.core.layout import layered_positions
from designer.surgery.design import Design


def _stages(model: torch.nn.Module) -> dict[str, float]:
    times: dict[str, float] = {}
    start = time.perf_counter()
    design = Design.from_module(model)  # trace + meta-device analysis + plumbing
    times["import+analyse"] = time.perf_counter() - start
    mark = time.perf_counter()
    collapsed = default_collapsed(design.network)
    layered_positions(visible_graph(design.network, collapsed).graph)
    times["collapse+layout"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - start
    return times


def main() -> None:
    torch.set_num_threads(2)
    for name in ("resnet50", "maxvit_t"):
        model = torchvision.models.get_model(name).eval()
        runs = [_stages(model) for _ in range(3)]
        fx_times = []
        for _ in range(3):
            start = time.perf_counter()
            fx.symbolic_trace(model)
            fx_times.append(time.perf_counter() - start)
        medians = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        fx_median = statistics.median(fx_times)
        print(f"{name:10s} " + "  ".join(f"{k} {v:.3f} s" for k, v in medians.items())
              + f"  | plain fx trace {fx_median:.3f} s, ratio total/fx {medians['total'] / fx_median:.1f}x")


if __name__ == "__main__":
    main()
