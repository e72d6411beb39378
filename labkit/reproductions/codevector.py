"""The adversarially-enriched code vector (seed paper 002) on the reproduction framework: Exp 1 and Exp 2.

* ``codevector-exp1 IN_SOURCE --out-of-context OOC_SOURCE``: Table 1. Leave-one-speaker-out over the
  in-context corpus; rows activation and valence (binary high/low); columns baseline (SVM on the d
  features, 88 for eGeMAPS), baseline_fs (SVM after ANOVA-F selection of Ds features), AAE (the
  conditional AAE learnt on the in-context data only, 64-d code, then selection + SVM) and the
  enriched code of each ``--code-sizes`` (64 and 10). UAR with CIs; the chosen Ds per column.
* ``codevector-exp2 ...``: Table 2. The same, with the in-context training side of every fold cut to
  N labelled samples (``--sizes full,500,200,100``) by the ``reduced`` protocol; the AAEs and the SVM
  see only those N (the out-of-context corpus stays whole).
* ``codevector-train ...``: one training of one code on one fold, recording the code space per epoch
  (space ``code``: in-context train / test and out-of-context points) for the dashboard.

One task = one seed x fold (x N in Exp 2). On the fold's training speakers only it (1) standardises
the in-context features (training statistics; the out-of-context corpus with its own), (2) trains
the neighbourhood AAE on the training rows plus the out-of-context corpus and takes each training
row's K cosine-nearest out-of-context rows, (3) per task (activation, valence): Y_io = those
neighbours' label shares, the in-context-only AAE and the enriched codes (`labkit.trainers.codevector`),
(4) per column: a scikit-learn ``Pipeline(StandardScaler, SelectKBest(f_classif), SVC)`` whose Ds
(``SelectKBest``'s k) is chosen by a speaker-grouped inner CV of the training speakers
(`labkit.experiment.classifiers.inner_cv`; GridSearchCV's rule, written out in `fit_svm` so that the
scaler and F-scores are fitted once per inner fold), refitted on the whole training side, and scored
(UAR) on the held-out speaker, (5) after every column is scored, gates each code's AAE (below).
Every AAE is checkpointed in the run (``checkpoints/<task key>-<training>.pt``, ``--checkpoint-every``),
so a killed task resumes mid-training with the result it would have had; the checkpoints are deleted
once the task is saved.

The gate (`labkit.metrics.gate`) and what it judges here
--------------------------------------------------------
No experiment of the paper samples anything: the SVM is trained and tested on the codes G(x) of real
utterances, and the decoder F exists only for L_rec. The claim therefore rests on the *training* of
each conditional AAE, not on generated rows, and "not reproduced" only means something if that
training learned the data. The gate judges the one generative path the model has: decoder draws
F(z, y), z ~ N(0, I) (the prior L_adv matches the codes to), one per real training row of each class
(`labkit.trainers.codevector.generate`), against the fold's standardised real training rows (the
space the AAE was trained in; speakers as groups), for every code (the in-context AAE and each
enriched size) of every task and fold. Codes in the code space were the alternative; a prior draw has
no class there (the class goes to the decoder), so fidelity could not be measured. The neighbourhood
AAE is unconditional and only supplies neighbours, so it is not gated. The gate runs after every SVM
is fitted and scored, with a generator of its own, so the scores are the same with and without it.
The table's findings print one gate line per code (fold means) and each claim's verdict through it
(`labkit.reproductions.common.gated_verdict`): Table 1, an enriched code beats the baselines and beats
the in-context AAE; Table 2, an enriched code beats baseline_fs at every reduced N.

Labels (`binary_labels`)
------------------------
The paper binarises mean ratings at the scale's midpoint: CreativeIT / VAM / NNIME ``[-1, 0]`` low,
``(0, 1]`` high; IEMOCAP ``[1, 3)`` low, ``[3, 5]`` high. So:

* a table with raw ratings (``arousal_rating`` / ``valence_rating``, IEMOCAP's loader keeps them):
  rating >= 3 is high (IEMOCAP's rule); rows without a rating fall back to the classes below.
* categorical corpora: the 3-level classes of `labkit.data.schema` (category -> arousal / valence):
  2 is high, 0 is low, and the medium / neutral class 1 follows ``--medium``: ``low`` by default,
  because the paper's rule for its in-context corpora puts the midpoint itself (a rating of exactly
  0, i.e. neither low nor high) in the low class; ``high`` or ``drop`` (leave those utterances out
  of that task) are the alternatives. On the embedded corpus (EMO-DB's seven categories) that makes
  activation 3 high (anger, fear, happiness) vs 4 low categories, and valence 1 high (happiness)
  vs 6 low: valence is strongly imbalanced, which UAR and the class-balanced SVM take into account.

Choices where the paper is vague (and why)
------------------------------------------
* The SVM: linear kernel, ``class_weight="balanced"`` (the paper says "SVM" only; UAR is its
  metric, and an unweighted SVM on an imbalanced binary task predicts the majority class). The
  features are standardised (inside the pipeline, training statistics). ``--classifier svm-rbf``
  is offered.
* Its C (``--tune``, the default of ``labkit reproduce``): chosen in every fold by a speaker-grouped
  inner CV on the fold's *real* training rows (`tuned_for_fold`: scaler -> SVM on the in-context
  features, `labkit.experiment.classifiers.tune_on_real`), once per (seed, fold) and task, kept in
  the run (``cache/tuning-s<seed>-f<fold>.json``; Exp 2 ``tuning-n<N>-s<seed>-f<fold>.json``) and used
  by every column of the fold, each of which still chooses its own Ds. The same C for every column
  keeps the comparison about the representation; searching C per column on the codes would need
  the AAEs retrained in every inner fold to be fair. ``--no-tune`` keeps ``--C`` (default 1): the
  behaviour and the run identity (``"tune": false``) of runs made before tuning was the default.
  ``--tune`` adds the key ``"tuning": "fold-real-rows"``: runs made with the earlier ``--tune``
  (C searched with Ds in every column) are another identity and do not resume into it.
* Ds grid: every k up to 10, then 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, ... and d itself
  (`ds_grid`); the paper's reported Ds (1, 2, 4, 7, 8, 9, 16, 26, 36, 38, 45, 78) suggest a fine grid.
* The inner CV selects Ds on codes of the AAE trained on the whole training side (retraining the
  AAEs for every inner split would triple the cost). The inner validation speakers have therefore
  shaped the code the SVM is tuned on, a mild optimism of the *inner* score only: the held-out test
  speaker reaches nothing that is fitted (`tests/test_codevector.py` spies on every fit).
* "AAE" is the conditional AAE of the proposed model with L_per switched off (preset ``aae-64``), so
  the only difference from the enriched column is the out-of-context term.
* The reported UAR is the mean of the per-fold UARs (each held-out speaker counts once), with the CI
  rule of `labkit.experiment.stats`; the UAR of the pooled predictions is in ``--json`` too. The
  paper does not say which it reports.
* Exp 2's N samples are drawn per fold, stratified by emotion category (``reduced``'s default),
  with a different draw per seed; one draw serves both tasks, so the neighbourhood AAE is shared.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from labkit.experiment.tables import Column, PaperTable, ci_note
from labkit.reproductions import common
from labkit.reproductions.base import Experiment, Plan, Report, slug, summary_by, summary_frame
from labkit.reproductions.common import add_corpus_arguments, check_options, describe, paired_record, task_grid

if TYPE_CHECKING:
    import numpy as np

PAPER = "Adversarially-enriched acoustic code vector from out-of-context corpora (paper 002)"

DIMENSIONS = {"activation": "arousal", "valence": "valence"}  # task -> utterance-table column
SHORT = {"activation": "Act.", "valence": "Val."}
CLASS_NAMES = ("low", "high")
DEFAULT_PAIR = ("synthetic:incontext", "synthetic:outofcontext")

# ----------------------------------------------------------------------------- the paper's numbers
# Table 1, UAR in % and the Ds printed beside it: in-context corpus -> task -> column -> (UAR, Ds).
PAPER_BASELINES = {
    "creativeit": {
        "activation": {"baseline": (62.9, 88), "baseline_fs": (64.6, 36), "aae": (64.1, 16)},
        "valence": {"baseline": (52.3, 88), "baseline_fs": (53.4, 36), "aae": (52.7, 16)},
    },
    "vam": {
        "activation": {"baseline": (72.8, 88), "baseline_fs": (76.9, 9), "aae": (74.7, 38)},
        "valence": {"baseline": (52.2, 88), "baseline_fs": (52.9, 78), "aae": (56.6, 38)},
    },
}
# (in-context, out-of-context) -> task -> code size -> (UAR, Ds). The CreativeIT + NNIME activation
# cell prints "D=45" (taken as Ds = 45).
PAPER_ENRICHED = {
    ("creativeit", "iemocap"): {
        "activation": {64: (65.7, 26), 10: (66.1, 4)},
        "valence": {64: (55.3, 26), 10: (54.3, 4)},
    },
    ("creativeit", "nnime"): {
        "activation": {64: (66.0, 45), 10: (66.1, 8)},
        "valence": {64: (55.7, 45), 10: (55.0, 1)},
    },
    ("vam", "iemocap"): {"activation": {64: (75.5, 26), 10: (75.2, 4)}, "valence": {64: (63.0, 7), 10: (58.4, 2)}},
    ("vam", "nnime"): {"activation": {64: (76.1, 45), 10: (76.1, 7)}, "valence": {64: (60.9, 7), 10: (59.3, 1)}},
}
# Table 2: the sizes each in-context corpus was cut to, and UAR (%) at those sizes.
PAPER_SIZES = {"creativeit": ("full", "500", "200"), "vam": ("full", "500", "100")}
PAPER_EXP2_FS = {
    "creativeit": {"activation": (64.6, 61.5, 60.1), "valence": (53.4, 53.9, 53.3)},
    "vam": {"activation": (76.9, 75.5, 72.5), "valence": (52.9, 52.0, 50.0)},
}
PAPER_EXP2_ENRICHED = {
    ("creativeit", "iemocap"): {
        "activation": {64: (65.7, 66.5, 64.7), 10: (66.1, 66.2, 65.8)},
        "valence": {64: (55.3, 61.1, 56.0), 10: (54.3, 57.5, 55.0)},
    },
    ("creativeit", "nnime"): {
        "activation": {64: (66.0, 66.7, 64.8), 10: (66.1, 66.2, 64.0)},
        "valence": {64: (55.7, 60.6, 57.1), 10: (55.0, 58.0, 55.3)},
    },
    ("vam", "iemocap"): {
        "activation": {64: (75.5, 75.6, 72.5), 10: (75.2, 75.9, 73.8)},
        "valence": {64: (63.0, 62.6, 57.8), 10: (58.4, 60.8, 57.5)},
    },
    ("vam", "nnime"): {
        "activation": {64: (76.1, 76.6, 73.7), 10: (76.1, 76.3, 73.7)},
        "valence": {64: (60.9, 63.7, 58.0), 10: (59.3, 60.3, 57.8)},
    },
}
PAPER_PAIRS = [f"{a}-{b}" for a, b in PAPER_ENRICHED]
PAPER_CORPORA = {
    "creativeit": "USC CreativeIT (16 actors, 2162 utterances)",
    "vam": "VAM (German talk show, 947 utterances)",
    "iemocap": "IEMOCAP (10 actors, 6905 utterances)",
    "nnime": "NNIME (44 subjects, 6509 utterances)",
}


# ----------------------------------------------------------------------------- labels and data
def binary_labels(meta, dimension: str, medium: str = "low", threshold: float = 3.0):
    """High (1) / low (0) labels of `dimension` ("activation" or "valence") for every row; -1 = left out.

    Raw ratings (``<column>_rating``, e.g. IEMOCAP's 1-5 means) split at `threshold` (>= is high);
    otherwise, and for rows without a rating, the 3-level class: 2 high, 0 low, 1 as `medium` says
    ("low", "high" or "drop" = -1). See the module docstring.
    """
    import numpy as np

    from labkit.errors import LabkitError

    if dimension not in DIMENSIONS:
        raise LabkitError(f"unknown task {dimension!r}; choose activation or valence")
    if medium not in ("low", "high", "drop"):
        raise LabkitError(f"--medium must be low, high or drop, got {medium!r}")
    col = DIMENSIONS[dimension]
    cls = meta[col].to_numpy().astype(int)
    out = np.where(cls == 2, 1, np.where(cls == 0, 0, {"low": 0, "high": 1, "drop": -1}[medium]))
    rating_col = f"{col}_rating"
    if rating_col in meta.columns:
        r = meta[rating_col].to_numpy(dtype=float)
        has = np.isfinite(r)
        out = np.where(has, (r >= threshold).astype(int), out)
    return out.astype(np.int64)


def load_features(source: str, feature_set: str, skip_bad: bool, progress: bool):
    """The corpus `source` (every emotion) and its functionals (`labkit.reproductions.common.load_features`)."""
    return common.load_features(source, None, feature_set, skip_bad, progress)


def check_disjoint(meta_in, meta_o, in_source: str, ooc_source: str) -> None:
    """Refuse an out-of-context corpus sharing speaker ids or audio files with the in-context one."""
    from labkit.errors import LabkitError

    shared = sorted(set(meta_in["speaker"].astype(str)) & set(meta_o["speaker"].astype(str)))
    if shared:
        raise LabkitError(
            f"the out-of-context corpus {ooc_source} shares speaker ids with the in-context corpus "
            f"{in_source}: {', '.join(shared[:5])}{' ...' if len(shared) > 5 else ''}; it is used "
            "whole for training, so it must not hold in-context (test) speakers"
        )
    if "path" in meta_in.columns and "path" in meta_o.columns:
        files = sorted(set(meta_in["path"].astype(str)) & set(meta_o["path"].astype(str)))
        if files:
            raise LabkitError(f"{ooc_source} and {in_source} share {len(files)} audio file(s), e.g. {files[0]}")


def _check_labels(labels: dict, source: str, medium: str) -> None:
    import numpy as np

    from labkit.errors import LabkitError

    for dim, y in labels.items():
        present = set(np.unique(y[y >= 0]).tolist())
        if present != {0, 1}:
            raise LabkitError(
                f"{source}: the {dim} task needs both high and low utterances, found only "
                f"{[CLASS_NAMES[c] for c in sorted(present)] or 'none'} (--medium {medium})"
            )


def _describe(source: str, feats, labels: dict) -> str:
    import numpy as np

    counts = "; ".join(
        f"{dim} high {int(np.sum(y == 1))} / low {int(np.sum(y == 0))}"
        + (f" / left out {int(np.sum(y < 0))}" if np.any(y < 0) else "")
        for dim, y in labels.items()
    )
    return describe(source, feats, counts)


# ----------------------------------------------------------------------------- SVM after ANOVA-F selection
# fmt: off
_STEPS = [*range(1, 11), 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 128, 160, 192, 256, 384, 512, 768,
          1024, 1536, 2048, 3072, 4096, 6144]
# fmt: on


def ds_grid(d: int) -> list[int]:
    """Candidate Ds (dimensions kept by the ANOVA-F selection) for d features: fine up to 10, then coarser, and d."""
    return sorted({k for k in _STEPS if k < d} | {int(d)})


def fit_svm(
    X,
    y,
    groups,
    *,
    select: bool,
    classifier: str = "svm-linear",
    C: float = 1.0,
    params: dict | None = None,
    random_state: int = 0,
):
    """Fit ``StandardScaler -> [SelectKBest(f_classif) ->] SVC`` on one training side.

    With `select`, Ds (SelectKBest's k) is chosen from `ds_grid` by a speaker-grouped inner CV
    (`labkit.experiment.classifiers.inner_cv`: GroupKFold on `groups`, the training speakers), scored by
    UAR (balanced accuracy) and averaged over the inner folds; the best k (the smallest on ties, as
    GridSearchCV picks) is refitted on all rows. This is GridSearchCV over the pipeline, written out
    so that each inner fold fits its scaler and F-scores once and only the SVM once per k.

    `params` are the SVM's values chosen by ``--tune`` on the fold's real rows (`tuned_for_fold`), as
    written in `labkit.experiment.classifiers.TUNING_GRIDS` (``C``; for svm-rbf also ``gamma``, whose
    "k/d" values are resolved against the dimensions the SVM sees, Ds); they replace `C`.

    Returns
    -------
    (fitted pipeline, {"ds": int, "C": float, "inner_uar": float or nan})
    """
    import warnings

    import numpy as np
    from sklearn.base import clone
    from sklearn.feature_selection import SelectKBest, f_classif
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from labkit.experiment.classifiers import inner_cv, make_classifier

    X = np.asarray(X, dtype=np.float64)
    y, groups = np.asarray(y), np.asarray(groups)
    d = X.shape[1]
    chosen = {"C": C, **{k: v for k, v in (params or {}).items() if k != "inner_uar"}}
    svm = make_classifier(classifier, random_state=random_state, class_weight="balanced")

    def with_params(k: int):  # the SVM for k selected dimensions ("k/d" grid values resolved for d = k)
        return clone(svm).set_params(**{p: _per_dimension(v, k) for p, v in chosen.items()})

    ks = ds_grid(d) if select else [d]
    best = {"ds": d, "C": float(chosen["C"]), "inner_uar": float("nan")}
    with warnings.catch_warnings():
        # constant code dimensions (f_classif) and inner folds lacking a class (balanced accuracy) warn
        warnings.simplefilter("ignore", category=UserWarning)
        warnings.simplefilter("ignore", category=RuntimeWarning)
        if len(ks) > 1:
            score = np.zeros(len(ks))  # mean inner-fold UAR per k
            splits = list(inner_cv(groups).split(X, y, groups))
            for fit_idx, val_idx in splits:
                scaler = StandardScaler().fit(X[fit_idx])
                A, B = scaler.transform(X[fit_idx]), scaler.transform(X[val_idx])
                selector = SelectKBest(f_classif, k="all").fit(A, y[fit_idx])  # F-scores of the inner fit rows
                for j, k in enumerate(ks):
                    cols = selector.set_params(k=k).get_support()
                    clf = with_params(k).fit(A[:, cols], y[fit_idx])
                    score[j] += balanced_accuracy_score(y[val_idx], clf.predict(B[:, cols])) / len(splits)
            j = int(np.argmax(score))  # first maximum: the smallest k
            best = {"ds": int(ks[j]), "C": float(chosen["C"]), "inner_uar": float(score[j])}
        steps = [("scale", StandardScaler())]
        if select:
            steps.append(("select", SelectKBest(f_classif, k=best["ds"])))
        steps.append(("classify", with_params(best["ds"])))
        pipe = Pipeline(steps).fit(X, y)
    return pipe, best


def _per_dimension(value, n_features: int):
    """A grid value for an SVM on `n_features` dimensions: "k/d" is k / n_features (TUNING_GRIDS' notation)."""
    if isinstance(value, str) and value.endswith("/d"):
        return float(value[:-2]) / n_features
    return value


def tuned_for_fold(run, key: str, X, labels: dict, groups, classifier: str) -> dict:
    """{task: {"C": ..., "inner_uar": ...}}: the SVM's values chosen on one fold's real training rows.

    One speaker-grouped inner CV per task (`labkit.experiment.classifiers.tune_on_real`: scaler -> SVM
    on the raw in-context features of the training speakers, `TUNING_GRIDS`), run once per (seed,
    fold) and kept in the run (``cache/tuning-<key>.json``, written atomically), so that a task that
    resumes after a kill reads it instead of searching again. Every column of the fold (the
    baselines and every code) classifies with the chosen values; each column still chooses its own Ds.
    `run` None: computed, not kept.
    """
    import json

    from labkit.experiment import classifiers
    from labkit.utils import write_json_atomic

    path = None if run is None else run.cache_path(f"tuning-{key}.json")
    wanted = {"classifier": classifier, "tasks": sorted(labels)}
    if path is not None and path.is_file():
        try:
            cached = json.loads(path.read_text())
            if {k: cached.get(k) for k in wanted} == wanted:
                return cached["tuned"]
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file: computed again and rewritten
    tuned = {}
    for task, y in labels.items():
        keep = y >= 0
        _, tuned[task] = classifiers.tune_on_real(
            classifier, X[keep], y[keep], groups[keep], 0, classifier_params={"class_weight": "balanced"}
        )
    plain = json.loads(json.dumps(tuned, default=float))
    if path is not None:
        write_json_atomic(path, {**wanted, "tuned": plain})
    return plain


def _score(pipe, X, y) -> dict:
    """UAR of `pipe` on (X, y) and the 2x2 confusion counts (rows true low/high, columns predicted)."""
    import warnings

    import numpy as np

    from labkit.experiment.metrics import scores

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        pred = pipe.predict(np.asarray(X, dtype=np.float64))
    s = scores(y, pred, labels=[0, 1])
    return {"uar": s["uar"], "cm": s["confusion"]}


# ----------------------------------------------------------------------------- one fold
def method_names(code_sizes) -> list[str]:
    """The table's columns: baseline, baseline_fs, aae, enriched-<c> for every code size."""
    return ["baseline", "baseline_fs", "aae"] + [f"enriched-{c}" for c in code_sizes]


def evaluate_fold(
    X_train,
    labels_train: dict,
    groups_train,
    X_test,
    labels_test: dict,
    X_o,
    labels_o: dict,
    settings: dict,
    seed: int,
    device=None,
    recorder_factory=None,
    on_trained=None,
    tuned: dict | None = None,
    checkpoint=None,
    gate: bool = False,
    fold: int | None = None,
    size: str = "full",
) -> dict:
    """Every column of the table on one fold; nothing sees a test row before the scoring.

    Parameters
    ----------
    X_train : (n, d) raw features of the training side; labels_train {task: (n,) 0/1, -1 = left out};
        groups_train (n,) the training rows' speakers (the inner CV's groups)
    X_test, labels_test : the held-out side, used only to score the fitted pipelines
    X_o : (N_o, d) raw out-of-context features; labels_o {task: (N_o,) 0/1/-1}
    settings : {"code_sizes", "aae_size", "epochs", "k", "classifier", "C", "methods", ...} (its "tune" is read
        by `fold_task`, which passes `tuned`)
    seed : seeds every AAE of this fold
    recorder_factory : optional callable(task, method, Xtr, ytr, Xte, yte, Xo, yo) -> an ``on_epoch`` hook
        for `labkit.trainers.codevector.train` (e.g. a `CodeSpaceRecorder`) or None; the arrays are the
        standardised rows the code sees (Xo, yo: every out-of-context row, None without L_per)
    on_trained : optional callable(task, method, TrainResult) after each code is trained
    tuned : {task: the SVM's values chosen on the fold's real rows} (`tuned_for_fold`, ``--tune``) or
        None (every SVM has ``settings["C"]``)
    checkpoint : optional callable(name) -> `labkit.trainers.common.Checkpoint` or None, for each
        training: ``"knn"`` (the neighbourhood AAE) and ``"<task>-<method>"`` (a code)
    gate : after every column is scored, gate each code's conditional AAE (`gate_codes`); the
        scores do not change
    fold, size : the fold's number and Exp 2's size, for the gate's records and labels

    Returns
    -------
    {"<task>:<method>:uar": float, "<task>:<method>:ds": int, "<task>:<method>:cm": 2x2 list, ...,
     "seconds": {...}, "gate": {label: GateResult.to_dict()} (with `gate`)}
    """
    import time

    import numpy as np
    from sklearn.preprocessing import StandardScaler

    from labkit.models.codevector import knn_label_distribution, make_config
    from labkit.trainers import codevector as trainer
    from labkit.utils import pick_device

    device = pick_device(device)  # chosen once for the fold, passed down to every training

    methods = settings["methods"]
    d = X_train.shape[1]
    t0 = time.perf_counter()
    out: dict = {}
    seconds: dict = {}

    # ---- standardise each corpus with its own statistics (in-context: the training side only)
    scaler_in = StandardScaler().fit(X_train)
    Xtr, Xte = scaler_in.transform(X_train).astype(np.float32), scaler_in.transform(X_test).astype(np.float32)
    need_ooc = any(m.startswith("enriched-") for m in methods)
    budget = {"epochs": int(settings["epochs"]), "k_neighbours": int(settings["k"]), "n_features": d, "seed": int(seed)}
    ckpt = checkpoint or (lambda name: None)
    codes = []  # (task, method, TrainResult, its training rows' mask) of every code, for the gate

    # ---- the neighbourhood space: one plain AAE on the training rows and the out-of-context corpus
    if need_ooc:
        Xo = StandardScaler().fit_transform(X_o).astype(np.float32)
        t = time.perf_counter()
        E_in, E_o, _ = trainer.neighbourhood_space(
            Xtr, Xo, make_config("knn-aae", **budget), device=device, checkpoint=ckpt("knn")
        )
        seconds["neighbourhood"] = time.perf_counter() - t

    for task, y_all in labels_train.items():
        tr, te = y_all >= 0, labels_test[task] >= 0
        ytr, yte = y_all[tr], labels_test[task][te]
        if te.sum() == 0:
            continue  # this held-out speaker has no utterance of this task (--medium drop)
        if need_ooc:
            # ---- Y_io: label shares of each training row's K cosine-nearest out-of-context rows
            lab = labels_o[task] >= 0
            y_io = knn_label_distribution(
                E_in[np.flatnonzero(tr)],
                E_o[np.flatnonzero(lab)],
                _torch_long(labels_o[task][lab]),
                int(settings["k"]),
                2,
            )
            # how much of its own label a row's neighbours carry, against random neighbours' share
            own = y_io[np.arange(len(ytr)), ytr].numpy()
            base = np.where(ytr == 1, labels_o[task][lab].mean(), 1 - labels_o[task][lab].mean())
            out[f"{task}:knn_own_label"] = float(own.mean())
            out[f"{task}:knn_chance"] = float(base.mean())
        for method in methods:
            t = time.perf_counter()
            if method in ("baseline", "baseline_fs"):
                # ---- baseline: SVM on the d standardised features; baseline_fs: after ANOVA-F selection
                pipe, info = fit_svm(
                    X_train[tr],
                    ytr,
                    groups_train[tr],
                    select=method == "baseline_fs",
                    classifier=settings["classifier"],
                    C=settings["C"],
                    params=(tuned or {}).get(task),
                )
                res = _score(pipe, X_test[te], yte)
            else:
                # ---- a code: the in-context AAE (no L_per) or the enriched code (L_per from the kNN labels)
                if method == "aae":
                    cfg = make_config("aae-64", **budget, code_size=int(settings["aae_size"]))
                else:
                    cfg = make_config("enriched-64", **budget, code_size=int(method.split("-")[1]))
                rec = None
                if recorder_factory is not None:
                    rec = recorder_factory(
                        task,
                        method,
                        Xtr[tr],
                        ytr,
                        Xte[te],
                        yte,
                        Xo if need_ooc else None,
                        labels_o[task] if need_ooc else None,
                    )
                r = trainer.train(
                    Xtr[tr],
                    cfg,
                    y=ytr,
                    y_aux=None if method == "aae" else y_io,
                    device=device,
                    on_epoch=rec,
                    checkpoint=ckpt(f"{task}-{method}"),
                    desc=f"{task} {method}",
                )
                if on_trained is not None:
                    on_trained(task, method, r)
                codes.append((task, method, r, tr))
                Ztr, Zte = trainer.encode(r.model, Xtr[tr]), trainer.encode(r.model, Xte[te])
                pipe, info = fit_svm(
                    Ztr,
                    ytr,
                    groups_train[tr],
                    select=True,
                    classifier=settings["classifier"],
                    C=settings["C"],
                    params=(tuned or {}).get(task),
                )
                res = _score(pipe, Zte, yte)
                out[f"{task}:{method}:loss_rec"] = r.history[-1]["loss_rec"]
                out[f"{task}:{method}:loss_per"] = r.history[-1]["loss_per"]
            out[f"{task}:{method}:uar"] = res["uar"]
            out[f"{task}:{method}:ds"] = info["ds"]
            out[f"{task}:{method}:C"] = info["C"]
            out[f"{task}:{method}:cm"] = res["cm"]
            seconds[f"{task}:{method}"] = time.perf_counter() - t
    if gate:
        # ---- the gate, after every column is scored: each code's decoder draws against the real rows
        t = time.perf_counter()
        out["gate"] = gate_codes(codes, Xtr, labels_train, groups_train, seed=int(seed), fold=fold, size=size)
        seconds["gate"] = time.perf_counter() - t
    out["seconds"] = time.perf_counter() - t0
    out["seconds_by_part"] = seconds
    return out


def gate_label(task: str, method: str, size: str = "full") -> str:
    """The gate's name of one code's AAE: ``"activation enriched-64"`` (Exp 2 adds ``" N=200"``)."""
    return f"{task} {method}" + ("" if str(size) == "full" else f" N={size}")


def gate_codes(codes, Xtr, labels_train: dict, groups_train, *, seed: int, fold: int | None, size: str = "full"):
    """`labkit.reproductions.common.gate_record` of every code's conditional AAE on one fold.

    Each (task, method, TrainResult, mask) of `codes` is gated (`labkit.metrics.gate.gate`) with its
    decoder's draws F(z, y), z ~ N(0, I) (`labkit.trainers.codevector.generate`), one per real training
    row of each class, against those real rows: the standardised training rows `Xtr` the AAE was
    trained on, their labels of the task and their speakers as groups. A code whose rows are too few
    for the gate's measures is left out (None).
    """
    import numpy as np

    from labkit.errors import LabkitError
    from labkit.metrics.gate import gate
    from labkit.trainers.codevector import generate

    results = {}
    for i, (task, method, r, mask) in enumerate(codes):
        y_real = labels_train[task][mask]
        y_gen = np.sort(y_real)  # one draw per real row of each class
        label = gate_label(task, method, size)
        try:
            X_gen = generate(r.model, y_gen, seed=1000 * int(seed) + i)
            results[label] = gate(
                Xtr[mask], y_real, X_gen, y_gen, groups=groups_train[mask], generator=label, fold=fold, seed=seed
            )
        except (LabkitError, ValueError):
            # too few rows for the gate's k neighbours, or a speaker split without one class (a tiny
            # Exp 2 size): this code is not gated on this fold, and the task's scores stand
            results[label] = None
    return common.gate_record(results)


def _torch_long(a):
    import torch

    return torch.as_tensor(a, dtype=torch.long)


# ----------------------------------------------------------------------------- options and plan
def _add_arguments(p: argparse.ArgumentParser, exp: str) -> None:
    add_corpus_arguments(
        p,
        source_metavar="IN_SOURCE",
        source_help="the in-context corpus (evaluated leave-one-speaker-out): synthetic:incontext, "
        "synthetic:DIR, emodb:PATH, ravdess:PATH, cremad:PATH, iemocap:PATH or csv:PATH "
        "(default: %(default)s)",
        source_kwargs={"nargs": "?", "default": DEFAULT_PAIR[0]},
        features="egemaps",
        features_choices=None,  # checked by _load, which names the bad value
        features_help="functionals: egemaps (88, the paper's), is10, compare, emobase (default: %(default)s)",
        threads_help="torch CPU threads per task (default: %(default)s; the AAEs are small)",
    )
    p.add_argument(
        "--out-of-context",
        dest="out_of_context",
        default=None,
        metavar="OOC_SOURCE",
        help="the larger out-of-context corpus, used whole for training (its speakers must not occur "
        f"in IN_SOURCE); default {DEFAULT_PAIR[1]} when IN_SOURCE is {DEFAULT_PAIR[0]}",
    )
    if exp != "train":
        p.add_argument(
            "--code-sizes",
            default="64,10",
            metavar="C,C",
            help="code sizes of the enriched columns (default: %(default)s, the paper's)",
        )
        p.add_argument(
            "--aae-size",
            type=int,
            default=64,
            metavar="C",
            help="code size of the AAE column, trained on in-context data only (default: %(default)s)",
        )
    p.add_argument(
        "--epochs",
        type=int,
        default=100,
        help="training epochs of every AAE (the paper: 100-300; default: %(default)s)",
    )
    p.add_argument(
        "--k",
        type=int,
        default=10,
        help="K, the out-of-context neighbours whose labels form Y_io (not in the paper; default: %(default)s)",
    )
    p.add_argument(
        "--medium",
        default="low",
        choices=["low", "high", "drop"],
        help="what the medium / neutral class of a categorical corpus becomes in the binary tasks "
        "(default: %(default)s, the paper's midpoint rule; see labkit.reproductions.codevector)",
    )
    p.add_argument(
        "--classifier",
        default="svm-linear",
        choices=["svm-linear", "svm-rbf"],
        help="the SVM after the ANOVA-F selection (default: %(default)s)",
    )
    p.add_argument("--C", dest="C", type=float, default=1.0, help="the SVM's C without --tune (default: %(default)s)")
    p.add_argument(
        "--checkpoint-every",
        type=int,
        default=10,
        metavar="N",
        help="checkpoint every AAE every N epochs, so a killed task resumes mid-training (deleted when the "
        "task is saved); 0 = off (default: %(default)s)",
    )
    if exp != "train":
        p.add_argument(
            "--paper-table",
            default="creativeit-iemocap",
            choices=PAPER_PAIRS,
            help="which of the paper's in-context / out-of-context pairs is printed under ours (default: %(default)s)",
        )
    if exp == "exp2":
        p.add_argument(
            "--sizes",
            default="full,500,200,100",
            metavar="N,N",
            help="labelled in-context training samples per fold: 'full' and counts (default: "
            "%(default)s; counts above a fold's training side are skipped with a note)",
        )


def _settings(args) -> dict:
    from labkit.errors import LabkitError

    try:
        sizes = [int(c) for c in str(args.code_sizes).split(",") if c.strip()]
    except ValueError:
        raise LabkitError(f"--code-sizes must be comma-separated whole numbers, got {args.code_sizes!r}") from None
    if not sizes or any(c < 1 for c in sizes) or len(set(sizes)) != len(sizes):
        raise LabkitError(f"--code-sizes must be distinct whole numbers >= 1, got {args.code_sizes!r}")
    check_options(args)
    if args.checkpoint_every < 0:
        raise LabkitError(f"--checkpoint-every must be >= 0, got {args.checkpoint_every}")
    for name in ("epochs", "k", "aae_size"):
        if getattr(args, name) < 1:
            raise LabkitError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if not (args.C > 0 and math.isfinite(args.C)):
        raise LabkitError(f"--C must be a positive number, got {args.C}")
    return {
        "code_sizes": sizes,
        "aae_size": int(args.aae_size),
        "epochs": int(args.epochs),
        "k": int(args.k),
        "classifier": args.classifier,
        "C": float(args.C),
        "tune": bool(getattr(args, "tune", False)),
        "medium": args.medium,
        "features": args.features,
        "methods": method_names(sizes),
    }


def _sources(args) -> tuple[str, str]:
    from labkit.errors import LabkitError

    ooc = args.out_of_context
    if ooc is None:
        if args.source != DEFAULT_PAIR[0]:
            raise LabkitError(
                "--out-of-context OOC_SOURCE is required (the larger corpus that enriches the code), "
                f"unless IN_SOURCE is {DEFAULT_PAIR[0]}"
            )
        ooc = DEFAULT_PAIR[1]
    if ooc == args.source:
        raise LabkitError(f"the in-context and out-of-context corpora are the same source {ooc!r}")
    return args.source, ooc


def _load(args, settings: dict) -> dict:
    """Both corpora, their features and binary labels, checked (before a run directory exists)."""
    from labkit.errors import LabkitError
    from labkit.features import FEATURE_SETS

    if settings["features"] not in FEATURE_SETS or settings["features"] in ("spectrogram", "logmel"):
        raise LabkitError(
            f"--features must be a set of functionals (egemaps, is10, compare, emobase), got {settings['features']!r}"
        )
    in_src, ooc_src = _sources(args)
    progress = not args.json
    f_in = load_features(in_src, settings["features"], args.skip_bad, progress)
    f_o = load_features(ooc_src, settings["features"], args.skip_bad, progress)
    check_disjoint(f_in.meta, f_o.meta, in_src, ooc_src)
    if f_in.meta["speaker"].nunique() < 3:
        raise LabkitError(
            f"{in_src}: leave-one-speaker-out with an inner speaker-independent CV needs at least 3 "
            f"speakers, it has {f_in.meta['speaker'].nunique()}"
        )
    labels_in = {t: binary_labels(f_in.meta, t, settings["medium"]) for t in DIMENSIONS}
    labels_o = {t: binary_labels(f_o.meta, t, settings["medium"]) for t in DIMENSIONS}
    _check_labels(labels_in, in_src, settings["medium"])
    _check_labels(labels_o, ooc_src, settings["medium"])
    n_o = min(int((y >= 0).sum()) for y in labels_o.values())
    if settings["k"] > n_o:
        raise LabkitError(f"--k {settings['k']} is larger than the out-of-context corpus ({n_o} labelled samples)")
    description = f"in-context {_describe(in_src, f_in, labels_in)}. Out-of-context {_describe(ooc_src, f_o, labels_o)}"
    return {
        "in_source": in_src,
        "ooc_source": ooc_src,
        "meta_in": f_in.meta,
        "X_in": f_in.X,
        "X_o": f_o.X,
        "labels_in": labels_in,
        "labels_o": labels_o,
        "groups": f_in.meta["speaker"].astype(str).to_numpy(),
        "description": description,
        "n_features": int(f_in.X.shape[1]),
    }


def _set_threads(args) -> None:
    import torch

    torch.set_num_threads(int(args.threads))


@dataclass(frozen=True, eq=False)
class CodeVectorContext:
    """What every fold task needs (`Plan.context`; pickled to the workers)."""

    X_in: np.ndarray  # (N, d) raw in-context features (each task standardises its training side)
    labels_in: dict  # {task: (N,) int64 0 low / 1 high / -1 left out} (`binary_labels`)
    groups: np.ndarray  # (N,) in-context speaker ids: the inner CV's groups
    X_o: np.ndarray  # (N_o, d) raw out-of-context features, used whole for training
    labels_o: dict  # {task: (N_o,) int64 0 / 1 / -1} of the out-of-context corpus
    folds: dict  # {fold-list key (a task's "folds"): [(name, train_idx, test_idx)]}
    settings: dict  # `evaluate_fold`'s settings (code sizes, epochs, k, classifier, C, tune, methods, ...)
    device: str | None  # torch device of every AAE (--device; None: the trainer picks CUDA when available)
    threads: int  # torch CPU threads per task (--threads)
    checkpoint_every: int  # checkpoint every training every N epochs, so a killed task resumes mid-training; 0 = off


def _context(data: dict, settings: dict, folds: dict, args) -> CodeVectorContext:
    return CodeVectorContext(
        X_in=data["X_in"],
        labels_in=data["labels_in"],
        groups=data["groups"],
        X_o=data["X_o"],
        labels_o=data["labels_o"],
        folds=folds,
        settings=settings,
        device=args.device,
        threads=int(args.threads),
        checkpoint_every=int(args.checkpoint_every),
    )


def _config(data: dict, settings: dict, extra: dict | None = None) -> dict:
    keep = {k: v for k, v in settings.items() if k != "methods"}
    if settings["tune"]:
        # --tune chooses the SVM's values once per fold on its real rows (`tuned_for_fold`); runs that
        # searched C with Ds per column (the --tune before it) have no such key and do not resume into it
        keep["tuning"] = "fold-real-rows"
    return {"in_source": data["in_source"], "out_of_context": data["ooc_source"], **keep, **(extra or {})}


def _fold_list(folds) -> list:
    return [(f.name, f.train_idx, f.test_idx) for f in folds]


def fold_task(task: dict, context: CodeVectorContext, run_path: str) -> dict:
    """One seed x fold (x N): every column of the table for both tasks (`evaluate_fold`)."""
    import torch

    from labkit.runstore import Run

    torch.set_num_threads(context.threads)
    name, tr, te = context.folds[task["folds"]][task["fold"]]
    X, groups = context.X_in, context.groups
    seed, fold, size = int(task["seed"]), int(task["fold"]), str(task.get("size", "full"))
    run = Run(run_path)
    labels_tr = {t: y[tr] for t, y in context.labels_in.items()}
    tuned = None
    if context.settings["tune"]:  # on the fold's real training rows, once per (seed, fold): every column uses it
        cache_key = f"s{seed}-f{fold}" if size == "full" else f"n{size}-s{seed}-f{fold}"
        tuned = tuned_for_fold(run, cache_key, X[tr], labels_tr, groups[tr], context.settings["classifier"])
    res = evaluate_fold(
        X[tr],
        labels_tr,
        groups[tr],
        X[te],
        {t: y[te] for t, y in context.labels_in.items()},
        context.X_o,
        context.labels_o,
        context.settings,
        seed=seed,
        device=context.device,
        tuned=tuned,
        checkpoint=_checkpoints(run, task["key"], context.checkpoint_every),
        gate=True,
        fold=fold,
        size=size,
    )
    return {
        "seed": seed,
        "fold": fold,
        "fold_name": name,
        "size": size,
        "n_train": int(len(tr)),
        "n_test": int(len(te)),
        **res,
        **({"tuned": tuned} if tuned else {}),
    }


def _checkpoints(run, key: str, every: int):
    """The checkpoint factory of one task's trainings: ``<run>/checkpoints/<key>-<name>.pt`` (0: none)."""
    from labkit.trainers.common import Checkpoint

    if every < 1:
        return None
    return lambda name: Checkpoint.in_run(run, f"{key}-{name}", every)


def drop_task_checkpoints(task: dict, result: dict, run) -> None:
    """`Experiment.on_task_done`: a saved task no longer needs its trainings' checkpoints (``<key>-*``)."""
    folder = run.checkpoint_path(f"{task['key']}-knn").parent
    for path in folder.glob(f"{task['key']}-*.pt"):
        path.unlink(missing_ok=True)


# ----------------------------------------------------------------------------- summaries
def _long(tasks, methods: list[str]):
    """One row per seed x fold x size x task x method: uar, ds (from the wide task table)."""
    import pandas as pd

    rows = []
    for rec in tasks.to_dict("records"):
        for task in DIMENSIONS:
            for m in methods:
                key = f"{task}:{m}:uar"
                if key not in rec or rec[key] is None or (isinstance(rec[key], float) and math.isnan(rec[key])):
                    continue
                rows.append(
                    {
                        "seed": rec["seed"],
                        "fold": rec["fold"],
                        "size": str(rec.get("size", "full")),
                        "task": task,
                        "method": m,
                        "uar": float(rec[key]),
                        "ds": int(rec[f"{task}:{m}:ds"]),
                        "cm": rec.get(f"{task}:{m}:cm"),
                    }
                )
    return pd.DataFrame(rows, columns=["seed", "fold", "size", "task", "method", "uar", "ds", "cm"])


def _ds_text(values) -> str:
    """Chosen Ds over folds and seeds: median (min-max), or the single value."""
    import numpy as np

    v = np.asarray(list(values), dtype=float)
    if v.size == 0:
        return ""
    lo, med, hi = int(v.min()), float(np.median(v)), int(v.max())
    med_s = f"{med:.0f}" if med == int(med) else f"{med:.1f}"
    return med_s if lo == hi else f"{med_s} ({lo}–{hi})"


def _pooled_uar(part) -> dict:
    """UAR of the pooled predictions per seed (summed confusions over folds): mean over seeds."""
    import json

    import numpy as np

    per_seed = []
    for _, g in part.groupby("seed"):
        cm = np.zeros((2, 2))
        for c in g["cm"]:
            cm += np.asarray(json.loads(c) if isinstance(c, str) else c, dtype=float)
        rec = [cm[i, i] / cm[i].sum() for i in range(2) if cm[i].sum() > 0]
        per_seed.append(float(np.mean(rec)))
    return {"mean": float(np.mean(per_seed)), "per_seed": per_seed}


def _paired(long, task: str, size: str, baseline: str):
    """`labkit.experiment.stats.paired_vs` of every method against `baseline` on one task and size."""
    from labkit.experiment.stats import paired_vs

    part = long[(long["task"] == task) & (long["size"] == size)].rename(columns={"method": "augmenter"})
    return paired_vs(part, ["uar"], baseline=baseline)


ZERO_CI_NOTE = (
    "± 0.0: the column scores the same for every seed (an SVM on fixed folds is deterministic); the interval "
    "is repeatability over seeds (labkit.experiment.stats). The spread over held-out speakers is in --json "
    "(speaker_range) and the run's long table."
)


def _has_zero_ci(ours: dict) -> bool:
    return any(
        c.get("n", 0) > 1 and c.get("ci_low") is not None and c["ci_low"] == c["ci_high"]
        for row in ours.values()
        for c in row.values()
    )


def _speaker_range(part) -> list[float]:
    """[min, max] over folds of the seed-averaged per-fold UAR."""
    per_fold = part.groupby("fold")["uar"].mean()
    return [float(per_fold.min()), float(per_fold.max())]


def _knn_diagnostic(tasks, size: str | None = None) -> dict:
    """{task: {"own": mean share of a row's own label among its K neighbours, "chance": random neighbours'}}."""
    out = {}
    part = tasks if size is None or "size" not in tasks.columns else tasks[tasks["size"].astype(str) == size]
    for task in DIMENSIONS:
        a, b = f"{task}:knn_own_label", f"{task}:knn_chance"
        if a in part.columns and part[a].notna().any():
            out[task] = {"own": float(part[a].mean()), "chance": float(part[b].mean())}
    return out


def _knn_note(diag: dict) -> list[str]:
    if not diag:
        return []
    bits = [f"{t} {100 * d['own']:.1f} % (random neighbours: {100 * d['chance']:.1f} %)" for t, d in diag.items()]
    return [
        "Out-of-context neighbours: on average, this share of a training utterance's K neighbours has its own "
        "label: " + "; ".join(bits) + "."
    ]


def _column_label(method: str, n_features: int, aae_size: int) -> str:
    if method == "baseline":
        return f"baseline ({n_features}-d)"
    if method == "baseline_fs":
        return "baseline_fs"
    if method == "aae":
        return f"AAE ({aae_size})"
    return f"enriched {method.split('-')[1]}"


def _paper_exp1(pair: str, methods: list[str]) -> tuple[dict, str]:
    """Paper row values {task-row: {method: UAR}} for `pair`, and a note with the paper's Ds."""
    in_c, ooc_c = pair.split("-")
    rows, ds = {}, []
    for task in DIMENSIONS:
        vals = {}
        for m in methods:
            if m in PAPER_BASELINES[in_c][task]:
                vals[m], k = PAPER_BASELINES[in_c][task][m]
            elif m.startswith("enriched-") and int(m.split("-")[1]) in PAPER_ENRICHED[(in_c, ooc_c)][task]:
                vals[m], k = PAPER_ENRICHED[(in_c, ooc_c)][task][int(m.split("-")[1])]
            else:
                continue
            ds.append(f"{SHORT[task]} {m} {k}")
        rows[SHORT[task]] = vals
    note = (
        f"Paper: in-context {PAPER_CORPORA[in_c]}, out-of-context {PAPER_CORPORA[ooc_c]}; its Ds: "
        + ", ".join(ds)
        + "."
    )
    return rows, note


def _exp1_summary(tasks, plan: Plan) -> Report:
    info = plan.info
    methods = info["methods"]
    long = _long(tasks, methods)
    ours, extra, js = {}, {}, {}
    frames_summary = {}
    for task in DIMENSIONS:
        part = long[long["task"] == task]
        if part.empty:
            continue
        wide = part.pivot_table(index=["seed", "fold"], columns="method", values="uar").reset_index()
        wide["row"] = SHORT[task]
        s = summary_by(wide, "row", [m for m in methods if m in wide.columns])[SHORT[task]]
        ours[SHORT[task]] = s
        extra[SHORT[task]] = {
            f"Ds {_column_label(m, info['n_features'], info['aae_size'])}": _ds_text(
                part.loc[part["method"] == m, "ds"]
            )
            for m in methods
            if m != "baseline"
        }
        js[task] = {
            m: {
                **s[m],
                "ds_median": float(part.loc[part["method"] == m, "ds"].median()),
                "ds_values": part.loc[part["method"] == m, "ds"].astype(int).tolist(),
                "speaker_range": _speaker_range(part[part["method"] == m]),
                "pooled_uar": _pooled_uar(part[part["method"] == m])["mean"],
            }
            for m in methods
            if m in s
        }
        for ref in ("baseline", "baseline_fs", "aae"):
            if ref not in s:
                continue
            for r in _paired(long, task, "full", ref).itertuples(index=False):
                js[task][r.augmenter][f"vs_{ref}"] = paired_record(r, "n_folds")
        for m in methods:
            if m in s:
                frames_summary.setdefault(m, {})[f"{task}_uar"] = s[m]
    paper, paper_note = _paper_exp1(info["paper_table"], methods)
    extra_cols = [f"Ds {_column_label(m, info['n_features'], info['aae_size'])}" for m in methods if m != "baseline"]
    table = PaperTable(
        title="Enriched code vector, Exp 1 (Table 1): UAR (%) of binary activation and valence, leave-one-speaker-out",
        columns=[Column(m, _column_label(m, info["n_features"], info["aae_size"])) for m in methods],
        ours=ours,
        paper={r: v for r, v in paper.items() if r in ours},
        row_header="Task",
        extra_columns=extra_cols,
        extra=extra,
        paper_label=f"paper ({info['paper_table']})",
        notes=[
            f"Data: {plan.data}.",
            ci_note([s["n"] for row in ours.values() for s in row.values()]),
            "Ds: dimensions kept by the ANOVA-F selection, chosen inside every training fold by a speaker-grouped "
            "inner CV; median (min–max) over folds and seeds.",
            *_knn_note(_knn_diagnostic(tasks)),
            *([ZERO_CI_NOTE] if _has_zero_ci(ours) else []),
            _tuning_note(tasks),
            paper_note,
        ],
    )
    gates = common.gate_summary(tasks)
    verdicts = _exp1_verdicts(js, methods, gates)
    return Report(
        tables=[table],
        json={
            "exp1": js,
            "knn_neighbours": _knn_diagnostic(tasks),
            "gate": common.gate_json(gates),
            "verdicts": verdicts,
            "settings": plan.config,
        },
        frames={"summary": summary_frame(frames_summary, "configuration"), "long": long.drop(columns=["cm"])},
        findings=_exp1_findings(js, methods, info) + _gate_findings(gates) + [f"Verdict: {v}" for v in verdicts],
    )


def _exp1_verdicts(js: dict, methods: list[str], gates: dict) -> list[str]:
    """Table 1's claims per task, read through the gate (`labkit.reproductions.common.gated_verdict`):
    the enriched code beats both 88-d baselines; it beats the in-context AAE (the out-of-context term)."""
    enriched = [m for m in methods if m.startswith("enriched-")]
    lines = []
    for task, per in js.items():
        mean = {m: per[m]["mean"] for m in per if per[m].get("mean") is not None}
        ours = [mean[m] for m in enriched if m in mean]
        if not ours:
            continue
        labels = [gate_label(task, m) for m in enriched]
        bases = [mean[m] for m in ("baseline", "baseline_fs") if m in mean]
        if bases:
            claim = f"{task}: the enriched code beats the {'baselines' if len(bases) > 1 else 'baseline'}"
            lines.append(common.gated_verdict(max(ours) > max(bases), claim, gates, labels))
        if "aae" in mean:
            claim = f"{task}: the out-of-context term helps (an enriched code beats the in-context AAE)"
            lines.append(
                common.gated_verdict(max(ours) > mean["aae"], claim, gates, labels + [gate_label(task, "aae")])
            )
    return lines


def _exp2_verdicts(js: dict, methods: list[str], sizes: list[str], gates: dict) -> list[str]:
    """Table 2's claim per task, read through the gate: with fewer labels (every size below full; full
    alone when no other ran) an enriched code beats baseline_fs at every size."""
    enriched = [m for m in methods if m.startswith("enriched-")]
    lines = []
    for task, per in js.items():
        if "baseline_fs" not in per:
            continue
        cut = [z for z in sizes if z != "full" and z in per["baseline_fs"]] or [
            z for z in sizes if z in per["baseline_fs"]
        ]
        wins, labels = [], []
        for z in cut:
            ours = [per[m][z]["mean"] for m in enriched if z in per.get(m, {}) and per[m][z].get("mean") is not None]
            fs = per["baseline_fs"][z].get("mean")
            if ours and fs is not None:
                wins.append(max(ours) > fs)
                labels += [gate_label(task, m, z) for m in enriched]
        if wins:
            claim = f"{task}: an enriched code beats baseline_fs at N = {', '.join(cut)}"
            lines.append(common.gated_verdict(all(wins), claim, gates, labels))
    return lines


GATE_NOTE = (
    "Gate: the paper samples nothing (its SVM classifies the codes G(x) of real utterances), so the gate "
    "judges the training behind each code: its conditional AAE's own generative path, decoder draws "
    "F(z, y) with z ~ N(0, I), one per training utterance of each class, against the fold's standardised "
    "real training rows (speakers as groups), after every SVM is scored; fold means per code."
)


def _gate_findings(gates: dict) -> list[str]:
    if not gates:
        return ["Gate: not measured (these tasks were computed before the gate existed)."]
    return [GATE_NOTE, *common.gate_lines(gates)]


def _tuning_note(tasks) -> str:
    """The table note on the SVM's values: --C, or what --tune chose per fold and task."""
    return common.tuning_note(
        tasks,
        untuned="--no-tune: every SVM with the fixed C (--C, default 1); --tune (the default) chooses it inside "
        "every training fold.",
        tuned="--tune: the SVM's C chosen in every fold by a speaker-grouped inner CV on the fold's real training "
        "rows (scaler -> SVM on the in-context features), once per fold and task, then used by every column "
        "(each still chooses its own Ds; counts over tasks)",
    )


def _exp1_findings(js: dict, methods: list[str], info: dict) -> list[str]:
    lines = []
    enriched = [m for m in methods if m.startswith("enriched-")]
    for task, per in js.items():
        base = per.get("baseline", {}).get("mean")
        fs = per.get("baseline_fs", {}).get("mean")
        if base is None:
            continue
        bits = []
        for m in ["baseline_fs", "aae"] + enriched:
            if m not in per or per[m].get("mean") is None:
                continue
            v = per[m].get("vs_baseline", {})
            p = v.get("p_adjusted")
            bits.append(
                f"{_column_label(m, info['n_features'], info['aae_size'])} {100 * (per[m]['mean'] - base):+.1f}"
                + (f" (p = {p:.2f})" if p is not None and not math.isnan(p) else "")
            )
        best = max((m for m in methods if m in per and per[m].get("mean") is not None), key=lambda m: per[m]["mean"])
        lines.append(
            f"{task}: UAR points against the baseline ({100 * base:.1f}): "
            + ", ".join(bits)
            + f"; best column: {_column_label(best, info['n_features'], info['aae_size'])}"
            + (
                ""
                if fs is None
                else f"; the enriched codes beat baseline_fs ({100 * fs:.1f}) in "
                f"{sum(1 for m in enriched if per.get(m, {}).get('mean', 0) > fs)} of {len(enriched)} sizes."
            )
        )
        ablation = [
            f"{m.split('-')[1]}: {100 * per[m]['vs_aae']['mean_diff']:+.1f} (p = {per[m]['vs_aae']['p_value']:.2f})"
            for m in enriched
            if "vs_aae" in per.get(m, {})
        ]
        if ablation:
            lines.append(
                f"{task}: the out-of-context term alone (enriched code minus the in-context AAE, paired over "
                "folds, Wilcoxon, raw p): " + ", ".join(ablation) + "."
            )
    return lines


# ----------------------------------------------------------------------------- codevector-exp1
EXP1_DESCRIPTION = """\
Table 1 of the code-vector paper: leave-one-speaker-out over the in-context corpus, binary high/low
activation and valence, UAR (%) with CIs over seeds, the Ds (ANOVA-F dimensions) chosen inside each
training fold, and the paper's numbers under ours. Columns:

  baseline      SVM on the d features (88 eGeMAPS functionals)
  baseline_fs   SVM after ANOVA-F selection of Ds features (Ds by a speaker-grouped inner CV)
  AAE (64)      the conditional AAE learnt on the in-context data only, code -> selection -> SVM
  enriched C    the conditional AAE plus L_per = ||M(G(x)) - Y_io||^2, Y_io the label shares of the
                K cosine-nearest out-of-context samples in a plain AAE's latent space

The out-of-context corpus is used whole for training and must not share speakers with IN_SOURCE.
Everything else (scalers, AAEs, selection, SVM) is fitted on the training speakers of each fold.
--tune (the default) chooses the SVM's C once per fold on its real rows (--no-tune: --C). After the
scores, each code's conditional AAE is gated (its decoder's draws against the fold's real rows) and
the verdicts are read through the gate. One task = one seed x held-out speaker; finished tasks are
not recomputed, --seeds can grow, and a killed task resumes mid-training (--checkpoint-every).

examples:
  labkit reproduce codevector-exp1 synthetic:incontext --out-of-context synthetic:outofcontext --seeds 3
  labkit reproduce codevector-exp1 emodb:~/data/emodb --out-of-context iemocap:~/data/IEMOCAP --seeds 2
"""


def _exp1_plan(args) -> Plan:
    from labkit.experiment.protocols import make_folds

    settings = _settings(args)
    _set_threads(args)
    data = _load(args, settings)
    folds = {"loso": _fold_list(make_folds(data["meta_in"], "loso"))}
    tasks = task_grid(
        "seed{seed}_fold{fold:02d}", seed=range(args.seeds), fold=range(len(folds["loso"])), folds=["loso"]
    )
    config = _config(data, settings)
    return Plan(
        config=config,
        tasks=tasks,
        context=_context(data, settings, folds, args),
        data=data["description"],
        default_out=f"codevector-exp1-{slug(data['in_source'])}-{slug(data['ooc_source'])}",
        name=f"Code vector Exp 1 ({data['in_source']} + {data['ooc_source']})",
        info={
            "methods": settings["methods"],
            "n_features": data["n_features"],
            "aae_size": settings["aae_size"],
            "paper_table": args.paper_table,
        },
    )


# ----------------------------------------------------------------------------- codevector-exp2
EXP2_DESCRIPTION = """\
Table 2 of the code-vector paper: Exp 1 with the in-context training side of every leave-one-speaker-
out fold cut to N labelled samples (the `reduced` protocol, stratified by emotion, a new draw per
seed). The AAEs and the SVM see only those N; the out-of-context corpus stays whole. Rows are task x
column (baseline, baseline_fs, AAE, enriched codes), columns the sizes, UAR (%) with CIs; the
paper's numbers (baseline_fs and the enriched codes) under ours. A size larger than a fold's
training side is skipped with a note.

examples:
  labkit reproduce codevector-exp2 synthetic:incontext --out-of-context synthetic:outofcontext --seeds 2
  labkit reproduce codevector-exp2 emodb:~/data/emodb --out-of-context iemocap:~/data/IEMOCAP --sizes full,200,100
"""


def _sizes(text: str) -> list[str]:
    from labkit.errors import LabkitError

    out = []
    for s in str(text).split(","):
        s = s.strip().lower()
        if not s:
            continue
        if s != "full" and (not s.isdigit() or int(s) < 2):
            raise LabkitError(f"--sizes takes 'full' and whole numbers >= 2, got {s!r}")
        if s not in out:
            out.append(s)
    if not out:
        raise LabkitError("--sizes is empty")
    return out


def _exp2_plan(args) -> Plan:
    from labkit.experiment.protocols import make_folds

    settings = _settings(args)
    sizes = _sizes(args.sizes)
    _set_threads(args)
    data = _load(args, settings)
    loso = make_folds(data["meta_in"], "loso")
    smallest = min(len(f.train_idx) for f in loso)
    kept = [s for s in sizes if s == "full" or int(s) <= smallest]
    skipped = [s for s in sizes if s not in kept]
    if not kept:
        from labkit.errors import LabkitError

        raise LabkitError(f"every size in --sizes exceeds the smallest training side ({smallest} utterances)")
    folds, tasks = {}, []
    for size in kept:
        for s in range(args.seeds):
            key = f"{size}_seed{s}"
            if size == "full":
                folds[key] = _fold_list(loso)
            else:  # a different stratified draw per seed (reduced: seed + fold index per fold)
                folds[key] = _fold_list(
                    make_folds(
                        data["meta_in"], "reduced", base="loso", n_train=int(size), label="emotion", seed=1000 * s
                    )
                )
            tasks += [
                {"key": f"n{size}_seed{s}_fold{i:02d}", "seed": s, "fold": i, "folds": key, "size": size}
                for i in range(len(folds[key]))
            ]
    config = _config(data, settings)
    return Plan(
        config=config,
        tasks=tasks,
        context=_context(data, settings, folds, args),
        data=data["description"],
        default_out=f"codevector-exp2-{slug(data['in_source'])}-{slug(data['ooc_source'])}",
        name=f"Code vector Exp 2 ({data['in_source']} + {data['ooc_source']})",
        info={
            "methods": settings["methods"],
            "n_features": data["n_features"],
            "sizes": kept,
            "skipped_sizes": skipped,
            "smallest_training_side": smallest,
            "aae_size": settings["aae_size"],
            "paper_table": args.paper_table,
        },
    )


def _paper_exp2(pair: str, methods: list[str], sizes: list[str]) -> tuple[dict, str]:
    """Paper rows {row: {size: UAR}} for the sizes both the paper and we ran, and a note."""
    in_c, ooc_c = pair.split("-")
    paper_sizes = PAPER_SIZES[in_c]
    rows = {}
    for task in DIMENSIONS:
        for m in methods:
            if m == "baseline_fs":
                vals = PAPER_EXP2_FS[in_c][task]
            elif m.startswith("enriched-") and int(m.split("-")[1]) in PAPER_EXP2_ENRICHED[(in_c, ooc_c)][task]:
                vals = PAPER_EXP2_ENRICHED[(in_c, ooc_c)][task][int(m.split("-")[1])]
            else:
                continue
            rows[(task, m)] = {s: v for s, v in zip(paper_sizes, vals) if s in sizes}
    note = (
        f"Paper: in-context {PAPER_CORPORA[in_c]} cut to {', '.join(paper_sizes)} samples, out-of-context "
        f"{PAPER_CORPORA[ooc_c]}; it reports baseline_fs and the enriched codes only."
    )
    return rows, note


def _exp2_summary(tasks, plan: Plan) -> Report:
    info = plan.info
    methods, sizes = info["methods"], info["sizes"]
    long = _long(tasks, methods)
    ours, extra, js = {}, {}, {}
    paper_rows, paper_note = _paper_exp2(info["paper_table"], methods, sizes)
    paper = {}
    frames_summary = {}
    for task in DIMENSIONS:
        for m in methods:
            part = long[(long["task"] == task) & (long["method"] == m)]
            if part.empty:
                continue
            row = f"{SHORT[task]} {_column_label(m, info['n_features'], info['aae_size'])}"
            wide = part.pivot_table(index=["seed", "fold"], columns="size", values="uar").reset_index()
            wide["row"] = row
            s = summary_by(wide, "row", [z for z in sizes if z in wide.columns])[row]
            ours[row] = s
            if m != "baseline":
                extra[row] = {
                    "Ds (median per size)": " / ".join(
                        _ds_text([part.loc[part["size"] == z, "ds"].median()]) for z in sizes if z in wide.columns
                    )
                }
            if (task, m) in paper_rows and paper_rows[(task, m)]:
                paper[row] = paper_rows[(task, m)]
            js.setdefault(task, {})[m] = {
                z: {**s[z], "speaker_range": _speaker_range(part[part["size"] == z])} for z in s
            }
            for z in s:
                frames_summary.setdefault(m, {})[f"{task}_uar_n{z}"] = s[z]
    # gains of the enriched codes over baseline_fs at every size (paired over folds)
    gains, vs_aae = {}, {}
    for task in DIMENSIONS:
        for z in sizes:
            for ref, into in (("baseline_fs", gains), ("aae", vs_aae)):
                if ref not in methods:
                    continue
                for r in _paired(long, task, z, ref).itertuples(index=False):
                    into.setdefault(task, {}).setdefault(r.augmenter, {})[z] = paired_record(r, None)
    diag = {z: _knn_diagnostic(tasks, z) for z in sizes}
    notes = [
        f"Data: {plan.data}.",
        ci_note([v["n"] for row in ours.values() for v in row.values()]),
        "Columns: labelled in-context training samples per fold (full = every training speaker's utterances; "
        f"the smallest full training side has {info['smallest_training_side']}).",
        paper_note,
    ]
    for z in sizes:
        notes += _knn_note(diag[z]) if z == "full" else []
    if _has_zero_ci(ours):
        notes.append(ZERO_CI_NOTE)
    notes.append(_tuning_note(tasks))
    if info["skipped_sizes"]:
        notes.append(
            f"Skipped sizes {', '.join(info['skipped_sizes'])}: larger than the smallest training side "
            f"({info['smallest_training_side']})."
        )
    table = PaperTable(
        title="Enriched code vector, Exp 2 (Table 2): UAR (%) with N labelled in-context training samples",
        columns=[Column(z, "full" if z == "full" else f"N={z}") for z in sizes],
        ours=ours,
        paper=paper,
        row_header="Task / column",
        extra_columns=["Ds (median per size)"],
        extra=extra,
        paper_label=f"paper ({info['paper_table']})",
        notes=notes,
    )
    gates = common.gate_summary(tasks)
    verdicts = _exp2_verdicts(js, methods, sizes, gates)
    return Report(
        tables=[table],
        json={
            "exp2": js,
            "vs_baseline_fs": gains,
            "vs_aae": vs_aae,
            "knn_neighbours": diag,
            "gate": common.gate_json(gates),
            "verdicts": verdicts,
            "settings": plan.config,
        },
        frames={"summary": summary_frame(frames_summary, "configuration"), "long": long.drop(columns=["cm"])},
        findings=_exp2_findings(gains, "baseline_fs", methods, sizes)
        + _exp2_findings(vs_aae, "the in-context AAE", methods, sizes)
        + _gate_findings(gates)
        + [f"Verdict: {v}" for v in verdicts],
    )


def _exp2_findings(gains, ref: str, methods, sizes) -> list[str]:
    lines = []
    for task, per in gains.items():
        for m in [m for m in methods if m.startswith("enriched-")]:
            if m not in per:
                continue
            bits = [
                f"{z}: {100 * per[m][z]['mean_diff']:+.1f} (p = {per[m][z]['p_value']:.2f})"
                for z in sizes
                if z in per[m]
            ]
            lines.append(
                f"{task}, {m} minus {ref} (UAR points, paired over folds, Wilcoxon raw p) by N: " + ", ".join(bits)
            )
    return lines


# ----------------------------------------------------------------------------- codevector-train
TRAIN_DESCRIPTION = """\
Train one code on one leave-one-speaker-out fold and record the code space over the epochs for the
dashboard's Distribution page (space "code": the codes of in-context training and test utterances and
of out-of-context utterances, labelled high / low, every --record-every epochs). The history table
holds the losses per epoch (L_rec, L_per, L_adv, D's loss); results/final.json the fold's UAR of the
selection + SVM on the code. --no-ooc trains the AAE column instead (no L_per), to compare.

examples:
  labkit reproduce codevector-train synthetic:incontext --task valence --code-size 10 --out runs/cv-val10
  labkit reproduce codevector-train synthetic:incontext --task valence --code-size 10 --no-ooc --out runs/cv-aae
"""


def _train_arguments(p: argparse.ArgumentParser) -> None:
    _add_arguments(p, "train")
    p.add_argument("--task", default="activation", choices=list(DIMENSIONS), help="(default: %(default)s)")
    p.add_argument("--code-size", type=int, default=10, help="code size of the recorded code (default: %(default)s)")
    p.add_argument("--no-ooc", action="store_true", help="train without L_per (the AAE column)")
    p.add_argument("--test-speaker", default=None, help="the held-out speaker (default: the first one)")
    p.add_argument("--seed", type=int, default=0, help="training seed (default: %(default)s)")
    p.add_argument(
        "--record-every", type=int, default=5, help="record the code space every N epochs (default: %(default)s)"
    )


def _train_plan(args) -> Plan:
    import numpy as np

    from labkit.errors import LabkitError
    from labkit.experiment.protocols import make_folds

    args.code_sizes, args.aae_size = str(args.code_size), int(args.code_size)
    settings = _settings(args)
    if args.record_every < 1:
        raise LabkitError(f"--record-every must be at least 1, got {args.record_every}")
    _set_threads(args)
    data = _load(args, settings)
    speakers = sorted(set(data["groups"].tolist()))
    test = args.test_speaker or speakers[0]
    if test not in speakers:
        raise LabkitError(
            f"--test-speaker {test!r} is not in {data['in_source']} (speakers: {', '.join(speakers[:8])} ...)"
        )
    fold = make_folds(data["meta_in"], "split", test_speakers=[test])[0]
    assert not np.isin(data["groups"][fold.train_idx], [test]).any()
    settings = {
        **settings,
        "task": args.task,
        "code_size": int(args.code_size),
        "ooc": not args.no_ooc,
        "record_every": int(args.record_every),
        "test_speaker": test,
    }
    config = _config(data, settings, {"seed": args.seed})
    method = "aae" if args.no_ooc else f"enriched-{args.code_size}"
    return Plan(
        config=config,
        tasks=[{"key": "train", "seed": int(args.seed), "fold": 0, "folds": "one"}],
        context=_context(data, settings, {"one": _fold_list([fold])}, args),
        data=data["description"],
        run_kind="codevector",
        default_out=f"codevector-{slug(args.task)}-{method}-{slug(data['in_source'])}-s{args.seed}",
        name=f"Code vector {method}, {args.task} (test {test}, seed {args.seed})",
        info={"method": method, "task": args.task, "aae_size": settings["aae_size"], "n_features": data["n_features"]},
    )


def train_task(task: dict, context: CodeVectorContext, run_path: str) -> dict:
    """One code on one fold with code-space recording; history, final scores and the model go to the run."""
    import pandas as pd
    import torch

    from labkit.runstore import Run
    from labkit.trainers.codevector import CodeSpaceRecorder

    torch.set_num_threads(context.threads)
    st = context.settings
    run = Run(run_path)
    name, tr, te = context.folds["one"][0]
    X, groups = context.X_in, context.groups
    method = f"enriched-{st['code_size']}" if st["ooc"] else "aae"
    settings = {**st, "methods": [method], "aae_size": st["code_size"]}

    def recorder_factory(task_name, m, Xtr, ytr, Xte, yte, Xo, yo):
        keep = None if yo is None else yo >= 0  # out-of-context rows with a label of this task
        rec = CodeSpaceRecorder(
            run,
            Xtr,
            ytr,
            Xte,
            yte,
            None if Xo is None else Xo[keep],
            None if yo is None else yo[keep],
            class_names=CLASS_NAMES,
            seed=int(task["seed"]),
        )
        rec.every = st["record_every"]
        return rec

    def on_trained(task_name, m, result):
        run.write_table("history", pd.DataFrame(result.history))
        run.save_checkpoint(
            {"config": result.config.to_dict(), "model": result.model.state_dict(), "history": result.history}, "code"
        )

    t = st["task"]
    res = evaluate_fold(
        X[tr],
        {t: context.labels_in[t][tr]},
        groups[tr],
        X[te],
        {t: context.labels_in[t][te]},
        context.X_o,
        {t: context.labels_o[t]},
        settings,
        seed=int(task["seed"]),
        device=context.device,
        recorder_factory=recorder_factory,
        on_trained=on_trained,
        checkpoint=_checkpoints(run, task["key"], context.checkpoint_every),
    )
    key = f"{t}:{method}"
    run.write_json(
        "final",
        {
            "task": t,
            "method": method,
            "test_speaker": name,
            "uar": res[f"{key}:uar"],
            "ds": int(res[f"{key}:ds"]),
            "seconds": res["seconds"],
        },
    )
    return {"seed": int(task["seed"]), "fold": 0, "fold_name": name, "size": "full", **res}


def _train_summary(tasks, plan: Plan) -> Report:
    info = plan.info
    row = tasks.iloc[0]
    key = f"{info['task']}:{info['method']}"
    label = _column_label(info["method"], info["n_features"], info["aae_size"])
    ours = {
        f"{SHORT[info['task']]} {label}": {
            "uar": {"mean": float(row[f"{key}:uar"]), "ci_low": None, "ci_high": None, "n": 1}
        }
    }
    table = PaperTable(
        title=f"Enriched code vector: one training ({row['fold_name']} held out)",
        columns=[Column("uar", "UAR")],
        ours=ours,
        row_header="Task / column",
        extra_columns=["Ds"],
        extra={k: {"Ds": str(int(row[f"{key}:ds"]))} for k in ours},
        notes=[f"Data: {plan.data}.", ci_note([1])],
    )
    return Report(
        tables=[table],
        json={
            "uar": float(row[f"{key}:uar"]),
            "ds": int(row[f"{key}:ds"]),
            "fold": row["fold_name"],
            "seconds": float(row["seconds"]),
        },
        frames={"summary": summary_frame({info["method"]: {f"{info['task']}_uar": ours[next(iter(ours))]["uar"]}})},
    )


EXPERIMENTS = [
    Experiment(
        name="codevector-exp1",
        paper=PAPER,
        summary="Exp 1 (Table 1): baselines, AAE, enriched codes 64/10, LOSO",
        description=EXP1_DESCRIPTION,
        add_arguments=lambda p: _add_arguments(p, "exp1"),
        plan=_exp1_plan,
        run_task=fold_task,
        summarize=_exp1_summary,
        default_seeds=3,
        tunable=True,
        resources={"GPU": 1},
        on_task_done=drop_task_checkpoints,
    ),
    Experiment(
        name="codevector-exp2",
        paper=PAPER,
        summary="Exp 2 (Table 2): Exp 1 with N = full, 500, 200, 100 labels",
        description=EXP2_DESCRIPTION,
        add_arguments=lambda p: _add_arguments(p, "exp2"),
        plan=_exp2_plan,
        run_task=fold_task,
        summarize=_exp2_summary,
        default_seeds=2,
        tunable=True,
        resources={"GPU": 1},
        on_task_done=drop_task_checkpoints,
    ),
    Experiment(
        name="codevector-train",
        paper=PAPER,
        summary="one code on one fold, code space recorded (dashboard)",
        description=TRAIN_DESCRIPTION,
        add_arguments=_train_arguments,
        plan=_train_plan,
        run_task=train_task,
        summarize=_train_summary,
        seeds_option=False,
        resources={"GPU": 1},
        on_task_done=drop_task_checkpoints,
    ),
]
