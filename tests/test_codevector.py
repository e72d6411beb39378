"""The enriched code vector: model shapes, the kNN labels by hand, training, labels, no leak, resume, CLI."""

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from labkit.errors import LabkitError
from labkit.experiment.toy import toy_features
from labkit.models.codevector import (
    PRESETS,
    CodeVectorAAE,
    cosine_knn,
    knn_label_distribution,
    label_distribution,
    make_config,
)
from labkit.reproductions import codevector as cv
from labkit.trainers import codevector as trainer

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


# --------------------------------------------------------------------------- model
@pytest.mark.parametrize("preset", list(PRESETS))
def test_shapes_of_every_preset(preset):
    cfg = make_config(preset, n_features=12)
    model = CodeVectorAAE(cfg)
    x = torch.randn(5, 12)
    c = model.encoder(x)
    assert c.shape == (5, cfg.code_size)
    y = torch.nn.functional.one_hot(torch.tensor([0, 1, 1, 0, 1]), 2).float()
    x_hat = model.decoder(c, y if cfg.n_classes else None)
    assert x_hat.shape == (5, 12)
    assert model.discriminator(c).shape == (5,)
    if cfg.n_aux:
        p = model.head(c)
        assert p.shape == (5, cfg.n_aux) and torch.allclose(p.sum(1), torch.ones(5))
    else:
        assert model.head is None
    # the decoder really is conditioned: another label gives another reconstruction
    if cfg.n_classes:
        assert not torch.allclose(model.decoder(c, y), model.decoder(c, 1 - y))
    assert {"enriched-64": 64, "enriched-10": 10, "aae-64": 64, "knn-aae": 64}[preset] == cfg.code_size


def test_config_rejects_bad_values():
    with pytest.raises(LabkitError, match="code_size"):
        make_config("enriched-64", code_size=0)
    with pytest.raises(LabkitError, match="n_aux"):
        make_config("enriched-64", n_aux=1)
    with pytest.raises(LabkitError, match="unknown codevector preset"):
        make_config("enriched-32")


def test_knn_labels_against_a_hand_checked_case():
    # Out-of-context latent vectors at angles 0, 10, 45, 80, 90 and 180 degrees, and one far away at
    # 5 degrees but 100 times longer: cosine similarity ignores length, Euclidean distance would not.
    ang = np.deg2rad([0, 10, 45, 80, 90, 180, 5])
    E_o = torch.tensor(np.stack([np.cos(ang), np.sin(ang)], 1), dtype=torch.float32)
    E_o[6] *= 100.0
    y_o = torch.tensor([1, 1, 0, 0, 0, 1, 0])
    # in-context vectors at 2 degrees (short) and at 85 degrees
    E_in = torch.tensor([[np.cos(np.deg2rad(2)), np.sin(np.deg2rad(2))], [0.0, 3.0]], dtype=torch.float32)
    E_in[1] = torch.tensor([np.cos(np.deg2rad(85)), np.sin(np.deg2rad(85))]) * 3
    idx = cosine_knn(E_in, E_o, k=3)
    # by hand: 2 deg -> 0 deg (2), 5 deg (3), 10 deg (8); 85 deg -> 80 and 90 (5 each), then 45 (40)
    assert idx[0].tolist() == [0, 6, 1]
    assert set(idx[1, :2].tolist()) == {3, 4} and idx[1, 2].item() == 2
    y_io = label_distribution(idx, y_o, 2)
    # first: labels 1, 0, 1 -> [1/3 low, 2/3 high]; second: 0, 0, 0 -> [1, 0]
    assert torch.allclose(y_io, torch.tensor([[1 / 3, 2 / 3], [1.0, 0.0]]))
    assert torch.allclose(knn_label_distribution(E_in, E_o, y_o, 3, 2), y_io)
    # K = 1 copies the single nearest label; K = all gives the corpus' label shares to everyone
    assert knn_label_distribution(E_in, E_o, y_o, 1, 2).tolist() == [[0.0, 1.0], [1.0, 0.0]]
    assert torch.allclose(knn_label_distribution(E_in, E_o, y_o, 7, 2), torch.tensor([[4 / 7, 3 / 7]] * 2))
    with pytest.raises(LabkitError, match="only 7"):
        cosine_knn(E_in, E_o, k=8)


