"""Sahu, Gupta, Espy-Wilson (Interspeech 2018): GANs that generate synthetic SER feature vectors.

One file holds every model of the paper, top to bottom:

1. `GMMPrior`: K isotropic Gaussians in a small code space, one per emotion (the prior of the AAE and
   the noise of the conditional GAN).
2. The 2-D **adversarial autoencoder** of the paper's reference [4] (`AAE`): Encoder 1582 -> 2,
   Decoder 2 -> 1582, and a code discriminator that sees the code together with the one-hot
   emotion, so the codes of emotion c are pushed onto component c of the GMM prior. Its codes are the
   "2D code vectors" of Table 1.
3. The **vanilla GAN** (`GAN`): noise -> generator -> data, discriminator data -> real/fake. Used on the
   2-d codes (Section 3.2.1, which converges) and straight on the 1582-d features (the paper's failed
   first attempt).
4. The **conditional GAN** (`CGAN`) on the 1582-d features: noise drawn from the GMM component of the
   requested emotion, the one-hot emotion fed to both the generator and the discriminator.

Then the losses (Equation 2) and the named presets: ``GAN_PRESETS`` (``gan2d``, ``gan1582``) and
``CGAN_PRESETS`` (``baseline`` = Figure 4a, ``pretrained`` = 4b, ``improved`` = 4c). The training
loops live in `labkit.trainers.sahu`.

Shapes: B batch, D feature dimension (1582 for IS10), Z code / noise dimension (2), K emotions (4).

Choices where the paper is silent (and why)
-------------------------------------------
* **Layer sizes.** The paper gives none except "two hidden layers" in the 1582-d discriminator. We use
  two hidden layers everywhere: encoder 1582 -> 128 -> 64 -> 2 and the mirrored decoder
  2 -> 64 -> 128 -> 1582; the cGAN generator has the decoder's widths (it must, to be initialised
  from it) and its discriminator 1582+K -> 128 -> 64 -> 1; the 2-d GAN and the code discriminator
  use 64 -> 64. The first layer (1582 x 128) is nearly all of the cost; with 256 units a fold of
  Table 1 took about four minutes on a shared 2-core machine, with 128 half that, and a few hundred
  training utterances do not call for more.
* **Activations.** LeakyReLU(0.2) between layers (the AAE/DCGAN convention), linear outputs: the
  features are standardised (zero mean, unit variance per feature, fitted on the training fold)
  and the codes live on a GMM, both unbounded.
* **The GMM prior.** Reference [4] does not print its parameters. K components with means on a circle
  of radius 2 (angles 2 pi k / K, in the first two code dimensions) and standard deviation 0.5:
  neighbouring components are 5.7 standard deviations apart, so the emotions occupy separate
  regions of the code plane, as in the paper's Figure 3.
* **Label-aware prior.** Reference [4]'s code space has "one component per emotion"; the standard way
  to get that (Makhzani et al.'s AAE with label information) is what we do: the code discriminator
  gets ``[z, onehot(y)]``; its real inputs are prior samples of the component of y, its fake inputs
  the encoder's codes of utterances with emotion y.
* **Labels of generated 2-d codes.** "The GMM component yielding the highest membership": we fit one
  Gaussian per emotion (mean, full covariance, weight = class share) to the real training codes
  (`ClassGMM`) and give a generated code the emotion with the highest posterior. That follows where
  the codes actually are rather than where the prior wanted them. A generated code outside the 99 %
  ellipse of its most probable component belongs to no emotion's cluster (a GAN in mid-training
  puts some codes between the clusters, where the decoder has never been trained and the posterior,
  though near 1, says little) and is drawn again (`ClassGMM.within`).
* **cGAN noise.** The generator's noise has the AAE code's dimension and is drawn from the AAE's
  prior component of the requested emotion; that is what makes "initialise the generator with the
  decoder" meaningful: the decoder already maps component c to utterances of emotion c. The one-hot
  weights of the generator's first layer start at zero when initialised from the decoder.
* **Conditioning.** "One-hot on both sides": the first layer of the generator and of the
  discriminator sees [input, onehot] (`ConditionalMLP`, which computes it without concatenating);
  the discriminator also projects its last hidden features on a per-class vector
  (``d_cond="projection"``; why in item 2 below).
* **Losses.** Equation 2 as binary cross-entropy on logits (`discriminator_loss`: mean over the real
  and the fake half, so 0.69 = ln 2 at equilibrium), and the non-saturating generator loss
  ``-log D(G(z))`` (`generator_loss`, also ln 2 at equilibrium) that the GAN papers use in practice.
* **Learning rates and steps.** Baseline: Adam(1e-4, beta1 0.5) for both players, one generator step
  per discriminator step. Improved: generator 1e-3, discriminator 1e-4 (as printed), five generator
  steps per discriminator step, full-batch (item 3 below). An *epoch* is one pass of the real
  training rows through the discriminator (n / batch discriminator steps).
* **AAE learning rates.** Adam 1e-3 for all three phases. With the GAN-usual 2e-4 for the
  regularisation phase the reconstruction won: after 60 epochs the training codes of all four
  emotions still overlapped around the origin (an RBF SVM on them: 66 % UAR on the *training*
  rows); at 1e-3 each emotion sits on its own component (100 %).
* **Budget.** Not given. Defaults: AAE 60 epochs, vanilla GANs 100 epochs (2-d) / 100 (1582-d), cGAN
  100 epochs, batch 64. Chosen so that one fold of Table 1 trains in under a minute on one idle CPU
  core. The loss curves settle, but settled losses are not learned data: see the next section.

Do the cGAN presets learn the data? (issue 17, second pass: three fixes and a selection)
------------------------------------------------------------------------------------------
Measured with the "learned the data" gate (`labkit.metrics.gate`) on the embedded corpus (default
``synthetic``, anger/happiness/sadness/neutral, IS10, LOSO fold 0: 360 standardised training rows;
the gate's own held-out accuracy on them, a speaker-grouped CV, is 72 %, so fidelity must reach
54 %), one seed, one generated row per training row (``benchmarks/diag_sahu_cgan.py``, which prints
the gate per epoch through the ``on_epoch`` hook). What was checked and found right: the features
are standardised on the training fold before every model; G's output is linear and D sees the
standardised rows; the 5:1 loop detaches the fakes in the D step, and each optimiser steps only its
own player's parameters; the losses have the right signs; the GMM noise is drawn from the component
of the row's own emotion and the same one-hot goes to G and D; `init_from_decoder` copies every
layer (G equals the decoder at epoch 0). What was wrong, and what changed:

1. **The baseline generator started at a tenth of the data's scale** ("std 0.10"). PyTorch's default
   initialisation (uniform +-1/sqrt(fan_in)) shrinks the variance about threefold per layer, so the
   random 2 -> 64 -> 128 -> 1582 generator starts with output std 0.11 against rows of std 1, and
   Adam at 1e-4 moves it too slowly to recover (std 0.13 after 100 epochs, every row near the
   origin). The paper says only "randomly initialize"; ``g_init="unit"`` (He initialisation with
   unit-variance outputs, `ConditionalMLP.unit_init`) starts it at std 0.75-0.98. Preset ``baseline``.
2. **The discriminator hardly read the class.** Its one-hot enters the first layer next to 1582
   features: at initialisation its weights move a hidden unit by ~0.025 where the features move it by
   ~1, and Adam steps every weight alike, so the feature path outgrows it ~40-fold. Rows of the wrong
   emotion fooled it: the baseline's fidelity sat at 0-25 % (chance 25 %). The paper says only that
   the class is "provided as one-hot encoded vectors"; ``d_cond="projection"`` also feeds the one-hot
   to a projection on D's last hidden features (Miyato & Koyama 2018: D(x, c) = out(phi) + <E c,
   phi>, E starting at 0, stepped by D's optimiser). Every preset (the ablation stays one change at
   a time). With 1 and 2 the baseline's fidelity rises to 46-50 % by epochs 80-120.
3. **The improved generator outran its discriminator within the first epoch.** Adam's step is about
   lr per weight whatever the gradient's size, so at 1e-3 each of the decoder's 128 x 1582 output
   weights moves 1e-3 per step in the sign the (slow, nearly linear) discriminator gives, and every
   feature moves ~0.1-0.2 standard deviations per generator step; with batches of 64 an epoch is 6
   discriminator and 30 generator steps: precision 0.00 and C2ST 1.00 after epoch 1, std 12 after 5,
   27 after 10 (plain SGD at the same rates instead moves nothing: G stays the decoder through 100
   epochs, D at d_real = d_fake = 0.53; not a trained cGAN). The paper gives no batch size; preset
   ``improved`` trains **full-batch** (``batch_size=4096``: one D step and five G steps per epoch on
   corpora up to 4096 training rows), which makes an epoch five generator steps and lets the gate
   see them.
4. **Model selection by the gate on the training rows** (`labkit.trainers.sahu.GateSelection`, run
   by the reproduction): after each of a cGAN's first 10 epochs, then every ``--select-every`` (10),
   the generator is gated against the fold's *training* rows (no test row is used); the weights of
   the last epoch that passed are kept, and training stops after 3 failed checks that follow a pass.
   Epoch 0 (the untouched decoder) is never a candidate: a cGAN that never passes keeps its last
   epoch and its table verdict reads "inconclusive".

Gate per epoch after these changes (fold 0, seed 0; fidelity / C2ST / precision / spread; std of the
rows):

* ``improved``: epoch 0 (the decoder, not a candidate) 0.96 / 0.75 / 1.00 / 0.41, std 0.60;
  **epoch 1 passes** 0.95 / 0.78 / 1.00 / 0.43, std 0.66; **epoch 2 passes** 0.89 / 0.92 / 0.95 /
  0.47, std 0.82; epoch 3 fails 0.87 / 1.00 / 0.59 / 0.50 (C2ST); epoch 4 0.85 / 1.00 / 0.04 /
  0.53; epochs 7-10 precision 0.00, std 1.7-2.3 (the projection starts at 0, so epochs 1-2 are the
  same with and without it). The selection keeps epoch 2: a generator *trained* for ten steps from
  the decoder, a little wider (spread 0.47 against 0.41) and still on the data. That is all the
  improved recipe gives on 360 rows: every further step leaves the data.
* ``baseline`` (He init, projection, both Adam 1e-4, 1:1, batch 64): epoch 1 0.25 / 1.00 / 0.03 /
  0.28, std 0.98; epoch 20 0.25 / 0.99 / 0.87 / 0.17 40 0.25 / 0.99 / 0.99 / 0.17; 80 0.46 /
  0.96 / 1.00 / 0.14; 120 0.50 / 0.94 / 1.00 / 0.15; 180 0.49 / 0.97 / 0.97 / 0.18. It never
  passes: the discriminator wins (D(x) 0.97-0.99, D(G(z)) 0.02-0.06 from epoch ~120) and the rows
  shrink towards their class centres (spread 0.14-0.18 < 0.25), as the paper's own Figure 4a says
  of this ablation ("a lack of convergence"). A longer budget does not reach a pass either: the rows
  widen again (spread 0.23 at 300 epochs, 0.27 at 450, 0.34 at 600-700) but leave the data as they
  do (precision 0.60 at 300, 0.22 at 450, 0.04-0.07 at 600-700; C2ST 1.00 from 300), with fidelity
  oscillating between 10 and 69 %. Other settings within the recipe tried on the same
  fold: PyTorch init at 1e-3 for both (fidelity 5-45 %, spread 0.03-0.13 through 125 epochs),
  full-batch at 1e-3 (spread 0.02-0.08 through 200), He init at 1e-3 (fidelity 0 % at 20 epochs,
  spread 0.09), He init without projection at 1e-4 (fidelity 5-22 %, spread 0.16-0.20). The first
  pass (PyTorch init, no projection) also tried spectral normalisation of D, outside the recipe
  (std 0.07-0.12 through 200 epochs). What is left outside the printed recipe (a gradient penalty,
  minibatch discrimination against the collapse) is untried.

Note also: any generator drawing from a 2-D code (all of this paper's) puts its rows on a 2-D sheet
of the 1582-d space, so its k-NN recall is 0 by construction (the AAE's own reconstructions: recall
0.00); the gate therefore judges spread, not recall.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from labkit.errors import LabkitError
from labkit.utils import config_from

# The paper's four IEMOCAP classes (happy + excited merged), in labkit's canonical names.
EMOTIONS = ("anger", "happiness", "sadness", "neutral")


# ---------------------------------------------------------------------------------------------------
# Configs


@dataclass
class AAEConfig:
    """The 2-D adversarial autoencoder of reference [4] and its training budget."""

    n_features: int = 1582  # D: input features (IS10 / emobase2010: 1582)
    n_classes: int = 4  # K: emotions = GMM components of the prior
    code_dim: int = 2  # Z: code size ("2D code vectors")
    hidden: tuple[int, ...] = (128, 64)  # encoder hidden widths; the decoder uses them reversed
    code_disc_hidden: tuple[int, ...] = (64, 64)  # hidden widths of the discriminator on [z, onehot]
    prior_radius: float = 2.0  # distance of every GMM component's mean from the origin
    prior_std: float = 0.5  # standard deviation of every GMM component (isotropic)
    negative_slope: float = 0.2  # LeakyReLU slope
    epochs: int = 60  # passes over the training rows
    batch_size: int = 64  # minibatch size
    lr: float = 1e-3  # Adam step of the reconstruction phase (encoder + decoder)
    lr_adv: float = 1e-3  # Adam step of the regularisation phase (code discriminator, encoder as generator)
    beta1: float = 0.5  # Adam beta_1 of every optimiser
    seed: int = 0  # initialisation, shuffling and prior draws

    def to_dict(self) -> dict:
        return _to_dict(self)


@dataclass
class GANConfig:
    """A vanilla (unconditional) GAN: Gaussian noise -> data."""

    data_dim: int = 2  # dimension of the data the GAN learns (2: AAE codes; 1582: IS10 features)
    noise_dim: int = 2  # noise size; N(0, I) as in the paper ("zero mean unit variance")
    g_hidden: tuple[int, ...] = (64, 64)  # generator hidden widths
    d_hidden: tuple[int, ...] = (64, 64)  # discriminator hidden widths (the paper: two hidden layers)
    negative_slope: float = 0.2  # LeakyReLU slope
    epochs: int = 100  # passes over the training rows
    batch_size: int = 64  # minibatch size
    lr_g: float = 2e-4  # generator Adam step
    lr_d: float = 2e-4  # discriminator Adam step
    beta1: float = 0.5  # Adam beta_1
    seed: int = 0  # initialisation, shuffling and noise

    def to_dict(self) -> dict:
        return _to_dict(self)


@dataclass
class CGANConfig:
    """The conditional GAN of Section 3.2.2 on the 1582-d features."""

    n_features: int = 1582  # D: generated feature dimension
    n_classes: int = 4  # K: emotions (one-hot conditioning and GMM components)
    code_dim: int = 2  # Z: noise size, = the AAE's code size so the decoder can initialise G
    g_hidden: tuple[int, ...] = (64, 128)  # generator hidden widths (= the AAE decoder's)
    d_hidden: tuple[int, ...] = (128, 64)  # discriminator hidden widths
    prior_radius: float = 2.0  # GMM noise: as the AAE's prior
    prior_std: float = 0.5  # GMM noise: as the AAE's prior
    negative_slope: float = 0.2  # LeakyReLU slope
    init_from_decoder: bool = False  # start G from a trained AAE decoder (Figure 4b/c) instead of random
    d_cond: str = "input"  # how D reads the one-hot: "input" (first layer only) or "projection" (also <E c, phi(x)>)
    g_init: str = "torch"  # random init of G: "torch" (PyTorch's default: output std ~0.1) or "unit" (He: std ~1)
    lr_g: float = 1e-4  # generator Adam step
    lr_d: float = 1e-4  # discriminator Adam step
    g_steps: int = 1  # generator steps per discriminator step (improved: 5)
    beta1: float = 0.5  # Adam beta_1
    optimizer: str = "adam"  # "adam" (Adam(lr, (beta1, 0.999))) or "sgd" (plain SGD, lr, no momentum)
    epochs: int = 100  # passes of the real rows through the discriminator
    batch_size: int = 64  # minibatch size
    seed: int = 0  # initialisation, shuffling and noise

    def to_dict(self) -> dict:
        return _to_dict(self)


def _to_dict(cfg) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(cfg).items()}


def _with(cls, base: dict, overrides: dict, what: str):
    cfg = config_from(cls, what, base, {k: (tuple(v) if isinstance(v, list) else v) for k, v in overrides.items()})
    for name in ("epochs", "batch_size"):
        if int(getattr(cfg, name)) < 1:
            raise LabkitError(f"{what}: {name} must be at least 1, got {getattr(cfg, name)}")
    return cfg


# ---------------------------------------------------------------------------------------------------
# Presets

GAN_PRESETS: dict[str, dict] = {
    # Section 3.2.1, second attempt: the GAN learns the AAE's 2-d codes (it converges).
    "gan2d": dict(data_dim=2, noise_dim=2, g_hidden=(64, 64), d_hidden=(64, 64), epochs=100),
    # Section 3.2.1, first attempt: 2-d noise -> 1582-d features (the paper: never converges).
    "gan1582": dict(data_dim=1582, noise_dim=2, g_hidden=(64, 128), d_hidden=(128, 64), epochs=100),
}

CGAN_PRESETS: dict[str, dict] = {
    # Figure 4a: random initialisation (He, unit-variance outputs), equal learning rates, 1:1 updates.
    "baseline": dict(init_from_decoder=False, g_init="unit", lr_g=1e-4, lr_d=1e-4, g_steps=1, d_cond="projection"),
    # Figure 4b: the generator starts from the AAE decoder; otherwise the baseline.
    "pretrained": dict(init_from_decoder=True, lr_g=1e-4, lr_d=1e-4, g_steps=1, d_cond="projection"),
    # Figure 4c, "improved conditional GAN": decoder init, generator lr 1e-3 vs 1e-4, five G steps per D step;
    # full-batch (one D step and five G steps per epoch, up to 4096 training rows): see "Model selection".
    "improved": dict(init_from_decoder=True, lr_g=1e-3, lr_d=1e-4, g_steps=5, batch_size=4096, d_cond="projection"),
}
# The version of the presets' recipe a reproduction run records (its identity): 2 = the improved preset is
# full-batch and runs select their cGAN epochs by the gate (issue 17); runs without the key used version 1.
CGAN_RECIPE = 2


def make_aae_config(**overrides) -> AAEConfig:
    """An `AAEConfig` with field overrides (unknown fields raise a LabkitError)."""
    return _with(AAEConfig, {}, overrides, "AAE")


def make_gan_config(preset: str = "gan2d", **overrides) -> GANConfig:
    """A `GANConfig` from a preset of `GAN_PRESETS` and field overrides."""
    if preset not in GAN_PRESETS:
        raise LabkitError(f"unknown GAN preset {preset!r}; choose one of {', '.join(GAN_PRESETS)}")
    return _with(GANConfig, GAN_PRESETS[preset], overrides, "GAN")


def make_cgan_config(preset: str = "improved", **overrides) -> CGANConfig:
    """A `CGANConfig` from a preset of `CGAN_PRESETS` (the ablations of Figure 4) and field overrides."""
    if preset not in CGAN_PRESETS:
        raise LabkitError(f"unknown cGAN preset {preset!r}; choose one of {', '.join(CGAN_PRESETS)}")
    cfg = _with(CGANConfig, CGAN_PRESETS[preset], overrides, "cGAN")
    if int(cfg.g_steps) < 1:
        raise LabkitError(f"cGAN: g_steps must be at least 1, got {cfg.g_steps}")
    return cfg


def cgan_config_for(aae: AAEConfig, preset: str = "improved", **overrides) -> CGANConfig:
    """The cGAN config matching a trained AAE (same features, classes, code size, prior, decoder widths)."""
    tied = dict(
        n_features=aae.n_features,
        n_classes=aae.n_classes,
        code_dim=aae.code_dim,
        g_hidden=tuple(reversed(aae.hidden)),
        prior_radius=aae.prior_radius,
        prior_std=aae.prior_std,
        negative_slope=aae.negative_slope,
    )
    return make_cgan_config(preset, **{**tied, **overrides})


# ---------------------------------------------------------------------------------------------------
# Modules


def mlp(sizes: list[int], negative_slope: float = 0.2) -> nn.Sequential:
    """Linear layers of `sizes` with LeakyReLU between them and a linear output."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(negative_slope))
    return nn.Sequential(*layers)


