"""`netdesigner train|evaluate|predict|demo`: the transfer-learning workflow without a display."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from designer.project.runs import RunRecord
    from designer.training.callbacks import Callback

from designer.cli._messages import fail as _fail

_DEFAULT_RUNS = Path("runs")
_DEFAULT_EPOCHS, _DEFAULT_LR = 10, 1e-3


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    train = subparsers.add_parser("train", help="train a model or design on a folder of images",
                                  description="Fine-tune a zoo model (or a saved design) on a "
                                  "folder with one sub-folder per class.")
    train.add_argument("project", nargs="?", type=Path,
                       help="a project folder: train its design on its data with its options "
                       "and add the run to it")
    train.add_argument("--nproc", type=int, default=1,
                       help="processes for DistributedDataParallel under torchrun (project only)")
    train.add_argument("--rerun", metavar="RUN",
                       help="train again exactly as run RUN did (a run folder name of PROJECT, "
                       "or a run folder): same design, starting weights, split, options, seed "
                       "and resolved choices")
    source = train.add_mutually_exclusive_group()
    source.add_argument("--model", help="zoo model name (see `netdesigner models`)")
    source.add_argument("--design", type=Path, help="a design saved from the app (design.json)")
    source.add_argument("--resume", type=Path, metavar="RUN",
                        help="continue a stopped run in its folder, on the same data split, "
                        "with its options (--epochs and --lr may change them)")
    train.add_argument("--weights", default="pretrained",
                       help="pretrained (default; bundled models need no download), none, or a file")
    train.add_argument("--data",
                       help="image folder, or sample:tuxpaint / sample:shapes")
    train.add_argument("--num-classes", default="auto",
                       help="'auto' replaces the final layers for the data's classes")
    train.add_argument("--freeze-up-to", metavar="LAYER",
                       help="freeze this layer and everything before it ('backbone' = all but "
                       "the final layer; default: backbone)", default="backbone")
    train.add_argument("--epochs", type=int, help=f"default {_DEFAULT_EPOCHS}")
    train.add_argument("--lr", type=float, help=f"learning rate, default {_DEFAULT_LR}")
    train.add_argument("--recipe", choices=("standard", "finetune"), default="standard",
                       help="finetune: train the new head first (--head-epochs, on cached "
                       "features), then the whole network with smaller learning rates for "
                       "earlier layers")
    train.add_argument("--head-epochs", type=int, default=None,
                       help="finetune: epochs on the head only (default: a third of --epochs)")
    train.add_argument("--class-weights", choices=("off", "balanced"), default="off",
                       help="balanced: weigh the loss by 1 / class count (imbalanced data)")
    train.add_argument("--sampler", choices=("shuffle", "balanced"), default=None,
                       help="balanced: draw every class equally often each epoch (imbalanced "
                       "data; default shuffle)")
    train.add_argument("--mixup-alpha", type=float, default=None, metavar="ALPHA",
                       help="MixUp of training batches (0.2-0.4 is common; 0: off)")
    train.add_argument("--cutmix-alpha", type=float, default=None, metavar="ALPHA",
                       help="CutMix of training batches (1.0 is common; 0: off; with --mixup-alpha "
                       "each batch gets one of the two)")
    train.add_argument("--ema-decay", type=float, default=None, metavar="DECAY",
                       help="model EMA: validate and save an average of the weights (0.99-0.999; "
                       "0: off)")
    train.add_argument("--find-lr", action="store_true",
                       help="run a learning-rate range test first (a few dozen steps, on cached "
                       "features when the backbone is frozen) and train with its suggestion")
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument("--solver", default="adamw", choices=("sgdm", "adam", "adamw", "rmsprop"))
    train.add_argument("--image-size", type=int, help="train at this size instead of the model's")
    train.add_argument("--augment", choices=AUGMENT_CHOICES, default="none",
                       help="recommended: flip, crop, small rotation, colour jitter; "
                       "randaugment / trivialaugment: that preset on top of the recommended set")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    train.add_argument("--out", type=Path, default=_DEFAULT_RUNS, help="folder for run folders")
    train.add_argument("--measure-latency", action="store_true",
                       help="also time one image through the trained model on the CPU (for "
                       "Compare's accuracy-vs-speed view; a few seconds on a busy machine)")
    train.add_argument("--folds", type=int, metavar="K",
                       help="k-fold cross-validation: K runs over folds of train+validation "
                       "(the test split stays as it is), then a table of mean ± std")
    train.add_argument("--json", action="store_true", help="print the result as JSON")
    train.set_defaults(handler=run_train)
    resume = subparsers.add_parser("resume", help="continue a stopped or interrupted run",
                                   description="Continue a run from its last completed epoch "
                                   "(after Stop, Ctrl+C, a crash or a kill), on the data and "
                                   "options it was started with.")
    resume.add_argument("run", type=Path, help="run folder")
    resume.add_argument("--epochs", type=int, help="train up to this many epochs in total")
    resume.add_argument("--lr", type=float, help="continue with this learning rate")
    resume.add_argument("--json", action="store_true", help="print the result as JSON")
    resume.set_defaults(handler=run_resume)
    demo = subparsers.add_parser("demo", help="the whole workflow on the bundled model and "
                                 "sample photos, offline, in about a minute")
    demo.add_argument("--out", type=Path, default=_DEFAULT_RUNS)
    demo.add_argument("--epochs", type=int, default=20)
    demo.add_argument("--json", action="store_true")
    demo.set_defaults(handler=run_demo)


def run_train(args: argparse.Namespace) -> int:
    """Handler of `netdesigner train`."""
    from designer.project.data_config import DataConfig
    from designer.training.options import TrainingOptions

    if args.folds is not None:
        from designer.project.kfold import check_fold_count

        try:
            check_fold_count(args.folds)
        except ValueError as error:
            return _fail(error)
        if args.resume is not None or args.rerun is not None or args.nproc > 1:
            return _fail("--folds trains new runs; it cannot be combined with --resume, "
                         "--rerun or --nproc")
    if args.resume is not None:
        return run_resume(args)
    if args.rerun is not None:
        return _rerun(args)
    if args.project is not None:
        return _train_project(args)
    if args.model is None and args.design is None:
        return _fail("say what to train: a PROJECT folder, --model NAME, --design FILE or "
                     "--resume RUN")
    if args.data is None:
        return _fail("--data is required with --model / --design (a folder or sample:shapes)")
    try:  # the options first: a wrong value is named before anything slow happens
        augment = augment_options(args.augment)
        config = DataConfig(source=args.data, seed=args.seed, augment=augment,
                            image_size=args.image_size)
        epochs = _DEFAULT_EPOCHS if args.epochs is None else args.epochs
        head_epochs = args.head_epochs if args.head_epochs is not None else max(1, epochs // 3)
        options = TrainingOptions(epochs=epochs, lr=_DEFAULT_LR if args.lr is None else args.lr,
                                  batch_size=args.batch_size,
                                  solver=args.solver, seed=args.seed, device=args.device,
                                  recipe=args.recipe, head_epochs=head_epochs,
                                  class_weights=args.class_weights)
        options = with_regularisers(options, args)
        design = _open_design(args)
        return _train_and_report(design, config, options, args, args.num_classes,
                                 args.freeze_up_to)
    except Exception as error:  # noqa: BLE001 - every failure becomes one clear message
        return _fail(error)


AUGMENT_CHOICES = ("none", "recommended", "randaugment", "trivialaugment")


def augment_options(choice: str) -> Any:
    """The AugmentOptions of an ``--augment`` choice."""
    import dataclasses

    from designer.data import AugmentOptions

    if choice == "none":
        return AugmentOptions()
    policy = "none" if choice == "recommended" else choice
    return dataclasses.replace(AugmentOptions.recommended(), policy=policy)


def with_regularisers(options: Any, args: argparse.Namespace) -> Any:
    """``options`` with the sampler/MixUp/CutMix/EMA flags given on the command line (validated:
    a wrong value raises OptionsError naming it)."""
    changes = {name: getattr(args, name, None)
               for name in ("sampler", "mixup_alpha", "cutmix_alpha", "ema_decay")}
    return options.replace(**{k: v for k, v in changes.items() if v is not None})


def _train_project(args: argparse.Namespace) -> int:
    """`netdesigner train PROJECT [--nproc N]`: the project's own design, data and options."""
    from designer.cli._kfold import cross_validate
    from designer.project.data_config import prepare_data
    from designer.project.distributed import train_distributed
    from designer.project.project_file import open_project
    from designer.project.workflow import train_design

    try:
        project = open_project(args.project)
        project.options = with_regularisers(project.options, args)
        data = prepare_data(project.data_config, project.design.info.preprocessing,
                            manifest=project.manifest)
        if getattr(args, "folds", None) is not None:
            return cross_validate(args, project.design, data, project.options,
                                  project.runs_root)
        if args.nproc > 1:
            run = train_distributed(project.design, data, project.options,
                                    runs_root=project.runs_root, nproc=args.nproc)
            return _report(run, args.json)
        return _interruptible(args, lambda callbacks, should_stop: train_design(
            project.design, data, project.options, runs_root=project.runs_root,
            callbacks=callbacks, should_stop=should_stop, measure_latency=args.measure_latency))
    except Exception as error:  # noqa: BLE001 - every failure becomes one clear message
        return _fail(error)


