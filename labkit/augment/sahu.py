"""Sahu et al. 2018's generators as augmenters: ``gan2d`` (AAE code plane) and ``cgan`` (feature space).

Both call the training functions of `labkit.trainers.sahu`, the same ones ``labkit reproduce
sahu-table1`` runs, on the training fold they are given (inside labkit's pipelines: standardised
features, so the models see zero-mean unit-variance columns as in the reproduction).

* `Gan2dAugmenter` (``gan2d``): train the label-aware 2-D AAE, then the vanilla GAN on its codes;
  a synthetic row of emotion c is a generated code whose most probable GMM component is c, decoded
  back to feature space by the AAE's decoder (an augmenter must return rows in its input space).
  `codes` gives the codes of any rows and `sample_codes` synthetic codes, for work in the code
  plane itself (Table 1's 2-D rows).
* `CGANAugmenter` (``cgan``): the conditional GAN, preset ``baseline``, ``pretrained`` or
  ``improved`` (Figure 4 a/b/c; the last two first train the AAE whose decoder initialises the
  generator); a synthetic row of emotion c is G(z, c) with z from the GMM component of c.

Both record snapshots (``record_every`` epochs of the generator: `n_record` rows per class from fixed
noise) and the generator's per-epoch loss history (``history_``; the AAE's, when one is trained, is
``aae_history_``), so the comparison runner's recorder puts them on the dashboard.
"""

from __future__ import annotations

import contextlib

import numpy as np

from labkit.augment.base import COUNT, DEVICE, NON_NEGATIVE_COUNT, OPTIONAL_COUNT, THREADS, Augmenter
from labkit.errors import LabkitError


@contextlib.contextmanager
def torch_threads(n: int | None):
    """Run the block with `n` torch CPU threads (None: leave torch's setting), then restore it."""
    import torch

    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n)))
    try:
        yield
    finally:
        torch.set_num_threads(old)


class _SahuBase(Augmenter):
    """Shared plumbing: class indices, seeds, the device, CPU threads, the AAE fit."""

    input_kind = "vector"
    _parameter_constraints = {
        **Augmenter._parameter_constraints,
        "aae_epochs": OPTIONAL_COUNT,
        "batch_size": OPTIONAL_COUNT,
        "device": DEVICE,
        "threads": THREADS,
        "record_every": NON_NEGATIVE_COUNT,
        "n_record": COUNT,
    }

    def _fit(self, X, y) -> None:
        # Narrow models: more CPU threads than one mostly add synchronisation, and on a busy machine
        # oversubscribed threads made a small fit 15x slower (measured); `threads` sets it.
        with torch_threads(self.threads):
            self._fit_models(X, y)

    def _setup(self, X, y):
        import torch

        from labkit.utils import pick_device

        self.device_ = pick_device(self.device)
        self.seed_ = 0 if self.random_state is None else int(self.random_state)
        self.class_index_ = {c: i for i, c in enumerate(self.classes_.tolist())}
        y_idx = np.array([self.class_index_[c] for c in np.asarray(y).tolist()], dtype=np.int64)
        self.noise_gen_ = torch.Generator(device=self.device_).manual_seed(self.seed_ + 10)
        return np.asarray(X, dtype=np.float32), y_idx

    def _train_aae(self, X, y_idx):
        from labkit.models.sahu import make_aae_config
        from labkit.trainers.sahu import train_aae

        over = {k: int(v) for k, v in (("epochs", self.aae_epochs), ("batch_size", self.batch_size)) if v is not None}
        cfg = make_aae_config(n_features=X.shape[1], n_classes=len(self.classes_), seed=self.seed_, **over)
        res = train_aae(X, y_idx, cfg, device=self.device_)
        # Kept apart: `history_` holds the generator's epochs only, one row per epoch (the Training page's curves).
        self.aae_history_ = res.history
        return res.model

    def _log_history(self, history: list[dict]) -> None:
        """The generator's per-epoch rows into ``history_`` (losses only; epoch is the index)."""
        for row in history:
            self._log(row["epoch"], **{k: v for k, v in row.items() if k not in ("epoch", "seconds")})

    def _names(self, idx) -> np.ndarray:
        return self.classes_[np.asarray(idx, dtype=int)]


