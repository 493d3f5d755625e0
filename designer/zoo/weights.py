"""Weights files: reading the user's own (or a downloaded) file and fitting it to a model.

Files are read with ``torch.load(weights_only=True)``: a file that needs arbitrary unpickling
(a whole pickled model) could run code, so it is refused unless the caller explicitly allows it.
"""

from __future__ import annotations

import pickle
import re
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from designer.zoo.errors import UnsafeWeightsError, WeightsFileError, WeightsMismatchError

if TYPE_CHECKING:
    import torch
    from torch import nn

__all__ = ["apply_weights", "load_weights_file"]

_NESTED_KEYS = ("state_dict", "model_state_dict", "model")
_TORCH_ERRORS = (RuntimeError, EOFError, KeyError, ValueError, zipfile.BadZipFile, OSError,
                 AttributeError, TypeError)


def _sniff(path: Path) -> str | None:
    """"safetensors", "torch" or None, from the first bytes (extensions lie)."""
    with path.open("rb") as handle:
        head = handle.read(9)
    if head[:4] == b"PK\x03\x04" or head[:1] == b"\x80":
        return "torch"  # zip container (torch >= 1.6) or legacy pickle
    if len(head) == 9 and head[8:9] == b"{":
        header_len = int.from_bytes(head[:8], "little")
        if 0 < header_len < path.stat().st_size:
            return "safetensors"
    return None


def load_weights_file(path: str | Path, allow_unsafe: bool = False) -> dict[str, torch.Tensor]:
    """A state_dict from a .pt/.pth/.safetensors file (also one nested under "state_dict"...)."""
    path = Path(path)
    if not path.is_file():
        raise WeightsFileError(f"{path} does not exist or is not a file.")
    kind = _sniff(path)
    if kind is None:
        raise WeightsFileError(
            f"{path.name} is not a weights file: it is neither a PyTorch checkpoint (.pt/.pth) "
            "nor a .safetensors file. Choose the file saved with torch.save(model.state_dict())."
        )
    if kind == "safetensors":
        return _load_safetensors(path)
    return _state_dict_from(_torch_load(path, allow_unsafe), path)


def _load_safetensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as error:
        raise WeightsFileError(f"{path.name} looks like a .safetensors file but cannot be read "
                               f"({error}); it may be truncated or damaged.") from error


def _torch_load(path: Path, allow_unsafe: bool) -> Any:
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(error))
        if found is None:
            raise WeightsFileError(f"{path.name} is not a readable PyTorch checkpoint; it may be "
                                   "truncated or damaged.") from error
        if not allow_unsafe:
            raise UnsafeWeightsError(_unsafe_message(path, found.group(1))) from error
    except _TORCH_ERRORS as error:
        raise WeightsFileError(f"{path.name} is not a readable PyTorch checkpoint ({error}); it "
                               "may be truncated or damaged.") from error
    # The caller explicitly accepted the risk of running code stored in the file.
    return torch.load(path, map_location="cpu", weights_only=False)


def _unsafe_message(path: Path, global_name: str) -> str:
    return (
        f"{path.name} contains pickled Python objects ({global_name}), not only tensors — "
        "probably a whole saved model. Loading it would run code stored in the file, which could "
        "do anything on this computer. Load it with unsafe loading allowed only if you trust "
        "where it came from; better, re-save it with torch.save(model.state_dict(), path)."
    )


def _state_dict_from(obj: Any, path: Path) -> dict[str, torch.Tensor]:
    import torch
    from torch import nn

    if isinstance(obj, nn.Module):
        obj = obj.state_dict()
    if isinstance(obj, Mapping):
        for key in _NESTED_KEYS:
            if isinstance(obj.get(key), Mapping | nn.Module):
                return _state_dict_from(obj[key], path)
        tensors = {k: v for k, v in obj.items()
                   if isinstance(k, str) and isinstance(v, torch.Tensor)}
        if tensors and len(tensors) == len(obj):
            return _strip_prefix(tensors, "module.")  # saved from DataParallel
    raise WeightsFileError(
        f"{path.name} holds a {type(obj).__name__} rather than a state_dict (names mapped to "
        "tensors). Save weights with torch.save(model.state_dict(), path)."
    )


def _strip_prefix(state: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    if all(k.startswith(prefix) for k in state):
        return {k[len(prefix):]: v for k, v in state.items()}
    return state


def apply_weights(model: nn.Module, state_dict: Mapping[str, torch.Tensor],
                  ignore_prefixes: Iterable[str] = ()) -> None:
    """Copy ``state_dict`` into ``model`` if every tensor fits, else WeightsMismatchError.

    Keys starting with ``ignore_prefixes`` (training-only heads the model does not have) are
    dropped; ``num_batches_tracked`` counters missing from old files are tolerated.
    """
    prefixes = tuple(ignore_prefixes)
    incoming = {k: v for k, v in state_dict.items() if not (prefixes and k.startswith(prefixes))}
    own = model.state_dict()
    missing = [k for k in own if k not in incoming and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in incoming if k not in own]
    mismatched = [
        (k, tuple(v.shape), tuple(own[k].shape))
        for k, v in incoming.items()
        if k in own and tuple(v.shape) != tuple(own[k].shape)
    ]
    if missing or unexpected or mismatched:
        raise WeightsMismatchError(missing, unexpected, mismatched)
    model.load_state_dict(incoming, strict=False)
