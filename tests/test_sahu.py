"""Sahu et al. 2018: model shapes, one training per loop, checkpoint resume, the reproduction tables.

The augmenters (gan2d, cgan, ctgan) also run through the common suite (tests/test_augmenters.py).
"""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from labkit.errors import LabkitError
from labkit.experiment.classifiers import TUNING_GRIDS
from labkit.models import sahu as M
from labkit.trainers import sahu as T

torch.set_num_threads(1)


def _blobs(n_per_class=12, dim=10, K=4, seed=0, spread=4.0):
    """K separated classes: X (K*n, dim) float32, y (K*n,) ints."""
    rng = np.random.default_rng(seed)
    centre = [spread * (1 if k < dim else -1) * np.eye(dim)[k % dim] for k in range(K)]  # e_k, or -e_k past dim
    X = np.concatenate([rng.normal(size=(n_per_class, dim)) + centre[k] for k in range(K)])
    return X.astype(np.float32), np.repeat(np.arange(K), n_per_class)


def _small_aae(dim=10, K=4, **kw):
    return M.make_aae_config(n_features=dim, n_classes=K, hidden=(16, 8), code_disc_hidden=(8, 8), **kw)


# --------------------------------------------------------------------------- shapes
def test_model_shapes_and_prior():
    aae_cfg = _small_aae()
    aae = M.AAE(aae_cfg)
    x = torch.randn(5, 10)
    z = aae.encode(x)
    assert z.shape == (5, 2) and aae.decode(z).shape == (5, 10)
    assert aae.critic(z, torch.eye(4)[[0, 1, 2, 3, 0]]).shape == (5,)
    gan = M.GAN(M.make_gan_config("gan2d"))
    assert gan.generate(gan.noise(7)).shape == (7, 2) and gan.critic(torch.randn(7, 2)).shape == (7,)
    cgan = M.CGAN(M.cgan_config_for(aae_cfg, "improved"))
    c = torch.tensor([0, 1, 2, 3, 3])
    zc = cgan.noise(c)
    oh = torch.nn.functional.one_hot(c, 4).float()
    assert (
        zc.shape == (5, 2)
        and cgan.generate(zc, oh).shape == (5, 10)
        and cgan.critic(torch.randn(5, 10), oh).shape == (5,)
    )
    # the GMM prior: K means on a circle of the configured radius, draws around the asked component
    prior = M.GMMPrior(4, 2, radius=2.0, std=0.5)
    assert torch.allclose(prior.means.norm(dim=1), torch.full((4,), 2.0))
    draws = prior.sample(torch.full((2000,), 1), torch.Generator().manual_seed(0))
    assert torch.allclose(draws.mean(0), prior.means[1], atol=0.05) and abs(float(draws.std(0).mean()) - 0.5) < 0.03
    # default sizes: IS10 in, 2-d codes
    assert M.AAEConfig().n_features == 1582 and M.AAEConfig().code_dim == 2 and M.describe().count("\n") == 3


def test_generator_initialised_from_the_decoder_equals_it():
    aae_cfg = _small_aae()
    aae = M.AAE(aae_cfg)
    cgan = M.CGAN(M.cgan_config_for(aae_cfg, "improved"))
    cgan.init_from_decoder(aae.decoder)
    z = torch.randn(6, 2)
    for k in range(4):
        oh = torch.nn.functional.one_hot(torch.full((6,), k), 4).float()
        assert torch.allclose(cgan.generate(z, oh), aae.decode(z), atol=1e-6)  # one-hot columns start at 0
    other = M.CGAN(M.make_cgan_config("improved", n_features=10, g_hidden=(32, 16)))
    with pytest.raises(LabkitError, match="cannot initialise"):
        other.init_from_decoder(aae.decoder)


