"""Shilandari et al. 2022: the per-emotion cycle-GAN model, its loop, its augmenters, its reproductions.

The augmenters ``cyclegan`` and ``cyclegan-w`` also run through the common suite
(tests/test_augmenters.py, with FAST_PARAMS naming "a" as the source class).
"""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from labkit.errors import LabkitError
from labkit.experiment.classifiers import make_classifier as real_make_classifier
from labkit.models import cyclegan as M
from labkit.trainers import cyclegan as T

torch.set_num_threads(1)


def _cfg(preset="cyclegan", **kw):
    base = dict(
        n_features=6, n_targets=2, n_classes=3, hidden=16, epochs=1, pretrain_epochs=1, cls_epochs=1, batch_size=4
    )
    return M.make_config(preset, "small", **{**base, **kw})


def _rows(counts=(12, 8, 10), dim=6, seed=0):
    """Classes 0, 1, 2 far apart; X (n, dim) float32, y (n,) int."""
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(size=(n, dim)) + 4.0 * np.eye(dim)[i] for i, n in enumerate(counts)])
    y = np.concatenate([np.full(n, i) for i, n in enumerate(counts)])
    return X.astype(np.float32), y


# --------------------------------------------------------------------------- the model
def test_shapes_and_one_translator_equals_its_slice():
    cfg = _cfg(n_targets=3, n_classes=5)
    model = M.CycleGANs(cfg)
    model.reset_parameters(torch.Generator().manual_seed(0))
    x = torch.randn(3, 7, 6)  # (E, B, D)
    assert model.G(x).shape == (3, 7, 6) and model.F(x).shape == (3, 7, 6)
    assert model.D_T(x).shape == (3, 7) and model.D_S(x).shape == (3, 7)
    assert model.C(x).shape == (3, 7, 5) and model.C(x[0]).shape == (7, 5)
    # slice i of the stacked generator is emotion i's translator on its own
    for i in range(3):
        torch.testing.assert_close(model.G(x[i], only=i), model.G(x)[i])
    # residual: the generator's output is x plus its MLP's output
    torch.testing.assert_close(model.G(x) - x, model.G.net(x))
    # Xavier-uniform: every weight within sqrt(6 / (fan_in + fan_out)), biases zero
    w = model.G.net.layers[0].weight.detach()
    assert w.abs().max() <= (6 / (6 + 16)) ** 0.5 and float(model.G.net.layers[0].bias.detach().abs().max()) == 0.0


def test_presets_budgets_and_bad_values():
    assert M.make_config("cyclegan").divergence == "js" and M.make_config("cyclegan-w").divergence == "wdiv"
    assert M.make_config("cyclegan-w-nocls").lambda_cls == 0.0
    paper = M.make_config("cyclegan", "paper")
    assert (paper.hidden, paper.n_layers, paper.lr, paper.g_steps, paper.lr_decay_every) == (800, 2, 2e-4, 2, 50)
    assert (paper.lambda_cyc, paper.real_label, paper.wdiv_k, paper.wdiv_p) == (1.0, 0.9, 2.0, 6.0)
    with pytest.raises(LabkitError, match="unknown cycle-GAN preset 'gan'"):
        M.make_config("gan")
    with pytest.raises(LabkitError, match="wdiv_p"):
        M.make_config("cyclegan-w", wdiv_p=1.0)
    with pytest.raises(LabkitError, match="n_classes"):
        M.make_config("cyclegan", n_targets=4, n_classes=4)
    with pytest.raises(LabkitError, match="unknown cycle-GAN config field"):
        M.make_config("cyclegan", width=3)


