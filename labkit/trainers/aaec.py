"""Algorithm 1 of AAEC (Fu et al., MuSe 2020): the training loop, and nothing else.

Read `train` top to bottom: one Algorithm 1 iteration is three banners,

    # ---- Train Encoder + Discriminator   (K1 epochs)
    # ---- Train Decoder                   (K2 epochs)
    # ---- Train Classifier                (K3 epochs, on X and on X' with X's labels)

then bookkeeping (one host sync for the losses, the ``on_epoch`` hook, history, checkpoint). After the
loop the classifier is fine-tuned on the original data with SGD (Algorithm 1, line 13). This is the
only implementation of Algorithm 1 in labkit: `labkit reproduce aaec-table1` / `aaec-train`
(`labkit.reproductions.aaec`) and the `aaec` augmenter (`labkit.augment.aaec`) all call `train`.

`train` takes a prepared `TrainingSet` (`labkit.features.aaec.prepare` makes one from power
spectrograms) and returns the `labkit.trainers.common.TrainResult` every trainer returns. It scores
nothing: the reproduction scores the returned classifier on the test speakers, and its per-iteration
test scores (monitoring only) come from the ``on_epoch`` hook it passes, which adds them to the
iteration's row.

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

Where the rest lives: the data (`labkit.data.aaec`, prepared by `labkit.features.aaec`), the model and
its losses (`labkit.models.aaec`), Figure 5 recording (`labkit.trainers.figure5`, an ``on_epoch`` hook),
Table 1 and the scoring (`labkit.reproductions.aaec`), the augmenter (`labkit.augment.aaec`), the
trainer contract and the shared loop pieces (`labkit.trainers.common`).

On a GPU
--------
The training set is moved to the device once when it fits (else it stays in pinned memory and batches
are copied asynchronously; `labkit.trainers.common.DeviceData`); labels, class weights and the noise E
live there too. Losses are summed as device tensors and copied to the host once per iteration (no other
host sync in the loop; ``tests/test_trainer_contract.py`` counts them). Every
phase runs under bf16 autocast (no GradScaler: bf16 has fp32's range). Each player's update
backpropagates into that player's parameters only (``loss.backward(inputs=...)``), so the other
players need no ``requires_grad`` flipping and no wasted weight gradients. `TrainOptions.compile`
runs the four modules through ``torch.compile``.

Checkpoints and resuming
------------------------
With a `labkit.trainers.common.Checkpoint`, every ``checkpoint.every`` iterations (and at the end of
the loop) the whole state is saved: every module's and optimiser's state dict, the iteration, the
history so far, the random generators, the hook's state (Figure 5's noise) and the input scaler
(loadable with ``weights_only=True``). Seeds: the initial weights are drawn under
`labkit.trainers.common.seeded` (``cfg.seed``), shuffling from a CPU `torch.Generator` and the noise
E from one on the device (`Streams`); both are saved, so a resumed run continues the same random
streams and ends with the same parameters as an uninterrupted one (exactly on CPU; on CUDA up to
kernel nondeterminism). A loss that becomes NaN or infinite stops the run (`TrainingDiverged`) before
the checkpoint of that iteration is written, so the last good checkpoint survives. The fine-tuning
after the loop is not checkpointed: a run killed during it repeats it from the last iteration's state.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import torch

from labkit.data.aaec import TrainingSet
from labkit.errors import LabkitError
from labkit.trainers.common import (
    Checkpoint,
    DeviceData,
    LossMeter,
    OnEpoch,
    Streams,
    TrainResult,
    as_device,
    autocast,
    backward_step,
    call_hook,
    check_finite,
    epoch_batches,
    seeded,
)
from labkit.utils import progress


@dataclass
class TrainOptions:
    """Plumbing of one training run (what the config of the algorithm does not decide)."""

    progress: bool = True  # show a progress bar over iterations
    desc: str = "AAEC"  # the progress bar's label
    compile: bool = False  # torch.compile the four modules (worth it on a GPU; slow to start)
    autoencoder_only: bool = False  # train Encoder/Discriminator/Decoder only, no classifier (the augmenter)


# ---------------------------------------------------------------------------------------------------
# Algorithm 1


def train(
    data: TrainingSet,
    cfg,
    *,
    device: torch.device,
    options: TrainOptions | None = None,
    on_epoch: OnEpoch | None = None,
    checkpoint: Checkpoint | None = None,
) -> TrainResult:
    """Train one AAEC configuration with Algorithm 1, then fine-tune its classifier (line 13).

    Parameters
    ----------
    data : TrainingSet
        Standardised log spectrograms and labels (`labkit.features.aaec.prepare`); `cfg.n_frames` /
        `cfg.n_bins` are taken from it. Only the training side is used.
    cfg : labkit.models.aaec.AAECConfig
        Sizes, configuration switches and budget (see `labkit.models.aaec.make_config`).
    device : torch.device
        Chosen by the caller (`labkit.utils.pick_device`).
    options : TrainOptions
    on_epoch : ``on_epoch(iteration, model, row)`` after every iteration (1-based), with ``row`` holding
        the iteration's stage ("aae", "classifier" or "joint") and mean losses. Figure 5 recording
        (`labkit.trainers.figure5.Figure5Recorder`) and the reproduction's test scores are such hooks.
    checkpoint : a `labkit.trainers.common.Checkpoint` to save to and resume from, or None

    Returns
    -------
    TrainResult: the trained `AAEC` (eval mode), one history row per iteration, and ``state`` with
    ``epoch`` (iterations done), ``resumed_from``, ``stopped`` and ``finetuned`` (False with
    ``options.autoencoder_only`` or when a hook stopped the loop early).
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
    if not isinstance(data, TrainingSet):
        raise LabkitError(
            f"trainers.aaec.train takes a prepared TrainingSet (labkit.features.aaec.prepare), got {type(data).__name__}"
        )
    cfg = replace(cfg, n_frames=int(data.X_train.shape[1]), n_bins=int(data.X_train.shape[2]))
    if options.autoencoder_only and not cfg.augment:
        raise LabkitError("autoencoder_only needs a configuration with an autoencoder (not 'Classifier')")
    device = as_device(device)
    amp = cfg.mixed_precision  # bf16 autocast on CUDA, fp32 on the CPU (labkit.trainers.common.autocast)

    # ---- data on the device (once), labels and class weights too
    X_train = DeviceData(data.X_train.float(), device)  # (N, T, F)
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
    with seeded(cfg.seed):
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
    streams = Streams(cfg.seed, device)
    shuffle_gen, noise_gen = streams.shuffle, streams.noise

    def noise(n: int) -> torch.Tensor:
        return torch.randn(n, cfg.z_dim, generator=noise_gen, device=device)  # E ~ N(0, I), (n, z_dim)

    two_stage = cfg.augment and not cfg.classifier_in_loop  # AAE+C: autoencoder first, classifier afterwards
    n_steps = cfg.iterations if options.autoencoder_only else (2 * cfg.iterations if two_stage else cfg.iterations)
    clf_in_game = cfg.augment and cfg.classifier_in_loop  # C (and its C_d) takes part in the adversarial game
    encoder_fools_clf = clf_in_game and cfg.encoder_fools_classifier
    extra = {"scaler": data.scaler.state()} if data.scaler is not None else {}

    # ---- resume from the checkpoint when there is one
    start, history, _ = (
        checkpoint.resume(cfg, model, optims, {"streams": streams}, on_epoch) if checkpoint else (0, [], {})
    )

    def encode_all() -> torch.Tensor:
        """Z = Encoder(X) for every training utterance, (N, z_dim) on the device."""
        with torch.no_grad(), autocast(device, amp):
            return torch.cat([enc(xb).float() for xb in X_train.chunks(256)])

    # ---- Algorithm 1, lines 2-12
    model.train()
    Z_train = None
    done, stop = start, False
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

        # ---- bookkeeping: the iteration's one host sync, the hook (Figure 5, test scores), history, checkpoint
        losses = meter.means()
        check_finite(losses, f"iteration {it + 1} of {options.desc} seed {cfg.seed}")
        stage = (
            "aae"
            if options.autoencoder_only
            else ("classifier" if it >= cfg.iterations else "aae")
            if two_stage
            else "joint"
        )
        row = {"iteration": it + 1, "stage": stage, **losses, "steps": steps, "seconds": time.perf_counter() - t_iter}
        done = it + 1
        stop = call_hook(on_epoch, done, model, row)
        model.train()  # a hook may have put a module into eval mode to score it
        history.append(row)
        bar.set_postfix({k: f"{v:.3g}" for k, v in row.items() if k.startswith(("loss_rec", "loss_cls", "test_c"))})
        if checkpoint is not None and checkpoint.due(done, final=done == n_steps or stop):
            checkpoint.save(done, cfg, model, optims, {"streams": streams}, history, on_epoch, extra)
        if stop:
            break
    bar.close()
    state = {"epoch": done, "resumed_from": start, "stopped": done < n_steps, "finetuned": False}
    if options.autoencoder_only or done < n_steps:
        return TrainResult(model.eval(), history, time.perf_counter() - t_start, str(device), cfg, state)

    # ---- Algorithm 1, line 13: fine-tune the classifier on the original data with SGD (fp32: tiny steps)
    sgd = torch.optim.SGD(params["classifier"], lr=cfg.finetune_lr)
    meter = LossMeter()
    for _ in range(cfg.finetune_epochs):
        for idx in epoch_batches(n_train, cfg.batch_size, shuffle_gen, device):
            _, a, v = clf(X_train[idx])
            loss_ft = class_loss(a, v, ya_train[idx], yv_train[idx], cw)
            backward_step(loss_ft, sgd, params["classifier"])
            meter.add("loss_finetune", loss_ft)
    finetune = meter.means()
    check_finite(finetune, f"the SGD fine-tuning of {options.desc} seed {cfg.seed}")
    state.update(finetuned=True, **finetune)
    return TrainResult(model.eval(), history, time.perf_counter() - t_start, str(device), cfg, state)


