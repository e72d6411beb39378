"""Training the enriched code vector: one explicit loop for every AAE of the paper, then the kNN labels.

The model, its losses and the choices behind them are in `labkit.models.codevector`. Here:

* `train`: the one training loop. Per minibatch, two phases under their banners:
  ``# ---- Train Discriminator`` (D: prior samples z ~ N(0, I) real, codes G(x) fake) and
  ``# ---- Train Encoder, Decoder and Head`` (G, F, M on L_total = L_rec + L_per + L_adv). The same
  loop trains the neighbourhood AAE (no condition, no head), the in-context AAE (no head) and the
  enriched code (everything), as the config says. One history row per epoch.
* `neighbourhood_space`: train the neighbourhood AAE on the in-context training rows plus the
  out-of-context corpus and map both into its latent space (E_i, E_o); Y_io then comes from
  `labkit.models.codevector.knn_label_distribution` (K cosine-nearest out-of-context rows).
* `enrich`: `train` with the decoder conditioned on the label and the head M fitting Y_io.
* `generate`: the conditional AAE's generative path, F(z, y) with z ~ N(0, I): class-conditional rows
  in the standardised feature space. The paper never samples (its SVM classifies codes of real rows);
  `labkit.reproductions.codevector` decodes prior draws only to gate the training behind each code.
* `CodeSpaceRecorder`: the code space over epochs for the dashboard's Distribution page (space
  ``code``): in-context train / test and out-of-context codes per recorded epoch.

GPU-grade: the data live on the device (`DeviceData`), the prior's noise is drawn there, losses are
summed on the device (`LossMeter`) and read once per epoch, bf16 autocast on CUDA.

The trainer contract (`labkit.trainers.common`): ``device`` chosen by the caller; ``on_epoch(epoch,
model, row)`` at epoch 0 (before training, ``row`` = ``{"epoch": 0}``) and after every epoch (a
`CodeSpaceRecorder` is such a hook); a `Checkpoint` to continue from; a `TrainResult`. Seeds: one
config seed for the initial weights (`seeded`), shuffling (a CPU generator) and the prior (a device
generator), both in `Streams`.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F

from labkit.errors import LabkitError
from labkit.models.codevector import (
    CodeVectorAAE,
    CodeVectorConfig,
    discriminator_loss,
    encoder_adversarial_loss,
    per_loss,
    reconstruction_loss,
)
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
    epochs_bar,
    seeded,
)


def _tensor(X, dtype=torch.float32) -> torch.Tensor:
    return X.to(dtype) if isinstance(X, torch.Tensor) else torch.as_tensor(np.asarray(X), dtype=dtype)


def encode(model: CodeVectorAAE, X) -> np.ndarray:
    """G(X) for standardised rows X (N, d), on the model's device: (N, c) float32 numpy."""
    device = next(model.parameters()).device
    return model.encode(_tensor(X).to(device)).float().cpu().numpy()