def test_wdiv_gradient_term_against_hand_computed_cases():
    # A linear critic c(x) = w.x + b has gradient w everywhere: the term is k ||w||^p whatever x_hat is.
    lin = M.StackedLinear(1, 2, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[[3.0], [4.0]]]))  # w = (3, 4), ||w|| = 5
        lin.bias.fill_(0.7)
    critic = lambda x: lin(x).squeeze(-1)  # noqa: E731
    real, fake = torch.randn(1, 5, 2), torch.randn(1, 5, 2)
    term = M.wdiv_penalty(critic, real, fake, k=2.0, p=6.0)
    torch.testing.assert_close(term, torch.tensor([2.0 * 5.0**6]))  # 31250
    # c(x) = ||x||^2 / 2 has gradient x: with real (1, 0), fake (0, 1), xi = 0.5, x_hat = (0.5, 0.5),
    # ||x_hat||^6 = 0.5^3 = 0.125 and k = 2 gives 0.25; a second row with xi = 1 sits on real (1, 0): 1 * 2 = 2.
    quad = lambda x: 0.5 * x.pow(2).sum(-1)  # noqa: E731
    real = torch.tensor([[[1.0, 0.0], [1.0, 0.0]]])
    fake = torch.tensor([[[0.0, 1.0], [0.0, 1.0]]])
    xi = torch.tensor([[[0.5], [1.0]]])
    torch.testing.assert_close(M.wdiv_penalty(quad, real, fake, k=2.0, p=6.0, xi=xi), torch.tensor([(0.25 + 2.0) / 2]))
    # p = 2, k = 1: the squared norm; per stacked emotion separately
    two = torch.cat([real, 2 * real])  # (E=2, B=2, D=2)
    out = M.wdiv_penalty(quad, two, torch.cat([fake, fake]), k=1.0, p=2.0, xi=torch.ones(2, 2, 1))
    torch.testing.assert_close(out, torch.tensor([1.0, 4.0]))
    # the term trains the critic: it has a gradient with respect to the critic's weights
    M.wdiv_penalty(critic, real, fake, k=2.0, p=6.0).sum().backward()
    assert lin.weight.grad is not None and float(lin.weight.grad.abs().sum()) > 0


def test_losses():
    logits = torch.zeros(2, 4)
    # JS at D = 1/2 everywhere: ln 2 without smoothing
    assert torch.allclose(
        M.js_discriminator_loss(logits, logits, real_label=1.0), torch.full((2,), np.log(2.0), dtype=torch.float32)
    )
    assert torch.allclose(M.js_generator_loss(logits), torch.full((2,), np.log(2.0), dtype=torch.float32))
    # the cycle loss is an MSE per emotion: 0 for perfect reconstructions
    s = torch.randn(2, 3, 5)
    assert torch.equal(M.cycle_loss(s, s, s, s), torch.zeros(2))
    torch.testing.assert_close(M.cycle_loss(s, s + 1, s, s), torch.ones(2))
    # classification: confident correct logits give ~0, per emotion
    cls = torch.full((2, 3, 4), -20.0)
    cls[0, :, 1] = 20.0
    cls[1, :, 3] = 20.0
    assert float(M.classification_loss(cls, torch.tensor([1, 3])).max()) < 1e-6
    assert float(M.classification_loss(cls, torch.tensor([3, 1])).min()) > 10
    # Wasserstein: critic loss fake - real + term, generator loss -fake
    torch.testing.assert_close(
        M.wdiv_critic_loss(torch.ones(1, 3), torch.zeros(1, 3), torch.tensor([0.5])), torch.tensor([-0.5])
    )
    torch.testing.assert_close(M.wdiv_generator_loss(torch.full((1, 3), 2.0)), torch.tensor([-2.0]))


