"""Known-answer augmenters: new *real* samples drawn from the synthesizer that made the corpus.

The embedded corpus comes from a known source–filter model (`labkit.data.synthetic`), so the lab can
do what no learned generator can: draw more samples from the true distribution. The two oracles are
the perfect generators every learned one is trying to be, and so the reference scale of every gain:

* ``oracle-speakers`` (`OracleSpeakers`): new utterances of the training fold's own speakers, in the
  same emotions, with new utterance seeds ("more real data of the same people").
* ``oracle-population`` (`OraclePopulation`): utterances of *new* speakers drawn from the same
  speaker population (never a corpus speaker, so never a test speaker). This is AAEC's Figure 1(c):
  a generator that extends the training data towards unseen people.

How they work
-------------
* A **pool** is synthesized once per corpus and kind (`labkit.data.synthetic.pool_corpus`, cached
  under ``cache_root()/corpora/oracle-<kind>-<hash>/``) and featurised through the normal feature
  cache (`labkit.features.extract`); a fold only draws rows from it. Within one process the pool's
  and the corpus's feature tables are also kept in memory, so the folds of one comparison read them
  once.
* The oracle must know **which training rows belong to which speaker** (oracle-speakers draws only
  those speakers). It gets it through scikit-learn's metadata routing, never by guessing from the
  data: ``fit_resample(X, y, speaker=..., utterance=...)`` requests ``speaker`` and ``utterance`` by
  default, so inside an imblearn ``Pipeline`` under ``sklearn.config_context(enable_metadata_routing=
  True)`` a ``pipe.fit(X, y, speaker=speakers)`` reaches it (and a ``GridSearchCV`` slices it per
  inner fold). `fit_metadata` keeps only what a given augmenter asks for, since a pipeline refuses
  metadata that no step requests. Routing must be on: without it imblearn 0.14's
  Pipeline hands step parameters (``augment__speaker=``) to ``fit`` only, never to ``fit_resample``.
* The pool rows must land in the space the oracle's X is in (the pipeline standardises first). With
  ``utterance`` (the table's ``id`` of every training row) the oracle looks the rows' raw features up,
  fits the per-feature affine map raw -> X by least squares and checks that it reproduces X
  (any per-feature scaler, or none). With ``speaker`` only, it takes the corpus rows of the routed
  speakers as the fold's raw rows, which is exact when the fold holds every utterance of its
  speakers (LOSO, LOGO, speaker splits; checked by counting), and assumes the step before it is a
  StandardScaler (checked: X has mean 0 and unit variance per feature). Anything else is a
  LabkitError that says to pass ``utterance``.
* ``source`` and ``features`` name the corpus source and feature set of the comparison
  (``"synthetic:shifted"``, ``"egemaps"``); feature settings other than the set's defaults go in
  ``feature_settings``. A source that is not synthetic raises a LabkitError.

Amounts are the usual ``sampling_strategy``. Rows are drawn without replacement while the fold's
share of the pool lasts (by default the pool holds as many utterances per speaker and emotion as
the corpus's largest group, so doubling a LOSO fold never repeats a row); past that, rows repeat
and a warning says so. One-shot: no ``record_every``; the comparison runner records their rows once
(iteration 0), as it does for SMOTE. After generating, ``last_speakers_`` and ``last_ids_`` name the
speaker and pool utterance of every generated row (the leak test reads them).

What the oracles reach
----------------------
Measured, not typed here: the instruments page (docs/instruments.md, "Known answers") renders the
per-scenario Δ UAR of both oracles from ``docs/results/oracles.json`` (one ``labkit compare
synthetic:<scenario> --augmenters none,oracle-speakers,oracle-population --protocol loso --seeds 2
--tune`` per scenario) and names the scenarios where even the oracles gain nothing.

The reference scale of coverage
-------------------------------
`coverage_reference` draws the oracles' rows for the fold a comparison recorded (``--record-every``;
spaces ``aug-<augmenter>``), as many per class as the generator's last snapshot, and computes the
coverage metrics (`labkit.metrics.coverage`) on them against the same reference with the same
settings; `stored_coverage_reference` keeps them in the run's table ``coverage-reference``, which
``labkit coverage`` prints beside the generator's numbers and the dashboard's Distribution page reads
(`labkit.viz.reference`). Only the comparison's own feature space can have a reference (a functional
set such as egemaps, on a synthetic source): an AAEC run's spectrum or embedding spaces have no oracle
rows, and `reference_unavailable` says so.
"""

