"""Write the bundled models' graphs into designer/zoo/graphs/ (shipped with the app).

The first open of a bundled model on a fresh install then draws at once instead of waiting
for torch, torchvision and timm to import (seconds). Run it after changing the pinned torch,
torchvision or timm, or the app's version; tests/zoo/test_shipped_graphs.py fails until then.

    python packaging/ship_graphs.py
"""

from __future__ import annotations

import json
import sys

from designer.surgery.opening import open_model
from designer.zoo.bundled import bundled_names
from designer.zoo.graph_cache import SHIPPED, graph_record


def main() -> None:
    SHIPPED.mkdir(exist_ok=True)
    for name in bundled_names():
        design = open_model(name, "bundled", analyse=False)  # as the app opens it
        path = SHIPPED / f"{name}.json"
        record = graph_record(name, design.network.state())
        path.write_text(json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n",
                        encoding="utf-8")
        sys.stdout.write(f"wrote {path} ({path.stat().st_size // 1024} KiB)\n")


if __name__ == "__main__":
    main()
