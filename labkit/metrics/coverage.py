"""How well generated samples cover the real data: one row of metrics per recorded iteration.

Every metric compares a set of generated samples with the real samples **in the full feature
space** (never in the 2-D projection, which distorts distances):

* ``precision`` / ``recall`` (Kynkäänniemi et al. 2019): the share of generated samples inside the
  real manifold, and of real samples inside the generated manifold. A manifold is the union of
  k-NN balls: each sample's ball reaches its k-th nearest neighbour in its own set.
* ``density`` / ``coverage`` (Naeem et al. 2020): density counts how many real balls hold each
  generated sample (≈1 when the two sets come from one distribution, above 1 when generated samples
  crowd into dense real regions); coverage is the share of real samples whose own ball holds at
  least one generated sample. Both use real balls only, so they are robust to generated outliers.
* ``frechet``: the Fréchet distance between Gaussians fitted to the two sets,
  ``|mu_r - mu_g|^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2))`` (the FID formula, on our features).
* ``mmd``: the unbiased estimate of the squared maximum mean discrepancy with a Gaussian kernel
  (can be slightly below 0 when the sets agree).
* ``c2st_auc``: a classifier two-sample test: the cross-validated ROC AUC of a k-NN classifier
  telling real from generated (0.5: indistinguishable, 1: fully separable).
* ``test_gain``: AAEC's hypothesis as a number: the share of *test* samples that lie inside the
  k-NN ball of some generated sample but of no training sample, i.e. test regions that only the
  generator reaches. ``test_in_train`` (test samples inside some training ball) is reported beside
  it as the baseline the generator adds to.

Choices where the papers leave room (written here so readers of a number know what it means):

* "real" for precision/recall/density/coverage/Fréchet/MMD/C2ST is train ∪ test, the whole real
  sample of the distribution; ``test_gain`` separates the two.
* k = 5 by default (Naeem et al. recommend k = 5 for density/coverage).
* Every dimension is standardised with the mean and standard deviation of the real data before
  any distance is taken (features such as spectra mix scales of many orders of magnitude; without
  this the loudest bins decide every neighbour). The low-level functions take arrays as given.
* Metrics are computed per iteration on that iteration's samples only (not on the cumulative set
  that Figure 5 of the AAEC paper shows), so a curve shows how the generator changes over training.
* Large sets are subsampled deterministically (a seeded permutation) to at most ``max_samples``
  rows per set (default 2000), which bounds the cost of the pairwise distances; the real subsample
  is the same for every iteration.
* The MMD bandwidth is the median pairwise distance within the real subsample, fixed per run so
  that values are comparable across iterations.

The reference scale: on a synthetic corpus the oracle augmenters (`labkit.augment.oracle`) draw new
real rows for the same training fold, and their metrics, computed exactly as a generator's, say what a
perfect generator reaches (``labkit coverage`` prints them beside the generator's and keeps them in the
run's table ``coverage-reference``; `labkit.augment.oracle.coverage_reference` says where they exist).

Results of `coverage_for_run` are cached in ``<run>/cache/coverage-<space>-k<k>.json`` and only
new or changed snapshots are computed again, so a running training can be followed cheaply.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np

from labkit.errors import LabkitError
from labkit.utils import progress, write_json_atomic

# The metric columns, in the order `labkit coverage` prints them.
METRICS = ["precision", "recall", "density", "coverage", "frechet", "mmd", "c2st_auc", "test_gain", "test_in_train"]

# The run-store table holding the oracles' coverage metrics for a run's recorded spaces: the reference
# scale of a generator's numbers (written by `labkit.augment.oracle.stored_coverage_reference` through
# `labkit coverage`, read by `labkit.viz.reference`).
REFERENCE_TABLE = "coverage-reference"

# What each metric means, for help texts and the dashboard.
METRIC_HELP = {
    "precision": "share of generated samples inside the real k-NN manifold (fidelity)",
    "recall": "share of real samples inside the generated k-NN manifold (diversity)",
    "density": "mean number of real k-NN balls holding a generated sample, / k (≈1 when alike)",
    "coverage": "share of real samples whose k-NN ball holds a generated sample",
    "frechet": "Fréchet distance between Gaussian fits (0 when alike)",
    "mmd": "squared MMD, Gaussian kernel, unbiased (≈0 when alike)",
    "c2st_auc": "AUC of a k-NN classifier telling real from generated (0.5 when alike)",
    "test_gain": "share of test samples inside a generated k-NN ball but no training ball",
    "test_in_train": "share of test samples inside some training k-NN ball (baseline)",
}


@dataclass
class CoverageConfig:
    k: int = 5  # neighbours defining each sample's ball (Naeem et al. 2020 use 5)
    max_samples: int = 2000  # cap on rows per set (real, train, test, generated); larger sets are subsampled
    seed: int = 0  # seeds the subsampling and the C2ST folds
    standardize: bool = True  # z-score every dimension with the real data's mean/std first
    c2st_folds: int = 5  # cross-validation folds of the classifier two-sample test


# ------------------------------------------------------------------------------------ k-NN helpers
def pairwise_distances(A: np.ndarray, B: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Euclidean distances between the rows of A (n, d) and B (m, d); returns (n, m) float64."""
    A = np.asarray(A, np.float64)
    B = np.asarray(B, np.float64)
    b2 = np.einsum("ij,ij->i", B, B)  # (m,)
    out = np.empty((A.shape[0], B.shape[0]))
    for start in range(0, A.shape[0], chunk):
        a = A[start : start + chunk]
        a2 = np.einsum("ij,ij->i", a, a)  # (c,)
        d2 = a2[:, None] + b2[None, :] - 2.0 * a @ B.T  # (c, m)
        out[start : start + chunk] = np.sqrt(np.maximum(d2, 0.0))
    return out


