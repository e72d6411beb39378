"""Fixed 2-D projections of a run: fitted once on the real data, applied to every snapshot.

Figure 5 of the AAEC paper shows generated samples in a PCA plane of the real data. An animation
over training iterations only reads well when the plane stays put, so the projection is fitted
**once per run on the real data (train + test)** and every iteration's generated samples are
transformed into that fixed basis; nothing is refitted per frame.

Choices:

* Every dimension is standardised with the real data's mean/std before fitting (as in
  `labkit.metrics.coverage`), so that dimensions with large values do not decide the plane alone.
* PCA: scikit-learn's PCA with 2 components (full SVD on at most ``fit_cap`` real rows).
* UMAP: umap-learn with ``random_state=seed`` (which makes it deterministic), fitted on at most
  ``fit_cap`` real rows (a seeded subsample: UMAP's cost grows quickly with n), then
  ``transform`` places the remaining real rows and all generated rows in the fitted embedding.
* The coordinates of every point are cached in ``<run>/cache/projection-<space>-<method>.npz``
  with a fingerprint of the reference and snapshot files. When a running training adds snapshots
  the fingerprint changes and the projection is computed again from scratch; because the fit only
  sees the real data (and is seeded), the real points land where they were and frames stay
  comparable. A UMAP model cannot be stored without pickling, so there is no incremental update.

Who computes it: `labkit coverage RUNDIR --projections` precomputes it; otherwise the dashboard
computes it once, through `load_or_compute`, the first time a run is shown, and every later view
(and every slider move) only reads the cached arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from labkit.errors import LabkitError
from labkit.metrics.coverage import file_fingerprint, resolve_space, subsample

METHODS = ["pca", "umap"]


@dataclass
class ProjectionConfig:
    method: str = "pca"  # "pca" or "umap"
    seed: int = 0  # seeds UMAP and the fit subsample
    fit_cap: int = 5000  # at most this many real rows are used to fit (all rows are transformed)
    umap_neighbors: int = 15  # UMAP's n_neighbors: larger keeps more global structure
    umap_min_dist: float = 0.1  # UMAP's min_dist: smaller packs clusters tighter


@dataclass
class Projection:
    """Every point of a run in one fixed 2-D basis.

    Real points: ``xy_train`` (n_train, 2), ``y_train`` (n_train,), ``xy_test`` (n_test, 2),
    ``y_test`` (n_test,). Generated points of all iterations stacked: ``xy_gen`` (m, 2),
    ``y_gen`` (m,), ``iter_gen`` (m,) the iteration each was recorded at, ``origin_gen`` (m,).
    ``iterations`` lists the recorded iterations in order. Labels are strings.
    """

    xy_train: np.ndarray
    y_train: np.ndarray
    xy_test: np.ndarray
    y_test: np.ndarray
    xy_gen: np.ndarray
    y_gen: np.ndarray
    iter_gen: np.ndarray
    origin_gen: np.ndarray
    iterations: np.ndarray
    method: str = "pca"
    space: str = ""
    explained: np.ndarray | None = None  # PCA: share of variance of each axis; None for UMAP
    notes: list[str] = field(default_factory=list)  # snapshots left out (damaged file, wrong d), one line each

    @property
    def classes(self) -> list[str]:
        """Every class label present, sorted."""
        return sorted(set(self.y_train.tolist()) | set(self.y_test.tolist()) | set(self.y_gen.tolist()))

    def axis_labels(self) -> tuple[str, str]:
        if self.method == "pca" and self.explained is not None and len(self.explained) == 2:
            return (f"PC1 ({100 * self.explained[0]:.0f}% var.)", f"PC2 ({100 * self.explained[1]:.0f}% var.)")
        return (f"{self.method.upper()} 1", f"{self.method.upper()} 2")


def _labels(y: np.ndarray, names: np.ndarray | None = None) -> np.ndarray:
    """Class labels as strings; integer codes become names when the reference has ``label_names``."""
    y = np.asarray(y)
    if names is not None and y.dtype.kind in "iu" and y.size and 0 <= y.min() and y.max() < len(names):
        return np.asarray(names).astype(str)[y]
    return y.astype(str)


def fit_transform(X_real: np.ndarray, others: list[np.ndarray], config: ProjectionConfig = ProjectionConfig()):
    """Fit the projection on X_real (n, d) and place X_real and every array in `others` in it.

    Returns
    -------
    (real_xy (n, 2), [other_xy (m_i, 2), ...], explained or None)
    """
    if config.method not in METHODS:
        raise LabkitError(f"unknown projection {config.method!r}; choose one of {', '.join(METHODS)}")
    X_real = np.asarray(X_real, np.float64)
    if X_real.ndim != 2 or X_real.shape[0] < 3:
        raise LabkitError(f"need at least 3 real samples as an (n, d) array to fit a projection, got {X_real.shape}")
    if not np.isfinite(X_real).all():
        raise LabkitError("the reference data hold NaN or infinite values; cannot fit a projection")
    mean, scale = X_real.mean(axis=0), X_real.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    Z_real = (X_real - mean) / scale
    Z_others = []
    for X in others:
        X = np.asarray(X, np.float64)
        if X.shape[0] and X.shape[1] != X_real.shape[1]:
            raise LabkitError(f"generated samples have d={X.shape[1]}, the reference d={X_real.shape[1]}")
        Z_others.append(np.nan_to_num((X - mean) / scale, nan=0.0, posinf=0.0, neginf=0.0))
    Z_fit = subsample(Z_real, config.fit_cap, config.seed)

    if config.method == "pca":
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=config.seed).fit(Z_fit)
        return (
            pca.transform(Z_real),
            [pca.transform(Z) if Z.shape[0] else np.zeros((0, 2)) for Z in Z_others],
            pca.explained_variance_ratio_,
        )

    import warnings

    import umap  # heavy (numba): only when asked for

    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=min(config.umap_neighbors, Z_fit.shape[0] - 1),
        min_dist=config.umap_min_dist,
        random_state=config.seed,
        n_jobs=1,
    )
    with warnings.catch_warnings():
        # A seed makes UMAP single-threaded, which it says on every fit; that is what we want.
        warnings.filterwarnings("ignore", message=".*overridden to 1 by setting random_state.*")
        reducer.fit(Z_fit)
        real_xy = reducer.transform(Z_real)
        others_xy = [reducer.transform(Z) if Z.shape[0] else np.zeros((0, 2)) for Z in Z_others]
    return real_xy, others_xy, None


def run_fingerprint(run, space: str) -> str:
    """Identity of a run's inputs to the projection: the reference and snapshot files' sizes/times."""
    parts = [file_fingerprint(run.path / "reference" / f"{space}.npz")]
    for it in run.snapshot_iterations(space):
        parts.append(f"{it}={file_fingerprint(run.path / 'snapshots' / space / f'iter_{it:07d}.npz')}")
    return "|".join(parts)


def compute_projection(run, space: str | None = None, config: ProjectionConfig = ProjectionConfig()) -> Projection:
    """Fit the projection on the run's real data and transform every snapshot (no cache)."""
    space = resolve_space(run, space)
    ref = run.load_reference(space)
    for key in ("X_train", "y_train", "X_test", "y_test"):
        if key not in ref:
            raise LabkitError(f"{run.path}/reference/{space}.npz lacks the array {key!r}")
    X_train, X_test = ref["X_train"], ref["X_test"]
    names = ref.get("label_names")  # e.g. AAEC's arousal names for y codes 0/1/2
    gen_X, gen_y, gen_it, gen_origin = [], [], [], []
    iterations = run.snapshot_iterations(space)
    notes, kept = [], []
    for it in iterations:
        try:  # one unreadable snapshot is one note, never a run without its plot
            snap = run.load_snapshot(space, it)
            n = snap["X"].shape[0]
            X = snap["X"].reshape(n, -1)  # (n, d)
        except (LabkitError, KeyError, ValueError) as err:
            notes.append(f"iter_{it:07d}.npz left out: {err}")
            continue
        if X.shape[1] != X_train.shape[1]:
            raise LabkitError(
                f"{run.path}/snapshots/{space}/iter_{it:07d}.npz has d={X.shape[1]}, the reference d={X_train.shape[1]}"
            )
        kept.append(it)
        gen_X.append(X)
        gen_y.append(_labels(snap["y"], names))
        gen_it.append(np.full(n, it, np.int64))
        gen_origin.append(_labels(snap.get("origin", np.full(n, "generated"))))
    d = X_train.shape[1]
    X_gen = np.concatenate(gen_X) if gen_X else np.zeros((0, d), np.float32)  # (m, d)
    X_real = np.concatenate([X_train, X_test])  # (n_train + n_test, d)
    real_xy, (xy_gen,), explained = fit_transform(X_real, [X_gen], config)
    n_train = X_train.shape[0]
    return Projection(
        xy_train=real_xy[:n_train].astype(np.float32),
        y_train=_labels(ref["y_train"], names),
        xy_test=real_xy[n_train:].astype(np.float32),
        y_test=_labels(ref["y_test"], names),
        xy_gen=np.asarray(xy_gen, np.float32).reshape(-1, 2),
        y_gen=np.concatenate(gen_y) if gen_y else np.zeros(0, str),
        iter_gen=np.concatenate(gen_it) if gen_it else np.zeros(0, np.int64),
        origin_gen=np.concatenate(gen_origin) if gen_origin else np.zeros(0, str),
        iterations=np.asarray(kept, np.int64),
        method=config.method,
        space=space,
        explained=None if explained is None else np.asarray(explained, np.float64),
        notes=notes,
    )


