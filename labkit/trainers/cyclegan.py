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

Many trainings as one: `train_stack(replicas, cfg, device=)` runs R trainings of `train` of the same
shape (seeds x folds: each `Replica` its own rows, seed, source and targets) as one network with a
leading replica dimension (`labkit.models.cyclegan.StackedCycleGANs`: R x E stacked translators and
critics, R classifiers). Every replica draws its minibatches and WGAN-div weights from its own
`Streams` in `train`'s order and is initialised from its own seeded generator; replicas with fewer
rows take fewer steps per epoch, and are masked for the stack's extra steps (`_StackAdam`: Adam with a
step count per replica, coefficients 0 / 1 where a replica skips). So replica r's result is its
separate training: to 1e-10 in float64 (tests/test_cyclegan_stack.py), to float32 rounding otherwise,
which GAN training amplifies over epochs (weights differ by up to about 1e-3 after 5 epochs on eGeMAPS-
sized problems, as two BLAS libraries would). One checkpoint holds the whole stack (the unit of work),
with every replica's streams, steps and history. `save_result` / `load_result` keep one replica.
Measured on the CPU (one thread of a shared 2-core machine; the 10 LOSO folds of
synthetic:imbalanced, eGeMAPS, 2 x 256 units, 5 cls + 2 pre-training + 5 adversarial epochs; the ten
trainings one after another, then as one stack, in one process): cyclegan-w 66.7 s -> 39.0 s (1.7x),
cyclegan 35.9 s -> 27.2 s (1.3x; 283 GFLOP either way by torch's FlopCounterMode: 7.9 -> 10.4
GFLOP/s, against 13.7 GFLOP/s for one fp32 bmm of the stack's first-layer shape and 26.9 for a 1024
GEMM timed in the same run). Timings on that machine vary by 2x with its load. The CPU was already
half compute-bound (the E emotions are stacked anyway); on a GPU, where one small training is
launch-bound, a step of ten folds is one set of kernel launches instead of ten (not measured here).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np
import torch

