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

The paired comparison of an augmenter with "none" (`paired_vs`) pairs scores of the same fold (the
test speakers, the folds and the classifier's seeds are identical; only the augmentation differs):

* **Seeds are averaged within each fold first**, then the test runs over folds (n = number of folds).
  Seeds are not independent replicates of the experiment: "none" with an SVM scores the same for
  every seed, and an augmenter's effect on one speaker repeats with every seed. Pooling seed × fold
  pairs, as labkit did before, treats those repeats as new evidence, so adding seeds shrank the
  p-value of an augmenter that does nothing on average (`tests/test_robustness.py` checks that it
  no longer does). Averaging first tests what the folds can support: does the augmenter help across
  speakers (or groups)?
* The test is the two-sided Wilcoxon signed-rank test of the per-fold mean differences (scipy). Zero
  differences are dropped (Wilcoxon's own rule); the exact null distribution is used when the
  remaining |differences| have no ties and there are at most 50, the normal approximation otherwise
  (scipy's default would fall back to a slow permutation test on the ties that fold-level accuracies
  produce all the time). With fewer than two non-zero differences p = 1; with a single fold (split,
  cross) there is nothing to test across and p is NaN.
* **Several augmenters are compared with one baseline**, so the p-values of one metric are corrected
  across the augmenters with Benjamini–Hochberg (false discovery rate;
  `scipy.stats.false_discovery_control`). Both are reported: ``p_value`` (raw) and ``p_adjusted``.

The share of an oracle's gain (`oracle_share`): on a synthetic corpus the oracle augmenters draw new
real samples, the known answer a learned generator is trying to give. An augmenter's share is
``mean_f(d_aug) / mean_f(d_oracle)`` over the same folds (``d``: seed-averaged per-fold differences
from the baseline, as above), so 1 means "as much as more real data", 0 "nothing", below 0 "it hurts".
Its 95 % interval is a paired bootstrap over folds (both differences of a resampled fold move
together). A ratio is meaningless when the oracle itself gains nothing: when the oracle's mean
gain is not above 0 the share is NaN and the table says so.

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


def seed_fold_ci(
    tasks: pd.DataFrame, metric: str, confidence: float = 0.95, bounds: tuple[float, float] | None = (0.0, 1.0)
) -> dict:
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
    """Each augmenter against `baseline` on the same folds, seeds averaged within each fold first.

    Parameters
    ----------
    tasks : DataFrame with columns augmenter, seed, fold and one column per metric (one row per task)
    metrics : the metric columns to compare
    baseline : the augmenter every other one is compared with

    Returns
    -------
    DataFrame with columns ``augmenter, metric, mean_diff, p_value, p_adjusted, n_folds, n_seeds,
    n_pairs``: mean_diff = augmenter − baseline (mean over folds of the per-fold seed means, which is
    the difference of the two augmenters' means when both ran every seed and fold); p_value the raw
    Wilcoxon p over folds, p_adjusted Benjamini–Hochberg across the augmenters of one metric;
    n_folds = n_pairs the folds tested, n_seeds the seeds averaged per fold (see the module docstring).
    """
    columns = ["augmenter", "metric", "mean_diff", "p_value", "p_adjusted", "n_folds", "n_seeds", "n_pairs"]
    rows = []
    for name in dict.fromkeys(tasks["augmenter"]):
        if name == baseline:
            continue
        for metric in metrics:
            per_fold, n_seeds = _fold_differences(tasks, name, baseline, metric)
            d = per_fold.to_numpy(dtype=float)  # (n_folds,) seed-averaged differences
            p = wilcoxon_p(d) if d.size >= 2 else float("nan")
            rows.append(
                {
                    "augmenter": name,
                    "metric": metric,
                    "mean_diff": float(d.mean()) if d.size else float("nan"),
                    "p_value": p,
                    "n_folds": int(d.size),
                    "n_seeds": n_seeds,
                    "n_pairs": int(d.size),
                }
            )
    out = pd.DataFrame(rows, columns=columns)
    out["p_adjusted"] = float("nan")
    for metric, idx in out.groupby("metric", sort=False).groups.items():
        out.loc[idx, "p_adjusted"] = bh_adjust(out.loc[idx, "p_value"].to_numpy(dtype=float))
    return out


def bh_adjust(p_values) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (scipy's `false_discovery_control`); NaNs stay NaN."""
    from scipy.stats import false_discovery_control

    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = false_discovery_control(np.clip(p[ok], 0.0, 1.0), method="bh")
    return out


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


def _fold_differences(tasks: pd.DataFrame, name: str, baseline: str, metric: str) -> tuple[pd.Series, int]:
    """({fold: seed-averaged (name − baseline) difference of `metric`}, seeds averaged per fold), on the
    (seed, fold) pairs both ran: the one pairing rule of `paired_vs` and `oracle_share`."""
    base = tasks.loc[tasks["augmenter"] == baseline, ["seed", "fold", metric]]
    part = tasks.loc[tasks["augmenter"] == name, ["seed", "fold", metric]]
    joined = part.merge(base, on=["seed", "fold"], how="inner", suffixes=("", "_base"))
    per_fold = (joined[metric] - joined[f"{metric}_base"]).groupby(joined["fold"])
    n_seeds = int(joined.groupby("fold")["seed"].nunique().max()) if len(joined) else 0
    return per_fold.mean(), n_seeds


def oracle_share(
    tasks: pd.DataFrame,
    oracle: str,
    metric: str = "uar",
    baseline: str = "none",
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Each augmenter's gain over `baseline` as a share of `oracle`'s gain, paired per fold (module docstring).

    Returns
    -------
    DataFrame with columns ``augmenter, oracle, metric, share, ci_low, ci_high, oracle_gain, n_folds``:
    one row per augmenter other than `baseline` and `oracle`; ``oracle_gain`` is the oracle's mean
    difference from the baseline (the denominator). NaN share when ``oracle_gain <= 0``.
    """
    columns = ["augmenter", "oracle", "metric", "share", "ci_low", "ci_high", "oracle_gain", "n_folds"]
    d_or, _ = _fold_differences(tasks, oracle, baseline, metric)
    rng = np.random.default_rng(seed)
    rows = []
    for name in dict.fromkeys(tasks["augmenter"]):
        if name in (baseline, oracle):
            continue
        d_aug, _ = _fold_differences(tasks, name, baseline, metric)
        folds = d_aug.index.intersection(d_or.index)
        a, o = d_aug.loc[folds].to_numpy(dtype=float), d_or.loc[folds].to_numpy(dtype=float)
        gain = float(o.mean()) if o.size else float("nan")
        share = lo = hi = float("nan")
        if o.size and gain > 0:
            share = float(a.mean() / gain)
            if o.size >= 2:
                idx = rng.integers(0, o.size, size=(n_boot, o.size))  # (n_boot, n_folds) resampled folds
                den = o[idx].mean(axis=1)
                ok = den > 0
                boot = a[idx].mean(axis=1)[ok] / den[ok]
                if boot.size:
                    lo, hi = (float(v) for v in np.quantile(boot, [0.025, 0.975]))
        rows.append(
            {
                "augmenter": name,
                "oracle": oracle,
                "metric": metric,
                "share": share,
                "ci_low": lo,
                "ci_high": hi,
                "oracle_gain": gain,
                "n_folds": int(o.size),
            }
        )
    return pd.DataFrame(rows, columns=columns)
