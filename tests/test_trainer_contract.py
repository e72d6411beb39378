"""The one trainer contract (`labkit.trainers.common`), checked the same way for all four trainers.

* Resume: a training killed after epoch k (a hook that raises) and started again from its checkpoint
  ends with the same weights, the same history and the same hook rows as an uninterrupted one; an
  epochs budget (`stop_after`, a hook raising `StopTraining`) stops cleanly and resumes the same way.
* Checkpoints that cannot be used are `LabkitError`s naming the file and what to do.
* No host sync in an inner loop: while one epoch trains, the calls that copy a tensor to the host
  (`.item()`, `.cpu()`, `.numpy()`, `.tolist()`, `float()` / `int()` / `bool()` / `format` / `np.asarray`
  on a tensor, `torch.nonzero`, `print`) made from labkit's code are counted. The count must equal
  the documented `HOST_SYNCS_PER_EPOCH` (the one read of the epoch's loss sums) at two step counts,
  so it cannot grow with the number of minibatches.

Each trainer runs on a tiny problem on the CPU (on the CPU every result is exact, so "the same" is
``torch.equal`` and ``==``).
"""

from __future__ import annotations

import builtins
import sys
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
import torch

from labkit.errors import LabkitError
from labkit.trainers.common import (
    HOST_SYNCS_PER_EPOCH,
    Checkpoint,
    StopTraining,
    TrainResult,
    as_device,
    hooks,
    stop_after,
)

CPU = torch.device("cpu")
EPOCHS = 4


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ----------------------------------------------------------------------------------------- the four trainers


