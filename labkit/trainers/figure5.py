"""AAEC's Figure 5 recording: generated samples of every iteration, in spaces that never move.

The paper projects "randomly generated samples" of every iteration with PCA, accumulated over
training, against the real train and test samples. `Figure5Recorder` is an ``on_epoch`` hook of
`labkit.trainers.aaec.train` (the trainer contract of `labkit.trainers.common`) that writes them to the
run store, in two representations ("spaces"):

* ``spectrum``: a training-independent summary of a spectrogram, `labkit.models.aaec.spectrum_summary`
  (mean and std over time of the log power in 32 mel-spaced bands, 64 numbers). Generated samples are
  mapped back from the standardised space to log power first. Because the map never changes, a point
  from iteration 3 and one from iteration 30 sit in the same coordinates.
* ``embedding``: the penultimate layer (the BiGRU summary, 2H numbers) of a *reference classifier*
  trained on the real training data only, before Algorithm 1 starts, then frozen. The live
  classifier's embedding drifts while it trains, so it cannot serve as one fixed basis; a frozen
  network trained to tell the emotions apart gives a basis in which class structure is visible.

Every recorded iteration saves, for `n_record` training utterances chosen once, Decoder(E) (origin
"noise"), Decoder(Z) (origin "code") and, in "average" mode, X' (origin "mixed"). Their label ``y`` is
the arousal class of the paired original utterance (for "noise" this is nominal: Decoder(E) never saw
it, but X' built from it inherits that label, as Eq. 1 intends). The real train/test samples go once to
``reference/<space>.npz`` with the arousal class as ``y`` and ``label_names``. The noise for recording
comes from its own generator (saved in the trainer's checkpoints through `state`), so turning recording
on or off does not change training, and a resumed run records the same samples.
"""

from __future__ import annotations

import numpy as np
import torch

# Arousal class names, for the reference files' label_names.
AROUSAL_NAMES = ["low", "medium", "high"]