def test_presets_are_the_papers_ablations():
    base, pre, imp = (M.make_cgan_config(p) for p in ("baseline", "pretrained", "improved"))
    assert (base.init_from_decoder, base.lr_g, base.lr_d, base.g_steps) == (False, 1e-4, 1e-4, 1)
    assert (pre.init_from_decoder, pre.lr_g, pre.g_steps) == (True, 1e-4, 1)
    assert (imp.init_from_decoder, imp.lr_g, imp.lr_d, imp.g_steps) == (True, 1e-3, 1e-4, 5)
    assert base.g_init == "unit" and {base.d_cond, pre.d_cond, imp.d_cond} == {"projection"}
    with pytest.raises(LabkitError, match="unknown cGAN preset 'better'"):
        M.make_cgan_config("better")
    with pytest.raises(LabkitError, match="hiden"):
        M.make_aae_config(hiden=(3,))
    with pytest.raises(LabkitError, match="epochs must be at least 1"):
        M.make_gan_config("gan2d", epochs=0)


def test_losses_at_equilibrium_and_labels_of_codes():
    half = torch.zeros(8)  # logits 0: D says 1/2 everywhere
    assert abs(float(M.discriminator_loss(half, half)) - M.EQUILIBRIUM) < 1e-6
    assert abs(float(M.generator_loss(half)) - M.EQUILIBRIUM) < 1e-6
    codes, y = _blobs(n_per_class=30, dim=2, K=3, spread=5.0)
    gmm = M.ClassGMM().fit(codes, y, 4)  # class 3 has no codes: it is never predicted
    assert (gmm.predict(codes) == y).mean() > 0.95 and 3 not in gmm.predict(codes)


# --------------------------------------------------------------------------- one training per loop
def test_each_loop_trains_repeatably_and_logs_every_epoch():
    X, y = _blobs()
    aae_cfg = _small_aae(epochs=3, batch_size=16)
    a1, a2 = T.train_aae(X, y, aae_cfg, device="cpu"), T.train_aae(X, y, aae_cfg, device="cpu")
    assert [r["epoch"] for r in a1.history] == [1, 2, 3]
    assert {"loss_rec", "loss_d", "loss_g", "d_real", "d_fake"} <= set(a1.history[0])
    assert all(torch.equal(p, q) for p, q in zip(a1.model.parameters(), a2.model.parameters()))
    codes = T.encode(a1.model, X)
    assert codes.shape == (len(X), 2) and T.decode(a1.model, codes).shape == X.shape

    gan = T.train_gan(codes, M.make_gan_config("gan2d", epochs=2, batch_size=16), device="cpu")
    assert len(gan.history) == 2 and np.isfinite(gan.history[-1]["loss_d"])
    g = torch.Generator().manual_seed(0)
    assert T.generate_gan(gan.model, 5, g).shape == (5, 2)

    cfg = M.cgan_config_for(aae_cfg, "improved", epochs=2, batch_size=16)
    with pytest.raises(LabkitError, match="decoder"):
        T.train_cgan(X, y, cfg, device="cpu")
    res = T.train_cgan(X, y, cfg, decoder=a1.model.decoder, device="cpu")
    assert len(res.history) == 2 and res.device == "cpu"
    out = T.generate_cgan(res.model, np.array([0, 0, 3]), g)
    assert out.shape == (3, 10) and np.isfinite(out).all()
    with pytest.raises(LabkitError, match=r"shape \(n, 10\)"):
        T.train_cgan(X[:, :5], y, cfg, decoder=a1.model.decoder, device="cpu")
    with pytest.raises(LabkitError, match="class indices"):
        T.train_cgan(X, y + 1, cfg, decoder=a1.model.decoder, device="cpu")


def test_development_rows_are_only_evaluated_never_learned_from():
    X, y = _blobs()
    cfg = M.make_cgan_config("baseline", n_features=10, g_hidden=(16, 8), d_hidden=(16, 8), epochs=3, batch_size=16)
    plain = T.train_cgan(X, y, cfg, device="cpu")
    with_dev = T.train_cgan(X, y, cfg, device="cpu", X_dev=X[:8] + 1.0, y_dev=y[:8])
    assert all(torch.equal(p, q) for p, q in zip(plain.model.parameters(), with_dev.model.parameters()))
    assert {"loss_d_dev", "loss_g_dev", "d_real_dev", "d_fake_dev"} <= set(with_dev.history[-1])


