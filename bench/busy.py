"""A second CPU-bound process beside a bench (`--busy`), as on a user's machine where a browser
and an IDE are always running: a plain torch matmul loop in a child process, pinned to the last
core with `taskset` where that exists. One owner for every bench that measures "under load".

    with cpu_hog(args.busy):
        ...measure...
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

#: the child: one thread of fp32 matmuls, forever (killed when the measurement ends)
HOG = ("import torch; torch.set_num_threads(1); a = torch.randn(800, 800); "
       "[a @ a for _ in iter(int, 1)]")


def load_label(busy: bool) -> str:
    """How a result line names the load it was measured under."""
    return "beside a CPU-bound process" if busy else "quiet"


@contextmanager
def cpu_hog(enabled: bool = True) -> Iterator[subprocess.Popen[bytes] | None]:
    """Run the matmul loop in a child process for the duration of the block (no-op if disabled)."""
    if not enabled:
        yield None
        return
    last_core = str((os.cpu_count() or 1) - 1)
    pin = ["taskset", "-c", last_core] if shutil.which("taskset") else []
    child = subprocess.Popen([*pin, sys.executable, "-c", HOG])
    try:
        yield child
    finally:
        child.kill()
        child.wait()
