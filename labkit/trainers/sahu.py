"""Training loops of Sahu et al. 2018, one per model, each with its phases visible.

* `train_aae`: the 2-D adversarial autoencoder. Per minibatch: ``Reconstruction`` (encoder + decoder
  minimise the MSE), ``Train Discriminator`` (prior samples of the batch's emotions are real, the
  encoder's codes fake), ``Train Generator`` (the encoder fools the code discriminator).
* `train_gan`: the vanilla GAN (on 2-d codes or on 1582-d features). ``Train Discriminator``, then
  ``Train Generator``.
* `train_cgan`: the conditional GAN. ``Train Discriminator`` once, then ``Train Generator``
  ``g_steps`` times (5 in the improved preset), the generator optionally starting from the AAE's
  decoder.

Every loop takes standardised float32 features X (n, d) (and int labels y (n,) in 0..K-1), a config
from `labkit.models.sahu`, and ``device`` explicitly; it keeps the data on the device, draws its noise
there from its own `torch.Generator`, adds losses to a `LossMeter` without host syncs and reads them
once per epoch (one history row per epoch), stops with `TrainingDiverged` on a non-finite loss, and
is repeatable for a seed. Optional:

* ``X_dev`` / ``y_dev``: rows the losses are also *evaluated* on after every epoch (no gradient ever
  comes from them): the "development split" curves of Figure 4. The reproduction passes the held-out
  fold here for the recorded task only, as the paper did with its validation session.

They follow the trainer contract of `labkit.trainers.common`: ``device`` chosen by the caller,
``on_epoch(epoch, model, row)`` after every epoch (snapshots for the dashboard, streaming history;
`labkit.augment.sahu` and `labkit.reproductions.sahu` use it), a `Checkpoint` saved every
``checkpoint.every`` epochs from which a second call continues (the result equals an uninterrupted
run), a `TrainResult`, and `Streams` (shuffling on the CPU, noise on the device) seeded from
``cfg.seed``, with the initial weights drawn under `seeded(cfg.seed)`.

The helpers after the loops turn trained models into samples: `encode`, `decode`, `generate_gan`,
`generate_cgan` and `sample_labelled_codes` (the vanilla GAN's codes, labelled by the GMM component
with the highest membership, as many per emotion as asked).
"""

from __future__ import annotations

import time

import numpy as np
import torch

from labkit.models.sahu import (
    AAE,
    CGAN,
    GAN,
    AAEConfig,
    CGANConfig,
    ClassGMM,
    GANConfig,
    discriminator_loss,
    generator_loss,
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

# ---------------------------------------------------------------------------------------------------
# Shared set-up


def _tensor(X, dtype=torch.float32) -> torch.Tensor:
    if isinstance(X, torch.Tensor):
        return X.to(dtype)
    a = np.asarray(X)
    if not a.flags.writeable:  # e.g. pandas' copy-on-write arrays: torch wants memory it may write
        a = a.copy()
    return torch.as_tensor(a, dtype=dtype)


def _build(cls, cfg, device: torch.device) -> torch.nn.Module:
    """The model with the seed's initial weights, without touching the global random state."""
    with seeded(cfg.seed):
        return cls(cfg).to(device)


def _adam(params, lr: float, beta1: float) -> torch.optim.Adam:
    return torch.optim.Adam(params, lr=lr, betas=(beta1, 0.999))


def _optimizer(params, lr: float, cfg) -> torch.optim.Optimizer:
    """The cGAN's optimiser of one player: Adam(lr, (beta1, 0.999)) or plain SGD(lr) (``cfg.optimizer``)."""
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr)
    return _adam(params, lr, cfg.beta1)


def _end_epoch(row, epoch, total, model, cfg, opts, gens, history, on_epoch, checkpoint) -> bool:
    """The contract's epoch end: the hook, the history row, the checkpoint; True when a hook stopped it."""
    stop = call_hook(on_epoch, epoch, model, row)
    history.append(row)
    if checkpoint is not None and checkpoint.due(epoch, final=epoch == total or stop):
        checkpoint.save(epoch, cfg, model, opts, {"streams": gens}, history, on_epoch)
    return stop