def test_diverging_training_stops_with_a_clear_error():
    X, y = _blobs()
    X[0, 0] = np.inf  # poisons the first batch that holds row 0
    cfg = M.make_cgan_config("baseline", n_features=10, g_hidden=(8, 8), d_hidden=(8, 8), epochs=2, batch_size=64)
    from labkit.trainers.common import TrainingDiverged

    with pytest.raises(TrainingDiverged, match="diverged"):
        T.train_cgan(X, y, cfg, device="cpu")


def test_checkpoint_resume_equals_uninterrupted(tmp_path):
    from labkit.runstore import Run

    X, y = _blobs()
    aae = T.train_aae(X, y, _small_aae(epochs=2, batch_size=16), device="cpu")
    cfg = M.cgan_config_for(aae.model.cfg, "improved", epochs=5, batch_size=16)
    full = T.train_cgan(X, y, cfg, decoder=aae.model.decoder, device="cpu")

    run = Run.create(tmp_path / "run", "test", {})
    ckpt = T.Checkpoint.in_run(run, "cgan", every=2)

    def stop_at_3(epoch, model, row):
        if epoch == 3:
            raise KeyboardInterrupt  # killed after epoch 3; the checkpoint holds epoch 2

    with pytest.raises(KeyboardInterrupt):
        T.train_cgan(X, y, cfg, decoder=aae.model.decoder, device="cpu", checkpoint=ckpt, on_epoch=stop_at_3)
    resumed = T.train_cgan(X, y, cfg, decoder=aae.model.decoder, device="cpu", checkpoint=ckpt)
    assert resumed.resumed_from == 2
    assert all(torch.equal(p, q) for p, q in zip(full.model.parameters(), resumed.model.parameters()))
    drop = ("seconds",)
    assert [{k: v for k, v in r.items() if k not in drop} for r in resumed.history] == [
        {k: v for k, v in r.items() if k not in drop} for r in full.history
    ]


def test_labelled_codes_have_exact_counts_even_for_a_class_the_gan_never_makes():
    X, y = _blobs(n_per_class=20, dim=2, K=3, spread=6.0)
    gan = T.train_gan(X, M.make_gan_config("gan2d", epochs=1), device="cpu")  # untrained: near the origin
    far = np.r_[X, np.full((5, 2), 40.0)]  # class 3 lives far away; the generator never goes there
    gmm = M.ClassGMM().fit(far, np.r_[y, np.full(5, 3)], 4)
    codes, labels = T.sample_labelled_codes(
        gan.model, gmm, {0: 7, 3: 4}, torch.Generator().manual_seed(0), max_rounds=2
    )
    assert codes.shape == (11, 2) and np.bincount(labels, minlength=4).tolist() == [7, 0, 0, 4]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cgan_trains_on_cuda():
    X, y = _blobs()
    aae = T.train_aae(X, y, _small_aae(epochs=2, batch_size=16), device="cuda")
    res = T.train_cgan(
        X,
        y,
        M.cgan_config_for(aae.model.cfg, "improved", epochs=2, batch_size=16),
        decoder=aae.model.decoder,
        device="cuda",
    )
    assert res.device.startswith("cuda") and next(res.model.parameters()).is_cuda
    out = T.generate_cgan(res.model, np.arange(4), torch.Generator(device="cuda").manual_seed(0))
    assert out.shape == (4, 10) and np.isfinite(out).all()


