"""Train on several processes: the engine's own `fit` under torchrun, recorded as a normal run.

`train_distributed` creates the run folder (run.json, design.json) like any run, writes a job
(the design with its weights, the checked data split, the options) into a hidden folder, and
launches ``torchrun --nproc_per_node N -m designer.project.ddp_rank JOB`` on this machine.
Every rank trains with `designer.training.fit` (DistributedDataParallel, gloo on CPU, nccl on
CUDA; see designer.training.ddp); rank 0 writes the engine's files into the run folder. The
trained model is then evaluated here like any other run, so it appears in the project with the
same files (its summary says ``processes: N``).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from designer.core.errors import UserError
from designer.project.data_config import PreparedData
from designer.project.design_io import save_design
from designer.project.runs import RunRecord
from designer.project.workflow import finish_run, start_run
from designer.surgery.design import Design
from designer.training.options import TrainingOptions
from designer.training.run_dir import RunDir, write_json

_JOB = "job.json"


class DistributedError(UserError, RuntimeError):
    """The multi-process run failed; the message carries the end of its output."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_job(folder: Path, run_dir: Path, design: Design, data: PreparedData,
              options: TrainingOptions) -> None:
    """What every rank reads: the design (with weights), the checked split and the options."""
    save_design(design, folder / "design")
    write_json(folder / _JOB, {
        "run_dir": str(run_dir), "options": options.to_dict(), "data": data.config.to_dict(),
        "manifest": data.manifest.to_dict(),
    })


def read_job(folder: Path) -> dict[str, Any]:
    """The job written by :func:`write_job` (a JSON object)."""
    data = json.loads((folder / _JOB).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise DistributedError(f"{folder} holds no training job")
    return data


def train_distributed(design: Design, data: PreparedData, options: TrainingOptions, *,
                      runs_root: Path, nproc: int, name: str | None = None) -> RunRecord:
    """Train with `nproc` processes on this machine and add the run to `runs_root`."""
    if nproc < 1:
        raise DistributedError(f"the number of processes must be at least 1 (got {nproc})")
    run_dir, info = start_run(design, data, runs_root, name)
    files = RunDir(run_dir)
    with tempfile.TemporaryDirectory(prefix="netdesigner-ddp-") as job:
        write_job(Path(job), run_dir, design, data, options)
        done = subprocess.run(_command(nproc, Path(job)), capture_output=True, text=True,
                              check=False, env=_environment(nproc))
    weights = files.trained_weights("best") if done.returncode == 0 else None
    if weights is None:
        with files.log_path.open("a", encoding="utf-8") as log:
            log.write(done.stdout + done.stderr)
        if files.read_summary() is None:
            files.write_summary({"reason": "error", "status": "failed", "processes": nproc,
                                 "weights_kept": "none",
                                 "message": f"The {nproc}-process run failed (exit "
                                            f"{done.returncode}); see {files.log_path}."})
        raise DistributedError(f"the {nproc}-process run failed (exit {done.returncode}); see "
                               f"{files.log_path}:\n{done.stderr[-1500:]}")
    model = design.build()
    model.load_state_dict(weights)
    return finish_run(run_dir, info, model, design, data, options.batch_size)


def _command(nproc: int, job: Path) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}",
            "--master_addr=127.0.0.1", f"--master_port={_free_port()}",
            "-m", "designer.project.ddp_rank", str(job)]


def _environment(nproc: int) -> dict[str, str]:
    env = dict(os.environ)
    if Path("/sys/class/net/lo").exists():
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")  # this machine only
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    return env


__all__ = ["DistributedError", "read_job", "train_distributed", "write_job"]
