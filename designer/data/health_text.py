"""Words for the health report: warnings and a readable summary (kept apart from the checks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from designer.data.health import HealthReport

#: A class this many times smaller than the largest one gets a warning.
IMBALANCE_WARN = 3.0
#: Fewer usable images than this in a class gets a warning.
FEW_IMAGES = 5
#: Left-out folders and links named one by one in the warnings (all are in the summary).
FOLDERS_SHOWN = 5

_SPLIT_WORDS = {"train": "training", "val": "validation", "test": "test"}
_CONVERSION_WORDS = {
    "alpha": "with transparency (composited on white)",
    "grayscale": "grayscale",
    "palette": "palette (indexed colour)",
    "cmyk": "CMYK",
    "16-bit": "16-bit",
}


def build_warnings(report: HealthReport) -> list[str]:
    """Things the user should probably fix before training, most important first."""
    out: list[str] = []
    totals = report.totals
    out += _class_warnings(totals)
    out += _split_warnings(report)
    leaks = report.leakage
    if leaks:
        n = sum(len(g.paths) for g in leaks)
        out.append(
            f"{n} files are exact duplicates across splits (leakage): validation/test accuracy "
            "will look better than it is; remove the copies"
        )
    conflicts = [g for g in report.duplicates if g.label_conflict]
    if conflicts:
        out.append(f"{len(conflicts)} group(s) of identical images are filed under different classes")
    folders = [b for b in report.bad_files if b.is_folder]
    out += [f"left out {report.display_path(b.path)}: {b.reason}" for b in folders[:FOLDERS_SHOWN]]
    if len(folders) > FOLDERS_SHOWN:
        out.append(f"{len(folders) - FOLDERS_SHOWN} more folders or links were left out "
                   "(listed with their reasons)")
    files = len(report.bad_files) - len(folders)
    if files:
        out.append(f"{files} files were skipped (listed with their reasons)")
    return out


def _class_warnings(totals: dict[str, int]) -> list[str]:
    out = [f"class {c!r} has no usable images" for c, n in totals.items() if n == 0]
    if not totals:
        return out
    biggest = max(totals, key=lambda c: totals[c])
    top = totals[biggest]
    for name, n in totals.items():
        if n > 0 and top / n >= IMBALANCE_WARN:
            out.append(f"class {name!r} has {n} images, {_ratio(top / n)}x fewer than {biggest!r} ({top})")
        elif 0 < n < FEW_IMAGES:
            out.append(f"class {name!r} has only {n} images; aim for 20 or more per class")
    return out


def _split_warnings(report: HealthReport) -> list[str]:
    out = []
    for split, per_class in report.counts.items():
        if split not in _SPLIT_WORDS or sum(per_class.values()) == 0:
            continue
        for name, n in per_class.items():
            if n == 0 and sum(report.counts[s][name] for s in report.counts) > 0:
                out.append(f"class {name!r} has no {_SPLIT_WORDS[split]} images")
    return out


def _ratio(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def summary_lines(report: HealthReport) -> list[str]:
    """Human-readable lines: counts, imbalance, conversions, skipped files, leakage, warnings."""
    totals = report.totals
    usable = sum(totals.values())
    split_totals = {s: sum(c.values()) for s, c in report.counts.items()}
    skipped = [b for b in report.bad_files if not b.is_folder]
    # every file is either usable or skipped (by the scan or when decoding): the numbers add up
    lines = [f"{len(report.classes)} classes, {usable} usable images of {usable + len(skipped)} "
             f"files" + (f" ({len(skipped)} skipped, listed below)" if skipped else "")]
    if len(split_totals) > 1:
        lines.append("splits: " + ", ".join(f"{s} {n}" for s, n in split_totals.items()))
    lines.append("per class: " + ", ".join(f"{c} {n}" for c, n in totals.items()))
    ratio = report.imbalance_ratio
    if usable:
        text = "inf (a class is empty)" if ratio == float("inf") else f"{ratio:.1f}"
        lines.append(f"imbalance (largest / smallest class): {text}")
    if report.conversions:
        parts = [f"{n} {_CONVERSION_WORDS.get(k, k)}" for k, n in report.conversions.items()]
        lines.append("converted to RGB: " + ", ".join(parts))
    for big in report.large_images:
        lines.append(
            f"very large image ({big.width}x{big.height}, decoded at reduced size "
            f"where the format allows): {report.display_path(big.path)}"
        )
    folders = [b for b in report.bad_files if b.is_folder]
    files = [b for b in report.bad_files if not b.is_folder]
    if folders:
        lines.append(f"left out {len(folders)} folders or links:")
        lines += [f"  {report.display_path(b.path)}: {b.reason}" for b in folders]
    if files:
        lines.append(f"skipped {len(files)} files:")
        lines += [f"  {report.display_path(b.path)}: {b.reason}" for b in files]
    for group in report.duplicates:
        what = "leakage across splits" if group.leakage else "duplicates"
        where = ", ".join(
            f"{report.display_path(p)} ({s}, {c})"
            for p, s, c in zip(group.paths, group.splits, group.classes, strict=True)
        )
        lines.append(f"{what}: {where}")
    lines += [f"warning: {w}" for w in report.warnings]
    return lines