def _result(model, history, t_start, device, cfg, start, epoch, total) -> TrainResult:
    state = {"epoch": epoch, "resumed_from": start, "stopped": epoch < total}
    return TrainResult(model.eval(), history, time.perf_counter() - t_start, str(device), cfg, state)


def _finish_epoch(meter: LossMeter, epoch: int, t0: float, what: str) -> dict:
    """The epoch's history row: one host sync, then the NaN check."""
    row = {"epoch": epoch, **meter.means(), "seconds": time.perf_counter() - t0}
    check_finite(row, f"{what} epoch {epoch}")
    return row


# ---------------------------------------------------------------------------------------------------
# The 2-D adversarial autoencoder


def train_aae(
    X,
    y,
    cfg: AAEConfig,
    *,
    device: torch.device,
    on_epoch: OnEpoch | None = None,
    checkpoint: Checkpoint | None = None,
    progress: bool = False,
) -> TrainResult:
    """Train the label-aware 2-D AAE on standardised features X (n, D) with emotions y (n,) in 0..K-1."""
    t_start = time.perf_counter()
    device = as_device(device)
    X, y = _tensor(X), _tensor(y, torch.long)
    _check_xy(X, y, cfg.n_features, cfg.n_classes, "AAE")
    data, labels = DeviceData(X, device), y.to(device)
    onehot_all = torch.nn.functional.one_hot(labels, cfg.n_classes).float()  # (n, K)
    model = _build(AAE, cfg, device)
    ae_params = list(model.encoder.parameters()) + list(model.decoder.parameters())
    d_params, e_params = list(model.code_disc.parameters()), list(model.encoder.parameters())
    opts = {
        "ae": _adam(ae_params, cfg.lr, cfg.beta1),
        "d": _adam(d_params, cfg.lr_adv, cfg.beta1),
        "g": _adam(e_params, cfg.lr_adv, cfg.beta1),
    }
    gens = Streams(cfg.seed, device)
    start, history, _ = checkpoint.resume(cfg, model, opts, {"streams": gens}, on_epoch) if checkpoint else (0, [], {})
    done = start

    for epoch in epochs_bar(start, cfg.epochs, progress, "AAE"):
        t0, meter = time.perf_counter(), LossMeter()
        for idx in epoch_batches(len(data), cfg.batch_size, gens.shuffle, device):
            x, c, oh = data[idx], labels[idx], onehot_all[idx]
            with autocast(device):
                # ---- Reconstruction: encoder + decoder
                loss_rec = reconstruction_loss(model.decode(model.encode(x)), x)
            backward_step(loss_rec, opts["ae"], ae_params)

            with autocast(device):
                # ---- Train Discriminator: prior draws of the batch's emotions are real, codes are fake
                z_fake = model.encode(x).detach()
                z_real = model.prior.sample(c, gens.noise)
                real_logits, fake_logits = model.critic(z_real, oh), model.critic(z_fake, oh)
                loss_d = discriminator_loss(real_logits, fake_logits)
            backward_step(loss_d, opts["d"], d_params)

            with autocast(device):
                # ---- Train Generator: the encoder fools the code discriminator
                loss_g = generator_loss(model.critic(model.encode(x), oh))
            backward_step(loss_g, opts["g"], e_params)

            meter.add("loss_rec", loss_rec)
            meter.add("loss_d", loss_d)
            meter.add("loss_g", loss_g)
            meter.add("d_real", torch.sigmoid(real_logits.detach()).mean())
            meter.add("d_fake", torch.sigmoid(fake_logits.detach()).mean())
        row = _finish_epoch(meter, epoch + 1, t0, "AAE")
        done = epoch + 1
        if _end_epoch(row, done, cfg.epochs, model, cfg, opts, gens, history, on_epoch, checkpoint):
            break
    return _result(model, history, t_start, device, cfg, start, done, cfg.epochs)


# ---------------------------------------------------------------------------------------------------
# The vanilla GAN


