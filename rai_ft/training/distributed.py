"""Multi-process data-parallel training (DDP), driven by the launcher's environment.

``accelerate launch --multi_gpu --num_processes N -m rai_ft run SPEC`` (or ``torchrun --nproc_per_node N -m rai_ft
run SPEC``) starts N copies of the same command; each reads ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``. Every process
loads the same data and model (same seed), trains on its shard of each global batch, and gradients are averaged:

- without ``dp``: :class:`torch.nn.parallel.DistributedDataParallel`;
- with ``dp``: Opacus' ``DifferentiallyPrivateDistributedDataParallel``; Opacus then samples each rank's Poisson
  batch from the whole data set at the global rate and adds the noise once, so ε is the same as one process with the
  same global batch.

``train.batch_size`` stays the *global* batch (each process takes ``batch_size / N``). Only rank 0 audits, writes the
run directory, the ledger and the tracking logs; the other ranks exit 0 after training. Process group backend: NCCL
when CUDA is available, else Gloo. The audit (predictions, attacks, attributions) runs on rank 0's CPU.
"""

from __future__ import annotations

import os
from typing import Any

import torch

from rai_ft.errors import UnsupportedError

__all__ = ["rank", "world_size", "is_main", "init_distributed", "shutdown", "device", "wrap", "unwrap",
           "MSG_DP_NEEDS_POISSON"]

MSG_DP_NEEDS_POISSON = ("dp with several processes needs poisson_sampling: true (Opacus shards Poisson batches "
                        "across processes; fixed batches are not supported there)")


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def rank() -> int:
    """This process's global rank (0 without a launcher)."""
    return _env_int("RANK", 0)


def world_size() -> int:
    """Number of training processes (1 without a launcher)."""
    return max(1, _env_int("WORLD_SIZE", 1))


def is_main() -> bool:
    """True on the process that audits and writes outputs."""
    return rank() == 0


def init_distributed() -> bool:
    """Join the process group when launched with several processes; True if training is distributed."""
    if world_size() < 2:
        return False
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return True


def shutdown() -> None:
    """Leave the process group (after the last training; the audit is rank 0 alone)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def device() -> torch.device:
    """The training device: this process's GPU when CUDA is available, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda", _env_int("LOCAL_RANK", 0))
    return torch.device("cpu")


def wrap(model: torch.nn.Module, private: bool, poisson: bool = True) -> torch.nn.Module:
    """The data-parallel wrapper: Opacus' DPDDP for private training, else torch DDP."""
    if private:
        if not poisson:
            raise UnsupportedError(MSG_DP_NEEDS_POISSON)
        from opacus.distributed import DifferentiallyPrivateDistributedDataParallel as DPDDP

        return DPDDP(model)
    from torch.nn.parallel import DistributedDataParallel as DDP

    dev = next(model.parameters()).device
    return DDP(model, device_ids=[dev.index] if dev.type == "cuda" else None)


def unwrap(model: Any) -> Any:
    """The model inside a DDP/DPDDP wrapper (other wrappers, e.g. Opacus' GradSampleModule, are left)."""
    from torch.nn.parallel import DistributedDataParallel as DDP

    # Opacus' DPDDP is matched by name so that a run without dp never imports Opacus
    while isinstance(model, DDP) or type(model).__name__ == "DifferentiallyPrivateDistributedDataParallel":
        model = model.module
    return model
