"""A full or read-only disk: every format fails with one message, the process lives, no file is left.

Each export runs in a child process, so a writer that terminates the process (PyTorch's C++
archive writer did, exit 134, for TorchScript and .pt2) shows as a wrong exit code rather than
killing the test run. The disks are real: a 1 MB tmpfs, and a read-only tmpfs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from designer.export import FORMATS, Format

REPO = Path(__file__).resolve().parents[2]
# 1.5 MB of weights: more than the 1 MB disk holds, so the write itself hits ENOSPC when the
# up-front check is bypassed ("the disk filled after the check": another program wrote meanwhile).
CHILD = r"""
import sys
from pathlib import Path
import torch
from torch import fx, nn
import designer.export._space as space
from designer.export import SUFFIXES, ExportError, export_model

folder, mode, formats = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
if mode == "fills-during-write":
    space.ensure_space = lambda *_args: None
torch.manual_seed(0)
model = fx.symbolic_trace(nn.Sequential(nn.Flatten(), nn.Linear(3 * 16 * 16, 512)))
for fmt in formats:
    try:
        export_model(model, fmt, folder / f"model{SUFFIXES[fmt]}",
                     example_input=torch.randn(1, 3, 16, 16),
                     labels=[f"c{i}" for i in range(512)], preprocessing={"crop_size": 16})
        print(fmt, "EXPORTED", flush=True)
    except ExportError as error:
        print(fmt, "MESSAGE", error, flush=True)
    print(fmt, "LEFT", sorted(p.name for p in folder.iterdir()), flush=True)
"""


def _export_in_child(folder: Path, mode: str, formats: tuple[Format, ...]) -> dict[str, list[str]]:
    """Export each format in turn in one child process; per format, what it printed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder), mode, *formats],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    assert done.returncode == 0, (
        f"exit {done.returncode} (-6 or 134: the process aborted)\n{done.stdout}\n{done.stderr[-3000:]}")
    lines: dict[str, list[str]] = {fmt: [] for fmt in formats}
    for line in done.stdout.splitlines():
        fmt, _, rest = line.partition(" ")
        if fmt in lines:
            lines[fmt].append(rest)
    return lines


@pytest.mark.parametrize("mode", ["checked-up-front", "fills-during-write"])
def test_full_disk(mode: str, small_mount: Callable[..., Path]) -> None:
    folder = small_mount("1m")

    printed = _export_in_child(folder, mode, FORMATS)

    for fmt in FORMATS:
        message, left = printed[fmt]
        assert message.startswith(f"MESSAGE not enough space in {folder}: needs ~"), (fmt, message)
        assert "MB free" in message and "choose another folder" in message, (fmt, message)
        assert left == "LEFT []", fmt  # no file, no side file, no staging folder
    assert os.listdir(folder) == []


def test_export_fits_on_the_same_disk_when_there_is_room(small_mount: Callable[..., Path]) -> None:
    """The guard does not refuse what fits: the same export succeeds on a 16 MB disk."""
    folder = small_mount("16m")

    printed = _export_in_child(folder, "checked-up-front", ("pt2",))

    assert printed["pt2"] == ["EXPORTED", "LEFT ['model.pt2']"]


def test_read_only_disk(small_mount: Callable[..., Path]) -> None:
    folder = small_mount("1m", read_only=True)

    printed = _export_in_child(folder, "checked-up-front", FORMATS)

    for fmt in FORMATS:
        assert printed[fmt] == [
            f"MESSAGE cannot write to {folder} (Read-only file system): choose another folder",
            "LEFT []"], fmt
