"""Shilandari, Marvi, Khosravi, Wang (SIVP 2022): one cycle-GAN per emotion on openSMILE functionals.

For every target emotion i (anger, fear, happiness, sadness) a cycle-GAN translates between the
source domain S (the *neutral* utterances of the training fold) and the target domain T_i (the
utterances of emotion i):

* G_i: S -> T_i and F_i: T_i -> S, both residual MLPs;
* D_i^T tells real emotion-i rows from G_i(s), D_i^S real neutral rows from F_i(t);
* the cycle loss (Eq. 8) pulls F_i(G_i(s)) back to s and G_i(F_i(t)) back to t (mean squared error);
* the classification loss (Eq. 13) asks an auxiliary classifier C, trained on the real rows, to
  recognise G_i(s) as emotion i;
* the total loss (Eq. 14) is  L = sum_i L_i^GAN + lambda_cyc sum_i L_i^cyc + lambda_cls L^cls.

The adversarial term L_i^GAN is either the standard GAN loss (Jensen-Shannon; Eqs. 2-4, with the
non-saturating generator loss of Eq. 3) or the Wasserstein divergence of Wu et al. (ECCV 2018;
Eqs. 10-12), which needs no Lipschitz constraint:

    critic:    L_D = E[c(G(s))] - E[c(t)] + k E[ ||grad_x c(x_hat)||^p ],  x_hat = xi t + (1 - xi) G(s)
    generator: L_G = -E[c(G(s))]

(c is the critic's "realness" score, Wu et al.'s f with the sign flipped; they found k = 2, p = 6
best.) Presets `cyclegan` (JS) and `cyclegan-w` (Wasserstein divergence) are the paper's two
methods; ``-nocls`` presets switch the classification loss off (the paper's Figure 4).

This file holds the config, the modules, the losses and the presets, top to bottom; the training
loop is `labkit.trainers.cyclegan.train`, the augmenters `labkit.augment.cyclegan`.

**All emotions at once.** The E = 4 cycle-GANs share nothing but the classifier C, so Eq. 14's sum
over i can be minimised in one step: every network here is a *stack* of E independent networks
(`StackedLinear`: weights (E, in, out), one batched matmul for all emotions). Slice i of every
weight is emotion i's cycle-GAN; Adam works element-wise, so training the stack is the same as
training E separate cycle-GANs with E optimisers, at the cost of one larger matmul instead of E
small ones (which is what a GPU, and a CPU's BLAS, want). `StackedCycleGANs` takes the same step
further: R independent trainings (seeds x folds) as one network of R x E stacked cycle-GANs and R
stacked classifiers (`labkit.trainers.cyclegan.train_stack`).

Shapes: E target emotions (stacked cycle-GANs), B rows per domain per emotion, D features, H hidden
units, K classes (neutral + the E emotions).

Choices where the paper is silent or does not fit feature vectors (and why)
--------------------------------------------------------------------------
* **Source domain = neutral.** The paper calls S "a dataset without labels"; the cycle-GAN data
  augmentation it builds on (Bao et al., Interspeech 2019, its reference [26]) translates neutral
  speech into each emotion, and so do we (labkit issue 11). F_i: T_i -> S then also gives synthetic
  *neutral* rows, which the augmenter uses when the neutral class is to grow.
* **Feature set.** The paper extracts "2185" openSMILE features; no standard openSMILE
  configuration has 2185 (IS09 384, eGeMAPS 88, emobase 988, IS10 / emobase2010 1582, IS11 4368,
  ComParE 6373). The reproductions default to **IS10** (1582 functionals): the large paralinguistic
  set closest in size and kind (energy, spectral, voicing and MFCC contours with statistical
  functionals), and the one of Sahu et al., whom the paper cites for its GAN baseline. eGeMAPS,
  emobase and ComParE are options. Features are standardised on the training fold, so every
  network sees zero-mean unit-variance columns.
* **Networks.** "DNN with two hidden layers and 800 hidden neurons", "ResNet for the generator",
  "PatchGAN for the discriminator", leaky ReLU in all layers, Xavier initialisation. For a feature
  vector: every network is D -> 800 -> 800 -> out with leaky ReLU (slope 0.2, the GAN convention)
  after each hidden layer and a linear output (standardised features are unbounded). The generator
  is residual, G(x) = x + MLP(x): a translation starts from the identity and learns the emotional
  *change*. PatchGAN judges local patches of an image; a functional vector has no locality, so the
  discriminator is one MLP with one score per row. Xavier-uniform weights, zero biases.
* **The classifier C.** Eq. 13 does not say where C comes from. C has the classification DNN's
  shape (D -> 800 -> 800 -> K) and is trained on the fold's real rows (all K classes) before the
  cycle-GANs, then frozen: a C trained on generated rows would move its boundaries towards them and
  stop checking them. With lambda_cls = 0 it is still trained, and only monitors (``cls_acc``: the
  share of G_i(s) it assigns to emotion i).
* **lambda_cls** is not given; 1.0 (the same weight as the cycle loss, which the paper fixed at 1.0
  after its ablation). **MSE** is the mean over features (the text says "mean squared error"; a
  sum over 1582 features would drown the adversarial terms).
* **Pre-training** "G_i and F_i based on the reconstruction error between S and F_iG_i(S)" and
  between T_i and G_i(F_i(T_i)): `pretrain_epochs` epochs of the cycle loss alone.
* **Updates.** Per step, one discriminator update then `g_steps` = 2 generator updates (the paper:
  "generator weights updated two times ... discriminator one time"), each on a fresh minibatch. An
  epoch is ceil(largest domain / batch) steps; minibatches are drawn with replacement, independently
  per emotion (domains have different sizes).
* **Learning rate.** Adam, 2e-4 (paper), betas (0.5, 0.999) (the DCGAN / CycleGAN / WGAN-div
  setting; the paper gives none), multiplied by 0.5 every 50 epochs (the paper: "reduced every 50
  epochs", factor not given).
* **Label smoothing.** One-sided (Salimans et al.): the JS discriminators' real target is 0.9, the
  fake target 0. The Wasserstein critic has no targets to smooth.
* **Budget.** The paper gives no epoch count. `BUDGETS["paper"]` uses the paper's sizes for 200
  epochs (four learning-rate steps); `BUDGETS["small"]` is what a shared CPU affords for a full
  Table 1 (see `BUDGETS`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from labkit.errors import LabkitError
from labkit.utils import config_from

# The paper's five EMO-DB classes (disgust and boredom left out), in labkit's canonical names.
EMOTIONS = ("anger", "fear", "happiness", "sadness", "neutral")
SOURCE = "neutral"  # the source domain S every emotion is translated from
DIVERGENCES = ("js", "wdiv")


# ---------------------------------------------------------------------------------------------------
# Config


@dataclass
class CycleGANConfig:
    """E stacked cycle-GANs (one per target emotion), the classifier C, and the training budget."""

    n_features: int = 1582  # D: feature dimension (IS10 by default; see the module docstring)
    n_targets: int = 4  # E: target emotions = stacked cycle-GANs (neutral -> anger, fear, happiness, sadness)
    n_classes: int = 5  # K: classes of the auxiliary classifier C (neutral + the targets)
    hidden: int = 800  # H: units of each hidden layer of every network (paper: 800)
    n_layers: int = 2  # hidden layers of every network (paper: two)
    negative_slope: float = 0.2  # leaky ReLU slope (paper: leaky ReLU, slope not given)
    residual: bool = True  # generators output x + MLP(x) (paper: "ResNet for the generator")
    divergence: str = "js"  # "js": standard GAN loss (Eqs. 2-4); "wdiv": Wasserstein divergence (Eqs. 10-12)
    lambda_cyc: float = 1.0  # weight of the cycle loss (paper: 1.0, after its ablation)
    lambda_cls: float = 1.0  # weight of the classification loss on G_i(S) (paper: not given); 0 = off
    wdiv_k: float = 2.0  # WGAN-div k: weight of the gradient-norm term (Wu et al.: 2)
    wdiv_p: float = 6.0  # WGAN-div p: power of the gradient norm (Wu et al.: 6)
    real_label: float = 0.9  # one-sided label smoothing: the JS discriminators' target for real rows
    lr: float = 2e-4  # Adam step of the generators and discriminators (paper: 0.0002)
    beta1: float = 0.5  # Adam beta_1 (GAN convention; paper: not given)
    beta2: float = 0.999  # Adam beta_2
    lr_decay_every: int = 50  # epochs between learning-rate reductions (paper: every 50 epochs)
    lr_decay: float = 0.5  # factor of each reduction (paper: not given)
    g_steps: int = 2  # generator updates per discriminator update (paper: 2)
    pretrain_epochs: int = 20  # epochs of reconstruction (cycle-loss) pre-training of G_i and F_i
    cls_epochs: int = 30  # epochs of the auxiliary classifier C on the real rows
    cls_lr: float = 1e-3  # Adam step of C's training
    epochs: int = 200  # adversarial epochs
    batch_size: int = 32  # rows per domain and emotion in one step
    seed: int = 0  # initialisation and minibatch draws

    def to_dict(self) -> dict:
        return asdict(self)

    def validate(self) -> "CycleGANConfig":
        """`LabkitError` naming the first field out of range."""

        def bad(name, rule):
            raise LabkitError(f"cycle-GAN config: {name}={getattr(self, name)!r} {rule}")

        for name in ("n_features", "n_targets", "hidden", "epochs", "batch_size", "g_steps", "lr_decay_every"):
            if int(getattr(self, name)) < 1:
                bad(name, "must be at least 1")
        if self.n_classes < self.n_targets + 1:
            bad("n_classes", f"must be at least n_targets + 1 = {self.n_targets + 1} (neutral and the targets)")
        for name in ("n_layers", "pretrain_epochs", "cls_epochs"):
            if int(getattr(self, name)) < 0:
                bad(name, "must be >= 0")
        if self.divergence not in DIVERGENCES:
            bad("divergence", f"must be one of {', '.join(DIVERGENCES)}")
        for name in ("lambda_cyc", "lambda_cls", "wdiv_k", "negative_slope"):
            v = float(getattr(self, name))
            if not math.isfinite(v) or v < 0:
                bad(name, "must be a number >= 0")
        for name in ("lr", "cls_lr", "lr_decay"):
            v = float(getattr(self, name))
            if not math.isfinite(v) or v <= 0:
                bad(name, "must be a number > 0")
        if not float(self.wdiv_p) > 1:
            bad("wdiv_p", "must be > 1 (Wu et al.: p > 1)")
        if not 0.5 < float(self.real_label) <= 1:
            bad("real_label", "must be in (0.5, 1]")
        return self


# ---------------------------------------------------------------------------------------------------
# Modules


class StackedLinear(nn.Module):
    """E independent linear layers applied in one batched matmul: (E, B, in) -> (E, B, out)."""

    def __init__(self, n_stack: int, d_in: int, d_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_stack, d_in, d_out))  # (E, in, out)
        self.bias = nn.Parameter(torch.zeros(n_stack, 1, d_out))  # (E, 1, out)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Xavier-uniform weights (the same fan-in / fan-out for every slice), zero biases."""
        d_in, d_out = self.weight.shape[1:]
        bound = math.sqrt(6.0 / (d_in + d_out))
        with torch.no_grad():
            self.weight.uniform_(-bound, bound, generator=generator)
            self.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight)  # (E, B, in) @ (E, in, out) + (E, 1, out)

    def forward_one(self, x: torch.Tensor, i: int) -> torch.Tensor:
        """Slice i alone: (N, in) -> (N, out) (generation for one emotion)."""
        return torch.addmm(self.bias[i], x, self.weight[i])


