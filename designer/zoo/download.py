"""Download pretrained weights with progress and cancel, into the cache their library uses.

torchvision's files land where ``torchvision`` looks for them (``torch.hub.get_dir()/
checkpoints``), with a hash check; timm's come from the Hugging Face hub through
``huggingface_hub`` into its standard cache (shared with timm and every other HF user), which
resumes an interrupted or cancelled download where it stopped.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import ipaddress
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from designer.zoo.entry import ZooEntry
from designer.zoo.errors import (
    DownloadCancelled,
    DownloadError,
    HashMismatchError,
    OfflineError,
)

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]

OFFLINE_MESSAGE = ("No network: import a weights file or use a bundled model, or start from "
                   "random weights")
NO_DOWNLOAD_ENV = "NETDESIGNER_NO_DOWNLOAD"
CHUNK_SIZE = 64 * 1024
TIMEOUT_S = 30.0
_HASH_RE = re.compile(r"-([a-f0-9]*)\.")  # the same rule torch.hub applies to file names


def checkpoints_dir() -> Path:
    """torch hub's checkpoint folder (honours ``TORCH_HOME`` and ``torch.hub.set_dir``)."""
    import torch.hub

    return Path(torch.hub.get_dir()) / "checkpoints"


def cached_weights_path(entry: ZooEntry) -> Path | None:
    """The already-downloaded weights file of an entry with a download URL, or None."""
    file_name = entry.weights_file_name
    if file_name is None:
        return None
    path = checkpoints_dir() / file_name
    return path if path.is_file() else None