# --------------------------------------------------------------------------- training
def _toy(n_speakers=4, n_per=6, dim=10, seed=0, prefix=None):
    meta, X = toy_features(
        n_speakers=n_speakers,
        classes=("anger", "sadness", "happiness", "neutral"),
        n_per=n_per,
        dim=dim,
        seed=seed,
        separation=1.5,
    )
    if prefix:
        meta["speaker"] = prefix + meta["speaker"]
    return meta, X


def test_tiny_training_run_and_its_history():
    meta, X = _toy()
    y = cv.binary_labels(meta, "activation")
    Xs = (X - X.mean(0)) / X.std(0)
    cfg = make_config("enriched-10", n_features=10, epochs=3, batch_size=16)
    y_io = torch.tensor(np.stack([1 - y, y], 1) * 0.8 + 0.1, dtype=torch.float32)
    res = trainer.enrich(Xs, y, y_io, cfg, device=CPU)
    assert [h["epoch"] for h in res.history] == [1, 2, 3]
    assert all(np.isfinite(h[k]) for h in res.history for k in ("loss_d", "loss_rec", "loss_per", "loss_adv"))
    assert res.history[0]["loss_per"] > 0
    Z = trainer.encode(res.model, Xs)
    assert Z.shape == (len(X), 10) and Z.dtype == np.float32
    # the same seed gives the same code; another seed another one
    again = trainer.encode(trainer.enrich(Xs, y, y_io, cfg, device=CPU).model, Xs)
    np.testing.assert_array_equal(Z, again)
    other = trainer.encode(
        trainer.enrich(
            Xs, y, y_io, make_config("enriched-10", n_features=10, epochs=3, batch_size=16, seed=1), device=CPU
        ).model,
        Xs,
    )
    assert not np.allclose(Z, other)
    # without the head there is no L_per
    plain = trainer.train(Xs, make_config("aae-64", n_features=10, epochs=2), y=y, device=CPU)
    assert all(h["loss_per"] == 0.0 for h in plain.history)
    with pytest.raises(LabkitError, match="needs the labels"):
        trainer.train(Xs, make_config("aae-64", n_features=10, epochs=1), device=CPU)


@pytest.mark.slow
def test_generate_decodes_prior_draws_with_their_class():
    """The gate's draws: F(z, y), z ~ N(0, I) from a generator of their own (seeded, torch's global one untouched)."""
    cfg = make_config("aae-64", n_features=6, code_size=3)
    model = CodeVectorAAE(cfg)
    y = np.array([0, 0, 1, 1, 1])
    state = torch.random.get_rng_state()
    a, b = trainer.generate(model, y, seed=4), trainer.generate(model, y, seed=4)
    assert a.shape == (5, 6) and a.dtype == np.float32 and np.array_equal(a, b)
    assert torch.equal(state, torch.random.get_rng_state())
    assert not np.allclose(a, trainer.generate(model, 1 - y, seed=4))  # the class condition reaches the rows
    assert not np.allclose(a, trainer.generate(model, y, seed=5))
    with pytest.raises(LabkitError, match="conditional decoder"):
        trainer.generate(CodeVectorAAE(make_config("knn-aae", n_features=6)), y)


def test_training_fits_the_out_of_context_labels():
    meta, X = _toy(n_speakers=4, n_per=10)
    Xs = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    y = cv.binary_labels(meta, "activation")
    y_io = torch.tensor(np.stack([1 - y, y], 1), dtype=torch.float32)  # learnable: a function of x
    res = trainer.enrich(Xs, y, y_io, make_config("enriched-10", n_features=10, epochs=60, batch_size=32), device=CPU)
    first, last = res.history[0], res.history[-1]
    assert last["loss_per"] < 0.5 * first["loss_per"]
    assert last["loss_rec"] < first["loss_rec"]


