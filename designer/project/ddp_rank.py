"""One rank of a multi-process run: ``torchrun ... -m designer.project.ddp_rank JOB_FOLDER``.

Reads the job `designer.project.distributed` wrote, joins the process group and trains with
the engine's `fit`; rank 0 alone writes the run folder. The health check already ran in the
launching process, so the ranks reuse its checked split as is.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from designer.data.split import SplitManifest
from designer.project.data_config import DataConfig, prepare_data
from designer.project.design_io import load_design
from designer.project.distributed import read_job
from designer.training import ddp
from designer.training.loop import fit
from designer.training.options import TrainingOptions


def main(argv: list[str] | None = None) -> int:
    """Train this rank's share; exit status 0 unless the engine reports an error."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: torchrun ... -m designer.project.ddp_rank JOB_FOLDER\n")
        return 2
    folder = Path(args[0])
    job: dict[str, Any] = read_job(folder)
    options = TrainingOptions.from_dict(job["options"])
    rank, _world = ddp.start_process_group(options.device)
    try:
        design = load_design(folder / "design")
        config = DataConfig.from_dict(job["data"])
        manifest = SplitManifest.from_dict(job["manifest"])
        data = prepare_data(config, design.info.preprocessing, manifest=manifest,
                            check_health=False)
        model = design.build()
        main_process = rank == 0
        result = fit(model, data.datasets["train"], data.datasets["val"] or None, options,
                     lr_factors=design.lr_factors(), augmented=config.augment.enabled,
                     run_dir=job["run_dir"] if main_process else None,
                     manifest=job["manifest"] if main_process else None)
    finally:
        ddp.end_process_group()
    if result.reason == "error":
        sys.stderr.write(result.message + "\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
