"""Consent to run code from a file, remembered per file content (SHA-256).

Opening a Python file (or a TorchScript / pickled archive) runs code written by someone else.
NetDesigner asks once; the answer is kept outside any project, in the user's config folder
(``$XDG_CONFIG_HOME/netdesigner/trusted-code.json``), keyed by the file's SHA-256: an edited file
is a new file and is asked about again. A "no" is remembered too, so a declined file is not run
by a later call that gives no answer; an explicit answer always wins and replaces it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from designer.core.errors import UserError

FILE_NAME = "trusted-code.json"


class ConsentNeeded(UserError):  # noqa: N818 - a question, not a failure
    """Running `path` needs the user's consent and none is on record; `question` asks for it."""

    def __init__(self, path: Path, question: str, declined: bool = False) -> None:
        self.path = path
        self.question = question
        self.declined = declined
        super().__init__(question)


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/netdesigner`` (``~/.config/netdesigner`` when the variable is unset)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "netdesigner"


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class TrustStore:
    """The remembered answers: SHA-256 -> trusted (True/False), with the path for the user."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / FILE_NAME

    def _read(self) -> dict[str, dict[str, object]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # no answers yet, or a damaged file: ask again rather than assume
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, dict)} \
            if isinstance(data, dict) else {}

    def answer(self, digest: str) -> bool | None:
        """True (trusted), False (declined) or None (never asked) for a file's SHA-256."""
        value = self._read().get(digest, {}).get("trusted")
        return value if isinstance(value, bool) else None

    def remember(self, digest: str, trusted: bool, path: Path) -> None:
        """Record the answer (atomically: a crash leaves the old file or the new one)."""
        data = self._read()
        data[digest] = {"trusted": trusted, "path": str(path),
                        "at": datetime.now(UTC).isoformat(timespec="seconds")}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".trusted-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1)
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def decide(self, path: Path, trust: bool | None, question: str,
               digest: str | None = None) -> str:
        """The file's SHA-256 once running it is allowed; ConsentNeeded otherwise.

        `trust` is the caller's explicit answer (remembered), None to use the remembered one.
        `digest`: the hash of the bytes the caller already read (and will run), if any.
        """
        digest = digest or file_sha256(path)
        if trust is not None:
            self.remember(digest, trust, path)
        answer = self.answer(digest)
        if answer is True:
            return digest
        raise ConsentNeeded(path, question, declined=answer is False)