def test_neighbourhood_space_maps_both_corpora():
    rng = np.random.default_rng(0)
    X_in, X_o = rng.standard_normal((20, 6)).astype(np.float32), rng.standard_normal((30, 6)).astype(np.float32)
    E_in, E_o, res = trainer.neighbourhood_space(
        X_in, X_o, make_config("enriched-64", n_features=6, epochs=1, knn_code_size=5), device=CPU
    )
    assert E_in.shape == (20, 5) and E_o.shape == (30, 5) and res.config.n_classes == 0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_training_on_cuda_with_bf16_autocast():
    meta, X = _toy()
    y = cv.binary_labels(meta, "activation")
    y_io = np.stack([1 - y, y], 1).astype(np.float32)
    res = trainer.enrich(X, y, y_io, make_config("enriched-10", n_features=10, epochs=2), device=torch.device("cuda"))
    assert res.device.startswith("cuda") and np.isfinite(trainer.encode(res.model, X)).all()
    assert next(res.model.parameters()).is_cuda


# --------------------------------------------------------------------------- labels
def test_binary_labels_follow_the_paper():
    meta = pd.DataFrame({"arousal": [0, 1, 2, 1], "valence": [2, 1, 0, 0]})
    assert cv.binary_labels(meta, "activation").tolist() == [0, 0, 1, 0]  # medium -> low (midpoint rule)
    assert cv.binary_labels(meta, "activation", medium="high").tolist() == [0, 1, 1, 1]
    assert cv.binary_labels(meta, "valence", medium="drop").tolist() == [1, -1, 0, 0]
    # IEMOCAP: raw mean ratings split at 3, [1, 3) low and [3, 5] high; no rating -> the class
    meta["arousal_rating"] = [2.99, 3.0, 1.5, np.nan]
    assert cv.binary_labels(meta, "activation").tolist() == [0, 1, 0, 0]
    with pytest.raises(LabkitError, match="medium"):
        cv.binary_labels(meta, "activation", medium="middle")


def test_iemocap_ratings_give_the_binary_labels(tmp_path):
    from fixtures_corpora import make_iemocap

    from labkit.data.loaders import load_corpus

    table = load_corpus(f"iemocap:{make_iemocap(tmp_path / 'iemocap', sessions=(1,))}").set_index("id")
    act = pd.Series(cv.binary_labels(table, "activation"), index=table.index)
    val = pd.Series(cv.binary_labels(table, "valence"), index=table.index)
    assert (act["Ses01F_impro01_F000"], val["Ses01F_impro01_F000"]) == (0, 0)  # [2.5, 2.5]: below 3
    assert (act["Ses01F_impro01_F001"], val["Ses01F_impro01_F001"]) == (1, 1)  # A 3.5, V 4.0
    assert (act["Ses01F_script01_1_F001"], val["Ses01F_script01_1_F001"]) == (0, 1)  # A 2.0, V 3.0 (3 is high)


def test_speaker_overlap_is_refused():
    meta, _ = _toy()
    with pytest.raises(LabkitError, match="shares speaker ids"):
        cv.check_disjoint(meta, meta.iloc[:5], "a", "b")
    other, _ = _toy(prefix="ooc-")
    cv.check_disjoint(meta, other, "a", "b")


@pytest.mark.slow
def test_ds_selection_is_gridsearchcv_over_the_pipeline():
    """fit_svm's inner CV, written out for speed, chooses what scikit-learn's GridSearchCV chooses."""
    from sklearn.feature_selection import SelectKBest, f_classif
    from sklearn.model_selection import GridSearchCV, GroupKFold
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    meta, X = _toy(n_speakers=5, dim=6)
    groups = meta["speaker"].to_numpy()
    # the third case: C as --tune chose it on the fold's real rows (tuned_for_fold), Ds still searched
    for task, C in [("activation", None), ("valence", None), ("valence", 0.03)]:
        y = cv.binary_labels(meta, task)
        pipe, info = cv.fit_svm(X, y, groups, select=True, params=None if C is None else {"C": C, "inner_uar": 0.5})
        ref = Pipeline(
            [
                ("scale", StandardScaler()),
                ("select", SelectKBest(f_classif)),
                ("classify", SVC(kernel="linear", class_weight="balanced", random_state=0, C=C or 1.0)),
            ]
        )
        grid = {"select__k": cv.ds_grid(6)}
        search = GridSearchCV(ref, grid, scoring="balanced_accuracy", cv=GroupKFold(3)).fit(X, y, groups=groups)
        assert info["ds"] == search.best_params_["select__k"]
        assert info["C"] == (C or 1.0) and pipe.named_steps["classify"].C == (C or 1.0)
        assert info["inner_uar"] == pytest.approx(search.best_score_)
        np.testing.assert_array_equal(pipe.predict(X), search.best_estimator_.predict(X))


