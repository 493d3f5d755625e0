"""`netdesigner train` start to exit vs an expert's feature-caching script, side by side (issue 10).

Same data (the Tux Paint photos when installed, else the generated shapes), the same split, the
bundled EfficientNet-Lite0 at 160 px with a frozen backbone, 10 epochs. The app runs as a user
runs it (a new process, `netdesigner train ... --json`) under a thin driver that timestamps its
phases; the expert's script (bench/expert_cache.py, ~15 lines) runs as a new process too. Each
is run ``--rounds`` times, alternating; the best wall time of each is compared.

    python bench/cli_vs_expert.py [--rounds 2] [--epochs 10] [--busy]

``--busy`` runs a second CPU-bound process (a torch matmul loop pinned with ``taskset -c 1``)
throughout, as on a user's busy machine. Prints the phase table, then one line:
``app X s / expert Y s = ratio R (target <= 1.0)``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from busy import cpu_hog, load_label  # bench/ is on sys.path when run as a script

HERE = Path(__file__).resolve().parent

#: runs `netdesigner train` in this process with timestamps around its phases (monkeypatched
#: module attributes: the product carries no bench code); stamps go to $PHASES as JSON
DRIVER = r'''
import json, os, sys, time
stamps = [("python started", time.time())]
import designer.cli, designer.project.workflow as wf, designer.project.data_config as dc
import designer.surgery.opening as op, designer.training.loop as lp
stamps.append(("imports", time.time()))
def timed(module, name, label):
    inner = getattr(module, name)
    def wrapper(*a, **k):
        stamps.append((f"start {label}", time.time()))
        try:
            return inner(*a, **k)
        finally:
            stamps.append((label, time.time()))
    setattr(module, name, wrapper)
timed(op, "open_model", "open + trace model")
timed(dc, "prepare_data", "scan, split, health check")
timed(lp, "choose_sources", "cache features")
timed(wf, "fit", "train (fit)")
timed(wf, "finish_run", "evaluate + latency")
main = designer.cli.main
def main_then_save(argv):
    code = main(argv)
    stamps.append(("main returned", time.time()))
    open(os.environ["PHASES"], "w").write(json.dumps(stamps))
    return code
designer.cli.main = main_then_save
designer.cli.run(sys.argv[1:])  # the console script's entry, exit included
'''


def split_entries(source: str, out: Path) -> Path:
    """The app's own split of ``source`` as absolute [path, label, split] rows for the expert."""
    from designer.project.data_config import DataConfig, prepare_data
    from designer.zoo.registry import get_entry

    preprocessing = get_entry("efficientnet_lite0_bundled").preprocessing
    data = prepare_data(DataConfig(source=source, image_size=160), preprocessing)
    root = Path(data.manifest.root)
    rows = [[str(root / e.path), e.label, e.split] for e in data.manifest.entries]
    path = out / "split.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def run_app(source: str, epochs: int, out: Path) -> tuple[float, list[tuple[str, float]]]:
    phases = out / "phases.json"
    command = [sys.executable, "-c", DRIVER, "train", "--model", "efficientnet_lite0_bundled",
               "--data", source, "--epochs", str(epochs), "--image-size", "160", "--lr", "3e-3",
               "--out", str(out / "runs"), "--json"]
    started = time.time()
    done = subprocess.run(command, env={**os.environ, "PHASES": str(phases)},
                          capture_output=True, text=True, check=False)
    ended = time.time()
    if done.returncode != 0:
        raise SystemExit(f"the app failed:\n{done.stderr[-2000:]}")
    stamps = [(label, t) for label, t in json.loads(phases.read_text(encoding="utf-8"))]
    accuracy = json.loads(done.stdout)["evaluation"].get("accuracy")
    print(f"  app: test accuracy {accuracy}", file=sys.stderr)
    return ended - started, [("launch", started), *stamps, ("process exited", ended)]


def run_expert(split: Path, epochs: int) -> float:
    started = time.time()
    done = subprocess.run([sys.executable, str(HERE / "expert_cache.py"), str(split), str(epochs)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the expert script failed:\n{done.stderr[-2000:]}")
    print(f"  expert: {done.stdout.strip()}", file=sys.stderr)
    return time.time() - started


def phase_table(stamps: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Seconds per phase: each stamp's time since the previous one (``start X`` stamps name
    the gap before them "other")."""
    rows: list[tuple[str, float]] = []
    for (_, before), (label, at) in itertools.pairwise(stamps):
        name = "other (glue, run folder, printing)" if label.startswith("start ") else label
        if name == "main returned":
            name = "after the last phase"
        if name == "process exited":
            name = "interpreter exit"
        rows.append((name, at - before))
    merged: dict[str, float] = {}
    for name, seconds in rows:
        merged[name] = merged.get(name, 0.0) + seconds
    return list(merged.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--busy", action="store_true", help="beside a CPU-bound process")
    args = parser.parse_args()
    from designer.data.samples import tuxpaint_source

    source = "sample:tuxpaint" if tuxpaint_source() is not None else "sample:shapes"
    with cpu_hog(args.busy), tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        split = split_entries(source, out)
        apps, experts = [], []
        for _ in range(args.rounds):
            apps.append(run_app(source, args.epochs, out))
            experts.append(run_expert(split, args.epochs))
    best_wall, best_stamps = min(apps, key=lambda item: item[0])
    expert = min(experts)
    print(f"data: {source}; {args.epochs} epochs; frozen Lite0 at 160 px; "
          f"{load_label(args.busy)}; best of {args.rounds}")
    print(f"{'phase of netdesigner train':<40}{'seconds':>9}")
    for name, seconds in phase_table(best_stamps):
        print(f"{name:<40}{seconds:>9.2f}")
    ratio = best_wall / expert
    print(f"app {best_wall:.2f} s / expert {expert:.2f} s = ratio {ratio:.2f} (target <= 1.0)")


if __name__ == "__main__":
    main()