class Gan2dAugmenter(_SahuBase):
    """Vanilla GAN in the 2-D AAE code plane, decoded to feature space (Section 3.2.1).

    Parameters
    ----------
    sampling_strategy, random_state : see `labkit.augment.base.Augmenter`
    aae_epochs : AAE epochs (None: `labkit.models.sahu.AAEConfig`'s 60)
    gan_epochs : vanilla GAN epochs (None: the ``gan2d`` preset's 100)
    batch_size : minibatch size of both (None: 64)
    device : torch device (None: CUDA when available)
    threads : torch CPU threads while fitting (None: torch's own setting)
    record_every : record decoded samples every this many GAN epochs (0: off)
    n_record : rows per class in each snapshot
    """

    # One Gaussian per emotion is fitted to its codes; one code says nothing about a spread.
    min_class_size = 2
    _parameter_constraints = {**_SahuBase._parameter_constraints, "gan_epochs": OPTIONAL_COUNT}

    def __init__(
        self,
        sampling_strategy="balance",
        random_state=None,
        aae_epochs=None,
        gan_epochs=None,
        batch_size=None,
        device=None,
        threads=1,
        record_every=0,
        n_record=16,
    ):
        super().__init__(sampling_strategy=sampling_strategy, random_state=random_state)
        self.aae_epochs = aae_epochs
        self.gan_epochs = gan_epochs
        self.batch_size = batch_size
        self.device = device
        self.threads = threads
        self.record_every = record_every
        self.n_record = n_record

    def _fit_models(self, X, y) -> None:
        from labkit.models.sahu import ClassGMM, make_gan_config
        from labkit.trainers.sahu import encode, train_gan

        X, y_idx = self._setup(X, y)
        self.aae_ = self._train_aae(X, y_idx)
        codes = encode(self.aae_, X)
        self.gmm_ = ClassGMM().fit(codes, y_idx, len(self.classes_))
        over = {k: int(v) for k, v in (("epochs", self.gan_epochs), ("batch_size", self.batch_size)) if v is not None}
        cfg = make_gan_config("gan2d", data_dim=self.aae_.cfg.code_dim, seed=self.seed_ + 1, **over)
        res = train_gan(codes, cfg, device=self.device_, on_epoch=self._snapshot_hook())
        self._log_history(res.history)
        self.gan_ = res.model

    def _snapshot_hook(self):
        import torch

        from labkit.trainers.sahu import decode

        fixed = {}

        def hook(epoch, model, row):
            if not self._should_record(epoch):
                return
            with torch.no_grad():
                if not fixed:
                    g = torch.Generator(device=self.device_).manual_seed(self.seed_ + 7)
                    fixed["z"] = model.noise(self.n_record * len(self.classes_), g, self.device_)
                codes = model.generate(fixed["z"]).float().cpu().numpy()
            self._record_snapshot(
                epoch, decode(self.aae_, codes), self._names(self.gmm_.predict(codes)), np.full(len(codes), "gan2d")
            )

        return hook

    def codes(self, X) -> np.ndarray:
        """AAE codes of rows X (n, d) -> (n, 2) (not ``transform``: a sampler in an imblearn pipeline must not have one)."""
        from labkit.trainers.sahu import encode

        self._check_fitted()
        return encode(self.aae_, np.asarray(X, dtype=np.float32))

    def sample_codes(self, n_per_class: dict | int):
        """Synthetic codes labelled by GMM membership: (codes (n, 2), y (n,)) for {class: count} or an int."""
        from labkit.trainers.sahu import sample_labelled_codes

        self._check_fitted()
        if not isinstance(n_per_class, dict):
            n_per_class = {c: int(n_per_class) for c in self.classes_.tolist()}
        unknown = [c for c in n_per_class if c not in self.class_index_]
        if unknown:
            raise LabkitError(f"Gan2dAugmenter.sample_codes: classes {unknown} were not in the training data")
        want = {self.class_index_[c]: int(k) for c, k in n_per_class.items()}
        codes, idx = sample_labelled_codes(self.gan_, self.gmm_, want, self.noise_gen_)
        return codes, self._names(idx)

    def _generate(self, n_per_class: dict):
        from labkit.trainers.sahu import decode

        codes, y = self.sample_codes(n_per_class)
        return decode(self.aae_, codes), y


