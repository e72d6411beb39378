"""labkit.viz.inspect: point codes, utterances, full-space neighbours, uncovered test samples, plane trust."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf
from dashboard_fixtures import make_audio_run, make_training_run

from labkit.errors import LabkitError
from labkit.metrics.coverage import coverage_for_run
from labkit.viz import inspect as I
from labkit.viz.projection import load_or_compute


def _trustworthiness_by_hand(X, Y, k):
    """Venna & Kaski's formula written out: penalise plane neighbours by their rank in the full space."""
    n = len(X)
    D_x = np.linalg.norm(X[:, None] - X[None], axis=2)
    D_y = np.linalg.norm(Y[:, None] - Y[None], axis=2)
    total = 0.0
    for i in range(n):
        order_x = [j for j in np.argsort(D_x[i], kind="stable") if j != i]
        rank = {j: r + 1 for r, j in enumerate(order_x)}
        plane = [j for j in np.argsort(D_y[i], kind="stable") if j != i][:k]
        total += sum(max(rank[j] - k, 0) for j in plane)
    return 1 - 2 / (n * k * (2 * n - 3 * k - 1)) * total


def test_plane_trust_matches_sklearn_on_a_hand_made_case():
    from sklearn.manifold import trustworthiness

    # Eight points on a line in 3-d; the "plane" keeps the line but swaps the two ends' order.
    X = np.array([[float(i), 0.0, 0.0] for i in range(8)])
    Y_same = X[:, :2].copy()
    Y_swapped = Y_same.copy()
    Y_swapped[[0, 7]] = Y_swapped[[7, 0]]  # point 0 now sits where 7 was, and back
    k = 2
    same = I.plane_trust(X, Y_same, k=k)
    assert same["trustworthiness"] == pytest.approx(1.0)
    assert same["preserved"] == pytest.approx(1.0)
    assert same["warning"] == ""
    swapped = I.plane_trust(X, Y_swapped, k=k)
    expected = _trustworthiness_by_hand(X, Y_swapped, k)
    assert swapped["trustworthiness"] == pytest.approx(trustworthiness(X, Y_swapped, n_neighbors=k))
    assert swapped["trustworthiness"] == pytest.approx(expected)
    assert swapped["trustworthiness"] < 1.0
    # Neighbours kept, by hand: points 0 and 7 keep none of their 2 (4 misses), their old neighbours 1, 6
    # lose one each (1's were {0, 2}, now {2, 7}... ) -> count directly.
    D_x = np.abs(X[:, 0][:, None] - X[:, 0][None])
    D_y = np.linalg.norm(Y_swapped[:, None] - Y_swapped[None], axis=2)
    kept = []
    for i in range(8):
        nx = set(np.argsort(np.where(np.arange(8) == i, np.inf, D_x[i]), kind="stable")[:k])
        ny = set(np.argsort(np.where(np.arange(8) == i, np.inf, D_y[i]), kind="stable")[:k])
        kept.append(len(nx & ny) / k)
    assert swapped["preserved"] == pytest.approx(np.mean(kept))
    # A scrambled plane warns.
    scrambled = I.plane_trust(X, np.random.default_rng(0).normal(size=(8, 2)), k=k)
    assert scrambled["warning"]


def test_uncovered_test_is_the_set_behind_test_gain(tmp_path):
    run = make_training_run(tmp_path, n_train=120, n_test=60, n_gen=40)
    full = I.full_space(run, "spectrum")
    for row in coverage_for_run(run, "spectrum", show_progress=False):
        masks = I.uncovered_test(full, row["iteration"])
        assert masks["outside"].mean() == pytest.approx(1 - row["test_in_train"])
        assert masks["reached"].mean() == pytest.approx(row["test_gain"])
        assert not (masks["reached"] & ~masks["outside"]).any()


def test_codes_keys_and_table_round_trip(tmp_path):
    run = make_training_run(tmp_path, n_train=30, n_test=20, n_gen=10, iterations=(0, 10, 20))
    proj = load_or_compute(run)
    n_tr, n_te = len(proj.y_train), len(proj.y_test)
    for code in (0, n_tr - 1, n_tr, n_tr + n_te, n_tr + n_te + 15, n_tr + n_te + 29):
        assert I.code_of_key(proj, I.key_of(proj, code)) == code
    assert I.key_of(proj, n_tr + n_te + 15) == "gen:10:5"
    table = I.point_table(proj, [0, n_tr + 2, n_tr + n_te + 15])
    assert list(table.columns) == I.TABLE_COLUMNS
    assert table["source"].tolist() == ["train", "test", "generated"]
    assert table["iteration"].tolist()[2] == 10
    assert table["x"].iloc[1] == pytest.approx(float(proj.xy_test[2, 0]))
    with pytest.raises(LabkitError, match="point key"):
        I.code_of_key(proj, "nonsense")
    with pytest.raises(LabkitError, match="iteration 10 has 10"):
        I.code_of_key(proj, "gen:10:10")


def test_neighbours_are_the_nearest_in_the_full_space(tmp_path):
    run = make_training_run(tmp_path, n_train=50, n_test=30, n_gen=12, iterations=(0, 5))
    proj = load_or_compute(run)
    full = I.full_space(run, "spectrum")
    code = len(proj.y_train) + len(proj.y_test) + 3
    nb = I.neighbours(proj, full, code, k=4)
    real = np.concatenate([full.train, full.test])
    d = np.linalg.norm(real - full.gen[3], axis=1)
    assert nb["distance"].to_numpy() == pytest.approx(np.sort(d)[:4])
    assert set(nb["side"]) <= {"train", "test"}
    # A real point is not its own neighbour.
    own = I.neighbours(proj, full, 0, k=3)
    assert "train:0" not in own["key"].tolist()


