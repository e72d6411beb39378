"""How hard a corpus is, and how far its held-out speakers lie outside the training data.

Two figures describe a scenario of the embedded corpus (and any other corpus) before any
augmenter is tried:

* **No-augmentation UAR**: a linear SVM (`labkit.experiment.classifiers.make_classifier`,
  ``svm-linear``, C = 1) on standardised features under leave-one-speaker-out. The interval is the
  Student t interval over the folds (held-out speakers), the single-seed rule of
  `labkit.experiment.stats`: it describes the spread over speakers.
* **Test share outside the training data** (AAEC's Figure 1 situation): per fold, the share of the
  held-out speaker's samples that lie in no training sample's k-NN ball (the ball reaches the
  training sample's k-th nearest training neighbour, k = 5, as in `labkit.metrics.coverage`), in the
  feature space standardised with the *training* fold's mean and standard deviation. It is
  ``1 - test_in_train`` of `labkit.metrics.coverage.coverage_gain_on_test`. Only samples in that region
  can be reached by a generator and by nothing else, so a share near 0 leaves an augmenter's
  ``test_gain`` nothing to move.

Both are computed from the same folds (`labkit.experiment.protocols.make_folds`, ``loso``), and
nothing is fitted on a held-out speaker: the scaler and the SVM see the training fold only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from labkit.errors import LabkitError


def outside_share(X_train: np.ndarray, X_test: np.ndarray, k: int = 5) -> float:
    """Share of the rows of X_test (m, d) outside every training k-NN ball of X_train (n, d).

    Both are standardised with X_train's mean and standard deviation first.
    """
    from labkit.metrics.coverage import inside_any_ball, knn_radii, pairwise_distances

    X_train = np.asarray(X_train, np.float64)
    X_test = np.asarray(X_test, np.float64)
    mean, scale = X_train.mean(axis=0), X_train.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    A, B = (X_train - mean) / scale, (X_test - mean) / scale
    inside = inside_any_ball(pairwise_distances(B, A), knn_radii(A, k))  # (m,)
    return float(1.0 - inside.mean())


def measure(
    meta: pd.DataFrame,
    X: np.ndarray,
    *,
    target: str = "emotion",
    k: int = 5,
    protocol: str = "loso",
    show_progress: bool = True,
) -> dict:
    """UAR of a linear SVM without augmentation and the test share outside the training data.

    Parameters
    ----------
    meta : the utterance table (rows in the order of X)
    X : (N, D) functional features of those rows
    target : the label column
    k : neighbours that define a training sample's ball
    protocol : fold protocol of `make_folds` (``loso`` by default)

    Returns
    -------
    dict with ``uar`` / ``outside`` = ``{"mean", "ci_low", "ci_high", "n"}`` (t interval over folds),
    ``folds``: one ``{"fold", "n_test", "uar", "outside"}`` per fold, ``n_utterances``,
    ``n_speakers``, ``classes`` ({label: count}) and ``chance`` (1 / number of classes).
    """
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from labkit.experiment.classifiers import make_classifier
    from labkit.experiment.metrics import scores
    from labkit.experiment.protocols import make_folds
    from labkit.experiment.stats import mean_ci
    from labkit.utils import progress

    X = np.asarray(X)
    if X.ndim != 2:
        raise LabkitError(f"measure needs functional features (N, D); got shape {X.shape}")
    if len(meta) != len(X):
        raise LabkitError(f"{len(meta)} table rows but {len(X)} feature rows")
    y = meta[target].astype(str).to_numpy()
    labels = sorted(set(y))
    rows = []
    for fold in progress(make_folds(meta, protocol), desc="measuring folds", disable=None if show_progress else True):
        model = make_pipeline(StandardScaler(), make_classifier("svm-linear", random_state=0))
        model.fit(X[fold.train_idx], y[fold.train_idx])
        pred = model.predict(X[fold.test_idx])
        rows.append(
            {
                "fold": fold.name,
                "n_test": int(len(fold.test_idx)),
                "uar": float(scores(y[fold.test_idx], pred, labels=labels)["uar"]),
                "outside": outside_share(X[fold.train_idx], X[fold.test_idx], k=k),
            }
        )
    out = {
        "n_utterances": int(len(meta)),
        "n_speakers": int(meta["speaker"].nunique()),
        "classes": {str(c): int((y == c).sum()) for c in labels},
        "chance": 1.0 / len(labels),
        "protocol": protocol,
        "k": k,
        "folds": rows,
    }
    for name in ("uar", "outside"):
        m, lo, hi = mean_ci([r[name] for r in rows], bounds=(0.0, 1.0))
        out[name] = {"mean": m, "ci_low": lo, "ci_high": hi, "n": len(rows)}
    return out