def train_gan(
    X,
    cfg: GANConfig,
    *,
    device: torch.device,
    X_dev=None,
    on_epoch: OnEpoch | None = None,
    checkpoint: Checkpoint | None = None,
    progress: bool = False,
    desc: str = "GAN",
) -> TrainResult:
    """Train a vanilla GAN on rows X (n, data_dim): N(0, I) noise -> data. Labels play no part."""
    t_start = time.perf_counter()
    device = as_device(device)
    X = _tensor(X)
    if X.ndim != 2 or X.shape[1] != cfg.data_dim:
        raise _shape_error("GAN", f"(n, {cfg.data_dim})", tuple(X.shape))
    data = DeviceData(X, device)
    dev = _tensor(X_dev).to(device) if X_dev is not None else None
    model = _build(GAN, cfg, device)
    g_params, d_params = list(model.generator.parameters()), list(model.discriminator.parameters())
    opts = {"g": _adam(g_params, cfg.lr_g, cfg.beta1), "d": _adam(d_params, cfg.lr_d, cfg.beta1)}
    gens = Streams(cfg.seed, device)
    start, history, _ = checkpoint.resume(cfg, model, opts, {"streams": gens}, on_epoch) if checkpoint else (0, [], {})
    done = start

    for epoch in epochs_bar(start, cfg.epochs, progress, desc):
        t0, meter = time.perf_counter(), LossMeter()
        for idx in epoch_batches(len(data), cfg.batch_size, gens.shuffle, device):
            x = data[idx]
            b = len(idx)
            with autocast(device):
                # ---- Train Discriminator: one forward over [real; fake]
                with torch.no_grad():
                    x_fake = model.generate(model.noise(b, gens.noise, device))
                logits = model.critic(torch.cat([x, x_fake]))  # (2B,)
                loss_d = discriminator_loss(logits[:b], logits[b:])
            backward_step(loss_d, opts["d"], d_params)

            with autocast(device):
                # ---- Train Generator
                loss_g = generator_loss(model.critic(model.generate(model.noise(b, gens.noise, device))))
            backward_step(loss_g, opts["g"], g_params)

            meter.add("loss_d", loss_d)
            meter.add("loss_g", loss_g)
            meter.add("d_real", torch.sigmoid(logits[:b].detach()).mean())
            meter.add("d_fake", torch.sigmoid(logits[b:].detach()).mean())
        if dev is not None:
            g = _dev_generator(cfg.seed, epoch, device)
            _dev_losses(meter, lambda n: model.generate(model.noise(n, g, device)), model.critic, dev, device)
        row = _finish_epoch(meter, epoch + 1, t0, desc)
        done = epoch + 1
        if _end_epoch(row, done, cfg.epochs, model, cfg, opts, gens, history, on_epoch, checkpoint):
            break
    return _result(model, history, t_start, device, cfg, start, done, cfg.epochs)


# ---------------------------------------------------------------------------------------------------
# The conditional GAN


