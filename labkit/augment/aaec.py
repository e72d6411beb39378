"""AAEC's generator as an augmenter: the paper's AAE+C configuration, trained by Algorithm 1 itself.

Inside an augmenter pipeline the classifier is the pipeline's own, trained after the augmenter, so
the augmenter can only be the "AAE+C" form of AAEC: `labkit.trainers.aaec.train` with
``autoencoder_only=True`` runs Encoder + Discriminator (K1 epochs) and Decoder (K2 epochs) per
iteration — the same loop as ``labkit reproduce aaec-table1``, not a copy — and then samples
X' = average(Decoder(E), Decoder(Encoder(x))) (Eq. 1) of randomly chosen training frames x of class c
are labelled c. The full AAEC, with its classifier inside the loop, is `labkit reproduce aaec-table1`.
"""

from __future__ import annotations

import numpy as np

from labkit.augment.base import COUNT, DEVICE, NON_NEGATIVE_COUNT, OPTIONAL_COUNT, Augmenter


class AAECAugmenter(Augmenter):
    """AAEC (AAE+C) as an imblearn-style augmenter for frame features (n, T, F).

    It takes frames as the comparison runner gives them (already standardised per bin), so no log or
    scaling is applied here. Snapshots (``record_every`` > 0) hold X' of up to `n_record` training
    frames summarised as mean and std over time per bin, (n, 2F); the history holds Algorithm 1's
    per-iteration mean losses.

    Parameters
    ----------
    sampling_strategy, random_state : see `labkit.augment.base.Augmenter`
    preset : "small" or "paper", the sizes (and K1, K2) of `labkit.models.aaec.PRESETS`
    iterations : Algorithm 1 iterations (None: the preset's)
    device : torch device (None: CUDA when available); resolved once in `fit` and passed to the trainer
    record_every : record generated samples every this many iterations (0: off)
    n_record : frames recorded per snapshot
    """

    input_kind = "frames"
    _parameter_constraints = {
        **Augmenter._parameter_constraints,
        "preset": [str],  # labkit.models.aaec.make_config names the presets
        "iterations": OPTIONAL_COUNT,
        "device": DEVICE,
        "record_every": NON_NEGATIVE_COUNT,
        "n_record": COUNT,
    }

    def __init__(
        self,
        sampling_strategy="balance",
        random_state=None,
        preset="small",
        iterations=None,
        device=None,
        record_every=0,
        n_record=32,
    ):
        super().__init__(sampling_strategy=sampling_strategy, random_state=random_state)
        self.preset = preset
        self.iterations = iterations
        self.device = device
        self.record_every = record_every
        self.n_record = n_record

    def _fit(self, X, y) -> None:
        import torch

        from labkit.data.aaec import TrainingSet
        from labkit.models.aaec import make_config
        from labkit.trainers.aaec import TrainOptions, train
        from labkit.utils import pick_device

        seed = 0 if self.random_state is None else int(self.random_state)
        overrides = {} if self.iterations is None else {"iterations": int(self.iterations)}
        cfg = make_config(self.preset, "AAE+C", n_frames=X.shape[1], n_bins=X.shape[2], seed=seed, **overrides)
        n = len(X)
        # The autoencoder never sees labels; the class heads are not trained (autoencoder_only).
        data = TrainingSet(
            X_train=torch.as_tensor(np.asarray(X, dtype=np.float32)),
            arousal_train=torch.zeros(n, dtype=torch.long),
            valence_train=torch.zeros(n, dtype=torch.long),
        )
        rec_idx = self._rng_.choice(n, min(self.n_record, n), replace=False)
        device = pick_device(self.device)  # chosen once, here, and passed down
        hook = _SnapshotHook(self, data.X_train[torch.from_numpy(rec_idx)], rec_idx, np.asarray(y), cfg, device)
        res = train(
            data,
            cfg,
            device=device,
            options=TrainOptions(progress=False, autoencoder_only=True),
            on_epoch=hook if self.record_every else None,
        )
        for row in res.history:
            self._log(row["iteration"], **{k: v for k, v in row.items() if k.startswith("loss_")})
        self.model_ = res.model
        self.torch_device_ = device
        self.z_dim_ = cfg.z_dim
        self.X_fit_, self.y_fit_ = data.X_train, np.asarray(y)
        self._gen_ = torch.Generator(device=self.torch_device_).manual_seed(seed + 1)

    def _mixed(self, x, gen) -> np.ndarray:
        """Eq. (1) for frames x (n, T, F): average of Decoder(E) and Decoder(Encoder(x)), as numpy."""
        import torch

        with torch.no_grad():
            e = torch.randn(len(x), self.z_dim_, generator=gen, device=self.torch_device_)
            return self.model_.generate(x.to(self.torch_device_), e)["mixed"].float().cpu().numpy()

    def _generate(self, n_per_class: dict):
        X_new, y_new = [], []
        for c, k in n_per_class.items():
            pool = np.flatnonzero(self.y_fit_ == c)
            idx = self._rng_.choice(pool, size=k, replace=True)
            X_new.append(self._mixed(self.X_fit_[idx], self._gen_))
            y_new.append(np.full(k, c, dtype=self.y_fit_.dtype))
        return np.concatenate(X_new), np.concatenate(y_new)


class _SnapshotHook:
    """The trainer's ``on_epoch`` hook: X' of fixed frames every `record_every` iterations, as snapshots."""

    def __init__(self, augmenter: AAECAugmenter, x, rec_idx: np.ndarray, y: np.ndarray, cfg, device):
        import torch

        self.augmenter, self.x, self.rec_idx, self.y = augmenter, x, rec_idx, y  # x: (n_record, T, F)
        self.every = int(augmenter.record_every)
        self.z_dim, self.device = cfg.z_dim, device
        self.gen = torch.Generator(device=device).manual_seed(cfg.seed + 7)  # its own stream: training is unchanged

    def __call__(self, iteration: int, model, row: dict) -> None:
        import torch

        if iteration % self.every:
            return
        with torch.no_grad():
            e = torch.randn(len(self.x), self.z_dim, generator=self.gen, device=self.device)
            Xg = model.generate(self.x.to(self.device), e)["mixed"].float().cpu().numpy()  # (n, T, F)
        self.augmenter._record_snapshot(
            iteration,
            np.concatenate([Xg.mean(axis=1), Xg.std(axis=1)], axis=1),
            self.y[self.rec_idx],
            np.full(len(self.rec_idx), "mixed"),
        )

    def state_dict(self) -> dict:
        return {"gen": self.gen.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.gen.set_state(state["gen"].cpu())


__all__ = ["AAECAugmenter"]
