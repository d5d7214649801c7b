"""Which rank this process is when the train job runs as data-parallel ranks (train/launch.py starts them).

    python -m dougpt_gpu train --input job.json        (a job with "processes": N > 1)

The launcher (torch.distributed.run) gives every rank RANK, LOCAL_RANK and WORLD_SIZE; a job run alone has none of
them and is rank 0 of 1. Only rank 0 writes: events on stdout, checkpoints, the adapter and run.json. The helpers
that talk to the process group do nothing before Trainer has set one up, or when there is only one process.
"""

from __future__ import annotations

import os


def rank() -> int:
    """This process's global rank (0 when not launched as a rank)."""
    return int(os.environ.get("RANK", "0"))


def local_rank() -> int:
    """The rank on this host: the GPU index a rank trains on."""
    return int(os.environ.get("LOCAL_RANK", "0"))


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_rank() -> bool:
    """True inside a process the launcher started (even a world of one)."""
    return "LOCAL_RANK" in os.environ and "WORLD_SIZE" in os.environ


def is_main() -> bool:
    return rank() == 0


def _group_ready() -> bool:
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def barrier() -> None:
    """Waits for every rank (no-op alone)."""
    if _group_ready():
        import torch.distributed as dist

        dist.barrier()


def all_sum(value: int) -> int:
    """`value` summed over the ranks (itself alone). Every rank must call it at the same point."""
    if not _group_ready():
        return value
    import torch
    import torch.distributed as dist

    backend = dist.get_backend()
    device = torch.device("cuda", local_rank()) if backend == "nccl" else torch.device("cpu")
    total = torch.tensor([value], dtype=torch.long, device=device)
    dist.all_reduce(total)
    return int(total.item())
