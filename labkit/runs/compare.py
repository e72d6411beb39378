"""The comparison (``labkit compare``): augmenters × amounts × seeds × folds on one feature table.

One *task* is one (augmenter, amount, seed, fold). A task

1. takes the fold's training rows (the test rows are never passed in),
2. fits ``StandardScaler -> augmenter.fit_resample -> classifier`` as one imbalanced-learn
   `Pipeline` on them (the library's pipeline applies the augmenter during ``fit`` only, and the
   scaler and augmenter see the training fold only),
3. predicts the test rows and scores them (`labkit.experiment.metrics.scores`).

Tasks are independent: `run_task` is a module-level function of picklable arguments that returns a
JSON-able dict. The resume loop is labkit's one loop, `labkit.runs.tasks.run_tasks` (joblib
workers, ``n_jobs``): each finished task is saved at once as ``tasks/<key>.json`` in the run store; a
rerun with the same run directory and config skips every saved task, so a killed comparison resumes
where it stopped and a finished one recomputes nothing (`CompareResult.n_computed` says how many ran).

After the tasks the run gets its tables (see docs/architecture.md): ``tasks``, ``summary``,
``per_class``, ``paired``, ``sweep`` (when amounts were swept), and ``results/summary.json``
``{augmenter: {metric: {"mean", "ci_low", "ci_high", "n"}}}`` plus ``results/confusion.json``
(confusion matrices summed over folds and seeds). Confidence intervals: `labkit.experiment.stats`.

Amounts
-------
``amount`` is the augmenters' ``sampling_strategy`` in the main comparison: a ratio r (add r × n_c
samples to each class c; default 1.0, i.e. double the training fold) or ``"balance"``. ``sweep`` lists
ratios for the UAR-versus-amount curves of Shilandari et al. (Figures 5–9); amount 0 is the "none"
baseline, which runs once whatever the amounts (it ignores them).

A float means something else here than in imbalanced-learn: there ``sampling_strategy=0.5`` is the
minority/majority ratio after resampling (two classes only); here it adds 0.5 × n_c samples to every
class. labkit keeps its meaning (the papers add data this way) and refuses ``sampling_strategy``
among ``augmenter_params`` with an error that says so. An amount whose synthetic rows would not fit
in memory (``--amount 1e7``) is refused before any work, with the estimate.

Seeds
-----
Seed s gives fold f the random state ``task_seed(s, f)``, drawn from
``numpy.random.SeedSequence([s, f])`` (independent streams for every pair, however many folds; the
earlier ``s * 1000 + f`` collided past 1,000 folds), to the augmenter and the classifier, so the
augmenters of one (seed, fold) meet the same classifier initialisation: the paired comparison against
"none" differs only by the augmentation. With ``protocol="reduced"`` the training subset is also
drawn anew for each seed; other protocols' folds are the same for every seed.

Two UARs
--------
``uar`` is the mean of the per-fold UARs (labkit's convention: every test speaker weighs the same);
``uar_pooled`` pools the predictions of all folds of a seed and computes one UAR (much of the SER
literature's convention: every test utterance weighs the same). Both are in the summary, labelled.

Tuning (``tune=True``; ``labkit compare`` tunes by default, ``--no-tune`` keeps a fixed classifier)
------------------------------------------------------------------------------------------------
The classifier's hyperparameters are chosen inside each training fold by a speaker-independent inner
cross-validation over the grid of `labkit.experiment.classifiers.TUNING_GRIDS`, on the fold's *real*
rows: the baseline pipeline (scaler -> classifier, no augmenter) is searched once per (seed, fold)
and every augmenter and amount of that fold is classified with the chosen values. The choice is kept
in the run (``cache/tuning-s<seed>-f<fold>.json``, written atomically) and read by the fold's other
tasks, so no inner CV runs twice; two workers that reach an empty cache at once may both compute it
(same rows, grid and seed, so the same values), but none reads a torn file. Why real rows only: the
augmenters are then compared at one classifier, the real data's best (a fair comparison, as
Shilandari et al. and Sahu et al. are reproduced), and a generator is not retrained in every inner
fold. The chosen values go into each task's file (``tuned``, ``inner_uar``), the ``tuning`` table and
the printed table; the test fold's speakers never reach the inner CV (`tests/test_runner.py`).

Run identity: ``"tune": true`` with the grid (``tune_grid``) and ``"tuning": "real rows, once per
(seed, fold)"``. Runs made before tuning became the default hold ``"tune": false`` (resumed with
``--no-tune``); runs of the earlier ``--tune``, which searched the whole pipeline, augmenter
included, in every task, lack ``"tuning"`` and are not resumed by the new rule.

The learned-the-data gate
-------------------------
After a task's classifier has been fitted and has predicted (so the gate never changes a score), the
fitted augmenter is gated (`labkit.metrics.gate.gate_augmenter`) against the fold's real training
rows in the space it was fitted in (after the fold's scaler), capped at `GATE_MAX_ROWS` real rows
(a seeded subsample; the k-NN measures at `GATE_MAX_SAMPLES`). The record is the task's ``gate``
entry (`labkit.reproductions.common.gate_record`), tasks of the main amount only; augmenters that
generate nothing ("none") or cannot draw after fitting are not gated, nor the waveform augmenters
(``wav-*``: they learn nothing, and a second draw would extract features from new audio, doubling
the task). The ``gate`` table holds each augmenter's result combined over its folds and seeds
(`labkit.metrics.gate.combine`) and, for an augmenter that did not beat "none" (paired Δ UAR above 0
at Benjamini-Hochberg adjusted p < 0.05 counts as beating it), the verdict: "claim not reproduced by
generators that learned the data" or "inconclusive: <augmenter> failed the gate (...)".
``gate=False`` (``--no-gate``) skips it; it is not part of the run's identity (it changes no score).
Cost, measured on the embedded corpus (700 rows, eGeMAPS, LOSO): about 0.25 s of CPU per gated task,
next to 0.05 s for a task's linear SVM; the cap keeps it to a few seconds per task on large corpora.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from labkit.errors import LabkitError
from labkit.experiment.metrics import SCALAR_METRICS, scores
from labkit.experiment.pipeline import FrameScaler, amount_str, build_pipeline, sampling_strategy, task_seed
from labkit.experiment.protocols import Fold, check_fold, make_folds

BASELINE = "none"
# the known-answer augmenters (labkit.augment.oracle): with one in a comparison, every augmenter's gain
# is also given as a share of the oracle's (labkit.experiment.stats.oracle_share)
ORACLES = ("oracle-speakers", "oracle-population")
# the tuning rule a tuned run's identity names ("tuning"); runs of the earlier --tune lack the key
TUNING_RULE = "real rows, once per (seed, fold)"
GATE_MAX_ROWS = 1500  # real training rows a task's gate measures against (a seeded subsample beyond)
GATE_MAX_SAMPLES = 1000  # rows per set of the gate's k-NN measures (C2ST, precision, recall)


@dataclass
class CompareConfig:
    """What a comparison runs. Stored in run.json; rerunning with an equal config resumes the run."""

    augmenters: list[str] = field(default_factory=lambda: ["none", "noise", "ros", "smote", "adasyn"])  # registry names
    protocol: str = "loso"  # loso | logo | split | cross | reduced
    protocol_params: dict = field(default_factory=dict)  # keywords for make_folds (group=, n_train=, ...)
    seeds: int = 3  # repetitions, seeds 0 .. seeds-1
    classifier: str = "svm-linear"  # svm-linear | svm-rbf | mlp
    classifier_params: dict = field(default_factory=dict)  # overrides of the classifier's defaults
    target: str = "emotion"  # label column of the meta table
    amount: Any = 1.0  # sampling_strategy of the main comparison
    sweep: list[float] = field(default_factory=list)  # extra ratios for the UAR-vs-amount sweep
    augmenter_params: dict = field(default_factory=dict)  # {augmenter: {param: value}}; not sampling_strategy
    record_every: int = 0  # snapshot interval of iterative generators
    source: str = ""  # where the features came from (for the record)
    features: str = ""  # feature set name (for the record)
    data_hash: str = ""  # fingerprint of X: a resumed run must see the same data
    # choose classifier hyperparameters by an inner speaker CV on each fold's real rows; the library's
    # default stays False (code that builds a config keeps its runs' identity), `labkit compare` passes True
    tune: bool = False
    tune_grid: dict = field(default_factory=dict)  # the grid searched when tune (filled by prepare)
    seeding: str = "SeedSequence([seed, fold])"  # how task seeds are drawn (older runs differ)
    tuning: str = ""  # how tune chooses (TUNING_RULE, filled by prepare); left out of untuned runs' identity

    def to_dict(self) -> dict:
        d = asdict(self)
        if not d["tuning"]:
            del d["tuning"]  # a key newer than the runs: written only when it differs from the old behaviour
        return d


@dataclass
class CompareResult:
    """What `run_comparison` returns."""

    run: Any  # labkit.runstore.Run
    summary: dict  # {augmenter: {metric: {"mean", "ci_low", "ci_high", "n"}}}
    tables: dict  # table name -> DataFrame (as written to the run)
    n_tasks: int  # tasks in the plan
    n_computed: int  # tasks computed by this call
    n_reused: int  # tasks found finished in the run store
    warnings: list = field(default_factory=list)  # distinct warnings raised inside tasks
    finished: bool = True  # False when max_tasks stopped the run early


# --------------------------------------------------------------------------- tasks
def task_key(augmenter: str, amount: str, seed: int, fold: int) -> str:
    return f"{augmenter}__a{amount}__s{seed}__f{fold:03d}"


def plan_tasks(config: CompareConfig, n_folds: int) -> list[dict]:
    """Every task of a comparison, in a stable order: dicts with key, augmenter, amount, seed, fold."""
    from labkit.augment import augmenter_class

    main = amount_str(config.amount)
    sweep = [amount_str(a) for a in config.sweep]
    if any(a == "balance" for a in sweep):
        raise LabkitError("--sweep takes ratios such as 0,0.5,1,2 ('balance' is not a ratio)")
    names = list(dict.fromkeys(config.augmenters))
    if (sweep or len(names) > 1 or main == "0") and BASELINE not in names:
        # the paired comparison and amount 0 need the baseline; at amount 0 every augmenter adds
        # nothing, so the baseline is what runs (`--augmenters smote --amount 0` ran no task at all)
        names = [BASELINE] + names
    tasks = []
    for name in names:
        augmenter_class(name)  # unknown names fail here, before any work
        amounts = ["0"] if name == BASELINE else [a for a in dict.fromkeys([main] + sweep) if a != "0"]
        for amount in amounts:
            for seed in range(config.seeds):
                for fold in range(n_folds):
                    tasks.append(
                        {
                            "key": task_key(name, amount, seed, fold),
                            "augmenter": name,
                            "amount": amount,
                            "seed": seed,
                            "fold": fold,
                        }
                    )
    return tasks


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def run_task(
    X: np.ndarray,
    y: np.ndarray,
    fold: Fold,
    task: dict,
    config: dict,
    labels: list,
    pipeline_factory: Callable | None = None,
    run_path: str | None = None,
    groups: np.ndarray | None = None,
    utterances: np.ndarray | None = None,
    gate: bool = True,
) -> dict:
    """Fit one fold's pipeline on its training rows, predict its test rows, return the scores.

    Parameters
    ----------
    X : (n, d) or (n, T, F) features of the whole table; y : (n,) labels
    fold : the fold (row positions); only ``X[fold.train_idx]`` reaches anything that is fitted
    task : a dict from `plan_tasks`; config : `CompareConfig.to_dict()`
    labels : every class of the table, the order of recall and confusion
    pipeline_factory : ``f(augmenter, classifier, frames) -> Pipeline``; default `build_pipeline`
    run_path : run directory where snapshots of iterative generators go (first seed, first fold)
    groups : (n,) speaker of every row; with ``config["tune"]`` the inner CV splits the training rows by it
        (and the gate's held-out accuracy is speaker-independent)
    utterances : (n,) utterance id of every row
    gate : gate the fitted augmenter after scoring (`gate_task`; tasks of the main amount only)
    ``groups`` and ``utterances`` reach the augmenters that ask for them (the oracles) through
    scikit-learn's metadata routing (`labkit.augment.oracle.fit_metadata`), sliced to the training rows.

    Returns
    -------
    dict: the task's identity, sizes, every metric, recall and confusion, test rows and predictions,
    the tuned values (``tuned``, ``inner_uar``, ``tuning_cached``) and the ``gate`` record.
    """
    import sklearn

    from labkit.augment import augmenter_class, make_augmenter
    from labkit.augment.oracle import fit_metadata
    from labkit.experiment.classifiers import make_classifier

    rs = task_seed(task["seed"], task["fold"])
    params = dict(config["augmenter_params"].get(task["augmenter"], {}))
    cls = augmenter_class(task["augmenter"])
    names = cls._get_param_names()
    if "random_state" in names:
        params.setdefault("random_state", rs)
    for key in ("source", "features"):  # the oracles synthesize and extract from the compared corpus
        if key in names and config.get(key):
            params.setdefault(key, config[key])
    if "sampling_strategy" in names:
        params["sampling_strategy"] = sampling_strategy(task["amount"]) if task["augmenter"] != BASELINE else "balance"
    # Iterative generators record every `record_every` iterations; one-shot ones (SMOTE, noise, ...)
    # their synthetic rows once, as iteration 0 (`Recorder.finish`), so every augmenter can be viewed.
    iterative = "record_every" in names
    record = (
        config.get("record_every", 0) > 0
        and (iterative or getattr(cls, "generates", True))
        and task["seed"] == 0
        and task["fold"] == 0
        and task["amount"] == amount_str(config["amount"])
    )
    if record and iterative:
        params["record_every"] = config["record_every"]
    augmenter = make_augmenter(task["augmenter"], **params)
    if getattr(cls, "needs_audio", False):  # waveform augmenters: the training rows' audio (labkit.augment.waveform)
        augmenter.bind_fold(run_path, fold.train_idx, X[fold.train_idx], seed=int(task["seed"]))
    X_train, y_train = X[fold.train_idx], y[fold.train_idx]
    train_groups = None if groups is None else np.asarray(groups)[fold.train_idx]
    tuned: dict = {}
    inner_uar = None
    cached = None
    chosen_params: dict = {}
    if config.get("tune"):
        if train_groups is None:
            raise LabkitError("tuning needs the speaker of every row (groups)")
        chosen_params, tuned, inner_uar, cached = fold_tuning(
            run_path, task["seed"], task["fold"], X_train, y_train, train_groups, config, rs
        )
    classifier = make_classifier(config["classifier"], random_state=rs, **config["classifier_params"], **chosen_params)
    factory = pipeline_factory or build_pipeline
    pipe = factory(augmenter, classifier, X.ndim == 3)

    X_test, y_test = X[fold.test_idx], y[fold.test_idx]
    recorder = None
    if record and run_path is not None:
        recorder = Recorder(run_path, task["augmenter"], X_train, y_train, X_test, y_test)
        augmenter.set_recorder(recorder)
    routed = fit_metadata(
        augmenter,
        speaker=train_groups,
        utterance=None if utterances is None else np.asarray(utterances)[fold.train_idx],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if routed:
            with sklearn.config_context(enable_metadata_routing=True):
                pipe.fit(X_train, y_train, **routed)
        else:
            pipe.fit(X_train, y_train)
        y_pred = pipe.predict(X_test)
    fitted_aug = pipe.named_steps["augment"]
    if recorder is not None:
        recorder.finish(fitted_aug)
    s = scores(y_test, y_pred, labels=labels)
    # the gate reads the fitted augmenter only after the scores are fixed: it never changes one
    gated = {}
    # waveform augmenters learn nothing, and drawing again would extract features from new audio: not gated
    if (
        gate
        and task["amount"] == amount_str(config["amount"])
        and task["augmenter"] != BASELINE
        and not getattr(cls, "needs_audio", False)
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gated = gate_task(pipe, X_train, y_train, train_groups, task, rs)
    return {
        "key": task["key"],
        "augmenter": task["augmenter"],
        "amount": task["amount"],
        "seed": int(task["seed"]),
        "fold": int(task["fold"]),
        "fold_name": fold.name,
        "n_train": int(len(fold.train_idx)),
        "n_test": int(len(fold.test_idx)),
        "n_synthetic": int(getattr(fitted_aug, "n_synthetic_", 0)),
        **{m: s[m] for m in SCALAR_METRICS},
        "labels": [_plain(v) for v in labels],
        "recall": [s["recall"][_plain(v)] for v in labels],
        "confusion": s["confusion"],
        "test_rows": fold.test_idx.tolist(),
        "y_pred": [_plain(v) for v in y_pred],
        "y_true": [_plain(v) for v in y_test],
        "tuned": {k: _plain(v) for k, v in tuned.items()},
        "inner_uar": inner_uar,
        **({"tuning_cached": cached} if config.get("tune") else {}),
        **gated,
        "warnings": sorted({str(w.message) for w in caught}),
    }


def gate_task(pipe, X_train: np.ndarray, y_train: np.ndarray, groups, task: dict, seed: int) -> dict:
    """``{"gate": record}`` of a fitted task pipeline's augmenter (`gate_record`), ``{"gate_error": text}``
    when the gate could not measure it, ``{}`` when there is nothing to gate.

    The real rows are the fold's training rows after the fold's own scaler (the space the augmenter
    was fitted in), at most `GATE_MAX_ROWS` of them (a subsample seeded by the task's seed).
    """
    from labkit.metrics.gate import gate_augmenter
    from labkit.reproductions.common import gate_record

    X_real = pipe.named_steps["scale"].transform(X_train)
    y_real, g_real = np.asarray(y_train), None if groups is None else np.asarray(groups)
    if len(X_real) > GATE_MAX_ROWS:
        keep = np.sort(np.random.default_rng(seed).choice(len(X_real), GATE_MAX_ROWS, replace=False))
        X_real, y_real = X_real[keep], y_real[keep]
        g_real = None if g_real is None else g_real[keep]
    name = task["augmenter"]
    try:
        result = gate_augmenter(
            pipe.named_steps["augment"], X_real, y_real, groups=g_real, generator=name, fold=int(task["fold"]),
            seed=0, max_samples=GATE_MAX_SAMPLES,
        )  # fmt: skip
    except LabkitError as err:  # too few rows to measure, and the like: said, not fatal to the scores
        return {"gate_error": str(err)}
    return {"gate": gate_record({name: result})} if result is not None else {}


def fold_tuning(run_path, seed: int, fold: int, X_train, y_train, groups, config: dict, rs: int):
    """The classifier's values for one (seed, fold): (estimator params, chosen grid values, inner UAR, cached).

    One speaker-grouped inner CV of the baseline pipeline (scaler -> classifier, no augmenter) on the
    fold's real training rows over ``config["tune_grid"]``, kept in ``<run>/cache/tuning-s<seed>-f<fold>.json``
    (written atomically) and read back by the fold's other tasks when classifier, parameters and
    grid are the ones asked for. `cached` says whether it was read. Two tasks of one fold running at
    once may both compute it (the same rows, grid and seed: the same values); a cache that cannot be
    written (a worker without the run directory) only means the next task computes it again.
    """
    from labkit.augment import make_augmenter
    from labkit.experiment.classifiers import _resolve, make_classifier, tune_pipeline
    from labkit.utils import write_json_atomic

    wanted = {
        "classifier": config["classifier"],
        "classifier_params": config["classifier_params"],
        "grid": config["tune_grid"],
        "random_state": int(rs),
    }
    wanted = json.loads(json.dumps(wanted, default=str))
    path = None if run_path is None else os.path.join(run_path, "cache", f"tuning-s{seed}-f{fold}.json")
    n_features = int(np.prod(np.shape(X_train)[1:]))
    if path is not None and os.path.isfile(path):
        try:
            with open(path) as fh:
                stored = json.load(fh)
            if stored.get("for") == wanted:
                chosen = stored["chosen"]
                return {k: _resolve(v, n_features) for k, v in chosen.items()}, chosen, stored["inner_uar"], True
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a damaged cache file: computed again and rewritten
    classifier = make_classifier(config["classifier"], random_state=rs, **config["classifier_params"])
    pipe = build_pipeline(make_augmenter(BASELINE), classifier, np.ndim(X_train) == 3)
    _, chosen, inner = tune_pipeline(pipe, X_train, y_train, groups, config["tune_grid"], refit=False)
    chosen = {k: _plain(v) for k, v in chosen.items()}
    if path is not None:
        try:
            write_json_atomic(path, {"for": wanted, "chosen": chosen, "inner_uar": inner})
        except OSError:
            pass  # not writable here: the fold's next task computes it again
    return {k: _resolve(v, n_features) for k, v in chosen.items()}, chosen, inner, False


def fold_task(
    task: dict,
    X: np.ndarray,
    y: np.ndarray,
    folds: dict,
    config: dict,
    labels: list,
    pipeline_factory: Callable | None = None,
    run_path: str | None = None,
    groups: np.ndarray | None = None,
    utterances: np.ndarray | None = None,
    gate: bool = True,
) -> dict:
    """`run_task` for the task's seed and fold: the function the resume loop (`run_tasks`) maps."""
    fold = folds[task["seed"]][task["fold"]]
    return run_task(X, y, fold, task, config, labels, pipeline_factory, run_path, groups, utterances, gate)


class Recorder:
    """Writes an iterative generator's snapshots to the run store while it trains (the dashboard polls).

    Space ``aug-<name>``: the reference holds the fold's real rows standardised with the training
    fold's statistics (the space the augmenter works in), the snapshots what the generator produced
    at each recorded iteration, and the table ``history-<name>`` its losses. Frame features are
    flattened to (n, T*F). Written for the first seed and fold of the main amount only.
    """

    def __init__(self, run_path, name, X_train, y_train, X_test, y_test):
        self.run_path, self.name, self.space = run_path, name, f"aug-{name}"
        self.data = (X_train, y_train, X_test, y_test)
        self.n_written = 0
        self.has_reference = False

    def _run(self):
        from labkit.runstore import Run

        return Run(self.run_path)

    def _write_reference(self, run) -> None:
        from sklearn.preprocessing import StandardScaler

        X_train, y_train, X_test, y_test = self.data
        # the same statistics as the pipeline's scaler: fitted on the training fold only
        scaler = (FrameScaler() if X_train.ndim == 3 else StandardScaler()).fit(X_train)
        flat = lambda A: A.reshape(len(A), -1)  # noqa: E731 - (n, T, F) -> (n, T*F) for frame features
        run.save_reference(self.space, flat(scaler.transform(X_train)), y_train, flat(scaler.transform(X_test)), y_test)
        self.has_reference = True

    def _write_snapshot(self, run, snap) -> None:
        if not self.has_reference:
            self._write_reference(run)
        X = np.asarray(snap["X"])
        run.save_snapshot(self.space, snap["iteration"], X.reshape(len(X), -1), snap["y"], snap["origin"])
        self.n_written += 1

    def __call__(self, kind: str, record: dict) -> None:
        if kind == "snapshot":
            run = self._run()
            self._write_snapshot(run, record)

    def finish(self, augmenter) -> None:
        """Write what the callback did not see (a cloned augmenter) and the whole history."""
        run = self._run()
        for snap in getattr(augmenter, "snapshots_", [])[self.n_written :]:
            self._write_snapshot(run, snap)
        if (
            self.n_written == 0
            and "record_every" not in augmenter._get_param_names()
            and sum(getattr(augmenter, "n_to_add_", {}).values()) > 0
        ):
            try:
                X_new, y_new = augmenter.sample(augmenter.n_to_add_)  # a one-shot augmenter: one frame
            except (LabkitError, NotImplementedError):
                X_new = None  # it cannot draw again after fitting: nothing to show, the scores stand
            if X_new is not None and len(X_new):
                self._write_snapshot(
                    run, {"iteration": 0, "X": X_new, "y": y_new, "origin": np.full(len(X_new), "generated")}
                )
        if getattr(augmenter, "history_", None):
            run.write_table(f"history-{self.name}", pd.DataFrame(augmenter.history_))


# --------------------------------------------------------------------------- the comparison
def _labels(meta: pd.DataFrame, target: str) -> np.ndarray:
    if target not in meta.columns:
        raise LabkitError(f"label column {target!r} not in the table (columns: {list(meta.columns)})")
    y = meta[target]
    if y.isna().any():
        raise LabkitError(f"label column {target!r} has {int(y.isna().sum())} empty values")
    y = y.to_numpy()
    return y.astype(str) if y.dtype == object else y


def folds_by_seed(meta: pd.DataFrame, config: CompareConfig) -> dict[int, list[Fold]]:
    """The folds each seed uses (only ``reduced`` draws a new training subset per seed)."""
    params = dict(config.protocol_params)
    if config.protocol == "reduced":
        params.setdefault("label", config.target)  # stratify the subset by the classes being predicted
        return {s: make_folds(meta, config.protocol, **{**params, "seed": s}) for s in range(config.seeds)}
    folds = make_folds(meta, config.protocol, **params)
    return {s: folds for s in range(config.seeds)}


def prepare(meta: pd.DataFrame, X: np.ndarray, config: CompareConfig):
    """Check a comparison before any work: features, labels, protocol, augmenter names.

    Cheap (no fitting), so a command line can call it before it creates a run directory.

    Returns
    -------
    meta (index 0..n-1), X, y (n,) labels, labels (sorted classes), folds {seed: [Fold]}, tasks (plan)
    """
    X = np.asarray(X)
    if len(X) != len(meta):
        raise LabkitError(f"features have {len(X)} rows but the meta table has {len(meta)}")
    if X.ndim not in (2, 3):
        raise LabkitError(f"features must be (n, d) or (n, T, F), got shape {X.shape}")
    if X.ndim == 3:
        from labkit.augment import augmenter_class

        vector_only = [a for a in config.augmenters if a != BASELINE and augmenter_class(a).input_kind != "frames"]
        if vector_only:
            raise LabkitError(
                f"frame features {X.shape} need frame augmenters; {vector_only} work on feature "
                "vectors (use a functional feature set such as egemaps)"
            )
    if not np.all(np.isfinite(X)):
        raise LabkitError("features hold NaN or infinite values")
    if isinstance(config.seeds, bool) or not isinstance(config.seeds, (int, np.integer)) or config.seeds < 1:
        raise LabkitError(f"seeds must be a whole number >= 1, got {config.seeds}")
    from labkit.experiment.classifiers import make_classifier, tuning_grid

    make_classifier(config.classifier, **config.classifier_params)  # unknown names / bad values fail here
    if config.tune:
        config.tune_grid = tuning_grid(config.classifier, config.classifier_params)
        config.tuning = TUNING_RULE
        if "speaker" not in meta.columns:
            raise LabkitError(
                "--tune splits the training speakers for its inner CV: the table needs a 'speaker' column"
            )
    _check_augmenter_params(config)
    meta = meta.reset_index(drop=True)
    y = _labels(meta, config.target)
    labels = sorted(np.unique(y).tolist())
    if len(labels) < 2:
        raise LabkitError(f"label column {config.target!r} has a single class {labels}; nothing to compare")
    folds = folds_by_seed(meta, config)
    for seed_folds in folds.values():
        for fold in seed_folds:
            check_fold(meta, fold)  # speaker independence, again, right before use
    tasks = plan_tasks(config, len(folds[0]))
    check_memory(X, y, folds, config)
    return meta, X, y, labels, folds, tasks


def _check_augmenter_params(config: CompareConfig) -> None:
    """Every ``augmenter_params`` entry names a listed augmenter and parameters it has (before any work)."""
    from labkit.augment import augmenter_class, make_augmenter

    for name, params in config.augmenter_params.items():
        if name not in config.augmenters:
            raise LabkitError(
                f"parameter for augmenter {name!r}, which is not among the augmenters ({', '.join(config.augmenters)})"
            )
        if not isinstance(params, dict):
            raise LabkitError(f"parameters of augmenter {name!r} must be a dict, got {params!r}")
        if "sampling_strategy" in params:
            raise LabkitError(
                f"{name}.sampling_strategy: the amount of synthetic data is set by --amount / --sweep. A ratio r "
                "there adds r x n_c synthetic samples to every class c (labkit's meaning, as in the papers); it "
                "is not imbalanced-learn's float (the minority/majority ratio after resampling, two classes only). "
                "Use 'balance' to top every class up to the largest."
            )
        augmenter_class(name)
        make_augmenter(name, **params)  # unknown parameter names fail here, listing the valid ones


def _memory_bytes() -> int | None:
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return None


def check_memory(X: np.ndarray, y: np.ndarray, folds: dict, config: CompareConfig, budget: int | None = None) -> None:
    """Refuse amounts whose augmented training fold would not fit in memory (estimate, before any work).

    Estimate per task: (training rows + synthetic rows) × features × 8 bytes (float64 after the
    scaler) × 3 copies (augmented fold, the classifier's copy, working space). Refused above half
    of the machine's memory (`budget` overrides it, for tests).
    """
    budget = budget if budget is not None else _memory_bytes()
    if budget is None:
        return
    n_train = max(len(f.train_idx) for seed_folds in folds.values() for f in seed_folds)
    _, counts = np.unique(y, return_counts=True)
    ratios = []
    for a in [config.amount, *config.sweep]:
        a = amount_str(a)
        ratios.append(len(counts) * counts.max() / max(1, counts.sum()) - 1 if a == "balance" else float(a))
    rows = n_train * (1.0 + max(ratios))
    need = rows * float(np.prod(X.shape[1:])) * 8 * 3
    if need > budget / 2:
        gib = 1024**3
        raise LabkitError(
            f"amount {max(ratios):g} would give about {rows:,.0f} training rows per task "
            f"(~{need / gib:.1f} GiB), more than half of this machine's {budget / gib:.1f} GiB; "
            "choose a smaller --amount / --sweep"
        )


def comparison_job(
    meta: pd.DataFrame,
    X: np.ndarray,
    config: CompareConfig,
    *,
    pipeline_factory: Callable | None = None,
    setup: Callable | None = None,
    name: str = "",
    prepared: tuple | None = None,
    gate: bool = True,
):
    """The comparison as a `labkit.runs.lifecycle.Job`: checks everything (`prepare`) and plans its tasks.

    `setup(run)` runs once the run exists, before the tasks (``labkit compare`` writes the waveform
    augmenters' utterance table there). `prepared` is what `prepare(meta, X, config)` returned, when
    the caller has called it already. `gate`: gate every generating augmenter after scoring (not
    part of the run's identity: it changes no score).
    """
    from labkit.runs.lifecycle import Job

    meta, X, y, labels, folds, tasks = prepared if prepared is not None else prepare(meta, X, config)
    groups = meta["speaker"].astype(str).to_numpy() if "speaker" in meta.columns else None
    utterances = meta["id"].astype(str).to_numpy() if "id" in meta.columns else None
    plain = config.to_dict()  # after prepare, which fills tune_grid
    return Job(
        kind="compare",
        config=plain,
        tasks=tasks,
        run_task=fold_task,
        shared=lambda run: (X, y, folds, plain, labels, pipeline_factory, str(run.path), groups, utterances, gate),
        finish=lambda run, outcome: _finish(run, outcome.results, config),
        name=name,
        desc="compare",
        setup=setup,
    )


def _finish(run, results: list[dict], config: CompareConfig):
    """Write the comparison's tables and results from the finished tasks; what the command prints."""
    from labkit.runs.lifecycle import Output

    tables, summary = summarise(results, config)
    for name, df in tables.items():
        run.write_table(name, df)
    run.write_json("summary", summary)
    run.write_json("confusion", _confusions(results, config))
    return Output(
        json=with_gate(summary, tables.get("gate")),
        frames=tables,
        render=lambda fmt, table_only: render(summary, tables, config, fmt, table_only),
    )


def with_gate(summary: dict, gate_table) -> dict:
    """What ``--json`` prints: the summary, with each gated augmenter's ``"gate"`` entry (the ``gate`` table's row)."""
    if gate_table is None or not len(gate_table):
        return summary
    out = {name: dict(per) for name, per in summary.items()}
    for row in gate_table.to_dict("records"):
        if row["augmenter"] in out:
            entry = {k: _nan_to_none(v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            entry["failed"] = [f for f in str(entry.get("failed") or "").split(",") if f]
            out[row["augmenter"]]["gate"] = {k: v for k, v in entry.items() if k != "augmenter"}
    return out


def run_comparison(
    meta: pd.DataFrame,
    X: np.ndarray,
    config: CompareConfig,
    run,
    *,
    n_jobs: int = 1,
    progress: bool | None = None,
    max_tasks: int | None = None,
    pipeline_factory: Callable | None = None,
    scheduler=None,
    gate: bool = True,
) -> CompareResult:
    """Run (or resume) a comparison into `run` and write its tables (the library's way in).

    Parameters
    ----------
    meta : DataFrame, one row per utterance (speaker, labels, ...), same order as X
    X : (n, d) float features (or (n, T, F) frames when every augmenter takes frames)
    config : CompareConfig
    run : labkit.runstore.Run created with kind "compare" and ``config.to_dict()``
    n_jobs : joblib workers (1 runs in this process)
    progress : show a progress bar (None: unless LABKIT_QUIET=1)
    max_tasks : compute at most this many pending tasks, then stop without summarising (used to
        test resuming; the run stays "running")
    pipeline_factory : replaces `build_pipeline` (tests use it to spy on what gets fitted)
    scheduler : None, "local" or a Dask scheduler address: where the tasks run (`run_tasks`)
    gate : gate every generating augmenter after scoring (the ``gate`` table; changes no score)

    The tasks, the tables and the status go through `labkit.runs.lifecycle.execute`, as for ``labkit
    compare``: whatever goes wrong after the run exists (a task's error, a summary that cannot be
    formed) leaves the run "failed" with the reason, an interruption "interrupted", never "running".
    """
    from labkit.runs.lifecycle import execute
    from labkit.runs.tasks import failure_status

    try:
        job = comparison_job(meta, X, config, pipeline_factory=pipeline_factory, gate=gate)
    except BaseException as err:
        run.set_status(*failure_status(err))
        raise
    result = execute(run, job, n_jobs=n_jobs, max_tasks=max_tasks, scheduler=scheduler, progress=progress)
    return compare_result(result)


def compare_result(result) -> CompareResult:
    """The `CompareResult` of a lifecycle `Result` of a comparison."""
    outcome = result.outcome
    warn = sorted({w for r in outcome.results for w in r.get("warnings", [])})
    counts = (outcome.n_tasks, outcome.n_computed, outcome.n_reused)
    if result.output is None:
        return CompareResult(result.run, {}, {}, *counts, warn, finished=False)
    return CompareResult(result.run, result.output.json, result.output.frames, *counts, warn)


def _main_rows(df: pd.DataFrame, config: CompareConfig) -> pd.DataFrame:
    """Tasks of the main comparison: every augmenter at the main amount, "none" at 0."""
    main = amount_str(config.amount)
    return df[(df["amount"] == main) | (df["augmenter"] == BASELINE)]


POOLED_METRICS = ["uar_pooled", "f1_pooled"]  # one score from the predictions of all folds of a seed


def _pooled(results: list[dict], config: CompareConfig) -> pd.DataFrame:
    """Per augmenter and seed of the main comparison: UAR and macro-F1 of all folds' predictions pooled.

    One row per (augmenter, seed) with fold = -1, in the layout `summarize` reads (the CI is then
    over seeds, or absent with one seed). Rows tested in several folds of one seed (not the case for
    loso / logo / split / cross) count once per fold.
    """
    main = amount_str(config.amount)
    groups: dict[tuple, list[dict]] = {}
    for r in results:
        if r["amount"] == main or r["augmenter"] == BASELINE:
            groups.setdefault((r["augmenter"], r["seed"]), []).append(r)
    rows = []
    for (name, seed), parts in groups.items():
        labels = parts[0]["labels"]
        y_true = np.concatenate([np.asarray(p["y_true"]) if "y_true" in p else np.asarray([]) for p in parts])
        y_pred = np.concatenate([np.asarray(p["y_pred"]) for p in parts])
        if len(y_true) != len(y_pred):  # results of older labkit versions lack y_true
            continue
        s = scores(y_true, y_pred, labels=labels)
        rows.append({"augmenter": name, "seed": seed, "fold": -1, "uar_pooled": s["uar"], "f1_pooled": s["f1"]})
    return pd.DataFrame(rows, columns=["augmenter", "seed", "fold", *POOLED_METRICS])


def _tuning_table(results: list[dict], config: CompareConfig) -> pd.DataFrame:
    """The hyperparameters `--tune` chose: one row per task and parameter (augmenter, amount, seed, fold)."""
    rows = [
        {
            "augmenter": r["augmenter"],
            "amount": r["amount"],
            "seed": r["seed"],
            "fold": r["fold"],
            "fold_name": r["fold_name"],
            "param": k,
            "value": str(v),
            "inner_uar": r.get("inner_uar"),
        }
        for r in results
        for k, v in (r.get("tuned") or {}).items()
    ]
    return pd.DataFrame(
        rows, columns=["augmenter", "amount", "seed", "fold", "fold_name", "param", "value", "inner_uar"]
    )


def chosen_values(tuning: pd.DataFrame, config: CompareConfig) -> dict[str, str]:
    """{augmenter: "C 0.01 ×14, 0.1 ×6"}: how often each value was chosen in the main comparison."""
    if tuning is None or not len(tuning):
        return {}
    main = amount_str(config.amount)
    part = tuning[(tuning["amount"] == main) | (tuning["augmenter"] == BASELINE)]
    from labkit.experiment.classifiers import chosen_summary

    return {
        str(name): chosen_summary([{r.param: r.value} for r in rows.itertuples(index=False)])
        for name, rows in part.groupby("augmenter", sort=False)
    }


def _nan_to_none(v):
    return None if isinstance(v, float) and not np.isfinite(v) else v


def summarise(results: list[dict], config: CompareConfig) -> tuple[dict, dict]:
    """Tables (tasks, summary, per_class, paired, sweep) and the summary JSON from task results."""
    from labkit.experiment.stats import oracle_share, paired_vs, summarize

    cols = ["augmenter", "amount", "seed", "fold", "fold_name", "n_train", "n_test", "n_synthetic", *SCALAR_METRICS]
    tasks = pd.DataFrame([{c: r[c] for c in cols} for r in results], columns=cols)
    if any(r.get("tuned") for r in results):
        tasks["tuned"] = [json.dumps(r.get("tuned") or {}, sort_keys=True) for r in results]
        tasks["inner_uar"] = [r.get("inner_uar") for r in results]
    if any(r.get("gate") or r.get("gate_error") for r in results):
        tasks["gate"] = [json.dumps(r["gate"], sort_keys=True) if r.get("gate") else "" for r in results]
        tasks["gate_error"] = [r.get("gate_error") or "" for r in results]
    order = list(dict.fromkeys([BASELINE] * (BASELINE in set(tasks["augmenter"])) + list(config.augmenters)))
    main = _main_rows(tasks, config)
    summary = pd.concat(
        [summarize(main, SCALAR_METRICS), summarize(_pooled(results, config), POOLED_METRICS)], ignore_index=True
    )
    summary["augmenter"] = pd.Categorical(summary["augmenter"], order)
    summary = summary.sort_values(["augmenter"], kind="stable").reset_index(drop=True)
    summary["augmenter"] = summary["augmenter"].astype(str)

    per_class_rows = []
    for r in results:
        if r["amount"] == amount_str(config.amount) or r["augmenter"] == BASELINE:
            for lab, rec in zip(r["labels"], r["recall"]):
                per_class_rows.append({"augmenter": r["augmenter"], "class": str(lab), "recall": rec})
    per_class = (
        pd.DataFrame(per_class_rows)
        .groupby(["augmenter", "class"], sort=False)["recall"]
        .agg(lambda v: float(np.nanmean(v)) if np.isfinite(v).any() else float("nan"))
        .reset_index()
    )

    paired = paired_vs(main, SCALAR_METRICS, BASELINE) if BASELINE in set(tasks["augmenter"]) else pd.DataFrame()
    tables = {"tasks": tasks, "summary": summary, "per_class": per_class, "paired": paired}
    oracles = [n for n in order if n in ORACLES]
    if oracles and BASELINE in set(tasks["augmenter"]):  # the share of each oracle's gain (stats.oracle_share)
        tables["oracle_share"] = pd.concat([oracle_share(main, o, "uar", BASELINE) for o in oracles], ignore_index=True)
    tuning = _tuning_table(results, config)
    if len(tuning):
        tables["tuning"] = tuning
    if "gate" in tasks.columns:
        tables["gate"] = gate_table(main, paired, order)

    if config.sweep:
        # amount 0 of every augmenter is the baseline's result
        parts = []
        base = tasks[tasks["augmenter"] == BASELINE]
        for name in order:
            if name == BASELINE:
                continue
            mine = tasks[tasks["augmenter"] == name]
            parts.append(pd.concat([base.assign(augmenter=name), mine]))
        swept = pd.concat(parts) if parts else tasks.iloc[:0]
        wanted = {amount_str(a) for a in config.sweep}
        swept = swept[swept["amount"].isin(wanted)]
        sweep = summarize(swept, SCALAR_METRICS, by=("augmenter", "amount"))
        if len(sweep):
            sweep["amount_value"] = sweep["amount"].astype(float)
            sweep = sweep.sort_values(["augmenter", "amount_value", "metric"], kind="stable").reset_index(drop=True)
        tables["sweep"] = sweep

    summary_json: dict = {}
    for row in summary.itertuples(index=False):
        summary_json.setdefault(row.augmenter, {})[row.metric] = {
            "mean": _nan_to_none(row.mean),
            "ci_low": _nan_to_none(row.ci_low),
            "ci_high": _nan_to_none(row.ci_high),
            "n": int(row.n),
        }
    return tables, summary_json


GATE_COLUMNS = [
    "augmenter", "gated", "passed", "failed", "fidelity", "real_accuracy", "chance", "c2st_auc", "precision",
    "recall", "spread", "n_real", "n_generated", "n_tasks", "n_not_gated", "beat_baseline", "verdict", "claim",
]  # fmt: skip


def beats_baseline(paired, name: str, alpha: float = 0.05) -> bool:
    """Whether augmenter `name` beat "none": paired Δ UAR above 0 at Benjamini-Hochberg adjusted p < `alpha`."""
    if paired is None or not len(paired):
        return False
    row = paired[(paired["metric"] == "uar") & (paired["augmenter"] == name)]
    if not len(row):
        return False
    diff, p = float(row["mean_diff"].iloc[0]), float(row["p_adjusted"].iloc[0])
    return bool(np.isfinite(diff) and diff > 0 and np.isfinite(p) and p < alpha)


def gate_table(main: pd.DataFrame, paired, order: list[str]) -> pd.DataFrame:
    """The ``gate`` table: per gated augmenter of the main comparison, its gate combined over folds and seeds.

    `main` holds the main comparison's tasks with their ``gate`` (JSON text, "" when not gated) and
    ``gate_error`` columns; `paired` the ``paired`` table, which says whether an augmenter beat "none".
    ``verdict`` is the gate's ("passed" or "inconclusive: ... failed the gate (...)"); ``claim``, for an
    augmenter that did not beat "none", the verdict on "it raises UAR"
    (`labkit.reproductions.common.gated_verdict`), "" for one that did.
    """
    from labkit.reproductions.common import gate_summary, gated_verdict

    rows = []
    for name in order:
        mine = main[main["augmenter"] == name]
        gated = mine[mine["gate"].fillna("").astype(str) != ""]
        errors = sorted({e for e in mine["gate_error"].fillna("").astype(str) if e})
        if not len(gated) and not errors:
            continue
        beat = beats_baseline(paired, name) if paired is not None and len(paired) else None
        result = gate_summary(gated).get(name) if len(gated) else None
        row = dict.fromkeys(GATE_COLUMNS)
        row.update(augmenter=name, n_tasks=int(len(gated)), n_not_gated=int(len(mine) - len(gated)), beat_baseline=beat)
        if result is None:
            row.update(gated=False, passed=False, failed="", verdict=f"not gated ({errors[0]})")
            claim = f"{name} raises UAR over none: inconclusive: {name} was not gated ({errors[0]})."
        else:
            numbers = ("fidelity", "real_accuracy", "chance", "c2st_auc", "precision", "recall", "spread")
            row.update({k: float(getattr(result, k)) for k in numbers})
            row.update(
                gated=True,
                passed=bool(result.passed),
                failed=",".join(result.failed),
                n_real=int(result.n_real),
                n_generated=int(result.n_generated),
                verdict=result.verdict,
            )
            claim = gated_verdict(False, f"{name} raises UAR over none", {name: result}, [name])
        row["claim"] = claim if beat is False else ""
        rows.append(row)
    table = pd.DataFrame(rows, columns=GATE_COLUMNS)
    return table.astype({"gated": bool, "passed": bool}) if len(table) else table


def gate_text(gate) -> list[str]:
    """The printed lines of a ``gate`` table: one per gated augmenter, then the verdicts of those that did
    not beat "none"."""
    if gate is None or not len(gate):
        return []
    lines = []
    for r in gate.to_dict("records"):
        if not r["gated"]:
            lines.append(f"Gate · {r['augmenter']}: {r['verdict']}.")
            continue
        status = "pass" if r["passed"] else f"FAIL ({str(r['failed']).replace(',', ', ')})"
        folds = f"{int(r['n_tasks'])} fold(s)" + (f", {int(r['n_not_gated'])} not gated" if r["n_not_gated"] else "")
        lines.append(
            f"Gate · {r['augmenter']}: {status}: fidelity {100 * r['fidelity']:.0f} % against "
            f"{100 * r['real_accuracy']:.0f} % for real rows (chance {100 * r['chance']:.0f} %), C2ST AUC "
            f"{r['c2st_auc']:.2f}, precision {r['precision']:.2f}, recall {r['recall']:.2f}, spread "
            f"{r['spread']:.2f} (means over {folds})."
        )
    for r in gate.to_dict("records"):
        if r.get("claim"):
            lines.append(f"Verdict · {r['claim']}")
    return lines


def _confusions(results: list[dict], config: CompareConfig) -> dict:
    """Confusion matrices of the main comparison summed over seeds and folds, per augmenter."""
    out: dict = {}
    main = amount_str(config.amount)
    for r in results:
        if r["amount"] != main and r["augmenter"] != BASELINE:
            continue
        entry = out.setdefault(r["augmenter"], {"labels": r["labels"], "matrix": np.zeros_like(r["confusion"])})
        entry["matrix"] = entry["matrix"] + np.asarray(r["confusion"])
    return {k: {"labels": v["labels"], "matrix": v["matrix"].tolist()} for k, v in out.items()}


def format_table(
    summary: dict,
    metrics: list[str] = ("uar", "uar_pooled", "wa", "f1", "combined"),
    fmt: str = "text",
    chosen: dict[str, str] | None = None,
    paired=None,
    shares=None,
) -> str:
    """One row per augmenter, ``mean [ci_low, ci_high]`` per metric (in %), via the one formatter.

    `chosen` ({augmenter: text}, from `chosen_values`) adds the hyperparameters ``--tune`` picked;
    `paired` (the run's ``paired`` table) adds the UAR difference from "none" with its raw and
    Benjamini-Hochberg-adjusted p; `shares` (the ``oracle_share`` table, when oracle augmenters ran)
    adds, per oracle, the share of its UAR gain each augmenter reaches. Metrics a summary lacks (``uar_pooled`` of runs from older labkit
    versions) are left out.
    """
    from labkit.experiment.tables import Column, PaperTable

    labels = {
        "uar": "UAR (mean of folds)",
        "uar_pooled": "UAR (pooled)",
        "wa": "WA",
        "f1": "F1 (macro)",
        "f1_micro": "F1 (micro)",
        "f1_pooled": "F1 (pooled)",
        "combined": "combined",
    }
    metrics = [m for m in metrics if any(m in per for per in summary.values())] or list(metrics)
    extra: dict[str, dict[str, str]] = {}
    headers = []
    if chosen:
        headers.append("chosen (per fold)")
        for k, v in chosen.items():
            extra.setdefault(k, {})["chosen (per fold)"] = v
    if paired is not None and len(paired):
        header = "Δ UAR vs none (p / p_adj)"
        headers.append(header)
        for row in paired[paired["metric"] == "uar"].itertuples(index=False):
            extra.setdefault(row.augmenter, {})[header] = (
                f"{100 * row.mean_diff:+.1f} (p = {row.p_value:.2g} / {row.p_adjusted:.2g})"
            )
    if shares is not None and len(shares):
        for oracle, part in shares.groupby("oracle", sort=False):
            header = f"share of {oracle}'s gain [95% CI]"
            headers.append(header)
            for row in part.itertuples(index=False):
                extra.setdefault(row.augmenter, {})[header] = _share_text(row)
    table = PaperTable(
        title="",
        columns=[Column(m, labels.get(m, m)) for m in metrics],
        ours=summary,
        row_header="augmenter",
        ci="bracket",
        extra_columns=headers,
        extra=extra,
    )
    return table.render(fmt)


def _share_text(row) -> str:
    """``0.42 [0.10, 0.80]``; ``n/a`` when the oracle gained nothing (no share of nothing)."""
    if not np.isfinite(row.share):
        return "n/a"
    ci = f" [{row.ci_low:.2f}, {row.ci_high:.2f}]" if np.isfinite(row.ci_low) else ""
    return f"{row.share:.2f}{ci}"


def format_sweep(sweep, fmt: str = "text", metric: str = "uar") -> str:
    """UAR against the amount of synthetic data (the run's ``sweep`` table): one row per augmenter, one
    column per amount, ``mean [ci_low, ci_high]`` in %, via the one formatter."""
    from labkit.experiment.tables import Column, PaperTable

    part = sweep[sweep["metric"] == metric].sort_values("amount_value", kind="stable")
    ours: dict[str, dict[str, dict]] = {}
    for r in part.itertuples(index=False):
        ours.setdefault(str(r.augmenter), {})[str(r.amount)] = {
            "mean": r.mean,
            "ci_low": r.ci_low,
            "ci_high": r.ci_high,
            "n": r.n,
        }
    amounts = list(dict.fromkeys(str(a) for a in part["amount"]))
    return PaperTable(
        title="", columns=[Column(a, f"x{a}") for a in amounts], ours=ours, row_header="augmenter", ci="bracket"
    ).render(fmt)


def render(summary: dict, tables: dict, config: CompareConfig, fmt: str = "text", table_only: bool = False) -> str:
    """What ``labkit compare`` prints for a finished run: the table, its notes and the sweep.

    `table_only` (``--format csv|latex``) gives the summary table alone, ready for a file.
    """
    chosen = chosen_values(tables.get("tuning"), config)
    paired = tables.get("paired")
    shares = tables.get("oracle_share")
    table = format_table(summary, fmt=fmt, chosen=chosen, paired=paired, shares=shares)
    if table_only:
        return table
    lines = [
        f"\n{config.protocol} | {config.features} | {config.classifier} | target {config.target} | "
        f"amount {amount_str(config.amount)} | {config.seeds} seed(s) | mean [95% CI] in %",
        table,
        "UAR (mean of folds): the mean of per-fold UARs; UAR (pooled): one UAR of all folds' predictions.",
    ]
    if paired is not None and len(paired):
        n = paired[paired["metric"] == "uar"].iloc[0]
        lines.append(
            f"Δ UAR vs none: difference in points (seeds averaged within each fold), Wilcoxon p over "
            f"{n.n_folds} folds ({n.n_seeds} seeds), raw / Benjamini-Hochberg adjusted across the augmenters."
        )
    if shares is not None and len(shares):
        for oracle, part in shares.groupby("oracle", sort=False):
            gain = part["oracle_gain"].iloc[0]
            what = (
                f"it gains {100 * gain:+.1f} UAR points over none"
                if np.isfinite(gain) and gain > 0
                else "it gains nothing over none here, so no augmenter's share can be read (n/a)"
            )
            lines.append(
                f"share of {oracle}'s gain: an augmenter's mean Δ UAR over the oracle's, on the same "
                f"{int(part['n_folds'].max())} folds (1 = as much as new real data; paired bootstrap CI); {what}."
            )
    if config.tune:
        lines.append(
            f"Classifier: tuned per fold (inner CV on real rows, cached per seed x fold); grid {config.tune_grid}."
        )
    else:
        lines.append("Classifier: fixed classifier (--no-tune), labkit's defaults and any --clf-param.")
    gate_lines = gate_text(tables.get("gate"))
    if gate_lines:
        lines.append(
            "Learned-the-data gate (labkit.metrics.gate; each generator against its folds' real training rows, "
            "after the fold's scaler):"
        )
        lines.extend(gate_lines)
    sweep_table = tables.get("sweep")
    if sweep_table is not None and len(sweep_table):
        lines.append("\nUAR (%) against the amount of synthetic data (ratio of each class's size)")
        lines.append(format_sweep(sweep_table, fmt=fmt))
    return "\n".join(lines) + "\n"
