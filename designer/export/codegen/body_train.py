"""The script's training loop, evaluation and command line (source text, chosen line by line).

The loop mirrors ``designer.training.loop`` and calls the engine's own recipe functions (batch
order, seeds per epoch, optimiser groups, per-iteration schedule, frozen BatchNorm, autocast),
which ``script.py`` copies verbatim from ``designer.training.recipe``; a run of the script on the
same data therefore matches the app's run. Only what the run uses is written: a line ending in
``#?name`` is kept when feature ``name`` is on (``#?!name``: when it is off; ``#?a+!b``: both),
so a run without early stopping, MixUp, EMA or the fine-tune recipe has none of their code.
"""

# ruff: noqa: E501 - template lines carry "#?feature" markers past the width; the written script
# itself is checked with ruff at 110 columns (tests/export/test_codegen*.py)
from __future__ import annotations

import re
from collections.abc import Mapping

_MARK = re.compile(r"\s*#\?([!\w+]+)$")

TRAINING = '''

# ---- 5. Training and evaluation (args also holds the device and the autocast dtype) -----------  #?!ddp
# ---- 5. Training and evaluation (args also holds the device, autocast dtype, rank and world) ---  #?ddp
def train_one_epoch(net: nn.Module, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler,
                    loss_fn: nn.Module, data: Dataset, epoch: int, step: int, epochs: int,
                    args: argparse.Namespace) -> tuple[int, dict]:  #?!ema
                    args: argparse.Namespace, ema: nn.Module) -> tuple[int, dict]:  #?ema
    \"\"\"One pass over the training batches, formed and seeded as NetDesigner does.\"\"\"
    weights = balanced_weights([label for _, label in data.items])  # each class equally often  #?balanced_sampler
    batches = epoch_order(len(data), args.batch_size, args.seed, epoch, True)  #?!ddp+!balanced_sampler
    batches = epoch_order(len(data), args.batch_size, args.seed, epoch, True, 1, weights)  #?!ddp+balanced_sampler
    generator = torch.Generator().manual_seed(mix_seed(args.seed, epoch, 1))  # workers' augmentation  #?!ddp
    seed_generators(mix_seed(args.seed, epoch, 0), args.device.type == "cuda")  # dropout etc.  #?!ddp
    batches = [b[args.rank::args.world]  # every process takes its share of each global batch  #?ddp
               for b in epoch_order(len(data), args.batch_size, args.seed, epoch, True, args.world)]  #?ddp+!balanced_sampler
               for b in epoch_order(len(data), args.batch_size, args.seed, epoch, True, args.world, weights)]  #?ddp+balanced_sampler
    generator = torch.Generator().manual_seed(mix_seed(args.seed, epoch, 1) + args.rank)  # workers  #?ddp
    seed_generators(mix_seed(args.seed, epoch, 0) + args.rank, args.device.type == "cuda")  # dropout etc.  #?ddp
    params = [p for group in optimizer.param_groups for p in group["params"]]  #?grad_clip
    totals = torch.zeros(3, dtype=torch.float64)  # loss sum, correct, count
    for images, labels in DataLoader(data, batch_sampler=batches, num_workers=args.workers,
                                     pin_memory=args.device.type == "cuda", generator=generator):
        factor = lr_multiplier(step, len(batches), epochs, SCHEDULE, args.warmup_epochs,  #?step_schedule
                               args.step_size, args.gamma)  #?step_schedule
        factor = lr_multiplier(step, len(batches), epochs, SCHEDULE, args.warmup_epochs, 0, 0.0)  #?!step_schedule
        for group in optimizer.param_groups:
            group["lr"] = group["base_lr"] * factor
        images, labels = images.to(args.device, memory_format=MEMORY_FORMAT), labels.to(args.device)
        if args.mixup_alpha or args.cutmix_alpha:  # mixed images, soft targets  #?mix
            images, labels = mix_batch(images, labels, len(CLASS_NAMES), args.mixup_alpha, args.cutmix_alpha)  #?mix
        with torch.autocast(args.device.type, dtype=args.amp, enabled=args.amp is not None):
            logits = net(images)
            loss = loss_fn(logits, labels)
        if not math.isfinite(loss.item()):
            raise SystemExit(f"the loss became {loss.item()} at step {step + 1}: lower --lr")
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        if args.grad_clip:  #?grad_clip
            scaler.unscale_(optimizer)  #?grad_clip
            nn.utils.clip_grad_norm_(params, args.grad_clip)  #?grad_clip
        scaler.step(optimizer)
        scaler.update()
        ema.update_parameters(net.module if args.world > 1 else net)  # the running average  #?ema+ddp
        ema.update_parameters(net)  # the running average of the weights  #?ema+!ddp
        step += 1
        correct = int((logits.argmax(1) == labels).sum())  #?!mix
        correct = int((logits.argmax(1) == (labels if labels.dim() == 1 else labels.argmax(1))).sum())  #?mix
        totals += torch.tensor([loss.item() * len(labels), correct, len(labels)])
    if args.world > 1:  #?ddp
        dist.all_reduce(totals)  #?ddp
    return step, {"train_loss": float(totals[0] / totals[2]), "train_acc": float(totals[1] / totals[2])}


@torch.no_grad()
def evaluate(model: nn.Module, data: Dataset, args: argparse.Namespace) -> dict:
    \"\"\"Loss, accuracy and confusion matrix (rows: true class, columns: predicted class).\"\"\"
    model.eval()
    n, loss_sum = len(CLASS_NAMES), 0.0
    confusion = torch.zeros(n * n, dtype=torch.long)
    with torch.autocast(args.device.type, dtype=args.amp, enabled=args.amp is not None):
        for images, labels in DataLoader(data, batch_size=args.batch_size, num_workers=args.workers,
                                         pin_memory=args.device.type == "cuda"):
            logits = model(images.to(args.device, memory_format=MEMORY_FORMAT)).float().cpu()
            loss_sum += float(nn.functional.cross_entropy(logits, labels)) * len(labels)
            confusion += torch.bincount(labels * n + logits.argmax(1), minlength=n * n)
    count = max(1, int(confusion.sum()))
    return {"loss": loss_sum / count, "accuracy": int(confusion.view(n, n).diag().sum()) / count,
            "count": int(confusion.sum()), "confusion": confusion.view(n, n).tolist()}


def fit(model: nn.Module, data: dict[str, SplitDataset], args: argparse.Namespace) -> tuple[dict, list[dict]]:
    \"\"\"Train for --epochs, validating after each epoch; returns (kept weights, history).\"\"\"
    frozen_bn = frozen_batchnorm_names(model)
    groups = parameter_groups(model, args.lr, args.weight_decay, LR_FACTORS)
    optimizer = build_optimizer(groups, SOLVER, args.lr, args.momentum)  #?momentum
    optimizer = build_optimizer(groups, SOLVER, args.lr, 0.0)  # momentum is for sgdm only  #?!momentum
    net = DistributedDataParallel(model) if args.world > 1 else model  # averages the gradients  #?ddp
    scaler = torch.amp.GradScaler(enabled=args.amp == torch.float16)  # fp16 needs loss scaling
    loss_fn = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)  #?!class_weights
    weight = class_weights([label for _, label in data["train"].items], len(CLASS_NAMES))  #?class_weights
    loss_fn = nn.CrossEntropyLoss(weight=weight.to(args.device), label_smoothing=args.label_smoothing)  #?class_weights
    phase_epochs = args.head_epochs  # phase one trains what the design trains  #?finetune
    ema = ema_model(model, args.ema_decay)  # validation and the kept weights use this average  #?ema
    best, best_key, stale, step, history = None, None, 0, 0, []
    for epoch in range(1, args.epochs + 1):
        if epoch == args.head_epochs + 1:  #?finetune
            optimizer, frozen_bn = start_fine_tuning(model, args, epoch)  #?finetune
            net = DistributedDataParallel(model) if args.world > 1 else model  # the new parameters  #?finetune+ddp
            ema = ema_model(model, args.ema_decay)  # a new average  #?finetune+ema
            phase_epochs, step = args.epochs - args.head_epochs, 0  #?finetune
        started = time.perf_counter()
        set_train_mode(model, frozen_bn)
        step, row = train_one_epoch(net, optimizer, scaler, loss_fn, data["train"], epoch, step,  #?ddp
        step, row = train_one_epoch(model, optimizer, scaler, loss_fn, data["train"], epoch, step,  #?!ddp
                                    args.epochs, args)  #?!finetune+!ema
                                    phase_epochs, args)  #?finetune+!ema
                                    args.epochs, args, ema)  #?!finetune+ema
                                    phase_epochs, args, ema)  #?finetune+ema
        if args.rank == 0 and len(data["val"]):  # process 0 validates  #?ddp
        if len(data["val"]):  #?!ddp
            result = evaluate(model, data["val"], args)  #?!ema
            result = evaluate(ema.module, data["val"], args)  #?ema
            row.update(val_loss=result["loss"], val_acc=result["accuracy"])
            key = (result["accuracy"], -result["loss"])  # higher accuracy, then lower loss
            stale = 0 if best_key is None or key > best_key else stale + 1
            if not stale:
                best_key, best = key, {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}  #?!ema
                state = ema.module.state_dict()  #?ema
                best_key, best = key, {k: v.detach().cpu().clone() for k, v in state.items()}  #?ema
        history.append({"epoch": epoch, **row, "seconds": time.perf_counter() - started})
        numbers = " ".join(f"{k} {v:.4f}" for k, v in row.items()) + (" *" if best_key and not stale else "")
        if args.rank == 0:  #?ddp
            print(f"epoch {epoch}/{args.epochs} {numbers}", flush=True)  #?ddp
        print(f"epoch {epoch}/{args.epochs} {numbers}", flush=True)  #?!ddp
        if stop_early(stale, args):  #?early_stopping
            break  #?early_stopping
    return (best if args.keep == "best" and best is not None else model.state_dict()), history  #?!ema
    return (best if args.keep == "best" and best is not None else ema.module.state_dict()), history  #?ema
'''

