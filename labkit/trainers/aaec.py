"""Algorithm 1 of AAEC (Fu et al., MuSe 2020): the training loop, and nothing else.

Read `train` top to bottom: one Algorithm 1 iteration is three banners,

    # ---- Train Encoder + Discriminator   (K1 epochs)
    # ---- Train Decoder                   (K2 epochs)
    # ---- Train Classifier                (K3 epochs, on X and on X' with X's labels)

then bookkeeping (one host sync for the losses, history, Figure 5 recording, checkpoint). After the loop
the classifier is fine-tuned on the original data with SGD (Algorithm 1, line 13) and scored on the
held-out test speakers. This is the only implementation of Algorithm 1 in labkit: `labkit reproduce
aaec-table1` / `aaec-train` (`labkit.reproductions.aaec`) and the `aaec` augmenter
(`labkit.augment.aaec`) all call `train`.

How the five configurations run (switches from `labkit.models.aaec.CONFIGURATIONS`):

* AAEC, AAE_C, AAEC': as above; AAE_C has no discriminator, AAEC' feeds the classifier X' = Decoder(Z)
  instead of the average of Decoder(E) and Decoder(Z). The encoder fools D and, through the decoder,
  C_d (``encoder_fools_classifier``); the decoder reconstructs, keeps X's class under C_c and fools C_d.
* AAE+C: the loop trains only Encoder, Discriminator and Decoder for `iterations` iterations (the
  decoder has no classifier to please, so it only reconstructs); then the classifier's class heads are
  trained "afterwards" for as many iterations x K3 epochs, on the original data plus X' from the
  *final, frozen* autoencoder (fresh noise E every batch). C is not a player in AAE+C, so its real/fake
  head C_d is not trained. History rows carry stage "aae" then "classifier".
* Classifier: no autoencoder; the classifier gets the same iterations x K3 epochs on X only.

Every configuration ends with the same fine-tuning, so Table 1's rows differ only in what the paper varies.

Where the rest lives: the data (`labkit.data.aaec`), the model and its losses (`labkit.models.aaec`),
Figure 5 recording (`labkit.viz.figure5`, passed in as ``recorder``), Table 1 (`labkit.reproductions.aaec`),
the augmenter (`labkit.augment.aaec`), the shared loop pieces (`labkit.trainers.common`).

On a GPU
--------
The training set is moved to the device once when it fits (else it stays in pinned memory and batches
are copied asynchronously; `labkit.trainers.common.DeviceData`); labels, class weights and the noise E
live there too. Losses are summed as device tensors and copied to the host once per iteration. Every
phase runs under bf16 autocast (no GradScaler: bf16 has fp32's range). Each player's update
backpropagates into that player's parameters only (``loss.backward(inputs=...)``), so the other
players need no ``requires_grad`` flipping and no wasted weight gradients. `TrainOptions.compile`
runs the four modules through ``torch.compile``.

Checkpoints and resuming
------------------------
Every `checkpoint_every` iterations (and at the end of the loop) the run store gets a checkpoint with
every module's and optimiser's state dict, the iteration, the history so far and the states of the
random generators (loadable with ``weights_only=True``). Shuffling uses a CPU `torch.Generator` and the
noise E a generator on the device; both are saved, so a resumed run continues the same random streams
and ends with the same parameters as an uninterrupted one (exactly on CPU; on CUDA up to kernel
nondeterminism). A loss that becomes NaN or infinite stops the run (`TrainingDiverged`) before the
checkpoint of that iteration is written, so the last good checkpoint survives.

Metrics: arousal and valence are each scored with F1 (macro and micro), UAR and Combined = 0.66 micro-F1
+ 0.34 UAR (`labkit.experiment.metrics.scores`, MuSe 2020's definition). The per-iteration scores in
`history` are measured on the test speakers for *monitoring only*: no model is selected on them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import pandas as pd
import torch

from labkit.data.aaec import AAECData
from labkit.errors import LabkitError
from labkit.trainers.common import DeviceData, LossMeter, autocast, backward_step, check_finite, epoch_batches
from labkit.utils import pick_device, progress, seed_everything


@dataclass
class TrainOptions:
    """Plumbing of one training run (what the config of the algorithm does not decide)."""

    device: str | None = None  # "cpu", "cuda", ...; None picks CUDA when available
    checkpoint_every: int = 5  # save a checkpoint every this many iterations (and at the end)
    checkpoint_name: str = "last"  # checkpoint file name in the run store (one per task in Table 1)
    history_table: str = "history"  # run-store table the per-iteration history goes to
    stop_after: int | None = None  # stop (with a checkpoint) after this iteration; for tests of resuming
    save_final: bool = True  # keep the trained model as checkpoint "<checkpoint_name>-final"
    progress: bool = True  # show a progress bar over iterations
    desc: str = "AAEC"  # the progress bar's label
    compile: bool = False  # torch.compile the four modules (worth it on a GPU; slow to start)
    autoencoder_only: bool = False  # train Encoder/Discriminator/Decoder only, no classifier (the augmenter)


@dataclass
class TrainingSet:
    """What Algorithm 1 consumes: standardised log spectrograms and labels as tensors."""

    X_train: torch.Tensor  # (N, T, F) float32 standardised log power (CPU; moved to the device by train)
    arousal_train: torch.Tensor  # (N,) int64 classes 0..n_arousal-1
    valence_train: torch.Tensor  # (N,) int64 classes 0..n_valence-1
    X_test: torch.Tensor | None = None  # (M, T, F) or None: no test scores (the augmenter)
    arousal_test: np.ndarray | None = None  # (M,)
    valence_test: np.ndarray | None = None  # (M,)
    scaler: object | None = None  # the SpectrogramScaler that made X (None when X came standardised)


class Recorder(Protocol):
    """What `train` calls to record generated samples (`labkit.viz.figure5.Figure5Recorder`)."""

    every: int  # record every this many iterations

    def start(self, model, data: TrainingSet, cfg, device: torch.device, resumed: bool) -> None: ...
    def record(self, iteration: int, model) -> None: ...
    def state(self) -> dict: ...
    def load_state(self, state: dict) -> None: ...


def prepare(data: AAECData, cfg):
    """Power spectrograms -> a `TrainingSet` of standardised log power, and `cfg` sized to it.

    Pools FFT bins (`cfg.freq_pool`), then fits `SpectrogramScaler` on the training split only.
    Refuses data cut to another length than `cfg.max_seconds` (the `paper` preset's 15 s).
    """
    from labkit.models.aaec import SpectrogramScaler, pool_frequency

    if data.max_seconds is not None and abs(float(data.max_seconds) - float(cfg.max_seconds)) > 1e-6:
        raise LabkitError(
            f"the data were cut to {data.max_seconds:g} s but the config asks for {cfg.max_seconds:g} s "
            f"(load them with load_aaec_data(..., max_seconds={cfg.max_seconds:g}))"
        )
    power_train = pool_frequency(data.X_train, cfg.freq_pool)  # (N, T, F / freq_pool)
    power_test = pool_frequency(data.X_test, cfg.freq_pool)
    scaler = SpectrogramScaler(cfg.log_eps).fit(power_train)
    ts = TrainingSet(
        X_train=torch.from_numpy(scaler.transform(power_train)),
        arousal_train=torch.from_numpy(data.arousal_train),
        valence_train=torch.from_numpy(data.valence_train),
        X_test=torch.from_numpy(scaler.transform(power_test)),
        arousal_test=data.arousal_test,
        valence_test=data.valence_test,
        scaler=scaler,
    )
    return ts, replace(cfg, n_frames=int(power_train.shape[1]), n_bins=int(power_train.shape[2]))


def scores(y_true, y_pred) -> dict:
    """F1 (macro and micro), UAR and Combined (0.66 micro-F1 + 0.34 UAR) over the classes 0, 1, 2."""
    from labkit.experiment.metrics import scores as _scores

    s = _scores(np.asarray(y_true), np.asarray(y_pred), labels=[0, 1, 2])
    return {k: float(s[k]) for k in ("f1", "f1_micro", "uar", "combined")}


# ---------------------------------------------------------------------------------------------------
# Algorithm 1


def train(
    data: AAECData | TrainingSet, cfg, run=None, options: TrainOptions | None = None, recorder: Recorder | None = None
) -> dict:
    """Train one AAEC configuration with Algorithm 1, fine-tune, and score on the test split.

    Parameters
    ----------
    data : AAECData (power spectrograms, scaled here) or TrainingSet (already standardised)
        `cfg.n_frames` / `cfg.n_bins` are taken from it.
    cfg : labkit.models.aaec.AAECConfig
        Sizes, configuration switches and budget (see `labkit.models.aaec.make_config`).
    run : labkit.runstore.Run or None
        Where history, checkpoints and the final model go; None trains without writing anything
        (no resuming then).
    options : TrainOptions
    recorder : Recorder or None
        Called every ``recorder.every`` iterations while the autoencoder trains (Figure 5).

    Returns
    -------
    dict with ``metrics`` ({"arousal"|"valence": {"f1", "f1_micro", "uar", "combined"}}, fractions),
    ``combined`` (mean of the two Combined scores), ``history`` (list of dicts), ``config`` (dict),
    ``seconds``, ``device``, and ``model`` / ``scaler`` (the trained `AAEC` and its input scaler).
    With ``options.autoencoder_only`` (or a `stop_after` before the end) there are no metrics.
    """
    from labkit.models.aaec import (
        AAEC,
        class_loss,
        class_weights,
        classifier_loss,
        discriminator_loss,
        fool_loss,
        reconstruction_loss,
    )

    options = options or TrainOptions()
    t_start = time.perf_counter()
    if isinstance(data, AAECData):
        data, cfg = prepare(data, cfg)
    else:
        cfg = replace(cfg, n_frames=int(data.X_train.shape[1]), n_bins=int(data.X_train.shape[2]))
    if options.autoencoder_only and not cfg.augment:
        raise LabkitError("autoencoder_only needs a configuration with an autoencoder (not 'Classifier')")
    seed_everything(cfg.seed)
    device = pick_device(options.device)
    amp = cfg.mixed_precision  # bf16 autocast on CUDA, fp32 on the CPU (labkit.trainers.common.autocast)

    # ---- data on the device (once), labels and class weights too
    X_train = DeviceData(data.X_train.float(), device)  # (N, T, F)
    X_test = DeviceData(data.X_test.float(), device) if data.X_test is not None else None
    ya_train, yv_train = data.arousal_train.long().to(device), data.valence_train.long().to(device)  # (N,)
    cw = (
        (
            class_weights(data.arousal_train.numpy(), cfg.n_arousal).to(device),
            class_weights(data.valence_train.numpy(), cfg.n_valence).to(device),
        )
        if cfg.balanced_classes
        else None
    )
    n_train = len(X_train)

    # ---- the players and their optimisers: Adam(lr, beta1) for each (Algorithm 1, line 1)
    model = AAEC(cfg).to(device)
    enc, dec, disc, clf = model.encoder, model.decoder, model.discriminator, model.classifier
    players = {
        name: m
        for name, m in [("encoder", enc), ("decoder", dec), ("discriminator", disc), ("classifier", clf)]
        if m is not None
    }
    params = {name: list(m.parameters()) for name, m in players.items()}
    optims = {name: torch.optim.Adam(p, lr=cfg.lr, betas=(cfg.beta1, 0.999)) for name, p in params.items()}
    if options.compile:
        for m in players.values():
            m.compile()  # in place: state_dict keys stay the same

    # Shuffling comes from a CPU generator, the noise E from one on the device; both are checkpointed.
    shuffle_gen = torch.Generator().manual_seed(cfg.seed)
    noise_gen = torch.Generator(device=device).manual_seed(cfg.seed + 1)

    def noise(n: int) -> torch.Tensor:
        return torch.randn(n, cfg.z_dim, generator=noise_gen, device=device)  # E ~ N(0, I), (n, z_dim)

    two_stage = cfg.augment and not cfg.classifier_in_loop  # AAE+C: autoencoder first, classifier afterwards
    n_steps = cfg.iterations if options.autoencoder_only else (2 * cfg.iterations if two_stage else cfg.iterations)
    clf_in_game = cfg.augment and cfg.classifier_in_loop  # C (and its C_d) takes part in the adversarial game
    encoder_fools_clf = clf_in_game and cfg.encoder_fools_classifier

    # ---- resume from a checkpoint when the run has one
    history: list[dict] = []
    start = 0
    ckpt = run.load_checkpoint(options.checkpoint_name, map_location=device) if run is not None else None
    if recorder is not None:
        recorder.start(model, data, cfg, device, resumed=ckpt is not None)
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        for name, opt in optims.items():
            opt.load_state_dict(ckpt["optims"][name])
        shuffle_gen.set_state(ckpt["shuffle_gen"].cpu())
        noise_gen.set_state(ckpt["noise_gen"].cpu())
        torch.set_rng_state(ckpt["torch_rng"].cpu())
        if recorder is not None and "recorder" in ckpt:
            recorder.load_state(ckpt["recorder"])
        history = list(ckpt["history"])
        start = int(ckpt["iteration"])

    def save_checkpoint(iteration: int) -> None:
        if run is None:
            return
        run.save_checkpoint(
            {
                "iteration": iteration,
                "config": cfg.to_dict(),
                "model": model.state_dict(),
                "optims": {n: o.state_dict() for n, o in optims.items()},
                "shuffle_gen": shuffle_gen.get_state(),
                "noise_gen": noise_gen.get_state(),
                "torch_rng": torch.get_rng_state(),
                "history": history,
                **({"recorder": recorder.state()} if recorder is not None else {}),
                **({"scaler": data.scaler.state()} if data.scaler is not None else {}),
            },
            options.checkpoint_name,
        )

    def encode_all() -> torch.Tensor:
        """Z = Encoder(X) for every training utterance, (N, z_dim) on the device."""
        with torch.no_grad(), autocast(device, amp):
            return torch.cat([enc(xb).float() for xb in X_train.chunks(256)])

    # ---- Algorithm 1, lines 2-12
    model.train()
    Z_train = None
    bar = progress(
        range(start, n_steps),
        total=n_steps - start,
        desc=f"{options.desc} seed {cfg.seed}",
        disable=None if options.progress else True,
    )
    for it in bar:
        t_iter = time.perf_counter()
        train_aae = cfg.augment and (options.autoencoder_only or not two_stage or it < cfg.iterations)
        train_clf = not options.autoencoder_only and (not two_stage or it >= cfg.iterations)
        meter = LossMeter()
        steps = 0

        if train_aae:
            for _ in range(cfg.k1):
                for idx in epoch_batches(n_train, cfg.batch_size, shuffle_gen, device):
                    x = X_train[idx]  # (B, T, F)
                    with autocast(device, amp):
                        z = enc(x)  # (B, z_dim); one forward serves D's step and the encoder's
                    if disc is not None:
                        # ------------------------------------ Train Discriminator: E ~ N(0, I) real, Z fake
                        with autocast(device, amp):
                            loss_d = discriminator_loss(disc(noise(len(idx))), disc(z.detach()))
                        backward_step(loss_d, optims["discriminator"], params["discriminator"])
                        meter.add("loss_disc", loss_d)
                        steps += 1
                    # ---------------------------------------- Train Encoder: reconstruct X, fool D and C_d
                    with autocast(device, amp):
                        loss_rec = reconstruction_loss(dec(z).float(), x)
                        loss_e = cfg.rec_weight * loss_rec
                        if disc is not None:
                            loss_adv = fool_loss(disc(z).float())
                            loss_e = loss_e + cfg.adv_weight * loss_adv
                            meter.add("loss_enc_adv", loss_adv)
                        if encoder_fools_clf:
                            x_mix = model.generate_from_code(z, noise(len(idx)))[
                                "mixed"
                            ]  # X' through the current decoder
                            loss_enc_fool = fool_loss(clf(x_mix)[0].float())
                            loss_e = loss_e + cfg.adv_weight * loss_enc_fool
                            meter.add("loss_enc_fool", loss_enc_fool)
                    backward_step(loss_e, optims["encoder"], params["encoder"])
                    meter.add("loss_rec", loss_rec)
                    steps += 1

        # The encoder stays fixed until the next iteration: compute every code Z once, not per epoch.
        Z_train = encode_all() if cfg.augment and (train_aae or Z_train is None) else Z_train

        if train_aae:
            for _ in range(cfg.k2):
                for idx in epoch_batches(n_train, cfg.batch_size, shuffle_gen, device):
                    # -------------------------------------------- Train Decoder: X' from Z and E (Eq. 1)
                    x, z = X_train[idx], Z_train[idx]
                    with autocast(device, amp):
                        out = model.generate_from_code(z, noise(len(idx)))  # code, noise, mixed: (B, T, F) each
                        loss_rec = reconstruction_loss(out["code"].float(), x)
                        loss_g = cfg.rec_weight * loss_rec
                        if clf_in_game:
                            # X' must keep its original's class (C_c) and pass for real (C_d).
                            rf, a, v = clf(out["mixed"])
                            loss_cls = class_loss(a.float(), v.float(), ya_train[idx], yv_train[idx], cw)
                            loss_fool = fool_loss(rf.float())
                            loss_g = loss_g + cfg.cls_weight * loss_cls + cfg.adv_weight * loss_fool
                            meter.add("loss_dec_class", loss_cls)
                            meter.add("loss_dec_fool", loss_fool)
                    backward_step(loss_g, optims["decoder"], params["decoder"])
                    meter.add("loss_dec_rec", loss_rec)
                    steps += 1

        if train_clf:
            for _ in range(cfg.k3):
                for idx in epoch_batches(n_train, cfg.batch_size, shuffle_gen, device):
                    # -------------------------------------------- Train Classifier: X and X' with X's labels
                    x, ya, yv = X_train[idx], ya_train[idx], yv_train[idx]
                    with autocast(device, amp):
                        if cfg.augment:
                            with torch.no_grad():  # X' is a fixed input here
                                x_fake = model.generate_from_code(Z_train[idx], noise(len(idx)))["mixed"]
                            rf, a, v = clf(torch.cat([x, x_fake.to(x.dtype)]))  # one pass over (2B, T, F)
                            b = len(idx)
                            out_real, out_fake = (
                                (rf[:b].float(), a[:b].float(), v[:b].float()),
                                (rf[b:].float(), a[b:].float(), v[b:].float()),
                            )
                        else:
                            rf, a, v = clf(x)
                            out_real, out_fake = (rf.float(), a.float(), v.float()), None
                        loss_c = classifier_loss(out_real, out_fake, ya, yv, cw, real_fake=clf_in_game)
                    backward_step(loss_c, optims["classifier"], params["classifier"])
                    meter.add("loss_cls", loss_c)
                    steps += 1

        # ---- bookkeeping: the iteration's one host sync, history (test scores: monitoring only), Figure 5
        losses = meter.means()
        check_finite(losses, f"iteration {it + 1} of {options.desc} seed {cfg.seed}")
        stage = (
            "aae"
            if options.autoencoder_only
            else ("classifier" if it >= cfg.iterations else "aae")
            if two_stage
            else "joint"
        )
        row = {"iteration": it + 1, "stage": stage, **losses}
        if train_clf and X_test is not None:
            ev = _evaluate(clf, X_test, data.arousal_test, data.valence_test, device, amp)
            row.update(
                {
                    "test_uar_arousal": ev["arousal"]["uar"],
                    "test_uar_valence": ev["valence"]["uar"],
                    "test_combined": 0.5 * (ev["arousal"]["combined"] + ev["valence"]["combined"]),
                }
            )
        row["steps"] = steps
        row["seconds"] = time.perf_counter() - t_iter
        history.append(row)
        if recorder is not None and train_aae and (it + 1) % recorder.every == 0:
            recorder.record(it + 1, model)
        if run is not None:
            run.write_table(options.history_table, pd.DataFrame(history))
        bar.set_postfix({k: f"{v:.3g}" for k, v in row.items() if k.startswith(("loss_rec", "loss_cls", "test_c"))})
        done = it + 1
        if done % options.checkpoint_every == 0 or done == n_steps or done == options.stop_after:
            save_checkpoint(done)
        if options.stop_after is not None and done >= options.stop_after and done < n_steps:
            bar.close()
            return {
                "stopped_at": done,
                "history": history,
                "config": cfg.to_dict(),
                "model": model,
                "scaler": data.scaler,
                "device": str(device),
            }
    bar.close()
    if options.autoencoder_only:
        return {
            "history": history,
            "config": cfg.to_dict(),
            "model": model.eval(),
            "scaler": data.scaler,
            "seconds": time.perf_counter() - t_start,
            "device": str(device),
        }

    # ---- Algorithm 1, line 13: fine-tune the classifier on the original data with SGD (fp32: tiny steps)
    sgd = torch.optim.SGD(params["classifier"], lr=cfg.finetune_lr)
    meter = LossMeter()
    for _ in range(cfg.finetune_epochs):
        for idx in epoch_batches(n_train, cfg.batch_size, shuffle_gen, device):
            _, a, v = clf(X_train[idx])
            loss_ft = class_loss(a, v, ya_train[idx], yv_train[idx], cw)
            backward_step(loss_ft, sgd, params["classifier"])
            meter.add("loss_finetune", loss_ft)
    check_finite(meter.means(), f"the SGD fine-tuning of {options.desc} seed {cfg.seed}")

    if X_test is None:
        raise LabkitError("train() needs test data to score the classifier (TrainingSet.X_test is None)")
    metrics = _evaluate(clf, X_test, data.arousal_test, data.valence_test, device, False)
    combined = 0.5 * (metrics["arousal"]["combined"] + metrics["valence"]["combined"])
    result = {
        "metrics": metrics,
        "combined": combined,
        "history": history,
        "config": cfg.to_dict(),
        "seconds": time.perf_counter() - t_start,
        "device": str(device),
        "model": model,
        "scaler": data.scaler,
    }
    if run is not None and options.save_final:
        run.save_checkpoint(
            {
                "config": cfg.to_dict(),
                "model": model.state_dict(),
                **({"scaler": data.scaler.state()} if data.scaler is not None else {}),
            },
            f"{options.checkpoint_name}-final",
        )
    return result


# ---------------------------------------------------------------------------------------------------
# Scoring


def predict(classifier, X: DeviceData, device, amp: bool) -> tuple[np.ndarray, np.ndarray]:
    """Arousal and valence predictions (M,) each for standardised X (M, T, F) (one host copy at the end)."""
    classifier.eval()
    pa, pv = [], []
    with torch.no_grad(), autocast(device, amp):
        for xb in X.chunks(256):
            _, a, v = classifier(xb)
            pa.append(a.argmax(1))
            pv.append(v.argmax(1))
    classifier.train()
    return torch.cat(pa).cpu().numpy(), torch.cat(pv).cpu().numpy()


def _evaluate(classifier, X: DeviceData, ya, yv, device, amp) -> dict:
    pa, pv = predict(classifier, X, device, amp)
    return {"arousal": scores(ya, pa), "valence": scores(yv, pv)}


def load_trained(run, name: str = "last-final"):
    """The (AAEC model, SpectrogramScaler) of a finished run, from its final checkpoint (CPU)."""
    from labkit.models.aaec import AAEC, AAECConfig, SpectrogramScaler

    state = run.load_checkpoint(name)
    if state is None:
        raise LabkitError(f"{run.path}: no checkpoint {name!r}; has the training finished?")
    model = AAEC(AAECConfig.from_dict(state["config"]))
    model.load_state_dict(state["model"])
    scaler = SpectrogramScaler.from_state(state["scaler"]) if "scaler" in state else None
    return model.eval(), scaler


__all__ = ["TrainOptions", "TrainingSet", "Recorder", "prepare", "scores", "train", "predict", "load_trained"]