# --------------------------------------------------------------------------- augmenters (beyond the common suite)
def test_gan2d_works_in_the_code_plane():
    from labkit.augment import make_augmenter

    X, y = _blobs(n_per_class=10)
    names = np.array(["anger", "happiness", "sadness", "neutral"])[y]
    aug = make_augmenter("gan2d", aae_epochs=3, gan_epochs=2, random_state=0, record_every=1, n_record=2)
    X_res, y_res = aug.fit_resample(X, names)
    assert X_res.shape == (len(X), 10)  # balanced classes: "balance" adds nothing
    assert aug.codes(X).shape == (len(X), 2)
    codes, labels = aug.sample_codes({"anger": 3, "neutral": 2})
    assert codes.shape == (5, 2) and sorted(labels.tolist()) == ["anger"] * 3 + ["neutral"] * 2
    assert [s["iteration"] for s in aug.snapshots_] == [1, 2] and aug.snapshots_[0]["X"].shape == (8, 10)
    assert [h["iteration"] for h in aug.history_] == [1, 2] and {"loss_d", "loss_g"} <= set(aug.history_[0])
    assert len(aug.aae_history_) == 3 and "loss_rec" in aug.aae_history_[0]


def test_cgan_augmenter_presets_and_errors():
    from labkit.augment import make_augmenter

    X, y = _blobs(n_per_class=8)
    aug = make_augmenter(
        "cgan", preset="baseline", epochs=2, random_state=0, sampling_strategy=1.0, record_every=2, n_record=3
    )
    X_res, y_res = aug.fit_resample(X, y)
    assert len(X_res) == 2 * len(X) and len(aug.snapshots_) == 1 and aug.snapshots_[0]["X"].shape == (12, 10)
    assert not hasattr(aug, "aae_history_")  # baseline: no AAE
    with pytest.raises(LabkitError, match="unknown cGAN preset"):
        make_augmenter("cgan", preset="fancy", epochs=1).fit_resample(X, y)


def test_ctgan_missing_extra_names_it(monkeypatch):
    import sys

    from labkit.augment import make_augmenter

    monkeypatch.setitem(sys.modules, "ctgan", None)  # import ctgan now raises ImportError
    X, y = _blobs(n_per_class=5)
    with pytest.raises(LabkitError, match=r"labkit\[ctgan\]"):
        make_augmenter("ctgan", epochs=1).fit_resample(X, y)


# --------------------------------------------------------------------------- the reproductions
def _fake_features(n_speakers=4, per=6, dim=12, seed=0):
    """A small 4-emotion table with class-dependent features (stands in for IS10 of a corpus)."""
    from labkit.features.core import Features

    rng = np.random.default_rng(seed)
    emotions = ["anger", "happiness", "sadness", "neutral"]
    rows, X = [], []
    for s in range(n_speakers):
        for k, e in enumerate(emotions):
            for i in range(per):
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
                        "context": "studio" if s % 2 == 0 else "phone",
                    }
                )
                X.append(rng.normal(size=dim) + 3.0 * np.eye(dim)[k] + 0.5 * s)
    meta = pd.DataFrame(rows)
    return Features(
        meta=meta,
        X=np.asarray(X, dtype=np.float32),
        names=[f"f{i}" for i in range(dim)],
        feature_set="is10",
        settings={},
        skipped=pd.DataFrame(columns=["id", "path", "reason"]),
        stats={},
    )


TINY = ["--aae-epochs", "2", "--gan-epochs", "2", "--cgan-epochs", "2", "--batch-size", "16", "--no-tune"]


def _run(argv, monkeypatch, feats):
    from labkit.cli import main
    from labkit.reproductions import sahu as R

    monkeypatch.setattr(R, "load_features", lambda source, *a, **k: feats)
    return main(argv)