# --------------------------------------------------------------------------- the loop
@pytest.mark.parametrize("preset", ["cyclegan", "cyclegan-w", "cyclegan-nocls"])
def test_one_step_per_variant_is_finite_and_repeatable(preset):
    X, y = _rows()
    cfg = _cfg(preset, epochs=2)
    seen = []
    a = T.train(X, y, cfg, source=0, targets=[1, 2], device="cpu", on_epoch=lambda e, m, r: seen.append(e))
    b = T.train(X, y, cfg, source=0, targets=[1, 2], device="cpu")
    assert seen == [0, 1, 2] and [r["epoch"] for r in a.history] == [1, 2]
    keys = {"loss_d", "loss_g", "loss_adv", "loss_cyc", "loss_cls", "cls_acc", "d_real", "d_fake", "lr"}
    assert keys <= set(a.history[0]) and ("loss_gp" in a.history[0]) == (preset == "cyclegan-w")
    assert all(np.isfinite(v) for r in a.history for v in r.values())
    for ra, rb in zip(a.history, b.history):
        assert {k: v for k, v in ra.items() if k != "seconds"} == {k: v for k, v in rb.items() if k != "seconds"}
    # generation: each row through its emotion's translator, deterministic given the rows
    out = T.translate(a.model, X[:5], 1, "G")
    assert out.shape == (5, 6) and np.array_equal(out, T.translate(a.model, X[:5], np.ones(5, int), "G"))


def test_learning_rate_schedule_and_frozen_classifier():
    X, y = _rows()
    cfg = _cfg("cyclegan-w", epochs=3, cls_epochs=0, pretrain_epochs=0, lr_decay_every=2, lr_decay=0.5)
    res = T.train(X, y, cfg, source=0, targets=[1, 2], device="cpu")
    assert [r["lr"] for r in res.history] == [2e-4, 2e-4, 1e-4]
    # C is frozen after its pre-training: with cls_epochs = 0 it keeps its initial weights
    fresh = M.CycleGANs(cfg)
    fresh.reset_parameters(torch.Generator().manual_seed(cfg.seed))
    for p, q in zip(res.model.C.parameters(), fresh.C.parameters()):
        assert torch.equal(p.detach().cpu(), q.detach())


def test_bad_rows_are_refused():
    X, y = _rows()
    with pytest.raises(LabkitError, match="shape"):
        T.train(X[:, :4], y, _cfg(), source=0, targets=[1, 2], device="cpu")
    with pytest.raises(LabkitError, match="target classes"):
        T.train(X, y, _cfg(), source=0, targets=[0, 2], device="cpu")
    with pytest.raises(LabkitError, match="no training rows"):
        T.train(X[y != 2], y[y != 2], _cfg(), source=0, targets=[1, 2], device="cpu")