def run_resume(args: argparse.Namespace) -> int:
    """Handler of `netdesigner resume RUN` (and its alias `netdesigner train --resume RUN`):
    the run's design, data split and options, continued from its last completed epoch."""
    from designer.project.run_resume import resume_folder

    run_dir = args.run if getattr(args, "run", None) is not None else args.resume
    try:
        return _interruptible(args, lambda callbacks, should_stop: resume_folder(
            run_dir, epochs=args.epochs, lr=args.lr, callbacks=callbacks, should_stop=should_stop))
    except Exception as error:  # noqa: BLE001 - every failure becomes one clear message
        return _fail(error)


def _rerun(args: argparse.Namespace) -> int:
    """`netdesigner train [PROJECT] --rerun RUN`: reproduce a recorded run as a new run."""
    from designer.project.project_file import open_project
    from designer.project.rerun import find_run, plan_rerun, rerun

    try:
        if args.project is not None:
            runs_root = open_project(args.project).runs_root
            run_dir = find_run(runs_root, args.rerun)
        else:
            run_dir, runs_root = Path(args.rerun).resolve(), args.out
        plan = plan_rerun(run_dir)
        for note in plan.notes:
            print(f"netdesigner: note: {note}; the re-run may not match", file=sys.stderr)
        return _interruptible(args, lambda callbacks, should_stop: rerun(
            plan, runs_root, callbacks=callbacks, should_stop=should_stop))
    except Exception as error:  # noqa: BLE001 - every failure becomes one clear message
        return _fail(error)