class StackedMLP(nn.Module):
    """E independent MLPs: d_in -> H -> ... -> H -> d_out, leaky ReLU after every hidden layer."""

    def __init__(self, n_stack: int, d_in: int, d_out: int, hidden: int, n_layers: int, negative_slope: float):
        super().__init__()
        widths = [d_in] + [hidden] * n_layers + [d_out]
        self.layers = nn.ModuleList(StackedLinear(n_stack, a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.negative_slope = negative_slope

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        for layer in self.layers:
            layer.reset_parameters(generator)

    def forward(self, x: torch.Tensor, only: int | None = None) -> torch.Tensor:
        """(E, B, d_in) -> (E, B, d_out); with ``only=i``, MLP i alone: (N, d_in) -> (N, d_out)."""
        for j, layer in enumerate(self.layers):
            x = layer(x) if only is None else layer.forward_one(x, only)
            if j < len(self.layers) - 1:
                x = F.leaky_relu(x, self.negative_slope)
        return x


class Generator(nn.Module):
    """E translators (G_i or F_i), residual: x -> x + MLP_i(x); (E, B, D) -> (E, B, D)."""

    def __init__(self, cfg: CycleGANConfig):
        super().__init__()
        self.net = StackedMLP(
            cfg.n_targets, cfg.n_features, cfg.n_features, cfg.hidden, cfg.n_layers, cfg.negative_slope
        )
        self.residual = cfg.residual

    def forward(self, x: torch.Tensor, only: int | None = None) -> torch.Tensor:
        """(E, B, D) -> (E, B, D); with ``only=i``, translator i alone: (N, D) -> (N, D)."""
        out = self.net(x, only)
        return x + out if self.residual else out


class Critic(nn.Module):
    """E discriminators (D_i^T or D_i^S): one score per row; (E, B, D) -> (E, B).

    Under ``js`` the score is a logit (sigmoid = probability of "real"); under ``wdiv`` it is the
    critic value c, higher for rows that look real.
    """

    def __init__(self, cfg: CycleGANConfig):
        super().__init__()
        self.net = StackedMLP(cfg.n_targets, cfg.n_features, 1, cfg.hidden, cfg.n_layers, cfg.negative_slope)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)  # (E, B, 1) -> (E, B)


class Classifier(nn.Module):
    """The auxiliary emotion classifier C of Eq. 13, one for all emotions: (..., D) -> (..., K) logits."""

    def __init__(self, cfg: CycleGANConfig):
        super().__init__()
        self.net = StackedMLP(1, cfg.n_features, cfg.n_classes, cfg.hidden, cfg.n_layers, cfg.negative_slope)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape[:-1]
        logits = self.net(x.reshape(-1, x.shape[-1]), only=0)  # (..., D) -> (N, D) -> (N, K)
        return logits.reshape(*shape, -1)  # (..., K)


class CycleGANs(nn.Module):
    """The E per-emotion cycle-GANs of the paper's Figure 3, stacked, with the shared classifier C.

    ``G`` maps neutral rows to each emotion, ``F`` back, ``D_T`` judges emotional rows, ``D_S``
    neutral rows; slice i of each is emotion ``targets[i]``'s network (the trainer keeps the order).
    """

    def __init__(self, cfg: CycleGANConfig):
        super().__init__()
        self.cfg = cfg
        self.G = Generator(cfg)  # G_i: S -> T_i
        self.F = Generator(cfg)  # F_i: T_i -> S
        self.D_T = Critic(cfg)  # D_i^T: real emotion-i rows vs G_i(s)
        self.D_S = Critic(cfg)  # D_i^S: real neutral rows vs F_i(t)
        self.C = Classifier(cfg)  # C: K-way emotion classifier (Eq. 13)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        for net in (self.G, self.F, self.D_T, self.D_S, self.C):
            net.net.reset_parameters(generator)

    def generator_parameters(self) -> list[nn.Parameter]:
        return list(self.G.parameters()) + list(self.F.parameters())

    def discriminator_parameters(self) -> list[nn.Parameter]:
        return list(self.D_T.parameters()) + list(self.D_S.parameters())


class StackedCycleGANs(nn.Module):
    """R independent trainings of `CycleGANs` (replicas: seeds x folds) as one network.

    G, F, D_T and D_S stack R x E networks (replica r's emotion i is slice ``r * E + i``), C stacks
    R classifiers (slice r is replica r's C). Nothing is shared between replicas, so one step of the
    stack is one step of each of the R trainings (`labkit.trainers.cyclegan.train_stack`); `replica`
    copies one replica's slices out into a `CycleGANs` of its own.
    """

    def __init__(self, cfg: CycleGANConfig, n_replicas: int):
        super().__init__()
        if int(n_replicas) < 1:
            raise LabkitError(f"StackedCycleGANs: n_replicas must be at least 1, got {n_replicas}")
        from dataclasses import replace

        self.cfg, self.n_replicas = cfg, int(n_replicas)
        wide = replace(cfg, n_targets=cfg.n_targets * self.n_replicas)  # R x E stacked translators and critics
        self.G = Generator(wide)
        self.F = Generator(wide)
        self.D_T = Critic(wide)
        self.D_S = Critic(wide)
        self.C = StackedMLP(
            self.n_replicas, cfg.n_features, cfg.n_classes, cfg.hidden, cfg.n_layers, cfg.negative_slope
        )

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """Each replica's C on its own rows: (R, N, D) -> (R, N, K) logits."""
        return self.C(x)

    def generator_parameters(self) -> list[nn.Parameter]:
        return list(self.G.parameters()) + list(self.F.parameters())

    def discriminator_parameters(self) -> list[nn.Parameter]:
        return list(self.D_T.parameters()) + list(self.D_S.parameters())

    @torch.no_grad()
    def load_replica(self, r: int, model: CycleGANs) -> None:
        """Put `model`'s weights into replica r's slices (initialisation from a separately seeded model)."""
        E = self.cfg.n_targets
        for name in ("G", "F", "D_T", "D_S"):
            for mine, theirs in zip(getattr(self, name).net.layers, getattr(model, name).net.layers):
                mine.weight[r * E : (r + 1) * E] = theirs.weight
                mine.bias[r * E : (r + 1) * E] = theirs.bias
        for mine, theirs in zip(self.C.layers, model.C.net.layers):
            mine.weight[r] = theirs.weight[0]
            mine.bias[r] = theirs.bias[0]

    @torch.no_grad()
    def replica(self, r: int, cfg: CycleGANConfig | None = None) -> CycleGANs:
        """Replica r as a `CycleGANs` of its own (a copy of its slices, on the same device, eval mode)."""
        E = self.cfg.n_targets
        out = CycleGANs(cfg or self.cfg).to(next(self.parameters()).device)
        for name in ("G", "F", "D_T", "D_S"):
            for theirs, mine in zip(getattr(out, name).net.layers, getattr(self, name).net.layers):
                theirs.weight.copy_(mine.weight[r * E : (r + 1) * E])
                theirs.bias.copy_(mine.bias[r * E : (r + 1) * E])
        for theirs, mine in zip(out.C.net.layers, self.C.layers):
            theirs.weight[0] = mine.weight[r]
            theirs.bias[0] = mine.bias[r]
        return out.eval()


# ---------------------------------------------------------------------------------------------------
# Losses: each returns one value per emotion, shape (E,); the trainer sums them (Eq. 14)


def cycle_loss(s: torch.Tensor, s_rec: torch.Tensor, t: torch.Tensor, t_rec: torch.Tensor) -> torch.Tensor:
    """Eq. 8 with MSE: mean over rows and features of (F(G(s)) - s)^2 plus of (G(F(t)) - t)^2; (E,)."""
    return (s_rec - s).pow(2).mean(dim=(1, 2)) + (t_rec - t).pow(2).mean(dim=(1, 2))


def classification_loss(logits: torch.Tensor, target_class: torch.Tensor) -> torch.Tensor:
    """Eq. 13: cross-entropy that C recognises G_i(s) as emotion i.

    logits (E, B, K) of C on G(s); target_class (E,) the class index of each stacked emotion.
    """
    E, B, K = logits.shape
    target = target_class[:, None].expand(E, B)  # (E, B)
    return F.cross_entropy(logits.reshape(E * B, K), target.reshape(E * B), reduction="none").view(E, B).mean(1)


def js_discriminator_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor, real_label: float = 0.9
) -> torch.Tensor:
    """Eq. 2 as binary cross-entropy, real target `real_label` (one-sided smoothing), fake 0; (E,).

    The mean of the real and the fake half, so ln 2 = 0.69 at equilibrium without smoothing.
    """
    real = F.binary_cross_entropy_with_logits(
        real_logits, torch.full_like(real_logits, real_label), reduction="none"
    ).mean(1)
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits), reduction="none").mean(1)
    return 0.5 * (real + fake)


