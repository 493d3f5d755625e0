"""Small JSON caches in the user's cache folder (measured latencies, bundled-model statistics).

A cache is an optimisation only: unreadable or unwritable files are treated as empty, never as
errors, so a read-only home directory still lets the app work.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/netdesigner`` (``~/.cache/netdesigner`` when the variable is unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "netdesigner"


def read_json(path: Path) -> dict[str, Any]:
    """The file's object, or ``{}`` when it is missing, unreadable or not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a file; errors ignored."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(UnboundLocalError, OSError):
            os.unlink(tmp)


def update_json(path: Path, key: str, value: Any) -> None:
    """Set one key of a JSON cache file (read, modify, write)."""
    data = read_json(path)
    data[key] = value
    write_json(path, data)
