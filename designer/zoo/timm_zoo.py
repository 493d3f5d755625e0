"""Zoo entries for every pretrained timm tag, from ``pretrained_cfg`` and timm's result tables.

One entry per tag (``convnext_atto.d2_in1k``), grouped by architecture and by family (the timm
module that registers it). Accuracy, parameters and GMACs come from timm's published tables
(`designer.zoo.timm_tables`); a tag without a row says "not published", never a guess. Listing
builds no model and downloads nothing. Reading 1,826 pretrained configs needs ``import timm``
(seconds), so the finished list is cached on disk per timm version and table contents.
"""

from __future__ import annotations

import functools
import importlib.metadata
import math
import re
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from designer.zoo import timm_tables
from designer.zoo.cache import read_json, user_cache_dir, write_json
from designer.zoo.conventions import add_missing_head, classifier_paths
from designer.zoo.download import HF_WEIGHT_FILES, download_hf, download_weights, hf_cached_file
from designer.zoo.entry import ZooEntry
from designer.zoo.preprocessing import Preprocessing
from designer.zoo.sources import Cancel, Progress, ZooSource, register_source
from designer.zoo.timm_families import family_label
from designer.zoo.weights import apply_weights, load_weights_file

if TYPE_CHECKING:
    from torch import nn

SOURCE_NAME = "timm"
CACHE_FILE = "timm_zoo.json"
#: bump when the cached record's layout changes
CACHE_SCHEMA = 2
NOT_PUBLISHED = "not published"
HF_URL = "https://huggingface.co"
_DATASET = re.compile(r"in\d+k|inw21k|laion\w*|webli|openai|lvd\d+m|datacomp\w+|jft\d*m?|"
                      r"ig\d+b|yfcc\d+m|m\d+m|merged\d+b|dfn\w*\d+b|sa1b|sat\d+m|cc\d+m|"
                      r"worldwide")
_LICENSE_URLS = {
    "apache-2.0": "https://www.apache.org/licenses/LICENSE-2.0",
    "mit": "https://opensource.org/license/mit",
    "bsd-3-clause": "https://opensource.org/license/bsd-3-clause",
    "cc-by-nc-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
    "cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/",
}

#: families that do not round-trip faithfully: listed, marked view-only with the reason.
#: Filled from tests/zoo/test_timm_fidelity.py, which checks every other family round-trips.
VIEW_ONLY: dict[str, str] = {
    "gemma4_vit": "its forward branches on tensor values (data-dependent control flow), which "
                  "torch.fx cannot turn into a graph; it can be used as a whole but not edited",
    "coat": "its parallel blocks share layers under two names; the edited model names each "
            "shared layer once, so timm's checkpoints would not load into it unchanged",
}
#: found by tests/zoo/test_timm_fidelity.py: eval outputs and weights match, but in training mode
#: the imported graph computes other values than timm's module (it draws other random numbers
#: or takes another branch), so training it would not be training the original
_TRAIN_MODE_DIFFERS = ("in training mode it computes other values than timm's own module (the "
                       "imported graph does not keep its training-time steps); it can be viewed "
                       "and evaluated, not trained, until this is fixed")
VIEW_ONLY.update(dict.fromkeys(("ghostnet", "hiera", "repghost", "senet"), _TRAIN_MODE_DIFFERS))


def pretraining_of(tag: str) -> str:
    """The datasets named in a weights tag, in training order ("augreg_in21k_ft_in1k" ->
    "in21k → in1k"); "" when the tag names none."""
    return " → ".join(t for t in tag.split("_") if _names_dataset(t))


@functools.lru_cache(maxsize=4096)
def _names_dataset(token: str) -> bool:
    """Cached: the same few dozen tokens recur over 1,826 tags, and the pattern is slow."""
    return _DATASET.fullmatch(token) is not None


def _timm_version() -> str:
    try:
        return importlib.metadata.version("timm")
    except importlib.metadata.PackageNotFoundError:
        return ""