EARLY_STOPPING = '''

def stop_early(stale: int, args: argparse.Namespace) -> bool:
    \"\"\"Stop after --patience epochs without a better validation.\"\"\"  #?!ddp
    \"\"\"Stop after --patience epochs without a better validation (process 0 decides).\"\"\"  #?ddp
    stop = torch.tensor(int(stale >= args.patience))
    if args.world > 1:  #?ddp
        dist.broadcast(stop, src=0)  #?ddp
    if stop and args.rank == 0:  #?ddp
    if stop:  #?!ddp
        print(f"no better validation for {args.patience} epochs: stopping")
    return bool(stop)
'''

FINETUNE = '''

def start_fine_tuning(model: nn.Module, args: argparse.Namespace,
                      epoch: int) -> tuple[torch.optim.Optimizer, list[str]]:
    \"\"\"Phase two of the fine-tune recipe: the whole network trains, earlier layers slower
    (discriminative learning rates), with a new optimiser and schedule.\"\"\"
    head = [name for name, p in model.named_parameters() if p.requires_grad]
    names = [name for name, _ in model.named_parameters()]
    for param in model.parameters():
        param.requires_grad_(True)
    factors = finetune_factors(names, head, LR_FACTORS, FINETUNE_GROUPS, args.layer_lr_decay)
    lr = args.lr * args.finetune_lr_ratio
    groups = parameter_groups(model, lr, args.weight_decay, factors)
    if args.rank == 0:  #?ddp
    print(f"fine-tune recipe, phase 2 from epoch {epoch}: the whole network trains", flush=True)  #?!ddp
        print(f"fine-tune recipe, phase 2 from epoch {epoch}: the whole network trains", flush=True)  #?ddp
    return build_optimizer(groups, SOLVER, lr, args.momentum), frozen_batchnorm_names(model)  #?momentum
    return build_optimizer(groups, SOLVER, lr, 0.0), frozen_batchnorm_names(model)  #?!momentum
'''

