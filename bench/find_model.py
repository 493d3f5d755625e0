"""Model finder: time per candidate ÷ one full frozen-backbone training run of the same model.

Per round (interleaved, so load from other processes hits all alike): the finder's whole work
for one candidate (open the model with a new head, extract features of train+val+test, 5-fold
cross-validated probe, final fit, latency), then `train_design` of the same frozen-backbone
design for --epochs epochs with the app's default feature cache ("auto") and, with --uncached,
with ``feature_cache="off"`` (every epoch runs the backbone: a training run without the
engine's cache). Every run has a project folder of its own, so no run reuses features that
another kept in the persistent feature cache. Latencies are cached after the warm-up in both
paths. Target ≤ 0.25.

    python bench/find_model.py [--model efficientnet_lite0_bundled] [--size 160] [--epochs 30]
                               [--rounds 1] [--uncached] [--data sample:tuxpaint]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from designer.project.data_config import DataConfig, default_source, prepare_data
from designer.project.workflow import train_design
from designer.search.finder import open_candidate, probe_candidate
from designer.search.shortlist import Candidate
from designer.training.options import TrainingOptions
from designer.zoo.preprocessing import Preprocessing
from designer.zoo.registry import get_entry


def finder_seconds(candidate: Candidate, data_config: DataConfig, size: int) -> tuple[float, float]:
    start = time.perf_counter()
    data = prepare_data(data_config, Preprocessing(), check_health=False)
    row, _ = probe_candidate(candidate, data, image_size=size)
    return time.perf_counter() - start, row.test_accuracy or 0.0


def training_seconds(candidate: Candidate, data_config: DataConfig, size: int, epochs: int,
                     cache: str, root: Path) -> tuple[float, float]:
    start = time.perf_counter()
    entry = get_entry(candidate.model)
    data = prepare_data(data_config, entry.preprocessing, check_health=False)
    design = open_candidate(candidate, data.classes, image_size=size)
    options = TrainingOptions(epochs=epochs, batch_size=32, lr=3e-3, seed=0, feature_cache=cache)
    run = train_design(design, data, options, runs_root=root)
    assert run.summary is not None and run.summary.reason == "completed", run.message
    seconds = time.perf_counter() - start
    return seconds, run.evaluation.accuracy if run.evaluation and run.evaluation.accuracy else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="efficientnet_lite0_bundled")
    parser.add_argument("--size", type=int, default=160)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--uncached", action="store_true",
                        help="also time a training run without the feature cache")
    parser.add_argument("--data", default=None, help="default: the Tux Paint photos if installed")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's own)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    candidate = Candidate(args.model)
    config = DataConfig(source=args.data or default_source(), image_size=args.size)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        finder_seconds(candidate, config, args.size)  # warm-up: imports, latency caches
        training_seconds(candidate, config, args.size, 1, "auto", root / "warm" / "runs")
        times: dict[str, list[float]] = {"finder": [], "auto": [], "off": []}
        accuracy: dict[str, float] = {}
        for index in range(args.rounds):
            seconds, accuracy["finder"] = finder_seconds(candidate, config, args.size)
            times["finder"].append(seconds)
            for cache in ("auto", "off") if args.uncached else ("auto",):
                seconds, accuracy[cache] = training_seconds(
                    candidate, config, args.size, args.epochs, cache,
                    root / f"{cache}{index}" / "runs")  # own project: no features reused
                times[cache].append(seconds)
    finder = statistics.median(times["finder"])
    print(f"{args.model} at {args.size} px on {config.source}, {args.rounds} round(s), "
          f"torch threads {torch.get_num_threads()}")
    print(f"finder per candidate: {finder:.1f} s (probe test acc {100 * accuracy['finder']:.1f} %)")
    for cache, label in (("auto", "with the feature cache"), ("off", "without the cache")):
        if times[cache]:
            run = statistics.median(times[cache])
            print(f"frozen-backbone run, {args.epochs} epochs, {label}: {run:.1f} s "
                  f"(test acc {100 * accuracy[cache]:.1f} %)")
            print(f"ratio finder / frozen-backbone run {label}: {finder / run:.2f} "
                  f"(target <= 0.25)")


if __name__ == "__main__":
    main()
