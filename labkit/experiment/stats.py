"""Summaries of many (seed, fold) scores: means with 95 % confidence intervals, paired tests.

How the confidence interval is formed (a choice; the papers report means only):

* Folds of one seed are not independent repetitions of the experiment (they share most of their
  training data), and one fold's score alone is noisy (a leave-one-speaker-out fold is one speaker).
  So, with more than one seed, the scores are first averaged over the folds of each seed, and the
  interval is Student's t interval over the per-seed means (n = number of seeds).
* With a single seed, the interval is the t interval over the folds (n = number of folds); it
  describes the spread over speakers / groups rather than over repetitions.
* With a single value (one seed, one fold) there is no interval: ci_low = ci_high = NaN.

The paired comparison of an augmenter with "none" pairs scores of the same seed and fold (the
folds, the classifier's seed and the test rows are identical; only the augmentation differs) and
reports the mean difference and the two-sided Wilcoxon signed-rank p-value (scipy). All-zero
differences give p = 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def mean_ci(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, ci_low, ci_high) of `values` with a Student t interval; NaN bounds when n < 2.

    Parameters
    ----------
    values : array-like of shape (n,)
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
    return m, m - half, m + half


def seed_fold_ci(tasks: pd.DataFrame, metric: str, confidence: float = 0.95) -> dict:
    """Mean and CI of `metric` over the rows of one augmenter (columns seed, fold, <metric>).

    Returns ``{"mean", "ci_low", "ci_high", "n"}`` following the module docstring's rule.
    """
    seeds = tasks["seed"].unique()
    if len(seeds) > 1:
        values = tasks.groupby("seed")[metric].mean().to_numpy()
    else:
        values = tasks[metric].to_numpy()
    m, lo, hi = mean_ci(values, confidence)
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
    from scipy import stats

    base = tasks[tasks["augmenter"] == baseline].set_index(["seed", "fold"])
    rows = []
    for name, part in tasks.groupby("augmenter", sort=False):
        if name == baseline:
            continue
        joined = part.set_index(["seed", "fold"]).join(base[metrics], rsuffix="_base", how="inner")
        for metric in metrics:
            d = (joined[metric] - joined[f"{metric}_base"]).to_numpy(dtype=float)
            if d.size == 0:
                p = float("nan")
            elif np.all(d == 0):
                p = 1.0
            else:
                p = float(stats.wilcoxon(d, zero_method="zsplit").pvalue) if d.size > 1 else float("nan")
            rows.append({"augmenter": name, "metric": metric, "mean_diff": float(d.mean()) if d.size else float("nan"),
                         "p_value": p, "n_pairs": int(d.size)})
    return pd.DataFrame(rows, columns=["augmenter", "metric", "mean_diff", "p_value", "n_pairs"])