def train(
    X,
    cfg: CodeVectorConfig,
    *,
    device: torch.device,
    y=None,
    y_aux=None,
    on_epoch: OnEpoch | None = None,
    checkpoint: Checkpoint | None = None,
    show_progress: bool = False,
    desc: str = "AAE",
) -> TrainResult:
    """Train one (conditional) AAE of the paper on standardised rows.

    Parameters
    ----------
    X : (N, d) standardised features of the training rows (numpy or torch)
    cfg : CodeVectorConfig; ``n_features`` must equal d
    device : the torch device, chosen by the caller
    y : (N,) int in-context classes 0..n_classes-1 (the decoder's condition); needed when n_classes > 0
    y_aux : (N, n_aux) Y_io, the out-of-context label distributions; needed when n_aux > 0
    on_epoch : ``on_epoch(epoch, model, row)`` at epoch 0 (before training) and after every epoch
        (e.g. a `CodeSpaceRecorder`)
    checkpoint : a `labkit.trainers.common.Checkpoint` to save to and resume from, or None
    show_progress : a progress bar over epochs

    Returns
    -------
    TrainResult (``history``: epoch, loss_d, loss_rec, loss_per, loss_adv, loss_total, seconds)
    """
    cfg.validate()
    t_start = time.perf_counter()
    device = as_device(device)
    X = _tensor(X)
    if X.ndim != 2 or X.shape[1] != cfg.n_features:
        raise LabkitError(f"codevector: X must be (N, {cfg.n_features}), got {tuple(X.shape)}")
    if len(X) < 2:
        raise LabkitError(f"codevector: need at least 2 training rows, got {len(X)}")
    if not torch.isfinite(X).all():
        raise LabkitError("codevector: the training features hold NaN or infinite values")
    if cfg.n_classes and y is None:
        raise LabkitError("codevector: a conditional decoder (n_classes > 0) needs the labels y")
    if cfg.n_aux and y_aux is None:
        raise LabkitError("codevector: the head M (n_aux > 0) needs the out-of-context label distributions y_aux")

    # ---- data on the device (once): features, one-hot condition, Y_io
    data = DeviceData(X, device)  # (N, d)
    n = len(data)
    Y = None
    if cfg.n_classes:
        y = _tensor(y, torch.long)
        if y.shape != (n,) or int(y.min()) < 0 or int(y.max()) >= cfg.n_classes:
            raise LabkitError(f"codevector: y must be ({n},) classes in 0..{cfg.n_classes - 1}")
        Y = F.one_hot(y, cfg.n_classes).float().to(device)  # (N, n_classes)
    Y_io = None
    if cfg.n_aux:
        Y_io = _tensor(y_aux).to(device)
        if tuple(Y_io.shape) != (n, cfg.n_aux):
            raise LabkitError(f"codevector: y_aux must be ({n}, {cfg.n_aux}), got {tuple(Y_io.shape)}")

    # ---- the players: D against G, F and M (one Adam each)
    with seeded(cfg.seed):
        model = CodeVectorAAE(cfg).to(device)
    d_params = list(model.discriminator.parameters())
    g_params = model.autoencoder_parameters()
    # fused: one kernel updates all of a player's tensors (these layers are small; Adam's per-tensor
    # loop cost more than the arithmetic, about 5x on a CPU)
    opt_d = torch.optim.Adam(d_params, lr=cfg.lr, betas=(cfg.beta1, 0.999), fused=True)
    opt_g = torch.optim.Adam(g_params, lr=cfg.lr, betas=(cfg.beta1, 0.999), fused=True)
    opts = {"d": opt_d, "g": opt_g}
    streams = Streams(
        cfg.seed, device
    )  # shuffling on the CPU (the same batches on every device), the prior on the device
    zero = torch.zeros((), device=device)
    start, history, _ = (
        checkpoint.resume(cfg, model, opts, {"streams": streams}, on_epoch) if checkpoint else (0, [], {})
    )

    if not start:
        call_hook(on_epoch, 0, model, {"epoch": 0})
    done = start
    model.train()
    for epoch in epochs_bar(start + 1, cfg.epochs + 1, show_progress, desc):
        t_epoch = time.perf_counter()
        meter = LossMeter()
        for idx in epoch_batches(n, cfg.batch_size, streams.shuffle, device):
            x = data[idx]  # (B, d)

            with autocast(device):
                c = model.encoder(x)  # (B, c): the codes of this batch, used by both phases

            # ---- Train Discriminator: z ~ N(0, I) is real, G(x) is fake
            with autocast(device):
                z = torch.randn(c.shape, generator=streams.noise, device=device)  # (B, c)
                loss_d = discriminator_loss(model.discriminator(z), model.discriminator(c.detach()))
            backward_step(loss_d, opt_d, d_params)  # the detached codes keep G out of this step

            # ---- Train Encoder, Decoder and Head: L_total = L_rec + L_per + L_adv (D as just updated)
            with autocast(device):
                x_hat = model.decoder(c, Y[idx] if Y is not None else None)  # (B, d)
                loss_rec = reconstruction_loss(x_hat, x)
                loss_per = per_loss(model.head(c), Y_io[idx]) if model.head is not None else zero
                loss_adv = encoder_adversarial_loss(model.discriminator(c))
                loss = cfg.w_rec * loss_rec + cfg.w_per * loss_per + cfg.w_adv * loss_adv
            backward_step(loss, opt_g, g_params)  # D's weights get no gradient from this step

            meter.add("loss_d", loss_d)
            meter.add("loss_rec", loss_rec)
            meter.add("loss_per", loss_per)
            meter.add("loss_adv", loss_adv)
            meter.add("loss_total", loss)

        means = meter.means()  # the epoch's one host sync
        check_finite(means, f"epoch {epoch} of {desc}")
        row = {"epoch": epoch, **means, "seconds": time.perf_counter() - t_epoch}
        done = epoch
        stop = call_hook(on_epoch, epoch, model, row)
        history.append(row)
        if checkpoint is not None and checkpoint.due(epoch, final=epoch == cfg.epochs or stop):
            checkpoint.save(epoch, cfg, model, opts, {"streams": streams}, history, on_epoch)
        if stop:
            break
    model.eval()
    state = {"epoch": done, "resumed_from": start, "stopped": done < cfg.epochs}
    return TrainResult(model, history, time.perf_counter() - t_start, str(device), cfg, state)