def test_ds_grid():
    assert cv.ds_grid(10) == list(range(1, 11))
    g = cv.ds_grid(88)
    assert g[:10] == list(range(1, 11)) and g[-1] == 88 and all(a < b for a, b in zip(g, g[1:]))


# --------------------------------------------------------------------------- nothing of the test speaker is fitted
SETTINGS = {
    "code_sizes": [4],
    "aae_size": 4,
    "epochs": 2,
    "k": 3,
    "classifier": "svm-linear",
    "C": 1.0,
    "tune": False,
    "methods": cv.method_names([4]),
}


def _matches(A, B, tol=1e-5):
    """Rows of A (m, d) equal (within tol) to some row of B (n, d)."""
    A, B = np.asarray(A, np.float64), np.asarray(B, np.float64)
    if A.size == 0 or B.size == 0 or A.shape[1] != B.shape[1]:
        return 0
    d2 = ((A[:, None, :] - B[None, :, :]) ** 2).sum(-1)
    return int((d2.min(1) < tol).sum())


def test_no_test_speaker_reaches_the_scaler_anova_aae_or_svm(monkeypatch):
    from sklearn.feature_selection import SelectKBest
    from sklearn.model_selection import GroupKFold
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    meta, X = _toy(n_speakers=4)
    meta_o, X_o = _toy(n_speakers=3, seed=5, prefix="ooc-")
    spk = meta["speaker"].to_numpy()
    test_speaker = spk[0]
    tr, te = np.flatnonzero(spk != test_speaker), np.flatnonzero(spk == test_speaker)
    labels = {t: cv.binary_labels(meta, t) for t in cv.DIMENSIONS}
    labels_o = {t: cv.binary_labels(meta_o, t) for t in cv.DIMENSIONS}
    # --tune's choice: made on the training rows alone (its own inputs), before the spies go in
    tuned = cv.tuned_for_fold(None, "x", X[tr], {t: y[tr] for t, y in labels.items()}, spk[tr], "svm-linear")
    assert set(tuned) == set(cv.DIMENSIONS) and all(
        t["C"] in (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0) for t in tuned.values()
    )
    events = []  # (kind, estimator, rows it was fitted on), in the order the fits happened
    trained, groups_seen = [], []

    def spy(kind, original):
        def fit(self, X, y=None, *a, **kw):
            events.append((kind, self, np.array(X, dtype=np.float64, copy=True)))
            return original(self, X, y, *a, **kw)

        return fit

    monkeypatch.setattr(StandardScaler, "fit", spy("scaler", StandardScaler.fit))
    monkeypatch.setattr(SelectKBest, "fit", spy("anova", SelectKBest.fit))
    monkeypatch.setattr(SVC, "fit", spy("svm", SVC.fit))
    split = GroupKFold.split

    def spy_split(self, X, y=None, groups=None):
        groups_seen.append(np.asarray(groups).copy())
        return split(self, X, y, groups)

    monkeypatch.setattr(GroupKFold, "split", spy_split)
    original_train = trainer.train

    def spy_train(X, cfg, **kw):
        events.append(("aae", None, np.asarray(X, dtype=np.float64).copy()))
        res = original_train(X, cfg, **kw)
        trained.append(res)
        return res

    monkeypatch.setattr(trainer, "train", spy_train)

    out = cv.evaluate_fold(
        X[tr],
        {t: y[tr] for t, y in labels.items()},
        spk[tr],
        X[te],
        {t: y[te] for t, y in labels.items()},
        X_o,
        labels_o,
        SETTINGS,
        seed=0,
        tuned=tuned,
        gate=True,  # the gate's classifiers and scalers are spied on too: real training rows only
        fold=0,
    )
    assert 0 <= out["activation:enriched-4:uar"] <= 1 and out["valence:baseline_fs:ds"] >= 1
    assert out["valence:baseline_fs:C"] == tuned["valence"]["C"]
    assert set(out["gate"]) == {f"{t} {m}" for t in cv.DIMENSIONS for m in ("aae", "enriched-4")}

    # the in-context input scaler: fitted on exactly the training rows
    first = events[0]
    assert first[0] == "scaler" and _matches(first[2], X[tr]) == len(tr) == len(first[2])
    mean, std = first[2].mean(0), first[2].std(0)
    scaled_test = (X[te] - mean) / std
    # every AAE (neighbourhood, in-context, enriched): standardised training (+ out-of-context) rows only
    aaes = [e[2] for e in events if e[0] == "aae"]
    assert len(aaes) == 1 + 2 * 2  # the neighbourhood AAE + (AAE, enriched-4) x 2 tasks
    assert all(_matches(x, scaled_test, tol=1e-4) == 0 for x in aaes)
    assert _matches(aaes[0][: len(tr)], (X[tr] - mean) / std, tol=1e-4) == len(tr)  # (the spy sees the rows)
    # what the scaler before each selection / SVM saw: training rows or training codes, never the test
    # speaker's features or codes (every code model applied to the test rows)
    test_views = [X[te]] + [trainer.encode(r.model, scaled_test.astype(np.float32)) for r in trained[1:]]
    scalers = [e for e in events if e[0] == "scaler"]
    assert len(scalers) > 10 and all(_matches(s[2], v) == 0 for s in scalers for v in test_views)
    assert any(
        _matches(s[2], trainer.encode(r.model, ((X[tr] - mean) / std).astype(np.float32))) == len(s[2])
        for s in scalers
        for r in trained[1:]
    )  # (codes do reach the spy)
    # ... and every ANOVA selection and SVM saw exactly the rows of the scaler fitted just before it
    # (the SVM: some of their columns, the selected dimensions)
    n_checked = 0
    for i, (kind, est, rows) in enumerate(events):
        if kind not in ("anova", "svm"):
            continue
        j = max(k for k in range(i) if events[k][0] == "scaler")
        scaler_rows = events[j][2]
        expected = (scaler_rows - scaler_rows.mean(0)) / np.where(scaler_rows.std(0) > 0, scaler_rows.std(0), 1.0)
        assert len(rows) == len(scaler_rows) <= len(tr)
        if kind == "anova":
            assert np.allclose(rows, expected, atol=1e-6)
        else:
            assert all(np.isclose(rows[:, [c]], expected, atol=1e-6).all(0).any() for c in range(rows.shape[1]))
        n_checked += 1
    assert n_checked > 20
    # the inner CV groups only training speakers
    assert groups_seen and all(test_speaker not in set(g.tolist()) for g in groups_seen)


