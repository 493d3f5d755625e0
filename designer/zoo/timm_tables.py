"""timm's published ImageNet results and GMACs, vendored in ``resources/timm/`` (Apache-2.0).

The timm wheel ships no accuracy table, so the zoo reads timm's own ``results/`` CSVs (the
columns it needs, copied by ``scripts/vendor_timm_tables.py``; the README beside them names the
source commit). Parsed once per process; nothing here imports torch or timm.
"""

from __future__ import annotations

import csv
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

RESULTS_FILE = "results-imagenet.csv"
GMACS_FILE = "gmacs.csv"
#: the timm commit the vendored tables were copied from (see resources/timm/README.md)
SOURCE_COMMIT = "aa4b5850c1543fa488abf260f18390eda46cf85d"
SOURCE = f"timm results tables (commit {SOURCE_COMMIT[:8]})"


@dataclass(frozen=True)
class Result:
    """One row of ``results-imagenet.csv``: a pretrained tag evaluated on ImageNet-1k."""

    img_size: int
    top1: float
    top5: float
    params_m: float
    crop_pct: float
    interpolation: str


@dataclass(frozen=True)
class Gmacs:
    """One row of the benchmark table: an architecture measured at ``img_size``."""

    img_size: int
    params_m: float
    gmacs: float


def tables_dir() -> Path:
    """``resources/timm`` of a source checkout, or ``designer/resources/timm`` in a wheel."""
    package = Path(__file__).resolve().parent.parent  # designer/
    for base in (package / "resources", package.parent / "resources"):
        if (base / "timm" / RESULTS_FILE).is_file():
            return base / "timm"
    raise FileNotFoundError("timm's result tables (resources/timm) are missing from this "
                            "installation; reinstall NetDesigner.")


def _rows(name: str) -> list[dict[str, str]]:
    with (tables_dir() / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _number(text: str) -> float:
    """A number as the tables write it ("1,014.45" for large parameter counts)."""
    return float(text.replace(",", ""))


@functools.cache
def results() -> dict[str, tuple[Result, ...]]:
    """Published ImageNet-1k results by pretrained tag (``arch.tag``); a tag evaluated at its
    train size and at a larger test size has two, best first (the table's order)."""
    found: dict[str, list[Result]] = {}
    for row in _rows(RESULTS_FILE):
        found.setdefault(row["model"], []).append(Result(
            int(row["img_size"]), _number(row["top1"]), _number(row["top5"]),
            _number(row["param_count"]), _number(row["crop_pct"]), row["interpolation"]))
    return {tag: tuple(rows) for tag, rows in found.items()}


@functools.cache
def gmacs() -> dict[str, Gmacs]:
    """Published GMACs and parameters by architecture (default head and input size)."""
    return {row["model"]: Gmacs(int(row["infer_img_size"]), _number(row["param_count"]),
                                _number(row["infer_gmacs"]))
            for row in _rows(GMACS_FILE)}


def fingerprint() -> str:
    """A hash of the vendored tables (part of the listing cache's key)."""
    digest = hashlib.sha256()
    for name in (RESULTS_FILE, GMACS_FILE):
        digest.update((tables_dir() / name).read_bytes())
    return digest.hexdigest()[:16]
