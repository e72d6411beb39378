"""Classification metrics used across labkit: UAR, WA, macro- and micro-F1, MuSe's combined score, recall.

Definitions (``labels`` fixes the class order; by default the sorted classes of y_true and y_pred):

* ``uar``: unweighted average recall, the mean of per-class recalls over the classes that occur in
  ``y_true``. A class absent from the test fold has no recall (a leave-one-speaker-out fold may lack
  one); averaging over present classes is scikit-learn's ``balanced_accuracy_score``.
* ``wa``: weighted accuracy, i.e. plain accuracy (the fraction of correct predictions).
* ``f1``: macro F1 over the classes in ``y_true`` or ``y_pred`` (a class predicted but never true
  counts with F1 = 0, which is what a spurious prediction deserves); zero_division = 0.
* ``f1_micro``: micro F1 over the same classes. For single-label classification every error is one
  false positive and one false negative, so micro F1 equals accuracy (``wa``) whenever all predicted
  classes are among ``labels``; it is kept under its own name because MuSe reports it as "F1".
* ``combined``: ``0.66 * f1_micro + 0.34 * uar``, the MuSe 2020 score the AAEC paper reports (Table 1;
  its scores are "identical with the baseline", whose F1 is scikit-learn's ``average='micro'``).
  Earlier labkit versions used macro F1 here.
* ``recall``: ``{label: recall}`` for every label; NaN for a label absent from ``y_true``.
* ``confusion``: list of lists, rows the true class, columns the predicted class, in ``labels`` order.
"""

from __future__ import annotations

import numpy as np

from labkit.errors import LabkitError

SCALAR_METRICS = ["uar", "wa", "f1", "f1_micro", "combined"]


def _plain(v):
    """Labels as JSON-friendly Python values (numpy scalars -> int/str)."""
    return v.item() if isinstance(v, np.generic) else v


def scores(y_true, y_pred, labels=None) -> dict:
    """All labkit metrics for one set of predictions.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        True and predicted class labels (ints or strings).
    labels : list, optional
        Class order for ``recall`` and ``confusion``; defaults to the sorted union of both arrays.

    Returns
    -------
    dict with float ``uar``, ``wa``, ``f1``, ``f1_micro``, ``combined``, dict ``recall`` and list-of-lists
    ``confusion``.
    """
    from sklearn.metrics import confusion_matrix, f1_score

    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise LabkitError(f"scores: y_true and y_pred must be 1-D of one length, got {y_true.shape} and {y_pred.shape}")
    if len(y_true) == 0:
        raise LabkitError("scores: no predictions to score (empty test set)")
    if labels is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    labels = list(labels)
    extra = set(np.unique(y_true).tolist()) - set(np.asarray(labels).tolist())
    if extra:
        raise LabkitError(f"scores: y_true holds labels {sorted(extra)} not in labels={labels}")

    cm = confusion_matrix(y_true, y_pred, labels=labels)  # (n_labels, n_labels), rows true
    support = cm.sum(axis=1)
    recall = np.full(len(labels), np.nan)
    present = support > 0
    recall[present] = np.diag(cm)[present] / support[present]
    uar = float(np.mean(recall[present]))
    wa = float(np.mean(y_true == y_pred))
    seen = [lab for lab in labels if lab in set(y_true.tolist()) | set(y_pred.tolist())]
    f1 = float(f1_score(y_true, y_pred, labels=seen, average="macro", zero_division=0))
    f1_micro = float(f1_score(y_true, y_pred, labels=seen, average="micro", zero_division=0))
    return {
        "uar": uar,
        "wa": wa,
        "f1": f1,
        "f1_micro": f1_micro,
        "combined": 0.66 * f1_micro + 0.34 * uar,
        "recall": {_plain(lab): float(r) for lab, r in zip(labels, recall)},
        "confusion": cm.tolist(),
    }


def check_task_result(row: dict, where: str = "task result") -> dict:
    """`row` (a finished task's saved result) unchanged, or a `LabkitError` naming what is wrong with it.

    A task file found in a run is only reused when its numbers can be true (a run store is shared,
    and a hand-edited ``"uar": 5.0`` once showed as a mean UAR of 107 %):

    * every score among `SCALAR_METRICS`, at the top level or under a key ending in ``:<metric>`` /
      ``_<metric>`` (``"emotion:svm:uar"``), is a number in [0, 1] (None and NaN mean "not computed");
    * when the result holds its predictions (``y_true`` and ``y_pred``, as every comparison task
      does), those scores are computed again from them (with the stored ``labels``) and must match
      the stored ones to 1e-9; a mismatch names the metric, the stored and the recomputed value.

    The resume loop calls it on each reused task; a `LabkitError` there means the task is computed again.
    """
    import math

    def is_score(key: str) -> bool:
        return key in SCALAR_METRICS or any(key.endswith((f":{m}", f"_{m}")) for m in SCALAR_METRICS)

    for key, value in row.items():
        if not isinstance(key, str) or not is_score(key) or value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise LabkitError(f"{where}: {key} is {value!r}, not a number")
        if not math.isnan(value) and not 0.0 <= value <= 1.0:
            raise LabkitError(f"{where}: {key} = {value!r} is outside [0, 1]; the file was changed after it was saved")
    y_true, y_pred = row.get("y_true"), row.get("y_pred")
    stored = [m for m in SCALAR_METRICS if isinstance(row.get(m), (int, float)) and not isinstance(row.get(m), bool)]
    if isinstance(y_true, list) and isinstance(y_pred, list) and stored:
        labels = row.get("labels") if isinstance(row.get("labels"), list) else None
        try:
            again = scores(y_true, y_pred, labels=labels)
        except (LabkitError, TypeError, ValueError) as err:
            raise LabkitError(f"{where}: its stored predictions cannot be scored ({err})") from None
        for m in stored:
            if not math.isclose(float(row[m]), again[m], rel_tol=0.0, abs_tol=1e-9):
                raise LabkitError(
                    f"{where}: {m} = {row[m]!r} does not match its stored predictions ({again[m]!r}); "
                    "the file was changed after it was saved"
                )
    return row