MAIN = '''

# ---- 6. Command line and main ---------------------------------------------------------------  #?!ddp
# ---- 6. Command line and main (torchrun sets WORLD_SIZE, RANK and LOCAL_RANK) ----------------  #?ddp
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\\n\\n")[0])
    parser.add_argument("--data-root", type=Path, help="folder of split.json's images, if they moved")
    parser.add_argument("--split", type=Path, default=HERE / "split.json", help="the split manifest")
    parser.add_argument("--weights", type=Path, default=HERE / WEIGHTS_FILE, help="the starting weights")
    parser.add_argument("--out-dir", type=Path, default=HERE, help="where the results are written")
    for name, value in OPTIONS.items():  # --epochs 20, --lr 0.01, ...
        parser.add_argument("--" + name.replace("_", "-"), type=type(value), default=value)
    return parser.parse_args(argv)


def save_results(model: nn.Module, data: dict[str, SplitDataset], history: list[dict],
                 args: argparse.Namespace) -> None:
    \"\"\"Evaluate the kept weights; write results.json and trained.safetensors.\"\"\"
    results = {"model": MODEL_NAME, "classes": CLASS_NAMES, "history": history, "evaluation": {}}  #?!ddp
    results = {"model": MODEL_NAME, "classes": CLASS_NAMES, "processes": args.world, "history": history,  #?ddp
               "evaluation": {}}  #?ddp
    for split in (s for s in ("val", "test") if len(data[s])):
        result = results["evaluation"][split] = evaluate(model, data[split], args)
        print(f"{split}: accuracy {result['accuracy']:.4f} on {result['count']} images, confusion matrix "
              f"(rows: true class, columns: predicted) {result['confusion']}")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    model.to("cpu", memory_format=torch.contiguous_format)  # safetensors stores contiguous tensors
    save_model(model, f"{args.out_dir}/trained.safetensors", metadata={"classes": json.dumps(CLASS_NAMES)})
    print(f"saved trained.safetensors and results.json in {args.out_dir}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    cuda = args.device != "cpu" and torch.cuda.is_available()
    args.device = torch.device("cuda" if cuda else "cpu")  #?!ddp
    args.world, args.rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))  #?ddp
    args.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0))) if cuda else torch.device("cpu")  #?ddp
    if cuda:  #?ddp
        torch.cuda.set_device(args.device)  #?ddp
    if args.world > 1:  # started by torchrun: the global batches are shared out between the processes  #?ddp
        dist.init_process_group("nccl" if cuda else "gloo")  #?ddp
    args.amp = autocast_dtype(PRECISION, args.device, False)  # fp32 on CPUs unless asked
    cpus = os.cpu_count() or 1  # loader processes: none on small CPUs (they would slow training)  #?auto_workers
    args.workers = int(args.workers) if args.workers != "auto" else min(8, cpus - 1) if cuda else (  #?auto_workers
        0 if cpus <= 4 else min(4, cpus // 4))  #?auto_workers
    data = read_split(args.split, args.data_root)
    model = build_model(args.weights).to(args.device, memory_format=MEMORY_FORMAT)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if args.rank == 0:  #?ddp
    print(f"{MODEL_NAME}: training {trainable:,} parameters on {args.device}")  #?!ddp
        print(f"{MODEL_NAME}: training {trainable:,} parameters, {args.world} processes on {args.device}")  #?ddp
    kept, history = fit(model, data, args)
    model.load_state_dict(kept)  #?!ddp
    save_results(model, data, history, args)  #?!ddp
    if args.rank == 0:  #?ddp
        model.load_state_dict(kept)  #?ddp
        save_results(model, data, history, args)  #?ddp
    if args.world > 1:  #?ddp
        dist.destroy_process_group()  #?ddp


if __name__ == "__main__":
    main()
'''


def select(template: str, features: Mapping[str, bool]) -> str:
    """`template` with the lines of features that are off removed and the markers stripped.

    A marker is ``#?name``, ``#?!name`` (when off) or several joined by ``+`` (all must hold).
    """
    out = []
    for line in template.split("\n"):
        mark = _MARK.search(line)
        if mark is None:
            out.append(line)
            continue
        terms = mark.group(1).split("+")
        unknown = [t for t in terms if t.lstrip("!") not in features]
        if unknown:
            raise KeyError(f"unknown script feature {unknown[0]!r}")
        if all(features[t.lstrip("!")] != t.startswith("!") for t in terms):
            out.append(line[:mark.start()])
    return "\n".join(out)
