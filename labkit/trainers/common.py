"""The one contract every training loop in labkit follows, and the pieces the loops share.

The loops themselves stay explicit, one per paper (`labkit.trainers.aaec`, `codevector`, `sahu`,
`cyclegan`). What they have in common is written once, here:

The contract
------------
* **Arguments.** ``train(<data>, cfg, *, device, on_epoch=None, checkpoint=None, ...)``. ``device``
  is a `torch.device` chosen once by the caller (`labkit.utils.pick_device` at the command,
  reproduction task or augmenter entry); a trainer never picks one (`as_device` only turns a name
  such as ``"cpu"`` into a device and refuses ``None`` / ``"auto"``).
* **Result.** `TrainResult` (model, history, seconds, device, config, state): one type for all four.
* **Hook.** ``on_epoch(epoch, model, row)`` after every epoch (for AAEC: every Algorithm 1
  iteration), once the epoch's losses have been read into ``row``. The hook may add columns to
  ``row`` (AAEC's reproduction adds its test-set scores this way); the row then goes to the history
  and the checkpoint is written. A hook that raises `StopTraining` ends the training cleanly after
  that epoch (its checkpoint is written first); any other exception propagates like a kill. A hook
  with ``state_dict()`` / ``load_state_dict(state)`` has its state saved in the checkpoint, so a
  resumed run records exactly what an uninterrupted one records. `hooks(a, b, ...)` chains several.
  Codevector also calls it with epoch 0 before training, the cycle-GAN after its pre-training.
* **Checkpoint.** `Checkpoint(path, every)`: one ``ckpt.pt``-style file holding the config, the
  epoch, the history, the model's and every optimiser's (and scheduler's) state dict, the states
  of the loop's random generators and the hook's state, in the spirit of nanoGPT's ``ckpt.pt``
  (model_args, iter_num, config). Written atomically (`labkit.utils.atomic_path`) every ``every``
  epochs and at the end; loaded with ``torch.load(weights_only=True)``, never an arbitrary pickle.
  A trainer given a checkpoint that exists continues from it, and the result equals an
  uninterrupted run (exactly on the CPU). A file that cannot be loaded, or that was written for
  another config, is a `LabkitError` naming the file and what to do.
* **Seeds.** Every random draw of a loop comes from a `torch.Generator` seeded from the config's
  seed and passed down explicitly (`Streams`: shuffling on the CPU, noise on the device); initial
  weights are drawn inside `seeded` (the global stream forked, seeded, and restored) or from a
  generator where the model takes one. Why generators rather than `labkit.utils.seed_everything`:
  a global seed is shared state, so anything else that draws (a recorder, a reference classifier,
  a second model in the same process) shifts the stream and changes the result; and a
  generator's state is one tensor the checkpoint can store and restore, which is what makes a
  resumed run continue the same stream. No trainer reads or changes the global random state.
* **Host syncs.** None in an inner loop: data on the device, losses summed on the device
  (`LossMeter`), read once per epoch. `HOST_SYNCS_PER_EPOCH` is what ``tests/test_trainer_contract.py``
  allows per epoch and checks at two step counts.

The pieces
----------
* `DeviceData`: a training tensor kept on the device when it fits (one copy, then batches are
  indexed there), else in pinned host memory with batches gathered into alternating pinned buffers
  and copied without blocking.
* `epoch_batches`: the shuffled minibatch indices of one epoch, drawn from a CPU `torch.Generator`
  (so CPU and CUDA runs shuffle alike), moved to the device once per epoch; each batch also carries
  its host copy (``idx.host``) for `DeviceData`'s pinned path, so no batch needs a device-to-host copy.
* `LossMeter`: losses added as tensors, on the device, without a host sync per step; `means()` syncs
  once (call it once per epoch).
* `autocast(device)`: bf16 autocast on CUDA (no loss scaler needed, bf16 has fp32's range), a
  no-op (fp32) on the CPU.
* `check_finite`: stop a diverged run with a clear error instead of training on NaNs to the end.
* `backward_step(loss, optimizer, params)`: zero, backpropagate into `params` only, step. Gradients
  of the other players' weights are never computed, so no ``requires_grad`` flipping is needed.
"""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from labkit.errors import LabkitError