class CGANAugmenter(_SahuBase):
    """Conditional GAN on feature vectors with GMM noise and one-hot conditioning (Section 3.2.2).

    Parameters
    ----------
    sampling_strategy, random_state : see `labkit.augment.base.Augmenter`
    preset : "baseline", "pretrained" or "improved" (`labkit.models.sahu.CGAN_PRESETS`). The
        default is "pretrained" (Figure 4b), not the paper's final "improved" (4c): on the 1582-d IS10
        corpus the improved generator stays on the data for only its first two (full-batch) epochs and
        then leaves it (see `labkit.models.sahu`, issue 17); ``labkit reproduce sahu-table1`` runs
        "improved" as the paper did and keeps its last epoch that passes the learned-the-data gate on
        the training rows. This augmenter keeps the last epoch (no selection).
    epochs : cGAN epochs (None: the preset's 100)
    aae_epochs : epochs of the AAE whose decoder initialises the generator (presets pretrained and
        improved; None: 60)
    batch_size : minibatch size (None: 64)
    device : torch device (None: CUDA when available)
    threads : torch CPU threads while fitting (None: torch's own setting)
    record_every : record generated rows every this many epochs (0: off)
    n_record : rows per class in each snapshot
    """

    # labkit.models.sahu.cgan_config_for names the presets
    _parameter_constraints = {**_SahuBase._parameter_constraints, "preset": [str], "epochs": OPTIONAL_COUNT}

    def __init__(
        self,
        sampling_strategy="balance",
        random_state=None,
        preset="pretrained",
        epochs=None,
        aae_epochs=None,
        batch_size=None,
        device=None,
        threads=1,
        record_every=0,
        n_record=16,
    ):
        super().__init__(sampling_strategy=sampling_strategy, random_state=random_state)
        self.preset = preset
        self.epochs = epochs
        self.aae_epochs = aae_epochs
        self.batch_size = batch_size
        self.device = device
        self.threads = threads
        self.record_every = record_every
        self.n_record = n_record

    def _config(self, n_features: int):
        from labkit.models.sahu import cgan_config_for, make_aae_config

        over = {k: int(v) for k, v in (("epochs", self.epochs), ("batch_size", self.batch_size)) if v is not None}
        tied = make_aae_config(n_features=n_features, n_classes=len(self.classes_))
        return cgan_config_for(tied, self.preset, seed=self.seed_ + 3, **over)  # an unknown preset names the choices

    def _fit_models(self, X, y) -> None:
        from labkit.trainers.sahu import train_cgan

        X, y_idx = self._setup(X, y)
        cfg = self._config(X.shape[1])
        decoder = self._train_aae(X, y_idx).decoder if cfg.init_from_decoder else None
        res = train_cgan(X, y_idx, cfg, decoder=decoder, device=self.device_, on_epoch=self._snapshot_hook())
        self._log_history(res.history)
        self.cgan_ = res.model

    def _snapshot_hook(self):
        import torch

        fixed = {}

        def hook(epoch, model, row):
            if not self._should_record(epoch):
                return
            with torch.no_grad():
                if not fixed:
                    c = torch.arange(len(self.classes_), device=self.device_).repeat_interleave(self.n_record)
                    g = torch.Generator(device=self.device_).manual_seed(self.seed_ + 7)
                    fixed.update(
                        c=c, z=model.noise(c, g), oh=torch.nn.functional.one_hot(c, len(self.classes_)).float()
                    )
                Xg = model.generate(fixed["z"], fixed["oh"]).float().cpu().numpy()
            self._record_snapshot(epoch, Xg, self._names(fixed["c"].cpu().numpy()), np.full(len(Xg), "cgan"))

        return hook

    def _generate(self, n_per_class: dict):
        from labkit.trainers.sahu import generate_cgan

        idx = np.concatenate([np.full(int(k), self.class_index_[c]) for c, k in n_per_class.items()])
        return generate_cgan(self.cgan_, idx, self.noise_gen_), self._names(idx)


__all__ = ["Gan2dAugmenter", "CGANAugmenter"]
