"""Opening a run folder removes what killed writes left, never a write that is in progress."""

from __future__ import annotations

import threading
from pathlib import Path

from designer.training.run_dir import RUN_INFO, RunDir, atomic_write


def test_opening_a_run_keeps_a_write_in_progress_and_removes_an_abandoned_one(
        tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    abandoned = run.path / f".{RUN_INFO}.killed.tmp"
    abandoned.write_text('{"half": ')
    started, release = threading.Event(), threading.Event()

    def slow_write(tmp: Path) -> None:
        tmp.write_text('{"name": "first"')
        started.set()
        assert release.wait(30)
        with tmp.open("a") as handle:
            handle.write("}")

    writer = threading.Thread(target=atomic_write, args=(run.path / RUN_INFO, slow_write))
    writer.start()
    try:
        assert started.wait(30)
        in_progress = [p for p in run.path.iterdir() if p.name.endswith(".tmp") and p != abandoned]
        assert len(in_progress) == 1
        RunDir.open(run.path)  # e.g. the run list reloading while the run starts
        assert not abandoned.exists(), "a killed write's leftover is removed"
        assert in_progress[0].exists(), "the write in progress is left alone"
    finally:
        release.set()
        writer.join(30)
    assert (run.path / RUN_INFO).read_text() == '{"name": "first"}'
    assert [p for p in run.path.iterdir() if p.name.endswith(".tmp")] == []