# What every loop reads back to the host per epoch: the LossMeter's one copy of all the epoch's
# loss sums. Nothing else in an epoch (tests/test_trainer_contract.py counts it at two step counts).
HOST_SYNCS_PER_EPOCH = 1

OnEpoch = Callable[[int, torch.nn.Module, dict], None]


class TrainingDiverged(LabkitError):
    """A loss became NaN or infinite; the run stops (its last good checkpoint is kept)."""


class StopTraining(Exception):
    """Raised by an ``on_epoch`` hook to end the training after this epoch (its checkpoint is written)."""


# ---------------------------------------------------------------------------------------------------
# The result


@dataclass
class TrainResult:
    """What every trainer returns."""

    model: torch.nn.Module  # the trained model, on `device` (eval mode)
    history: list[dict]  # one row per epoch (AAEC: per iteration), including the rows of a resumed-from checkpoint
    seconds: float  # wall time of this call (a resumed call counts only its own epochs)
    device: str  # where it trained, e.g. "cpu", "cuda:0"
    config: Any = None  # the config it trained with (the paper's config dataclass)
    # The loop's final state: "epoch" (epochs done), "resumed_from" (epochs found in the checkpoint,
    # 0 when started fresh), "stopped" (a hook raised StopTraining before the last epoch), plus what
    # a paper's loop ends with besides the model (e.g. the cycle-GAN's source/targets/pretrain).
    state: dict = field(default_factory=dict)

    @property
    def resumed_from(self) -> int:
        return int(self.state.get("resumed_from", 0))

    @property
    def stopped(self) -> bool:
        return bool(self.state.get("stopped", False))


# ---------------------------------------------------------------------------------------------------
# Device and seeds


def as_device(device) -> torch.device:
    """`device` as a `torch.device`; the caller chooses it (`labkit.utils.pick_device`), a trainer never does."""
    if isinstance(device, torch.device):
        return device
    if device in (None, "", "auto"):
        raise LabkitError(
            "a trainer needs the device chosen by its caller: pass device=labkit.utils.pick_device(...) "
            f"(got {device!r})"
        )
    try:
        return torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise LabkitError(f"unknown device {device!r}; use cpu, cuda, cuda:N") from None


@contextlib.contextmanager
def seeded(seed: int, device: torch.device | None = None):
    """Build a model's initial weights from `seed` without touching the global random state.

    Inside the block torch's global stream is seeded with `seed`; on leaving it is restored, so
    what ran before and after draws as if the block never ran.
    """
    devices = [device] if device is not None and device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(seed))
        yield


class Streams:
    """A loop's random streams: ``shuffle`` (CPU: minibatch order, the same on every device) and
    ``noise`` (on the device: prior samples, noise inputs), seeded ``seed`` and ``seed + 1``.

    Both are `torch.Generator`s, passed down to whatever draws; `state_dict` / `load_state_dict`
    put them into a checkpoint and back.
    """

    def __init__(self, seed: int, device: torch.device):
        self.shuffle = torch.Generator().manual_seed(int(seed))
        self.noise = torch.Generator(device=device).manual_seed(int(seed) + 1)

    def state_dict(self) -> dict:
        return {"shuffle": self.shuffle.get_state(), "noise": self.noise.get_state().cpu()}

    def load_state_dict(self, state: dict) -> None:
        self.shuffle.set_state(state["shuffle"].cpu())
        self.noise.set_state(state["noise"].cpu())  # a CPU byte tensor for CPU and CUDA generators alike


# ---------------------------------------------------------------------------------------------------
# The hook


def call_hook(on_epoch: OnEpoch | None, epoch: int, model: torch.nn.Module, row: dict) -> bool:
    """Run the hook; True when it asked to stop (`StopTraining`)."""
    if on_epoch is None:
        return False
    try:
        on_epoch(epoch, model, row)
    except StopTraining:
        return True
    return False