def knn_radii(X: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row of X (n, d) to its k-th nearest other row; returns (n,)."""
    n = X.shape[0]
    if n <= k:
        raise LabkitError(f"need more than k={k} samples for k-NN balls, got {n}")
    D = pairwise_distances(X, X)
    # Column 0 of the sorted row is the sample itself (distance 0), so the k-th neighbour is at k.
    return np.partition(D, k, axis=1)[:, k]  # (n,)


# ------------------------------------------------------------------------------------ the metrics
def prdc(real: np.ndarray, fake: np.ndarray, k: int = 5) -> dict[str, float]:
    """Precision, recall (Kynkäänniemi et al. 2019), density and coverage (Naeem et al. 2020).

    Parameters
    ----------
    real : (n, d) real samples.
    fake : (m, d) generated samples.
    k : neighbours that define each sample's ball.

    Returns
    -------
    dict with ``precision``, ``recall``, ``density``, ``coverage`` (floats).
    """
    return _prdc(pairwise_distances(real, fake), knn_radii(real, k), knn_radii(fake, k), k)


def _prdc(D_rf: np.ndarray, r_real: np.ndarray, r_fake: np.ndarray, k: int) -> dict[str, float]:
    """`prdc` from the (n, m) real-to-fake distances and each set's k-NN radii."""
    inside_real_ball = D_rf <= r_real[:, None]  # (n, m): fake j inside the ball of real i
    precision = inside_real_ball.any(axis=0).mean()
    recall = (D_rf <= r_fake[None, :]).any(axis=1).mean()  # real i inside the ball of some fake j
    density = inside_real_ball.sum() / (k * D_rf.shape[1])
    coverage = inside_real_ball.any(axis=1).mean()
    return {
        "precision": float(precision),
        "recall": float(recall),
        "density": float(density),
        "coverage": float(coverage),
    }


def _sqrtm_psd(S: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix through its eigen-decomposition."""
    w, V = np.linalg.eigh(S)
    return (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T


def frechet_distance(X: np.ndarray, Y: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to X (n, d) and Y (m, d).

    ``|mu_x - mu_y|^2 + Tr(S_x + S_y - 2 (S_x S_y)^(1/2))``. The trace of the matrix square root
    is taken as ``Tr((S_x^(1/2) S_y S_x^(1/2))^(1/2))``, which is equal and stays symmetric, so no
    complex parts appear from round-off.
    """
    mu_x, mu_y = X.mean(axis=0), Y.mean(axis=0)
    S_x = np.atleast_2d(np.cov(X, rowvar=False))
    S_y = np.atleast_2d(np.cov(Y, rowvar=False))
    return frechet_from_moments(mu_x, S_x, mu_y, S_y)


def frechet_from_moments(mu_x, S_x, mu_y, S_y) -> float:
    """Fréchet distance between N(mu_x, S_x) and N(mu_y, S_y) (see `frechet_distance`)."""
    root_x = _sqrtm_psd(np.asarray(S_x, np.float64))
    M = root_x @ np.asarray(S_y, np.float64) @ root_x
    M = (M + M.T) / 2.0  # symmetric up to round-off
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh(M), 0.0, None)).sum()
    diff = np.asarray(mu_x, np.float64) - np.asarray(mu_y, np.float64)
    value = diff @ diff + np.trace(S_x) + np.trace(S_y) - 2.0 * trace_sqrt
    return float(max(value, 0.0))


