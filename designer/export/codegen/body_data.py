"""The script's data section: decode, split.json, datasets (source text, not importable code).

It must decode exactly like the app (JPEG draft decoding, transparency on white), so the parity
test can compare the script's run with the app's. `designer.export.codegen.script` places it
after the settings, the network and the recipe; the transforms come from ``script.py``.
"""

from __future__ import annotations

DATA = '''

# ---- 4. Data: split.json lists every image (path relative to its root, class index, split) ----
def load_rgb(path: Path) -> torch.Tensor:
    """An image file as a uint8 RGB tensor (3, H, W), decoded exactly as NetDesigner decodes it:
    big JPEGs at reduced scale (never below 2 x RESIZE), transparent images put on white."""
    with Image.open(path) as image:
        if image.format == "JPEG" and min(image.size) >= 4 * RESIZE:
            scale = 2 * RESIZE / min(image.size)
            image.draft(None, (math.ceil(image.size[0] * scale), math.ceil(image.size[1] * scale)))
        image.load()
        if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
                image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
        return v2.functional.pil_to_tensor(image.convert("RGB"))


class SplitDataset(Dataset):
    """(normalised image, class index) for the images of one split."""

    def __init__(self, root: Path, items: list[tuple[str, int]], transform: v2.Compose) -> None:
        self.root, self.items, self.transform = root, items, transform

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        path, label = self.items[index]
        return self.transform(load_rgb(self.root / path)), label


def read_split(split_file: Path, data_root: Path | None) -> dict[str, SplitDataset]:
    """The train/val/test datasets listed in split.json."""
    if not split_file.is_file():  # a script generated from a design alone comes without one
        raise SystemExit(f"{split_file} not found: pass --split with a split.json listing your images")
    manifest = json.loads(split_file.read_text(encoding="utf-8"))
    if list(manifest["classes"]) != CLASS_NAMES:
        raise SystemExit(f"{split_file} has the classes {manifest['classes']}, not {CLASS_NAMES}.")
    root = data_root or Path(manifest["root"])
    if not root.is_dir():
        raise SystemExit(f"image folder {root} not found: pass --data-root with the folder it moved to")
    items: dict[str, list] = {"train": [], "val": [], "test": []}
    for path, label, split in manifest["entries"]:
        items[split].append((path, int(label)))
    return {split: SplitDataset(root, entries, TRAIN_TRANSFORM if split == "train" else EVAL_TRANSFORM)
            for split, entries in items.items()}
'''
