"""Many cycle-GAN trainings as one stacked network (`labkit.trainers.cyclegan.train_stack`).

A replica (its own rows, its own seed) trained in a stack must equal its separate training
(`labkit.trainers.cyclegan.train` with ``cfg.seed = replica.seed``): the same rows drawn in the same
order, and the same weights and history within floating-point tolerance (the stacked Adam sums in
another order). Replicas of different sizes take different numbers of steps per epoch; the shorter
ones are masked for the stack's extra steps. A stack killed mid-training resumes from its one
checkpoint to exactly the uninterrupted result.
"""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from labkit.errors import LabkitError
from labkit.models import cyclegan as M
from labkit.trainers import cyclegan as T
from labkit.trainers.common import Checkpoint

CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _cfg(preset="cyclegan", **kw):
    base = dict(
        n_features=6,
        n_targets=2,
        n_classes=3,
        hidden=16,
        epochs=3,
        pretrain_epochs=2,
        cls_epochs=2,
        batch_size=4,
        lr_decay_every=2,
    )
    return M.make_config(preset, "small", **{**base, **kw})


def _rows(counts, dim=6, seed=0):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(size=(n, dim)) + 4.0 * np.eye(dim)[i] for i, n in enumerate(counts)])
    y = np.concatenate([np.full(n, i) for i, n in enumerate(counts)])
    return X.astype(np.float32), y


def _replicas():
    """Three folds x seeds: replica 1 is smaller (fewer steps per epoch), replicas 0 and 2 share a seed."""
    data = [_rows((12, 8, 10), seed=0), _rows((5, 6, 4), seed=1), _rows((12, 8, 10), seed=2)]
    return [T.Replica(X, y, seed=s, source=0, targets=[1, 2]) for (X, y), s in zip(data, (3, 4, 3))]


@pytest.mark.parametrize("preset", ["cyclegan", "cyclegan-w"])
def test_a_replica_equals_its_separate_training(preset, monkeypatch):
    """Same seed -> the same rows drawn, in the same order; weights and history within float tolerance."""
    cfg = _cfg(preset)
    drawn: dict = {}
    real_draw = T._Domains.draw

    def spy(self, batch, gen):
        s, t = real_draw(self, batch, gen)
        drawn.setdefault(id(self), []).append(torch.cat([s, t]).clone())
        return s, t

    monkeypatch.setattr(T._Domains, "draw", spy)
    replicas = _replicas()
    stacked = T.train_stack(replicas, cfg, device=CPU)
    stack_draws = list(drawn.values())  # one list per replica, in replica order
    assert len(stacked) == len(stack_draws) == 3
    for r, rep in enumerate(replicas):
        drawn.clear()
        one = T.train(rep.X, rep.y, replace(cfg, seed=rep.seed), source=0, targets=[1, 2], device=CPU)
        (own,) = drawn.values()
        assert len(own) == len(stack_draws[r]) and all(torch.equal(a, b) for a, b in zip(own, stack_draws[r]))
        got = stacked[r]
        assert got.config.seed == rep.seed and got.state["targets"] == [1, 2] and got.state["replica"] == r
        assert got.state["pretrain"] == pytest.approx(one.state["pretrain"], rel=1e-5, abs=1e-6)
        for (name, a), (name_b, b) in zip(one.model.state_dict().items(), got.model.state_dict().items()):
            assert name == name_b
            torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-6, msg=f"replica {r}: {name}")
        assert len(got.history) == len(one.history) == cfg.epochs
        for a, b in zip(one.history, got.history):
            assert {k: v for k, v in b.items() if k != "seconds"} == pytest.approx(
                {k: v for k, v in a.items() if k != "seconds"}, rel=1e-5, abs=1e-6
            )
    # the smaller replica took fewer steps per epoch than the others: the masking was exercised
    assert len(stack_draws[1]) < len(stack_draws[0])
    # replicas 0 and 2 share a seed but not their rows: they trained apart
    assert not torch.equal(stacked[0].model.G.net.layers[0].weight, stacked[2].model.G.net.layers[0].weight)