def js_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Eq. 3, the non-saturating generator loss -log D(G(s)); (E,)."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits), reduction="none").mean(1)


def wdiv_penalty(
    critic,
    real: torch.Tensor,
    fake: torch.Tensor,
    k: float,
    p: float,
    xi: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """The Wasserstein-divergence term k E[||grad_x c(x_hat)||^p] of Eq. 10 (Wu et al. 2018); (E,).

    x_hat = xi * real + (1 - xi) * fake with xi ~ U[0, 1] per row (Wu et al.'s P_u: random points
    between real and generated rows). ``xi`` (E, B, 1) can be given (tests); otherwise it is drawn
    from `generator` on the rows' device. ||g||^p is computed as (||g||^2)^(p/2), smooth at g = 0.
    The graph is kept (create_graph), so the term trains the critic.
    """
    if xi is None:
        xi = torch.rand(real.shape[0], real.shape[1], 1, device=real.device, dtype=real.dtype, generator=generator)
    x_hat = (xi * real.detach() + (1 - xi) * fake.detach()).requires_grad_(True)  # (E, B, D)
    scores = critic(x_hat)  # (E, B)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)  # (E, B, D): rows do not interact
    return k * grad.pow(2).sum(-1).pow(p / 2).mean(1)


def wdiv_critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor, penalty: torch.Tensor) -> torch.Tensor:
    """Eq. 10 / 12: E[c(fake)] - E[c(real)] + the gradient term; (E,)."""
    return fake_scores.mean(1) - real_scores.mean(1) + penalty