from __future__ import annotations

import functools
import warnings

import imblearn.base  # noqa: F401 - registers "fit_resample" with scikit-learn's metadata routing
import numpy as np

from labkit.augment.base import OPTIONAL_COUNT, Augmenter
from labkit.errors import LabkitError

# The metadata the oracles take from a pipeline's fit, per training row.
METADATA = ("speaker", "utterance")


def fit_metadata(augmenter, **metadata) -> dict:
    """The subset of `metadata` (per-row arrays) that `augmenter`'s ``fit_resample`` requests.

    A pipeline under metadata routing refuses metadata no step requests, so a runner passes
    ``pipe.fit(X, y, **fit_metadata(augmenter, speaker=..., utterance=...))``. Empty for augmenters
    that request nothing (every augmenter but the oracles today).
    """
    import sklearn

    with sklearn.config_context(enable_metadata_routing=True):
        request = augmenter.get_metadata_routing()
    method = getattr(request, "fit_resample", None)
    if method is None:
        return {}
    wanted = {k for k, v in method.requests.items() if v is True or isinstance(v, str)}
    return {k: v for k, v in metadata.items() if k in wanted and v is not None}


@functools.lru_cache(maxsize=8)
def _corpus_features(source: str, features: str, settings: tuple):
    """(ids (n,), X (n, d) float64, speakers (n,)) of the corpus `source`, through the feature cache."""
    from labkit.data.loaders import load_corpus
    from labkit.features import extract

    feats = extract(load_corpus(source), features, **dict(settings))
    meta = feats.meta
    return meta["id"].astype(str).to_numpy(), np.asarray(feats.X, np.float64), meta["speaker"].astype(str).to_numpy()


@functools.lru_cache(maxsize=8)
def _pool_features(source: str, features: str, settings: tuple, kind: str, n_per_group: int, n_speakers):
    """The oracle pool of `source`: (ids, X (m, d) float64, speakers, emotions), speakers named as the source names them."""
    from labkit.data.synthetic import pool_corpus, source_parts
    from labkit.features import extract

    ids, X, speakers, emotions = [], [], [], []
    for part in source_parts(source):
        table = pool_corpus(part.config, kind, n_per_group, n_speakers).copy()
        table["speaker"] = table["speaker"].str.replace("synthetic:", part.speaker_prefix, regex=False)
        table["id"] = part.id_prefix + table["id"].astype(str)
        feats = extract(table, features, **dict(settings))
        ids.append(feats.meta["id"].astype(str).to_numpy())
        X.append(np.asarray(feats.X, np.float64))
        speakers.append(feats.meta["speaker"].astype(str).to_numpy())
        emotions.append(feats.meta["emotion"].astype(str).to_numpy())
    return np.concatenate(ids), np.concatenate(X), np.concatenate(speakers), np.concatenate(emotions)


