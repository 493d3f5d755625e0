"""The engine under torchrun: one process per rank, DistributedDataParallel, gloo or nccl.

`fit` asks :func:`shard` who it is. Outside a process group it is rank 0 of 1 and nothing
changes. Inside one (`torchrun`, WORLD_SIZE > 1) every global batch of ``batch_size`` samples
is shared out between the processes (``batch[rank::world]``, recipe.epoch_order), the
trainable part of the network is wrapped in DistributedDataParallel so gradients are averaged
after every backward pass, and each step's loss and accuracy are summed over the processes.
Each loss is weighted by its share of the global batch, so the averaged gradient is the
gradient of the global batch's mean loss, as in one process. Every process validates the whole
validation set (the weights are identical, so the results and early-stopping decisions are
too, with no extra messages); only rank 0 writes the run folder and reports events.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import nn


def shard() -> tuple[int, int]:
    """(rank, world size) of this process; (0, 1) outside a process group."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def start_process_group(device_option: str) -> tuple[int, int]:
    """Join the group torchrun described in the environment (nccl on GPUs, gloo on CPUs)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1 or (dist.is_available() and dist.is_initialized()):
        return shard()
    gpu = device_option != "cpu" and torch.cuda.is_available()
    if gpu:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group("nccl" if gpu else "gloo")
    return shard()


def end_process_group() -> None:
    """Leave the group (after a barrier, so no process exits while others still talk)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def wrap(net: nn.Module, device: torch.device) -> nn.Module:
    """``net`` for training: DistributedDataParallel inside a process group, else itself."""
    if shard()[1] == 1:
        return net
    ids = [device.index if device.index is not None else torch.cuda.current_device()] \
        if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(net, device_ids=ids)


def global_totals(loss: torch.Tensor, correct: int, count: int) -> tuple[float, int, int]:
    """(mean loss, correct, count) of the global batch, summed over the processes."""
    totals = torch.tensor([float(loss.detach()) * count, correct, count], dtype=torch.float64)
    if shard()[1] > 1:
        dist.all_reduce(totals)
    total = int(totals[2])
    return float(totals[0]) / max(1, total), int(totals[1]), total