def test_audio_run_cards_and_notebook_inspect(tmp_path):
    run = make_audio_run(tmp_path / "runs", tmp_path / "corpus", n_speakers=4, per_speaker=4, iterations=(1, 2))
    meta, message = I.utterances(run)
    assert meta is not None, message
    matched, message = I.matched_utterances(run, "spectrum", meta)
    assert matched is not None, message
    proj = load_or_compute(run, "spectrum")
    full = I.full_space(run, "spectrum")
    test_code = int(I.codes_of(proj, "test", [0])[0])
    card = I.card(run, proj, full, test_code, matched)
    assert card.notes == [] and card.wav is not None and card.spectrogram is not None
    samples, sr = sf.read(io.BytesIO(card.wav))
    assert sr == 16000 and len(samples) > 8000
    assert card.row["utterance"] == matched[(matched.side == "test") & (matched.row == 0)]["id"].iloc[0]
    gen_code = I.code_of_key(proj, "gen:2:1")
    gcard = I.card(run, proj, full, gen_code, matched, k=3)
    assert len(gcard.neighbours) == 3 and gcard.wav is not None
    audio, _ = sf.read(io.BytesIO(gcard.wav))
    assert np.abs(audio).max() > 0.1  # Griffin-Lim gave sound, not silence
    assert all(isinstance(w, bytes) for w in gcard.neighbour_wavs.values())
    assert I.playable(run, proj, [test_code, gen_code, I.code_of_key(proj, "gen:2:10")], matched) == [
        "test:0",
        "gen:2:1",
    ]
    # A generated sample without a stored spectrogram says so.
    other = I.card(run, proj, full, I.code_of_key(proj, "gen:2:10"), matched, listen=False)
    assert other.wav is None and "no spectrogram stored" in other.notes[0]

    result = I.inspect(run, "spectrum", 2)
    assert result.table["key"].tolist() == ["gen:2:0", "gen:2:1", "gen:2:2"]
    assert all(c.wav is not None for c in result.cards)
    pytest.importorskip("IPython")
    from IPython.display import Audio

    assert sum(isinstance(w, Audio) for w in result.widgets()) == 3
    by_id = I.inspect(run, "spectrum", 2, ids=[matched["id"].iloc[0]])
    assert by_id.table["key"].tolist() == ["train:0"]
    with pytest.raises(LabkitError, match="no snapshot at iteration 7"):
        I.inspect(run, "spectrum", 7)


def test_moved_audio_gets_a_note(tmp_path):
    run = make_audio_run(tmp_path / "runs", tmp_path / "corpus", n_speakers=3, per_speaker=4, iterations=(1,))
    meta, _ = I.matched_utterances(run, "spectrum", I.utterances(run)[0])
    meta = meta.assign(path="/nowhere/gone.wav")
    proj = load_or_compute(run, "spectrum")
    card = I.card(run, proj, I.full_space(run, "spectrum"), 0, meta)
    assert card.wav is None and "has moved" in card.notes[0]


def test_utterances_refused_when_the_reference_does_not_match(tmp_path):
    run = make_training_run(tmp_path)  # config {"fake": True}: no source
    assert I.utterances(run)[0] is None and "source" in I.utterances(run)[1]


def test_aaec_recorder_keeps_spectrograms_the_inspector_plays(tmp_path):
    """A tiny AAEC training with Figure 5 recording: every recorded iteration (here 2 of 2) keeps six
    generated power spectrograms per origin, rows matching the snapshot, which turn into audio."""
    torch = pytest.importorskip("torch")
    from test_aaec import TINY, tiny_data

    from labkit.features.aaec import prepare
    from labkit.models.aaec import make_config
    from labkit.runstore import Run
    from labkit.trainers.aaec import TrainOptions, train
    from labkit.trainers.figure5 import Figure5Recorder

    torch.set_num_threads(1)
    cfg = make_config("small", "AAEC", **{**TINY, "iterations": 2})
    data, cfg = prepare(tiny_data(n_train=24, n_test=12), cfg)
    run = Run.create(tmp_path / "run", "aaec", cfg.to_dict())
    recorder = Figure5Recorder(run, every=1, n_record=8, ref_epochs=1, data=data)
    train(data, cfg, device=torch.device("cpu"), options=TrainOptions(progress=False), on_epoch=recorder)
    proj = load_or_compute(run, "spectrum")
    for it in (1, 2):
        spec = I.generated_spectrograms(run, it)
        n_snap = len(run.load_snapshot("spectrum", it)["X"])
        assert spec is not None and spec["log_power"].dtype == np.float32
        assert spec["rows"].tolist() == [r + o * 8 for o in range(n_snap // 8) for r in range(6)]
        assert spec["freq_pool"] == cfg.freq_pool and np.isfinite(spec["log_power"]).all()
    power, note = I.generated_power(run, proj, I.code_of_key(proj, "gen:2:8"))
    assert note == "" and power.shape[1] == min(513, spec["log_power"].shape[2] * cfg.freq_pool)
    assert I.griffin_lim(power).size > 0
