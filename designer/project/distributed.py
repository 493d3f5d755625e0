"""Train on several processes (DistributedDataParallel under torchrun) and record it as a run.

The generated standalone script already knows how to train with DDP (gloo on CPU, nccl on
GPU), so scaling out writes that script into the run folder and launches it under
`torch.distributed.run` on this machine; the result is loaded back and evaluated like any
other run, so it appears in the project with the same files.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from safetensors.torch import load_file

from designer.core.errors import UserError
from designer.export.codegen import write_script_bundle
from designer.project.data_config import PreparedData
from designer.project.runs import RunRecord
from designer.project.workflow import finish_run, start_run
from designer.surgery.design import Design
from designer.training.options import TrainingOptions
from designer.training.run_dir import write_json


class DistributedError(UserError, RuntimeError):
    """The multi-process run failed; the message carries the end of its output."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def train_distributed(design: Design, data: PreparedData, options: TrainingOptions, *,
                      runs_root: Path, nproc: int, name: str | None = None) -> RunRecord:
    """Train with `nproc` processes on this machine and add the run to `runs_root`."""
    run_dir, info = start_run(design, data, runs_root, name)
    script = write_script_bundle(run_dir / "script", design, options, data.manifest,
                                 data.config.augment if data.config.augment.enabled else None,
                                 data.config.image_size)
    write_json(run_dir / "options.json", options.to_dict())
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}",
               "--master_addr=127.0.0.1", f"--master_port={_free_port()}", str(script),
               "--out-dir", str(run_dir), "--workers", "0"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    (run_dir / "run.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        raise DistributedError(f"the {nproc}-process run failed (exit {done.returncode}); see "
                               f"{run_dir / 'run.log'}:\n{done.stderr[-1500:]}")
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    shutil.copyfile(run_dir / "trained.safetensors", run_dir / "best.safetensors")
    shutil.copyfile(run_dir / "trained.safetensors", run_dir / "last.safetensors")
    val = [row["val_acc"] for row in results.get("history", []) if "val_acc" in row]
    write_json(run_dir / "summary.json", {
        "reason": "completed", "message": f"Trained with {nproc} processes (DDP)",
        "best_val_acc": max(val) if val else None, "final_val_acc": val[-1] if val else None,
        "epochs_completed": len(results.get("history", [])), "processes": nproc})
    write_json(run_dir / "history.json", {"epochs": results.get("history", [])})
    model = design.build()
    model.load_state_dict(load_file(str(run_dir / "trained.safetensors")))
    return finish_run(run_dir, info, model, design, data, options.batch_size)
