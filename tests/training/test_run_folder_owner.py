"""The run folder has one owner: its file names are written in one module, and the views read
runs through typed records instead of the files' keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import designer
from designer.project.runs import RunRecord
from designer.training import run_dir
from designer.training.run_dir import RunDir
from designer.training.run_records import RunInfo, RunStats

SOURCES = Path(designer.__file__).parent
#: every file a run folder holds (design.json is also the project's design file, owned by
#: project/design_io.py; results.json / trained.safetensors are outputs of the generated script)
RUN_FILES = ("checkpoint.pt", "summary.json", "best.safetensors", "last.safetensors", "run.json",
             "initial.safetensors", "provenance.json",
             "evaluation.json", "history.json", "history.csv", "options.json", "manifest.json",
             "run.log", ".training.lock")


def _quoted(name: str) -> re.Pattern[str]:
    return re.compile(r"""["']""" + re.escape(name) + r"""["']""")


def test_run_folder_file_names_are_literals_in_one_module_only() -> None:
    owner = Path(run_dir.__file__).resolve()
    for name in RUN_FILES:
        pattern = _quoted(name)
        found = sorted(str(p.relative_to(SOURCES)) for p in SOURCES.rglob("*.py")
                       if pattern.search(p.read_text(encoding="utf-8")))
        assert found == [str(owner.relative_to(SOURCES))], f"{name!r} is spelled out in {found}"


def test_the_ui_and_cli_read_runs_through_typed_records() -> None:
    """No view indexes a run's sections by string key (run.summary["reason"] and the like)."""
    keyed = re.compile(r"\.(summary|evaluation|stats|history|options|info)(\.get\(|\[)")
    offenders = [f"{p.relative_to(SOURCES)}:{i}: {line.strip()}"
                 for folder in ("ui", "cli", "workers")
                 for p in (SOURCES / folder).rglob("*.py")
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if keyed.search(line)]
    assert offenders == []
    hints = RunRecord.__annotations__
    for section in ("summary", "evaluation", "options", "info"):
        assert "dict" not in str(hints[section]), f"RunRecord.{section} is an untyped dict"


def test_a_damaged_run_folder_reads_as_a_run_with_fewer_facts(tmp_path: Path) -> None:
    files = run_dir.RunDir(tmp_path / "r")
    (files.path / "run.json").write_text('{"name": 3, "created": "yesterday", "stats": [1]}')
    (files.path / "summary.json").write_text('{"reason": "completed", "best_val_acc": "high"}')
    (files.path / "options.json").write_text('{"lr": -1}')
    (files.path / "history.json").write_text("[not json")
    record = RunRecord.load(files.path)
    assert record.name == "r" and record.created == 0.0 and record.stats.params is None
    assert record.status == "completed" and record.best_val_acc is None
    assert record.options is None and record.history.iterations == []


def test_a_run_keeps_the_name_and_note_the_user_gives_it(tmp_path: Path) -> None:
    files = RunDir(tmp_path / "run")
    files.write_info(RunInfo("20261128-101500-resnet18", model_name="resnet18", colour=3,
                             stats=RunStats(latency_ms=4.0)))
    files.write_label("  frozen backbone, lr 0.01 ", "baseline for the report")
    info = RunDir.open(files.path).read_info()
    assert (info.name, info.note) == ("frozen backbone, lr 0.01", "baseline for the report")
    assert info.colour == 3 and info.stats == RunStats(latency_ms=4.0), "the rest is kept"
    for bad in ("", "   ", "x" * 81):
        with pytest.raises(ValueError, match="name"):
            files.write_label(bad, "")
    assert RunDir.open(files.path).read_info().name == "frozen backbone, lr 0.01"
    assert [p.name for p in files.path.iterdir()] == ["run.json"], "no temporary file is left"
