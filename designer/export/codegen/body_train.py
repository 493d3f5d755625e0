"""The script's training loop, evaluation, DistributedDataParallel set-up and command line (source text).

The loop mirrors ``designer.training.loop`` and calls the engine's own recipe functions (optimiser
groups, per-iteration learning-rate schedule, seeds per epoch, batch order, frozen BatchNorm
handling, autocast choice), which ``script.py`` copies verbatim from ``designer.training.recipe``,
so a run of the script on the same data matches the app's run.
"""

from __future__ import annotations

TRAINING = '''

# =============================================================================================
# 5. Training: one step, one epoch, evaluation
# =============================================================================================


class Run:
    """Everything one training run needs, so the functions below stay short."""

    def __init__(self, args: argparse.Namespace, model: nn.Module, net: nn.Module,
                 device: torch.device, rank: int, world: int) -> None:
        self.args, self.model, self.net, self.device = args, model, net, device
        self.rank, self.world = rank, world
        self.channels_last = args.channels_last == "on" or (
            args.channels_last == "auto" and any(isinstance(m, nn.Conv2d) for m in model.modules()))
        if self.channels_last:  # faster convolutions on CPUs and GPUs alike
            model.to(memory_format=torch.channels_last)
        self.frozen_bn = frozen_batchnorm_names(model)
        groups = parameter_groups(model, args.lr, args.weight_decay, LR_FACTORS)
        self.optimizer = build_optimizer(groups, args.solver, args.lr, args.momentum)
        self.amp_dtype = autocast_dtype(args.precision, device, False)  # fp32 on CPUs when auto
        use_scaler = self.amp_dtype == torch.float16 and device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda") if use_scaler else None
        self.loss_fn = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
        self.iteration = 0  # steps taken in this phase (the schedule spans the phase)
        self.phase_epochs = args.head_epochs if args.recipe == "finetune" else args.epochs
        # model EMA: validation and the saved model use an average of the weights
        self.ema = ema_model(model, args.ema_decay) if args.ema_decay else None

    def start_fine_tuning(self) -> None:
        """Phase two of the fine-tune recipe: the whole network trains, earlier layers slower
        (discriminative learning rates), with a new optimiser and schedule."""
        a, model = self.args, self.model
        head = [name for name, p in model.named_parameters() if p.requires_grad]
        names = [name for name, _ in model.named_parameters()]
        for param in model.parameters():
            param.requires_grad_(True)
        factors = finetune_factors(names, head, LR_FACTORS, FINETUNE_GROUPS, a.layer_lr_decay)
        lr = a.lr * a.finetune_lr_ratio
        groups = parameter_groups(model, lr, a.weight_decay, factors)
        self.frozen_bn = frozen_batchnorm_names(model)
        self.optimizer = build_optimizer(groups, a.solver, lr, a.momentum)
        self.iteration, self.phase_epochs = 0, a.epochs - a.head_epochs
        self.ema = ema_model(model, a.ema_decay) if a.ema_decay else None  # a new average
        if self.world > 1:  # DDP must see the newly trainable parameters
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = DistributedDataParallel(model, device_ids=ids)

    def autocast(self) -> torch.autocast:
        return torch.autocast(self.device.type, dtype=self.amp_dtype or torch.float32,
                              enabled=self.amp_dtype is not None)

    def to_device(self, images: torch.Tensor) -> torch.Tensor:
        images = images.to(self.device, non_blocking=True)
        return images.contiguous(memory_format=torch.channels_last) if self.channels_last else images

    def step(self, images: torch.Tensor, labels: torch.Tensor, per_epoch: int) -> tuple[float, int]:
        """One optimiser step; returns (loss, correct predictions)."""
        a = self.args
        factor = lr_multiplier(self.iteration, per_epoch, self.phase_epochs, a.schedule,
                               a.warmup_epochs, a.step_size, a.gamma)
        for group in self.optimizer.param_groups:
            group["lr"] = group["base_lr"] * factor
        labels, images = labels.to(self.device), self.to_device(images)
        if a.mixup_alpha or a.cutmix_alpha:  # mixed images, soft targets
            images, labels = mix_batch(images, labels, len(CLASS_NAMES), a.mixup_alpha, a.cutmix_alpha)
        with self.autocast():
            logits = self.net(images)
            loss = self.loss_fn(logits, labels)
        value = loss.item()
        if not math.isfinite(value):
            raise SystemExit(f"the loss became {value} at iteration {self.iteration + 1}: "
                             "lower the learning rate (--lr) or set --grad-clip.")
        self.optimizer.zero_grad(set_to_none=True)
        params = [p for g in self.optimizer.param_groups for p in g["params"]]
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
        else:
            loss.backward()
        if self.args.grad_clip:
            nn.utils.clip_grad_norm_(params, self.args.grad_clip)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        if self.ema is not None:
            self.ema.update_parameters(self.model)
        self.iteration += 1
        hard = labels if labels.dim() == 1 else labels.argmax(1)  # mixed: the larger share
        return value, int((logits.argmax(1) == hard).sum())

    @property
    def eval_model(self) -> nn.Module:
        """What validation runs and keeps: the EMA's averaged weights when on."""
        return self.ema.module if self.ema is not None else self.model


def train_one_epoch(run: Run, loader: DataLoader, epoch: int) -> tuple[float, float]:
    """Mean training loss and accuracy of one epoch (over all processes)."""
    seed = run.args.seed
    set_train_mode(run.model, run.frozen_bn)
    loader.batch_sampler.epoch = epoch
    loader.generator.manual_seed(mix_seed(seed, epoch, 1) + run.rank)  # augmentation in workers
    seed_generators(mix_seed(seed, epoch, 0) + run.rank, run.device.type == "cuda")  # dropout etc.
    totals = torch.zeros(3, dtype=torch.float64)  # loss sum, correct, count
    per_epoch = len(loader.batch_sampler)
    for images, labels in loader:
        loss, correct = run.step(images, labels, per_epoch)
        totals += torch.tensor([loss * len(labels), correct, len(labels)], dtype=torch.float64)
    if run.world > 1:
        dist.all_reduce(totals)
    return float(totals[0] / totals[2]), float(totals[1] / totals[2])


@torch.no_grad()
def evaluate(run: Run, loader: DataLoader) -> dict:
    """Loss, accuracy and confusion matrix (rows: true class, columns: predicted)."""
    model = run.eval_model
    model.eval()
    confusion = torch.zeros(len(CLASS_NAMES), len(CLASS_NAMES), dtype=torch.long)
    loss_sum, count = 0.0, 0
    with run.autocast():
        for images, labels in loader:
            logits = model(run.to_device(images)).float().cpu()
            loss_sum += float(F.cross_entropy(logits, labels)) * len(labels)
            count += len(labels)
            for true, predicted in zip(labels.tolist(), logits.argmax(1).tolist(), strict=True):
                confusion[true, predicted] += 1
    set_train_mode(run.model, run.frozen_bn)
    accuracy = float(confusion.diag().sum()) / max(1, count)
    return {"loss": loss_sum / max(1, count), "accuracy": accuracy, "count": count,
            "confusion": confusion.tolist()}


def print_confusion(title: str, result: dict) -> None:
    width = max(8, *(len(name) + 1 for name in CLASS_NAMES))
    print(f"{title}: accuracy {result['accuracy']:.4f} on {result['count']} images")
    print("confusion matrix (rows: true class, columns: predicted class)")
    print(" " * width + "".join(name.rjust(width) for name in CLASS_NAMES))
    for name, row in zip(CLASS_NAMES, result["confusion"], strict=True):
        print(name.ljust(width) + "".join(str(v).rjust(width) for v in row))
'''

