"""The training loop of Shilandari et al. 2022: E per-emotion cycle-GANs, trained together.

`train(X, y, cfg, source=, targets=)` runs three phases, each under its banner:

1. ``Pre-train Classifier C``: the auxiliary classifier learns all K classes from the real rows
   (cross-entropy), then stays frozen.
2. ``Pre-train Generators``: G_i and F_i minimise the cycle (reconstruction) loss alone, as the
   paper does "to address" the difficulty of high-dimensional generators.
3. The adversarial epochs. Per step: ``Train Discriminators`` once (D_i^T on real emotion-i rows vs
   G_i(s), D_i^S on real neutral rows vs F_i(t); JS loss with one-sided label smoothing, or the
   Wasserstein divergence with its gradient term), then ``Train Generators`` ``g_steps`` = 2 times
   (adversarial + lambda_cyc x cycle + lambda_cls x classification loss, Eq. 14), each on a fresh
   minibatch. The learning rates are reduced every ``lr_decay_every`` epochs.

Every phase sums the E emotions' losses (Eq. 14's sum over i): the networks are stacks of E
independent networks (`labkit.models.cyclegan`), so one step trains every emotion's cycle-GAN.

GPU-grade: the rows live on the device (`DeviceData`), minibatches and interpolation weights are
drawn there from the loop's own `torch.Generator`, losses are summed on the device (`LossMeter`) and
read once per epoch (one history row per epoch); `check_finite` stops a diverged run with
`TrainingDiverged`; bf16 autocast on CUDA. The same seed on the same rows gives the same result.

It follows the trainer contract of `labkit.trainers.common`: ``device`` chosen by the caller,
``on_epoch(epoch, model, row)`` once after pre-training (epoch 0) and after every adversarial epoch
(the augmenter records snapshots with it), a `Checkpoint` written every ``checkpoint.every``
adversarial epochs from which a second call continues exactly (pre-training is not repeated: its
result is in the model, the optimisers and the checkpoint's extras), and a `TrainResult` whose
``state`` holds ``source``, ``targets`` and ``pretrain``. Seeds: the initial weights from a CPU
generator seeded ``cfg.seed`` (the stacked layers take one), then `Streams` from ``cfg.seed + 1``:
C's minibatch order on the CPU, the domain draws and WGAN-div's interpolation weights on the device.
The rows always live on the device (feature vectors; `DeviceData` with no memory limit), because the
domain draws index them with device tensors. `translate` and `generate` turn a trained model into rows.
"""

from __future__ import annotations

import math
import time
from typing import Sequence

import numpy as np
import torch

from labkit.errors import LabkitError
from labkit.models.cyclegan import (
    CycleGANConfig,
    CycleGANs,
    classification_loss,
    cycle_loss,
    js_discriminator_loss,
    js_generator_loss,
    wdiv_critic_loss,
    wdiv_generator_loss,
    wdiv_penalty,
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
)


def _check(X: torch.Tensor, y: torch.Tensor, cfg: CycleGANConfig, source: int, targets: list[int]) -> None:
    if X.ndim != 2 or X.shape[1] != cfg.n_features:
        raise LabkitError(f"cycle-GAN: training rows must have shape (n, {cfg.n_features}), got {tuple(X.shape)}")
    if y.shape != (X.shape[0],):
        raise LabkitError(f"cycle-GAN: labels must have shape ({X.shape[0]},), got {tuple(y.shape)}")
    if len(y) and (int(y.min()) < 0 or int(y.max()) >= cfg.n_classes):
        raise LabkitError(f"cycle-GAN: labels must be class indices 0..{cfg.n_classes - 1}")
    if len(targets) != cfg.n_targets or len(set(targets)) != len(targets) or source in targets:
        raise LabkitError(
            f"cycle-GAN: {cfg.n_targets} distinct target classes other than the source {source} are "
            f"needed, got {targets}"
        )
    for c in [source, *targets]:
        if int((y == c).sum()) == 0:
            raise LabkitError(f"cycle-GAN: class index {c} has no training rows")