def train_cgan(
    X,
    y,
    cfg: CGANConfig,
    *,
    decoder: torch.nn.Module | None = None,
    device: torch.device,
    X_dev=None,
    y_dev=None,
    on_epoch: OnEpoch | None = None,
    checkpoint: Checkpoint | None = None,
    progress: bool = False,
    desc: str = "cGAN",
) -> TrainResult:
    """Train the conditional GAN on standardised features X (n, D) with emotions y (n,) in 0..K-1.

    `decoder` is the trained AAE decoder the generator starts from when ``cfg.init_from_decoder``
    (presets ``pretrained`` and ``improved``); it must match `labkit.models.sahu.cgan_config_for`.
    """
    from labkit.errors import LabkitError

    t_start = time.perf_counter()
    device = as_device(device)
    X, y = _tensor(X), _tensor(y, torch.long)
    _check_xy(X, y, cfg.n_features, cfg.n_classes, "cGAN")
    if cfg.init_from_decoder and decoder is None:
        raise LabkitError(
            "this cGAN preset starts the generator from an AAE decoder: train one with "
            "train_aae and pass decoder=result.model.decoder"
        )
    data, labels = DeviceData(X, device), y.to(device)
    onehot_all = torch.nn.functional.one_hot(labels, cfg.n_classes).float()  # (n, K)
    dev = None
    if X_dev is not None:
        y_dev = _tensor(y_dev, torch.long).to(device)
        dev = (_tensor(X_dev).to(device), torch.nn.functional.one_hot(y_dev, cfg.n_classes).float(), y_dev)
    model = _build(CGAN, cfg, device)
    if cfg.init_from_decoder:
        model.init_from_decoder(decoder)
    g_params = list(model.generator.parameters())
    d_params = list(model.discriminator.parameters()) + (
        list(model.projection.parameters()) if hasattr(model, "projection") else []
    )
    opts = {"g": _optimizer(g_params, cfg.lr_g, cfg), "d": _optimizer(d_params, cfg.lr_d, cfg)}
    gens = Streams(cfg.seed, device)
    start, history, _ = checkpoint.resume(cfg, model, opts, {"streams": gens}, on_epoch) if checkpoint else (0, [], {})
    done = start

    for epoch in epochs_bar(start, cfg.epochs, progress, desc):
        t0, meter = time.perf_counter(), LossMeter()
        for idx in epoch_batches(len(data), cfg.batch_size, gens.shuffle, device):
            x, c, oh = data[idx], labels[idx], onehot_all[idx]
            b = len(idx)
            oh2 = torch.cat([oh, oh])  # (2B, K): fakes are made for the real rows' emotions
            with autocast(device):
                # ---- Train Discriminator: one forward over [real; fake], each with its one-hot emotion
                with torch.no_grad():
                    x_fake = model.generate(model.noise(c, gens.noise), oh)
                logits = model.critic(torch.cat([x, x_fake]), oh2)  # (2B,)
                loss_d = discriminator_loss(logits[:b], logits[b:])
            backward_step(loss_d, opts["d"], d_params)

            for _ in range(cfg.g_steps):
                with autocast(device):
                    # ---- Train Generator (g_steps per discriminator step; fresh noise each time)
                    loss_g = generator_loss(model.critic(model.generate(model.noise(c, gens.noise), oh), oh))
                backward_step(loss_g, opts["g"], g_params)
                meter.add("loss_g", loss_g)

            meter.add("loss_d", loss_d)
            meter.add("d_real", torch.sigmoid(logits[:b].detach()).mean())
            meter.add("d_fake", torch.sigmoid(logits[b:].detach()).mean())
        if dev is not None:
            x_dev, oh_dev, c_dev = dev
            g = _dev_generator(cfg.seed, epoch, device)
            _dev_losses(
                meter,
                lambda n: model.generate(model.noise(c_dev, g), oh_dev),
                lambda x: model.critic(x, oh_dev),
                x_dev,
                device,
            )
        row = _finish_epoch(meter, epoch + 1, t0, desc)
        done = epoch + 1
        if _end_epoch(row, done, cfg.epochs, model, cfg, opts, gens, history, on_epoch, checkpoint):
            break
    return _result(model, history, t_start, device, cfg, start, done, cfg.epochs)


# ---------------------------------------------------------------------------------------------------
# Model selection by the learned-the-data gate on the training rows


