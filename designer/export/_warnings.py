"""Keep exporter warnings out of the caller's console and put them in the report instead.

torch.jit and the legacy ONNX exporter warn on every call in torch 2.14 (deprecations), and
TorchScript repeats a warning per scripted sub-module. They are recorded only while an exporter or
loader runs (``warnings.catch_warnings`` is process-global state, so another thread's warnings in
that window are recorded too), summarised, and handed back as short lines for ExportReport.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

# Replaced by one friendly line each: (pattern on the message, what the user should read).
_KNOWN = (
    (
        re.compile(r"torch\.jit\.\w+` is deprecated"),
        "TorchScript (torch.jit) is deprecated in PyTorch ≥ 2.9 and may be removed; "
        "prefer ONNX or .pt2 for new deployments.",
    ),
    (
        re.compile(r"legacy TorchScript-based ONNX export|The feature will be removed"),
        "Used the legacy TorchScript-based ONNX exporter (deprecated in PyTorch ≥ 2.9).",
    ),
)
# Internal chatter about how TorchScript compiles torch's own modules: nothing a user can act on.
_NOISE = (re.compile(r"TorchScript type system doesn't support instance-level annotations"),)
_MAX_LINES = 8
_MAX_CHARS = 240


def summarise(messages: list[str]) -> list[str]:
    """Deduplicate raw warning lines, map known ones to advice, drop pure noise."""
    out: list[str] = []
    counts: Counter[str] = Counter()
    for raw in messages:
        line = _friendly(raw)
        if line is None:
            continue
        if line not in counts:
            out.append(line)
        counts[line] += 1
    lines = [f"{line} (×{counts[line]})" if counts[line] > 1 and _is_raw(line) else line for line in out]
    if len(lines) > _MAX_LINES:
        lines = [*lines[:_MAX_LINES], f"… and {len(lines) - _MAX_LINES} more warnings"]
    return lines


def _friendly(raw: str) -> str | None:
    for pattern, advice in _KNOWN:
        if pattern.search(raw):
            return advice
    if any(p.search(raw) for p in _NOISE):
        return None
    first = raw.strip().splitlines()[0] if raw.strip() else raw
    return first if len(first) <= _MAX_CHARS else first[: _MAX_CHARS - 1] + "…"


def _is_raw(line: str) -> bool:
    return all(line != advice for _, advice in _KNOWN)


@contextmanager
def captured_warnings(sink: list[str]) -> Iterator[None]:
    """Record every warning raised inside the block into ``sink`` (summarised, deduplicated)."""
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            raw = [f"{r.category.__name__}: {r.message}" for r in records]
            sink.extend(line for line in summarise(raw) if line not in sink)
