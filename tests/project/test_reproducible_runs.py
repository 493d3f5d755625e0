"""Must-show (issue 10 §1): the same command with the same seed gives the same run in every process.

Three `netdesigner train` processes with seed 5 (one of them with
``torch.use_deterministic_algorithms(True)``) train a randomly initialised mobilenet_v3_small
(its random weights, the new head, the split, the shuffling, the augmentation and the dropout
before the head are all random choices) and must produce identical history.json values and
bit-identical weights; seed 6 must differ. Then `--rerun` of the first run reproduces it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from designer.cli import main
from designer.data import generated_dataset

DETERMINISTIC = "import torch; torch.use_deterministic_algorithms(True); "
TIMINGS = {"images_per_second", "elapsed", "seconds"}  # wall-clock, never the same twice


def _command(data: Path, out: Path, seed: int, prefix: str = "") -> list[str]:
    args = ["train", "--model", "mobilenet_v3_small", "--weights", "none", "--data", str(data),
            "--image-size", "48", "--epochs", "2", "--batch-size", "8", "--augment",
            "recommended", "--seed", str(seed), "--out", str(out), "--json"]
    code = f"{prefix}from designer.cli import main; raise SystemExit(main({args!r}))"
    return [sys.executable, "-c", code]


def _run_folder(out: Path) -> Path:
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return folder


def _values(folder: Path) -> tuple[dict[str, list[dict[str, object]]], dict[str, torch.Tensor]]:
    history = json.loads((folder / "history.json").read_text(encoding="utf-8"))
    history = {part: [{k: v for k, v in row.items() if k not in TIMINGS} for row in rows]
               for part, rows in history.items()}
    return history, load_file(str(folder / "last.safetensors"))


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_same_seed_same_run_in_separate_processes(tmp_path: Path) -> None:
    data = generated_dataset(tmp_path / "data", classes=3, per_class=10, size=48)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    jobs = [(seed, tmp_path / f"out{i}", prefix) for i, (seed, prefix) in
            enumerate([(5, ""), (5, DETERMINISTIC), (5, ""), (6, "")])]
    done = []  # two processes at a time: the machine is shared
    for start in range(0, len(jobs), 2):
        procs = [subprocess.Popen(_command(data, out, seed, prefix), env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for seed, out, prefix in jobs[start:start + 2]]
        done += [(*p.communicate(timeout=600), p.returncode) for p in procs]
    for stdout, stderr, code in done:
        assert code == 0, stdout[-2000:] + stderr[-2000:]
    runs = [_values(_run_folder(out)) for _seed, out, _prefix in jobs]
    (h0, w0), (h1, w1), (h2, w2), (h_other, w_other) = runs
    assert h0["epochs"] and h0 == h1 == h2  # every logged number, to the last bit
    assert _same(w0, w1) and _same(w0, w2)
    assert h_other != h0 and not _same(w0, w_other)

    record = json.loads((_run_folder(jobs[0][1]) / "provenance.json").read_text("utf-8"))
    assert record["seed"] == 5 and record["bit_exact"] is True
    assert record["resolved"]["mixed_precision"] in ("off", "bf16")
    assert {"torch", "torchvision", "timm", "numpy", "python"} <= record["libraries"].keys()
    assert len(record["data_digest"]) == 64

    # `--rerun` of the first run (in this process) reproduces it as a new run.
    rerun_out = tmp_path / "rerun"
    assert main(["train", "--rerun", str(_run_folder(jobs[0][1])), "--out", str(rerun_out),
                 "--json"]) == 0
    h_rerun, w_rerun = _values(_run_folder(rerun_out))
    assert h_rerun == h0 and _same(w_rerun, w0)