def run_demo(args: argparse.Namespace) -> int:
    """Handler of `netdesigner demo`: bundled Lite0, sample photos, frozen backbone, new head."""
    from designer.project.data_config import DataConfig, default_source
    from designer.surgery.opening import open_model
    from designer.training.options import TrainingOptions

    source = default_source()
    print(f"demo: bundled EfficientNet-Lite0 on {source} (frozen backbone, new head)",
          file=sys.stderr)
    try:
        design = open_model("efficientnet_lite0_bundled", "bundled", input_size=160)
        config = DataConfig(source=source, image_size=160)
        options = TrainingOptions(epochs=args.epochs, lr=3e-3, batch_size=32)
        return _train_and_report(design, config, options, args, "auto", "backbone")
    except Exception as error:  # noqa: BLE001
        return _fail(error)


def _open_design(args: argparse.Namespace) -> Any:
    from designer.project.design_io import load_design
    from designer.surgery.opening import open_model

    if args.design is not None:
        return load_design(args.design)
    weights: Any = args.weights if args.weights in ("none", "pretrained", "bundled") \
        else Path(args.weights)
    if weights == "pretrained" and args.model.endswith("_bundled"):
        weights = "bundled"
    return open_model(args.model, weights, input_size=args.image_size)


def _train_and_report(design: Any, config: Any, options: Any, args: argparse.Namespace,
                      num_classes: str, freeze: str | None) -> int:
    from designer.project.data_config import prepare_data
    from designer.project.workflow import train_design

    data = prepare_data(config, design.info.preprocessing)
    if data.report is not None and data.report.bad_files:
        print(f"skipped {len(data.report.bad_files)} unreadable file(s) or folder(s):",
              file=sys.stderr)
        for bad in data.report.bad_files[:10]:
            print(f"  {bad.path}: {bad.reason}", file=sys.stderr)
    if num_classes == "auto" and design.num_classes != len(data.classes):
        design.replace_head(len(data.classes), class_names=data.classes)
    if freeze == "backbone":
        design.freeze_backbone()
    elif freeze:
        design.freeze(up_to=freeze)
    if getattr(args, "find_lr", False):
        options = _find_lr(design, data, options)
    if getattr(args, "folds", None) is not None:
        from designer.cli._kfold import cross_validate

        return cross_validate(args, design, data, options, args.out)
    return _interruptible(args, lambda callbacks, should_stop: train_design(
        design, data, options, runs_root=args.out, callbacks=callbacks, should_stop=should_stop,
        measure_latency=getattr(args, "measure_latency", True)))


