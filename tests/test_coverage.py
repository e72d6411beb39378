"""Coverage metrics on distributions whose answer is known, per run with caching, and `labkit coverage`."""

import json

import numpy as np
import pytest
from dashboard_fixtures import make_compare_run, make_training_run
from scipy.linalg import sqrtm

from labkit.cli import main
from labkit.errors import LabkitError
from labkit.metrics import coverage as cov
from labkit.runstore import open_run


def gaussian(n, d=5, shift=0.0, seed=0):
    X = np.random.default_rng(seed).normal(size=(n, d))
    X[:, 0] += shift
    return X


# ------------------------------------------------------------------------------------ known answers
def test_identical_distributions_look_alike():
    real, fake = gaussian(500, seed=1), gaussian(500, seed=2)
    m = cov.prdc(real, fake, k=5)
    assert m["precision"] > 0.85 and m["recall"] > 0.85 and m["coverage"] > 0.85
    assert 0.8 < m["density"] < 1.2
    assert cov.frechet_distance(real, fake) < 0.2
    assert abs(cov.mmd2(real, fake)) < 0.01
    assert 0.4 < cov.c2st_auc(real, fake) < 0.6


def test_disjoint_distributions_are_told_apart():
    real, fake = gaussian(300, seed=1), gaussian(300, shift=20.0, seed=2)
    m = cov.prdc(real, fake, k=5)
    assert m == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}
    assert cov.c2st_auc(real, fake) > 0.99
    assert cov.mmd2(real, fake) > 0.5
    # The means differ by 20 along one axis, so the distance is about 20² = 400.
    assert 360 < cov.frechet_distance(real, fake) < 440


def test_frechet_closed_form_for_known_gaussians():
    # Diagonal covariances commute: the distance is |mu1-mu2|² + Σ (sqrt a_i - sqrt b_i)².
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert cov.frechet_from_moments(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected, rel=1e-9)

    # Full covariances: the textbook formula with scipy's matrix square root.
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    S1, S2 = A @ A.T + 0.1 * np.eye(4), B @ B.T + 0.1 * np.eye(4)
    m1, m2 = rng.normal(size=4), rng.normal(size=4)
    textbook = np.sum((m1 - m2) ** 2) + np.trace(S1 + S2 - 2 * np.real(sqrtm(S1 @ S2)))
    assert cov.frechet_from_moments(m1, S1, m2, S2) == pytest.approx(textbook, rel=1e-6)

    # Samples from those Gaussians give close to the closed form.
    X = rng.multivariate_normal(m1, S1, size=20000)
    Y = rng.multivariate_normal(m2, S2, size=20000)
    assert cov.frechet_distance(X, Y) == pytest.approx(textbook, rel=0.05)


def test_test_coverage_gain_measures_what_only_the_generator_reaches():
    train, test = gaussian(400, seed=1), gaussian(200, shift=4.0, seed=2)
    at_test = cov.coverage_gain_on_test(train, test, gaussian(300, shift=4.0, seed=3))
    like_train = cov.coverage_gain_on_test(train, test, gaussian(300, seed=4))
    copies = cov.coverage_gain_on_test(train, test, train.copy())
    assert at_test["test_gain"] > 0.4
    assert like_train["test_gain"] < 0.15 and like_train["test_gain"] < at_test["test_gain"] / 3
    assert copies["test_gain"] == 0.0  # the same balls as training: nothing new is reached
    # The baseline does not depend on the generated samples.
    assert at_test["test_in_train"] == like_train["test_in_train"] == copies["test_in_train"]
    assert 0.0 < at_test["test_in_train"] < 1.0