@torch.no_grad()
def generate(model: CodeVectorAAE, y, seed: int = 0) -> np.ndarray:
    """Decode prior draws with the given classes: F(z, one_hot(y)), z ~ N(0, I), on the model's device.

    y (m,) int classes of a conditional decoder (``n_classes > 0``); `seed` seeds a generator of its
    own (the training's streams and torch's global one are left alone). Returns (m, d) float32 numpy
    rows in the standardised feature space the AAE was trained in.
    """
    cfg = model.cfg
    if not cfg.n_classes:
        raise LabkitError("codevector: generate needs a conditional decoder (n_classes > 0)")
    device = next(model.parameters()).device
    y = _tensor(y, torch.long).to(device)
    gen = torch.Generator(device=device).manual_seed(int(seed))
    z = torch.randn((len(y), cfg.code_size), generator=gen, device=device)  # (m, c) prior draws
    was = model.training
    model.eval()
    x = model.decoder(z, F.one_hot(y, cfg.n_classes).float())  # (m, d)
    model.train(was)
    return x.float().cpu().numpy()


def neighbourhood_space(
    X_in,
    X_o,
    cfg: CodeVectorConfig,
    *,
    device: torch.device,
    checkpoint: Checkpoint | None = None,
    show_progress: bool = False,
):
    """Train the plain ("conventional") AAE on both corpora and map both into its latent space.

    Parameters
    ----------
    X_in : (N_in, d) standardised in-context TRAINING rows (never test rows)
    X_o : (N_o, d) standardised out-of-context rows
    cfg : the code's config; ``knn_code_size`` and the budget (epochs, lr, seed) are used
    checkpoint : a `labkit.trainers.common.Checkpoint` to save to and resume from, or None

    Returns
    -------
    (E_in (N_in, e) tensor, E_o (N_o, e) tensor, TrainResult of the neighbourhood AAE); feed E_in and
    E_o to `labkit.models.codevector.knn_label_distribution` for Y_io.
    """
    X_in, X_o = _tensor(X_in), _tensor(X_o)
    knn_cfg = replace(cfg, n_classes=0, n_aux=0, code_size=cfg.knn_code_size)
    X = torch.cat([X_in, X_o])  # (N_in + N_o, d): one latent space for both corpora
    res = train(X, knn_cfg, device=device, checkpoint=checkpoint, show_progress=show_progress, desc="neighbourhood AAE")
    E = res.model.encode(X.to(as_device(device)))  # (N_in + N_o, e)
    return E[: len(X_in)], E[len(X_in) :], res


