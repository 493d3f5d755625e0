"""Human-readable numbers for labels and tables (params, MACs, bytes)."""

from __future__ import annotations


def count_text(value: int | float) -> str:
    """12_345_678 -> '12.3 M'; small values stay exact."""
    value = float(value)
    for limit, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.0f}"


def bytes_text(value: int) -> str:
    """Bytes in KiB/MiB/GiB."""
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size:.1f} GiB"