class hooks:
    """Several ``on_epoch`` hooks called in order as one (their states are checkpointed together)."""

    def __init__(self, *fns: OnEpoch | None):
        self.fns = [f for f in fns if f is not None]

    def __call__(self, epoch: int, model: torch.nn.Module, row: dict) -> None:
        stop = False
        for fn in self.fns:
            try:
                fn(epoch, model, row)
            except StopTraining:
                stop = True  # the remaining hooks still see this epoch
        if stop:
            raise StopTraining

    def state_dict(self) -> dict:
        return {str(i): fn.state_dict() for i, fn in enumerate(self.fns) if hasattr(fn, "state_dict")}

    def load_state_dict(self, state: dict) -> None:
        for i, fn in enumerate(self.fns):
            if hasattr(fn, "load_state_dict") and str(i) in state:
                fn.load_state_dict(state[str(i)])


def stop_after(epochs: int) -> OnEpoch:
    """A hook that ends the training after `epochs` epochs (with a checkpoint): an epochs budget."""

    def hook(epoch: int, model, row) -> None:
        if epoch >= epochs:
            raise StopTraining

    return hook


class HistoryWriter:
    """A hook that streams the history to a run-store table (``run.write_table``) after every epoch,
    so the dashboard shows a running training. Its rows are checkpointed, so a resumed run's table
    holds every epoch once. Put it last in `hooks(...)`: it writes the row as the hooks before left it."""

    def __init__(self, run, table: str = "history"):
        self.run, self.table, self.rows = run, table, []

    def __call__(self, epoch: int, model, row: dict) -> None:
        import pandas as pd

        self.rows.append(dict(row))
        self.run.write_table(self.table, pd.DataFrame(self.rows))

    def state_dict(self) -> dict:
        return {"rows": _plain(self.rows)}

    def load_state_dict(self, state: dict) -> None:
        self.rows = list(state.get("rows", []))


# ---------------------------------------------------------------------------------------------------
# Checkpoints

# What every refusal of a checkpoint says to do about it.
RESTART_ADVICE = "delete it to restart that training from the beginning (Checkpoint(..., restart=True) ignores it)"

CHECKPOINT_KEYS = ("format", "config", "epoch", "history", "model", "optimizers", "rng", "hook", "extra")
CHECKPOINT_FORMAT = 1