DISTRIBUTED = '''

# =============================================================================================
# 6. Devices and DistributedDataParallel (torchrun sets WORLD_SIZE, RANK and LOCAL_RANK)
# =============================================================================================


def choose_device(option: str, local_rank: int) -> torch.device:
    if option == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda was given but no CUDA GPU is available.")
    if option == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda", local_rank)


def start_distributed(device_option: str) -> tuple[int, int, int]:
    """(rank, world size, local rank); joins the process group when started by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    if world > 1:
        gpu = device_option != "cpu" and torch.cuda.is_available()
        if gpu:
            torch.cuda.set_device(local_rank)
        dist.init_process_group("nccl" if gpu else "gloo")
    return rank, world, local_rank


def loader_workers(option: str, device: torch.device) -> int:
    """Data-loading processes: none on small CPUs, where they would slow training down."""
    if option != "auto":
        return int(option)
    cpus = os.cpu_count() or 1
    if device.type == "cuda":
        return max(0, min(8, cpus - 1))
    return 0 if cpus <= 4 else min(4, cpus // 4)
'''

MAIN = '''

# =============================================================================================
# 7. Command line and main
# =============================================================================================


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    o = OPTIONS
    parser = argparse.ArgumentParser(description=__doc__.split("\\n\\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data-root", type=Path, default=None,
                        help="folder holding the images of split.json (default: the folder it names)")
    parser.add_argument("--split", type=Path, default=HERE / "split.json", help="the split manifest")
    parser.add_argument("--weights", type=Path, default=HERE / WEIGHTS_FILE,
                        help="the design's starting weights")
    parser.add_argument("--out-dir", type=Path, default=HERE,
                        help="where trained.safetensors and results.json are written")
    parser.add_argument("--epochs", type=int, default=o["epochs"])
    parser.add_argument("--batch-size", type=int, default=o["batch_size"])
    parser.add_argument("--image-size", type=int, default=IMAGE_SIZE, help="side of the network's input")
    parser.add_argument("--solver", choices=["sgdm", "adam", "adamw", "rmsprop"], default=o["solver"])
    parser.add_argument("--lr", type=float, default=o["lr"], help="base learning rate")
    parser.add_argument("--momentum", type=float, default=o["momentum"], help="for sgdm")
    parser.add_argument("--weight-decay", type=float, default=o["weight_decay"])
    parser.add_argument("--schedule", choices=["none", "step", "cosine", "onecycle"], default=o["schedule"])
    parser.add_argument("--step-size", type=int, default=o["step_size"], help="epochs per step decay")
    parser.add_argument("--gamma", type=float, default=o["gamma"], help="step decay factor")
    parser.add_argument("--warmup-epochs", type=float, default=o["warmup_epochs"])
    parser.add_argument("--label-smoothing", type=float, default=o["label_smoothing"])
    parser.add_argument("--grad-clip", type=float, default=o["grad_clip"], help="max gradient norm (0: off)")
    parser.add_argument("--patience", type=int, default=o["patience"],
                        help="stop after this many epochs without a better validation (0: off)")
    parser.add_argument("--keep", choices=["best", "last"], default=o["keep"], help="weights to keep")
    parser.add_argument("--seed", type=int, default=o["seed"])
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default=o["device"])
    parser.add_argument("--precision", choices=["auto", "off", "bf16", "fp16"], default=o["precision"])
    parser.add_argument("--channels-last", choices=["auto", "on", "off"], default=o["channels_last"])
    parser.add_argument("--workers", default=str(o["workers"]), help='data-loading processes or "auto"')
    parser.add_argument("--recipe", choices=["standard", "finetune"], default=o["recipe"],
                        help="finetune: --head-epochs on the head only, then the whole network")
    parser.add_argument("--head-epochs", type=int, default=o["head_epochs"])
    parser.add_argument("--finetune-lr-ratio", type=float, default=o["finetune_lr_ratio"])
    parser.add_argument("--layer-lr-decay", type=float, default=o["layer_lr_decay"])
    parser.add_argument("--class-weights", choices=["off", "balanced"], default=o["class_weights"])
    parser.add_argument("--sampler", choices=["shuffle", "balanced"], default=o["sampler"])
    parser.add_argument("--mixup-alpha", type=float, default=o["mixup_alpha"], help="0: off")
    parser.add_argument("--cutmix-alpha", type=float, default=o["cutmix_alpha"], help="0: off")
    parser.add_argument("--ema-decay", type=float, default=o["ema_decay"], help="0: off")
    return parser.parse_args(argv)


def datasets(args: argparse.Namespace) -> dict[str, SplitDataset]:
    root, splits = read_split(args.split, args.data_root)
    min_side = 2 * resize_for(args.image_size)
    transforms = {"train": train_transform(args.image_size), "val": eval_transform(args.image_size),
                  "test": eval_transform(args.image_size)}
    return {name: SplitDataset(root, items, transforms[name], min_side) for name, items in splits.items()}


def fit(run: Run, data: dict[str, SplitDataset], workers: int) -> tuple[dict, list[dict]]:
    """Train for --epochs, validating after each epoch; returns (kept weights, history)."""
    args, main_process = run.args, run.rank == 0
    sampler = EpochBatches(len(data["train"]), args.batch_size, args.seed, True, run.rank, run.world,
                           sampling_weights(args, data["train"]))
    train = make_loader(data["train"], sampler, workers, run.device, torch.Generator())
    val = make_loader(data["val"], EpochBatches(len(data["val"]), args.batch_size, args.seed, False),
                      workers, run.device, torch.Generator()) if len(data["val"]) else None
    if args.class_weights == "balanced":  # an imbalanced training set: weigh rare classes up
        weight = class_weights([label for _, label in data["train"].items], len(CLASS_NAMES))
        run.loss_fn = nn.CrossEntropyLoss(weight=weight.to(run.device),
                                          label_smoothing=args.label_smoothing)
    best, best_key, stale, history = None, None, 0, []
    for epoch in range(1, args.epochs + 1):
        if args.recipe == "finetune" and epoch == args.head_epochs + 1:
            run.start_fine_tuning()
            if main_process:
                print(f"fine-tune recipe, phase 2 from epoch {epoch}: the whole network trains",
                      flush=True)
        started = time.perf_counter()
        train_loss, train_acc = train_one_epoch(run, train, epoch)
        row = {"epoch": epoch, "train_loss": train_loss, "train_acc": train_acc}
        if val is not None and main_process:
            result = evaluate(run, val)
            row.update(val_loss=result["loss"], val_acc=result["accuracy"])
            key = (result["accuracy"], -result["loss"])  # higher accuracy, then lower loss
            if best_key is None or key > best_key:
                best_key, stale = key, 0
                best = {k: v.detach().to("cpu", copy=True) for k, v in run.eval_model.state_dict().items()}
            else:
                stale += 1
        row["seconds"] = time.perf_counter() - started
        history.append(row)
        if main_process:
            print_epoch(row, args.epochs, stale == 0 and val is not None)
        if should_stop(args.patience and stale >= args.patience, run.world):
            if main_process:
                print(f"validation accuracy did not improve for {args.patience} epochs: stopping")
            break
    kept = best if args.keep == "best" and best is not None else run.eval_model.state_dict()
    return kept, history


def sampling_weights(args: argparse.Namespace, train: SplitDataset) -> torch.Tensor | None:
    """--sampler balanced: every class drawn equally often, with replacement (None: shuffle)."""
    return balanced_weights([label for _, label in train.items]) if args.sampler == "balanced" else None


def print_epoch(row: dict, epochs: int, is_best: bool) -> None:
    text = (f"epoch {row['epoch']}/{epochs}  train loss {row['train_loss']:.4f} "
            f"acc {row['train_acc']:.4f}")
    if "val_acc" in row:
        text += f"  val loss {row['val_loss']:.4f} acc {row['val_acc']:.4f}" + (" *" if is_best else "")
    print(text + f"  ({row['seconds']:.1f} s)", flush=True)


def should_stop(stop: bool, world: int) -> bool:
    """Process 0 decides (it validates); the others follow so all stop at the same epoch."""
    if world == 1:
        return bool(stop)
    flag = torch.tensor([1 if stop else 0])
    dist.broadcast(flag, src=0)
    return bool(flag.item())


def finish(run: Run, data: dict[str, SplitDataset], kept: dict, history: list[dict], workers: int) -> None:
    """Load the kept weights, save them, evaluate on validation and test (process 0 only)."""
    args = run.args
    run.model.load_state_dict(kept)
    run.ema = None  # the kept weights are already the averaged ones
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    cpu_copy = copy.deepcopy(run.model).to("cpu", memory_format=torch.contiguous_format)
    save_model(cpu_copy, str(out / "trained.safetensors"), metadata={"classes": json.dumps(CLASS_NAMES)})
    results = {"model": MODEL_NAME, "classes": CLASS_NAMES, "processes": run.world,
               "device": str(run.device), "kept": args.keep, "history": history, "evaluation": {}}
    for split in ("val", "test"):
        if len(data[split]):
            sampler = EpochBatches(len(data[split]), args.batch_size, args.seed, False)
            loader = make_loader(data[split], sampler, workers, run.device, torch.Generator())
            results["evaluation"][split] = evaluate(run, loader)
            print_confusion({"val": "validation", "test": "test"}[split], results["evaluation"][split])
    (out / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"saved {out / 'trained.safetensors'} and {out / 'results.json'}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    rank, world, local_rank = start_distributed(args.device)
    device = choose_device(args.device, local_rank)
    torch.manual_seed(args.seed)
    data = datasets(args)
    model = build_model(args.weights)
    apply_freezing(model)
    model.to(device)
    run = Run(args, model, model, device, rank, world)
    if world > 1:  # gradients are averaged over the processes after every backward pass
        run.net = DistributedDataParallel(model, device_ids=[local_rank] if device.type == "cuda" else None)
    workers = loader_workers(args.workers, device)
    if rank == 0:
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        total = sum(p.numel() for p in model.parameters())
        print(f"{MODEL_NAME}: training {trainable:,} of {total:,} parameters on {device} "
              f"({world} process{'es' if world > 1 else ''}); {len(data['train'])} training, "
              f"{len(data['val'])} validation, {len(data['test'])} test images", flush=True)
    kept, history = fit(run, data, workers)
    if rank == 0:
        finish(run, data, kept, history, workers)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
'''
