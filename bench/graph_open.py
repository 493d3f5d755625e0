"""Module -> drawable document -> analysed document, for resnet50 and maxvit_t.

Draw first, analyse after (issue 13): the canvas draws a design as soon as it is traced
(`Design.from_module(..., analyse=False)` hides the helper layers the graph shows to be
plumbing), and the analysis (shapes, MACs, issues on the meta device) follows in the
background. Prints the median of 3 runs of each stage, side by side with a plain
torch.fx.symbolic_trace of the same model for scale:
  traced          trace + plumbing read from the graph (what the canvas waits for)
  collapse+layout the default collapsed view laid out (the canvas's first picture)
  drawable        the two together
  analysis        the background analysis that follows
  analysed        module -> analysed document (what the canvas waited for before)
Target (issue 13): maxvit_t drawable <= 0.75 s, the analysis after it.
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

TARGET_S = {"maxvit_t": 0.75}


def _stages(model: torch.nn.Module) -> dict[str, float]:
    times: dict[str, float] = {}
    start = time.perf_counter()
    design = Design.from_module(model, analyse=False)  # trace + plumbing from the graph
    times["traced"] = time.perf_counter() - start
    mark = time.perf_counter()
    collapsed = default_collapsed(design.network)
    layered_positions(visible_graph(design.network, collapsed).graph)
    times["collapse+layout"] = time.perf_counter() - mark
    times["drawable"] = time.perf_counter() - start
    mark = time.perf_counter()
    design.analyze()
    times["analysis"] = time.perf_counter() - mark
    times["analysed"] = time.perf_counter() - start
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
        target = TARGET_S.get(name)
        print(f"{name:10s} " + "  ".join(f"{k} {v:.3f} s" for k, v in medians.items())
              + f"  | plain fx trace {fx_median:.3f} s, drawable/fx "
              f"{medians['drawable'] / fx_median:.1f}x"
              + (f"  | module -> drawable {medians['drawable']:.2f} s (target <= {target:g} s)"
                 if target else ""))


if __name__ == "__main__":
    main()
