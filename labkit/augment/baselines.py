"""Classical augmentation baselines: none, Gaussian noise, random oversampling, SMOTE, ADASYN.

These are the baselines Shilandari et al. compare their cycle-GAN with (sample reproduction, noise
added to feature vectors, SMOTE; Figures 6 and 7), plus ADASYN. Random oversampling, SMOTE and ADASYN
wrap imbalanced-learn rather than re-implementing it; labkit only translates its own
``sampling_strategy`` (a ratio per class or "balance") into imbalanced-learn's ``{class: total}``.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.utils._param_validation import Interval

from labkit.augment.base import COUNT, Augmenter


class NoAugmentation(Augmenter):
    """The reference: returns the training fold unchanged (`sample` returns nothing).

    Takes the common parameters so that every augmenter can be built the same way; ignores them.
    """

    generates = False
    input_kind = "any"  # passes feature vectors and frames alike

    def _amounts(self, counts: dict) -> dict:
        return {c: 0 for c in counts}

    def _generate(self, n_per_class: dict):
        # Nothing is ever generated: the "none" baseline has no model of the data.
        return np.empty((0, *self.feature_shape_), dtype=self.dtype_), np.empty(0, dtype=self.classes_.dtype)

    def sample(self, n_per_class):
        """Always empty: ``X_new`` of shape (0, d), ``y_new`` of shape (0,)."""
        self._check_fitted()
        return self._generate({})


class GaussianNoise(Augmenter):
    """Copies of random real samples of a class plus Gaussian noise in feature space.

    A synthetic sample of class c is ``x + scale * sigma * e``, with x drawn uniformly (with
    replacement) from the class-c training rows, ``sigma`` (d,) the per-feature standard deviation of
    the whole training fold and ``e ~ N(0, I)``.

    Choice: sigma is the fold's, not the class's, because small classes (a handful of utterances per
    speaker and emotion) give unstable per-class deviations; inside the standard pipeline the features
    are standardised first, so sigma is close to 1 and ``scale`` reads as "fraction of a feature's
    spread". Shilandari et al. (Fig. 6) do not state their noise level; 0.1 is our default.

    Parameters
    ----------
    sampling_strategy : "balance", float or dict
    scale : float in [0, 100], default 0.1
        Noise standard deviation relative to each feature's standard deviation.
    random_state : int or None
    """

    # Beyond 100 feature spreads the noise is all there is; the bound catches typos such as 1e300.
    _parameter_constraints = {
        **Augmenter._parameter_constraints,
        "scale": [Interval(numbers.Real, 0, 100, closed="both")],
    }

    def __init__(self, sampling_strategy="balance", scale=0.1, random_state=None):
        self.sampling_strategy = sampling_strategy
        self.scale = scale
        self.random_state = random_state

    def _fit(self, X, y):
        self.sigma_ = X.std(axis=0)  # (d,)
        self._X_by_class_ = {c: X[y == c] for c in self.classes_.tolist()}

    def _generate(self, n_per_class: dict):
        X_parts, y_parts = [], []
        for c, k in n_per_class.items():
            X_c = self._X_by_class_[c]  # (n_c, d)
            picks = self._rng_.integers(0, len(X_c), size=k)
            noise = self._rng_.standard_normal((k, X_c.shape[1]))  # (k, d)
            X_parts.append(X_c[picks] + self.scale * self.sigma_ * noise)
            y_parts.append(np.full(k, c, dtype=self.classes_.dtype))
        return np.concatenate(X_parts), np.concatenate(y_parts)


class _ImblearnWrapper(Augmenter):
    """Shared code of the wrappers: run an imbalanced-learn over-sampler on the stored fold.

    `_generate` asks the sampler for ``{c: n_c + k_c}`` and keeps only the rows it appends. Each class is
    resampled on its own so that the neighbour count can be chosen per class (see `_k_for`).
    """

    def _make_sampler(self, strategy: dict, k: int | None, seed: int):
        raise NotImplementedError

    def _k_for(self, c) -> int | None:
        return None

    def _fit(self, X, y):
        # The sampler works on the training fold itself; keeping it is the "fit".
        self._X_ = X
        self._y_ = y

    def _generate(self, n_per_class: dict):
        X_parts, y_parts = [], []
        n = len(self._y_)
        for c, k in n_per_class.items():
            seed = int(self._rng_.integers(0, 2**31 - 1))
            sampler = self._make_sampler({c: self.class_counts_[c] + k}, self._k_for(c), seed)
            X_res, y_res = self._resample_one(sampler, c)
            X_parts.append(X_res[n:])
            y_parts.append(y_res[n:])
        return np.concatenate(X_parts), np.concatenate(y_parts)

    def _resample_one(self, sampler, c):
        return sampler.fit_resample(self._X_, self._y_)


class RandomOversampling(_ImblearnWrapper):
    """Duplicates random real samples of each class ("sample reproduction"); wraps imblearn's RandomOverSampler.

    Parameters
    ----------
    sampling_strategy : "balance", float or dict
    shrinkage : float in [0, 100] or None, default None
        imblearn's smoothed bootstrap: None duplicates exactly.
    random_state : int or None
    """

    _parameter_constraints = {
        **Augmenter._parameter_constraints,
        "shrinkage": [Interval(numbers.Real, 0, 100, closed="both"), None],
    }

    def __init__(self, sampling_strategy="balance", shrinkage=None, random_state=None):
        self.sampling_strategy = sampling_strategy
        self.shrinkage = shrinkage
        self.random_state = random_state

    def _make_sampler(self, strategy, k, seed):
        from imblearn.over_sampling import RandomOverSampler

        return RandomOverSampler(sampling_strategy=strategy, shrinkage=self.shrinkage, random_state=seed)


class _NeighbourWrapper(_ImblearnWrapper):
    """SMOTE and ADASYN: interpolate between a sample and one of its k nearest same-class neighbours.

    A class with ``n_c <= k`` samples has fewer than k neighbours. Documented fallback: k is reduced to
    ``n_c - 1`` for that class (with a warning), because leave-one-speaker-out folds of small corpora
    routinely have such classes and an error would stop the whole comparison. A class with a single
    sample has no neighbour at all and cannot be interpolated: that raises a LabkitError naming it.
    """

    min_class_size = 2
    _parameter_constraints = {**Augmenter._parameter_constraints, "k_neighbors": COUNT}

    def _k_for(self, c) -> int:
        n_c = self.class_counts_[c]
        k = int(self.k_neighbors)  # a whole number >= 1 (_parameter_constraints)
        if n_c - 1 < k:
            warnings.warn(
                f"{type(self).__name__}: class {c!r} has {n_c} samples, fewer than k_neighbors+1="
                f"{k + 1}; using k={n_c - 1} for it",
                stacklevel=2,
            )
            k = n_c - 1
        self.k_used_ = {**getattr(self, "k_used_", {}), c: k}
        return k


class Smote(_NeighbourWrapper):
    """SMOTE (Chawla et al. 2002); wraps imblearn's SMOTE.

    Parameters
    ----------
    sampling_strategy : "balance", float or dict
    k_neighbors : int >= 1, default 5
        Neighbours to interpolate towards (reduced per class when the class is smaller; see above).
    random_state : int or None
    """

    def __init__(self, sampling_strategy="balance", k_neighbors=5, random_state=None):
        self.sampling_strategy = sampling_strategy
        self.k_neighbors = k_neighbors
        self.random_state = random_state

    def _make_sampler(self, strategy, k, seed):
        from imblearn.over_sampling import SMOTE

        return SMOTE(sampling_strategy=strategy, k_neighbors=k, random_state=seed)


class Adasyn(_NeighbourWrapper):
    """ADASYN (He et al. 2008); wraps imblearn's ADASYN.

    ADASYN gives each sample of a class a share of the class's new samples in proportion to how many
    of its neighbours (in the whole fold) belong to other classes. imblearn rounds the shares per
    sample, so it returns a few samples more or fewer than asked; labkit makes the count exact, so
    that every augmenter adds the same amount and sweeps compare like with like:

    * a surplus is cut by dropping randomly chosen synthetic rows of that class;
    * a shortfall is filled with SMOTE samples of that class (uniform interpolation);
    * when no neighbour of any sample of a class belongs to another class (a perfectly separated
      class) the shares are undefined, and when few samples are asked of a large class every share
      rounds to zero; imblearn raises in both cases, and labkit uses SMOTE for that class (with a
      warning).

    Parameters
    ----------
    sampling_strategy : "balance", float or dict
    k_neighbors : int >= 1, default 5
        imblearn's ``n_neighbors``.
    random_state : int or None
    """

    def __init__(self, sampling_strategy="balance", k_neighbors=5, random_state=None):
        self.sampling_strategy = sampling_strategy
        self.k_neighbors = k_neighbors
        self.random_state = random_state

    def _make_sampler(self, strategy, k, seed):
        from imblearn.over_sampling import ADASYN

        return ADASYN(sampling_strategy=strategy, n_neighbors=k, random_state=seed)

    def _resample_one(self, sampler, c):
        from imblearn.over_sampling import SMOTE

        n = len(self._y_)
        wanted = sampler.sampling_strategy[c] - self.class_counts_[c]

        def smote(k):
            return SMOTE(
                sampling_strategy={c: self.class_counts_[c] + k},
                k_neighbors=sampler.n_neighbors,
                random_state=sampler.random_state,
            )

        try:
            X_res, y_res = sampler.fit_resample(self._X_, self._y_)
        except (RuntimeError, ValueError) as err:
            if "neigbours" not in str(err) and "neighbours" not in str(err) and "No samples" not in str(err):
                raise
            warnings.warn(
                f"Adasyn: ADASYN cannot share samples over class {c!r} (no neighbour of another class, "
                "or every share rounds to zero); using SMOTE for it",
                stacklevel=2,
            )
            return smote(wanted).fit_resample(self._X_, self._y_)
        X_new, y_new = X_res[n:], y_res[n:]
        if len(y_new) > wanted:  # rounding surplus: drop random synthetic rows
            keep = np.sort(self._rng_.choice(len(y_new), size=wanted, replace=False))
            X_new, y_new = X_new[keep], y_new[keep]
        elif len(y_new) < wanted:  # rounding shortfall: fill with SMOTE rows
            X_more, y_more = smote(wanted - len(y_new)).fit_resample(self._X_, self._y_)
            X_new, y_new = np.concatenate([X_new, X_more[n:]]), np.concatenate([y_new, y_more[n:]])
        return np.concatenate([self._X_, X_new]), np.concatenate([self._y_, y_new])