def test_in_float64_a_replica_equals_its_separate_training_to_rounding(monkeypatch):
    """The float32 tolerance above is rounding, not a different training: in float64 (every tensor of both loops) a
    replica, the smaller masked one included, agrees with its separate training to 1e-10 after the whole schedule."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    monkeypatch.setattr(torch.Tensor, "float", lambda self: self.double())  # the loops' .float() keeps float64
    try:
        cfg = _cfg("cyclegan-w", epochs=4)
        replicas = [T.Replica(torch.as_tensor(r.X, dtype=torch.float64), torch.as_tensor(r.y), r.seed, 0, [1, 2])
                    for r in _replicas()]  # fmt: skip
        stacked = T.train_stack(replicas, cfg, device=CPU)
        for r in (0, 1):
            rep = replicas[r]
            one = T.train(rep.X, rep.y, replace(cfg, seed=rep.seed), source=0, targets=[1, 2], device=CPU)
            assert next(one.model.parameters()).dtype == torch.float64
            for a, b in zip(one.model.state_dict().values(), stacked[r].model.state_dict().values()):
                torch.testing.assert_close(b, a, rtol=0, atol=1e-10)
    finally:
        torch.set_default_dtype(before)


def test_a_replica_generates_like_a_separate_model():
    cfg = _cfg(epochs=1)
    replicas = _replicas()[:2]
    stacked = T.train_stack(replicas, cfg, device=CPU)
    rep = replicas[1]
    one = T.train(rep.X, rep.y, replace(cfg, seed=rep.seed), source=0, targets=[1, 2], device=CPU)
    src = rep.X[rep.y == 0]
    a = T.generate(one.model, src, 20, 1, np.random.default_rng(0), jitter=0.05)
    b = T.generate(stacked[1].model, src, 20, 1, np.random.default_rng(0), jitter=0.05)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("preset", ["cyclegan", "cyclegan-w"])
def test_a_killed_stack_resumes_from_its_checkpoint_to_the_same_result(preset, tmp_path):
    cfg = _cfg(preset, epochs=4)
    replicas = _replicas()
    whole = T.train_stack(replicas, cfg, device=CPU)

    class Killed(Exception):
        pass

    def kill_at_3(epoch, view, row):
        if epoch == 3:
            raise Killed

    seen = []

    def record(epoch, view, row):  # a replica's hook sees a view `translate` accepts
        seen.append((epoch, T.translate(view, replicas[2].X[:2], 1, "G").shape))

    ckpt = Checkpoint(tmp_path / "stack.pt", every=1)
    with pytest.raises(Killed):
        T.train_stack(replicas, cfg, device=CPU, checkpoint=ckpt, on_epoch=[None, kill_at_3, record])
    assert ckpt.path.is_file() and [e for e, _ in seen] == [0, 1, 2]  # the kill came before its hook
    again = T.train_stack(replicas, cfg, device=CPU, checkpoint=ckpt)
    assert all(r.resumed_from == 2 for r in again)  # the checkpoint of epoch 2; epoch 3's hook killed it
    for a, b in zip(whole, again):
        for x, y in zip(a.model.state_dict().values(), b.model.state_dict().values()):
            assert torch.equal(x, y)
        strip = [{k: v for k, v in row.items() if k != "seconds"} for row in a.history]
        assert strip == [{k: v for k, v in row.items() if k != "seconds"} for row in b.history]
        assert a.state["pretrain"] == b.state["pretrain"]
    # a stack of other replicas (another seed) refuses the checkpoint
    other = [replace(r, seed=r.seed + 1) for r in replicas]
    with pytest.raises(LabkitError, match="another config"):
        T.train_stack(other, cfg, device=CPU, checkpoint=ckpt)


def test_bad_stacks_are_refused():
    cfg = _cfg()
    with pytest.raises(LabkitError, match="no replicas"):
        T.train_stack([], cfg, device=CPU)
    reps = _replicas()
    with pytest.raises(LabkitError, match="hooks for 3 replicas"):
        T.train_stack(reps, cfg, device=CPU, on_epoch=[None])
    X, y = reps[0].X, reps[0].y
    with pytest.raises(LabkitError, match="shape"):
        T.train_stack([T.Replica(X[:, :4], y, 0, 0, [1, 2])], cfg, device=CPU)


# --------------------------------------------------------------------------- in the reproduction (--stack-folds)
def test_table1_with_stacked_folds_scores_what_separate_trainings_score(tmp_path, monkeypatch, capsys):
    """--stack-folds: a seed's folds train as one stack; a stack killed mid-training resumes from its checkpoint; the
    scores and the gate equal those of one training per task; the replicas and checkpoints are gone at the end."""
    from test_cyclegan import TINY, _fake_features, _run

    from labkit.runstore import open_run

    feats = _fake_features()
    base = ["reproduce", "shilandari-table1", "fake", "--seeds", "1", "--methods", "cyclegan-w", *TINY]
    base += ["--classifiers", "svm", "--checkpoint-every", "1", "--json"]
    assert _run(base + ["--out", str(tmp_path / "apart")], monkeypatch, feats) == 0

    class Killed(Exception):
        pass

    real_stack, calls = T.train_stack, []

    def killed(replicas, cfg, **kw):
        def kill_after(hook):  # the replica's own hook (fold 0's records snapshots), then the kill
            def run(epoch, view, row):
                if hook is not None:
                    hook(epoch, view, row)
                if epoch == 2:
                    raise Killed

            return run

        calls.append(len(replicas))
        return real_stack(replicas, cfg, **{**kw, "on_epoch": [kill_after(h) for h in kw["on_epoch"]]})

    def spy(replicas, cfg, **kw):
        res = real_stack(replicas, cfg, **kw)
        calls.append((len(replicas), res[0].resumed_from))
        return res

    stacked = base + ["--stack-folds", "--out", str(tmp_path / "stacked")]
    monkeypatch.setattr(T, "train_stack", killed)
    with pytest.raises(Killed):
        _run(stacked, monkeypatch, feats)
    monkeypatch.setattr(T, "train_stack", spy)
    assert _run(stacked, monkeypatch, feats) == 0
    capsys.readouterr()
    assert calls == [3, (3, 1)]  # one stack of the 3 folds, killed, then resumed after epoch 1; not once per fold
    apart, stack = open_run(tmp_path / "apart"), open_run(tmp_path / "stacked")
    assert stack.config["stack_folds"] is True and "stack_folds" not in apart.config
    cols = ["method", "classifier", "seed", "fold", "uar", "wa", "f1"]
    a = apart.read_table("scores")[cols].sort_values(cols[:4]).reset_index(drop=True)
    b = stack.read_table("scores")[cols].sort_values(cols[:4]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    gate_a = apart.read_json("shilandari-table1")["result"]["gate"]["generators"]
    gate_b = stack.read_json("shilandari-table1")["result"]["gate"]["generators"]
    numbers = ("fidelity", "real_accuracy", "c2st_auc", "precision", "recall", "spread")
    assert {k: gate_b["Cycle-GAN + Wasserstein"][k] for k in numbers} == pytest.approx(
        {k: gate_a["Cycle-GAN + Wasserstein"][k] for k in numbers}, rel=1e-6
    )
    assert stack.snapshot_iterations("aug-cyclegan-w") == [0, 1, 2]  # fold 0 of seed 0 recorded from the stack
    assert not list((stack.path / "cache").glob("stack-*")) and not list((stack.path / "checkpoints").glob("*.pt"))