class _Oracle(Augmenter):
    """Shared code of the two oracles: routed metadata, the pool, the map into the pipeline's space."""

    input_kind = "vector"
    # Draws from the synthesizer of a synthetic corpus: the common suite's random rows cannot drive it
    # (tests/test_oracle.py runs the same checks on a synthetic corpus).
    needs_corpus = True
    kind = ""  # "speakers" or "population" (labkit.data.synthetic.POOL_KINDS)
    # scikit-learn metadata routing: route these to fit_resample by default (a runner needs no
    # set_fit_resample_request call; `fit_metadata` says what to pass).
    __metadata_request__fit_resample = {"speaker": True, "utterance": True}
    __metadata_request__fit = {"speaker": True, "utterance": True}
    _parameter_constraints = {
        **Augmenter._parameter_constraints,
        "source": [str, None],  # a synthetic source ("synthetic", "synthetic:shifted", ...); checked when fitting
        "features": [str, None],  # a labkit.features.FEATURE_SETS name
        "feature_settings": [dict, None],
        "pool_utterances": OPTIONAL_COUNT,
    }

    # ------------------------------------------------------------------ metadata in
    def fit(self, X, y, *, speaker=None, utterance=None) -> "_Oracle":
        """Fit on the training fold; `speaker` (n,) is required, `utterance` (n,) ids recommended."""
        if getattr(self, "_routed", None) is not None and speaker is None and utterance is None:
            return super().fit(X, y)  # called by fit_resample, which holds the metadata
        self._routed = {"speaker": speaker, "utterance": utterance}
        try:
            return super().fit(X, y)
        finally:
            self._routed = None

    def fit_resample(self, X, y, *, speaker=None, utterance=None):
        """`Augmenter.fit_resample` with the per-row metadata (see the module docstring)."""
        self._routed = {"speaker": speaker, "utterance": utterance}
        try:
            return super().fit_resample(X, y)
        finally:
            self._routed = None

    # ------------------------------------------------------------------ fitting
    def _settings(self) -> tuple:
        s = self.feature_settings or {}
        if not isinstance(s, dict):
            raise LabkitError(f"{type(self).__name__}: feature_settings must be a dict, got {s!r}")
        return tuple(sorted(s.items()))

    def _pool_size(self) -> int:
        from labkit.data.synthetic import source_parts

        if self.pool_utterances is not None:
            return self.pool_utterances
        return max(
            p.config.group_size(s, e)
            for p in source_parts(self.source)
            for s in range(p.config.n_speakers)
            for e in p.config.emotions
        )

    def _fit(self, X, y):
        name = type(self).__name__
        if not self.source or not self.features:
            raise LabkitError(
                f"{name}: set source= (the synthetic corpus, e.g. 'synthetic:shifted') and features= (e.g. "
                "'egemaps'): the oracle synthesizes new utterances of that corpus and featurises them"
            )
        from labkit.data.synthetic import source_parts

        source_parts(self.source)  # a non-synthetic source fails here, with the reason
        routed = getattr(self, "_routed", None) or {}
        speaker = routed.get("speaker")
        if speaker is None:
            raise LabkitError(
                f"{name}: fit needs the speaker of every training row (speaker=...), routed through scikit-learn "
                "metadata routing: `with sklearn.config_context(enable_metadata_routing=True): pipe.fit(X, y, "
                "speaker=speakers)`"
            )
        speaker = np.asarray(speaker).astype(str)
        if speaker.shape != (len(X),):
            raise LabkitError(f"{name}: speaker must have shape ({len(X)},), got {speaker.shape}")
        utterance = routed.get("utterance")
        settings = self._settings()
        ids, R, corpus_speakers = _corpus_features(str(self.source), str(self.features), settings)
        unknown = sorted(set(speaker) - set(corpus_speakers))
        if unknown:
            raise LabkitError(
                f"{name}: speaker(s) {', '.join(unknown[:5])} are not in {self.source} (its speakers: "
                f"{', '.join(sorted(set(corpus_speakers))[:5])}, ...)"
            )
        if R.shape[1] != X.shape[1]:
            raise LabkitError(
                f"{name}: X has {X.shape[1]} features but {self.features} of {self.source} has {R.shape[1]}"
            )
        self.a_, self.b_ = self._affine_map(X, speaker, utterance, ids, R, corpus_speakers)
        self.train_speakers_ = np.unique(speaker)
        pool_ids, P, pool_speakers, pool_emotions = _pool_features(
            str(self.source), str(self.features), settings, self.kind, self._pool_size(), self._n_new_speakers()
        )
        keep = self._pool_rows(pool_speakers)
        self._pool_ = {
            "ids": pool_ids[keep],
            "X": self.a_ * P[keep] + self.b_,  # (m, d) in the pipeline's space
            "speaker": pool_speakers[keep],
            "y": pool_emotions[keep],
        }
        self._used_ = {c: 0 for c in self.classes_.tolist()}
        self._order_ = {}
        missing = [
            c for c in self.classes_.tolist() if self.n_to_add_.get(c, 0) > 0 and str(c) not in set(self._pool_["y"])
        ]
        if missing:
            raise LabkitError(
                f"{name}: the pool has no utterance of class(es) {missing}; the label must be the emotion"
            )

    def _n_new_speakers(self):
        return None

    def _pool_rows(self, pool_speakers: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _affine_map(self, X, speaker, utterance, ids, R, corpus_speakers):
        """Per-feature (a, b) with X ≈ a * raw + b for the fold's rows; checked, never guessed."""
        name = type(self).__name__
        if utterance is not None:
            utterance = np.asarray(utterance).astype(str)
            if utterance.shape != (len(X),):
                raise LabkitError(f"{name}: utterance must have shape ({len(X)},), got {utterance.shape}")
            where = {u: i for i, u in enumerate(ids)}
            absent = [u for u in utterance if u not in where]
            if absent:
                raise LabkitError(f"{name}: utterance id(s) {', '.join(absent[:5])} are not in {self.source}")
            raw = R[[where[u] for u in utterance]]  # (n, d)
            mu_r, mu_x = raw.mean(axis=0), X.mean(axis=0)
            var_r = raw.var(axis=0)
            cov = ((raw - mu_r) * (X - mu_x)).mean(axis=0)
            a = np.where(var_r > 0, cov / np.where(var_r > 0, var_r, 1.0), 1.0)
            b = mu_x - a * mu_r
            err = np.abs(a * raw + b - X).max(axis=0)
            tol = 1e-3 * (1.0 + np.abs(X).max(axis=0))
            if np.any(err > tol):
                j = int(np.argmax(err / tol))
                raise LabkitError(
                    f"{name}: the training rows are not a per-feature affine image of the utterances' "
                    f"{self.features} features (feature {j} misses by {err[j]:.3g}); are source, features and "
                    "utterance ids those of the comparison?"
                )
            return a, b
        # speaker only: the fold's raw rows are every corpus row of its speakers, if the counts agree
        fold_counts = dict(zip(*np.unique(speaker, return_counts=True)))
        rows = np.isin(corpus_speakers, list(fold_counts))
        corpus_counts = dict(zip(*np.unique(corpus_speakers[rows], return_counts=True)))
        if fold_counts != corpus_counts:
            bad = sorted(s for s in fold_counts if fold_counts[s] != corpus_counts.get(s))
            raise LabkitError(
                f"{name}: the fold holds only part of speaker(s) {', '.join(bad[:5])}'s utterances, so the rows "
                "cannot be placed from the speakers alone; pass utterance=... (the table's ids) as well"
            )
        sd_x = X.std(axis=0)
        if np.abs(X.mean(axis=0)).max() > 1e-3 or np.any(np.abs(sd_x[sd_x > 1e-6] - 1.0) > 1e-3):
            raise LabkitError(
                f"{name}: with speaker only, the step before the oracle must be a StandardScaler (X with mean 0 "
                "and variance 1 per feature); pass utterance=... for any other scaling"
            )
        raw = R[rows]
        mu, sd = raw.mean(axis=0), raw.std(axis=0)
        const = sd <= 1e-12 * (1.0 + np.abs(mu))
        a = np.where(const, 1.0, 1.0 / np.where(const, 1.0, sd))
        return a, -mu * a

    # ------------------------------------------------------------------ drawing
    def _generate(self, n_per_class: dict):
        X_parts, y_parts, spk, uid = [], [], [], []
        for c, k in n_per_class.items():
            rows = np.flatnonzero(self._pool_["y"] == str(c))
            if c not in self._order_:
                self._order_[c] = self._rng_.permutation(rows)
            order = self._order_[c]
            start = self._used_[c]
            take = order[np.arange(start, start + k) % len(order)]
            if start + k > len(order):
                warnings.warn(
                    f"{type(self).__name__}: class {c!r} asked for {start + k} rows in all, the fold's pool holds "
                    f"{len(order)}; rows repeat (raise pool_utterances for more)",
                    stacklevel=3,
                )
            self._used_[c] = start + k
            X_parts.append(self._pool_["X"][take])
            y_parts.append(np.full(k, c, dtype=self.classes_.dtype))
            spk.append(self._pool_["speaker"][take])
            uid.append(self._pool_["ids"][take])
        self.last_speakers_ = np.concatenate(spk)
        self.last_ids_ = np.concatenate(uid)
        return np.concatenate(X_parts), np.concatenate(y_parts)


class OracleSpeakers(_Oracle):
    """New utterances of the training fold's own speakers: the same people, more real data.

    The pool gives every corpus speaker × emotion `pool_utterances` new utterances (utterance
    numbers from 1000 on: new utterance seeds, the corpus's sentence texts); a fold draws only the
    rows of the speakers routed to it (``speaker=``), so a test speaker is never drawn.

    Parameters
    ----------
    sampling_strategy : "balance", float or dict
    source : str
        The synthetic corpus source of the comparison (``synthetic``, ``synthetic:<scenario>``, ...).
    features : str
        Its feature set (a functional set such as ``egemaps``).
    feature_settings : dict or None
        Extractor settings beyond the set's defaults, as given to `labkit.features.extract`.
    pool_utterances : int or None
        New utterances per speaker × emotion in the pool; None: as many as the corpus's largest group.
    random_state : int or None
    """

    kind = "speakers"

    def __init__(
        self,
        sampling_strategy="balance",
        source=None,
        features=None,
        feature_settings=None,
        pool_utterances=None,
        random_state=None,
    ):
        self.sampling_strategy = sampling_strategy
        self.source = source
        self.features = features
        self.feature_settings = feature_settings
        self.pool_utterances = pool_utterances
        self.random_state = random_state

    def _pool_rows(self, pool_speakers):
        return np.isin(pool_speakers, self.train_speakers_)


class OraclePopulation(_Oracle):
    """Utterances of new speakers drawn from the corpus's speaker population (AAEC's Figure 1(c)).

    The pool holds `n_speakers` new speakers (speaker numbers from 1000 on: new voices and new
    personal emotion styles from the same distributions, half female, half male), each saying
    `pool_utterances` utterances per emotion. No pool speaker is a corpus speaker, so none is a test
    speaker; every fold draws from the whole pool.

    Parameters
    ----------
    sampling_strategy : "balance", float or dict
    source, features, feature_settings : as in `OracleSpeakers`
    pool_utterances : int or None
        Utterances per new speaker × emotion; None: as many as the corpus's largest group.
    n_speakers : int or None
        New speakers in the pool; None: as many as the corpus has.
    random_state : int or None
    """

    kind = "population"
    _parameter_constraints = {**_Oracle._parameter_constraints, "n_speakers": OPTIONAL_COUNT}

    def __init__(
        self,
        sampling_strategy="balance",
        source=None,
        features=None,
        feature_settings=None,
        pool_utterances=None,
        n_speakers=None,
        random_state=None,
    ):
        self.sampling_strategy = sampling_strategy
        self.source = source
        self.features = features
        self.feature_settings = feature_settings
        self.pool_utterances = pool_utterances
        self.n_speakers = n_speakers
        self.random_state = random_state

    def _n_new_speakers(self):
        return self.n_speakers

    def _pool_rows(self, pool_speakers):
        return np.ones(len(pool_speakers), dtype=bool)


# ---------------------------------------------------------------------------------------------- the reference scale
ORACLES = {"oracle-speakers": OracleSpeakers, "oracle-population": OraclePopulation}


def oracle_samples(
    source: str,
    features: str,
    X_train: np.ndarray,
    y_train: np.ndarray,
    speakers: np.ndarray,
    utterances: np.ndarray,
    n_per_class: dict,
    *,
    feature_settings: dict | None = None,
    seed: int = 0,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """What each oracle draws for one training fold, in that fold's space: ``{name: (X_new, y_new)}``.

    `X_train` (n, d) are the fold's training rows in any per-feature affine space (the oracles place
    their pool rows there through `utterances`, checked), `y_train` their emotions, `speakers` and
    `utterances` their speakers and corpus ids; `n_per_class` ({class: count}) is how many rows to draw
    of each class, e.g. as many as a generator's recorded snapshot holds. This is the reference scale
    of a generator's coverage metrics (`coverage_reference`).
    """
    out = {}
    for name, cls in ORACLES.items():
        oracle = cls(
            sampling_strategy=0.0,
            source=source,
            features=features,
            feature_settings=feature_settings,
            random_state=seed,
        )
        oracle.fit(X_train, y_train, speaker=speakers, utterance=utterances)
        wanted = {c: int(k) for c, k in n_per_class.items() if int(k) > 0}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a pool shorter than the snapshot repeats rows; the count still holds
            out[name] = oracle.sample(wanted)
    return out


def _run_fold(run, config: dict):
    """(meta, X, train rows) of the first seed's first fold of comparison `run`, rebuilt from its config.

    The features come through the feature cache with the set's default settings (what ``labkit compare``
    uses for a corpus source) and must hash to the run's ``data_hash``, so a changed corpus or extractor
    is an error, never a silent mismatch.
    """
    import hashlib

    from labkit.data.loaders import load_corpus
    from labkit.experiment.protocols import make_folds
    from labkit.features import extract

    feats = extract(load_corpus(config["source"]), config["features"], progress=False)
    X = np.asarray(feats.X)
    digest = hashlib.sha1(np.ascontiguousarray(X).tobytes()).hexdigest()[:16]
    if config.get("data_hash") and digest != config["data_hash"]:
        raise LabkitError(
            f"{run.path}: the {config['features']} features of {config['source']} hash to {digest}, the run was made "
            f"on {config['data_hash']}; the corpus or the extractor changed since, so its fold cannot be rebuilt"
        )
    meta = feats.meta.reset_index(drop=True)
    params = dict(config.get("protocol_params") or {})
    if config["protocol"] == "reduced":
        params.setdefault("label", config.get("target", "emotion"))
        params["seed"] = 0
    fold = make_folds(meta, config["protocol"], **params)[0]
    return meta, X, np.asarray(fold.train_idx)


def reference_unavailable(run, space: str) -> str | None:
    """Why `space` of `run` has no oracle reference scale (None when it can have one)."""
    from labkit.data.synthetic import source_parts

    config = run.config or {}
    if run.kind != "compare" or not space.startswith("aug-"):
        return (
            f"no oracle reference for space {space!r}: the oracles draw rows of a comparison's feature set, which "
            "are in the aug-<augmenter> spaces of `labkit compare --record-every` runs (not spectrograms or a "
            "model's embeddings)"
        )
    try:
        source_parts(config.get("source"))
    except LabkitError:
        return f"no oracle reference exists: {config.get('source')!r} is not a synthetic corpus (nothing to draw from)"
    return None


def coverage_reference(run, space: str, coverage_config=None) -> list[dict]:
    """The coverage metrics of the oracles' rows for the fold a comparison's `space` recorded.

    The space ``aug-<augmenter>`` of a ``labkit compare --record-every N`` run holds the first seed's
    first fold, standardised with that training fold (`labkit.runs.compare.Recorder`). This rebuilds the
    fold from the run's config (`_run_fold`), checks that its standardised training rows are the recorded
    reference's, draws as many rows of each class from each oracle as the space's last snapshot holds
    (`oracle_samples`), and computes `labkit.metrics.coverage.coverage_metrics` on them against the same
    reference, with the same settings: the generator's numbers and the oracles' are on one scale.

    Supported: comparison runs on a synthetic source with a functional feature set (egemaps, is10, ...),
    whose recorded spaces are that feature set. Not supported (`reference_unavailable` says why): other
    runs' spaces (an AAEC run's spectrum or embedding, where no oracle rows exist), non-synthetic sources.

    Returns
    -------
    One dict per oracle: ``space``, ``oracle``, ``iteration`` (the snapshot whose amount was matched), every
    metric of `labkit.metrics.coverage.METRICS`, ``n_generated``.
    """
    from sklearn.preprocessing import StandardScaler

    from labkit.metrics.coverage import CoverageConfig, coverage_metrics, prepare_real

    config = coverage_config or CoverageConfig()
    why = reference_unavailable(run, space)
    if why:
        raise LabkitError(f"{run.path}: {why}")
    iterations = run.snapshot_iterations(space)
    if not iterations:
        raise LabkitError(f"{run.path}: no snapshots in space {space!r}; nothing to match the oracles' amount to")
    ref = run.load_reference(space)
    snap = run.load_snapshot(space, iterations[-1])
    run_config = run.config
    meta, X, train = _run_fold(run, run_config)
    X_train = StandardScaler().fit_transform(X[train])
    if X_train.shape != ref["X_train"].shape or not np.allclose(X_train, ref["X_train"], rtol=1e-5, atol=1e-6):
        raise LabkitError(
            f"{run.path}: the rebuilt first fold ({X_train.shape}) is not the one space {space!r} recorded "
            f"({ref['X_train'].shape}); is the run's config its own?"
        )
    y = meta[run_config.get("target", "emotion")].astype(str).to_numpy()
    labels, counts = np.unique(np.asarray(snap["y"]).astype(str), return_counts=True)
    drawn = oracle_samples(
        run_config["source"],
        run_config["features"],
        X_train,
        y[train],
        meta["speaker"].astype(str).to_numpy()[train],
        meta["id"].astype(str).to_numpy()[train],
        dict(zip(labels.tolist(), counts.tolist())),
        seed=config.seed,
    )
    real = prepare_real(ref["X_train"], ref["X_test"], config)
    return [
        {"space": space, "oracle": name, "iteration": int(iterations[-1]), **coverage_metrics(real, X_new, config)}
        for name, (X_new, _) in drawn.items()
    ]


def stored_coverage_reference(run, space: str, coverage_config=None, *, use_cache: bool = True) -> list[dict]:
    """`coverage_reference`, kept in the run's table ``coverage-reference`` (written atomically).

    The table holds one row per space and oracle with the settings it was computed with (k, max_samples,
    seed) and the fingerprints of the space's reference and matched snapshot; a row whose settings or files
    changed is computed again, the other spaces' rows are kept. The dashboard reads the table
    (`labkit.viz.reference`) and never computes.
    """
    import pandas as pd

    from labkit.metrics.coverage import REFERENCE_TABLE, CoverageConfig, file_fingerprint

    config = coverage_config or CoverageConfig()
    iterations = run.snapshot_iterations(space)
    stamp = {
        "k": config.k,
        "max_samples": config.max_samples,
        "seed": config.seed,
        "reference_file": file_fingerprint(run.path / "reference" / f"{space}.npz"),
        "snapshot_file": file_fingerprint(run.path / "snapshots" / space / f"iter_{iterations[-1]:07d}.npz")
        if iterations
        else "",
    }
    table = None
    if run.has_table(REFERENCE_TABLE):
        try:
            table = run.read_table(REFERENCE_TABLE)
        except LabkitError:
            table = None  # a damaged table is computed again
    if use_cache and table is not None and "space" in table.columns:
        mine = table[table["space"] == space]
        if len(mine) == len(ORACLES) and all(
            c in mine.columns and (mine[c].astype(str) == str(v)).all() for c, v in stamp.items()
        ):
            return [{k: v for k, v in r.items() if k not in stamp} for r in mine.to_dict(orient="records")]
    rows = coverage_reference(run, space, config)
    fresh = pd.DataFrame([{**r, **stamp} for r in rows])
    keep = table[table["space"] != space] if table is not None and "space" in table.columns else None
    run.write_table(REFERENCE_TABLE, fresh if keep is None or not len(keep) else pd.concat([keep, fresh]))
    return rows