# ----- building the records (needs timm) ---------------------------------------------------
def _record(tag: str, cfg: Any, module: str, default_classes: int | None) -> dict[str, Any]:
    """Everything an entry needs from a timm ``PretrainedCfg``, as JSON-ready data (what the
    disk cache stores)."""
    arch, _, weights = tag.partition(".")
    size = int(cfg.input_size[-1])
    rows = timm_tables.results().get(tag, ())
    result = next((r for r in rows if r.img_size == size), rows[0] if rows else None)
    bench = timm_tables.gmacs().get(arch)
    crop_pct = float(cfg.crop_pct or 0.875)
    interpolation = str(cfg.interpolation or "bicubic")
    record: dict[str, Any] = {
        "tag": tag, "arch": arch, "weights": weights, "module": module,
        "num_classes": int(cfg.num_classes or 0),
        "mean": list(cfg.mean or ()), "std": list(cfg.std or ()),
        "license": cfg.license or "", "hf_repo": cfg.hf_hub_id or None,
        "url": cfg.url or None, "crop_mode": cfg.crop_mode or "center",
        "params": None, "gmacs": None, "top1": None, "top5": None,
        "also": [[r.img_size, r.top1, r.top5] for r in rows if r is not result],
    }
    if result is not None:  # evaluated at its own size and crop: show what was measured
        size, crop_pct, interpolation = result.img_size, result.crop_pct, result.interpolation
        record.update(top1=result.top1, top5=result.top5, params=result.params_m)
    same_head = default_classes is not None and record["num_classes"] == default_classes
    if bench is not None and same_head:
        record["params"] = record["params"] or bench.params_m
        if bench.img_size == size:
            record["gmacs"] = bench.gmacs
    record.update(size=size, crop_pct=crop_pct, interpolation=interpolation)
    return record


def build_records() -> list[dict[str, Any]]:
    """One record per pretrained tag, read from timm (imports timm: a few seconds)."""
    import timm
    from timm.models import get_pretrained_cfg
    from timm.models._registry import model_entrypoint

    records = []
    defaults: dict[str, int | None] = {}
    for tag in timm.list_pretrained():
        arch = tag.partition(".")[0]
        if arch not in defaults:  # the benchmark tables measured the default head
            default = get_pretrained_cfg(arch)
            defaults[arch] = int(default.num_classes or 0) if default is not None else None
        module = model_entrypoint(arch).__module__.rsplit(".", 1)[-1]
        records.append(_record(tag, get_pretrained_cfg(tag), module, defaults[arch]))
    return records


# ----- entries from records (no timm) ------------------------------------------------------
def _cache_key() -> str:
    return f"{CACHE_SCHEMA}|timm={_timm_version()}|tables={timm_tables.fingerprint()}"


def cached_records() -> list[dict[str, Any]]:
    """The records, from the user's cache when it matches this timm and these tables."""
    path = user_cache_dir() / CACHE_FILE
    data = read_json(path)
    if data.get("key") == _cache_key() and isinstance(data.get("records"), list):
        return data["records"]
    records = build_records()
    write_json(path, {"key": _cache_key(), "records": records})
    return records