class GateSelection:
    """An ``on_epoch`` hook that gates a cGAN on its own *training* rows and keeps the best epoch.

    Every epoch up to `dense`, then every `every` epochs, it draws one row per training row of each class (noise of its own, seeded
    by `seed`, so the training's noise streams are untouched), measures `labkit.metrics.gate.gate`
    against the training rows (held-out accuracy: speaker-grouped CV over them, via `groups`) and
    keeps a copy of the generator's weights when the gate passes. The kept epoch is the *last*
    gated epoch that passed (the most trained generator that still produces data-like rows). After
    `patience` failed checks in a row that follow a pass, it stops the training (`StopTraining`):
    the generator has left the data and the rest of the budget would only be thrown away.

    `restore(model)` puts the kept weights back (a no-op when no epoch passed: the final model
    stays, and the table's gate then reads it as failed). `log` holds one row per check (epoch,
    passed, fidelity, real_accuracy, c2st_auc, precision, spread, gen_std); `chosen` the kept epoch
    or None. No test row is ever used: the caller passes the fold's training rows only.
    """

    def __init__(
        self, X, y, groups=None, *, every: int = 1, dense: int = 0, patience: int = 3, seed: int = 0, name: str = "cgan"
    ):
        self.X, self.y = np.asarray(X, np.float32), np.asarray(y, np.int64)
        self.groups = None if groups is None else np.asarray(groups)
        self.every, self.patience, self.seed, self.name = max(1, int(every)), max(1, int(patience)), int(seed), name
        self.dense = max(0, int(dense))
        self.log: list[dict] = []
        self.chosen: int | None = None
        self._state: dict | None = None
        self._fails_after_pass = 0

    def __call__(self, epoch: int, model, row: dict) -> None:
        from labkit.metrics.gate import gate
        from labkit.trainers.common import StopTraining

        if epoch > self.dense and epoch % self.every:
            return
        g = torch.Generator(device=next(model.parameters()).device).manual_seed(self.seed)
        Xg = generate_cgan(model, self.y, g)
        r = gate(self.X, self.y, Xg, self.y, groups=self.groups, generator=self.name)
        self.log.append({"epoch": epoch, "passed": r.passed, "fidelity": r.fidelity, "real_accuracy": r.real_accuracy,
                         "c2st_auc": r.c2st_auc, "precision": r.precision, "spread": r.spread,
                         "gen_std": float(np.std(Xg)) if np.isfinite(Xg).all() else float("inf")})  # fmt: skip
        row["gate_passed"] = float(r.passed)
        if r.passed:
            self.chosen, self._fails_after_pass = epoch, 0
            self._state = {k: v.detach().clone() for k, v in model.generator.state_dict().items()}
        elif self.chosen is not None:
            self._fails_after_pass += 1
            if self._fails_after_pass >= self.patience:
                raise StopTraining

    def state_dict(self) -> dict:
        """Everything a resumed training needs (checkpointed with the model)."""
        return {"log": list(self.log), "chosen": self.chosen, "state": self._state, "fails": self._fails_after_pass}

    def load_state_dict(self, state: dict) -> None:
        self.log, self.chosen = list(state["log"]), state["chosen"]
        self._state, self._fails_after_pass = state["state"], int(state["fails"])

    def restore(self, model) -> None:
        """Load the kept generator weights into `model` (when an epoch passed)."""
        if self._state is not None:
            model.generator.load_state_dict(self._state)

    def summary(self) -> dict:
        """{"chosen_epoch", "checks", "passed_epochs"} for the task record."""
        return {"chosen_epoch": self.chosen, "checks": len(self.log),
                "passed_epochs": [r["epoch"] for r in self.log if r["passed"]]}  # fmt: skip


def _dev_generator(seed: int, epoch: int, device: torch.device) -> torch.Generator:
    """Noise for the development losses: its own stream per epoch, so evaluating them never changes
    the training's noise (training with and without X_dev gives the same model) and a resumed run
    evaluates the same fakes."""
    return torch.Generator(device=device).manual_seed(int(seed) * 100_003 + epoch + 17)


@torch.no_grad()
def _dev_losses(meter: LossMeter, make_fake, critic, x_dev: torch.Tensor, device) -> None:
    """Both losses on held-out real rows and as many fresh fakes (evaluation only, no gradient)."""
    with autocast(device):
        real_logits, fake_logits = critic(x_dev), critic(make_fake(len(x_dev)))
        meter.add("loss_d_dev", discriminator_loss(real_logits, fake_logits))
        meter.add("loss_g_dev", generator_loss(fake_logits))
        meter.add("d_real_dev", torch.sigmoid(real_logits).mean())
        meter.add("d_fake_dev", torch.sigmoid(fake_logits).mean())


def _shape_error(what: str, want: str, got: tuple):
    from labkit.errors import LabkitError

    return LabkitError(f"{what}: training data must have shape {want}, got {got}")


def _check_xy(X: torch.Tensor, y: torch.Tensor, n_features: int, n_classes: int, what: str) -> None:
    from labkit.errors import LabkitError

    if X.ndim != 2 or X.shape[1] != n_features:
        raise _shape_error(what, f"(n, {n_features})", tuple(X.shape))
    if y.shape != (X.shape[0],):
        raise LabkitError(f"{what}: labels must have shape ({X.shape[0]},), got {tuple(y.shape)}")
    if len(y) and (int(y.min()) < 0 or int(y.max()) >= n_classes):
        raise LabkitError(
            f"{what}: labels must be class indices 0..{n_classes - 1}, got {int(y.min())}..{int(y.max())}"
        )


# ---------------------------------------------------------------------------------------------------
# From trained models to samples


