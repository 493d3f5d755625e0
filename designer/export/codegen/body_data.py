"""The parts of the script that do not depend on the design: weights, freezing, data.

Kept as source text (not importable code) because it runs in the user's script, not in the app;
`designer.export.codegen.script` places it after the generated settings and network.
"""

from __future__ import annotations

MODEL_HELPERS = '''

def build_model(weights: Path) -> nn.Module:
    """The network with the design's weights (strict: every tensor must come from the file)."""
    model = build_network()
    load_model(model, str(weights), strict=True, device="cpu")
    return model


# =============================================================================================
# 2. Freezing plan (from the design)
# =============================================================================================


def covered(name: str, prefixes: list[str]) -> bool:
    """True when parameter `name` is one of `prefixes` or inside a module listed there."""
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def apply_freezing(model: nn.Module) -> None:
    """Frozen layers keep their weights: no gradient is computed for them."""
    for name, param in model.named_parameters():
        param.requires_grad_(not covered(name, FROZEN))
'''

DATA = '''

# =============================================================================================
# 4. Data: split.json lists every image (path relative to its root, class index, split)
# =============================================================================================


def resize_for(size: int) -> int:
    """Shorter side before the centre crop, keeping the weights' resize/crop ratio."""
    return max(size, round(PRETRAINED_RESIZE * size / PRETRAINED_CROP))


def eval_transform(size: int) -> v2.Compose:
    """Validation and test images: resize, centre crop, normalise (no randomness)."""
    return v2.Compose([
        v2.ToImage(),
        v2.Resize(resize_for(size), interpolation=INTERPOLATION, antialias=True),
        v2.CenterCrop(size),
        v2.ToDtype(torch.float32, scale=True),
        v2.Normalize(mean=list(MEAN), std=list(STD)),
    ])


def load_rgb(path: Path, min_side: int) -> torch.Tensor:
    """An image file as a uint8 RGB tensor (3, H, W); transparent images are put on white.

    Big JPEGs are decoded at reduced scale (never below `min_side`), which is much faster.
    """
    with Image.open(path) as image:
        if image.format == "JPEG" and min(image.size) >= 2 * min_side:
            scale = min_side / min(image.size)
            image.draft(None, (math.ceil(image.size[0] * scale), math.ceil(image.size[1] * scale)))
        image.load()
        if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
                image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
        return v2.functional.pil_to_tensor(image.convert("RGB"))


class SplitDataset(Dataset):
    """(normalised image, class index) for the images of one split."""

    def __init__(self, root: Path, items: list[tuple[str, int]], transform: v2.Compose,
                 min_side: int) -> None:
        self.root, self.items, self.transform, self.min_side = root, items, transform, min_side

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        path, label = self.items[index]
        try:
            image = load_rgb(self.root / path, self.min_side)
        except OSError as error:
            raise RuntimeError(f"cannot read image {self.root / path}: {error}") from error
        return self.transform(image), label


def read_split(split_file: Path, data_root: Path | None) -> tuple[Path, dict[str, list]]:
    """The image root and split -> [(relative path, label)] from split.json."""
    if not split_file.is_file():  # a script generated from a design alone comes without one
        raise SystemExit(f"{split_file} not found: pass --split with a split manifest listing "
                         "your images (NetDesigner writes split.json next to the script when "
                         "it is generated from a trained run).")
    manifest = json.loads(split_file.read_text(encoding="utf-8"))
    if list(manifest["classes"]) != CLASS_NAMES:
        raise SystemExit(f"{split_file} has the classes {manifest['classes']}, but the network "
                         f"was designed for {CLASS_NAMES}.")
    root = data_root or Path(manifest["root"])
    if not root.is_dir():
        raise SystemExit(f"image folder {root} not found: pass --data-root with the folder "
                         "that holds the class folders listed in split.json.")
    splits: dict[str, list] = {"train": [], "val": [], "test": []}
    for path, label, split in manifest["entries"]:
        splits[split].append((path, int(label)))
    return root, splits


class EpochBatches(Sampler):
    """The batches of one epoch, shuffled by (seed, epoch) exactly as NetDesigner shuffles them.

    With several processes, every global batch is shared out between them, so the model sees
    the same batches whatever the number of processes.
    """

    def __init__(self, n: int, batch_size: int, seed: int, shuffle: bool, rank: int = 0,
                 world: int = 1, weights: torch.Tensor | None = None) -> None:
        self.n, self.batch_size, self.seed, self.shuffle = n, batch_size, seed, shuffle
        self.rank, self.world, self.epoch, self.weights = rank, world, 1, weights

    def batches(self) -> list[list[int]]:
        batches = epoch_order(self.n, self.batch_size, self.seed, self.epoch, self.shuffle, self.world,
                              self.weights)
        return [b[self.rank::self.world] for b in batches]

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches())

    def __len__(self) -> int:
        return len(self.batches())


def make_loader(dataset: Dataset, sampler: EpochBatches, workers: int, device: torch.device,
                generator: torch.Generator) -> DataLoader:
    return DataLoader(dataset, batch_sampler=sampler, num_workers=workers,
                      pin_memory=device.type == "cuda", generator=generator)
'''