def median_bandwidth(X: np.ndarray, D: np.ndarray | None = None) -> float:
    """Median pairwise distance between the rows of X (n, d): the Gaussian kernel's bandwidth."""
    D = pairwise_distances(X, X) if D is None else D
    upper = D[np.triu_indices_from(D, k=1)]
    bw = float(np.median(upper)) if upper.size else 1.0
    return bw if bw > 0 else 1.0


def mmd2(X: np.ndarray, Y: np.ndarray, bandwidth: float | None = None) -> float:
    """Unbiased squared MMD between X (n, d) and Y (m, d) with k(a, b) = exp(-|a-b|² / (2 bw²)).

    `bandwidth` defaults to the median pairwise distance within X.
    """
    D_xx = pairwise_distances(X, X)
    bw = median_bandwidth(X, D_xx) if bandwidth is None else float(bandwidth)
    return _mmd2(D_xx, pairwise_distances(Y, Y), pairwise_distances(X, Y), bw)


def _mmd2(D_xx: np.ndarray, D_yy: np.ndarray, D_xy: np.ndarray, bandwidth: float) -> float:
    """`mmd2` from the three distance matrices."""
    gamma = 1.0 / (2.0 * bandwidth * bandwidth)
    n, m = D_xx.shape[0], D_yy.shape[0]
    # Unbiased: leave out the diagonals (each is exp(0) = 1).
    xx = (np.exp(-gamma * D_xx**2).sum() - n) / (n * (n - 1))
    yy = (np.exp(-gamma * D_yy**2).sum() - m) / (m * (m - 1))
    return float(xx + yy - 2.0 * np.exp(-gamma * D_xy**2).mean())


def c2st_auc(X: np.ndarray, Y: np.ndarray, *, k: int = 5, folds: int = 5, seed: int = 0) -> float:
    """Classifier two-sample test: cross-validated ROC AUC of a k-NN classifier, X vs Y.

    The larger set is subsampled to the size of the smaller so that chance is 0.5. The classifier
    votes among the ``2k + 1`` nearest neighbours in the other folds. k-NN is chosen because it is
    non-linear (a ring around a blob is separable), needs no training and reuses the distance
    matrices the other metrics need anyway.
    """
    D = pairwise_distances(np.concatenate([X, Y]), np.concatenate([X, Y]))  # (n_x + n_y, n_x + n_y)
    return _c2st(D, X.shape[0], k=k, folds=folds, seed=seed)


