"""The torch half of a design: the modules and tensors that the document's layers refer to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeAlias

import torch
from torch import nn

#: module path (a call_module target or a get_attr target) -> module or tensor
Store: TypeAlias = dict[str, nn.Module | torch.Tensor]


def store_state_dict(store: Store) -> dict[str, torch.Tensor]:
    """Every tensor in the store under the name a built model would give it."""
    state: dict[str, torch.Tensor] = {}
    for path, item in store.items():
        if isinstance(item, nn.Module):
            for key, tensor in item.state_dict().items():
                state[f"{path}.{key}"] = tensor
        else:
            state[path] = item
    return state


def bytes_only_in(stores: Iterable[Store], live: Store) -> int:
    """Bytes of tensor storage that `stores` reference and `live` does not (what keeping
    `stores` costs); each storage is counted once however many tensors or stores share it."""
    visited = set(map(id, live.values()))  # set arithmetic in C: histories share most items
    held: dict[int, int] = {}
    for store in stores:
        if set(map(id, store.values())) <= visited:
            continue
        for item in store.values():
            if id(item) not in visited:
                visited.add(id(item))
                held.update(_storages(item))
    if not held:
        return 0
    live_storages: dict[int, int] = {}
    for item in live.values():
        live_storages.update(_storages(item))
    return sum(size for key, size in held.items() if key not in live_storages)


def _storages(item: nn.Module | torch.Tensor) -> dict[int, int]:
    tensors = [item] if isinstance(item, torch.Tensor) else \
        [*item.parameters(), *item.buffers()]
    found: dict[int, int] = {}
    for tensor in tensors:
        if tensor.device.type != "meta":
            storage = tensor.untyped_storage()
            found[storage.data_ptr()] = storage.nbytes()
    return found
