"""Train on several processes: the engine's own `fit` under torchrun, recorded as a normal run.

`train_distributed` creates the run folder (run.json, design.json) like any run, writes a job
(the design with its weights, the data split, the options) into a hidden folder inside it,
and launches ``torchrun --nproc_per_node N -m designer.project.ddp_rank JOB`` on this machine.
Every rank trains with `designer.training.fit` (DistributedDataParallel, gloo on CPU, nccl on
CUDA; see designer.training.ddp); rank 0 writes the engine's files into the run folder. The
trained model is then evaluated here like any other run, so it appears in the project with the
same files (summary.json says ``"processes": N``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from safetensors.torch import load_file

from designer.project.data_config import PreparedData
from designer.project.design_io import save_design
from designer.project.runs import RunRecord
from designer.project.workflow import finish_run, start_run
from designer.surgery.design import Design
from designer.training.options import TrainingOptions
from designer.training.run_dir import BEST, LOG, write_json

JOB_FOLDER = ".ddp-job"


class DistributedError(RuntimeError):
    """The multi-process run failed; the message carries the end of its output."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_job(folder: Path, run_dir: Path, design: Design, data: PreparedData,
              options: TrainingOptions) -> None:
    """What every rank reads: the design (with weights), the checked split and the options."""
    save_design(design, folder / "design")
    write_json(folder / "job.json", {
        "run_dir": str(run_dir), "options": options.to_dict(), "data": data.config.to_dict(),
        "manifest": data.manifest.to_dict(),
    })


def train_distributed(design: Design, data: PreparedData, options: TrainingOptions, *,
                      runs_root: Path, nproc: int, name: str | None = None) -> RunRecord:
    """Train with `nproc` processes on this machine and add the run to `runs_root`."""
    if nproc < 1:
        raise ValueError(f"the number of processes must be at least 1 (got {nproc})")
    run_dir, info = start_run(design, data, runs_root, name)
    job = run_dir / JOB_FOLDER
    write_job(job, run_dir, design, data, options)
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}",
               "--master_addr=127.0.0.1", f"--master_port={_free_port()}",
               "-m", "designer.project.ddp_rank", str(job)]
    env = dict(os.environ)
    if Path("/sys/class/net/lo").exists():
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")  # this machine only
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    shutil.rmtree(job, ignore_errors=True)
    if done.returncode != 0 or not (run_dir / BEST).is_file():
        with (run_dir / LOG).open("a", encoding="utf-8") as log:
            log.write(done.stdout + done.stderr)
        raise DistributedError(f"the {nproc}-process run failed (exit {done.returncode}); see "
                               f"{run_dir / LOG}:\n{done.stderr[-1500:]}")
    model = design.build()
    model.load_state_dict(load_file(str(run_dir / BEST)))
    info["processes"] = nproc
    return finish_run(run_dir, info, model, design, data, options.batch_size)


def read_job(folder: Path) -> dict[str, object]:
    """The job written by :func:`write_job` (a JSON object)."""
    data = json.loads((folder / "job.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise DistributedError(f"{folder} holds no training job")
    return data