def _imagenet_categories() -> tuple[str, ...]:
    from torchvision.models import ResNet18_Weights

    return tuple(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def entry_from_record(record: dict[str, Any], imagenet: tuple[str, ...] = ()) -> ZooEntry:
    """The zoo entry of one record (``imagenet``: class names for 1,000-class heads)."""
    size, crop_pct = int(record["size"]), float(record["crop_pct"])
    mean = tuple(float(v) for v in record["mean"]) or (0.485, 0.456, 0.406)
    std = tuple(float(v) for v in record["std"]) or (0.229, 0.224, 0.225)
    preprocessing = Preprocessing(
        resize_size=max(size, math.floor(size / crop_pct)), crop_size=size,
        mean=(mean[0], mean[1], mean[2]), std=(std[0], std[1], std[2]),
        interpolation=record["interpolation"])
    published = record["top1"] is not None
    classes = int(record["num_classes"])
    notes = []
    if record["crop_mode"] != "center":
        notes.append(f"timm evaluates it with crop mode '{record['crop_mode']}'.")
    if not published:
        notes.append("ImageNet accuracy not published in timm's result tables.")
    for other_size, top1, top5 in record["also"]:
        notes.append(f"Also published: top-1 {top1:.1f} % / top-5 {top5:.1f} % at {other_size} px.")
    if classes == 0:
        notes.append("Backbone only (no classifier head): add a head for your classes.")
    family = family_label(record["module"])
    view_only = VIEW_ONLY.get(record["module"], "")
    return ZooEntry(
        name=record["tag"], display_name=record["tag"], family=family, source=SOURCE_NAME,
        num_params=None if record["params"] is None else round(record["params"] * 1e6),
        gflops=record["gmacs"], acc1=record["top1"], acc5=record["top5"], file_size_mb=None,
        min_size=1, preprocessing=preprocessing,
        categories=imagenet if classes == 1000 and "in1k" in record["weights"] else (),
        license_url=_LICENSE_URLS.get(record["license"]),
        weights_label=record["weights"],
        weights_url=f"{HF_URL}/{record['hf_repo']}" if record["hf_repo"] else record["url"],
        builder_kwargs=MappingProxyType({}), notes=" ".join(notes),
        architecture=record["arch"], pretraining=pretraining_of(record["weights"]),
        license=record["license"] or "unknown", hf_repo=record["hf_repo"], num_classes=classes,
        crop_pct=crop_pct, metrics_source=timm_tables.SOURCE if published else NOT_PUBLISHED,
        view_only=view_only)


@functools.cache
def timm_entries() -> tuple[ZooEntry, ...]:
    """Every pretrained timm tag as a zoo entry (1,826 with timm 1.0.31)."""
    imagenet = _imagenet_categories()
    return tuple(entry_from_record(r, imagenet) for r in cached_records())


def family_representatives() -> dict[str, str]:
    """The smallest architecture (by published parameters) of each timm family, keyed by the
    timm module; what the fidelity test and the op allow-list generator cover."""
    best: dict[str, tuple[float, str]] = {}
    for record in cached_records():
        params = record["params"]
        if params is None and (bench := timm_tables.gmacs().get(record["arch"])) is not None:
            params = bench.params_m
        key = (float("inf") if params is None else float(params), record["arch"])
        if record["module"] not in best or key < best[record["module"]]:
            best[record["module"]] = key
    return {module: arch for module, (_params, arch) in sorted(best.items())}


# ----- building and weights (needs timm) ---------------------------------------------------
def build_timm(entry: ZooEntry) -> nn.Module:
    """The architecture of the tag with random weights (timm never downloads here).

    Backbone-only weights (``num_classes=0``) get a fresh 1,000-class head, so the design has
    a classifier to replace for the user's classes (its weights are random either way).
    """
    import timm

    model = timm.create_model(entry.name, pretrained=False)
    add_missing_head(model)
    return model


def _fetch(entry: ZooEntry, progress: Progress | None, cancel: Cancel | None) -> Path:
    if entry.hf_repo:
        return download_hf(entry.hf_repo, _hf_files(entry), progress, cancel)
    return download_weights(entry, progress, cancel)  # a release URL (a few older tags)


def _hf_files(entry: ZooEntry) -> tuple[str, ...]:
    from timm.models import get_pretrained_cfg

    cfg = get_pretrained_cfg(entry.name)
    named = getattr(cfg, "hf_hub_filename", None) if cfg is not None else None
    return (*HF_WEIGHT_FILES, named) if named and named not in HF_WEIGHT_FILES else HF_WEIGHT_FILES


def load_timm_weights(model: nn.Module, path: Path, entry: ZooEntry) -> None:
    """Fill ``model`` from a downloaded weights file (read safely: no unpickling of code).

    Hub files hold timm's own key names; an original release file goes through the model
    module's ``checkpoint_filter_fn`` first, as timm itself does.
    """
    state = load_weights_file(path)
    if entry.num_classes == 0:  # the file has no head: keep the fresh one build_timm added
        heads = classifier_paths(model)
        own = model.state_dict()
        state = {**{k: v for k, v in own.items() if k.startswith(tuple(f"{h}." for h in heads))},
                 **state}
    if not entry.hf_repo:
        import importlib

        module = importlib.import_module(type(model).__module__)
        filter_fn = getattr(module, "checkpoint_filter_fn", None)
        if callable(filter_fn):
            state = filter_fn(state, model)
    apply_weights(model, state)


def _is_cached(entry: ZooEntry) -> bool:
    if entry.hf_repo:
        return hf_cached_file(entry.hf_repo) is not None
    from designer.zoo.download import cached_weights_path

    return cached_weights_path(entry) is not None


SOURCE = register_source(ZooSource(
    name=SOURCE_NAME, entries=timm_entries, build=build_timm, fetch=_fetch,
    load=load_timm_weights, is_cached=_is_cached))
