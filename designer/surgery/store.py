"""The torch half of a design: the modules and tensors that the document's layers refer to."""

from __future__ import annotations

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