def _find_lr(design: Any, data: Any, options: Any) -> Any:
    """The options with the range test's suggested learning rate (unchanged when there is none)."""
    from designer.project.lr_range import find_learning_rate

    result = find_learning_rate(design, data, options)
    tried = (f"{len(result.lrs)} steps, learning rate {result.lrs[0]:.1e} to {result.lrs[-1]:.1e}"
             if result.lrs else "no steps")
    print(f"learning-rate range test: {tried}. {result.message}", file=sys.stderr)
    if result.suggestion is None:
        print(f"training with --lr {options.lr:g}", file=sys.stderr)
        return options
    return options.replace(lr=result.suggestion.lr)


def _interruptible(args: argparse.Namespace,
                   train: Callable[[list[Callback], Callable[[], bool]], RunRecord]) -> int:
    """Run ``train(callbacks, should_stop)`` with progress on the terminal; the first Ctrl-C
    stops after the iteration and saves a resumable run, whose folder the last line names."""
    from designer.cli._terminal import StopOnInterrupt, TerminalProgress

    progress: list[Callback] = [] if args.json else [TerminalProgress()]
    with StopOnInterrupt() as interrupt:
        try:
            run = train([*progress, interrupt], interrupt)
        except KeyboardInterrupt:
            return interrupt.report()
    return interrupt.report() if interrupt.requested else _report(run, args.json)


def _report(run: RunRecord, as_json: bool) -> int:
    """Print the run's outcome; the exit code is 0 only for a run that trained as planned."""
    from designer.project.workflow import summary_json

    if as_json:
        print(summary_json(run))
    elif run.status in ("completed", "stopped"):
        _print_result(run)
    if run.status not in ("completed", "stopped"):
        return _fail(f"{run.message} (run folder: {run.run_dir}; details in its log)")
    return 0


def _print_result(run: RunRecord) -> None:
    print(f"\nrun saved in {run.run_dir}")
    if run.best_val_acc is not None:
        print(f"best validation accuracy: {run.best_val_acc:.3f}")
    if run.evaluation is not None:
        result = run.evaluation.result()
        print(f"{run.evaluation.split} accuracy: {result.accuracy:.3f} "
              f"({len(result.predictions)} images)")
        for row in result.per_class:
            print(f"  {row.name:<16} precision {row.precision:.2f} recall "
                  f"{row.recall:.2f} f1 {row.f1:.2f} ({row.support} images)")
    print(json.dumps(run.stats.to_dict()))
    if run.stats.latency_ms is None:
        print("latency: not measured (train with --measure-latency to measure it)")