def test_coverage_metrics_agree_with_the_plain_functions():
    config = cov.CoverageConfig(k=4, max_samples=10_000, standardize=False)
    train, test, gen = gaussian(150, seed=1), gaussian(80, shift=2.0, seed=2), gaussian(120, shift=1.0, seed=3)
    real = cov.prepare_real(train, test, config)
    row = cov.coverage_metrics(real, gen, config)
    both = np.concatenate([train, test])
    for name, value in cov.prdc(both, gen, k=4).items():
        assert row[name] == pytest.approx(value)
    assert row["frechet"] == pytest.approx(cov.frechet_distance(both, gen))
    assert row["mmd"] == pytest.approx(cov.mmd2(both, gen))
    assert row["c2st_auc"] == pytest.approx(cov.c2st_auc(both, gen, k=4))
    for name, value in cov.coverage_gain_on_test(train, test, gen, k=4).items():
        assert row[name] == pytest.approx(value)
    assert row["n_generated"] == 120


def test_subsampling_is_deterministic_and_capped():
    X = gaussian(50)
    a, b = cov.subsample(X, 20, seed=3), cov.subsample(X, 20, seed=3)
    assert a.shape == (20, 5) and np.array_equal(a, b)
    assert cov.subsample(X, 100, seed=3) is X


def test_bad_inputs_get_clear_errors():
    real = cov.prepare_real(gaussian(50), gaussian(30))
    with pytest.raises(LabkitError, match="shape"):
        cov.coverage_metrics(real, gaussian(40, d=3))
    bad = gaussian(40)
    bad[3, 2] = np.nan
    with pytest.raises(LabkitError, match="NaN"):
        cov.coverage_metrics(real, bad)
    with pytest.raises(LabkitError, match="k=5"):
        cov.knn_radii(gaussian(5), 5)


# ------------------------------------------------------------------------------------ per run
def test_coverage_for_run_rows_cache_and_incremental_update(tmp_path, monkeypatch):
    run = make_training_run(tmp_path, d=6)
    rows = cov.coverage_for_run(run, show_progress=False)
    assert [r["iteration"] for r in rows] == [0, 10, 20, 30, 40]
    assert set(cov.METRICS) <= set(rows[0])
    # The fixture's generator drifts from nowhere to the test cloud.
    assert rows[0]["test_gain"] == 0.0 and rows[-1]["test_gain"] > 0.15
    assert rows[0]["c2st_auc"] > rows[-1]["c2st_auc"]
    assert rows[0]["frechet"] > rows[-1]["frechet"]
    assert (run.path / "cache" / "coverage-spectrum-k5.json").exists()

    # A second call reads the cache; after one snapshot is rewritten only that one is computed.
    calls = []
    real_metrics = cov.coverage_metrics

    def counting(real, X, config):
        calls.append(X.shape[0])
        return real_metrics(real, X, config)

    monkeypatch.setattr(cov, "coverage_metrics", counting)
    assert cov.coverage_for_run(run, show_progress=False) == rows
    assert calls == []
    snap = run.load_snapshot("spectrum", 20)
    run.save_snapshot("spectrum", 20, snap["X"][:50], snap["y"][:50], snap["origin"][:50])
    again = cov.coverage_for_run(run, show_progress=False)
    assert calls == [50]
    assert again[2]["n_generated"] == 50 and again[3] == rows[3]


def test_coverage_for_run_without_reference(tmp_path):
    run = make_compare_run(tmp_path)
    with pytest.raises(LabkitError, match="no reference data"):
        cov.coverage_for_run(run)
    run2 = make_training_run(tmp_path, "two", spaces=("embedding", "spectrum"), iterations=(0, 5))
    assert cov.resolve_space(run2, None) == "embedding"
    with pytest.raises(LabkitError, match="no space 'logmel'"):
        cov.resolve_space(run2, "logmel")