def _plain(obj):
    """History values as plain Python (numpy scalars are not allowed by ``weights_only`` loading)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_plain(v) for v in obj)
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def config_dict(cfg) -> dict:
    """A config dataclass as a dict (its ``to_dict`` when it has one)."""
    if cfg is None:
        return {}
    if hasattr(cfg, "to_dict"):
        return cfg.to_dict()
    from dataclasses import asdict

    return asdict(cfg)


def _canonical(d: dict) -> dict:
    return json.loads(json.dumps(d, sort_keys=True, default=str))


@dataclass
class Checkpoint:
    """Where a training keeps its state, and how often it is written.

    One file (``ckpt.pt``-style, torch.save of plain dicts and tensors) holding `CHECKPOINT_KEYS`:
    the config the training runs with, the epochs done, the history so far, the model's and every
    optimiser's state dict, the random generators' states, the hook's state and the loop's extras
    (e.g. AAEC's scaler, the cycle-GAN's pre-training result). Written atomically, read with
    ``weights_only=True``.
    """

    path: Path  # the checkpoint file, e.g. Run.checkpoint_path("last") = <run>/checkpoints/last.pt
    every: int = 1  # epochs between saves (the last epoch, and one a hook stops at, are always saved)
    restart: bool = False  # ignore an existing file and start the training from epoch 0 (it is overwritten)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if int(self.every) < 1:
            raise LabkitError(f"checkpoint every must be at least 1 epoch, got {self.every}")

    @classmethod
    def in_run(cls, run, name: str = "last", every: int = 1, restart: bool = False) -> "Checkpoint":
        """The checkpoint ``<run>/checkpoints/<name>.pt`` of a run-store run."""
        return cls(run.checkpoint_path(name), every, restart)

    def due(self, epoch: int, final: bool) -> bool:
        return final or epoch % int(self.every) == 0

    def read(self) -> dict | None:
        """The stored state (on the CPU), or None when there is none; a `LabkitError` when unreadable."""
        if self.restart or not self.path.exists():
            return None
        try:
            state = torch.load(self.path, map_location="cpu", weights_only=True)
        except Exception as exc:  # a truncated zip, a foreign pickle, a file that is no checkpoint at all
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise LabkitError(
                f"checkpoint {self.path} cannot be loaded ({type(exc).__name__}: {reason[:200]}); {RESTART_ADVICE}"
            ) from None
        missing = [k for k in CHECKPOINT_KEYS if not isinstance(state, dict) or k not in state]
        if missing:
            raise LabkitError(
                f"checkpoint {self.path} is not a labkit training checkpoint of this version (missing "
                f"{', '.join(missing)}); {RESTART_ADVICE}"
            )
        return state

    def resume(
        self,
        cfg,
        model: torch.nn.Module,
        optimizers: dict,
        rng: dict,
        hook=None,
    ) -> tuple[int, list[dict], dict]:
        """Load a stored state into `model`, `optimizers` (name -> optimiser or scheduler) and `rng`
        (name -> object with ``load_state_dict``, e.g. `Streams`, or a `torch.Generator`).

        Returns (epochs done, history, extra); (0, [], {}) when there is nothing to resume.
        """
        state = self.read()
        if state is None:
            return 0, [], {}
        want, have = _canonical(config_dict(cfg)), _canonical(state["config"])
        if want != have:
            keys = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
            shown = ", ".join(f"{k}: {have.get(k)!r} -> {want.get(k)!r}" for k in keys[:4])
            raise LabkitError(
                f"checkpoint {self.path} was written for another config ({shown}{' ...' if len(keys) > 4 else ''}); "
                f"{RESTART_ADVICE}"
            )
        try:
            model.load_state_dict(state["model"])
            for name, opt in optimizers.items():
                opt.load_state_dict(state["optimizers"][name])
            for name, gen in rng.items():
                if isinstance(gen, torch.Generator):
                    gen.set_state(state["rng"][name].cpu())
                else:
                    gen.load_state_dict(state["rng"][name])
        except (KeyError, RuntimeError, ValueError) as exc:
            raise LabkitError(
                f"checkpoint {self.path} does not fit this model ({type(exc).__name__}: {str(exc)[:200]}); "
                f"{RESTART_ADVICE}"
            ) from None
        if hook is not None and hasattr(hook, "load_state_dict") and state["hook"]:
            hook.load_state_dict(state["hook"])
        return int(state["epoch"]), list(state["history"]), dict(state["extra"])

    def save(
        self,
        epoch: int,
        cfg,
        model: torch.nn.Module,
        optimizers: dict,
        rng: dict,
        history: list[dict],
        hook=None,
        extra: dict | None = None,
    ) -> None:
        """Write the whole state of the loop after `epoch` epochs, atomically."""
        from labkit.utils import atomic_path

        state = {
            "format": CHECKPOINT_FORMAT,
            "config": config_dict(cfg),
            "epoch": int(epoch),
            "history": _plain(history),
            "model": model.state_dict(),
            "optimizers": {name: opt.state_dict() for name, opt in optimizers.items()},
            "rng": {
                name: (gen.get_state().cpu() if isinstance(gen, torch.Generator) else gen.state_dict())
                for name, gen in rng.items()
            },
            "hook": _plain(hook.state_dict()) if hook is not None and hasattr(hook, "state_dict") else {},
            "extra": _plain(extra or {}),
        }
        with atomic_path(self.path) as tmp:
            torch.save(state, tmp)


# ---------------------------------------------------------------------------------------------------
# Loop pieces


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
    """Shuffled index batches of one epoch, on `device` (one small copy per epoch).

    The order is drawn on the CPU (the same order on every device). Each batch carries its host copy
    as ``idx.host``, which `DeviceData`'s pinned-memory path gathers with: no batch is ever copied
    back from the device.
    """
    perm = torch.randperm(n, generator=gen)  # (n,) on the CPU
    if device.type == "cpu":
        return list(perm.split(batch_size))  # already host indices
    perm_dev = perm.pin_memory().to(device, non_blocking=True)  # one host-to-device copy per epoch
    batches = list(perm_dev.split(batch_size))
    for b, h in zip(batches, perm.split(batch_size)):
        b.host = h
    return batches


class DeviceData:
    """A (N, ...) training tensor served in minibatches on `device`.

    On the CPU, or on a GPU when the tensor takes less than `max_fraction` of the free memory, the
    tensor lives on the device and ``data[idx]`` indexes it there. Otherwise it stays in pinned host
    memory; each batch is gathered into one of two pinned buffers with the batch's host indices
    (``idx.host``, from `epoch_batches`, or a CPU index tensor) and copied asynchronously (the buffer
    is reused only after its previous copy has finished). Indices that live only on the device cannot
    be served from host memory without a device-to-host copy, so the pinned path refuses them.
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
            return self.X[idx if idx.device == self.X.device else idx.to(self.device, non_blocking=True)]
        host = idx if idx.device.type == "cpu" else getattr(idx, "host", None)
        if host is None:
            raise LabkitError(
                "DeviceData in pinned memory needs host indices (batches from epoch_batches carry them as idx.host)"
            )
        if not self._buffers or self._buffers[0].shape[0] < len(host):
            self._buffers = [
                torch.empty((len(host), *self.shape[1:]), dtype=self.X.dtype).pin_memory() for _ in range(2)
            ]
            self._events = [None, None]
        if self._events[self._k] is not None:
            self._events[self._k].synchronize()  # the copy that last used this buffer is done
        buf = self._buffers[self._k][: len(host)]
        torch.index_select(self.X, 0, host, out=buf)
        out = buf.to(self.device, non_blocking=True)
        event = torch.cuda.Event()
        event.record()
        self._events[self._k] = event
        self._k ^= 1
        return out

    def chunks(self, size: int = 256):
        """The whole tensor in order, in chunks of `size` rows, on the device (for evaluation)."""
        for start in range(0, self.shape[0], size):
            stop = min(start + size, self.shape[0])
            if self.on_device:
                yield self.X[start:stop]
            else:
                yield self[torch.arange(start, stop)]


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
        values = torch.stack([self._sums[n] for n in names]).tolist()  # the one sync
        return {n: v / self._counts[n] for n, v in zip(names, values)}


def check_finite(values: dict[str, float], where: str) -> None:
    """Raise `TrainingDiverged` naming the losses that are NaN or infinite."""
    bad = {k: v for k, v in values.items() if isinstance(v, float) and not math.isfinite(v)}
    if bad:
        listed = ", ".join(f"{k} = {v}" for k, v in bad.items())
        raise TrainingDiverged(
            f"training diverged at {where}: {listed}; lower the learning rate (the last good checkpoint is kept)"
        )


def epochs_bar(start: int, total: int, show: bool, desc: str):
    """range(start, total) with a progress bar over epochs (quiet unless `show`)."""
    from labkit.utils import progress

    return progress(range(start, total), total=total - start, desc=desc, disable=None if show else True)


__all__ = [
    "HOST_SYNCS_PER_EPOCH",
    "OnEpoch",
    "TrainingDiverged",
    "StopTraining",
    "TrainResult",
    "as_device",
    "seeded",
    "Streams",
    "call_hook",
    "hooks",
    "stop_after",
    "HistoryWriter",
    "Checkpoint",
    "config_dict",
    "autocast",
    "backward_step",
    "epoch_batches",
    "DeviceData",
    "LossMeter",
    "check_finite",
    "epochs_bar",
]