class Figure5Recorder:
    """Records AAEC's generated samples into a run (see the module docstring).

    Parameters
    ----------
    run : labkit.runstore.Run
    every : record every this many iterations
    n_record : training utterances whose Decoder(E), Decoder(Z), X' are recorded
    ref_epochs : epochs of the frozen reference classifier behind the "embedding" space
    spectrum_bands : mel-spaced bands of the "spectrum" space (2 x bands numbers)
    data : the `labkit.data.aaec.TrainingSet` the training runs on (needed when used as the hook)
    """

    def __init__(
        self, run, every: int = 1, n_record: int = 48, ref_epochs: int = 3, spectrum_bands: int = 32, *, data=None
    ):
        self.run = run
        self.data = data
        self._pending: dict | None = None
        self.every = int(every)
        self.n_record = int(n_record)
        self.ref_epochs = int(ref_epochs)
        self.spectrum_bands = int(spectrum_bands)
        self.n_listen = 6  # generated samples per origin whose spectrograms are kept (labkit.viz.inspect)

    # ------------------------------------------------------------------ the trainer's on_epoch hook
    def __call__(self, iteration: int, model, row: dict) -> None:
        """Record every `every` iterations while the autoencoder trains; set up on the first call."""
        if row.get("stage") == "classifier" or model.encoder is None or iteration % self.every:
            return
        if not hasattr(self, "gen"):
            # References are written when missing (a resumed run keeps its own); see `start`.
            self.start(model, self.data, model.cfg, next(model.parameters()).device, resumed=True)
            if self._pending is not None:
                self.load_state(self._pending)
        self.record(iteration, model)

    def state_dict(self) -> dict:
        return self.state() if hasattr(self, "gen") else dict(self._pending or {})

    def load_state_dict(self, state: dict) -> None:
        if not state:
            return
        if hasattr(self, "gen"):
            self.load_state(state)
        else:
            self._pending = state  # applied when the first call sets the recorder up

    # ------------------------------------------------------------------ set-up and recording
    def start(self, model, data, cfg, device, resumed: bool) -> None:
        """Write the real samples once, train (or reload) the reference classifier, choose what to record."""
        from labkit.models.aaec import Classifier

        self.cfg, self.device, self.data = cfg, device, data
        n_train = len(data.X_train)
        self.rec_idx = np.sort(
            np.random.default_rng(cfg.seed).choice(n_train, min(self.n_record, n_train), replace=False)
        )
        self.gen = torch.Generator(device=device).manual_seed(cfg.seed + 7)
        label_names = np.array(AROUSAL_NAMES)
        ya_tr, yv_tr = data.arousal_train.numpy(), data.valence_train.numpy()
        has_test = data.X_test is not None
        X_te = data.X_test.numpy() if has_test else data.X_train.numpy()[:0]
        ya_te = data.arousal_test if has_test else ya_tr[:0]
        yv_te = data.valence_test if has_test else yv_tr[:0]
        run = self.run
        if not resumed or not (run.path / "reference" / "spectrum.npz").exists():
            run.save_reference(
                "spectrum",
                self._spectrum(data.X_train.numpy()),
                ya_tr,
                self._spectrum(X_te),
                ya_te,
                label_names=label_names,
                valence_train=yv_tr,
                valence_test=yv_te,
            )
        state = run.load_checkpoint("reference", map_location=device)
        if state is None:
            self.ref = train_reference_classifier(
                cfg, data.X_train, data.arousal_train, data.valence_train, self.ref_epochs, device
            )
            run.save_checkpoint({"classifier": self.ref.state_dict(), "epochs": self.ref_epochs}, "reference")
        else:
            self.ref = Classifier(cfg).to(device)
            self.ref.load_state_dict(state["classifier"])
            self.ref.eval().requires_grad_(False)
        if not resumed or not (run.path / "reference" / "embedding.npz").exists():
            run.save_reference(
                "embedding",
                self._embed(data.X_train),
                ya_tr,
                self._embed(torch.from_numpy(X_te)),
                ya_te,
                label_names=label_names,
                valence_train=yv_tr,
                valence_test=yv_te,
            )

    def record(self, iteration: int, model) -> None:
        """Decoder(E), Decoder(Z) and X' of the chosen training utterances, in both spaces."""
        xb = self.data.X_train[torch.from_numpy(self.rec_idx)].to(self.device)  # (n, T, F)
        with torch.no_grad():
            e = torch.randn(len(xb), self.cfg.z_dim, generator=self.gen, device=self.device)
            out = model.generate(xb, e)
        names = ["noise", "code"] + (["mixed"] if self.cfg.decoder_mode == "average" else [])
        Xg = torch.cat([out[n].float() for n in names]).cpu()  # (len(names) * n, T, F)
        y = np.tile(self.data.arousal_train.numpy()[self.rec_idx], len(names))
        origin = np.repeat(names, len(self.rec_idx))
        self.run.save_snapshot("spectrum", iteration, self._spectrum(Xg.numpy()), y, origin)
        self.run.save_snapshot("embedding", iteration, self._embed(Xg), y, origin)
        self._save_spectrograms(iteration, Xg.numpy(), len(names))

    def _save_spectrograms(self, iteration: int, Xg: np.ndarray, n_origins: int) -> None:
        """The first `n_listen` samples of each origin as log power, so a reader can see and hear them.

        ``spectrograms/iter_<it>.npz``: ``rows`` (rows of the iteration's snapshots, the same in both
        spaces), ``log_power`` (k, T, F) float16 log(P + eps) of the pooled bins, ``log_eps`` and
        ``freq_pool``; the dashboard's inspector (`labkit.viz.inspect`) spreads the bins back and
        reconstructs audio with Griffin-Lim. A few per origin keep the file small (~0.4 MB at 3 s).
        """
        # Bounded on disk at any preset: about 1 MB a file at most (the paper preset's 15 s x 513 bins keeps
        # one sample per origin), and files at about 20 iterations over the run plus its first and last.
        total = int(getattr(self.cfg, "iterations", 0) or 0)
        every = max(self.every, (total // 20) // self.every * self.every)  # a multiple of the recording interval
        if not (iteration == self.every or iteration % every == 0 or iteration == total):
            return
        per_sample = int(np.prod(Xg.shape[1:])) * 2  # float16 bytes of one spectrogram
        n = len(self.rec_idx)
        listen = min(self.n_listen, n, max(1, (1 << 20) // (n_origins * per_sample)))
        rows = np.concatenate([np.arange(listen) + o * n for o in range(n_origins)])
        scaler = self.data.scaler
        logp = scaler.to_log_power(Xg[rows]) if scaler is not None else Xg[rows]
        self.run.write_npz(
            f"spectrograms/iter_{int(iteration):07d}",
            rows=rows.astype(np.int64),
            log_power=np.asarray(logp, np.float16),
            log_eps=np.float64(getattr(scaler, "log_eps", 0.0)),
            freq_pool=np.int64(getattr(self.cfg, "freq_pool", 1)),
        )

    def state(self) -> dict:
        return {"gen": self.gen.get_state()}

    def load_state(self, state: dict) -> None:
        self.gen.set_state(state["gen"].cpu())

    # ------------------------------------------------------------------ the two spaces
    def _spectrum(self, Xn: np.ndarray) -> np.ndarray:
        """(N, T, F) standardised -> (N, 2 * bands) spectrum summary of the log power."""
        from labkit.models.aaec import spectrum_summary

        scaler = self.data.scaler
        logp = scaler.to_log_power(np.asarray(Xn)) if scaler is not None else np.asarray(Xn)
        return spectrum_summary(logp, self.spectrum_bands)

    def _embed(self, X: torch.Tensor) -> np.ndarray:
        """(N, T, F) standardised -> (N, 2H) reference-classifier embeddings."""
        out = []
        with torch.no_grad():
            for start in range(0, len(X), 256):
                out.append(self.ref.embed(X[start : start + 256].to(self.device)).float().cpu())
        return torch.cat(out).numpy() if out else np.zeros((0, 2 * self.cfg.gru_cells), np.float32)


def train_reference_classifier(cfg, X: torch.Tensor, ya: torch.Tensor, yv: torch.Tensor, epochs: int, device):
    """A classifier trained on real training data only, then frozen: the fixed "embedding" space."""
    from labkit.models.aaec import Classifier, class_loss, class_weights
    from labkit.trainers.common import DeviceData, backward_step, epoch_batches

    weights = (
        (class_weights(ya.numpy(), cfg.n_arousal).to(device), class_weights(yv.numpy(), cfg.n_valence).to(device))
        if cfg.balanced_classes
        else None
    )
    with torch.random.fork_rng(devices=[]):  # its own random stream: the main run's is untouched
        torch.manual_seed(cfg.seed + 1_000_003)
        ref = Classifier(cfg).to(device)
        gen = torch.Generator().manual_seed(cfg.seed + 1_000_003)
        opt = torch.optim.Adam(ref.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
        params = list(ref.parameters())
        Xd, ya_d, yv_d = DeviceData(X.float(), device), ya.long().to(device), yv.long().to(device)
        for _ in range(epochs):
            for idx in epoch_batches(len(Xd), cfg.batch_size, gen, device):
                _, a, v = ref(Xd[idx])
                backward_step(class_loss(a, v, ya_d[idx], yv_d[idx], weights), opt, params)
    ref.eval().requires_grad_(False)
    return ref


__all__ = ["Figure5Recorder", "train_reference_classifier", "AROUSAL_NAMES"]
