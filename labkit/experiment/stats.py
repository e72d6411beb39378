"""Summaries of many (seed, fold) scores: means with 95 % confidence intervals, paired tests.

How the confidence interval is formed (a choice; the papers report means only):

* Folds of one seed are not independent repetitions of the experiment (they share most of their
  training data), and one fold's score alone is noisy (a leave-one-speaker-out fold is one speaker).
  So, with more than one seed, the scores are first averaged over the folds of each seed, and the
  interval is Student's t interval over the per-seed means (n = number of seeds).
* With a single seed, the interval is the t interval over the folds (n = number of folds); it
  describes the spread over speakers / groups rather than over repetitions.
* With a single value (one seed, one fold) there is no interval: ci_low = ci_high = NaN.

Read the multi-seed interval as *repeatability over seeds*, not as generalisation to new speakers:
a deterministic pipeline (e.g. "none" with an SVM on fixed leave-one-speaker-out folds) gives the
same mean for every seed and so a zero-width interval. The spread over speakers is in the ``tasks``
table (one row per fold) and in the single-seed interval.

The paired comparison of an augmenter with "none" pairs scores of the same seed and fold (the
folds, the classifier's seed and the test rows are identical; only the augmentation differs) and
reports the mean difference and the two-sided Wilcoxon signed-rank p-value (scipy). Zero
differences are dropped (Wilcoxon's own rule); the exact null distribution is used when the
remaining |differences| have no ties and there are at most 50, the normal approximation otherwise
(scipy's default would fall back to a slow permutation test on the ties that fold-level accuracies
produce all the time). With fewer than two non-zero differences p = 1.

Bounded metrics: UAR, WA, F1 and the combined score lie in [0, 1], and with few seeds a t interval
can cross those bounds; `summarize` clips the interval to [0, 1] (``bounds=``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def mean_ci(values, confidence: float = 0.95, bounds: tuple[float, float] | None = None) -> tuple[float, float, float]:
    """(mean, ci_low, ci_high) of `values` with a Student t interval; NaN bounds when n < 2.

    Parameters
    ----------
    values : array-like of shape (n,)
    confidence : coverage of the interval
    bounds : (low, high) the interval is clipped to, e.g. (0, 1) for a recall; None leaves it
    """
    from scipy import stats

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(v.mean())
    if v.size < 2:
        return m, float("nan"), float("nan")
    sem = float(v.std(ddof=1) / np.sqrt(v.size))
    if sem == 0.0:
        return m, m, m
    half = float(stats.t.ppf(0.5 + confidence / 2, df=v.size - 1)) * sem
    lo, hi = m - half, m + half
    if bounds is not None:
        lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    return m, lo, hi


def seed_fold_ci(tasks: pd.DataFrame, metric: str, confidence: float = 0.95,
                 bounds: tuple[float, float] | None = (0.0, 1.0)) -> dict:
    """Mean and CI of `metric` over the rows of one augmenter (columns seed, fold, <metric>).

    Returns ``{"mean", "ci_low", "ci_high", "n"}`` following the module docstring's rule.
    """
    seeds = tasks["seed"].unique()
    if len(seeds) > 1:
        values = tasks.groupby("seed")[metric].mean().to_numpy()
    else:
        values = tasks[metric].to_numpy()
    m, lo, hi = mean_ci(values, confidence, bounds)
    return {"mean": m, "ci_low": lo, "ci_high": hi, "n": int(len(values))}


def summarize(tasks: pd.DataFrame, metrics: list[str], by: list[str] = ("augmenter",)) -> pd.DataFrame:
    """One row per group of `by` and metric: columns ``*by, metric, mean, ci_low, ci_high, n``."""
    rows = []
    for key, part in tasks.groupby(list(by), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        for metric in metrics:
            rows.append({**dict(zip(by, key)), "metric": metric, **seed_fold_ci(part, metric)})
    return pd.DataFrame(rows)


def paired_vs(tasks: pd.DataFrame, metrics: list[str], baseline: str = "none") -> pd.DataFrame:
    """Each augmenter against `baseline` on the same (seed, fold) pairs.

    Returns columns ``augmenter, metric, mean_diff, p_value, n_pairs`` (mean_diff = augmenter − baseline).
    """
    base = tasks.loc[tasks["augmenter"] == baseline, ["seed", "fold", *metrics]]
    rows = []
    for name, part in tasks.groupby("augmenter", sort=False):
        if name == baseline:
            continue
        joined = part.merge(base, on=["seed", "fold"], how="inner", suffixes=("", "_base"))
        for metric in metrics:
            d = (joined[metric] - joined[f"{metric}_base"]).to_numpy(dtype=float)
            rows.append({"augmenter": name, "metric": metric, "mean_diff": float(d.mean()) if d.size else float("nan"),
                         "p_value": wilcoxon_p(d), "n_pairs": int(d.size)})
    return pd.DataFrame(rows, columns=["augmenter", "metric", "mean_diff", "p_value", "n_pairs"])


def wilcoxon_p(d) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired differences `d` (n,); see the module docstring."""
    from scipy import stats

    d = np.asarray(d, dtype=float)
    if d.size == 0:
        return float("nan")
    nonzero = d[np.abs(d) > 1e-12]  # float noise of equal scores counts as a tie
    if nonzero.size < 2:
        return 1.0  # no difference, or one: the exact two-sided p-value of a single pair is 1
    a = np.round(np.abs(nonzero), 12)
    exact = np.unique(a).size == a.size and a.size <= 50
    return float(stats.wilcoxon(nonzero, zero_method="wilcox", method="exact" if exact else "asymptotic").pvalue)