@torch.no_grad()
def encode(aae: AAE, X, batch: int = 4096) -> np.ndarray:
    """AAE codes of features X (n, D) -> (n, Z) numpy."""
    device = next(aae.parameters()).device
    X = _tensor(X)
    return torch.cat([aae.encode(X[i : i + batch].to(device)).float().cpu() for i in range(0, len(X), batch)]).numpy()


@torch.no_grad()
def decode(aae: AAE, codes, batch: int = 4096) -> np.ndarray:
    """Features decoded from codes (n, Z) -> (n, D) numpy."""
    device = next(aae.parameters()).device
    Z = _tensor(codes)
    if len(Z) == 0:
        return np.empty((0, aae.cfg.n_features), dtype=np.float32)
    return torch.cat([aae.decode(Z[i : i + batch].to(device)).float().cpu() for i in range(0, len(Z), batch)]).numpy()


@torch.no_grad()
def generate_gan(gan: GAN, n: int, generator: torch.Generator) -> np.ndarray:
    """n samples of a vanilla GAN -> (n, data_dim) numpy."""
    device = next(gan.parameters()).device
    return gan.generate(gan.noise(n, generator, device)).float().cpu().numpy()


@torch.no_grad()
def generate_cgan(cgan: CGAN, labels, generator: torch.Generator, batch: int = 4096) -> np.ndarray:
    """One sample per requested emotion: labels (n,) ints -> (n, D) numpy (noise from each label's component)."""
    device = next(cgan.parameters()).device
    c = _tensor(labels, torch.long).to(device)
    if len(c) == 0:
        return np.empty((0, cgan.cfg.n_features), dtype=np.float32)
    out = []
    for i in range(0, len(c), batch):
        ci = c[i : i + batch]
        oh = torch.nn.functional.one_hot(ci, cgan.cfg.n_classes).float()
        out.append(cgan.generate(cgan.noise(ci, generator), oh).float().cpu())
    return torch.cat(out).numpy()


def sample_labelled_codes(
    gan: GAN,
    gmm: ClassGMM,
    n_per_class: dict[int, int],
    generator: torch.Generator,
    max_rounds: int = 20,
    quantile: float = 0.99,
) -> tuple[np.ndarray, np.ndarray]:
    """Vanilla-GAN codes labelled by the GMM component with the highest membership, `n_per_class[k]` each.

    The GAN is unconditional, so codes are drawn in pools and each keeps the label `gmm` gives it
    until every emotion has its quota; codes outside the `quantile` ellipse of that component are
    dropped (see `labkit.models.sahu`, "Labels of generated 2-d codes"). An emotion the generator (almost) never produces would loop
    forever; after `max_rounds` pools its remaining quota is filled with the codes of the last pool
    that have the highest posterior for it (the closest the generator came), which keeps the
    requested counts exact. Returns codes (sum of counts, Z) and labels (sum,) ordered by emotion.
    """
    need = {int(k): int(v) for k, v in n_per_class.items() if int(v) > 0}
    got: dict[int, list[np.ndarray]] = {k: [] for k in need}
    have = {k: 0 for k in need}
    total = sum(need.values())
    pool = None
    for _ in range(max_rounds):
        if all(have[k] >= need[k] for k in need):
            break
        pool = generate_gan(gan, max(256, 4 * total), generator)
        lab = gmm.predict(pool)
        inside = gmm.within(pool, lab, quantile)
        for k in need:
            take = pool[(lab == k) & inside][: need[k] - have[k]]
            got[k].append(take)
            have[k] += len(take)
    for k in need:
        short = need[k] - have[k]
        if short > 0:  # rarely produced emotion: the pool's codes most likely to belong to it
            post = gmm.log_posterior(pool)
            post = post[:, k] - np.logaddexp.reduce(post, axis=1)
            got[k].append(pool[np.argsort(-post)[:short]])
    codes = np.concatenate([np.concatenate(got[k]) for k in need]) if need else np.empty((0, gan.cfg.data_dim))
    labels = np.concatenate([np.full(need[k], k) for k in need]) if need else np.empty(0, dtype=int)
    return codes.astype(np.float32), labels


__all__ = [
    "Checkpoint",
    "TrainResult",
    "train_aae",
    "train_gan",
    "train_cgan",
    "encode",
    "decode",
    "generate_gan",
    "generate_cgan",
    "sample_labelled_codes",
    "GateSelection",
]