def cache_name(space: str, config: ProjectionConfig) -> str:
    return f"cache/projection-{space}-{config.method}-seed{config.seed}"


def load_cached(run, space: str, config: ProjectionConfig = ProjectionConfig()) -> Projection | None:
    """The cached projection if it matches the run's current files, else None."""
    path = run.path / f"{cache_name(space, config)}.npz"
    if not path.exists():
        return None
    try:
        z = run.read_npz(cache_name(space, config))
        if str(z["fingerprint"]) != run_fingerprint(run, space) or int(z["fit_cap"]) != config.fit_cap:
            return None
        return Projection(
            xy_train=z["xy_train"],
            y_train=z["y_train"],
            xy_test=z["xy_test"],
            y_test=z["y_test"],
            xy_gen=z["xy_gen"],
            y_gen=z["y_gen"],
            iter_gen=z["iter_gen"],
            origin_gen=z["origin_gen"],
            iterations=z["iterations"],
            method=config.method,
            space=space,
            explained=z["explained"] if z["explained"].size else None,
            notes=[str(n) for n in z.get("notes", np.zeros(0, str))],
        )
    except (KeyError, ValueError, OSError, LabkitError):
        return None  # a damaged or old cache is recomputed


def load_or_compute(run, space: str | None = None, config: ProjectionConfig = ProjectionConfig()) -> Projection:
    """The run's projection: from ``<run>/cache`` when current, else computed once and cached.

    The cache is written atomically; a read-only run store still gets the projection (uncached).
    """
    space = resolve_space(run, space)
    proj = load_cached(run, space, config)
    if proj is not None:
        return proj
    fingerprint = run_fingerprint(run, space)
    proj = compute_projection(run, space, config)
    try:
        run.write_npz(
            cache_name(space, config),
            fingerprint=np.str_(fingerprint),
            fit_cap=np.int64(config.fit_cap),
            xy_train=proj.xy_train,
            y_train=proj.y_train,
            xy_test=proj.xy_test,
            y_test=proj.y_test,
            xy_gen=proj.xy_gen,
            y_gen=proj.y_gen,
            iter_gen=proj.iter_gen,
            origin_gen=proj.origin_gen,
            iterations=proj.iterations,
            explained=proj.explained if proj.explained is not None else np.zeros(0),
            notes=np.asarray(proj.notes, dtype=str),
        )
    except OSError:
        pass
    return proj


def reference_digest(run, space: str) -> str:
    """A hash of the real data of `space` (its X_train, X_test and labels): equal digests mean the
    same real samples, hence the same fitted plane (the fit is seeded and sees only those data)."""
    import hashlib

    ref = run.load_reference(space)
    h = hashlib.sha1()
    for key in ("X_train", "X_test", "y_train", "y_test"):
        a = np.ascontiguousarray(ref[key])
        h.update(f"{key}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes() if a.dtype.kind != "O" else "\x00".join(map(str, a.ravel())).encode())
    return h.hexdigest()[:16]


def comparable_spaces(runs_and_spaces: list[tuple], run, space: str) -> list[tuple]:
    """Those (run, space) pairs whose real data are `space` of `run`'s: they share its plane and axes.

    A compare run's ``aug-<name>`` spaces all hold the same fold's real rows, so every augmenter of
    one comparison can be put beside every other; so can runs of the same corpus, features and fold.
    """
    want = reference_digest(run, space)
    out = []
    for other, other_space in runs_and_spaces:
        try:
            if reference_digest(other, other_space) == want:
                out.append((other, other_space))
        except (LabkitError, OSError, KeyError, ValueError):
            continue  # a damaged or half-written reference is simply not offered
    return out
