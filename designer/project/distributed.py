"""Train on several processes (DistributedDataParallel under torchrun) and record it as a run.

The generated standalone script already knows how to train with DDP (gloo on CPU, nccl on
GPU), so scaling out writes that script into the run folder and launches it under
`torch.distributed.run` on this machine; the result is loaded back and evaluated like any
other run, so it appears in the project with the same files.
"""

from __future__ import annotations

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
from designer.training.history import History
from designer.training.options import TrainingOptions
from designer.training.run_dir import RunDir


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
    files = RunDir(run_dir)
    script = write_script_bundle(files.script_dir, design, options, data.manifest,
                                 data.config.augment if data.config.augment.enabled else None,
                                 data.config.image_size)
    files.write_options(options)
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}",
               "--master_addr=127.0.0.1", f"--master_port={_free_port()}", str(script),
               "--out-dir", str(run_dir), "--workers", "0"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    files.write_log(done.stdout + done.stderr)
    if done.returncode != 0:
        files.write_summary({"reason": "error", "status": "failed", "processes": nproc,
                             "weights_kept": "none",
                             "message": f"The {nproc}-process run failed (exit "
                                        f"{done.returncode}); see {files.log_path}."})
        raise DistributedError(f"the {nproc}-process run failed (exit {done.returncode}); see "
                               f"{files.log_path}:\n{done.stderr[-1500:]}")
    results, trained = files.script_results()
    weights = load_file(str(trained))
    files.save_weights("best", weights, kind="best")
    files.save_weights("last", weights, kind="last")
    val = [row["val_acc"] for row in results.get("history", []) if "val_acc" in row]
    files.write_history(History(epochs=list(results.get("history", []))))
    files.write_summary({
        "reason": "completed", "status": "completed",
        "message": f"Trained with {nproc} processes (DDP)",
        "best_val_acc": max(val) if val else None, "final_val_acc": val[-1] if val else None,
        "epochs_completed": len(results.get("history", [])), "processes": nproc})
    model = design.build()
    model.load_state_dict(weights)
    return finish_run(run_dir, info, model, design, data, options.batch_size)
