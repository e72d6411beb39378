"""Algorithm 1 of AAEC (Fu et al., MuSe 2020): the training loop, Figure 5 recording, evaluation.

Read `train` top to bottom: one Algorithm 1 iteration is three banners,

    # Train Encoder + Discriminator   (K1 epochs)
    # Train Decoder                   (K2 epochs)
    # Train Classifier                (K3 epochs, on X and on X' with X's labels)

then evaluation, recording and checkpointing. After the loop the classifier is fine-tuned on the
original data with SGD (Algorithm 1, line 13) and scored on the held-out test speakers.

How the five configurations run (switches from `labkit.models.aaec.CONFIGURATIONS`):

* AAEC, AAE_C, AAEC': as above; AAE_C has no discriminator (the encoder only reconstructs), AAEC'
  feeds the classifier X' = Decoder(Z) instead of the average of Decoder(E) and Decoder(Z).
* AAE+C: the loop trains only Encoder, Discriminator and Decoder for `iterations` iterations (the
  decoder has no classifier to please, so it only reconstructs); then the classifier is trained
  "afterwards" for the same number of classifier epochs (iterations x K3) on the original data plus
  X' drawn from the *final, frozen* autoencoder (fresh noise E every batch). History rows carry
  stage "aae" then "classifier".
* Classifier: no autoencoder; the classifier gets the same iterations x K3 epochs on X only.

Every configuration ends with the same fine-tuning, so Table 1's rows differ only in what the paper
varies.

Figure 5 recording (``record_every`` > 0)
-----------------------------------------
The paper projects "randomly generated samples" of every iteration with PCA, accumulated over
training, against the real train and test samples. We record two representations ("spaces"):

* ``spectrum``: a training-independent summary of a spectrogram, `labkit.models.aaec.spectrum_summary`
  (mean and std over time of the log power in 32 mel-spaced bands, 64 numbers). Generated samples
  are mapped back from the standardised space to log power first. Because the map never changes, a
  point from iteration 3 and one from iteration 30 sit in the same coordinates.
* ``embedding``: the penultimate layer (the BiGRU summary, 2H numbers) of a *reference classifier*
  trained on the real training data only, before Algorithm 1 starts, then frozen. The live
  classifier's embedding drifts while it trains, so it cannot serve as one fixed basis; a frozen
  network trained to tell the emotions apart gives a basis in which class structure is visible.

Every recorded iteration saves, for `n_record` training utterances chosen once, Decoder(E)
(origin "noise"), Decoder(Z) (origin "code") and, in "average" mode, X' (origin "mixed"). Their
label ``y`` is the arousal class of the paired original utterance (for "noise" this is nominal:
Decoder(E) never saw it, but X' built from it inherits that label, as Eq. 1 intends). The real
train/test samples go once to ``reference/<space>.npz`` with the arousal class as ``y`` and
``label_names``. The noise for recording comes from its own generator, so turning recording on or
off does not change training.

Checkpoints and resuming
------------------------
Every `checkpoint_every` iterations (and at the end of the loop) the run store gets a checkpoint
with every module's and optimiser's state dict, the iteration, the history so far and the states of
the random generators as tensors (loadable with ``weights_only=True``). Shuffling and the noise E
use a dedicated `torch.Generator`, so a resumed run continues the same random stream and ends with
the same parameters as an uninterrupted one (exactly on CPU; on CUDA up to kernel nondeterminism).

Metrics: arousal and valence are each scored with F1 (macro), UAR and Combined = 0.66 F1 + 0.34 UAR
(`labkit.experiment.metrics.scores`). The per-iteration scores in `history` are measured on the test
speakers for *monitoring only*: no model is selected on them (the paper has no validation set either).

Also here: `load_data` (corpus -> spectrograms -> speaker-independent split), `run_table1` /
`summarize_table1` / `format_table1` (Table 1 over seeds, used by ``labkit reproduce aaec-table1``),
and `AAECAugmenter`, the AAE+C form of AAEC behind the `labkit.augment` interface.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from labkit.augment.base import Augmenter
from labkit.errors import LabkitError
from labkit.utils import pick_device, progress, seed_everything

# Arousal class names, for the reference files' label_names.
_AROUSAL_NAMES = ["low", "medium", "high"]


@dataclass
class AAECData:
    """A speaker-independent train/test split of power spectrograms with arousal/valence labels."""

    X_train: np.ndarray  # (N_train, T, F) float32 power spectrograms
    arousal_train: np.ndarray  # (N_train,) int 0..2
    valence_train: np.ndarray  # (N_train,) int 0..2
    X_test: np.ndarray  # (N_test, T, F)
    arousal_test: np.ndarray  # (N_test,)
    valence_test: np.ndarray  # (N_test,)
    description: str = ""  # which data this is (printed with results)

    def __post_init__(self) -> None:
        for name in ("X_train", "X_test"):
            X = getattr(self, name)
            if X.ndim != 3:
                raise LabkitError(f"AAECData.{name} must be (N, T, F) power spectrograms, got shape {X.shape}")
            if len(X) == 0:
                raise LabkitError(f"AAECData.{name} is empty: the split left no utterances on that side")
            if not np.all(np.isfinite(X)) or (X < 0).any():
                raise LabkitError(f"AAECData.{name} must hold finite, non-negative power values")
        if self.X_train.shape[1:] != self.X_test.shape[1:]:
            raise LabkitError(f"train and test spectrograms differ in shape: {self.X_train.shape} vs {self.X_test.shape}")
        for name in ("arousal_train", "valence_train", "arousal_test", "valence_test"):
            y = np.asarray(getattr(self, name))
            side = self.X_train if name.endswith("train") else self.X_test
            if y.shape != (len(side),):
                raise LabkitError(f"AAECData.{name} must have shape ({len(side)},), got {y.shape}")
            if y.size and (y.min() < 0 or y.max() > 2):
                raise LabkitError(f"AAECData.{name} must hold classes 0, 1, 2; found {sorted(set(y.tolist()))}")
            setattr(self, name, y.astype(np.int64))


@dataclass
class TrainOptions:
    """Plumbing of one training run (what the config of the algorithm does not decide)."""

    device: str | None = None  # "cpu", "cuda", ...; None picks CUDA when available
    record_every: int = 1  # record Figure 5 samples every this many iterations (0: off)
    n_record: int = 48  # training utterances whose Decoder(E), Decoder(Z), X' are recorded
    ref_epochs: int = 3  # epochs of the frozen reference classifier behind the "embedding" space
    spectrum_bands: int = 32  # mel-spaced bands of the "spectrum" space (2 x bands numbers)
    checkpoint_every: int = 5  # save a checkpoint every this many iterations (and at the end)
    checkpoint_name: str = "last"  # checkpoint file name in the run store (one per task in Table 1)
    history_table: str = "history"  # run-store table the per-iteration history goes to
    stop_after: int | None = None  # stop (with a checkpoint) after this iteration; for tests of resuming
    save_final: bool = True  # keep the trained model as checkpoint "<checkpoint_name>-final"
    progress: bool = True  # show a progress bar over iterations
    desc: str = "AAEC"  # the progress bar's label


# ---------------------------------------------------------------------------------------------------
# Data


def load_data(source: str, *, max_seconds: float = 3.0, test_fraction: float = 0.3, split_seed: int = 0,
              n_jobs: int | None = None, show_progress: bool = True) -> AAECData:
    """Load a corpus, extract AAEC's power spectrogram and make a speaker-independent split.

    The split is fixed (`split_seed`), not redrawn per training seed, so the spread over seeds in
    Table 1 is training variability on one partition, as with MuSe-Topic's fixed partition.

    Parameters
    ----------
    source : str
        Any `labkit.data.loaders.load_corpus` source (``synthetic``, ``emodb:PATH``, ``csv:PATH``, ...).
    max_seconds : float
        Utterances are cut / zero-padded to this length (15 s in the paper, 3 s for `small`).
    """
    from labkit.data.loaders import load_corpus
    from labkit.experiment.protocols import make_folds
    from labkit.features import extract

    table = load_corpus(source)
    if len(table) == 0:
        raise LabkitError(f"corpus {source!r} holds no utterances")
    feats = extract(table, "spectrogram", max_seconds=max_seconds, n_fft=1024, hop_length=512,
                    n_jobs=n_jobs, progress=show_progress)
    meta = feats.meta.reset_index(drop=True)
    if meta["speaker"].nunique() < 2:
        raise LabkitError(f"corpus {source!r} has {meta['speaker'].nunique()} speaker(s); a speaker-independent "
                          "split needs at least 2")
    fold = make_folds(meta, "split", test_fraction=test_fraction, seed=split_seed)[0]
    X = np.asarray(feats.X, dtype=np.float32)
    ya, yv = meta["arousal"].to_numpy(np.int64), meta["valence"].to_numpy(np.int64)
    tr, te = np.asarray(fold.train_idx), np.asarray(fold.test_idx)
    n_test_spk = meta.iloc[te]["speaker"].nunique()
    corpus = ", ".join(sorted(meta["corpus"].astype(str).unique()))
    desc = (f"{source} ({corpus}): {len(meta)} utterances, {meta['speaker'].nunique()} speakers; "
            f"speaker-independent split {len(tr)} train / {len(te)} test ({n_test_spk} held-out speakers); "
            f"power spectrogram {max_seconds:g} s, FFT 1024, hop 512 -> {X.shape[1]} x {X.shape[2]}")
    return AAECData(X[tr], ya[tr], yv[tr], X[te], ya[te], yv[te], description=desc)


def scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """F1 (macro), UAR, Combined (0.66 F1 + 0.34 UAR) over the classes 0, 1, 2 (labkit.experiment.metrics)."""
    from labkit.experiment.metrics import scores as _scores

    s = _scores(np.asarray(y_true), np.asarray(y_pred), labels=[0, 1, 2])
    return {"f1": float(s["f1"]), "uar": float(s["uar"]), "combined": float(s["combined"])}


# ---------------------------------------------------------------------------------------------------
# Small helpers of the loop


@contextlib.contextmanager
def _frozen(*modules):
    """Only the player being trained gets gradients: the others are frozen for this step."""
    mods = [m for m in modules if m is not None]
    flags = [[p.requires_grad for p in m.parameters()] for m in mods]
    for m in mods:
        m.requires_grad_(False)
    try:
        yield
    finally:
        for m, fl in zip(mods, flags):
            for p, f in zip(m.parameters(), fl):
                p.requires_grad_(f)


def _batches(n: int, batch_size: int, gen):
    import torch

    return torch.randperm(n, generator=gen).split(batch_size)


def _predict(classifier, X, batch_size: int, device, amp: bool):
    """Arousal and valence predictions (N,) each for standardised X (N, T, F) (a CPU tensor)."""
    import torch

    classifier.eval()
    pa, pv = [], []
    with torch.no_grad():
        for start in range(0, len(X), 256):
            xb = X[start:start + 256].to(device)
            with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=amp):
                _, a, v = classifier(xb)
            pa.append(a.argmax(1).cpu())
            pv.append(v.argmax(1).cpu())
    classifier.train()
    return torch.cat(pa).numpy(), torch.cat(pv).numpy()


def _evaluate(classifier, X, ya, yv, device, amp) -> dict:
    pa, pv = _predict(classifier, X, 256, device, amp)
    return {"arousal": scores(ya, pa), "valence": scores(yv, pv)}


def _train_reference_classifier(cfg, Xn, ya, yv, epochs: int, device):
    """A classifier trained on real training data only, then frozen: the fixed "embedding" space."""
    import torch

    from labkit.models.aaec import Classifier, class_loss, class_weights

    weights = ((class_weights(ya, cfg.n_arousal).to(device), class_weights(yv, cfg.n_valence).to(device))
               if cfg.balanced_classes else None)
    with torch.random.fork_rng(devices=[]):  # its own random stream: the main run's is untouched
        torch.manual_seed(cfg.seed + 1_000_003)
        ref = Classifier(cfg).to(device)
        gen = torch.Generator().manual_seed(cfg.seed + 1_000_003)
        opt = torch.optim.Adam(ref.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))
        ya_t, yv_t = torch.from_numpy(ya), torch.from_numpy(yv)
        for _ in range(epochs):
            for idx in _batches(len(Xn), cfg.batch_size, gen):
                _, a, v = ref(Xn[idx].to(device))
                loss = class_loss(a, v, ya_t[idx].to(device), yv_t[idx].to(device), weights)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
    ref.eval().requires_grad_(False)
    return ref


def _embed(ref, X, device) -> np.ndarray:
    """(N, T, F) standardised -> (N, 2H) reference-classifier embeddings."""
    import torch

    out = []
    with torch.no_grad():
        for start in range(0, len(X), 256):
            out.append(ref.embed(torch.as_tensor(X[start:start + 256]).to(device)).float().cpu())
    return torch.cat(out).numpy()


# ---------------------------------------------------------------------------------------------------
# Algorithm 1


def train(data: AAECData, cfg, run=None, options: TrainOptions | None = None) -> dict:
    """Train one AAEC configuration with Algorithm 1, fine-tune, and score on the test split.

    Parameters
    ----------
    data : AAECData
        Power spectrograms (N, T, F) and labels; `cfg.n_frames` / `cfg.n_bins` are taken from it.
    cfg : labkit.models.aaec.AAECConfig
        Sizes, configuration switches and budget (see `labkit.models.aaec.make_config`).
    run : labkit.runstore.Run or None
        Where history, snapshots, checkpoints and results go; None trains without writing anything
        (no resuming then).
    options : TrainOptions

    Returns
    -------
    dict with ``metrics`` ({"arousal"|"valence": {"f1", "uar", "combined"}}, fractions),
    ``combined`` (mean of the two Combined scores), ``history`` (list of dicts), ``config`` (dict),
    ``seconds``, and ``model`` / ``scaler`` (the trained `AAEC` and `SpectrogramScaler`).
    """
    import torch

    from labkit.models.aaec import (AAEC, SpectrogramScaler, class_loss, class_weights, classifier_loss, discriminator_loss,
                                    fool_loss, pool_frequency, reconstruction_loss, spectrum_summary)

    options = options or TrainOptions()
    t_start = time.perf_counter()
    power_train = pool_frequency(data.X_train, cfg.freq_pool)  # (N, T, F / freq_pool)
    power_test = pool_frequency(data.X_test, cfg.freq_pool)
    cfg = replace(cfg, n_frames=int(power_train.shape[1]), n_bins=int(power_train.shape[2]))
    seed_everything(cfg.seed)
    device = pick_device(options.device)
    amp = device.type == "cuda" and cfg.mixed_precision

    # ---- data: log power standardised per bin with statistics of the training split only
    scaler = SpectrogramScaler(cfg.log_eps).fit(power_train)
    X_train = torch.from_numpy(scaler.transform(power_train))  # (N, T, F), kept on the CPU; batches move
    X_test = torch.from_numpy(scaler.transform(power_test))
    del power_train, power_test
    ya_train, yv_train = torch.from_numpy(data.arousal_train), torch.from_numpy(data.valence_train)
    # Class weights for the class terms (None: the paper's plain cross-entropy; see AAECConfig).
    cw = ((class_weights(data.arousal_train, cfg.n_arousal).to(device),
           class_weights(data.valence_train, cfg.n_valence).to(device)) if cfg.balanced_classes else None)
    n_train = len(X_train)

    # ---- the players and their optimisers: Adam(lr, beta1) for each (Algorithm 1, line 1)
    model = AAEC(cfg).to(device)
    enc, dec, disc, clf = model.encoder, model.decoder, model.discriminator, model.classifier

    def adam(module):
        return torch.optim.Adam(module.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999))

    optims = {name: adam(m) for name, m in [("encoder", enc), ("decoder", dec), ("discriminator", disc),
                                              ("classifier", clf)] if m is not None}
    scalers = {name: torch.amp.GradScaler("cuda", enabled=amp) for name in optims}

    def step(name: str, loss) -> None:
        """Backpropagate `loss` and update player `name` (loss scaling only under CUDA autocast)."""
        optims[name].zero_grad(set_to_none=True)
        scalers[name].scale(loss).backward()
        scalers[name].step(optims[name])
        scalers[name].update()

    def autocast():
        return torch.autocast(device_type=device.type, dtype=torch.float16, enabled=amp)

    # Shuffling and the noise E come from this generator only (saved in checkpoints for resuming).
    gen = torch.Generator().manual_seed(cfg.seed)
    rec_gen = torch.Generator().manual_seed(cfg.seed + 7)  # noise for Figure 5 recording only

    def noise(n: int, g=gen):
        return torch.randn(n, cfg.z_dim, generator=g).to(device)  # E ~ N(0, I), (n, z_dim)

    # AAE+C trains the autoencoder for `iterations`, then the classifier for as many iterations.
    two_stage = cfg.augment and not cfg.classifier_in_loop
    n_steps = 2 * cfg.iterations if two_stage else cfg.iterations

    # ---- resume from a checkpoint when the run has one
    history: list[dict] = []
    start = 0
    if run is not None:
        ckpt = run.load_checkpoint(options.checkpoint_name)
        if ckpt is not None:
            model.load_state_dict(ckpt["model"])
            for name, opt in optims.items():
                opt.load_state_dict(ckpt["optims"][name])
                scalers[name].load_state_dict(ckpt["scalers"][name])
            gen.set_state(ckpt["gen"])
            rec_gen.set_state(ckpt["rec_gen"])
            torch.set_rng_state(ckpt["torch_rng"])
            history = list(ckpt["history"])
            start = int(ckpt["iteration"])

    def save_checkpoint(iteration: int) -> None:
        if run is None:
            return
        run.save_checkpoint({
            "iteration": iteration, "config": cfg.to_dict(), "model": model.state_dict(),
            "optims": {n: o.state_dict() for n, o in optims.items()},
            "scalers": {n: s.state_dict() for n, s in scalers.items()},
            "gen": gen.get_state(), "rec_gen": rec_gen.get_state(), "torch_rng": torch.get_rng_state(),
            "history": history, "scaler": scaler.state(),
        }, options.checkpoint_name)

    # ---- Figure 5: the real samples once, in both spaces; which training utterances to record
    record = run is not None and options.record_every > 0 and cfg.augment
    ref = None
    if record:
        rec_idx = np.sort(np.random.default_rng(cfg.seed).choice(n_train, min(options.n_record, n_train), replace=False))
        spectrum = lambda Xn: spectrum_summary(scaler.to_log_power(np.asarray(Xn)), options.spectrum_bands)  # noqa: E731
        label_names = np.array(_AROUSAL_NAMES)
        if not run.spaces() or start == 0:
            run.save_reference("spectrum", spectrum(X_train.numpy()), data.arousal_train,
                               spectrum(X_test.numpy()), data.arousal_test, label_names=label_names,
                               valence_train=data.valence_train, valence_test=data.valence_test)
        ref_state = run.load_checkpoint("reference")
        if ref_state is None:
            ref = _train_reference_classifier(cfg, X_train, data.arousal_train, data.valence_train,
                                              options.ref_epochs, device)
            run.save_checkpoint({"classifier": ref.state_dict(), "epochs": options.ref_epochs}, "reference")
        else:
            from labkit.models.aaec import Classifier

            ref = Classifier(cfg).to(device)
            ref.load_state_dict(ref_state["classifier"])
            ref.eval().requires_grad_(False)
        if not (run.path / "reference" / "embedding.npz").exists() or start == 0:
            run.save_reference("embedding", _embed(ref, X_train, device), data.arousal_train,
                               _embed(ref, X_test, device), data.arousal_test, label_names=label_names,
                               valence_train=data.valence_train, valence_test=data.valence_test)

    def record_snapshot(iteration: int) -> None:
        xb = X_train[rec_idx].to(device)
        with torch.no_grad():
            out = model.generate(xb, noise(len(xb), rec_gen))
        names = ["noise", "code"] + (["mixed"] if cfg.decoder_mode == "average" else [])
        Xg = torch.cat([out[n].float() for n in names]).cpu()  # (len(names) * n, T, F)
        y = np.tile(data.arousal_train[rec_idx], len(names))
        origin = np.repeat(names, len(rec_idx))
        run.save_snapshot("spectrum", iteration, spectrum(Xg.numpy()), y, origin)
        run.save_snapshot("embedding", iteration, _embed(ref, Xg, device), y, origin)

    def encode_all():
        """Z = Encoder(X) for every training utterance, (N, z_dim) on the device."""
        with torch.no_grad(), autocast():
            return torch.cat([enc(X_train[i:i + 256].to(device)).float() for i in range(0, n_train, 256)])

    # ---- Algorithm 1, lines 2-12
    model.train()
    Z_train = None
    bar = progress(range(start, n_steps), total=n_steps - start, desc=f"{options.desc} seed {cfg.seed}",
                   disable=None if options.progress else True)
    for it in bar:
        t_iter = time.perf_counter()
        train_aae = cfg.augment and (not two_stage or it < cfg.iterations)
        train_clf = not two_stage or it >= cfg.iterations
        losses: dict[str, list[float]] = {}

        def log(name: str, value) -> None:
            losses.setdefault(name, []).append(float(value))

        if train_aae:
            # ------------------------------------------------ Train Encoder + Discriminator (K1 epochs)
            for _ in range(cfg.k1):
                for idx in _batches(n_train, cfg.batch_size, gen):
                    x = X_train[idx].to(device)  # (B, T, F)
                    with autocast():
                        z = enc(x)  # (B, z_dim); one forward serves D's step and the encoder's
                    if disc is not None:
                        # D learns to call E ~ N(0, I) real and the codes Z fake.
                        e = noise(len(idx))
                        with autocast():
                            loss_d = discriminator_loss(disc(e), disc(z.detach()))
                        step("discriminator", loss_d)
                        log("loss_disc", loss_d.item())
                    # The encoder reconstructs X through the current decoder and fools the updated D on Z.
                    with _frozen(dec, disc), autocast():
                        loss_rec = reconstruction_loss(dec(z).float(), x)
                        loss_e = cfg.rec_weight * loss_rec
                        if disc is not None:
                            loss_adv = fool_loss(disc(z))
                            loss_e = loss_e + cfg.adv_weight * loss_adv
                            log("loss_enc_adv", loss_adv.item())
                    step("encoder", loss_e)
                    log("loss_rec", loss_rec.item())

        # The encoder stays fixed until the next iteration: compute every code Z once, not per epoch.
        Z_train = encode_all() if cfg.augment and (train_aae or Z_train is None) else Z_train

        if train_aae:
            # ------------------------------------------------ Train Decoder (K2 epochs)
            for _ in range(cfg.k2):
                for idx in _batches(n_train, cfg.batch_size, gen):
                    x, z = X_train[idx].to(device), Z_train[idx]
                    e = noise(len(idx))
                    with _frozen(clf), autocast():
                        out = model.generate_from_code(z, e)  # Eq. (1): code, noise, mixed (B, T, F)
                        loss_rec = reconstruction_loss(out["code"].float(), x)
                        loss_g = cfg.rec_weight * loss_rec
                        if cfg.classifier_in_loop:
                            # X' must keep its original's class (C_c) and pass for real (C_d).
                            rf, a, v = clf(out["mixed"])
                            loss_cls = class_loss(a, v, ya_train[idx].to(device), yv_train[idx].to(device), cw)
                            loss_fool = fool_loss(rf)
                            loss_g = loss_g + cfg.cls_weight * loss_cls + cfg.adv_weight * loss_fool
                            log("loss_dec_class", loss_cls.item())
                            log("loss_dec_fool", loss_fool.item())
                    step("decoder", loss_g)
                    log("loss_dec_rec", loss_rec.item())

        if train_clf:
            # ------------------------------------------------ Train Classifier (K3 epochs)
            for _ in range(cfg.k3):
                for idx in _batches(n_train, cfg.batch_size, gen):
                    x = X_train[idx].to(device)
                    ya, yv = ya_train[idx].to(device), yv_train[idx].to(device)
                    x_fake = None
                    if cfg.augment:
                        with torch.no_grad(), autocast():  # X' is a fixed input here, with X's labels
                            x_fake = model.generate_from_code(Z_train[idx], noise(len(idx)))["mixed"].float()
                    with autocast():
                        out_real = clf(x)
                        out_fake = clf(x_fake) if x_fake is not None else None
                        loss_c = classifier_loss(out_real, out_fake, ya, yv, cw)
                    step("classifier", loss_c)
                    log("loss_cls", loss_c.item())

        # ---- bookkeeping: history (test scores are monitoring only), Figure 5, checkpoint
        row = {"iteration": it + 1, "stage": "classifier" if two_stage and it >= cfg.iterations else "aae" if two_stage else "joint"}
        row.update({k: float(np.mean(v)) for k, v in losses.items()})
        if train_clf:
            ev = _evaluate(clf, X_test, data.arousal_test, data.valence_test, device, amp)
            row.update({"test_uar_arousal": ev["arousal"]["uar"], "test_uar_valence": ev["valence"]["uar"],
                        "test_combined": 0.5 * (ev["arousal"]["combined"] + ev["valence"]["combined"])})
        row["seconds"] = time.perf_counter() - t_iter
        history.append(row)
        if record and train_aae and (it + 1) % options.record_every == 0:
            record_snapshot(it + 1)
        if run is not None:
            run.write_table(options.history_table, pd.DataFrame(history))
        bar.set_postfix({k: f"{v:.3g}" for k, v in row.items() if k.startswith(("loss_rec", "loss_cls", "test_c"))})
        done = it + 1
        if done % options.checkpoint_every == 0 or done == n_steps or done == options.stop_after:
            save_checkpoint(done)
        if options.stop_after is not None and done >= options.stop_after and done < n_steps:
            bar.close()
            return {"stopped_at": done, "history": history, "config": cfg.to_dict(), "model": model, "scaler": scaler}
    bar.close()

    # ---- Algorithm 1, line 13: fine-tune the classifier on the original data with SGD
    sgd = torch.optim.SGD(clf.parameters(), lr=cfg.finetune_lr)
    for _ in range(cfg.finetune_epochs):
        for idx in _batches(n_train, cfg.batch_size, gen):
            x = X_train[idx].to(device)
            _, a, v = clf(x)  # full precision: the steps are tiny, keep them exact
            loss_ft = class_loss(a, v, ya_train[idx].to(device), yv_train[idx].to(device), cw)
            sgd.zero_grad(set_to_none=True)
            loss_ft.backward()
            sgd.step()

    metrics = _evaluate(clf, X_test, data.arousal_test, data.valence_test, device, False)
    combined = 0.5 * (metrics["arousal"]["combined"] + metrics["valence"]["combined"])
    result = {"metrics": metrics, "combined": combined, "history": history, "config": cfg.to_dict(),
              "seconds": time.perf_counter() - t_start, "device": str(device), "model": model, "scaler": scaler}
    if run is not None and options.save_final:
        run.save_checkpoint({"config": cfg.to_dict(), "model": model.state_dict(), "scaler": scaler.state()},
                            f"{options.checkpoint_name}-final")
    return result


# ---------------------------------------------------------------------------------------------------
# Table 1: the five configurations x seeds


# The paper's Table 1 (MuSe-Topic test set, %), for side-by-side printing, as printed. (Its AAEC' valence
# Combined, 38.11, does not follow from its own F1 and UAR: 0.66 * 37.77 + 0.34 * 37.78 = 37.77.)
PAPER_TABLE1 = {
    "AAEC": {"arousal": (39.80, 40.06, 39.89), "valence": (40.72, 40.89, 40.78), "combined": 40.33},
    "AAE_C": {"arousal": (38.88, 38.86, 38.87), "valence": (39.25, 39.23, 39.24), "combined": 39.05},
    "AAE+C": {"arousal": (38.15, 38.41, 38.24), "valence": (37.69, 39.01, 38.14), "combined": 38.19},
    "AAEC'": {"arousal": (38.48, 38.56, 38.51), "valence": (37.77, 37.78, 38.11), "combined": 38.31},
    "Classifier": {"arousal": (34.66, 34.81, 34.71), "valence": (35.92, 36.16, 36.00), "combined": 35.36},
}


def task_key(configuration: str, seed: int) -> str:
    """Run-store task key of one configuration x seed ("AAEC'" -> "AAEC-prime": keys avoid quotes)."""
    return f"{configuration.replace(chr(39), '-prime')}_seed{seed}"


def run_table1(data: AAECData, run, *, preset: str = "small", seeds=(0,), configurations=None,
               overrides: dict | None = None, device: str | None = None, show_progress: bool = True) -> pd.DataFrame:
    """Train every configuration x seed (skipping finished run-store tasks) and return one row each.

    Each task checkpoints under its own name while it trains, so an interrupted task resumes; its
    checkpoint is removed when the task is saved (15 tasks of optimiser state would be large).

    Returns
    -------
    DataFrame with columns configuration, seed, {arousal,valence}_{f1,uar,combined}, combined, seconds.
    """
    from labkit.models.aaec import CONFIGURATIONS, make_config

    configurations = list(configurations or CONFIGURATIONS)
    rows = []
    for seed in seeds:
        for name in configurations:
            key = task_key(name, seed)
            if not run.has_task(key):
                cfg = make_config(preset, name, seed=int(seed), **(overrides or {}))
                options = TrainOptions(device=device, record_every=0, checkpoint_name=key,
                                       history_table=f"history_{key}", save_final=False, progress=show_progress,
                                       desc=name)
                res = train(data, cfg, run, options)
                task = {"configuration": name, "seed": int(seed), "seconds": res["seconds"], "combined": res["combined"]}
                for head in ("arousal", "valence"):
                    for metric, value in res["metrics"][head].items():
                        task[f"{head}_{metric}"] = value
                run.save_task(key, task)
                run.checkpoint_path(key).unlink(missing_ok=True)
            rows.append(run.load_task(key))
    table = pd.DataFrame(rows)
    run.write_table("tasks", table)
    return table


def summarize_table1(tasks: pd.DataFrame) -> dict:
    """{configuration: {"arousal"|"valence": {metric: {"mean", "ci_low", "ci_high"}}, "combined": {...}, "n"}}.

    Means over seeds with a 95 % Student t interval (NaN bounds for a single seed).
    """
    from labkit.experiment.stats import mean_ci

    out = {}
    for name, group in tasks.groupby("configuration", sort=False):
        entry: dict = {"n": int(len(group))}
        for head in ("arousal", "valence"):
            entry[head] = {}
            for metric in ("f1", "uar", "combined"):
                m, lo, hi = mean_ci(group[f"{head}_{metric}"].to_numpy(float))
                entry[head][metric] = {"mean": m, "ci_low": lo, "ci_high": hi}
        m, lo, hi = mean_ci(group["combined"].to_numpy(float))
        entry["combined"] = {"mean": m, "ci_low": lo, "ci_high": hi}
        out[name] = entry
    return out


def format_table1(summary: dict, description: str = "", with_paper: bool = True) -> str:
    """Table 1's layout: F1, UAR, Combined for arousal and valence, and their mean (in %)."""
    import math

    from labkit.models.aaec import PLAYERS

    def cell(s: dict) -> str:
        m, lo, hi = 100 * s["mean"], 100 * s["ci_low"], 100 * s["ci_high"]
        return f"{m:6.2f}" if math.isnan(lo) else f"{m:6.2f} ±{(hi - lo) / 2:5.2f}"

    ns = sorted({e["n"] for e in summary.values()})
    ci_note = ("n=1, no CI" if ns == [1] else
               f"mean ± half-width of the 95% t-interval over seeds (n={','.join(map(str, ns))})")
    head = f"{'Model':<11}{'Player':<13}" + "".join(f"{h:>15}" for h in ("Ar F1", "Ar UAR", "Ar Comb.",
                                                                           "Va F1", "Va UAR", "Va Comb.", "Combined"))
    lines = []
    if description:
        lines.append(f"Data: {description}")
    lines += [f"Values in %: {ci_note}.", head, "-" * len(head)]
    for name, e in summary.items():
        cells = [cell(e[h][m]) for h in ("arousal", "valence") for m in ("f1", "uar", "combined")] + [cell(e["combined"])]
        lines.append(f"{name:<11}{PLAYERS.get(name, ''):<13}" + "".join(f"{c:>15}" for c in cells))
    if with_paper:
        lines += ["", "The paper's Table 1 (MuSe-Topic audio, 500 iterations; not comparable data) for reference:"]
        for name in summary:
            p = PAPER_TABLE1.get(name)
            if p:
                cells = [f"{v:6.2f}" for v in (*p["arousal"], *p["valence"], p["combined"])]
                lines.append(f"{name:<11}{PLAYERS.get(name, ''):<13}" + "".join(f"{c:>15}" for c in cells))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# An augmenter view (labkit.augment.base.Augmenter), for the augmenter comparison