def wdiv_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """Eq. 11's adversarial part: -E[c(G(s))]; (E,)."""
    return -fake_scores.mean(1)


# ---------------------------------------------------------------------------------------------------
# Presets

PRESETS: dict[str, dict] = {
    # The paper's two methods (Table 1 rows "Cycle-GAN" and "Cycle-GAN + Wasserstein").
    "cyclegan": dict(divergence="js", lambda_cls=1.0),
    "cyclegan-w": dict(divergence="wdiv", lambda_cls=1.0),
    # Ablations: without the classification loss (Figure 4, left).
    "cyclegan-nocls": dict(divergence="js", lambda_cls=0.0),
    "cyclegan-w-nocls": dict(divergence="wdiv", lambda_cls=0.0),
}

BUDGETS: dict[str, dict] = {
    # The paper's sizes: 2 x 800 everywhere, lr reduced every 50 epochs; 200 epochs (not given).
    "paper": dict(hidden=800, epochs=200, pretrain_epochs=20, cls_epochs=30, lr_decay_every=50),
    # What a shared 2-core CPU affords for Table 1 x seeds x 10 LOSO folds: narrower networks and
    # 60 epochs with the lr reduced every 20 (the paper's schedule compressed). Labelled in every output.
    "small": dict(hidden=256, epochs=60, pretrain_epochs=10, cls_epochs=30, lr_decay_every=20),
}


def make_config(preset: str = "cyclegan", budget: str = "paper", **overrides) -> CycleGANConfig:
    """A validated `CycleGANConfig`: a method preset (`PRESETS`), a budget (`BUDGETS`), then field overrides."""
    if preset not in PRESETS:
        raise LabkitError(f"unknown cycle-GAN preset {preset!r}; choose one of {', '.join(PRESETS)}")
    if budget not in BUDGETS:
        raise LabkitError(f"unknown cycle-GAN budget {budget!r}; choose one of {', '.join(BUDGETS)}")
    return config_from(CycleGANConfig, "cycle-GAN", BUDGETS[budget], PRESETS[preset], overrides).validate()


__all__ = [
    "EMOTIONS",
    "SOURCE",
    "CycleGANConfig",
    "StackedLinear",
    "StackedMLP",
    "Generator",
    "Critic",
    "Classifier",
    "CycleGANs",
    "StackedCycleGANs",
    "cycle_loss",
    "classification_loss",
    "js_discriminator_loss",
    "js_generator_loss",
    "wdiv_penalty",
    "wdiv_critic_loss",
    "wdiv_generator_loss",
    "PRESETS",
    "BUDGETS",
    "make_config",
]