# --------------------------------------------------------------------------- the reproduction commands
def _fake_loader(monkeypatch, n_in=4, n_o=3):
    meta_in, X_in = _toy(n_speakers=n_in)
    meta_o, X_o = _toy(n_speakers=n_o, seed=5, prefix="ooc-")
    corpora = {"toy:in": (meta_in, X_in), "toy:ooc": (meta_o, X_o)}

    def load(source, feature_set, skip_bad, progress):
        meta, X = corpora[source]
        return SimpleNamespace(meta=meta, X=X, feature_set=feature_set)

    monkeypatch.setattr(cv, "load_features", load)


def _run(exp_name, out, *extra):
    from labkit.cli import main

    return main(
        [
            "reproduce",
            exp_name,
            "toy:in",
            "--out-of-context",
            "toy:ooc",
            "--epochs",
            "1",
            "--k",
            "3",
            "--code-sizes",
            "4",
            "--aae-size",
            "4",
            "--out",
            str(out),
            *extra,
        ]
    )


def _count_tuning(monkeypatch) -> list:
    """Every inner CV that --tune runs (`tune_on_real`), as (n rows, n speakers)."""
    from labkit.experiment import classifiers

    calls, original = [], classifiers.tune_on_real

    def spy(name, X, y, groups, *a, **kw):
        calls.append((len(X), len(set(np.asarray(groups).tolist()))))
        return original(name, X, y, groups, *a, **kw)

    monkeypatch.setattr(classifiers, "tune_on_real", spy)
    return calls


