"""Shilandari et al. 2022 as augmenters: ``cyclegan`` (JS loss) and ``cyclegan-w`` (Wasserstein divergence).

Both train the per-emotion cycle-GANs with `labkit.trainers.cyclegan.train`, the same function
``labkit reproduce shilandari-table1`` runs, on the training fold they are given (inside labkit's
pipelines: standardised features).

* A synthetic row of emotion c is G_c(s): a neutral training row s, drawn uniformly with
  replacement, plus Gaussian jitter (``jitter``, in units of the standardised features), translated
  by emotion c's generator. The jitter is our choice: G is deterministic, so without it a fold with
  n neutral rows gives at most n distinct rows per emotion, and larger amounts would be exact copies.
* A synthetic *neutral* row (when ``sampling_strategy`` asks the neutral class to grow) is F_i(t):
  an emotional training row t (uniform over all emotional rows) translated back to neutral by its
  emotion's inverse generator, so every class can grow as the Augmenter API defines.
* The training fold must hold the source class (``neutral``, default "neutral"); otherwise a
  `LabkitError` names the classes it has.

With ``record_every`` > 0 it records, at epoch 0 (after pre-training) and every ``record_every``
epochs, G_c of ``n_record`` fixed neutral rows for every emotion c (origin ``G(neutral)``) and F_c of
``n_record`` fixed rows of each emotion (labelled neutral, origin ``F(emotion)``), and it logs the
per-epoch losses, so the dashboard animates the training.

`set_checkpoint` gives the training a `labkit.trainers.common.Checkpoint` to save to and resume from
(the reproductions do, so a killed task does not train again from the start).

`training_job` says what a fit would train and `set_trained` fits with a model trained elsewhere:
`labkit.reproductions.shilandari` trains a seed's folds as one stack
(`labkit.trainers.cyclegan.train_stack`) and gives each fold's augmenter its replica.

`FittedSampler` reuses one trained augmenter in further pipelines (other classifiers, other
amounts) without training it again: what the reproductions use so that a cycle-GAN is trained once
per fold.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils._param_validation import Interval

from labkit.augment.base import COUNT, DEVICE, NON_NEGATIVE_COUNT, OPTIONAL_COUNT, THREADS, Augmenter
from labkit.errors import LabkitError


class CycleGANAugmenter(Augmenter):
    """One cycle-GAN per emotion, neutral -> emotion (Shilandari et al. 2022); JS loss by default.

    Parameters
    ----------
    sampling_strategy, random_state : see `labkit.augment.base.Augmenter`
    preset : a method preset of `labkit.models.cyclegan.PRESETS` ("cyclegan", "cyclegan-w",
        "cyclegan-nocls", "cyclegan-w-nocls")
    budget : "small" (CPU) or "paper" (2 x 800 units, 200 epochs; a GPU job), `labkit.models.cyclegan.BUDGETS`
    epochs, pretrain_epochs, cls_epochs, hidden, batch_size, lr : override the budget (None: the budget's;
        lr is the Adam step of the generators and discriminators, the paper's 2e-4 by default)
    neutral : the label of the source class (default "neutral")
    jitter : standard deviation of the Gaussian jitter added to source rows before translation
    device : torch device (None: CUDA when available)
    threads : torch CPU threads while training and generating on the CPU (restored afterwards); 1 by
        default, as for labkit's DNN: the networks are small, labkit runs one task per core, and on a
        busy machine a second thread costs far more than it gains (ten times, measured on 2 cores)
    record_every : record generated rows every this many epochs (0: off)
    n_record : source rows per emotion in each snapshot
    """

    # A discriminator facing a single row only learns that row; two is the least that is a sample.
    min_class_size = 2
    _parameter_constraints = {
        **Augmenter._parameter_constraints,
        "preset": [str],  # labkit.models.cyclegan.make_config names the presets and budgets
        "budget": [str],
        "epochs": OPTIONAL_COUNT,
        "pretrain_epochs": [*NON_NEGATIVE_COUNT, None],
        "cls_epochs": [*NON_NEGATIVE_COUNT, None],
        "hidden": OPTIONAL_COUNT,
        "batch_size": OPTIONAL_COUNT,
        "lr": [Interval(numbers.Real, 0, 1, closed="right"), None],  # Adam steps above 1 only diverge
        "neutral": "no_validation",  # a class label: any type y holds
        "jitter": [Interval(numbers.Real, 0, 10, closed="both")],  # in standardised feature units
        "device": DEVICE,
        "threads": THREADS,
        "record_every": NON_NEGATIVE_COUNT,
        "n_record": COUNT,
    }

    def __init__(
        self,
        sampling_strategy="balance",
        random_state=None,
        preset="cyclegan",
        budget="small",
        epochs=None,
        pretrain_epochs=None,
        cls_epochs=None,
        hidden=None,
        batch_size=None,
        lr=None,
        neutral="neutral",
        jitter=0.05,
        device=None,
        threads=1,
        record_every=0,
        n_record=16,
    ):
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state
        self.preset = preset
        self.budget = budget
        self.epochs = epochs
        self.pretrain_epochs = pretrain_epochs
        self.cls_epochs = cls_epochs
        self.hidden = hidden
        self.batch_size = batch_size
        self.lr = lr
        self.neutral = neutral
        self.jitter = jitter
        self.device = device
        self.threads = threads
        self.record_every = record_every
        self.n_record = n_record

    def _threads(self):
        """A context that runs torch on `threads` CPU threads (nothing changes on CUDA)."""
        import contextlib

        import torch

        @contextlib.contextmanager
        def limited():
            before = torch.get_num_threads()
            torch.set_num_threads(int(self.threads))
            try:
                yield
            finally:
                torch.set_num_threads(before)

        if self.threads is None or getattr(self, "device_", None) is None or self.device_.type != "cpu":
            return contextlib.nullcontext()
        return limited()

    def set_checkpoint(self, checkpoint) -> "CycleGANAugmenter":
        """Train with this `labkit.trainers.common.Checkpoint` (None: none): saved every
        ``checkpoint.every`` adversarial epochs, and a fit that finds it continues from it, so a killed
        task resumes mid-training with the same result. Like `set_recorder`, not an estimator parameter
        (a checkpoint is where a training is kept, not how it trains)."""
        self._checkpoint = checkpoint
        return self

    def set_trained(self, result) -> "CycleGANAugmenter":
        """Fit with this `TrainResult` instead of training (None: train as usual): the result of
        `labkit.trainers.cyclegan.train_stack` for this fold's `training_job`. `fit` checks that it was
        trained with the config (seed included) and classes the fit would train with."""
        self._trained = result
        return self

    def training_job(self, X, y):
        """What `fit(X, y)` would train, without training: ``(replica, cfg, hook)``, a
        `labkit.trainers.cyclegan.Replica` (the rows, class indices, seed, source and targets), the
        `CycleGANConfig` (its seed drawn from ``random_state`` as `fit` draws it) and the snapshot
        hook (None unless ``record_every``). Leaves this augmenter unfitted for use."""
        self._check_params()
        X, y, _ = self._validate_data(X, y)
        self._job_only = True
        try:
            self._fit_validated(X, y)
        finally:
            self._job_only = False
        job = self.job_
        del self.job_
        return job

    # ------------------------------------------------------------------ fit
    def config(self, n_features: int, n_classes: int, seed: int = 0):
        """The `CycleGANConfig` this augmenter trains for `n_features` and `n_classes` (neutral included)."""
        from labkit.models.cyclegan import make_config

        over = {
            k: int(v)
            for k, v in (
                ("epochs", self.epochs),
                ("pretrain_epochs", self.pretrain_epochs),
                ("cls_epochs", self.cls_epochs),
                ("hidden", self.hidden),
                ("batch_size", self.batch_size),
            )
            if v is not None
        }
        if self.lr is not None:
            over["lr"] = float(self.lr)
        return make_config(
            self.preset,
            self.budget,
            n_features=n_features,
            n_targets=n_classes - 1,
            n_classes=n_classes,
            seed=seed,
            **over,
        )

    def _fit(self, X, y) -> None:
        from labkit.trainers.cyclegan import train
        from labkit.utils import pick_device

        name = type(self).__name__
        classes = self.classes_.tolist()
        if self.neutral not in classes:
            raise LabkitError(
                f"{name}: the cycle-GANs translate the {self.neutral!r} class into every other one, "
                f"but the training fold has no {self.neutral!r} rows; its classes are {classes} "
                "(set neutral= to the source class's label)"
            )
        if len(classes) < 2:
            raise LabkitError(f"{name}: the training fold has only the class {self.neutral!r}; nothing to translate to")
        if not np.isfinite(self.jitter) or self.jitter < 0:
            raise LabkitError(f"{name}: jitter must be >= 0, got {self.jitter}")
        self.device_ = pick_device(self.device)
        X = np.asarray(X, dtype=np.float32)
        self.class_index_ = {c: i for i, c in enumerate(classes)}
        y_idx = np.array([self.class_index_[c] for c in np.asarray(y).tolist()], dtype=np.int64)
        self.source_ = self.class_index_[self.neutral]
        self.targets_ = [i for i in range(len(classes)) if i != self.source_]  # stack order of the emotions
        self.stack_ = {classes[c]: pos for pos, c in enumerate(self.targets_)}  # class label -> stack position
        seed = int(self._rng_.integers(0, 2**31 - 1))
        cfg = self.config(X.shape[1], len(classes), seed=seed)
        self.X_source_ = X[y_idx == self.source_]  # (n_s, D) the rows every emotion is translated from
        self.X_emotional_ = X[y_idx != self.source_]  # (n_e, D) the rows F translates back to neutral
        self.emotional_stack_ = np.array([self.stack_[classes[c]] for c in y_idx[y_idx != self.source_]])
        if self.threads is not None and int(self.threads) < 1:
            raise LabkitError(f"{name}: threads must be at least 1, got {self.threads}")
        hook = self._snapshot_hook(X, y_idx) if self.record_every else None
        if getattr(self, "_job_only", False):  # training_job: what would be trained, nothing more
            from labkit.trainers.cyclegan import Replica

            self.job_ = (Replica(X, y_idx, cfg.seed, self.source_, list(self.targets_)), cfg, hook)
            return
        res = getattr(self, "_trained", None)
        if res is not None:  # trained elsewhere (a stack of folds): it must be this fold's training
            if res.config.to_dict() != cfg.to_dict() or list(res.state.get("targets", [])) != self.targets_:
                raise LabkitError(
                    f"{name}: the given trained model was made for another training (config or classes differ: "
                    f"seed {res.config.seed} vs {cfg.seed}); train it with training_job(X, y) of this augmenter"
                )
        else:
            with self._threads():
                res = train(
                    X,
                    y_idx,
                    cfg,
                    source=self.source_,
                    targets=self.targets_,
                    device=self.device_,
                    on_epoch=hook,
                    checkpoint=getattr(self, "_checkpoint", None),
                    desc=self.preset,
                )
        for row in res.history:
            self._log(row["epoch"], **{k: v for k, v in row.items() if k not in ("epoch", "seconds")})
        self.model_ = res.model
        self.config_ = cfg.to_dict()
        self.pretrain_ = res.state["pretrain"]
        self.seconds_ = res.seconds / int(res.state.get("replicas", 1))  # a stack's time, shared by its replicas

    def _snapshot_hook(self, X, y_idx):
        """Snapshots: G_c of fixed neutral rows for every emotion c, F_c of fixed rows of each emotion."""
        from labkit.trainers.cyclegan import translate

        pick = np.random.default_rng(0)
        src = self.X_source_[pick.permutation(len(self.X_source_))[: self.n_record]]  # (m, D)
        per_emotion = [X[y_idx == c][pick.permutation(int((y_idx == c).sum()))[: self.n_record]] for c in self.targets_]
        names = self.classes_

        def hook(epoch, model, row):
            if not self._should_record(epoch):
                return
            E = len(self.targets_)
            to_emotion = np.concatenate([translate(model, src, i, "G") for i in range(E)])
            to_neutral = np.concatenate([translate(model, rows, i, "F") for i, rows in enumerate(per_emotion)])
            y = np.concatenate(
                [np.full(len(src), names[c]) for c in self.targets_] + [np.full(len(to_neutral), names[self.source_])]
            )
            origin = np.array(["G(neutral)"] * len(to_emotion) + ["F(emotion)"] * len(to_neutral))
            self._record_snapshot(epoch, np.concatenate([to_emotion, to_neutral]), y, origin)

        return hook

    # ------------------------------------------------------------------ generate
    def _generate(self, n_per_class: dict):
        with self._threads():
            return self._generate_rows(n_per_class)

    def _generate_rows(self, n_per_class: dict):
        from labkit.trainers.cyclegan import generate, translate

        X_parts, y_parts = [], []
        for c, k in n_per_class.items():
            if c == self.neutral:  # F_i(t) of random emotional rows, each through its own emotion's F
                picks = self._rng_.integers(0, len(self.X_emotional_), size=k)
                rows = self.X_emotional_[picks]
                if self.jitter > 0:
                    rows = rows + self.jitter * self._rng_.standard_normal(rows.shape).astype(np.float32)
                X_parts.append(translate(self.model_, rows, self.emotional_stack_[picks], "F"))
            else:
                X_parts.append(generate(self.model_, self.X_source_, k, self.stack_[c], self._rng_, self.jitter))
            y_parts.append(np.full(k, c, dtype=self.classes_.dtype))
        return np.concatenate(X_parts), np.concatenate(y_parts)


class CycleGANWAugmenter(CycleGANAugmenter):
    """`CycleGANAugmenter` with the Wasserstein divergence (preset ``cyclegan-w``): the paper's proposed method."""

    def __init__(
        self,
        sampling_strategy="balance",
        random_state=None,
        preset="cyclegan-w",
        budget="small",
        epochs=None,
        pretrain_epochs=None,
        cls_epochs=None,
        hidden=None,
        batch_size=None,
        lr=None,
        neutral="neutral",
        jitter=0.05,
        device=None,
        threads=1,
        record_every=0,
        n_record=16,
    ):
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            preset=preset,
            budget=budget,
            epochs=epochs,
            pretrain_epochs=pretrain_epochs,
            cls_epochs=cls_epochs,
            hidden=hidden,
            batch_size=batch_size,
            lr=lr,
            neutral=neutral,
            jitter=jitter,
            device=device,
            threads=threads,
            record_every=record_every,
            n_record=n_record,
        )