def _c2st(D: np.ndarray, n_x: int, *, k: int, folds: int, seed: int) -> float:
    """`c2st_auc` from the distances between all rows, X's rows first (n_x of them), then Y's."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    n_y = D.shape[0] - n_x
    n = min(n_x, n_y)
    if n < folds:
        raise LabkitError(f"C2ST needs at least {folds} samples per set, got {n}")
    rows = np.r_[rng.permutation(n_x)[:n], n_x + rng.permutation(n_y)[:n]]  # balanced: n of each
    labels = np.r_[np.zeros(n), np.ones(n)]  # 0 = X (real), 1 = Y (generated)
    fold_of = np.r_[rng.permutation(n) % folds, rng.permutation(n) % folds]  # stratified folds
    votes = min(2 * k + 1, n)
    proba = np.empty(2 * n)
    for f in range(folds):
        test, train = np.flatnonzero(fold_of == f), np.flatnonzero(fold_of != f)
        D_f = D[np.ix_(rows[test], rows[train])]  # (n_test, n_train)
        nearest = np.argpartition(D_f, votes - 1, axis=1)[:, :votes]  # (n_test, votes)
        proba[test] = labels[train][nearest].mean(axis=1)
    return float(roc_auc_score(labels, proba))


def coverage_gain_on_test(X_train: np.ndarray, X_test: np.ndarray, X_gen: np.ndarray, k: int = 5) -> dict[str, float]:
    """Share of test samples inside the k-NN ball of some generated sample but of no training one.

    Balls are each set's own: a training sample's ball reaches its k-th nearest training
    neighbour, a generated sample's its k-th nearest generated neighbour.

    Returns
    -------
    dict with ``test_gain`` and ``test_in_train`` (share of test samples in some training ball).
    """
    in_train = inside_any_ball(pairwise_distances(X_test, X_train), knn_radii(X_train, k))
    return _gain(in_train, pairwise_distances(X_test, X_gen), knn_radii(X_gen, k))


def inside_any_ball(D: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """(n,) bool: row i of D (n, m) is within radii[j] of some column j."""
    return (D <= radii[None, :]).any(axis=1)


def _gain(in_train: np.ndarray, D_test_gen: np.ndarray, r_gen: np.ndarray) -> dict[str, float]:
    in_gen = inside_any_ball(D_test_gen, r_gen)  # (n_test,)
    return {"test_gain": float((in_gen & ~in_train).mean()), "test_in_train": float(in_train.mean())}


# ------------------------------------------------------------------------------------ one comparison
def subsample(X: np.ndarray, cap: int, seed: int) -> np.ndarray:
    """At most `cap` rows of X, chosen by a seeded permutation (the same rows for the same seed)."""
    if X.shape[0] <= cap:
        return X
    idx = np.random.default_rng(seed).permutation(X.shape[0])[:cap]
    return X[np.sort(idx)]


@dataclass
class RealSet:
    """The real side of every comparison in one run, prepared once (subsampled, standardised).

    Everything that does not depend on the generated samples is computed here once, so each
    iteration only pays for the distances that involve its own samples.
    """

    train: np.ndarray  # (n_train, d) standardised training samples (subsampled)
    test: np.ndarray  # (n_test, d) standardised test samples (subsampled)
    real: np.ndarray  # (n_real, d) standardised train ∪ test (subsampled)
    mean: np.ndarray  # (d,) the real data's mean used for standardising
    scale: np.ndarray  # (d,) the real data's standard deviation (1 where constant)
    D_real: np.ndarray  # (n_real, n_real) distances within `real`
    r_real: np.ndarray  # (n_real,) k-NN radii of `real`
    test_in_train: np.ndarray  # (n_test,) bool: test sample inside some training ball
    bandwidth: float  # MMD kernel bandwidth: median distance within `real`


def prepare_real(X_train: np.ndarray, X_test: np.ndarray, config: CoverageConfig = CoverageConfig()) -> RealSet:
    """Standardise and subsample the real data once per run (see the module docstring)."""
    X_train = np.asarray(X_train, np.float64)
    X_test = np.asarray(X_test, np.float64)
    _check_finite(X_train, "reference X_train")
    _check_finite(X_test, "reference X_test")
    both = np.concatenate([X_train, X_test])  # (n_train + n_test, d)
    if config.standardize:
        mean, scale = both.mean(axis=0), both.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)  # constant dimensions carry no distance
    else:
        mean, scale = np.zeros(both.shape[1]), np.ones(both.shape[1])
    train = subsample((X_train - mean) / scale, config.max_samples, config.seed)
    test = subsample((X_test - mean) / scale, config.max_samples, config.seed + 1)
    real = subsample((both - mean) / scale, config.max_samples, config.seed + 2)
    D_real = pairwise_distances(real, real)
    in_train = inside_any_ball(pairwise_distances(test, train), knn_radii(train, config.k))
    return RealSet(
        train=train,
        test=test,
        real=real,
        mean=mean,
        scale=scale,
        D_real=D_real,
        r_real=np.partition(D_real, config.k, axis=1)[:, config.k],
        test_in_train=in_train,
        bandwidth=median_bandwidth(real, D_real),
    )


def coverage_metrics(real: RealSet, X_gen: np.ndarray, config: CoverageConfig = CoverageConfig()) -> dict[str, float]:
    """Every metric of the module docstring for one set of generated samples X_gen (m, d).

    Gives the same numbers as calling `prdc`, `frechet_distance`, `mmd2`, `c2st_auc` and
    `coverage_gain_on_test` on the prepared arrays, but computes each distance matrix once.
    """
    X_gen = np.asarray(X_gen, np.float64)
    if X_gen.ndim != 2 or X_gen.shape[1] != real.mean.shape[0]:
        raise LabkitError(f"generated samples have shape {X_gen.shape}; the reference has d={real.mean.shape[0]}")
    _check_finite(X_gen, "generated samples")
    gen = subsample((X_gen - real.mean) / real.scale, config.max_samples, config.seed + 3)
    if gen.shape[0] <= config.k:
        raise LabkitError(f"only {gen.shape[0]} generated samples; need more than k={config.k}")
    D_gg = pairwise_distances(gen, gen)  # (m, m)
    D_rg = pairwise_distances(real.real, gen)  # (n_real, m)
    r_gen = np.partition(D_gg, config.k, axis=1)[:, config.k]  # (m,)
    row = _prdc(D_rg, real.r_real, r_gen, config.k)
    row["frechet"] = frechet_distance(real.real, gen)
    row["mmd"] = _mmd2(real.D_real, D_gg, D_rg, real.bandwidth)
    D_all = np.block([[real.D_real, D_rg], [D_rg.T, D_gg]])  # (n_real + m, n_real + m), real rows first
    row["c2st_auc"] = _c2st(D_all, real.real.shape[0], k=config.k, folds=config.c2st_folds, seed=config.seed)
    row.update(_gain(real.test_in_train, pairwise_distances(real.test, gen), r_gen))
    row["n_generated"] = int(X_gen.shape[0])
    return row


def _check_finite(X: np.ndarray, what: str) -> None:
    if X.ndim != 2:
        raise LabkitError(f"{what}: expected an (n, d) array, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise LabkitError(f"{what}: holds NaN or infinite values")


# ------------------------------------------------------------------------------------ per run, cached
def file_fingerprint(path) -> str:
    """A cheap identity of a file (size and modification time): changes when it is rewritten."""
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def coverage_for_run(
    run,
    space: str | None = None,
    config: CoverageConfig = CoverageConfig(),
    *,
    use_cache: bool = True,
    show_progress: bool = True,
) -> list[dict]:
    """Coverage metrics for every snapshot iteration of `space` in `run`, cached in the run.

    Parameters
    ----------
    run : labkit.runstore.Run
    space : the representation; default the first of ``run.spaces()``.
    config : metric settings (k, subsampling cap, seed).
    use_cache : reuse ``<run>/cache/coverage-<space>-k<k>.json`` rows whose snapshot is unchanged.

    Returns
    -------
    list of dicts, one per iteration in order: ``iteration``, one key per name in `METRICS`,
    and ``n_generated``. A snapshot whose metrics cannot be computed (fewer than k + 1 samples,
    NaNs) gets None for every metric and a ``note`` saying why. Empty when there are no snapshots.
    """
    space = resolve_space(run, space)
    ref_path = run.path / "reference" / f"{space}.npz"
    snap_dir = run.path / "snapshots" / space
    settings = {**asdict(config), "space": space, "reference": file_fingerprint(ref_path)}
    cache_file = run.cache_path(f"coverage-{space}-k{config.k}.json")
    cached: dict[str, dict] = {}
    if use_cache and cache_file.exists():
        try:
            stored = json.loads(cache_file.read_text())
            if stored.get("settings") == settings:
                cached = stored.get("rows", {})
        except (OSError, ValueError, RecursionError, AttributeError):
            cached = {}  # a damaged (or hostile) cache is recomputed, never trusted

    iterations = run.snapshot_iterations(space)
    rows: dict[str, dict] = {}
    real = None
    todo = []
    for it in iterations:
        fp = file_fingerprint(snap_dir / f"iter_{it:07d}.npz")
        if str(it) in cached and cached[str(it)].get("_fingerprint") == fp:
            rows[str(it)] = cached[str(it)]
        else:
            todo.append((it, fp))
    for it, fp in progress(todo, desc=f"coverage {space}", disable=None if show_progress and todo else True):
        if real is None:
            ref = run.load_reference(space)
            real = prepare_real(ref["X_train"], ref["X_test"], config)
        snap: dict = {}
        try:
            snap = run.load_snapshot(space, it)
            row = coverage_metrics(real, snap["X"].reshape(len(snap["X"]), -1), config)
        except (LabkitError, KeyError) as err:
            # One unusable snapshot (too few samples, NaNs, a damaged file) must not hide the others:
            # its metrics are None (null in JSON) and `note` says why.
            row = {
                **{m: None for m in METRICS},
                "n_generated": int(len(snap["X"])) if "X" in snap else 0,
                "note": f"iter_{it:07d}.npz: {err}",
            }
        rows[str(it)] = {"iteration": it, **row, "_fingerprint": fp}
    if todo:
        try:
            write_json_atomic(cache_file, {"settings": settings, "rows": rows})
        except OSError:
            pass  # a read-only run store still gets its numbers, only not cached
    out = []
    for it in iterations:
        row = {k: v for k, v in rows[str(it)].items() if not k.startswith("_")}
        out.append(row)
    return out


def resolve_space(run, space: str | None) -> str:
    """The space to use: `space` if the run has it, else the run's first space; clear errors."""
    spaces = run.spaces()
    if not spaces:
        raise LabkitError(f"{run.path}: no reference data yet (reference/<space>.npz); nothing to compare with")
    if space is None:
        return spaces[0]
    if space not in spaces:
        raise LabkitError(f"{run.path}: no space {space!r}; it has {', '.join(spaces)}")
    return space