from labkit.errors import LabkitError
from labkit.models.cyclegan import (
    CycleGANConfig,
    CycleGANs,
    StackedCycleGANs,
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
# Many trainings as one network: replicas (seeds x folds) stacked along the leading dimension


@dataclass
class Replica:
    """One of the trainings `train_stack` runs in one network: its own rows, its own seed."""

    X: Any  # (n_r, D) float rows of this replica's training fold (standardised on it)
    y: Any  # (n_r,) int class indices in 0..K-1
    seed: int  # the replica's cfg.seed: its initial weights and its random streams, as in `train`
    source: int  # class index of its source domain (neutral)
    targets: Sequence[int]  # class index of each of its E target emotions (its stack order)


class _Identity:
    """What a stack's checkpoint is written for: the shared config, and every replica's seed and rows."""

    def __init__(self, cfg: CycleGANConfig, replicas: list[Replica], n_rows: list[int]):
        self.d = {
            "config": {k: v for k, v in cfg.to_dict().items() if k != "seed"},
            "seeds": [int(r.seed) for r in replicas],
            "rows": n_rows,
            "sources": [int(r.source) for r in replicas],
            "targets": [[int(t) for t in r.targets] for r in replicas],
        }

    def to_dict(self) -> dict:
        return self.d


class _StackAdam:
    """Adam (torch's update, no weight decay) over stacked parameters, each replica with its own step count.

    A parameter's leading dimension holds ``per`` slices per replica (E for the translators and
    critics, 1 for C). Replicas whose epoch has fewer steps than the stack's longest are *masked*
    for the extra steps: their slices, moments and step count stay exactly as they were (the
    coefficients are 0 / 1 there), so each replica takes the updates of its separate training.
    `plan` puts one epoch's coefficients on the device in one copy; `step` uses the next row.
    """

    def __init__(self, params: list[torch.Tensor], per: list[int], n_replicas: int, lr: float, betas, eps=1e-8):
        self.params, self.per, self.R = params, per, int(n_replicas)
        self.lr, self.betas, self.eps = float(lr), (float(betas[0]), float(betas[1])), float(eps)
        self.steps = [0] * self.R  # updates taken by each replica
        self.exp_avg = [torch.zeros_like(p) for p in params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in params]
        self._rows: list = []

    def plan(self, active: list[list[bool]], device: torch.device) -> None:
        """One epoch's updates: ``active[j][r]`` whether replica r takes update j."""
        b1, b2 = self.betas
        table, self._same = [], []
        for row in active:
            coef = []
            for r, a in enumerate(row):
                if a:
                    self.steps[r] += 1
                k = self.steps[r]
                bc2 = math.sqrt(1 - b2**k) if k else 1.0
                coef.append([1 - b1, b2, 1 - b2, self.lr / (1 - b1**k), bc2] if a else [0.0, 1.0, 0.0, 0.0, bc2])
            # every replica steps, all at the same count: torch's own update with scalars (exactly Adam's arithmetic)
            self._same.append(coef[0][3:] if all(row) and len(set(self.steps)) == 1 else None)
            table.append(coef)
        t = torch.tensor(table, dtype=self.params[0].dtype).to(device)  # (n_updates, R, 5): one copy per epoch
        self._tables = {per: t.repeat_interleave(per, dim=1) for per in set(self.per)}  # (n, R * per, 5)
        self._rows = list(range(len(active)))[::-1]

    def step(self) -> None:
        j = self._rows.pop()
        if self._same[j] is not None:
            b1, b2 = self.betas
            ss, bc2 = self._same[j]
            with torch.no_grad():
                for p, m, v in zip(self.params, self.exp_avg, self.exp_avg_sq):
                    g = p.grad
                    m.lerp_(g, 1 - b1)
                    v.mul_(b2).addcmul_(g, g, value=1 - b2)
                    p.addcdiv_(m, (v.sqrt() / bc2).add_(self.eps), value=-ss)
            return
        for p, m, v, per in zip(self.params, self.exp_avg, self.exp_avg_sq, self.per):
            c = self._tables[per][j].view(-1, *([1] * (p.dim() - 1)), 5)  # (L, 1, 1, 5)
            w1, m2, w2, ss, bc2 = (c[..., i] for i in range(5))
            g = p.grad
            m.lerp_(g, w1)
            v.mul_(m2).addcmul_(g * w2, g)
            denom = (v.sqrt() / bc2).add_(self.eps)
            with torch.no_grad():
                p.sub_(ss * (m / denom))

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def state_dict(self) -> dict:
        return {"steps": list(self.steps), "lr": self.lr, "exp_avg": self.exp_avg, "exp_avg_sq": self.exp_avg_sq}

    def load_state_dict(self, state: dict) -> None:
        self.steps, self.lr = [int(k) for k in state["steps"]], float(state["lr"])
        for mine, theirs in zip(self.exp_avg + self.exp_avg_sq, list(state["exp_avg"]) + list(state["exp_avg_sq"])):
            mine.copy_(theirs)


def _stack_step(loss: torch.Tensor, opt: _StackAdam) -> None:
    opt.zero_grad()
    loss.backward(inputs=opt.params)
    opt.step()


class _StackMeter:
    """Per-replica loss sums on the device, masked by the replicas that took the step; one sync in `means`."""

    def __init__(self, R: int):
        self.R, self._sums, self._counts = R, {}, {}

    def add(self, name: str, value: torch.Tensor, active: torch.Tensor, host: list[bool]) -> None:
        v = value.detach().float() * active  # (R,)
        self._sums[name] = self._sums[name] + v if name in self._sums else v
        counts = self._counts.setdefault(name, [0] * self.R)
        for r, a in enumerate(host):
            counts[r] += int(a)

    def means(self) -> list[dict[str, float]]:
        if not self._sums:
            return [{} for _ in range(self.R)]
        names = list(self._sums)
        values = torch.stack([self._sums[n] for n in names]).tolist()  # the one sync: (names, R)
        return [{n: values[i][r] / max(self._counts[n][r], 1) for i, n in enumerate(names)} for r in range(self.R)]


class _View(torch.nn.Module):
    """Replica r of a stack seen as a `CycleGANs` by what reads translators (``translate``, a hook)."""

    class _Offset(torch.nn.Module):
        def __init__(self, net, offset: int):
            super().__init__()
            self.net, self.offset = net, offset

        def forward(self, x, only: int | None = None):
            if only is None:
                raise LabkitError("a replica view translates one emotion at a time (only=i)")
            return self.net(x, only=self.offset + int(only))

    def __init__(self, stack: StackedCycleGANs, r: int):
        super().__init__()
        E = stack.cfg.n_targets
        self.G, self.F = self._Offset(stack.G, r * E), self._Offset(stack.F, r * E)


def train_stack(
    replicas: Sequence[Replica],
    cfg: CycleGANConfig,
    *,
    device: torch.device,
    on_epoch: Sequence[OnEpoch | None] | None = None,
    checkpoint: Checkpoint | None = None,
    progress: bool = False,
    desc: str = "cycle-GAN stack",
) -> list[TrainResult]:
    """R trainings of `train` (one per `Replica`: its own rows, seed, source and targets; the rest of
    `cfg` shared) as one stacked network (`labkit.models.cyclegan.StackedCycleGANs`); one
    `TrainResult` per replica, in order, as `train` would have returned it.

    A replica's result equals its separate training with ``cfg.seed = replica.seed``: its initial
    weights are drawn from its own seeded generator (a `CycleGANs` built and copied into its
    slices), every minibatch, domain draw and WGAN-div interpolation weight comes from its own
    `Streams` in the same order, and a replica whose epoch is shorter (fewer rows: fewer steps) is
    masked for the stack's extra steps (`_StackAdam`: no update, no draw). On the CPU the weights
    agree to floating-point tolerance (the update's arithmetic is Adam's in another order), not
    bit for bit; bf16 autocast on CUDA as in `train`.

    ``on_epoch``: one hook per replica (or None), called ``(epoch, view, row)`` like `train`'s, with
    a view of the replica that `translate` accepts. A hook raising `StopTraining` ends the whole
    stack after that epoch. ``checkpoint``: one file for the whole stack (the unit of work), written
    every ``checkpoint.every`` adversarial epochs; a second call continues from it exactly as the
    replicas' own checkpoints would have.
    """
    t_start = time.perf_counter()
    device = as_device(device)
    replicas = list(replicas)
    if not replicas:
        raise LabkitError("train_stack: no replicas to train")
    R, E, B = len(replicas), cfg.n_targets, cfg.batch_size
    cfg.validate()
    hooks_ = list(on_epoch) if on_epoch is not None else [None] * R
    if len(hooks_) != R:
        raise LabkitError(f"train_stack: {len(hooks_)} hooks for {R} replicas")
    cfgs = [replace(cfg, seed=int(rep.seed)) for rep in replicas]
    Xs, ys, domains, offsets = [], [], [], [0]
    for rep in replicas:
        X = (
            rep.X.float()
            if isinstance(rep.X, torch.Tensor)
            else torch.as_tensor(np.asarray(rep.X), dtype=torch.float32)
        )
        y = rep.y.long() if isinstance(rep.y, torch.Tensor) else torch.as_tensor(np.asarray(rep.y), dtype=torch.long)
        _check(X, y, cfg, int(rep.source), [int(t) for t in rep.targets])
        Xs.append(X)
        ys.append(y)
        domains.append(
            _Domains(DeviceData(X, device, max_fraction=math.inf), y, int(rep.source), list(rep.targets), device)
        )
        offsets.append(offsets[-1] + len(X))
    n_rows = [len(X) for X in Xs]
    data = DeviceData(torch.cat(Xs), device, max_fraction=math.inf)  # every replica's rows, for C's training
    labels = torch.cat(ys).to(device)
    target_class = torch.tensor([int(t) for rep in replicas for t in rep.targets], device=device)  # (R * E,)

    model = StackedCycleGANs(cfg, R)
    for r, c in enumerate(cfgs):  # each replica's initial weights exactly as `train` draws them
        one = CycleGANs(c)
        one.reset_parameters(torch.Generator().manual_seed(c.seed))
        model.load_replica(r, one)
    model.to(device)
    g_params, d_params, c_params = (
        model.generator_parameters(),
        model.discriminator_parameters(),
        list(model.C.parameters()),
    )
    betas = (cfg.beta1, cfg.beta2)
    opt_g = _StackAdam(g_params, [E] * len(g_params), R, cfg.lr, betas)
    opt_d = _StackAdam(d_params, [E] * len(d_params), R, cfg.lr, betas)
    opt_c = _StackAdam(c_params, [1] * len(c_params), R, cfg.cls_lr, (0.9, 0.999))  # torch's Adam defaults, as in train
    opts = {"g": opt_g, "d": opt_d, "c": opt_c}
    streams = [Streams(c.seed + 1, device) for c in cfgs]
    rng = {f"streams{r}": st for r, st in enumerate(streams)}
    steps = [math.ceil(d.largest / B) for d in domains]
    n_steps = max(steps)
    active_host = [[j < steps[r] for r in range(R)] for j in range(n_steps)]  # the same for every epoch
    active = torch.tensor(active_host, dtype=data.X.dtype).to(device)  # (n_steps, R)
    zeros = torch.zeros(E, B, cfg.n_features, device=device, dtype=data.X.dtype)
    wdiv = cfg.divergence == "wdiv"
    identity = _Identity(cfg, replicas, n_rows)
    hook_state = _Hooks(hooks_)
    start, history, extra = checkpoint.resume(identity, model, opts, rng, hook_state) if checkpoint else (0, [], {})
    histories = [list(h["rows"]) for h in history] if history else [[] for _ in range(R)]
    pretrain = list(extra.get("pretrain", [{} for _ in range(R)]))

    def draw_all(j: int, xi: bool = False):
        """Every replica's s, t (R * E, B, D) (and WGAN-div's xi for D_T and D_S), each from its own stream."""
        s_parts, t_parts, xt_parts, xs_parts = [], [], [], []
        for r in range(R):
            if active_host[j][r]:
                s, t = domains[r].draw(B, streams[r].noise)
                if xi:  # drawn right after the rows, in wdiv_penalty's order (D_T's, then D_S's)
                    xt_parts.append(torch.rand(E, B, 1, device=device, dtype=s.dtype, generator=streams[r].noise))
                    xs_parts.append(torch.rand(E, B, 1, device=device, dtype=s.dtype, generator=streams[r].noise))
            else:  # masked: no draw from its stream, and its update is skipped
                s = t = zeros
                if xi:
                    xt_parts.append(zeros[..., :1])
                    xs_parts.append(zeros[..., :1])
            s_parts.append(s)
            t_parts.append(t)
        out = (torch.cat(s_parts), torch.cat(t_parts))
        return (*out, torch.cat(xt_parts), torch.cat(xs_parts)) if xi else out

    model.train()
    if not start:
        # ---- Pre-train Classifier C: each replica on its own real rows (all K classes); frozen afterwards
        for _ in range(cfg.cls_epochs):
            perms = [torch.randperm(n, generator=st.shuffle).split(B) for n, st in zip(n_rows, streams)]
            n_b = max(len(p) for p in perms)
            idx = torch.zeros(n_b, R, B, dtype=torch.long)
            w = torch.zeros(n_b, R, B, dtype=data.X.dtype)
            for r, parts in enumerate(perms):
                for j, part in enumerate(parts):
                    idx[j, r, : len(part)] = part + offsets[r]
                    idx[j, r, len(part) :] = offsets[r]
                    w[j, r, : len(part)] = 1.0
                for j in range(len(parts), n_b):
                    idx[j, r] = offsets[r]
            idx, w = idx.to(device), w.to(device)  # one copy per epoch
            opt_c.plan([[j < len(p) for p in perms] for j in range(n_b)], device)
            for j in range(n_b):
                with autocast(device):
                    logits = model.classify(data[idx[j]])  # (R, B, K)
                    ce = torch.nn.functional.cross_entropy(
                        logits.reshape(R * B, -1), labels[idx[j]].reshape(-1), reduction="none"
                    ).view(R, B)
                    loss_c = ((ce * w[j]).sum(1) / w[j].sum(1).clamp(min=1)).sum()
                _stack_step(loss_c, opt_c)
        with torch.no_grad(), autocast(device):
            cls_acc = torch.stack(
                [
                    torch.cat(
                        [
                            (
                                model.C(data.X[a : min(a + 1024, b)], only=r).argmax(-1) == labels[a : min(a + 1024, b)]
                            ).float()
                            for a in range(offsets[r], b, 1024)
                        ]
                    ).mean()
                    for r, b in enumerate(offsets[1:])
                ]
            )  # (R,)

        # ---- Pre-train Generators: every replica's G_i and F_i on the cycle loss alone
        meter = _StackMeter(R)
        for _ in range(cfg.pretrain_epochs):
            meter = _StackMeter(R)
            opt_g.plan(active_host, device)
            for j in range(n_steps):
                s, t = draw_all(j)
                with autocast(device):
                    loss_rec = cycle_loss(s, model.F(model.G(s)), t, model.G(model.F(t)))  # (R * E,)
                _stack_step(loss_rec.sum(), opt_g)
                meter.add("loss_cyc", loss_rec.view(R, E).sum(1) / E, active[j], active_host[j])
        acc = _StackMeter(R)
        acc.add("cls_train_acc", cls_acc, torch.ones(R, device=device), [True] * R)
        pretrain = [{**a, **m} for a, m in zip(acc.means(), meter.means())]
        for r, p in enumerate(pretrain):
            check_finite(p, f"pre-training of replica {r}")
        for r, fn in enumerate(hooks_):
            call_hook(fn, 0, _View(model, r), {"epoch": 0, **pretrain[r]})

    done = start
    for epoch in epochs_bar(start, cfg.epochs, progress, desc):
        t0, meter = time.perf_counter(), _StackMeter(R)
        opt_d.plan(active_host, device)
        opt_g.plan([row for row in active_host for _ in range(cfg.g_steps)], device)
        for j in range(n_steps):
            on, on_host = active[j], active_host[j]
            # ---- Train Discriminators: every replica's D_T and D_S
            if wdiv:
                s, t, xi_t, xi_s = draw_all(j, xi=True)
            else:
                s, t = draw_all(j)
            with torch.no_grad(), autocast(device):
                fake_t, fake_s = model.G(s), model.F(t)
            with autocast(device):
                real_t, gen_t = model.D_T(t), model.D_T(fake_t)  # (R * E, B) each
                real_s, gen_s = model.D_S(s), model.D_S(fake_s)
                if wdiv:
                    gp_t = wdiv_penalty(model.D_T, t, fake_t, cfg.wdiv_k, cfg.wdiv_p, xi=xi_t)  # (R * E,)
                    gp_s = wdiv_penalty(model.D_S, s, fake_s, cfg.wdiv_k, cfg.wdiv_p, xi=xi_s)
                    loss_d = wdiv_critic_loss(real_t, gen_t, gp_t) + wdiv_critic_loss(real_s, gen_s, gp_s)
                    meter.add("loss_gp", (gp_t + gp_s).view(R, E).mean(1), on, on_host)
                else:
                    loss_d = js_discriminator_loss(real_t, gen_t, cfg.real_label) + js_discriminator_loss(
                        real_s, gen_s, cfg.real_label
                    )
            _stack_step(loss_d.sum(), opt_d)
            meter.add("loss_d", loss_d.view(R, E).mean(1), on, on_host)
            scores = (
                (real_t.detach(), gen_t.detach())
                if wdiv
                else (torch.sigmoid(real_t.detach()), torch.sigmoid(gen_t.detach()))
            )
            meter.add("d_real", scores[0].view(R, -1).mean(1), on, on_host)
            meter.add("d_fake", scores[1].view(R, -1).mean(1), on, on_host)

            for _ in range(cfg.g_steps):
                # ---- Train Generators: adversarial + lambda_cyc * cycle + lambda_cls * classification (Eq. 14)
                s, t = draw_all(j)
                with autocast(device):
                    fake_t, fake_s = model.G(s), model.F(t)  # (R * E, B, D)
                    adv_t, adv_s = model.D_T(fake_t), model.D_S(fake_s)
                    loss_adv = (
                        wdiv_generator_loss(adv_t) + wdiv_generator_loss(adv_s)
                        if wdiv
                        else js_generator_loss(adv_t) + js_generator_loss(adv_s)
                    )
                    loss_cyc = cycle_loss(s, model.F(fake_t), t, model.G(fake_s))
                    logits = model.classify(fake_t.view(R, E * B, -1)).view(R * E, B, -1)  # each replica's own C
                    loss_cls = classification_loss(logits, target_class)
                    loss_g = loss_adv + cfg.lambda_cyc * loss_cyc + cfg.lambda_cls * loss_cls
                _stack_step(loss_g.sum(), opt_g)
                meter.add("loss_g", loss_g.view(R, E).mean(1), on, on_host)
                meter.add("loss_adv", loss_adv.view(R, E).mean(1), on, on_host)
                meter.add("loss_cyc", loss_cyc.view(R, E).mean(1), on, on_host)
                meter.add("loss_cls", loss_cls.view(R, E).mean(1), on, on_host)
                hit = (logits.detach().argmax(-1) == target_class[:, None]).float()
                meter.add("cls_acc", hit.view(R, -1).mean(1), on, on_host)
        seconds = time.perf_counter() - t0
        rows = [{"epoch": epoch + 1, **m, "lr": opt_g.lr, "seconds": seconds} for m in meter.means()]
        for r, row in enumerate(rows):
            check_finite(row, f"cycle-GAN epoch {epoch + 1} of replica {r}")
        done = epoch + 1
        if done % cfg.lr_decay_every == 0:  # StepLR's step, for both players
            opt_g.lr *= cfg.lr_decay
            opt_d.lr *= cfg.lr_decay
        stop = False
        for r, fn in enumerate(hooks_):
            stop = call_hook(fn, done, _View(model, r), rows[r]) or stop
        for h, row in zip(histories, rows):
            h.append(row)
        if checkpoint is not None and checkpoint.due(done, final=done == cfg.epochs or stop):
            checkpoint.save(
                done,
                identity,
                model,
                opts,
                rng,
                [{"rows": h} for h in histories],
                hook_state,
                extra={"pretrain": pretrain},
            )
        if stop:
            break
    model.eval()
    seconds = time.perf_counter() - t_start
    out = []
    for r, (rep, c) in enumerate(zip(replicas, cfgs)):
        state = {
            "epoch": done,
            "resumed_from": start,
            "stopped": done < cfg.epochs,
            "source": int(rep.source),
            "targets": [int(t) for t in rep.targets],
            "pretrain": pretrain[r],
            "replica": r,
            "replicas": R,
        }
        out.append(TrainResult(model.replica(r, c), histories[r], seconds, str(device), c, state))
    return out


def save_result(result: TrainResult, path) -> None:
    """One trained replica (or `train` result) to `path`, atomically: weights, history, config and state
    as plain data (read back by `load_result` with ``weights_only``)."""
    from labkit.trainers.common import _plain
    from labkit.utils import atomic_path

    state = {
        "model": {k: v.detach().cpu() for k, v in result.model.state_dict().items()},
        "history": _plain(result.history),
        "config": result.config.to_dict(),
        "state": _plain(result.state),
        "seconds": float(result.seconds),
        "device": str(result.device),
    }
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_result(path, device: torch.device) -> TrainResult:
    """A `save_result` file as a `TrainResult` whose model is on `device` (eval mode); `LabkitError` when unreadable."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        cfg = CycleGANConfig(**state["config"])
        model = CycleGANs(cfg)
        model.load_state_dict(state["model"])
    except Exception as exc:
        raise LabkitError(f"trained cycle-GAN {path} cannot be loaded ({type(exc).__name__}: {str(exc)[:200]}); "
                          "delete it to train it again") from None  # fmt: skip
    model = model.to(as_device(device)).eval()
    return TrainResult(model, list(state["history"]), state["seconds"], state["device"], cfg, dict(state["state"]))


class _Hooks:
    """The replicas' hooks as one for the checkpoint (their states, where they have one)."""

    def __init__(self, fns: list):
        self.fns = fns

    def state_dict(self) -> dict:
        return {str(r): fn.state_dict() for r, fn in enumerate(self.fns) if hasattr(fn, "state_dict")}

    def load_state_dict(self, state: dict) -> None:
        for r, fn in enumerate(self.fns):
            if hasattr(fn, "load_state_dict") and str(r) in state:
                fn.load_state_dict(state[str(r)])


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


__all__ = ["Replica", "TrainResult", "train", "train_stack", "save_result", "load_result", "translate", "generate"]
