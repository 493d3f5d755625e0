"""Model finder: time per candidate ÷ one full frozen-backbone training run of the same model.

The reference is what a user runs when they try a model instead of probing it: the app's
default training settings for that model (its own input size, `TrainingOptions()` defaults:
10 epochs, no augmentation — so the engine's feature cache runs the backbone once), backbone
frozen, head replaced, then evaluation and the run's latency, as `train_design` does. The
finder runs at its default probe size (``designer.search.finder.PROBE_SIZE``) with its latency
taken from the per-machine cache (as after the first probe of a model on this machine).

Also printed, labelled: the same run at the finder's probe size (both then do one backbone pass
over the same images: this ratio shows what the finder saves beyond the image size), and with
--augmented a default run with the recommended augmentation (the backbone runs every epoch).

Per round (interleaved, so load from other processes hits all alike) every job gets a project
folder of its own, so nothing reuses features another kept in the persistent feature cache.
With --busy a CPU-bound process (bench/busy.py) runs beside the whole measurement.
Target ≤ 0.25.

    python bench/find_model.py [--model efficientnet_lite0_bundled] [--rounds 1] [--augmented]
                               [--probe-size 128] [--data sample:tuxpaint] [--threads 0] [--busy]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from busy import cpu_hog, load_label  # bench/ is on sys.path when run as a script

from designer.data.transforms import AugmentOptions
from designer.project.data_config import DataConfig, default_source, prepare_data
from designer.project.project_file import RUNS
from designer.project.workflow import feature_store_folder, train_design
from designer.search.finder import PROBE_SIZE, open_candidate, probe_candidate
from designer.search.shortlist import Candidate
from designer.training.options import TrainingOptions
from designer.zoo.registry import get_entry

STAGES = ("Extracting features", "Fitting the probe", "Timing on this machine")


@dataclass
class Timed:
    seconds: float
    accuracy: float  # held-out test accuracy
    stages: dict[str, float]


def finder(candidate: Candidate, source: str, size: int, project: Path) -> Timed:
    """The finder's whole work for one candidate, as `find_models` does it in a project."""
    marks: dict[str, float] = {}

    def progress(_fraction: float, message: str) -> None:
        for stage in STAGES:
            if stage in message:
                marks.setdefault(stage, time.perf_counter())

    start = time.perf_counter()
    data = prepare_data(DataConfig(source=source, image_size=size),
                        get_entry(candidate.model).preprocessing, check_health=False)
    row, _ = probe_candidate(candidate, data, image_size=size, progress=progress,
                             store=feature_store_folder(project / RUNS))
    end = time.perf_counter()
    points = [start, *(marks.get(s, end) for s in STAGES), end]
    names = ("data + model", "features", "probe CV + fit", "latency")
    stages = {n: b - a for n, a, b in zip(names, points, points[1:], strict=False)}
    return Timed(end - start, row.test_accuracy or 0.0, stages)


def training(candidate: Candidate, source: str, size: int | None, augment: AugmentOptions,
             project: Path) -> Timed:
    """One frozen-backbone run with the app's default options (``size`` None: model's own)."""
    start = time.perf_counter()
    entry = get_entry(candidate.model)
    data = prepare_data(DataConfig(source=source, image_size=size, augment=augment),
                        entry.preprocessing, check_health=False)
    design = open_candidate(candidate, data.classes, image_size=size)
    run = train_design(design, data, TrainingOptions(), runs_root=project / RUNS)
    assert run.summary is not None and run.summary.reason == "completed", run.message
    accuracy = run.evaluation.accuracy if run.evaluation and run.evaluation.accuracy else 0.0
    return Timed(time.perf_counter() - start, accuracy, {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="efficientnet_lite0_bundled")
    parser.add_argument("--probe-size", type=int, default=PROBE_SIZE)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--augmented", action="store_true",
                        help="also time a default run with the recommended augmentation")
    parser.add_argument("--data", default=None, help="default: the Tux Paint photos if installed")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's own)")
    parser.add_argument("--busy", action="store_true", help="beside a CPU-bound process")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    candidate, source, size = Candidate(args.model), args.data or default_source(), args.probe_size
    own = get_entry(args.model).preprocessing.crop_size
    jobs = {
        "finder": lambda p: finder(candidate, source, size, p),
        "default": lambda p: training(candidate, source, None, AugmentOptions(), p),
        "same size": lambda p: training(candidate, source, size, AugmentOptions(), p),
    }
    if args.augmented:
        jobs["augmented"] = lambda p: training(candidate, source, None,
                                               AugmentOptions.recommended(), p)
    found: dict[str, list[Timed]] = {name: [] for name in jobs}
    with tempfile.TemporaryDirectory() as tmp, cpu_hog(args.busy):
        root = Path(tmp)
        finder(candidate, source, size, root / "warm")  # imports, latency cache, page cache
        for index in range(args.rounds):
            for name, job in jobs.items():
                found[name].append(job(root / f"{name}-{index}".replace(" ", "-")))

    def median(name: str) -> float:
        return statistics.median(t.seconds for t in found[name])

    def acc(name: str) -> str:
        return f"test acc {100 * found[name][-1].accuracy:.1f} %"

    load = os.getloadavg()[0]
    print(f"{args.model} on {source}, {args.rounds} round(s), {load_label(args.busy)}, torch "
          f"threads {torch.get_num_threads()}, load average {load:.1f}")
    stages = ", ".join(f"{k} {statistics.median(t.stages[k] for t in found['finder']):.1f} s"
                       for k in found["finder"][0].stages)
    print(f"finder per candidate at {size} px: {median('finder'):.1f} s ({acc('finder')}; "
          f"{stages})")
    print(f"frozen run, app defaults ({own} px, 10 epochs, no augmentation: backbone once via "
          f"the feature cache): {median('default'):.1f} s ({acc('default')})")
    print(f"ratio finder / app-default frozen run: {median('finder') / median('default'):.2f} "
          f"(target <= 0.25)")
    print(f"frozen run at the finder's {size} px (defaults otherwise; same one backbone pass as "
          f"the finder): {median('same size'):.1f} s ({acc('same size')}); ratio "
          f"{median('finder') / median('same size'):.2f} (no target: the floor is one pass)")
    if args.augmented:
        print(f"frozen run, app defaults + recommended augmentation (backbone every epoch): "
              f"{median('augmented'):.1f} s ({acc('augmented')}); ratio "
              f"{median('finder') / median('augmented'):.2f} (target <= 0.25)")


if __name__ == "__main__":
    main()