class _Domains:
    """Minibatch draws: B neutral rows and B rows of each target emotion, for all E emotions at once."""

    def __init__(self, data: DeviceData, y: torch.Tensor, source: int, targets: list[int], device: torch.device):
        self.data, self.device = data, device
        self.src = torch.nonzero(y == source).flatten().to(device)  # (n_s,) row ids of the neutral rows
        rows = [torch.nonzero(y == c).flatten() for c in targets]
        self.counts = torch.tensor([len(r) for r in rows], device=device)  # (E,)
        n_max = int(max(len(r) for r in rows))
        padded = torch.stack([torch.cat([r, r[:1].expand(n_max - len(r))]) for r in rows])  # (E, n_max), padding unused
        self.tgt = padded.to(device)
        self.largest = max(len(self.src), n_max)

    def draw(self, batch: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """s (E, B, D) neutral rows and t (E, B, D) rows of each emotion, drawn with replacement."""
        E, D = len(self.counts), self.data.shape[1]
        i_s = torch.randint(len(self.src), (E * batch,), generator=gen, device=self.device)
        pos = (torch.rand(E, batch, generator=gen, device=self.device) * self.counts[:, None]).long()  # (E, B)
        i_t = self.tgt.gather(1, pos).flatten()  # (E * B,) row ids
        s = self.data[self.src[i_s]].view(E, batch, D)
        t = self.data[i_t].view(E, batch, D)
        return s, t


def train(
    X,
    y,
    cfg: CycleGANConfig,
    *,
    source: int,
    targets: Sequence[int],
    device: torch.device,
    on_epoch: OnEpoch | None = None,
    checkpoint: Checkpoint | None = None,
    progress: bool = False,
    desc: str = "cycle-GAN",
) -> TrainResult:
    """Train the E per-emotion cycle-GANs (and C) on standardised rows X (n, D) with class indices y (n,).

    Parameters
    ----------
    X : (n, D) float features of the training fold (standardised on it)
    y : (n,) int class indices in 0..K-1
    cfg : `labkit.models.cyclegan.CycleGANConfig` (``n_targets`` = len(targets), ``n_classes`` = K)
    source : class index of the source domain (neutral)
    targets : class index of each target emotion; slice i of every stacked network is targets[i]
    device : the torch device, chosen by the caller
    on_epoch : ``on_epoch(epoch, model, row)`` after pre-training (epoch 0) and every adversarial epoch
    checkpoint : a `labkit.trainers.common.Checkpoint` to save to and resume from, or None

    Returns
    -------
    TrainResult; ``state`` holds ``source``, ``targets`` (stack order) and ``pretrain`` (C's training
    accuracy, the last pre-training cycle loss).
    """
    t_start = time.perf_counter()
    device = as_device(device)
    targets = [int(t) for t in targets]
    X = X.float() if isinstance(X, torch.Tensor) else torch.as_tensor(np.asarray(X), dtype=torch.float32)
    y = y.long() if isinstance(y, torch.Tensor) else torch.as_tensor(np.asarray(y), dtype=torch.long)
    cfg.validate()
    _check(X, y, cfg, int(source), targets)
    data, labels = DeviceData(X, device, max_fraction=math.inf), y.to(device)
    domains = _Domains(data, y, int(source), targets, device)
    target_class = torch.tensor(targets, device=device)  # (E,) the class C should see in G_i(s)

    init = torch.Generator().manual_seed(cfg.seed)
    model = CycleGANs(cfg)
    model.reset_parameters(init)
    model.to(device)
    g_params, d_params, c_params = (
        model.generator_parameters(),
        model.discriminator_parameters(),
        list(model.C.parameters()),
    )
    betas = (cfg.beta1, cfg.beta2)
    opt_g = torch.optim.Adam(g_params, lr=cfg.lr, betas=betas)
    opt_d = torch.optim.Adam(d_params, lr=cfg.lr, betas=betas)
    opt_c = torch.optim.Adam(c_params, lr=cfg.cls_lr)
    sched_g, sched_d = (
        torch.optim.lr_scheduler.StepLR(o, step_size=cfg.lr_decay_every, gamma=cfg.lr_decay) for o in (opt_g, opt_d)
    )
    opts = {"g": opt_g, "d": opt_d, "c": opt_c, "sched_g": sched_g, "sched_d": sched_d}
    # C's minibatch order (CPU: the same on every device); the domain draws and WGAN-div's xi (device)
    streams = Streams(cfg.seed + 1, device)
    shuffle, draws = streams.shuffle, streams.noise
    steps = math.ceil(domains.largest / cfg.batch_size)
    wdiv = cfg.divergence == "wdiv"
    start, history, extra = (
        checkpoint.resume(cfg, model, opts, {"streams": streams}, on_epoch) if checkpoint else (0, [], {})
    )
    pretrain = dict(extra.get("pretrain", {}))

    model.train()
    if not start:
        # ---- Pre-train Classifier C on the real rows (all K classes); frozen afterwards
        for _ in range(cfg.cls_epochs):
            for idx in epoch_batches(len(data), cfg.batch_size, shuffle, device):
                with autocast(device):
                    loss_c = torch.nn.functional.cross_entropy(model.C(data[idx]), labels[idx])
                backward_step(loss_c, opt_c, c_params)
        with torch.no_grad(), autocast(device):
            cls_train_acc = torch.cat(
                [
                    (model.C(x).argmax(-1) == labels[i]).float()
                    for i, x in zip(torch.arange(len(data), device=device).split(1024), data.chunks(1024))
                ]
            ).mean()

        # ---- Pre-train Generators: G_i and F_i on the reconstruction (cycle) loss alone
        meter = LossMeter()
        for _ in range(cfg.pretrain_epochs):
            meter = LossMeter()
            for _ in range(steps):
                s, t = domains.draw(cfg.batch_size, draws)
                with autocast(device):
                    loss_rec = cycle_loss(s, model.F(model.G(s)), t, model.G(model.F(t))).sum()
                backward_step(loss_rec, opt_g, g_params)
                meter.add("loss_cyc", loss_rec / cfg.n_targets)
        acc = LossMeter()
        acc.add("cls_train_acc", cls_train_acc)
        pretrain = {**acc.means(), **meter.means()}  # read once, after the whole pre-training
        check_finite(pretrain, "pre-training")
        call_hook(on_epoch, 0, model, {"epoch": 0, **pretrain})

    done = start
    for epoch in epochs_bar(start, cfg.epochs, progress, desc):
        t0, meter = time.perf_counter(), LossMeter()
        for _ in range(steps):
            # ---- Train Discriminators: D_T on real emotion-i rows vs G_i(s), D_S on real neutral rows vs F_i(t)
            s, t = domains.draw(cfg.batch_size, draws)
            with torch.no_grad(), autocast(device):
                fake_t, fake_s = model.G(s), model.F(t)
            with autocast(device):
                real_t, gen_t = model.D_T(t), model.D_T(fake_t)  # (E, B) each
                real_s, gen_s = model.D_S(s), model.D_S(fake_s)
                if wdiv:
                    gp_t = wdiv_penalty(model.D_T, t, fake_t, cfg.wdiv_k, cfg.wdiv_p, generator=draws)  # (E,)
                    gp_s = wdiv_penalty(model.D_S, s, fake_s, cfg.wdiv_k, cfg.wdiv_p, generator=draws)
                    loss_d = wdiv_critic_loss(real_t, gen_t, gp_t) + wdiv_critic_loss(real_s, gen_s, gp_s)
                    meter.add("loss_gp", (gp_t + gp_s).mean())
                else:
                    loss_d = js_discriminator_loss(real_t, gen_t, cfg.real_label) + js_discriminator_loss(
                        real_s, gen_s, cfg.real_label
                    )
            backward_step(loss_d.sum(), opt_d, d_params)
            meter.add("loss_d", loss_d.mean())
            scores = (
                (real_t.detach(), gen_t.detach())
                if wdiv
                else (torch.sigmoid(real_t.detach()), torch.sigmoid(gen_t.detach()))
            )
            meter.add("d_real", scores[0].mean())
            meter.add("d_fake", scores[1].mean())

            for _ in range(cfg.g_steps):
                # ---- Train Generators: adversarial + lambda_cyc * cycle + lambda_cls * classification (Eq. 14)
                s, t = domains.draw(cfg.batch_size, draws)
                with autocast(device):
                    fake_t, fake_s = model.G(s), model.F(t)  # (E, B, D)
                    adv_t, adv_s = model.D_T(fake_t), model.D_S(fake_s)
                    loss_adv = (
                        wdiv_generator_loss(adv_t) + wdiv_generator_loss(adv_s)
                        if wdiv
                        else js_generator_loss(adv_t) + js_generator_loss(adv_s)
                    )
                    loss_cyc = cycle_loss(s, model.F(fake_t), t, model.G(fake_s))
                    logits = model.C(fake_t)  # (E, B, K)
                    loss_cls = classification_loss(logits, target_class)
                    loss_g = loss_adv + cfg.lambda_cyc * loss_cyc + cfg.lambda_cls * loss_cls
                backward_step(loss_g.sum(), opt_g, g_params)
                meter.add("loss_g", loss_g.mean())
                meter.add("loss_adv", loss_adv.mean())
                meter.add("loss_cyc", loss_cyc.mean())
                meter.add("loss_cls", loss_cls.mean())
                meter.add("cls_acc", (logits.detach().argmax(-1) == target_class[:, None]).float().mean())
        row = {
            "epoch": epoch + 1,
            **meter.means(),  # the epoch's one host sync
            "lr": opt_g.param_groups[0]["lr"],
            "seconds": time.perf_counter() - t0,
        }
        check_finite(row, f"cycle-GAN epoch {epoch + 1}")
        sched_g.step()
        sched_d.step()
        done = epoch + 1
        stop = call_hook(on_epoch, done, model, row)
        history.append(row)
        if checkpoint is not None and checkpoint.due(done, final=done == cfg.epochs or stop):
            checkpoint.save(
                done, cfg, model, opts, {"streams": streams}, history, on_epoch, extra={"pretrain": pretrain}
            )
        if stop:
            break
    model.eval()
    state = {
        "epoch": done,
        "resumed_from": start,
        "stopped": done < cfg.epochs,
        "source": int(source),
        "targets": targets,
        "pretrain": pretrain,
    }
    return TrainResult(model, history, time.perf_counter() - t_start, str(device), cfg, state)


# ---------------------------------------------------------------------------------------------------
# From a trained model to rows


@torch.no_grad()
def translate(model: CycleGANs, X, stack_index, direction: str = "G", batch: int = 4096) -> np.ndarray:
    """Rows X (n, D) through G_i (``direction="G"``: neutral -> emotion) or F_i (``"F"``: emotion -> neutral).

    ``stack_index`` (n,) or an int: which emotion's translator each row goes through (a position
    in the trainer's ``targets``, not a class index). Returns (n, D) float32 numpy.
    """
    net = {"G": model.G, "F": model.F}.get(direction)
    if net is None:
        raise LabkitError(f"translate: direction must be 'G' or 'F', got {direction!r}")
    device = next(model.parameters()).device
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    idx = np.broadcast_to(np.asarray(stack_index), (len(X),))
    out = torch.empty_like(X)
    for i in np.unique(idx).tolist():
        rows = np.flatnonzero(idx == i)
        for start in range(0, len(rows), batch):
            part = torch.as_tensor(rows[start : start + batch])
            out[part] = net(X[part].to(device), only=int(i)).float().cpu()
    return out.numpy()


def generate(
    model: CycleGANs,
    X_source,
    n: int,
    stack_index: int,
    rng: np.random.Generator,
    jitter: float = 0.0,
    direction: str = "G",
) -> np.ndarray:
    """n synthetic rows: source rows drawn uniformly (with replacement) from X_source, plus Gaussian
    jitter of standard deviation `jitter`, through translator `stack_index` (G or F). (n, D) numpy."""
    X_source = np.asarray(X_source, dtype=np.float32)
    picks = rng.integers(0, len(X_source), size=n)
    rows = X_source[picks]
    if jitter > 0:
        rows = rows + jitter * rng.standard_normal(rows.shape).astype(np.float32)
    return translate(model, rows, stack_index, direction)


__all__ = ["TrainResult", "train", "translate", "generate"]