@pytest.mark.slow
def test_exp1_resume_equals_uninterrupted(monkeypatch, tmp_path, capsys):
    from labkit.runstore import Run

    _fake_loader(monkeypatch)
    tuned = _count_tuning(monkeypatch)
    assert _run("codevector-exp1", tmp_path / "whole", "--seeds", "1") == 0  # --tune is the default
    # one inner CV per (seed, fold) and task (activation, valence), on the 3 training speakers' 72 rows
    assert tuned == [(72, 3)] * 4 * 2
    assert _run("codevector-exp1", tmp_path / "parts", "--seeds", "1", "--max-tasks", "2") == 0
    assert "2 of 4 tasks done" in capsys.readouterr().out
    assert _run("codevector-exp1", tmp_path / "parts", "--seeds", "1") == 0
    out = capsys.readouterr().out
    assert "(2 of 4 tasks computed now" in out and "Val." in out and "paper (creativeit-iemocap)" in out
    assert "--tune: the SVM's C chosen in every fold" in out and "Gate · valence enriched-4:" in out
    assert len(tuned) == 8 + 8
    whole, parts = Run(tmp_path / "whole"), Run(tmp_path / "parts")
    cols = [c for c in whole.read_table("tasks").columns if c.endswith(":uar") or c.endswith(":ds")]
    a = whole.read_table("tasks").sort_values("fold")[cols].reset_index(drop=True)
    b = parts.read_table("tasks").sort_values("fold")[cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    summary = whole.read_table("summary")
    assert set(summary["configuration"]) == {"baseline", "baseline_fs", "aae", "enriched-4"}
    js = whole.read_json("codevector-exp1")
    assert js["tables"][0]["rows"][0]["row"] == "Act." and "Ds enriched 4" in js["tables"][0]["rows"][0]["extra"]
    knn = js["result"]["knn_neighbours"]
    assert set(knn) == {"activation", "valence"} and all(0 <= v <= 1 for d in knn.values() for v in d.values())
    # the gate: every code of every fold, combined per code, in --json; a verdict per claim
    assert set(js["result"]["gate"]["generators"]) == {f"{t} {m}" for t in cv.DIMENSIONS for m in ("aae", "enriched-4")}
    assert all(g["n_generated"] == g["n_real"] == 4 * 72 for g in js["result"]["gate"]["generators"].values())
    assert len(js["result"]["verdicts"]) == 4 and any(f.startswith("Verdict: ") for f in js["findings"])
    # a finished run recomputes nothing
    assert _run("codevector-exp1", tmp_path / "whole", "--seeds", "1") == 0
    assert "(0 of 4 tasks computed now" in capsys.readouterr().out
    # a task computed again (its result lost) reads its fold's tuning from the run: no inner CV, same result
    assert sorted(p.name for p in (whole.path / "cache").iterdir()) == [f"tuning-s0-f{k}.json" for k in range(4)]
    (whole.path / "tasks" / "seed0_fold02.json").unlink()
    assert _run("codevector-exp1", tmp_path / "whole", "--seeds", "1") == 0
    assert "(1 of 4 tasks computed now" in capsys.readouterr().out and len(tuned) == 16
    again = whole.read_table("tasks").sort_values("fold")[cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, again)
    assert json.loads((whole.path / "run.json").read_text())["config"]["tuning"] == "fold-real-rows"


@pytest.mark.slow
def test_a_killed_task_resumes_mid_training_with_the_same_result(monkeypatch, tmp_path, capsys):
    """Every AAE of a task is checkpointed: killed in its 4th training, the task resumes there (the first
    three load their finished checkpoints, the 4th continues from its last epoch) and gives the
    uninterrupted run's scores and gate numbers; a saved task leaves no checkpoint behind."""
    from labkit.runstore import Run

    class Killed(Exception):
        pass

    _fake_loader(monkeypatch)
    tuned = _count_tuning(monkeypatch)
    opts = ("--seeds", "1", "--max-tasks", "1", "--epochs", "3", "--checkpoint-every", "1", "--no-tune")
    assert _run("codevector-exp1", tmp_path / "whole", *opts) == 0
    original, calls, kill_at = trainer.train, [], [4]

    def train(X, cfg, *, on_epoch=None, **kw):
        calls.append(kw.get("checkpoint"))
        hook = on_epoch
        if len(calls) == kill_at[0]:

            def hook(epoch, model, row):
                if epoch == 2:
                    raise Killed("killed in epoch 2")
                return on_epoch(epoch, model, row) if on_epoch else None

        res = original(X, cfg, on_epoch=hook, **kw)
        states.append(res.state)
        return res

    states = []
    monkeypatch.setattr(trainer, "train", train)
    with pytest.raises(Killed):
        _run("codevector-exp1", tmp_path / "cut", *opts)
    left = sorted(p.name for p in (tmp_path / "cut" / "checkpoints").iterdir())
    assert left == [f"seed0_fold00-{n}.pt" for n in ("activation-aae", "activation-enriched-4", "knn", "valence-aae")]
    calls.clear(), states.clear()
    kill_at[0] = 0
    capsys.readouterr()
    assert _run("codevector-exp1", tmp_path / "cut", *opts) == 0
    said = capsys.readouterr()
    assert "1 tasks computed, 0 reused" in said.out + said.err
    assert all(c is not None for c in calls) and len(calls) == 5
    # the three finished trainings load their last epoch, the killed one continues after its epoch 1
    assert [s["resumed_from"] for s in states] == [3, 3, 3, 1, 0]
    assert not list((tmp_path / "cut" / "checkpoints").iterdir())
    a, b = (Run(tmp_path / name).load_task("seed0_fold00") for name in ("whole", "cut"))
    keys = [k for k in a if k.endswith((":uar", ":ds", ":C", ":loss_rec", ":loss_per"))] + ["gate"]
    assert len(keys) > 20 and {k: a[k] for k in keys} == {k: b[k] for k in keys}
    # --no-tune: no inner CV, and the identity of a run made before --tune was the default
    config = json.loads((tmp_path / "cut" / "run.json").read_text())["config"]
    old_keys = {"in_source", "out_of_context", "code_sizes", "aae_size", "epochs", "k", "classifier", "C", "tune"}
    assert not tuned and config["tune"] is False and set(config) == old_keys | {"medium", "features", "data_hash"}


@pytest.mark.slow
def test_exp2_sizes_and_the_train_command_records_the_code_space(monkeypatch, tmp_path, capsys):
    from labkit.runstore import Run

    _fake_loader(monkeypatch)
    # training sides have 3 speakers x 24 = 72 utterances: 500 is skipped with a note
    assert _run("codevector-exp2", tmp_path / "e2", "--seeds", "1", "--sizes", "full,500,40") == 0
    out = capsys.readouterr().out
    assert "N=40" in out and "Skipped sizes 500" in out and "Act. enriched 4" in out
    # the gate per code and size; Table 2's claim is read at the reduced sizes
    assert "Gate · activation enriched-4 N=40:" in out and "Gate · valence aae:" in out
    assert "Verdict: valence: an enriched code beats baseline_fs at N = 40:" in out
    # --tune's choices per (size, seed, fold): the cut training sides are other real rows
    cached = sorted(p.name for p in (tmp_path / "e2" / "cache").iterdir())
    assert cached == sorted([f"tuning-s0-f{k}.json" for k in range(4)] + [f"tuning-n40-s0-f{k}.json" for k in range(4)])
    tasks = Run(tmp_path / "e2").read_table("tasks")
    assert sorted(set(tasks["size"])) == ["40", "full"] and (tasks.loc[tasks["size"] == "40", "n_train"] == 40).all()

    from labkit.cli import main

    assert (
        main(
            [
                "reproduce",
                "codevector-train",
                "toy:in",
                "--out-of-context",
                "toy:ooc",
                "--epochs",
                "4",
                "--record-every",
                "2",
                "--k",
                "3",
                "--code-size",
                "3",
                "--task",
                "valence",
                "--out",
                str(tmp_path / "tr"),
            ]
        )
        == 0
    )
    run = Run(tmp_path / "tr")
    assert run.spaces() == ["code"] and run.snapshot_iterations("code") == [0, 2, 4]
    snap = run.load_snapshot("code", 4)
    assert set(snap["origin"].tolist()) == {"in-context train", "in-context test", "out-of-context"}
    assert snap["X"].shape[1] == 3 and set(snap["y"].tolist()) <= {"low", "high"}
    ref = run.load_reference("code")
    assert ref["X_train"].shape[1] == 3 and len(ref["X_test"]) == (snap["origin"] == "in-context test").sum()
    assert list(run.read_table("history")["epoch"]) == [1, 2, 3, 4]
    assert 0 <= run.read_json("final")["uar"] <= 1
    assert run.load_checkpoint("code")["config"]["code_size"] == 3


def test_bad_input_is_refused(monkeypatch, tmp_path, capsys):
    from labkit.cli import main

    _fake_loader(monkeypatch)
    # no --out-of-context for a non-default in-context corpus
    assert main(["reproduce", "codevector-exp1", "toy:in", "--out", str(tmp_path / "x")]) == 2
    assert "--out-of-context" in capsys.readouterr().err
    assert (
        main(["reproduce", "codevector-exp1", "toy:in", "--out-of-context", "toy:in", "--out", str(tmp_path / "x")])
        == 2
    )
    assert _run("codevector-exp1", tmp_path / "y", "--code-sizes", "a,b") == 2
    assert "--code-sizes" in capsys.readouterr().err
    assert _run("codevector-exp2", tmp_path / "z", "--sizes", "full,1") == 2
    assert _run("codevector-exp1", tmp_path / "k", "--k", "1000") == 2
    assert "--k 1000" in capsys.readouterr().err
    assert not (tmp_path / "y").exists() and not (tmp_path / "k").exists()


@pytest.mark.slow
def test_exp1_on_two_real_loaders_corpora(tmp_path, capsys):
    """A synthetic in-context corpus (csv manifest) enriched by the IEMOCAP fixture (raw ratings split at 3)."""
    from fixtures_corpora import make_iemocap

    from labkit.cli import main
    from labkit.data.synthetic import SynthConfig, synthesize_corpus

    synthesize_corpus(
        tmp_path / "in",
        SynthConfig(
            n_speakers=3, n_utterances=2, duration=(1.0, 1.5), emotions=["anger", "sadness", "happiness", "neutral"]
        ),
        progress=False,
    )
    iemocap = make_iemocap(tmp_path / "iemocap", sessions=(1, 2))
    assert (
        main(
            [
                "reproduce",
                "codevector-exp1",
                f"synthetic:{tmp_path / 'in'}",
                "--out-of-context",
                f"iemocap:{iemocap}",
                "--epochs",
                "1",
                "--k",
                "3",
                "--code-sizes",
                "4",
                "--aae-size",
                "4",
                "--seeds",
                "1",
                "--json",
                "--out",
                str(tmp_path / "run"),
            ]
        )
        == 0
    )
    js = json.loads(capsys.readouterr().out)
    assert set(js["exp1"]) == {"activation", "valence"}
    assert all(0 <= js["exp1"][t][m]["mean"] <= 1 for t in js["exp1"] for m in js["exp1"][t])