def download_weights(
    entry: ZooEntry,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    url: str | None = None,
) -> Path:
    """Fetch the entry's weights file (or ``url``) into the hub cache and return its path.

    Written to a temporary file and renamed only once complete and verified, so an interrupted
    or cancelled download never leaves a file that looks finished.
    """
    if url is None:
        if entry.weights_url is None:
            raise DownloadError(f"{entry.display_name} has nothing to download: its weights are "
                                "bundled with the app.")
        url = entry.weights_url
    file_name = urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1]
    dest = checkpoints_dir() / file_name
    if dest.is_file():
        _report(progress, 1.0, f"{file_name} is already downloaded")
        return dest
    _check_allowed(url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{file_name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as out:
            digest = _stream(url, out, file_name, progress, cancel)
        _verify(file_name, digest)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return dest


def _check_allowed(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise DownloadError(f"Cannot download {url!r}: only http(s) addresses are supported.")
    if not _downloads_disabled() or _is_loopback(parts.hostname or ""):
        return
    raise OfflineError(_disabled_message())


def _downloads_disabled() -> bool:
    return os.environ.get(NO_DOWNLOAD_ENV, "") not in ("", "0")


def _disabled_message() -> str:
    return f"{OFFLINE_MESSAGE} (downloads are disabled because {NO_DOWNLOAD_ENV} is set)."


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _open(url: str, file_name: str) -> Any:  # an http.client.HTTPResponse
    try:
        return urllib.request.urlopen(url, timeout=TIMEOUT_S)  # scheme checked above
    except urllib.error.HTTPError as error:
        error.close()  # it holds the open connection
        raise DownloadError(f"Downloading {file_name} failed: the server answered {error.code} "
                            f"{error.reason}. Try again later, import a weights file or use a "
                            "bundled model.") from error
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", error)
        raise OfflineError(f"{OFFLINE_MESSAGE} ({reason}).") from error


def _stream(url: str, out: IO[bytes], file_name: str, progress: Progress | None,
            cancel: Cancel | None) -> str:
    """Copy the response to ``out`` chunk by chunk; returns the sha256 hex digest."""
    sha = hashlib.sha256()
    done = 0
    with _open(url, file_name) as response:
        total = int(response.headers.get("Content-Length") or 0)
        _report(progress, 0.0, f"Downloading {file_name}")
        while True:
            if cancel is not None and cancel():
                raise DownloadCancelled(f"Download of {file_name} cancelled; nothing was kept.")
            try:
                chunk = response.read(CHUNK_SIZE)
            except (OSError, http.client.HTTPException) as error:
                raise OfflineError(f"{OFFLINE_MESSAGE} (connection lost: {error!r}).") from error
            if not chunk:
                break
            _write(out, chunk, file_name)
            sha.update(chunk)
            done += len(chunk)
            fraction = min(done / total, 1.0) if total else 0.0
            _report(progress, fraction, f"Downloading {file_name}: {_mb(done)} of {_mb(total)}")
    if total and done != total:
        raise OfflineError(f"{OFFLINE_MESSAGE} (connection lost after {_mb(done)} of "
                           f"{_mb(total)}).")
    _report(progress, 1.0, f"Downloaded {file_name}")
    return sha.hexdigest()


def _write(out: IO[bytes], chunk: bytes, file_name: str) -> None:
    try:
        out.write(chunk)
    except OSError as error:
        raise DownloadError(f"Could not save {file_name} in {checkpoints_dir()}: {error}. "
                            "Free some disk space or set TORCH_HOME to another folder.") from error


def _verify(file_name: str, digest: str) -> None:
    match = _HASH_RE.search(file_name)
    prefix = match.group(1) if match else ""
    if prefix and not digest.startswith(prefix):
        raise HashMismatchError(f"{file_name} arrived damaged or altered: its sha256 starts "
                                f"with {digest[:len(prefix)]}, expected {prefix}. The file was "
                                "discarded; try the download again.")


def _report(progress: Progress | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(fraction, message)


def _mb(num_bytes: int) -> str:
    return f"{num_bytes / 2**20:.1f} MB"


# ----- Hugging Face hub (timm's weights) ---------------------------------------------------
#: files a timm repository may hold its weights in, preferred first (timm's own order)
HF_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def _split_repo(repo: str) -> tuple[str, str | None]:
    """"owner/name@revision" (timm's notation) -> ("owner/name", "revision")."""
    name, _, revision = repo.partition("@")
    return name, revision or None


def hf_cache_dir() -> Path:
    """The hub cache folder (honours ``HF_HOME`` / ``HF_HUB_CACHE``)."""
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


_FOLDERS: dict[str, tuple[int, frozenset[str]]] = {}


def _repo_folders() -> frozenset[str]:
    """Names of the repository folders in the hub cache: one directory read per change of
    the folder (so the browser can ask about ~1,900 models at once)."""
    cache = hf_cache_dir()
    try:
        stamp = cache.stat().st_mtime_ns
    except OSError:
        return frozenset()
    known = _FOLDERS.get(str(cache))
    if known is None or known[0] != stamp:
        with os.scandir(cache) as found:
            known = (stamp, frozenset(e.name for e in found if e.is_dir()))
        _FOLDERS[str(cache)] = known
    return known[1]


def hf_cached_file(repo: str, filenames: tuple[str, ...] = HF_WEIGHT_FILES) -> Path | None:
    """The first of ``filenames`` already complete in the hub cache for ``repo``, or None.

    Costs one ``stat`` for a repository never downloaded, so the browser can ask for all rows.
    """
    name, revision = _split_repo(repo)
    if f"models--{name.replace('/', '--')}" not in _repo_folders():
        return None
    from huggingface_hub import try_to_load_from_cache

    for filename in filenames:
        found = try_to_load_from_cache(name, filename, revision=revision)
        if isinstance(found, str):
            return Path(found)
    return None


def download_hf(repo: str, filenames: tuple[str, ...] = HF_WEIGHT_FILES,
                progress: Progress | None = None, cancel: Cancel | None = None) -> Path:
    """The weights file of hub repository ``repo``, downloaded into the hub cache if needed.

    Tries ``filenames`` in order (a repository holds one of them). A cancelled or broken
    download keeps its partial blob in the hub cache and resumes from it next time.
    """
    cached = hf_cached_file(repo, filenames)
    if cached is not None:
        _report(progress, 1.0, f"{repo} is already downloaded")
        return cached
    if _downloads_disabled():
        raise OfflineError(_disabled_message())
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError

    name, revision = _split_repo(repo)
    for filename in filenames:
        try:
            return Path(hf_hub_download(name, filename, revision=revision,
                                        tqdm_class=_progress_bar(progress, cancel, filename)))
        except LocalEntryNotFoundError as error:  # no connection and not in the cache
            raise OfflineError(f"{OFFLINE_MESSAGE} (the Hugging Face hub cannot be reached to "
                               f"fetch {name}).") from error
        except EntryNotFoundError:
            continue  # this repository keeps its weights under the next name
        except OSError as error:  # HTTP errors (gated, missing repo), disk full
            raise DownloadError(f"Downloading {name} from the Hugging Face hub failed: "
                                f"{error}. Import a weights file or use a bundled model.") from error
    raise DownloadError(f"{name} on the Hugging Face hub has no weights file "
                        f"({', '.join(filenames)}).")


def _progress_bar(progress: Progress | None, cancel: Cancel | None, file_name: str) -> type:
    """A tqdm class for ``hf_hub_download`` that reports to ``progress`` and checks ``cancel``."""
    from tqdm.auto import tqdm

    class _Reporter(tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True  # no console output; we report through ``progress``
            super().__init__(*args, **kwargs)
            self.done = int(kwargs.get("initial") or 0)
            self.size = int(kwargs.get("total") or 0)
            _report(progress, 0.0, f"Downloading {file_name}")

        def update(self, n: float | None = 1) -> bool | None:
            if cancel is not None and cancel():
                raise DownloadCancelled(f"Download of {file_name} cancelled; it resumes where "
                                        "it stopped next time.")
            self.done += int(n or 0)
            fraction = min(self.done / self.size, 1.0) if self.size else 0.0
            _report(progress, fraction,
                    f"Downloading {file_name}: {_mb(self.done)} of {_mb(self.size)}")
            return None

    return _Reporter