def test_diverging_training_stops_with_a_clear_error():
    from labkit.trainers.common import TrainingDiverged

    X, y = _rows()
    with pytest.raises(TrainingDiverged, match="diverged"):
        T.train(X * 1e30, y, _cfg("cyclegan-w", lr=10.0), source=0, targets=[1, 2], device="cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_trains_on_cuda():
    X, y = _rows()
    res = T.train(X, y, _cfg("cyclegan-w", epochs=2), source=0, targets=[1, 2], device="cuda")
    assert res.device.startswith("cuda") and np.isfinite(res.history[-1]["loss_g"])
    assert T.translate(res.model, X[:3], 0, "F").shape == (3, 6)


# --------------------------------------------------------------------------- the augmenters
def _labelled(counts=(10, 12, 8), names=("neutral", "anger", "sadness")):
    X, y = _rows(counts)
    return X, np.asarray(names)[y]


def test_augmenter_needs_a_neutral_class_and_names_what_it_has():
    from labkit.augment import make_augmenter

    X, y = _labelled(names=("joy", "anger", "sadness"))
    with pytest.raises(LabkitError, match=r"no 'neutral' rows; its classes are \['anger', 'joy', 'sadness'\]"):
        make_augmenter("cyclegan", epochs=1, hidden=8).fit_resample(X, y)
    aug = make_augmenter(
        "cyclegan-w",
        neutral="joy",
        epochs=1,
        hidden=8,
        pretrain_epochs=1,
        cls_epochs=1,
        sampling_strategy=1.0,
        random_state=0,
    )
    _, y_res = aug.fit_resample(X, y)
    assert aug.preset == "cyclegan-w" and aug.config(6, 3).divergence == "wdiv"
    assert pd.Series(y_res).value_counts().to_dict() == {"anger": 24, "joy": 20, "sadness": 16}


def test_augmenter_records_snapshots_and_history_for_the_dashboard():
    from labkit.augment import make_augmenter

    X, y = _labelled()
    seen = []
    aug = make_augmenter(
        "cyclegan", epochs=4, hidden=8, pretrain_epochs=1, cls_epochs=1, record_every=2, n_record=3, random_state=0
    ).set_recorder(lambda kind, rec: seen.append(kind))
    aug.fit(X, y)
    assert [s["iteration"] for s in aug.snapshots_] == [0, 2, 4]
    snap = aug.snapshots_[-1]
    # 3 neutral rows through G of each of the 2 emotions, 3 rows of each emotion back through F
    assert snap["X"].shape == (12, 6) and set(snap["origin"]) == {"G(neutral)", "F(emotion)"}
    assert sorted(set(snap["y"][snap["origin"] == "G(neutral)"])) == ["anger", "sadness"]
    assert set(snap["y"][snap["origin"] == "F(emotion)"]) == {"neutral"}
    assert [h["iteration"] for h in aug.history_] == [1, 2, 3, 4] and "loss_cyc" in aug.history_[0]
    assert seen.count("snapshot") == 3 and seen.count("history") == 4
    # generated neutral rows come from F, emotional rows from G: counts exact, every class
    X_new, y_new = aug.sample({"neutral": 5, "anger": 7})
    assert X_new.shape == (12, 6) and pd.Series(y_new).value_counts().to_dict() == {"anger": 7, "neutral": 5}


def test_fitted_sampler_reuses_a_trained_generator_and_refuses_another_fold(monkeypatch):
    from imblearn.pipeline import Pipeline
    from sklearn.svm import SVC

    from labkit.augment import make_augmenter
    from labkit.augment.cyclegan import FittedSampler

    X, y = _labelled()
    trained = make_augmenter("cyclegan", epochs=1, hidden=8, pretrain_epochs=1, cls_epochs=1, random_state=0).fit(X, y)
    calls = []
    monkeypatch.setattr(T, "train", lambda *a, **k: calls.append(1))  # any training now would be visible
    pipe = Pipeline([("augment", FittedSampler(trained, sampling_strategy=2.0)), ("clf", SVC())]).fit(X, y)
    assert not calls and pipe.named_steps["augment"].n_synthetic_ == 2 * len(y)
    with pytest.raises(LabkitError, match="not the training fold"):
        FittedSampler(trained, sampling_strategy=1.0).fit_resample(X[:-2], y[:-2])
    with pytest.raises(LabkitError, match="fitted augmenter"):
        FittedSampler(None).fit_resample(X, y)


# --------------------------------------------------------------------------- the reproductions
def _fake_features(n_speakers=3, counts=(8, 5, 5, 4, 6), dim=8, seed=0):
    """A small 5-emotion table (EMO-DB's classes, imbalanced) with class-dependent features."""
    from labkit.features.core import Features

    rng = np.random.default_rng(seed)
    emotions = ["anger", "fear", "happiness", "sadness", "neutral"]
    rows, X = [], []
    for s in range(n_speakers):
        for k, (e, n) in enumerate(zip(emotions, counts)):
            for i in range(n):
                rows.append(
                    {
                        "id": f"s{s}-{e}-{i}",
                        "path": f"/none/s{s}-{e}-{i}.wav",
                        "corpus": "fake",
                        "speaker": f"fake:s{s}",
                        "gender": "f",
                        "emotion": e,
                        "arousal": 1,
                        "valence": 1,
                        "duration": 1.0,
                        "context": "studio",
                    }
                )
                X.append(rng.normal(size=dim) + 2.5 * np.eye(dim)[k] + 0.3 * s)
    return Features(
        meta=pd.DataFrame(rows),
        X=np.asarray(X, dtype=np.float32),
        names=[f"f{i}" for i in range(dim)],
        feature_set="is10",
        settings={},
        skipped=pd.DataFrame(columns=["id", "path", "reason"]),
        stats={},
    )


TINY = ["--epochs", "2", "--hidden", "8", "--record-every", "1", "--no-tune"]


def _run(argv, monkeypatch, feats):
    from labkit.cli import main
    from labkit.reproductions import shilandari as R

    monkeypatch.setattr(R, "_load", lambda *a, **k: feats)
    # a DNN that trains in a blink: the paper's shape is tested in tests/test_classifiers.py
    from labkit.experiment import classifiers as C

    monkeypatch.setattr(
        C,
        "make_classifier",
        lambda name, random_state=0, **kw: real_make_classifier(
            name, random_state=random_state, **({"hidden": 8, "max_epochs": 5} if name == "mlp" else {}), **kw
        ),
    )
    return main(argv)


@pytest.mark.slow
def test_table1_resume_equals_uninterrupted_and_records_for_the_dashboard(tmp_path, monkeypatch, capsys):
    from labkit.runstore import open_run

    feats = _fake_features()
    base = ["reproduce", "shilandari-table1", "fake", "--seeds", "2", *TINY]
    assert _run(base + ["--out", str(tmp_path / "full"), "--json"], monkeypatch, feats) == 0
    assert _run(base + ["--out", str(tmp_path / "cut"), "--max-tasks", "7"], monkeypatch, feats) == 0
    assert "7 of 30 tasks done" in capsys.readouterr().out
    assert _run(base + ["--out", str(tmp_path / "cut")], monkeypatch, feats) == 0
    printed = capsys.readouterr().out
    assert "Cycle-GAN + Wasserstein · DNN" in printed and "84.49" in printed and "Δ UAR vs none" in printed
    assert "leave-one-speaker-out (3 folds)" in printed and "Highest mean UAR" in printed
    full, cut = open_run(tmp_path / "full"), open_run(tmp_path / "cut")
    cols = ["method", "classifier", "seed", "fold", "uar", "wa", "f1"]
    a = full.read_table("scores")[cols].sort_values(cols[:4]).reset_index(drop=True)
    b = cut.read_table("scores")[cols].sort_values(cols[:4]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert full.read_json("shilandari-table1")["result"]["rows"] == cut.read_json("shilandari-table1")["result"]["rows"]
    assert len(a) == 2 * 3 * 5 * 2  # seeds x folds x methods x classifiers
    # the dashboard: loss histories (Training page), references and snapshots (Distribution page), summary
    assert {"history-cyclegan", "history-cyclegan-w", "summary", "paired"} <= set(full.tables())
    assert set(full.spaces()) == {"aug-cyclegan", "aug-cyclegan-w"}
    assert full.snapshot_iterations("aug-cyclegan-w") == [0, 1, 2]
    summary = full.read_table("summary")
    assert {"configuration", "metric", "mean", "ci_low", "ci_high", "n"} <= set(summary.columns)


@pytest.mark.slow
def test_sweep_writes_the_dashboard_sweep_table_and_a_figure(tmp_path, monkeypatch, capsys):
    from labkit.runstore import open_run
    from labkit.viz.figures import sweep_figure

    feats = _fake_features(n_speakers=2)
    argv = [
        "reproduce",
        "shilandari-sweep",
        "fake",
        "--seeds",
        "1",
        "--augmenters",
        "noise,cyclegan-w",
        "--amounts",
        "0.5,1",
        "--noise-scales",
        "0.1,0.3",
        "--protocol",
        "random",
        "--folds",
        "2",
        *TINY,
        "--out",
        str(tmp_path / "sweep"),
    ]
    assert _run(argv, monkeypatch, feats) == 0
    printed = capsys.readouterr().out
    assert "SPEAKER-DEPENDENT stratified 2-fold" in printed and "noise σ=0.3 (DNN)" in printed
    run = open_run(tmp_path / "sweep")
    sweep = run.read_table("sweep")
    assert {"augmenter", "amount", "metric", "mean", "ci_low", "ci_high", "n", "amount_value"} <= set(sweep.columns)
    curves = set(sweep["augmenter"])
    assert {"real only (DNN)", "noise σ=0.1 (SVM)", "cyclegan-w (DNN)", "cyclegan-w (SVM)"} <= curves
    uar = sweep[(sweep["metric"] == "uar") & (sweep["augmenter"] == "cyclegan-w (DNN)")]
    assert uar["amount_value"].tolist() == [0.0, 0.5, 1.0]
    real = sweep[(sweep["metric"] == "uar") & (sweep["augmenter"] == "real only (DNN)")]
    assert real["mean"].nunique() == 1 and uar["mean"].iloc[0] == real["mean"].iloc[0]  # amount 0 is real only
    sweep_figure(sweep, "uar")  # the Comparison page's figure accepts the table
    html = (tmp_path / "sweep" / "results" / "sweep-uar.html").read_text()
    assert html.count("plotly-graph-div") >= 2 and "UAR against added data, SVM" in html
    assert "history-cyclegan-w" in run.tables() and "summary" in run.tables()


def test_table1_gates_every_generator_and_reads_its_verdicts_through_the_gate(tmp_path, monkeypatch, capsys):
    """Every generating method of every (seed, fold) is gated on the fold's scaled real rows; the table prints one
    gate line per generator, the json has the gate section, and each claim's verdict goes through the gate."""
    from labkit.runstore import open_run

    feats = _fake_features()
    argv = ["reproduce", "shilandari-table1", "fake", "--seeds", "1", "--max-folds", "2", "--methods"]
    argv += ["noise,smote,cyclegan,cyclegan-w", *TINY, "--out", str(tmp_path / "run")]
    assert _run(argv, monkeypatch, feats) == 0
    printed = capsys.readouterr().out
    for label in ("Add noise", "SMOTE", "Cycle-GAN", "Cycle-GAN + Wasserstein"):
        assert f"Gate · {label}: " in printed
    assert "Gate · No augmentation" not in printed  # the baseline generates nothing to judge
    assert "Cycle-GAN + Wasserstein raises UAR over no augmentation (DNN): " in printed
    assert "Cycle-GAN + Wasserstein · DNN is the best row: " in printed
    run = open_run(tmp_path / "run")
    tasks = run.read_table("tasks")
    gates = {(t.method, t.fold): json.loads(t.gate) for t in tasks.itertuples()}
    assert gates[("none", 0)] == {} and set(gates[("cyclegan-w", 1)]) == {"Cycle-GAN + Wasserstein"}
    one = gates[("smote", 1)]["SMOTE"]
    assert one["fold"] == 1 and one["n_real"] == one["n_generated"] == 2 * 28  # 2 training speakers x 28 rows
    gate = run.read_json("shilandari-table1")["result"]["gate"]
    assert set(gate["generators"]) == {"Add noise", "SMOTE", "Cycle-GAN", "Cycle-GAN + Wasserstein"}
    assert gate["generators"]["SMOTE"]["fold"] is None and gate["verdict"]
    assert {"fidelity", "c2st_auc", "precision", "recall", "spread", "passed"} <= set(gate["generators"]["SMOTE"])


def _context(feats, folds, **kw):
    from labkit.reproductions import shilandari as R

    base = dict(
        X=feats.X,
        y=feats.meta["emotion"].to_numpy(),
        folds={None: folds},
        classifiers=["dnn", "svm"],
        overrides={"epochs": 1, "hidden": 8},
        budget="small",
        jitter=0.05,
        device="cpu",
        threads=1,
        record_every=0,
        progress=False,
        tune=False,
        speakers=None,
        amounts=["1"],
        noise_scale=0.1,
    )
    return R.ShilandariContext(**{**base, **kw})


def test_a_killed_task_resumes_its_cycle_gans_from_the_checkpoint(tmp_path, monkeypatch):
    """A task killed mid-training continues from its checkpoint (no second pre-training) and scores exactly what an
    uninterrupted task scores; the checkpoint is dropped once the task is saved."""
    from labkit.experiment import classifiers as C
    from labkit.experiment.protocols import make_folds
    from labkit.reproductions import shilandari as R
    from labkit.runstore import Run

    monkeypatch.setattr(
        C,
        "make_classifier",
        lambda name, random_state=0, **kw: real_make_classifier(
            name, random_state=random_state, **({"hidden": 8, "max_epochs": 3} if name == "mlp" else {}), **kw
        ),
    )
    feats = _fake_features()
    context = _context(feats, make_folds(feats.meta, "loso"), overrides={"epochs": 3, "hidden": 8}, checkpoint_every=1)
    task = {"key": "cyclegan-w_s0_f01", "method": "cyclegan-w", "seed": 0, "fold": 1}
    whole = R.method_task(task, context, str(Run.create(tmp_path / "whole", "t", {}).path))

    class Killed(Exception):
        pass

    real_train, resumed = T.train, []

    def kill_at_2(X, y, cfg, **kw):
        def hook(epoch, model, row):
            if epoch == 2:
                raise Killed

        return real_train(X, y, cfg, **{**kw, "on_epoch": hook})

    def spy(*a, **kw):
        res = real_train(*a, **kw)
        resumed.append(res.resumed_from)
        return res

    run = Run.create(tmp_path / "cut", "t", {})
    monkeypatch.setattr(T, "train", kill_at_2)
    with pytest.raises(Killed):
        R.method_task(task, context, str(run.path))
    assert run.checkpoint_path(task["key"]).is_file()  # written after epoch 1
    monkeypatch.setattr(T, "train", spy)
    again = R.method_task(task, context, str(run.path))
    assert resumed == [1]  # continued after epoch 1, pre-training not repeated
    assert again["rows"] == whole["rows"] and again["gate"] == whole["gate"]
    strip = ("gan_seconds",)
    assert {k: v for k, v in again["diagnostics"].items() if k not in strip} == pytest.approx(
        {k: v for k, v in whole["diagnostics"].items() if k not in strip}
    )
    for experiment in R.EXPERIMENTS:  # a saved task drops its checkpoint
        experiment.on_task_done(task, again, run)
    assert not run.checkpoint_path(task["key"]).exists()


def test_no_test_speaker_reaches_anything_fitted(monkeypatch):
    """Spy on the generator's training and every classifier fit of one task: only training rows get in."""
    from sklearn.preprocessing import StandardScaler

    from labkit.experiment import classifiers as C
    from labkit.experiment.protocols import make_folds
    from labkit.reproductions import shilandari as R

    feats = _fake_features()
    folds = make_folds(feats.meta, "loso")
    seen = {"gan": [], "clf": []}
    real_train = T.train
    monkeypatch.setattr(
        T, "train", lambda X, *a, **k: seen["gan"].append(np.asarray(X).copy()) or real_train(X, *a, **k)
    )

    def make(name, random_state=0, **kw):
        clf = real_make_classifier(
            name, random_state=random_state, **({"hidden": 8, "max_epochs": 3} if name == "mlp" else {}), **kw
        )
        fit = clf.fit

        def spy(X, y):
            seen["clf"].append(np.asarray(X).copy())
            return fit(X, y)

        clf.fit = spy
        return clf

    monkeypatch.setattr(C, "make_classifier", make)
    context = _context(feats, folds)
    k = 1
    res = R.method_task({"key": "t", "method": "cyclegan", "seed": 1, "fold": k}, context, run_path="/nonexistent")
    fold = folds[k]
    scaler = StandardScaler().fit(feats.X[fold.train_idx])
    train_rows = scaler.transform(feats.X[fold.train_idx]).astype(np.float32)
    test_rows = scaler.transform(feats.X[fold.test_idx]).astype(np.float32)
    assert len(seen["gan"]) == 1 and len(seen["clf"]) == 2  # the generator is trained once for both classifiers
    np.testing.assert_allclose(seen["gan"][0], train_rows, rtol=1e-5, atol=1e-5)
    for X in seen["clf"]:
        np.testing.assert_allclose(X[: len(train_rows)], train_rows, rtol=1e-5, atol=1e-5)
        assert len(X) == 2 * len(train_rows)  # amount 1 doubles the fold
        d = np.abs(X[:, None, :] - test_rows[None]).max(-1)  # (n_seen, n_test)
        assert d.min() > 1e-3  # no test row among what the classifiers saw
    assert {r["classifier"] for r in res["rows"]} == {"DNN", "SVM"}


def test_bad_options_are_refused_before_any_work(tmp_path, monkeypatch, capsys):
    feats = _fake_features()
    for extra, message in (
        (["--emotions", "anger,fear"], "must include neutral"),
        (["--classifiers", "knn"], "--classifiers"),
        (["--methods", "gan"], "--methods"),
        (["--amount", "0"], "--amount"),
        (["--epochs", "0"], "--epochs"),
        (["--protocol", "random", "--folds", "1"], "--folds"),
    ):
        code = _run(
            ["reproduce", "shilandari-table1", "fake", "--out", str(tmp_path / "x"), *extra], monkeypatch, feats
        )
        assert code == 2, extra
        assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    code = _run(
        ["reproduce", "shilandari-sweep", "fake", "--amounts", "1,-2", "--out", str(tmp_path / "y")], monkeypatch, feats
    )
    assert code == 2 and "--amounts" in capsys.readouterr().err


def test_reproductions_module_imports_no_torch():
    import subprocess
    import sys

    code = (
        "import sys, labkit.reproductions.shilandari as m; "
        "assert 'torch' not in sys.modules, 'torch imported'; print(len(m.EXPERIMENTS))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "2"


def test_tune_chooses_each_classifier_inside_the_fold_on_real_rows(tmp_path, monkeypatch, capsys):
    """--tune: one inner CV per classifier on the fold's real training rows; no test speaker gets in; the table says
    what was chosen."""
    from labkit.experiment import classifiers as C
    from labkit.experiment.protocols import make_folds
    from labkit.runstore import open_run

    feats = _fake_features(n_speakers=4)
    folds = make_folds(feats.meta, "loso")
    seen = []
    real_tune = C.tune_on_real
    monkeypatch.setattr(
        C,
        "tune_on_real",
        lambda name, X, y, groups, rs=0, **kw: (
            seen.append((name, np.asarray(X).copy(), set(np.asarray(groups).tolist())))
            or real_tune(name, X, y, groups, rs, **kw)
        ),
    )
    argv = [
        "reproduce",
        "shilandari-table1",
        "fake",
        "--seeds",
        "1",
        "--methods",
        "noise",
        "--out",
        str(tmp_path / "run"),
        *TINY,
        "--tune",
    ]
    assert _run(argv, monkeypatch, feats) == 0
    printed = capsys.readouterr().out
    assert "--tune: each classifier's hyperparameters chosen in every fold" in printed
    assert "SVM: C " in printed and "DNN: weight_decay " in printed
    speakers = feats.meta["speaker"].to_numpy()
    # one inner CV per fold and classifier (4 folds x 2 classifiers), reused by both methods of the
    # fold (none, noise): the choice is cached per (seed, fold) in the run
    assert len(seen) == 8 and {name for name, _, _ in seen} == {"svm-linear", "mlp"}
    for _, X, groups in seen:  # exactly one fold's training rows, and none of that fold's test speakers
        (fold,) = [f for f in folds if len(f.train_idx) == len(X) and np.array_equal(feats.X[f.train_idx], X)]
        assert groups == set(speakers[fold.train_idx]) and not groups & set(speakers[fold.test_idx])
    run = open_run(tmp_path / "run")
    assert run.config["tune"] is True
    table = run.read_table("tasks")
    tuned = [json.loads(t) for t in table["tuned"]]
    assert all(t["SVM"]["C"] in C.TUNING_GRIDS["svm-linear"]["C"] for t in tuned)
    for _, part in table.groupby("fold"):  # every method of a fold classified with the same values
        assert len(part) == 2 and len(set(part["tuned"])) == 1
    # a rerun reuses the finished tasks and tunes nothing
    seen.clear()
    assert _run(argv, monkeypatch, feats) == 0 and seen == []
