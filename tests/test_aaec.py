"""AAEC (Fu et al., MuSe 2020): module shapes, Eq. (1)/(2), Algorithm 1, resuming, Table 1 on the framework."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest
import torch

from labkit.data.aaec import AAECData
from labkit.errors import LabkitError
from labkit.features.aaec import prepare
from labkit.models.aaec import (
    AAEC,
    CONFIGURATIONS,
    SpectrogramScaler,
    band_edges,
    class_loss,
    classifier_loss,
    describe,
    discriminator_loss,
    fool_loss,
    make_config,
    spectrum_summary,
)
from labkit.reproductions.aaec import evaluate, task_key
from labkit.runstore import Run
from labkit.trainers.aaec import TrainOptions, train
from labkit.trainers.common import Checkpoint, HistoryWriter, hooks, stop_after
from labkit.trainers.figure5 import Figure5Recorder

CPU = torch.device("cpu")

# Tiny sizes for training tests: 12 frames x 33 bins, narrow layers, one epoch per phase.
TINY = dict(
    gru_cells=4,
    enc_dense=(16,),
    z_dim=4,
    dec_dense=(8,),
    disc_dense=(8,),
    conv_filters=(8, 8, 8),
    head_dense=(8,),
    batch_size=16,
    iterations=2,
    finetune_epochs=1,
)


def tiny_data(n_train=40, n_test=18, T=12, F=33, seed=0) -> AAECData:
    """Power spectrograms whose level and spectral tilt depend on the arousal class (learnable)."""
    rng = np.random.default_rng(seed)

    def make(n):
        ya, yv = np.arange(n) % 3, (np.arange(n) // 3) % 3
        tilt = np.linspace(0, 1, F)[None, None, :] * ya[:, None, None]
        X = rng.gamma(2.0, 1.0, (n, T, F)) * np.exp(2.0 * tilt + 0.5 * yv[:, None, None])
        return X.astype(np.float32), ya, yv

    Xtr, a, v = make(n_train)
    Xte, a2, v2 = make(n_test)
    return AAECData(Xtr, a, v, Xte, a2, v2, description="tiny random spectrograms")


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny models: intra-op threads only add overhead (a lot of it on a shared CPU). Restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def quiet(**kw) -> TrainOptions:
    return TrainOptions(progress=False, **kw)


def recorder(run) -> Figure5Recorder:
    return Figure5Recorder(run, every=1, n_record=6, ref_epochs=1)


def fit(data: AAECData, cfg, run=None, *, figure5=False, stop=None, device=CPU, every=1):
    """What the reproduction does with one training: prepare the data, train (Figure 5, the history
    table and a checkpoint when there is a run), score the test split. (TrainResult, metrics or None)."""
    ts, cfg = prepare(data, cfg)
    rec = recorder(run) if figure5 else None
    if rec is not None:
        rec.data = ts
    hook = hooks(rec, HistoryWriter(run, "history") if run is not None else None, stop_after(stop) if stop else None)
    ckpt = Checkpoint.in_run(run, "last", every) if run is not None else None
    res = train(ts, cfg, device=device, options=quiet(), on_epoch=hook, checkpoint=ckpt)
    return res, (evaluate(res.model, ts, device) if res.state["finetuned"] else None)


# ----------------------------------------------------------------------------------------- modules


@pytest.mark.parametrize("preset", ["small", "paper"])
def test_module_shapes_follow_section_3_2(preset):
    torch.manual_seed(0)
    cfg = make_config(preset, "AAEC")
    model = AAEC(cfg)
    T, F = cfg.n_frames, cfg.n_bins
    rows = {r["module"]: r for r in describe(model, batch=1)}
    assert rows["Encoder"]["output"] == (1, cfg.z_dim)
    assert rows["Decoder"]["output"] == (1, T, F)  # sized to the input, not the paper's 38400
    assert rows["Discriminator"]["output"] == (1,)
    assert rows["Classifier"]["output"] == "(1,), (1, 3), (1, 3)"
    # The layer sizes of the preset are the ones built.
    assert model.encoder.gru.hidden_size == cfg.gru_cells and model.encoder.gru.bidirectional
    assert [m.out_features for m in model.encoder.dense if isinstance(m, torch.nn.Linear)] == [
        *cfg.enc_dense,
        cfg.z_dim,
    ]
    assert [m.out_features for m in model.decoder.dense if isinstance(m, torch.nn.Linear)] == [*cfg.dec_dense, T * F]
    convs = [m for m in model.classifier.conv if isinstance(m, torch.nn.Conv1d)]
    assert [c.out_channels for c in convs] == list(cfg.conv_filters)
    assert [c.kernel_size[0] for c in convs] == list(cfg.conv_kernels)
    assert all(c.stride == (1,) for c in convs)
    heads = [model.classifier.head_realfake, model.classifier.head_arousal, model.classifier.head_valence]
    assert [[m.out_features for m in h if isinstance(m, torch.nn.Linear)][-1] for h in heads] == [1, 3, 3]
    if preset == "paper":
        assert (cfg.gru_cells, cfg.enc_dense, cfg.z_dim, cfg.dec_dense) == (64, (512, 256), 128, (64, 64))
        assert (cfg.conv_filters, cfg.head_dense, cfg.disc_dense) == ((512, 256, 128), (512, 32), (512, 256))
        assert (cfg.iterations, cfg.k1, cfg.k2, cfg.k3, cfg.lr, cfg.beta1) == (500, 10, 20, 20, 2e-4, 0.5)
        assert (T, F) == (469, 513)


def test_configurations_switch_players():
    players = {name: AAEC(make_config("small", name, **TINY, n_frames=4, n_bins=5)) for name in CONFIGURATIONS}
    assert players["AAEC"].discriminator is not None and players["AAEC"].encoder is not None
    assert players["AAE_C"].discriminator is None
    assert players["Classifier"].encoder is None and players["Classifier"].decoder is None
    assert players["AAEC'"].cfg.decoder_mode == "code"
    assert players["AAE+C"].cfg.classifier_in_loop is False
    with pytest.raises(LabkitError, match="preset"):
        make_config("huge")
    with pytest.raises(LabkitError, match="configuration"):
        make_config("small", "AAECX")
    with pytest.raises(LabkitError, match="decoder_mode"):
        make_config("small", decoder_mode="sum")
    with pytest.raises(LabkitError, match="unknown AAEC config field"):
        make_config("small", n_layers=3)


def test_equation_1_average_and_code_modes():
    torch.manual_seed(0)
    x, e = torch.randn(3, 4, 5), torch.randn(3, 4)
    avg = AAEC(make_config("small", "AAEC", **TINY, n_frames=4, n_bins=5))
    out = avg.generate(x, e)
    assert torch.allclose(out["mixed"], 0.5 * (out["code"] + out["noise"]))
    assert torch.allclose(out["code"], avg.decoder(avg.encoder(x)))
    code = AAEC(make_config("small", "AAEC'", **TINY, n_frames=4, n_bins=5))
    out = code.generate(x, e)
    assert torch.equal(out["mixed"], out["code"])


def test_equation_2_losses_reward_the_right_player():
    big = torch.full((8,), 10.0)
    # D that calls noise real and codes fake has ~zero loss; the reverse is heavily penalised.
    assert discriminator_loss(big, -big) < 1e-3 < 10 < discriminator_loss(-big, big)
    assert fool_loss(big) < 1e-3 and fool_loss(-big) > 5
    a = torch.tensor([[9.0, 0, 0], [0, 9.0, 0]])
    right, wrong = torch.tensor([0, 1]), torch.tensor([2, 2])
    assert class_loss(a, a, right, right) < 0.01 < 5 < class_loss(a, a, wrong, wrong)
    out_real, out_fake = (big[:2], a, a), (-big[:2], a, a)
    # Classifier: classes right on X and X', X real and X' fake -> tiny loss; no X' -> class terms only.
    assert classifier_loss(out_real, out_fake, right, right) < 0.05
    assert torch.isclose(classifier_loss(out_real, None, right, right), class_loss(a, a, right, right))


def test_scaler_fits_train_only_and_inverts():
    data = tiny_data()
    s = SpectrogramScaler(1e-6).fit(data.X_train)
    z = s.transform(data.X_train)
    assert z.shape == data.X_train.shape and z.dtype == np.float32
    assert np.allclose(z.mean(axis=(0, 1)), 0, atol=1e-3) and np.allclose(z.std(axis=(0, 1)), 1, atol=1e-2)
    assert np.allclose(s.to_log_power(z), np.log(data.X_train + 1e-6), atol=1e-3)
    s2 = SpectrogramScaler.from_state(s.state())
    assert np.array_equal(s2.transform(data.X_test), s.transform(data.X_test))
    with pytest.raises(LabkitError, match=r"\(N, T, F\)"):
        s.fit(data.X_train[0])


def test_spectrum_space_is_fixed_and_shaped():
    for n_bins, n_bands in [(513, 32), (129, 32), (32, 32), (9, 4)]:
        edges = band_edges(n_bins, n_bands)
        assert len(edges) == n_bands + 1 and edges[0] == 0 and edges[-1] == n_bins and np.all(np.diff(edges) >= 1)
    edges = band_edges(513, 32)
    logp = np.random.default_rng(0).normal(size=(5, 7, 513)).astype(np.float32)
    out = spectrum_summary(logp, 32)
    assert out.shape == (5, 64) and np.isfinite(out).all()
    assert spectrum_summary(logp[:, :, :9], 32).shape == (5, 18)  # fewer bins than bands: one band per bin
    assert np.allclose(out[:, 0], logp[:, :, edges[0] : edges[1]].mean(axis=2).mean(axis=1), atol=1e-5)


def test_data_validation_names_the_problem():
    d = tiny_data()
    with pytest.raises(LabkitError, match="X_train"):
        AAECData(d.X_train[:, :, 0], d.arousal_train, d.valence_train, d.X_test, d.arousal_test, d.valence_test)
    with pytest.raises(LabkitError, match="valence_test"):
        AAECData(d.X_train, d.arousal_train, d.valence_train, d.X_test, d.arousal_test, d.valence_test + 3)
    bad = d.X_train.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(LabkitError, match="finite"):
        AAECData(bad, d.arousal_train, d.valence_train, d.X_test, d.arousal_test, d.valence_test)


# ----------------------------------------------------------------------------------------- Algorithm 1


@pytest.mark.parametrize("name", list(CONFIGURATIONS))
def test_one_iteration_per_configuration(name, tmp_path):
    data = tiny_data()
    cfg = make_config("small", name, **{**TINY, "iterations": 1})
    run = Run.create(tmp_path / "run", "aaec", cfg.to_dict())
    res, metrics = fit(data, cfg, run, figure5=cfg.augment)
    hist = run.read_table("history")
    two_stage = name == "AAE+C"
    assert len(hist) == (2 if two_stage else 1) and len(res.history) == len(hist)
    loss_cols = [c for c in hist.columns if c.startswith("loss_")]
    assert loss_cols and np.isfinite(hist[loss_cols].to_numpy(float)[~np.isnan(hist[loss_cols].to_numpy(float))]).all()
    if name == "Classifier":
        assert loss_cols == ["loss_cls"] and run.spaces() == []
    else:
        assert "loss_rec" in hist and "loss_dec_rec" in hist
        assert ("loss_disc" in hist) == (name != "AAE_C")
        assert ("loss_dec_class" in hist) == (name != "AAE+C")  # AAE+C's decoder has no classifier to please
        # Section 3: the encoder confuses D and C_d; C is no player in AAE+C (players D, G)
        assert ("loss_enc_fool" in hist) == (name != "AAE+C")
        assert run.spaces() == ["embedding", "spectrum"]
        snap = run.load_snapshot("spectrum", 1)
        origins = {"noise", "code", "mixed"} if name != "AAEC'" else {"noise", "code"}
        assert set(snap["origin"]) == origins and len(snap["X"]) == 6 * len(origins)
        assert snap["X"].shape[1] == run.load_reference("spectrum")["X_train"].shape[1] and np.isfinite(snap["X"]).all()
        ref = run.load_reference("embedding")
        assert ref["X_train"].shape == (40, 2 * cfg.gru_cells) and ref["X_test"].shape[0] == 18
        assert run.load_snapshot("embedding", 1)["X"].shape[1] == 2 * cfg.gru_cells
    for head in ("arousal", "valence"):
        m = metrics[head]
        assert 0 <= m["uar"] <= 1 and m["combined"] == pytest.approx(0.66 * m["f1_micro"] + 0.34 * m["uar"])
    assert run.checkpoint_path("last").exists() and res.state["finetuned"]


@pytest.mark.parametrize("name,stop", [("AAEC", 1), ("AAE+C", 3)])  # AAE+C: stop between its two stages
def test_resume_equals_uninterrupted_run(tmp_path, name, stop):
    data = tiny_data()
    cfg = make_config("small", name, **{**TINY, "iterations": 3})
    full_run = Run.create(tmp_path / "full", "aaec", cfg.to_dict())
    full, full_metrics = fit(data, cfg, full_run, figure5=True)

    split_run = Run.create(tmp_path / "split", "aaec", cfg.to_dict())
    first, _ = fit(data, cfg, split_run, figure5=True, stop=stop)
    assert first.stopped and first.state["epoch"] == stop and split_run.load_checkpoint()["epoch"] == stop
    resumed, metrics = fit(data, cfg, split_run, figure5=True)

    a, b = full.model.state_dict(), resumed.model.state_dict()
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert metrics == full_metrics
    drop = lambda h: [{k: v for k, v in r.items() if k != "seconds"} for r in h]  # noqa: E731
    assert drop(resumed.history) == drop(full.history)
    # the streamed history table holds every iteration once, as the uninterrupted run's
    import pandas as pd

    pd.testing.assert_frame_equal(
        split_run.read_table("history").drop(columns="seconds"), pd.DataFrame(full.history).drop(columns="seconds")
    )
    # The recorded samples of iteration 3 (after the resume) are the same too.
    assert np.array_equal(split_run.load_snapshot("spectrum", 3)["X"], full_run.load_snapshot("spectrum", 3)["X"])


@pytest.mark.slow
def test_training_learns_a_separable_toy_task():
    """Sanity: with the classifier in the loop, a task the tilt separates gets well above chance."""
    data = tiny_data(n_train=60, n_test=30)
    cfg = make_config("small", "AAEC", **{**TINY, "iterations": 12, "lr": 3e-3})
    _, metrics = fit(data, cfg)
    assert metrics["arousal"]["uar"] > 0.5  # chance is 1/3


def test_table1_summary_uses_the_framework_and_prints_the_paper_beside_ours():
    import pandas as pd

    from labkit.reproductions.aaec import EXPERIMENTS
    from labkit.reproductions.base import Plan

    exp = {e.name: e for e in EXPERIMENTS}["aaec-table1"]
    rows = []
    for seed, shift in [(0, 0.0), (1, 0.02), (2, 0.04)]:
        for name in ["AAEC", "Classifier"]:
            base = 0.5 if name == "AAEC" else 0.4
            rows.append(
                {
                    "configuration": name,
                    "seed": seed,
                    "combined": base + shift,
                    **{
                        f"{h}_{m}": base + shift
                        for h in ("arousal", "valence")
                        for m in ("f1", "f1_micro", "uar", "combined")
                    },
                }
            )
    plan = Plan(
        config={},
        tasks=[],
        context=None,
        data="toy data",
        default_out="x",
        info={"configurations": ["AAEC", "Classifier"]},
    )
    report = exp.summarize(pd.DataFrame(rows), plan)
    # --json keeps {configuration: {head: {metric: mean}}} and adds f1_micro
    assert report.json["AAEC"]["arousal"]["f1"] == pytest.approx(0.52)
    assert set(report.json["AAEC"]["valence"]) == {"f1", "f1_micro", "uar", "combined"}
    text = report.tables[0].to_text()
    assert "toy data" in text and "52.0 ± " in text and "t interval" in text and "Classifier" in text
    assert "39.80" in text and "35.36" in text  # the paper's AAEC Ar F1 and Classifier Combined, under ours
    assert "micro" in text
    one = exp.summarize(pd.DataFrame(rows[:2]), plan)
    assert "n = 1" in one.tables[0].to_text()
    assert set(report.frames["summary"].columns) >= {"configuration", "metric", "mean", "ci_low", "ci_high"}
    assert task_key("AAEC'", 2) == "AAEC-prime_seed2" and task_key("AAE+C", 0) == "AAE+C_seed0"


@functools.lru_cache(maxsize=None)
def _gate_json(name: str, passed: bool) -> str:
    """A task's gate entry as `gate_record` writes it: rows like the real ones, or rows collapsed
    onto their class means (which fail on spread)."""
    from labkit.metrics.gate import gate
    from labkit.reproductions.common import gate_record

    rng = np.random.default_rng(0)
    y = np.arange(60) % 3
    X = rng.normal(size=(60, 6)) + 2.0 * y[:, None]
    G = rng.normal(size=(60, 6)) + 2.0 * y[:, None]
    if not passed:
        G = 2.0 * y[:, None] + 0.05 * G
    groups = np.arange(60) % 4
    return json.dumps(gate_record({name: gate(X, y, G, y, groups=groups, generator=name, fold=0)}))


def _gate_row(name: str, passed: bool) -> dict:
    return json.loads(_gate_json(name, passed))


def test_table1_summary_prints_the_gate_and_reads_the_claims_through_it():
    import pandas as pd

    from labkit.reproductions.aaec import EXPERIMENTS
    from labkit.reproductions.base import Plan

    exp = {e.name: e for e in EXPERIMENTS}["aaec-table1"]
    metrics = [f"{h}_{m}" for h in ("arousal", "valence") for m in ("f1", "f1_micro", "uar", "combined")]

    def row(name, seed, value, gate):
        return {"configuration": name, "seed": seed, "combined": value, **dict.fromkeys(metrics, value), "gate": gate}

    plan = Plan(
        config={},
        tasks=[],
        context=None,
        data="toy",
        default_out="x",
        info={"configurations": ["AAEC", "AAE_C", "Classifier"]},
    )
    for aaec_passes in (True, False):
        rows = (
            [row("AAEC", s, 0.5, _gate_row("AAEC", aaec_passes)) for s in (0, 1)]
            + [row("AAE_C", s, 0.6, _gate_row("AAE_C", True)) for s in (0, 1)]
            + [
                row("Classifier", s, 0.55, json.dumps({}))
                for s in (0, 1)  # the run store gives JSON text back
            ]
        )
        report = exp.summarize(pd.DataFrame(rows), plan)
        gate = report.json["gate"]
        assert set(gate["generators"]) == {"AAEC", "AAE_C"}  # the Classifier generates nothing: no gate
        assert gate["generators"]["AAE_C"]["passed"] and gate["generators"]["AAE_C"]["n_real"] == 120
        lines = [f for f in report.findings if f.startswith("Gate · ")]
        assert len(lines) == 2 and ("FAILED (spread)" in lines[0]) == (not aaec_passes)
        best, beats = report.json["verdicts"]
        assert report.findings[-2:] == [best, beats]
        if aaec_passes:
            assert "claim not reproduced by generators that learned the data" in best and "best here: AAE_C" in best
        else:
            assert "inconclusive: AAEC failed the gate (" in best and "spread 0.05" in best
        assert "not: AAEC" in beats
    # tasks made before the gate existed have no gate column: the verdicts say they are not gated
    old = exp.summarize(pd.DataFrame([{k: v for k, v in r.items() if k != "gate"} for r in rows]), plan)
    assert old.json["gate"] == {"generators": {}, "verdict": None}
    assert all("no generator was gated" in v for v in old.json["verdicts"])


@pytest.mark.parametrize("name", ["AAEC", "Classifier"])
def test_gate_runs_after_the_scores_and_records_one_entry_per_generator(name, tmp_path):
    from labkit.reproductions.aaec import AAECContext, _train_and_score
    from labkit.runstore import RunStore

    data = tiny_data()
    speakers = tuple(f"s{i % 4}" for i in range(len(data.X_train)))
    ctx = AAECContext(data, "small", {}, "cpu", False, False, train_speakers=speakers)
    cfg = make_config("small", name, max_seconds=3.0, **TINY)
    store = RunStore(tmp_path)
    plain = _train_and_score(ctx, cfg, store.create("t", {}, run_id="plain"), "k", "h", 5, name)
    gated = _train_and_score(ctx, cfg, store.create("t", {}, run_id="gated"), "k", "h", 5, name, gate_label=name)
    assert gated["metrics"] == plain["metrics"] and "gate" not in plain  # the gate changes no score
    if name == "Classifier":
        assert gated["gate"] == {}
        return
    entry = gated["gate"][name]
    assert entry["generator"] == name and entry["fold"] == 0 and entry["n_real"] == entry["n_generated"] == 40
    assert {"fidelity", "real_accuracy", "c2st_auc", "precision", "recall", "spread", "passed", "verdict"} <= set(entry)
    assert isinstance(entry["passed"], bool) and json.loads(json.dumps(entry)) == entry  # plain JSON


def test_gate_rows_subsample_large_frames():
    from labkit.reproductions.aaec import GATE_ROWS, gate_classes, gate_rows

    assert list(gate_rows(40, 12 * 33, 0)) == list(range(40))
    small = gate_rows(4207, 94 * 129, 0)
    assert len(small) == GATE_ROWS and np.all(np.diff(small) > 0)
    assert np.array_equal(small, gate_rows(4207, 94 * 129, 0)) and 150 < len(gate_rows(4207, 469 * 513, 0)) < 250
    assert list(gate_classes([0, 2, 1], [1, 0, 2])) == [1, 6, 5]


def test_augmenter_view_follows_the_augmenter_contract():
    from sklearn.base import clone

    from labkit.augment.aaec import AAECAugmenter

    d = tiny_data()
    X = np.log(d.X_train + 1e-6)  # the comparison runner hands over standardised-ish frames
    X = (X - X.mean(axis=(0, 1))) / X.std(axis=(0, 1))
    y = np.array(["low", "mid", "high"])[d.arousal_train]
    aug = AAECAugmenter(sampling_strategy=0.5, random_state=3, iterations=2, record_every=1, n_record=5)
    X_res, y_res = aug.fit_resample(X, y)
    n_new = sum(int(round(0.5 * k)) for k in np.unique(y, return_counts=True)[1])
    assert X_res.shape == (len(X) + n_new, *X.shape[1:]) and np.array_equal(X_res[: len(X)], X)
    assert np.isfinite(X_res).all() and set(y_res[len(X) :]) <= set(y)
    assert [s["iteration"] for s in aug.snapshots_] == [1, 2] and aug.snapshots_[0]["X"].shape == (5, 2 * X.shape[2])
    assert [h["iteration"] for h in aug.history_] == [1, 2] and "loss_rec" in aug.history_[0]
    assert "loss_cls" not in aug.history_[0]  # the augmenter trains the autoencoder only
    X_more, y_more = aug.sample({"low": 4})
    assert X_more.shape == (4, *X.shape[1:]) and list(y_more) == ["low"] * 4
    again = clone(aug).fit_resample(X, y)  # same seed, same rows
    assert np.array_equal(again[0], X_res)


# ----------------------------------------------------------------------------------------- command line


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    """A 4-speaker x 3-emotion x 2-utterance synthetic corpus of short utterances."""
    from labkit.data.synthetic import SynthConfig, synthesize_corpus

    out = tmp_path_factory.mktemp("aaec-corpus")
    synthesize_corpus(
        out,
        SynthConfig(n_speakers=4, n_utterances=2, emotions=["anger", "sadness", "happiness"], duration=(0.4, 0.6)),
        progress=False,
        n_jobs=1,
    )
    return f"synthetic:{out}"


@pytest.mark.slow
def test_table1_command_json_and_resume(tiny_corpus, tmp_path, capsys):
    from labkit.cli import main

    out = tmp_path / "t1"
    argv = [
        "reproduce",
        "aaec-table1",
        tiny_corpus,
        "--preset",
        "small",
        "--iterations",
        "1",
        "--seeds",
        "2",
        "--max-seconds",
        "0.5",
        "--test-fraction",
        "0.25",
        "--out",
        str(out),
        "--json",
    ]
    assert main(argv) == 0
    table = json.loads(capsys.readouterr().out)
    assert set(table) == set(CONFIGURATIONS) | {"gate", "verdicts"}
    # every configuration that generates has a gate line; the Classifier generates nothing
    assert set(table["gate"]["generators"]) == set(CONFIGURATIONS) - {"Classifier"}
    assert table["gate"]["verdict"] and len(table["verdicts"]) == 2
    for entry in (table[c] for c in CONFIGURATIONS):
        assert set(entry) == {"arousal", "valence", "combined"}
        for head in (entry["arousal"], entry["valence"]):
            assert set(head) == {"f1", "f1_micro", "uar", "combined"} and all(0 <= v <= 1 for v in head.values())
    run = Run(out)
    assert len(run.task_keys()) == 10 and run.status["state"] == "finished"
    assert not list((out / "checkpoints").glob("*.pt"))  # per-task checkpoints are removed when done
    mtimes = {k: run._task_path(k).stat().st_mtime_ns for k in run.task_keys()}

    # A second call recomputes nothing and prints the same table, in Table 1's text form.
    assert main(argv[:-1]) == 0
    text = capsys.readouterr().out
    assert {k: run._task_path(k).stat().st_mtime_ns for k in run.task_keys()} == mtimes
    assert "Data: " + tiny_corpus in text and "Ar F1" in text and "n = 2" in text and "paper" in text
    assert "Gate · AAEC:" in text and "Gate · Classifier" not in text and "Claim 'AAEC has the best" in text
    assert run.read_json("aaec-table1")["result"]["AAEC"]["arousal"]["f1_micro"] == table["AAEC"]["arousal"]["f1_micro"]


@pytest.mark.slow
def test_train_command_records_figure_5(tiny_corpus, tmp_path, capsys):
    from labkit.cli import main

    out = tmp_path / "tr"
    argv = [
        "reproduce",
        "aaec-train",
        tiny_corpus,
        "--configuration",
        "AAEC",
        "--preset",
        "small",
        "--iterations",
        "2",
        "--max-seconds",
        "0.5",
        "--test-fraction",
        "0.25",
        "--n-record",
        "4",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "Combined" in text and "Players" in text and "paper" in text  # our row, the paper's AAEC row under it
    run = Run(out)
    assert run.kind == "aaec" and run.status["state"] == "finished"
    assert run.snapshot_iterations("spectrum") == [1, 2] == run.snapshot_iterations("embedding")
    assert len(run.read_table("history")) == 2 and run.read_json("final")["configuration"] == "AAEC"
    ref = run.load_reference("spectrum")
    assert list(ref["label_names"]) == ["low", "medium", "high"]
    # Finished runs are read back, not retrained.
    assert main(argv + ["--json"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"] == run.read_json("final")["metrics"]


def test_bad_command_input_is_a_clear_error(capsys):
    from labkit.cli import main

    assert main(["reproduce", "aaec-table1", "synthetic", "--configs", "AAEC,Nope"]) == 2
    assert "Nope" in capsys.readouterr().err
    assert main(["reproduce", "aaec-train", "synthetic", "--configuration", "Nope"]) == 2
    assert "Nope" in capsys.readouterr().err


def test_class_weights_balance_the_class_terms():
    """Inverse-frequency weights: each class contributes equally; absent classes weigh nothing."""
    from labkit.models.aaec import class_weights

    w = class_weights(np.array([0, 0, 0, 0, 1, 1, 2, 2]), 3)
    counts = np.array([4, 2, 2])
    assert np.allclose(w.numpy() * counts, 8 / 3)
    assert class_weights(np.array([0, 0, 1]), 3)[2].item() == 0.0


# ----------------------------------------------------------------------------------------- fidelity and the loop


def test_aae_plus_c_second_stage_trains_the_class_heads_only():
    """C is no player in AAE+C: its real/fake head C_d stays as initialised; the class heads learn."""
    data = tiny_data()
    cfg = make_config(
        "small",
        "AAE+C",
        **{**TINY, "iterations": 1, "finetune_epochs": 0},
        n_frames=data.X_train.shape[1],
        n_bins=data.X_train.shape[2],
        freq_pool=1,
    )
    torch.manual_seed(cfg.seed)
    init = AAEC(cfg).classifier.state_dict()  # train() builds the model under the same seed
    res, _ = fit(data, cfg)
    after = res.model.classifier.state_dict()
    rf = [k for k in init if k.startswith("head_realfake")]
    assert rf and all(torch.equal(init[k], after[k]) for k in rf)
    assert not all(torch.equal(init[k], after[k]) for k in init if k.startswith("head_arousal"))
    assert [r["stage"] for r in res.history] == ["aae", "classifier"]


def test_encoder_against_c_d_is_a_documented_switch():
    data = tiny_data()
    on, _ = fit(data, make_config("small", "AAEC", **{**TINY, "iterations": 1}))
    off, _ = fit(data, make_config("small", "AAEC", **{**TINY, "iterations": 1, "encoder_fools_classifier": False}))
    assert "loss_enc_fool" in on.history[0] and "loss_enc_fool" not in off.history[0]
    assert make_config("paper", "AAEC").encoder_fools_classifier is True  # the paper's reading is the default


def test_data_cut_to_another_length_than_the_config_is_refused():
    d = tiny_data()
    d.max_seconds = 3.0
    with pytest.raises(LabkitError, match="15 s"):
        prepare(d, make_config("paper", "AAEC", **TINY))
    with pytest.raises(LabkitError, match="prepared TrainingSet"):
        train(d, make_config("small", "AAEC", **TINY), device=CPU)
    assert make_config("paper", "AAEC").max_seconds == 15.0


def test_divergence_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path):
    from labkit.trainers.common import TrainingDiverged

    data = tiny_data()
    cfg = make_config("small", "AAEC", **{**TINY, "iterations": 3, "lr": 1e30})
    run = Run.create(tmp_path / "run", "aaec", cfg.to_dict())
    with pytest.raises(TrainingDiverged, match="diverged at iteration"):
        fit(data, cfg, run)
    ckpt = run.load_checkpoint()
    if ckpt is not None:  # whatever was saved before the blow-up is finite
        assert all(torch.isfinite(v).all() for v in ckpt["model"].values())


def test_reproduce_list_shows_every_experiment(capsys):
    from labkit.cli import main

    assert main(["reproduce", "--list"]) == 0
    out = capsys.readouterr().out
    assert "aaec-table1" in out and "aaec-train" in out and "Fu et al." in out


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_one_iteration_on_cuda_with_bf16_autocast(tmp_path):
    """The CUDA path: data on the device, bf16 autocast, one host sync per iteration; scores are valid."""
    data = tiny_data()
    for name in ("AAEC", "AAE+C"):
        cfg = make_config("small", name, **{**TINY, "iterations": 1})
        run = Run.create(tmp_path / name.replace("+", "p"), "aaec", cfg.to_dict())
        res, metrics = fit(data, cfg, run, figure5=True, device=torch.device("cuda"))
        assert res.device.startswith("cuda")
        assert all(0 <= metrics[h]["uar"] <= 1 for h in ("arousal", "valence"))
        assert np.isfinite(run.load_snapshot("embedding", 1)["X"]).all()