class FittedSampler(Augmenter):
    """A fitted augmenter reused in a new pipeline: its `fit` trains nothing, it only samples.

    ``build_pipeline(FittedSampler(trained, sampling_strategy=2.0), classifier).fit(X_train, y_train)``
    gives the classifier the training fold plus ``trained.sample(...)`` rows in the amount of its own
    `sampling_strategy`, so one trained generator serves several classifiers and amounts. `fit`
    refuses rows whose shape or class counts differ from those `fitted` was trained on (it must see
    the same training fold, through the same scaler).

    Parameters
    ----------
    fitted : a fitted `Augmenter`
    sampling_strategy : see `labkit.augment.base.Augmenter`
    random_state : unused (the rows come from `fitted`'s own random stream); kept for the common API
    """

    input_kind = "any"

    def __init__(self, fitted=None, sampling_strategy="balance", random_state=None):
        self.fitted = fitted
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state

    def _fit(self, X, y) -> None:
        f = self.fitted
        if f is None or not hasattr(f, "classes_"):
            raise LabkitError("FittedSampler: give it a fitted augmenter (fitted=...)")
        if f.class_counts_ != self.class_counts_ or tuple(f.feature_shape_) != tuple(X.shape[1:]):
            raise LabkitError(
                f"FittedSampler: these rows (classes {self.class_counts_}, shape {X.shape}) are not the "
                f"training fold {type(f).__name__} was fitted on (classes {f.class_counts_})"
            )

    def _generate(self, n_per_class: dict):
        return self.fitted.sample(n_per_class)


__all__ = ["CycleGANAugmenter", "CycleGANWAugmenter", "FittedSampler"]
