"""Pieces every training loop in labkit shares; the loops themselves stay explicit, one per paper.

What a loop needs to be fast on a GPU and exact on a CPU, written once:

* `DeviceData`: a training tensor kept on the device when it fits (one copy, then batches are
  indexed there), else in pinned host memory with batches gathered into alternating pinned buffers
  and copied without blocking.
* `epoch_batches`: the shuffled minibatch indices of one epoch, drawn from a CPU `torch.Generator`
  (so CPU and CUDA runs shuffle alike and a checkpoint can restore the stream).
* `LossMeter`: losses added as tensors, on the device, without a host sync per step; `means()` syncs
  once (call it once per iteration or epoch).
* `autocast(device)`: bf16 autocast on CUDA (no loss scaler needed, bf16 has fp32's range), a
  no-op (fp32) on the CPU.
* `check_finite`: stop a diverged run with a clear error instead of training on NaNs to the end.
* `backward_step(loss, optimizer, params)`: zero, backpropagate into `params` only, step. Gradients
  of the other players' weights are never computed, so no ``requires_grad`` flipping is needed.
"""

from __future__ import annotations

import contextlib
import math

import torch

from labkit.errors import LabkitError


class TrainingDiverged(LabkitError):
    """A loss became NaN or infinite; the run stops (its last good checkpoint is kept)."""


def autocast(device: torch.device, enabled: bool = True):
    """bf16 autocast on CUDA when `enabled`; fp32 everywhere else."""
    if device.type == "cuda" and enabled:
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def backward_step(loss: torch.Tensor, optimizer: torch.optim.Optimizer, params: list[torch.Tensor]) -> None:
    """One player's update: gradients of `loss` with respect to `params` only, then the optimiser step."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward(inputs=params)
    optimizer.step()


def epoch_batches(n: int, batch_size: int, gen: torch.Generator, device: torch.device) -> list[torch.Tensor]:
    """Shuffled index batches of one epoch, on `device` (one small copy per epoch)."""
    perm = torch.randperm(n, generator=gen)  # drawn on the CPU: the same order on every device
    if device.type != "cpu":
        perm = perm.to(device, non_blocking=True)
    return list(perm.split(batch_size))


class DeviceData:
    """A (N, ...) training tensor served in minibatches on `device`.

    On the CPU, or on a GPU when the tensor takes less than `max_fraction` of the free memory, the
    tensor lives on the device and ``data[idx]`` indexes it there. Otherwise it stays in pinned host
    memory; each batch is gathered into one of two pinned buffers and copied asynchronously (the
    buffer is reused only after its previous copy has finished).
    """

    def __init__(self, X: torch.Tensor, device: torch.device, max_fraction: float = 0.5):
        self.device = device
        self.shape = tuple(X.shape)
        self.on_device = True
        if device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(device)
            self.on_device = X.element_size() * X.nelement() < max_fraction * free
        if self.on_device:
            self.X = X.to(device)
        else:
            self.X = X.pin_memory()
            self._buffers: list[torch.Tensor] = []
            self._events: list = [None, None]
            self._k = 0

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, idx: torch.Tensor) -> torch.Tensor:
        if self.on_device:
            return self.X[idx.to(self.device)]
        idx = idx.cpu()
        if not self._buffers or self._buffers[0].shape[0] < len(idx):
            self._buffers = [
                torch.empty((len(idx), *self.shape[1:]), dtype=self.X.dtype).pin_memory() for _ in range(2)
            ]
            self._events = [None, None]
        if self._events[self._k] is not None:
            self._events[self._k].synchronize()  # the copy that last used this buffer is done
        buf = self._buffers[self._k][: len(idx)]
        torch.index_select(self.X, 0, idx, out=buf)
        out = buf.to(self.device, non_blocking=True)
        event = torch.cuda.Event()
        event.record()
        self._events[self._k] = event
        self._k ^= 1
        return out

    def chunks(self, size: int = 256):
        """The whole tensor in order, in chunks of `size` rows, on the device (for evaluation)."""
        for start in range(0, self.shape[0], size):
            yield self[torch.arange(start, min(start + size, self.shape[0]))]


class LossMeter:
    """Sums of losses kept as device tensors; `means()` is the only host sync."""

    def __init__(self):
        self._sums: dict[str, torch.Tensor] = {}
        self._counts: dict[str, int] = {}

    def add(self, name: str, value: torch.Tensor) -> None:
        v = value.detach().float()
        self._sums[name] = self._sums[name] + v if name in self._sums else v.clone()
        self._counts[name] = self._counts.get(name, 0) + 1

    def means(self) -> dict[str, float]:
        """{name: mean over the added values} as Python floats (one device-to-host copy)."""
        if not self._sums:
            return {}
        names = list(self._sums)
        values = torch.stack([self._sums[n] for n in names]).cpu().tolist()
        return {n: v / self._counts[n] for n, v in zip(names, values)}


def check_finite(values: dict[str, float], where: str) -> None:
    """Raise `TrainingDiverged` naming the losses that are NaN or infinite."""
    bad = {k: v for k, v in values.items() if isinstance(v, float) and not math.isfinite(v)}
    if bad:
        listed = ", ".join(f"{k} = {v}" for k, v in bad.items())
        raise TrainingDiverged(
            f"training diverged at {where}: {listed}; lower the learning rate (the last good checkpoint is kept)"
        )


__all__ = ["TrainingDiverged", "autocast", "backward_step", "epoch_batches", "DeviceData", "LossMeter", "check_finite"]