def enrich(
    X,
    y,
    y_io,
    cfg: CodeVectorConfig,
    *,
    device: torch.device,
    on_epoch: OnEpoch | None = None,
    checkpoint: Checkpoint | None = None,
    show_progress: bool = False,
    desc: str = "enriched code",
) -> TrainResult:
    """Train the enriched code: `train` with the decoder conditioned on y and the head M fitting Y_io.

    X (N, d) standardised in-context training rows; y (N,) their classes; y_io (N, n_aux) their
    out-of-context label distributions (`labkit.models.codevector.knn_label_distribution`).
    """
    if cfg.n_aux == 0:
        raise LabkitError("enrich needs a config with the head M (n_aux > 0), e.g. preset 'enriched-64'")
    return train(
        X,
        cfg,
        y=y,
        y_aux=y_io,
        device=device,
        on_epoch=on_epoch,
        checkpoint=checkpoint,
        show_progress=show_progress,
        desc=desc,
    )


class CodeSpaceRecorder:
    """Writes the code space over training epochs to a run (space ``code``) for the Distribution page.

    Each recorded epoch is one snapshot holding the codes G(x) of (up to `n_record` of) the
    in-context training rows, all in-context test rows and (up to `n_record`) out-of-context rows,
    with origins ``in-context train`` / ``in-context test`` / ``out-of-context`` and their class
    names as labels. The reference (train / test codes) is rewritten at each recorded epoch, so the
    dashboard's fixed plane is fitted on the latest codes and earlier epochs are drawn in it.

    It is an ``on_epoch`` hook of `train`: called at epoch 0 (before training) and after every
    epoch, it records epoch 0 and every `every`-th epoch.
    """

    def __init__(
        self,
        run,
        X_train,
        y_train,
        X_test,
        y_test,
        X_o=None,
        y_o=None,
        class_names=("low", "high"),
        n_record: int = 200,
        seed: int = 0,
        space: str = "code",
        every: int = 1,
    ):
        rng = np.random.default_rng(seed)
        names = np.asarray(class_names, dtype=object)

        def pick(X, y, cap):
            keep = np.sort(rng.choice(len(X), size=min(cap, len(X)), replace=False)) if cap else np.arange(len(X))
            return _tensor(np.asarray(X)[keep]), names[np.asarray(y)[keep]].astype(str)

        self.run, self.space, self.every = run, space, int(every)
        self.groups = [
            ("in-context train",) + pick(X_train, y_train, n_record),
            ("in-context test",) + pick(X_test, y_test, 0),
        ]
        if X_o is not None:
            self.groups.append(("out-of-context",) + pick(X_o, y_o, n_record))
        self.n_written = 0

    def __call__(self, epoch: int, model: CodeVectorAAE, row: dict | None = None) -> None:
        """The trainer's ``on_epoch`` hook: record epoch 0 and every `every` epochs (0: epoch 0 only)."""
        if epoch and (not self.every or epoch % self.every):
            return
        device = next(model.parameters()).device
        codes = [model.encode(X.to(device)).float().cpu().numpy() for _, X, _ in self.groups]
        self.run.save_reference(self.space, codes[0], self.groups[0][2], codes[1], self.groups[1][2])
        X = np.concatenate(codes)
        y = np.concatenate([g[2] for g in self.groups])
        origin = np.concatenate([np.full(len(g[1]), g[0]) for g in self.groups])
        self.run.save_snapshot(self.space, epoch, X, y, origin)
        self.n_written += 1


__all__ = ["TrainResult", "train", "encode", "generate", "neighbourhood_space", "enrich", "CodeSpaceRecorder"]