class AAECAugmenter(Augmenter):
    """AAEC's generator as an imblearn-style augmenter: the paper's AAE+C configuration.

    Inside an augmenter pipeline the classifier is the pipeline's own, trained after the augmenter,
    so the augmenter can only be the "AAE+C" form of AAEC: Encoder + Discriminator (K1 epochs) and
    Decoder (K2 epochs) per iteration, then samples X' = average(Decoder(E), Decoder(Encoder(x)))
    (Eq. 1) of randomly chosen training frames x of class c, labelled c. The full AAEC, with its
    classifier inside the loop, is `train` / `labkit reproduce aaec-table1`.

    It takes frames (n, T, F) as the comparison runner gives them (already standardised per bin), so
    no log or scaling is applied here. Snapshots (``record_every`` > 0) hold X' of up to `n_record`
    training frames summarised as mean and std over time per bin, (n, 2F).

    Parameters
    ----------
    sampling_strategy, random_state : see `labkit.augment.base.Augmenter`
    preset : "small" or "paper", the sizes (and K1, K2) of `labkit.models.aaec.PRESETS`
    iterations : Algorithm 1 iterations (None: the preset's)
    device : torch device (None: CUDA when available)
    record_every : record generated samples every this many iterations (0: off)
    n_record : frames recorded per snapshot
    """

    input_kind = "frames"

    def __init__(self, sampling_strategy="balance", random_state=None, preset="small", iterations=None,
                 device=None, record_every=0, n_record=32):
        super().__init__(sampling_strategy=sampling_strategy, random_state=random_state)
        self.preset = preset
        self.iterations = iterations
        self.device = device
        self.record_every = record_every
        self.n_record = n_record

    def _fit(self, X, y) -> None:
        import torch

        from labkit.models.aaec import (Decoder, Discriminator, Encoder, discriminator_loss, fool_loss, make_config,
                                        reconstruction_loss)

        seed = 0 if self.random_state is None else int(self.random_state)
        overrides = {} if self.iterations is None else {"iterations": int(self.iterations)}
        cfg = make_config(self.preset, "AAE+C", n_frames=X.shape[1], n_bins=X.shape[2], seed=seed, **overrides)
        device = pick_device(self.device)
        with torch.random.fork_rng(devices=[]):  # module initialisation from our seed, not the global stream
            torch.manual_seed(seed)
            enc, dec, disc = Encoder(cfg).to(device), Decoder(cfg).to(device), Discriminator(cfg).to(device)
        opts = {m: torch.optim.Adam(m.parameters(), lr=cfg.lr, betas=(cfg.beta1, 0.999)) for m in (enc, dec, disc)}
        gen = torch.Generator().manual_seed(seed)
        Xt = torch.as_tensor(np.asarray(X, dtype=np.float32))  # (n, T, F)
        rec_idx = self._rng_.choice(len(Xt), min(self.n_record, len(Xt)), replace=False)

        def update(module, loss):
            opts[module].zero_grad(set_to_none=True)
            loss.backward()
            opts[module].step()

        for it in range(1, cfg.iterations + 1):
            for _ in range(cfg.k1):
                # ---------------------------------------- Train Encoder + Discriminator
                for idx in _batches(len(Xt), cfg.batch_size, gen):
                    x = Xt[idx].to(device)
                    z = enc(x)
                    e = torch.randn(len(idx), cfg.z_dim, generator=gen).to(device)
                    loss_d = discriminator_loss(disc(e), disc(z.detach()))
                    update(disc, loss_d)
                    with _frozen(dec, disc):
                        loss_rec = reconstruction_loss(dec(z), x)
                        loss_e = cfg.rec_weight * loss_rec + cfg.adv_weight * fool_loss(disc(z))
                    update(enc, loss_e)
            for _ in range(cfg.k2):
                # ---------------------------------------- Train Decoder
                for idx in _batches(len(Xt), cfg.batch_size, gen):
                    x = Xt[idx].to(device)
                    with torch.no_grad():
                        z = enc(x)
                    loss_g = reconstruction_loss(dec(z), x)
                    update(dec, loss_g)
            self._log(it, loss_disc=loss_d.item(), loss_rec=loss_rec.item(), loss_dec_rec=loss_g.item())
            if self._should_record(it):
                self.encoder_, self.decoder_, self.z_dim_, self.torch_device_ = enc, dec, cfg.z_dim, device
                Xg = self._mixed(Xt[rec_idx], gen)  # (n_record, T, F)
                self._record_snapshot(it, np.concatenate([Xg.mean(axis=1), Xg.std(axis=1)], axis=1),
                                      np.asarray(y)[rec_idx], np.full(len(rec_idx), "mixed"))
        self.encoder_, self.decoder_, self.z_dim_, self.torch_device_ = enc.eval(), dec.eval(), cfg.z_dim, device
        self.X_fit_, self.y_fit_ = Xt, np.asarray(y)
        self._gen_ = torch.Generator().manual_seed(seed + 1)

    def _mixed(self, x, gen) -> np.ndarray:
        """Eq. (1) for frames x (n, T, F): average of Decoder(E) and Decoder(Encoder(x)), as numpy."""
        import torch

        with torch.no_grad():
            e = torch.randn(len(x), self.z_dim_, generator=gen).to(self.torch_device_)
            z = self.encoder_(x.to(self.torch_device_))
            return (0.5 * (self.decoder_(e) + self.decoder_(z))).cpu().numpy()

    def _generate(self, n_per_class: dict):
        X_new, y_new = [], []
        for c, k in n_per_class.items():
            pool = np.flatnonzero(self.y_fit_ == c)
            idx = self._rng_.choice(pool, size=k, replace=True)
            X_new.append(self._mixed(self.X_fit_[idx], self._gen_))
            y_new.append(np.full(k, c, dtype=self.y_fit_.dtype))
        return np.concatenate(X_new), np.concatenate(y_new)


def load_trained(run, name: str = "last-final"):
    """The (AAEC model, SpectrogramScaler) of a finished run, from its final checkpoint (CPU)."""
    from labkit.models.aaec import AAEC, AAECConfig, SpectrogramScaler

    state = run.load_checkpoint(name)
    if state is None:
        raise LabkitError(f"{run.path}: no checkpoint {name!r}; has the training finished?")
    model = AAEC(AAECConfig.from_dict(state["config"]))
    model.load_state_dict(state["model"])
    return model.eval(), SpectrogramScaler.from_state(state["scaler"])


__all__ = ["AAECData", "TrainOptions", "load_data", "scores", "train", "load_trained", "run_table1",
           "summarize_table1", "format_table1", "task_key", "PAPER_TABLE1", "AAECAugmenter"]