class GMMPrior(nn.Module):
    """K isotropic Gaussians N(mu_k, std^2 I) in Z dimensions, one per emotion.

    The means are fixed (a buffer, saved with the model): on a circle of `radius` in the first two
    dimensions, at angles 2 pi k / K.
    """

    def __init__(self, n_classes: int, dim: int, radius: float, std: float):
        super().__init__()
        if dim < 1 or n_classes < 1:
            raise LabkitError(f"GMMPrior needs dim >= 1 and n_classes >= 1, got {dim} and {n_classes}")
        angles = torch.arange(n_classes, dtype=torch.float32) * (2 * math.pi / n_classes)
        means = torch.zeros(n_classes, dim)
        means[:, 0] = radius * torch.cos(angles)
        if dim > 1:
            means[:, 1] = radius * torch.sin(angles)
        self.register_buffer("means", means)  # (K, Z)
        self.std = float(std)

    def sample(self, labels: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """One draw from the component of each label: labels (B,) long -> z (B, Z), on the labels' device."""
        mu = self.means[labels]  # (B, Z)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + self.std * eps


class AAE(nn.Module):
    """Encoder, decoder, label-aware code discriminator and GMM prior of the 2-D AAE."""

    def __init__(self, cfg: AAEConfig):
        super().__init__()
        self.cfg = cfg
        s = cfg.negative_slope
        self.encoder = mlp([cfg.n_features, *cfg.hidden, cfg.code_dim], s)  # (B, D) -> (B, Z)
        self.decoder = mlp([cfg.code_dim, *reversed(cfg.hidden), cfg.n_features], s)  # (B, Z) -> (B, D)
        self.code_disc = mlp([cfg.code_dim + cfg.n_classes, *cfg.code_disc_hidden, 1], s)  # (B, Z+K) -> (B, 1)
        self.prior = GMMPrior(cfg.n_classes, cfg.code_dim, cfg.prior_radius, cfg.prior_std)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def critic(self, z: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
        """Real/fake logit of codes z (B, Z) given their emotions (B, K) -> (B,)."""
        return self.code_disc(torch.cat([z, onehot], dim=1)).squeeze(1)


class GAN(nn.Module):
    """Vanilla GAN: generator N(0, I) noise -> data, discriminator data -> real/fake logit."""

    def __init__(self, cfg: GANConfig):
        super().__init__()
        self.cfg = cfg
        self.generator = mlp([cfg.noise_dim, *cfg.g_hidden, cfg.data_dim], cfg.negative_slope)  # (B, Z) -> (B, D)
        self.discriminator = mlp([cfg.data_dim, *cfg.d_hidden, 1], cfg.negative_slope)  # (B, D) -> (B, 1)

    def noise(self, n: int, generator: torch.Generator | None = None, device=None) -> torch.Tensor:
        device = device if device is not None else next(self.parameters()).device
        return torch.randn(n, self.cfg.noise_dim, generator=generator, device=device)

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)

    def critic(self, x: torch.Tensor) -> torch.Tensor:
        return self.discriminator(x).squeeze(1)  # (B,)


class ConditionalMLP(nn.Module):
    """An `mlp` whose first layer also sees a one-hot class, without concatenating it to the input.

    ``first(x) + cond(onehot)`` is exactly ``Linear([x, onehot])`` (weights [W_x | W_c], one bias),
    initialised like it (uniform in +-1/sqrt(D + K)); keeping W_c apart saves building a (B, D + K)
    copy of every batch, which for the discriminator's 1582-d input is a full pass over the batch in
    every forward.
    """

    def __init__(self, sizes: list[int], n_classes: int, negative_slope: float = 0.2):
        super().__init__()
        self.first = nn.Linear(sizes[0], sizes[1])  # (B, in) -> (B, H)
        self.cond = nn.Linear(n_classes, sizes[1], bias=False)  # (B, K) -> (B, H)
        bound = 1.0 / math.sqrt(sizes[0] + n_classes)
        for p in (self.first.weight, self.first.bias, self.cond.weight):
            nn.init.uniform_(p, -bound, bound)
        rest = list(mlp(sizes[1:], negative_slope)) if len(sizes) > 2 else []
        self.rest = nn.Sequential(nn.LeakyReLU(negative_slope), *rest) if rest else nn.Identity()

    def forward(self, x: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
        return self.rest(self.first(x) + self.cond(onehot))

    @torch.no_grad()
    def unit_init(self, input_scale: float, negative_slope: float) -> None:
        """He initialisation scaled so outputs have about unit variance for inputs of size `input_scale`.

        Hidden layers: N(0, 2 / ((1 + slope^2) fan_in)) (variance kept through LeakyReLU); the first
        layer divided by the input's scale (GMM codes sit at radius `input_scale`, not 1); the output
        layer N(0, 1 / fan_in) (no activation after it); biases 0. PyTorch's default (uniform
        +-1/sqrt(fan_in)) shrinks the variance by about 3 per layer: a 2 -> 64 -> 128 -> 1582
        generator starts at output std 0.1 against standardised data of std 1.
        """
        layers = self.linears()
        gain = 2.0 / (1.0 + negative_slope**2)
        for i, m in enumerate(layers):
            fan_in = m.weight.shape[1]
            var = (1.0 if i == len(layers) - 1 else gain) / fan_in
            if i == 0:
                var /= max(float(input_scale), 1.0) ** 2
            nn.init.normal_(m.weight, 0.0, math.sqrt(var))
            nn.init.zeros_(m.bias)
        nn.init.normal_(
            self.cond.weight, 0.0, math.sqrt(gain / (self.first.weight.shape[1] + self.cond.weight.shape[1]))
        )

    def linears(self) -> list[nn.Linear]:
        """The x-path's Linear layers in order (first, then the rest)."""
        return [self.first] + [m for m in self.rest.modules() if isinstance(m, nn.Linear)]


class CGAN(nn.Module):
    """Conditional GAN: G(z, onehot) -> features with z from the class's GMM component; D(x, onehot)."""

    def __init__(self, cfg: CGANConfig):
        super().__init__()
        self.cfg = cfg
        s = cfg.negative_slope
        self.generator = ConditionalMLP(
            [cfg.code_dim, *cfg.g_hidden, cfg.n_features], cfg.n_classes, s
        )  # (B, Z) -> (B, D)
        self.discriminator = ConditionalMLP([cfg.n_features, *cfg.d_hidden, 1], cfg.n_classes, s)  # (B, D) -> (B, 1)
        self.prior = GMMPrior(cfg.n_classes, cfg.code_dim, cfg.prior_radius, cfg.prior_std)
        if cfg.d_cond == "projection":
            # one row per class, dotted with D's last hidden features (Miyato & Koyama 2018); starts at 0
            self.projection = nn.Linear(cfg.n_classes, cfg.d_hidden[-1], bias=False)  # (B, K) -> (B, H)
            nn.init.zeros_(self.projection.weight)
        elif cfg.d_cond != "input":
            raise LabkitError(f"cGAN: d_cond must be 'input' or 'projection', got {cfg.d_cond!r}")
        if cfg.g_init == "unit":
            self.generator.unit_init(cfg.prior_radius, s)
        elif cfg.g_init != "torch":
            raise LabkitError(f"cGAN: g_init must be 'torch' or 'unit', got {cfg.g_init!r}")

    def noise(self, labels: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.prior.sample(labels, generator)  # (B, Z)

    def generate(self, z: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
        return self.generator(z, onehot)  # (B, D)

    def critic(self, x: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
        if self.cfg.d_cond != "projection":
            return self.discriminator(x, onehot).squeeze(1)  # (B,)
        d = self.discriminator
        layers = list(d.rest)
        phi = nn.Sequential(*layers[:-1])(d.first(x) + d.cond(onehot))  # (B, H): last hidden features
        return (layers[-1](phi) + (self.projection(onehot) * phi).sum(1, keepdim=True)).squeeze(1)  # (B,)

    @torch.no_grad()
    def init_from_decoder(self, decoder: nn.Sequential) -> None:
        """Copy an AAE decoder into the generator; the one-hot weights start at 0.

        The decoder maps a code z (Z) to features; the generator maps (z, onehot). Both have the same
        widths, so every Linear layer of the decoder is copied into the generator's z-path and the
        class weights are zero: at the start G(z, c) = Decoder(z) for every emotion c.
        """
        mine = self.generator.linears()
        theirs = [m for m in decoder if isinstance(m, nn.Linear)]
        shapes = [tuple(m.weight.shape) for m in theirs]
        want = [tuple(m.weight.shape) for m in mine]
        if shapes != want:
            raise LabkitError(
                f"cannot initialise the cGAN generator from this decoder: its layers are {shapes}, "
                f"the generator needs {want} (make the cGAN with cgan_config_for(aae_config))"
            )
        for g, d in zip(mine, theirs):
            g.weight.copy_(d.weight)
            g.bias.copy_(d.bias)
        self.generator.cond.weight.zero_()


# ---------------------------------------------------------------------------------------------------
# Losses (Equation 2)


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy with target 1 for real and 0 for fake, averaged over both halves."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return 0.5 * (real + fake)


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss -log D(G(z)): BCE of the fakes against target 1."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def reconstruction_loss(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Mean squared error of the autoencoder's reconstruction (standardised features)."""
    return F.mse_loss(x_hat, x)


EQUILIBRIUM = math.log(2.0)  # both losses at D(x) = D(G(z)) = 1/2


# ---------------------------------------------------------------------------------------------------
# Labels of generated codes


class ClassGMM:
    """One Gaussian per emotion fitted to labelled codes; a code's label is the most probable component.

    Parameters of `fit`: codes (n, Z), labels (n,) ints 0..K-1. Covariances get `reg` added on the
    diagonal, so a class with a single code still has a proper (isotropic) component.
    """

    def __init__(self, reg: float = 1e-3):
        self.reg = reg

    def fit(self, codes: np.ndarray, labels: np.ndarray, n_classes: int) -> "ClassGMM":
        codes = np.asarray(codes, dtype=np.float64)
        labels = np.asarray(labels)
        dim = codes.shape[1]
        self.means_ = np.zeros((n_classes, dim))
        self.covs_ = np.tile(np.eye(dim), (n_classes, 1, 1))
        self.log_weights_ = np.full(n_classes, -np.inf)
        for k in range(n_classes):
            part = codes[labels == k]
            if len(part) == 0:
                continue
            self.means_[k] = part.mean(axis=0)
            cov = np.cov(part, rowvar=False) if len(part) > 1 else np.zeros((dim, dim))
            self.covs_[k] = np.atleast_2d(cov) + self.reg * np.eye(dim)
            self.log_weights_[k] = math.log(len(part) / len(codes))
        return self

    def log_posterior(self, codes: np.ndarray) -> np.ndarray:
        """Unnormalised log posterior of every component: (n, K)."""
        from scipy.stats import multivariate_normal

        codes = np.asarray(codes, dtype=np.float64)
        out = np.full((len(codes), len(self.means_)), -np.inf)
        for k in range(len(self.means_)):
            if np.isfinite(self.log_weights_[k]):
                out[:, k] = (
                    multivariate_normal(self.means_[k], self.covs_[k], allow_singular=True).logpdf(codes)
                    + self.log_weights_[k]
                )
        return out

    def predict(self, codes: np.ndarray) -> np.ndarray:
        """The most probable component of each code: (n,) ints."""
        return np.argmax(self.log_posterior(codes), axis=1)

    def within(self, codes: np.ndarray, labels: np.ndarray, quantile: float = 0.99) -> np.ndarray:
        """True where a code lies inside the `quantile` ellipse of its component: (n,) bools.

        The squared Mahalanobis distance to the component is compared with the chi-square quantile
        (Z degrees of freedom): 9.21 for 2-d codes at 0.99.
        """
        from scipy.stats import chi2

        codes = np.asarray(codes, dtype=np.float64)
        labels = np.asarray(labels, dtype=int)
        diff = codes - self.means_[labels]  # (n, Z)
        prec = np.linalg.inv(self.covs_)[labels]  # (n, Z, Z)
        d2 = np.einsum("ni,nij,nj->n", diff, prec, diff)
        return d2 <= chi2.ppf(quantile, df=codes.shape[1])


# ---------------------------------------------------------------------------------------------------
# Inspection


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def describe() -> str:
    """Parameter counts of the default models (what the notebook prints)."""
    aae, g2, g1582 = AAE(AAEConfig()), GAN(make_gan_config("gan2d")), GAN(make_gan_config("gan1582"))
    cgan = CGAN(cgan_config_for(AAEConfig()))
    return "\n".join(
        [
            f"AAE          encoder {count_parameters(aae.encoder):>9,}  decoder {count_parameters(aae.decoder):>9,}  "
            f"code critic {count_parameters(aae.code_disc):>7,}",
            f"GAN 2-d      generator {count_parameters(g2.generator):>7,}  discriminator {count_parameters(g2.discriminator):>9,}",
            f"GAN 1582-d   generator {count_parameters(g1582.generator):>7,}  discriminator "
            f"{count_parameters(g1582.discriminator):>9,}",
            f"cGAN         generator {count_parameters(cgan.generator):>7,}  discriminator "
            f"{count_parameters(cgan.discriminator):>9,}",
        ]
    )


__all__ = [
    "EMOTIONS",
    "AAEConfig",
    "GANConfig",
    "CGANConfig",
    "GAN_PRESETS",
    "CGAN_PRESETS",
    "CGAN_RECIPE",
    "make_aae_config",
    "make_gan_config",
    "make_cgan_config",
    "cgan_config_for",
    "mlp",
    "GMMPrior",
    "AAE",
    "GAN",
    "ConditionalMLP",
    "CGAN",
    "discriminator_loss",
    "generator_loss",
    "reconstruction_loss",
    "EQUILIBRIUM",
    "ClassGMM",
    "count_parameters",
    "describe",
]