@pytest.mark.slow
def test_table1_resume_equals_uninterrupted_and_records_for_the_dashboard(tmp_path, monkeypatch, capsys):
    from labkit.runstore import open_run

    feats = _fake_features()
    base = ["reproduce", "sahu-table1", "fake", "--seeds", "2", "--record-every", "1", *TINY]
    assert _run(base + ["--out", str(tmp_path / "full"), "--json"], monkeypatch, feats) == 0
    assert _run(base + ["--out", str(tmp_path / "cut"), "--max-tasks", "3"], monkeypatch, feats) == 0
    assert "3 of 8 tasks done" in capsys.readouterr().out
    assert _run(base + ["--out", str(tmp_path / "cut")], monkeypatch, feats) == 0
    printed = capsys.readouterr().out
    assert "Only real openSMILE" in printed and "59.42" in printed and "Δ UAR vs only real" in printed
    assert "leave-one-speaker-out (4 folds)" in printed
    full, cut = open_run(tmp_path / "full"), open_run(tmp_path / "cut")
    cols = ["configuration", "seed", "fold", "uar", "wa", "f1"]
    a = full.read_table("scores")[cols].sort_values(cols[:3]).reset_index(drop=True)
    b = cut.read_table("scores")[cols].sort_values(cols[:3]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert full.read_json("sahu-table1")["result"]["rows"] == cut.read_json("sahu-table1")["result"]["rows"]
    # Figure 4 and the Distribution page: histories and snapshots of the first task
    assert {"history-aae", "history-gan2d", "history-gan1582", "history-cgan-baseline", "history-cgan-improved"} <= set(
        full.tables()
    )
    hist = full.read_table("history-cgan-improved")
    assert {"epoch", "loss_d", "loss_g", "loss_d_dev", "fidelity", "gen_std"} <= set(hist.columns)
    assert set(full.spaces()) == {"aug-gan2d", "aug-cgan-baseline", "aug-cgan-improved"}
    assert full.snapshot_iterations("aug-cgan-improved") == [1, 2]
    assert full.load_reference("aug-gan2d")["X_train"].shape[1] == 2


def test_no_test_speaker_reaches_anything_fitted(tmp_path, monkeypatch):
    """Spy on every fitted piece of one task: only the fold's training rows get in."""
    from sklearn.preprocessing import StandardScaler

    from labkit.experiment.protocols import make_folds
    from labkit.reproductions import sahu as R

    feats = _fake_features()
    folds = make_folds(feats.meta, "loso")
    seen = {}
    for name in ("train_aae", "train_gan", "train_cgan"):
        real = getattr(T, name)

        def spy(X, *args, _real=real, _name=name, **kw):
            seen.setdefault(_name, []).append((np.asarray(X).copy(), kw.get("X_dev")))
            return _real(X, *args, **kw)

        monkeypatch.setattr(T, name, spy)
    svm_seen = []
    real_svm = R._svm_scores
    monkeypatch.setattr(
        R,
        "_svm_scores",
        lambda Xa, ya, Xb, yb, K, rs, params=None: (
            svm_seen.append(np.asarray(Xa).copy()) or real_svm(Xa, ya, Xb, yb, K, rs, params)
        ),
    )
    # --tune: the inner CV sees only the fold's training rows and training speakers
    from labkit.experiment import classifiers as C

    tune_seen = []
    real_tune = C.tune_on_real
    monkeypatch.setattr(
        C,
        "tune_on_real",
        lambda name, X, y, groups, rs=0, **kw: (
            tune_seen.append((np.asarray(X).copy(), np.asarray(groups).copy()))
            or real_tune(name, X, y, groups, rs, **kw)
        ),
    )
    configs = R._configs(R._overrides(_ns(aae_epochs=1, gan_epochs=1, cgan_epochs=1, batch_size=16)), 12, 4)
    y = feats.meta["emotion"].map({e: i for i, e in enumerate(R.DEFAULT_EMOTIONS.split(","))}).to_numpy()
    context = R.SahuContext(
        table="table1",
        X=feats.X,
        y=y,
        emotions=R.DEFAULT_EMOTIONS.split(","),
        folds=folds,
        configs=configs,
        amount=1.0,
        device="cpu",
        threads=1,
        record_every=0,
        checkpoint_every=0,
        tune=True,
        speakers=feats.meta["speaker"].to_numpy(),
        select_every=1,
    )
    # the gate (the table's and the cGANs' epoch selection) measures against training rows only
    from labkit.metrics import gate as G

    gate_seen = []
    real_gate = G.gate
    monkeypatch.setattr(
        G,
        "gate",
        lambda Xr, yr, Xg, yg, **kw: (
            gate_seen.append((np.asarray(Xr).copy(), kw.get("groups"))) or real_gate(Xr, yr, Xg, yg, **kw)
        ),
    )
    from labkit.runstore import Run

    run = Run.create(tmp_path / "r", "t", {})
    fold = folds[2]
    R.fold_task({"key": "s0_f02", "seed": 0, "fold": 2}, context, str(run.path))
    train_rows = StandardScaler().fit(feats.X[fold.train_idx]).transform(feats.X[fold.train_idx])
    test_rows = StandardScaler().fit(feats.X[fold.train_idx]).transform(feats.X[fold.test_idx])
    for X, dev in seen["train_aae"] + seen["train_cgan"]:
        np.testing.assert_allclose(X, train_rows, rtol=1e-5, atol=1e-5)
        assert dev is None  # development rows only in the recorded task (record_every > 0)
    ((codes, dev),) = seen["train_gan"]
    assert len(codes) == len(fold.train_idx) and dev is None
    test_speakers = set(feats.meta["speaker"].to_numpy()[fold.test_idx])
    assert len(tune_seen) == 2  # features and 2-d codes
    for Xt, groups in tune_seen:
        assert len(Xt) == len(fold.train_idx) and not test_speakers & set(groups.tolist())
    np.testing.assert_allclose(tune_seen[0][0], train_rows, rtol=1e-5, atol=1e-5)
    assert len(gate_seen) >= 3  # gan2d, both cGANs, and the selection's checks
    for Xr, groups in gate_seen:
        assert len(Xr) == len(fold.train_idx) and not test_speakers & set(np.asarray(groups).tolist())
        assert Xr.shape[1] == 2 or np.allclose(Xr, train_rows, rtol=1e-5, atol=1e-5)
    for Xa in svm_seen:  # no classifier is trained on a test row
        d = np.abs(Xa[:, None, :] - test_rows[None, :, :]).max(axis=2) if Xa.shape[1] == test_rows.shape[1] else None
        assert d is None or d.min() > 1e-4


def _ns(**kw):
    import argparse

    return argparse.Namespace(**kw)


def test_bad_input_is_refused_before_any_work(tmp_path, monkeypatch, capsys):
    feats = _fake_features()
    assert (
        _run(
            ["reproduce", "sahu-table1", "fake", "--emotions", "anger,joyfulness", "--out", str(tmp_path / "a")],
            monkeypatch,
            feats,
        )
        == 2
    )
    assert "joyfulness" in capsys.readouterr().err
    assert (
        _run(
            ["reproduce", "sahu-table1", "fake", "--cgan-epochs", "0", "--out", str(tmp_path / "b")], monkeypatch, feats
        )
        == 2
    )
    assert "--cgan-epochs" in capsys.readouterr().err
    feats.meta["context"] = np.where(feats.meta["speaker"].isin(["fake:s0", "fake:s1"]), "a", "b")
    assert _run(["reproduce", "sahu-table3", "fake", "--out", str(tmp_path / "c")], monkeypatch, feats) == 2
    assert "--train-corpus" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()


@pytest.mark.slow
def test_table2_and_table3_run(tmp_path, monkeypatch, capsys):
    feats = _fake_features()
    assert (
        _run(
            [
                "reproduce",
                "sahu-table2",
                "fake",
                "--seeds",
                "1",
                "--max-folds",
                "1",
                "--record-every",
                "0",
                *TINY,
                "--out",
                str(tmp_path / "t2"),
            ],
            monkeypatch,
            feats,
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "2D code-vectors" in out and "97.09" in out and "first 1 run" in out
    # the gate: one line per generator the table used, and the claims read through it
    assert "Gate · gan2d:" in out and "Gate · cgan-improved:" in out and "Gate · cgan-baseline" not in out
    assert "Claim 'synthetic 2-D codes are recognised far better than improved-conditional rows'" in out
    assert "Epoch selection · cgan-improved:" in out
    assert (
        _run(
            [
                "reproduce",
                "sahu-table3",
                "fake",
                "--train-corpus",
                "studio",
                "--test-corpus",
                "phone",
                "--seeds",
                "1",
                "--record-every",
                "0",
                *TINY,
                "--out",
                str(tmp_path / "t3"),
            ],
            monkeypatch,
            feats,
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "cross-corpus studio -> phone (1 fold)" in out and "45.40" in out
    assert all(f"Gate · {g}:" in out for g in ("gan2d", "cgan-baseline", "cgan-improved"))
    from labkit.runstore import open_run

    run = open_run(tmp_path / "t3")
    gate = run.read_json("sahu-table3")["result"]["gate"]
    assert set(gate["generators"]) == {"gan2d", "cgan-baseline", "cgan-improved"} and gate["verdict"]
    assert run.config["cgan_recipe"] == M.CGAN_RECIPE and run.config["cgan_select_every"] == 10
    task = json.loads(run.read_table("tasks")["gate"].iloc[0])
    assert task["cgan-improved"]["fold"] == 0 and 0 <= task["cgan-improved"]["fidelity"] <= 1


@pytest.mark.slow
def test_tune_chooses_the_svm_inside_each_fold_and_says_so(tmp_path, monkeypatch, capsys):
    from labkit.runstore import open_run

    feats = _fake_features()
    base = ["reproduce", "sahu-table1", "fake", "--seeds", "1", "--max-folds", "2", *TINY]
    assert _run(base + ["--tune", "--out", str(tmp_path / "tuned")], monkeypatch, feats) == 0
    printed = capsys.readouterr().out
    assert "--tune: the RBF SVM's C and gamma chosen in every fold" in printed and "gamma " in printed
    run = open_run(tmp_path / "tuned")
    assert run.config["tune"] is True
    tuned = [json.loads(t) for t in run.read_table("tasks")["tuned"]]
    grid = TUNING_GRIDS["svm-rbf"]
    for t in tuned:
        for space in ("features", "codes"):
            assert t[space]["C"] in grid["C"] and t[space]["gamma"] in grid["gamma"] and 0 <= t[space]["inner_uar"] <= 1
    # an untuned run's identity is unchanged (no "tune" key), so runs made before --tune still resume
    assert _run(base + ["--out", str(tmp_path / "plain")], monkeypatch, feats) == 0
    assert "tune" not in open_run(tmp_path / "plain").config
    assert "--tune chooses C and gamma" in capsys.readouterr().out


# --------------------------------------------------------------------------- issue 17: the cGANs and the gate
def test_unit_init_gives_the_baseline_generator_the_datas_scale():
    """Regression: PyTorch's default init starts a 2 -> 64 -> 128 -> D generator at output std ~0.1
    (the 'std 0.10' of the baseline cGAN) against standardised rows of std 1; g_init='unit' starts near 1."""
    stds = {}
    for init in ("torch", "unit"):
        with T.seeded(0):
            cgan = M.CGAN(M.cgan_config_for(M.make_aae_config(n_features=400), "baseline", g_init=init))
        c = torch.arange(4).repeat(200)
        with torch.no_grad():
            stds[init] = float(cgan.generate(cgan.noise(c), torch.nn.functional.one_hot(c, 4).float()).std())
    assert stds["torch"] < 0.2 and 0.5 < stds["unit"] < 2.0
    with pytest.raises(LabkitError, match="g_init"):
        M.CGAN(M.make_cgan_config("baseline", n_features=10, g_init="xavier"))


def test_projection_discriminator_reads_the_class_and_starts_as_the_plain_one():
    """d_cond='projection': D(x, c) = out(phi(x, c)) + <E c, phi(x, c)>, E starting at 0 (= 'input' then)."""
    plain = M.CGAN(M.make_cgan_config("baseline", n_features=10, d_cond="input"))
    proj = M.CGAN(M.make_cgan_config("baseline", n_features=10, d_cond="projection"))
    proj.discriminator.load_state_dict(plain.discriminator.state_dict())
    x, oh = torch.randn(6, 10), torch.eye(4)[[0, 1, 2, 3, 0, 1]]
    assert torch.allclose(plain.critic(x, oh), proj.critic(x, oh))
    with torch.no_grad():
        proj.projection.weight.normal_()
    assert not torch.allclose(proj.critic(x, oh), proj.critic(x, oh.roll(1, dims=1)))
    X, y = _blobs()
    res = T.train_cgan(X, y, M.make_cgan_config("baseline", n_features=10, epochs=1, batch_size=16), device="cpu")
    assert float(res.model.projection.weight.abs().sum()) > 0  # D's optimiser steps the projection too


def test_improved_preset_is_full_batch_one_d_step_per_epoch():
    imp = M.make_cgan_config("improved")
    assert imp.batch_size >= 4096 and imp.g_steps == 5
    X, y = _blobs()
    cfg = M.cgan_config_for(_small_aae(), "improved", epochs=2)
    aae = M.AAE(_small_aae())
    res = T.train_cgan(X, y, cfg, decoder=aae.decoder, device="cpu")
    assert len(res.history) == 2 and all(np.isfinite(r["loss_d"]) for r in res.history)


def test_gate_selection_keeps_the_last_passing_epoch_and_uses_training_rows_only(monkeypatch):
    """GateSelection gates the generator on the rows it is given every epoch, keeps the weights of the
    last epoch that passed, stops `patience` failed checks after a pass, and restores the kept weights."""
    from labkit.metrics import gate as G
    from labkit.trainers.common import StopTraining

    X, y = _blobs(n_per_class=20, dim=10)
    seen = []
    real_gate = G.gate

    def spy(X_real, y_real, X_gen, y_gen, **kw):  # the real gate, with "passed" = rows near the data
        seen.append(X_real)
        r = real_gate(X_real, y_real, X_gen, y_gen, **kw)
        r.failed = [] if np.abs(X_gen).mean() < 10 else ["precision"]
        return r

    monkeypatch.setattr(G, "gate", spy)
    cfg = M.cgan_config_for(_small_aae(), "baseline", epochs=1)
    with T.seeded(0):
        model = M.CGAN(cfg)
    sel = T.GateSelection(X, y, every=1, patience=2, seed=5)
    row: dict = {}
    sel(1, model, row)
    good = {k: v.clone() for k, v in model.generator.state_dict().items()}
    assert sel.chosen == 1 and row["gate_passed"] == 1.0 and all(a is sel.X for a in seen)
    with torch.no_grad():  # the generator leaves the data: rows far off
        model.generator.linears()[-1].bias.add_(50.0)
    sel(2, model, {})
    assert sel.chosen == 1 and not sel.log[-1]["passed"]
    with pytest.raises(StopTraining):
        sel(3, model, {})
    sel.restore(model)
    assert all(torch.equal(good[k], v) for k, v in model.generator.state_dict().items())
    assert sel.summary() == {"chosen_epoch": 1, "checks": 3, "passed_epochs": [1]}
    resumed = T.GateSelection(X, y)
    resumed.load_state_dict(sel.state_dict())
    assert resumed.summary() == sel.summary()
    # every `every` epochs only; nothing passed yet: no stop, no restore
    fresh = T.GateSelection(X, y, every=2)
    fresh(1, model, {})
    assert fresh.log == []
    fresh(2, model, {})
    fresh(4, model, {})
    fresh(6, model, {})
    assert fresh.chosen == 6 and len(fresh.log) == 3
