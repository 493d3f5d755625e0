"""Peak memory of writing an archive through a guarded file object instead of a path.

PyTorch's C++ archive writer aborts the process on a failed write when it is given a path, so the
exporters hand it a ``GuardedFile`` (designer/export/_space.py). This measures what that costs:
for each writer, a fresh process saves resnet50 (random weights, ~100 MB) once to a path and once
through ``GuardedFile``, and prints the growth of the peak resident memory during the save.

Target: the guarded write adds at most one archive's size (ratio to the file size ≤ 1.0) and
nothing for torch.export.save, which streams.

Run: python bench/export_memory.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile

CHILD = r"""
import os, resource, sys, tempfile, torch, torchvision
from pathlib import Path
from designer.export._space import GuardedFile
writer, mode, folder = sys.argv[1], sys.argv[2], Path(sys.argv[3])
model = torchvision.models.resnet50(weights=None).eval()
x = torch.randn(2, 3, 64, 64)
if writer == "jit":
    obj = torch.jit.trace(model, x)
    save = lambda f: torch.jit.save(obj, f)
else:
    batch = torch.export.Dim("batch", min=1)
    obj = torch.export.export(model, (x,), dynamic_shapes=({0: batch},))
    save = lambda f: torch.export.save(obj, f)
import warnings; warnings.simplefilter("ignore")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
path = folder / "m.bin"
if mode == "path":
    save(str(path) if writer == "jit" else str(path.with_suffix(".pt2")))
else:
    with GuardedFile(path) as sink:
        save(sink)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
size = sum(p.stat().st_size for p in folder.iterdir())
print((after - before) * 1024, size)
"""


def measure(writer: str, mode: str) -> tuple[int, int]:
    with tempfile.TemporaryDirectory() as folder:
        out = subprocess.run([sys.executable, "-c", CHILD, writer, mode, folder],
                             capture_output=True, text=True, check=True)
    grow, size = out.stdout.split()[-2:]
    return int(grow), int(size)


def main() -> None:
    for writer, label in (("jit", "torch.jit.save"), ("export", "torch.export.save")):
        path_grow, size = measure(writer, "path")
        guarded_grow, _ = measure(writer, "guarded")
        extra = guarded_grow - path_grow
        print(f"{label:<18} file {size / 1e6:6.1f} MB  peak growth: path {path_grow / 1e6:6.1f} MB, "
              f"guarded {guarded_grow / 1e6:6.1f} MB  extra/file {extra / size:5.2f} "
              f"(target ≤ 1.00)")


if __name__ == "__main__":
    main()