# ------------------------------------------------------------------------------------ the command
def test_labkit_coverage_json_and_table(tmp_path, capsys):
    run = make_training_run(tmp_path, iterations=(0, 20))
    assert main(["coverage", str(run.path), "--json", "--projections", "none"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["iteration"] for r in rows] == [0, 20]
    assert all(set(cov.METRICS) <= set(r) for r in rows)

    assert main(["coverage", str(run.path)]) == 0  # also precomputes the PCA projection
    out = capsys.readouterr().out
    assert "iteration" in out.splitlines()[1] and "test_gain" in out
    lines = out.strip().splitlines()
    assert len(lines) == 5  # title, header, two iterations, and why there is no oracle reference
    assert lines[-1].startswith("no oracle reference for space 'spectrum'")  # a training run's spectra: none
    assert (run.path / "cache" / "projection-spectrum-pca-seed0.npz").exists()


def test_labkit_coverage_errors(tmp_path, capsys):
    compare = make_compare_run(tmp_path)
    assert main(["coverage", str(compare.path)]) == 2
    assert "no reference data" in capsys.readouterr().err
    assert main(["coverage", str(tmp_path / "nope")]) == 2
    assert "not a labkit run" in capsys.readouterr().err
    run = make_training_run(tmp_path, "t", iterations=(0,))
    assert main(["coverage", str(run.path), "--projections", "tsne"]) == 2
    assert "tsne" in capsys.readouterr().err
    assert open_run(run.path).snapshot_iterations("spectrum") == [0]


def test_one_unusable_snapshot_does_not_hide_the_others(tmp_path, capsys):
    run = make_training_run(tmp_path, iterations=(0, 10))
    run.save_snapshot("spectrum", 20, np.zeros((3, 8)), ["angry"] * 3)  # 3 samples: no k=5 balls
    rows = cov.coverage_for_run(run, show_progress=False)
    assert rows[0]["precision"] is not None and rows[2]["precision"] is None
    assert "iter_0000020.npz" in rows[2]["note"] and rows[2]["n_generated"] == 3
    assert main(["coverage", str(run.path), "--json", "--projections", "none"]) == 0
    assert json.loads(capsys.readouterr().out)[2]["test_gain"] is None  # null, still valid JSON


# ------------------------------------------------------------------------------------ reference implementations
@pytest.mark.parametrize(
    "n_real,n_fake,d,k,shift,scale",
    [
        (200, 150, 4, 5, 0.0, 1.0),  # alike
        (300, 300, 10, 3, 1.5, 1.0),  # partly overlapping
        (250, 120, 6, 7, 0.0, 0.3),  # a collapsed generator inside the real data
        (180, 220, 3, 5, 3.0, 2.0),  # wider and off to the side
    ],
)
def test_prdc_matches_the_reference_package(n_real, n_fake, d, k, shift, scale, capsys):
    """precision / recall / density / coverage equal the reference `prdc` package (Naeem et al. 2020's
    code) on random data. (prdc compares with `<`, labkit with `<=`: equal except on exact ties, which
    continuous random data do not have.)"""
    prdc = pytest.importorskip("prdc", reason="the reference package prdc is a test dependency (pip install prdc)")
    rng = np.random.default_rng(n_real + d + k)
    real = rng.normal(size=(n_real, d))
    fake = shift + scale * rng.normal(size=(n_fake, d))
    ours = cov.prdc(real, fake, k=k)
    theirs = prdc.compute_prdc(real_features=real, fake_features=fake, nearest_k=k)
    capsys.readouterr()  # prdc prints the set sizes
    for name in ("precision", "recall", "density", "coverage"):
        assert ours[name] == pytest.approx(float(theirs[name]), abs=1e-12), name


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_frechet_on_samples_matches_scipy_sqrtm(seed):
    """The Fréchet distance of two random sample sets equals the textbook formula with
    `scipy.linalg.sqrtm` of the product of their sample covariances."""
    rng = np.random.default_rng(seed)
    d = 3 + 4 * seed
    X = rng.normal(size=(400, d)) @ rng.normal(size=(d, d))
    Y = rng.normal(size=(300, d)) @ rng.normal(size=(d, d)) + rng.normal(size=d)
    S_x, S_y = np.cov(X, rowvar=False), np.cov(Y, rowvar=False)
    textbook = np.sum((X.mean(0) - Y.mean(0)) ** 2) + np.trace(S_x + S_y - 2 * np.real(sqrtm(S_x @ S_y)))
    assert cov.frechet_distance(X, Y) == pytest.approx(textbook, rel=1e-7, abs=1e-9)