# ---------------------------------------------------------------------------------------------------
# Predictions


@torch.no_grad()
def predict(model, X: torch.Tensor, device: torch.device, amp: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Arousal and valence class predictions (M,) each of a trained AAEC for standardised X (M, T, F).

    Chunks of 256 on `device`, one host copy at the end. The classifier's mode is restored afterwards.
    """
    classifier = model.classifier
    was_training = classifier.training
    classifier.eval()
    pa, pv = [], []
    with autocast(device, amp):
        for start in range(0, len(X), 256):
            _, a, v = classifier(X[start : start + 256].to(device))
            pa.append(a.argmax(1))
            pv.append(v.argmax(1))
    classifier.train(was_training)
    both = torch.stack([torch.cat(pa), torch.cat(pv)]).cpu().numpy()  # (2, M)
    return both[0], both[1]


@torch.no_grad()
def generate_like(model, X: torch.Tensor, device: torch.device, seed: int = 0, amp: bool = False) -> np.ndarray:
    """X' of Eq. (1) for standardised X (M, T, F): what the classifier is fed, one sample per row, (M, T, F).

    X' = average(Decoder(E), Decoder(Encoder(x))) ("average" mode) or Decoder(Encoder(x)) ("code",
    AAEC'), with E ~ N(0, I) from a generator of its own seeded by `seed`, so calling it changes no
    training stream. Chunks of 256 on `device`; float32 numpy on the host. The model must have an
    autoencoder (not the "Classifier" configuration).
    """
    if model.encoder is None:
        raise LabkitError("generate_like: this AAEC configuration has no autoencoder (it generates nothing)")
    gen = torch.Generator(device=device).manual_seed(int(seed))
    was_training = model.training
    model.eval()
    out = []
    with autocast(device, amp):
        for start in range(0, len(X), 256):
            x = X[start : start + 256].to(device)
            e = torch.randn(len(x), model.cfg.z_dim, generator=gen, device=device)
            out.append(model.generate(x, e)["mixed"].float().cpu())
    model.train(was_training)
    return torch.cat(out).numpy()


def load_trained(checkpoint: Checkpoint):
    """The (AAEC model, SpectrogramScaler or None) stored in a training's checkpoint (CPU, eval mode)."""
    from labkit.features.aaec import SpectrogramScaler
    from labkit.models.aaec import AAEC, AAECConfig

    state = checkpoint.read()
    if state is None:
        raise LabkitError(f"{checkpoint.path}: no checkpoint; has the training run?")
    model = AAEC(AAECConfig.from_dict(state["config"]))
    model.load_state_dict(state["model"])
    scaler = SpectrogramScaler.from_state(state["extra"]["scaler"]) if "scaler" in state["extra"] else None
    return model.eval(), scaler


__all__ = ["TrainOptions", "TrainingSet", "train", "predict", "generate_like", "load_trained"]