def _rows(n: int, d: int, k: int, seed: int = 0):
    """n standardised rows (n, d) of k classes whose means differ, and their classes (n,)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    X = rng.standard_normal((n, d)).astype(np.float32) + y[:, None].astype(np.float32)
    return ((X - X.mean(0)) / X.std(0)).astype(np.float32), y.astype(np.int64)


def train_aaec(scale: int, epochs: int, **contract) -> TrainResult:
    from labkit.data.aaec import TrainingSet
    from labkit.models.aaec import make_config
    from labkit.trainers.aaec import TrainOptions, train

    n = 12 * scale
    g = torch.Generator().manual_seed(0)
    data = TrainingSet(
        X_train=torch.randn(n, 6, 9, generator=g),
        arousal_train=torch.arange(n) % 3,
        valence_train=(torch.arange(n) // 3) % 3,
    )
    cfg = make_config(
        "small",
        "AAEC",
        gru_cells=3,
        enc_dense=(8,),
        z_dim=3,
        dec_dense=(8,),
        disc_dense=(4,),
        conv_filters=(4, 4, 4),
        head_dense=(4,),
        batch_size=6,
        k1=1,
        k2=1,
        k3=1,
        iterations=epochs,
        finetune_epochs=1,
    )
    return train(data, cfg, device=CPU, options=TrainOptions(progress=False), **contract)


def train_codevector(scale: int, epochs: int, **contract) -> TrainResult:
    from labkit.models.codevector import make_config
    from labkit.trainers.codevector import enrich

    X, y = _rows(16 * scale, 6, 2)
    y_io = np.stack([1 - y, y], 1).astype(np.float32) * 0.8 + 0.1
    cfg = make_config("enriched-10", n_features=6, epochs=epochs, batch_size=8)
    return enrich(X, y, y_io, cfg, device=CPU, **contract)


def train_sahu_cgan(scale: int, epochs: int, **contract) -> TrainResult:
    from labkit.models.sahu import cgan_config_for, make_aae_config
    from labkit.trainers.sahu import train_cgan

    X, y = _rows(12 * scale, 5, 3)
    cfg = cgan_config_for(make_aae_config(n_features=5, n_classes=3), "baseline", epochs=epochs, batch_size=6)
    return train_cgan(X, y, cfg, device=CPU, X_dev=X[:6] + 0.5, y_dev=y[:6], **contract)


def train_sahu_aae(scale: int, epochs: int, **contract) -> TrainResult:
    from labkit.models.sahu import make_aae_config
    from labkit.trainers.sahu import train_aae

    X, y = _rows(12 * scale, 5, 3)
    return train_aae(
        X, y, make_aae_config(n_features=5, n_classes=3, epochs=epochs, batch_size=6), device=CPU, **contract
    )


def train_sahu_gan(scale: int, epochs: int, **contract) -> TrainResult:
    from labkit.models.sahu import make_gan_config
    from labkit.trainers.sahu import train_gan

    X, _ = _rows(12 * scale, 2, 3)
    cfg = make_gan_config("gan2d", data_dim=2, epochs=epochs, batch_size=6)
    return train_gan(X, cfg, device=CPU, X_dev=X[:5], **contract)


def train_cyclegan(scale: int, epochs: int, **contract) -> TrainResult:
    from labkit.models.cyclegan import make_config
    from labkit.trainers.cyclegan import train

    X, y = _rows(12 * scale, 5, 3)
    cfg = make_config(
        "cyclegan-w",  # the Wasserstein divergence: its gradient term draws from the generator too
        "small",
        n_features=5,
        n_targets=2,
        n_classes=3,
        hidden=8,
        batch_size=4,
        epochs=epochs,
        pretrain_epochs=1,
        cls_epochs=1,
        lr_decay_every=2,
    )
    return train(X, y, cfg, source=0, targets=[1, 2], device=CPU, **contract)


TRAINERS: dict[str, Callable[..., TrainResult]] = {
    "aaec": train_aaec,
    "codevector": train_codevector,
    "sahu-aae": train_sahu_aae,
    "sahu-gan": train_sahu_gan,
    "sahu-cgan": train_sahu_cgan,
    "cyclegan": train_cyclegan,
}


def _no_seconds(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k


class Killed(Exception):
    """Stands in for a kill: any exception other than StopTraining ends the call without a checkpoint."""


@dataclass
class Seen:
    """A hook that keeps every (epoch, row) it is shown, and can kill the training after an epoch."""

    kill_at: int | None = None

    def __post_init__(self):
        self.rows: list[tuple[int, dict]] = []

    def __call__(self, epoch: int, model, row: dict) -> None:
        self.rows.append((epoch, {k: v for k, v in row.items() if k != "seconds"}))
        if epoch == self.kill_at:
            raise Killed(f"killed at epoch {epoch}")


# ----------------------------------------------------------------------------------------- resume


@pytest.mark.parametrize("name", list(TRAINERS))
def test_killed_and_resumed_equals_uninterrupted(name, tmp_path):
    run = TRAINERS[name]
    seen_full = Seen()
    full = run(1, EPOCHS, on_epoch=seen_full, checkpoint=Checkpoint(tmp_path / "full.pt", every=1))

    # Killed while the hook runs after epoch 3: that epoch's checkpoint was not written, so the second
    # call continues from epoch 2 and trains epoch 3 again, as after a real kill.
    ckpt = Checkpoint(tmp_path / "split.pt", every=1)
    seen_first = Seen(kill_at=3)
    with pytest.raises(Killed):
        run(1, EPOCHS, on_epoch=seen_first, checkpoint=ckpt)
    assert torch.load(ckpt.path, weights_only=True)["epoch"] == 2
    seen_second = Seen()
    resumed = run(1, EPOCHS, on_epoch=seen_second, checkpoint=ckpt)

    assert resumed.resumed_from == 2 and full.resumed_from == 0
    assert resumed.state["epoch"] == full.state["epoch"] == EPOCHS and not resumed.stopped
    _same_weights(full.model, resumed.model)
    assert _no_seconds(resumed.history) == _no_seconds(full.history)
    assert [e for e, _ in seen_second.rows] == [3, 4]
    # The hook saw the same rows: the uninterrupted run's epochs 3 and 4 are the resumed run's.
    assert seen_second.rows == [(e, r) for e, r in seen_full.rows if e > 2]
    assert seen_first.rows == [(e, r) for e, r in seen_full.rows if e <= 3]
    assert isinstance(full, TrainResult) and full.device == "cpu" and full.config is not None


@pytest.mark.parametrize("name", ["aaec", "codevector", "sahu-cgan", "cyclegan"])
def test_an_epochs_budget_stops_cleanly_and_resumes(name, tmp_path):
    run = TRAINERS[name]
    full = run(1, EPOCHS)
    ckpt = Checkpoint(tmp_path / "ckpt.pt", every=3)  # not due at epoch 2: a stop writes its checkpoint anyway
    first = run(1, EPOCHS, on_epoch=stop_after(2), checkpoint=ckpt)
    assert first.stopped and first.state["epoch"] == 2 and len(first.history) == 2
    assert torch.load(ckpt.path, weights_only=True)["epoch"] == 2
    second = run(1, EPOCHS, checkpoint=ckpt)
    _same_weights(full.model, second.model)
    assert _no_seconds(second.history) == _no_seconds(full.history)
    # Same seed, same rows; a finished checkpoint resumes to the end without training again.
    again = run(1, EPOCHS, checkpoint=ckpt)
    assert again.resumed_from == EPOCHS and _no_seconds(again.history) == _no_seconds(full.history)


def test_hook_state_is_checkpointed_and_hooks_chain(tmp_path):
    class Counter:
        def __init__(self):
            self.n = 0

        def __call__(self, epoch, model, row):
            self.n += 1
            row["calls"] = self.n

        def state_dict(self):
            return {"n": self.n}

        def load_state_dict(self, state):
            self.n = state["n"]

    ckpt = Checkpoint(tmp_path / "c.pt", every=1)
    train_sahu_gan(1, EPOCHS, on_epoch=hooks(Counter(), stop_after(2)), checkpoint=ckpt)
    res = train_sahu_gan(1, EPOCHS, on_epoch=hooks(Counter()), checkpoint=ckpt)
    assert [r["calls"] for r in res.history] == [1, 2, 3, 4]  # the counter continued from its checkpointed 2


# ----------------------------------------------------------------------------------------- bad checkpoints


def test_an_unloadable_checkpoint_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.pt"
    path.write_bytes(b"PK\x03\x04 this is not a whole zip file")
    with pytest.raises(LabkitError, match="broken.pt.*cannot be loaded.*delete it"):
        train_sahu_gan(1, 2, checkpoint=Checkpoint(path))
    whole = tmp_path / "whole.pt"
    train_sahu_gan(1, 2, checkpoint=Checkpoint(whole))
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])  # a copy cut short
    with pytest.raises(LabkitError, match="broken.pt.*cannot be loaded.*delete it.*restart=True"):
        train_sahu_gan(1, 2, checkpoint=Checkpoint(path))
    torch.save({"model": {}}, path)  # loadable, but not a training checkpoint
    with pytest.raises(LabkitError, match="not a labkit training checkpoint.*delete it"):
        train_sahu_gan(1, 2, checkpoint=Checkpoint(path))
    # a restart ignores (and then overwrites) it
    res = train_sahu_gan(1, 2, checkpoint=Checkpoint(path, restart=True))
    assert res.resumed_from == 0 and torch.load(path, weights_only=True)["epoch"] == 2


def test_a_checkpoint_of_another_config_is_refused(tmp_path):
    ckpt = Checkpoint(tmp_path / "c.pt")
    train_sahu_gan(1, 2, checkpoint=ckpt)
    with pytest.raises(LabkitError, match="another config.*epochs: 2 -> 3.*delete it"):
        train_sahu_gan(1, 3, checkpoint=ckpt)


def test_checkpoints_hold_only_plain_data(tmp_path):
    """nanoGPT-style contents, and nothing that needs unpickling arbitrary objects."""
    ckpt = Checkpoint(tmp_path / "c.pt")
    train_cyclegan(1, 2, checkpoint=ckpt)
    state = torch.load(ckpt.path, weights_only=True)
    assert {"config", "epoch", "history", "model", "optimizers", "rng", "hook", "extra"} <= set(state)
    assert set(state["optimizers"]) == {"g", "d", "c", "sched_g", "sched_d"} and "pretrain" in state["extra"]
    assert state["config"]["epochs"] == 2 and state["epoch"] == 2


def test_the_device_is_the_callers_choice():
    assert as_device("cpu") == CPU and as_device(CPU) is CPU
    for bad in (None, "auto"):
        with pytest.raises(LabkitError, match="pick_device"):
            as_device(bad)


# ----------------------------------------------------------------------------------------- host syncs

SYNC_METHODS = (
    "item",
    "cpu",
    "numpy",
    "tolist",
    "nonzero",
    "__float__",
    "__int__",
    "__bool__",
    "__index__",
    "__format__",
    "__array__",
)


class SyncCounter:
    """Counts the host-sync calls labkit's own code makes (frames of modules named ``labkit.*``).

    Torch's internals are not counted: e.g. Adam reads its step counter with ``.item()``, but that
    counter lives on the host even on CUDA (not capturable), so it is no device sync.
    """

    def __init__(self, monkeypatch):
        self.calls: list[str] = []
        for name in SYNC_METHODS:
            monkeypatch.setattr(torch.Tensor, name, self._wrap(getattr(torch.Tensor, name), f"Tensor.{name}"))
        monkeypatch.setattr(torch, "nonzero", self._wrap(torch.nonzero, "torch.nonzero"))
        monkeypatch.setattr(builtins, "print", self._wrap(builtins.print, "print"))

    def _wrap(self, fn, what: str):
        def counted(*args, **kwargs):
            frame = sys._getframe(1)
            module = frame.f_globals.get("__name__", "")
            if module.startswith("labkit."):
                self.calls.append(f"{what} at {module}:{frame.f_lineno}")
            return fn(*args, **kwargs)

        return counted


def _syncs_per_epoch(monkeypatch, name: str, scale: int) -> tuple[list[list[str]], int]:
    """The counted calls between consecutive epoch ends (epochs 2..4), and the minibatch steps of an epoch."""
    counter = SyncCounter(monkeypatch)
    marks: dict[int, int] = {}

    def mark(epoch, model, row):
        marks[epoch] = len(counter.calls)

    try:
        res = TRAINERS[name](scale, EPOCHS, on_epoch=mark, checkpoint=None)
    finally:
        monkeypatch.undo()
    per_epoch = [counter.calls[marks[e - 1] : marks[e]] for e in range(2, EPOCHS + 1)]
    return per_epoch, len(res.history)


@pytest.mark.parametrize("name", list(TRAINERS))
def test_no_host_sync_inside_an_epoch(name, monkeypatch):
    small, _ = _syncs_per_epoch(monkeypatch, name, 1)
    large, _ = _syncs_per_epoch(monkeypatch, name, 3)  # three times the minibatches per epoch
    for calls in small + large:
        assert len(calls) == HOST_SYNCS_PER_EPOCH, calls
    assert small == large  # the same calls, from the same lines: nothing per step


def test_the_sync_counter_sees_a_per_step_sync(monkeypatch):
    """The counter is not blind: a loop that reads a loss with .item() every step is caught."""
    from labkit.trainers import common

    counter = SyncCounter(monkeypatch)
    meter = common.LossMeter()
    for _ in range(5):
        loss = torch.ones(())
        meter.add("x", loss)
        float(loss)  # this test module is not labkit: not counted
    exec(
        compile("float(loss)\nloss.item()\nprint(end='')", "<labkit>", "exec"),
        {"__name__": "labkit.fake", "loss": loss},
    )
    meter.means()
    assert [c.split(" at ")[0] for c in counter.calls] == ["Tensor.__float__", "Tensor.item", "print", "Tensor.tolist"]


def test_stop_training_is_not_an_error():
    def hook(epoch, model, row):
        raise StopTraining

    res = train_sahu_gan(1, EPOCHS, on_epoch=hook)
    assert res.stopped and len(res.history) == 1


def test_the_cycle_gan_stack_has_no_host_sync_inside_an_epoch(monkeypatch):
    """`labkit.trainers.cyclegan.train_stack` (R replicas as one network) reads its losses once per epoch too,
    whatever the number of replicas and minibatches; its resume is tested in tests/test_cyclegan_stack.py."""
    from labkit.models.cyclegan import make_config
    from labkit.trainers.cyclegan import Replica, train_stack

    def per_epoch(scale: int, n_replicas: int) -> list[list[str]]:
        cfg = make_config(
            "cyclegan-w", "small", n_features=5, n_targets=2, n_classes=3, hidden=8, batch_size=4,
            epochs=EPOCHS, pretrain_epochs=1, cls_epochs=1, lr_decay_every=2,
        )  # fmt: skip
        replicas = [Replica(*_rows(12 * scale + 3 * r, 5, 3, seed=r), seed=r, source=0, targets=[1, 2]) for r in
                    range(n_replicas)]  # fmt: skip
        counter = SyncCounter(monkeypatch)
        marks: dict[int, int] = {}

        def mark(epoch, model, row):
            marks[epoch] = len(counter.calls)

        try:
            train_stack(replicas, cfg, device=CPU, on_epoch=[mark] + [None] * (n_replicas - 1))
        finally:
            monkeypatch.undo()
        return [counter.calls[marks[e - 1] : marks[e]] for e in range(2, EPOCHS + 1)]

    small, large = per_epoch(1, 2), per_epoch(3, 3)
    for calls in small + large:
        assert len(calls) == HOST_SYNCS_PER_EPOCH, calls
    assert small == large
