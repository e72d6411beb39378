"""AAEC: an adversarial-autoencoder-based classifier (Fu, Shi, Liu, Ishi, Ishiguro; MuSe 2020).

One file holds the whole model: the config dataclass, the four modules of Section 3.2 (Encoder,
Decoder, Discriminator, Classifier), Equation (1) (how the augmented sample X' is made), the loss
terms of Equation (2), the input scaling, the `paper` and `small` size presets and the paper's five
configurations (Table 1). The training loop (Algorithm 1) lives in `labkit.trainers.aaec`.

Shapes: B batch, T spectrogram frames, F frequency bins (513 for FFT 1024), H GRU cells, Z code size.

Choices where the paper is vague (and why)
------------------------------------------
* Decoder output size. The paper's last decoder layer has 38400 units, which is not 15 s x 513 bins
  at hop 512 (469 x 513 = 240597); it matches neither its own preprocessing nor any obvious framing.
  We size the decoder's output to ``n_frames * n_bins`` of the input, so X' has X's shape.
* Frequency resolution. The `small` preset averages groups of 4 FFT bins (513 -> 129 bins) before
  anything else (`pool_frequency`), which makes a CPU iteration about three times cheaper; `paper`
  keeps all 513 bins.
* GRU summary. The encoder's and classifier's bidirectional GRU feed dense layers; we use the last
  hidden state of each direction (concatenated, 2H), the usual sequence summary.
* Convolutions run over time with the F frequency bins as input channels (Conv1d), padded to keep T
  ("same"), ReLU after each; the paper gives filters, kernels and strides only.
* Activations. LeakyReLU(0.2) between the dense layers of the autoencoder and discriminator (the AAE
  and DCGAN convention), ReLU in the classifier; Z and the decoder's output are linear because Z is
  matched to N(0, I) and the decoder's output is a standardised log spectrogram (both unbounded).
* Input scaling. Power spectrograms span ten and more decades, which no dense decoder can fit as is.
  Every module sees ``(log(P + log_eps) - mean_f) / std_f``: log power floored at `log_eps` (so the
  zero padding of short utterances and digital silence share one floor value rather than -inf),
  then standardised per frequency bin with mean and std fitted on the TRAINING split only
  (`SpectrogramScaler`). The paper feeds "the power spectrogram" without saying how it is scaled.
* Reconstruction. Equation (2) has no reconstruction term, yet the paper calls X' "the
  reconstructed sample of X" and builds on the AAE, whose encoder and decoder minimise the
  reconstruction error. Without it Z would carry nothing of X. We therefore add a mean squared
  reconstruction error ``|Decoder(Z) - X|^2`` to the encoder's and the decoder's phases.
* Equation (2) as losses. The min-max objective is written with log-likelihoods whose signs mix
  maximised and minimised terms; as usual it is trained as binary/categorical cross-entropies, with
  the non-saturating form for the players that try to fool (the encoder fools D: BCE(D(Z), real);
  the decoder fools C_d: BCE(C_d(X'), real)) and plain cross-entropy for the class heads on both X
  and X' (a reconstruction keeps its original's labels).
* Learning rate. Algorithm 1 prints ``Adam(lr = .2e-4, beta_1 = 0.5)``; read literally that is 2e-5,
  but together with beta_1 = 0.5 it is the standard GAN setting 2e-4 (Radford et al.), which we use;
  the fine-tuning ``SGD(lr = .5e-5)`` is 5e-6 as printed (a step that small moves the classifier
  very little in a few epochs; we keep it as printed). Both are config fields. The `small` preset
  uses a larger Adam step, see `PRESETS`.
* Who fools C_d. Section 3: "Encoder, Decoder is trained to maximally confuse D and C_d". The decoder
  fools C_d directly (its phase); the encoder can only reach C_d through the decoder, so in the
  Encoder + Discriminator phase the encoder also minimises ``fool_loss(C_d(X'))`` with X' made from
  its own codes through the current (not updated) decoder. That is ``encoder_fools_classifier``, on by
  default because the paper says so; it costs one classifier forward/backward per encoder step.
  It applies only where C is a player (AAEC, AAE_C, AAEC'), not in AAE+C (players D, G).
* AAE+C's second stage. Table 1 lists AAE+C's players as D and G: the classifier takes no part in the
  adversarial game, it is "trained on the augmented data" afterwards. So its second stage trains the
  class heads C_c on X and X' (X' with X's labels) and never the real/fake head C_d; X' comes from the
  final, frozen autoencoder with fresh noise E in every batch.
* Mixed precision. On CUDA every phase runs under bf16 autocast (bf16 has fp32's exponent range, so
  no loss scaling is needed); the GRUs run in fp32 inside it (cuDNN's RNN kernels lacked bf16 before
  cuDNN 9.13, and a 64-cell recurrence gains little from it). On the CPU everything is fp32.
* Class balance (``balanced_classes``, not in the paper). Table 1's MuSe-Topic classes are roughly
  balanced; the categorical corpora mapped to valence are not (4 of EMO-DB's 7 categories are
  negative), and with plain cross-entropy every configuration learnt to predict the majority valence
  class (UAR at chance), which says nothing about augmentation. The ``small`` preset therefore
  weights the class terms by inverse class frequency of the training split; ``paper`` keeps the
  unweighted loss. Switch it with ``--balanced / --no-balanced`` on `labkit reproduce`.

The `small` preset and the "learned the data" gate (measured)
-------------------------------------------------------------
``labkit reproduce aaec-table1`` gates every generating configuration's X' against the training
frames (`labkit.metrics.gate`; how, in `labkit.reproductions.aaec`). On the embedded corpus the
small preset's AAEC fails it. Measured with ``OMP_NUM_THREADS=1 python benchmarks/diag_aaec_gate.py
--out aaec.json`` (split seed 0: 490 training utterances of 7 speakers; training seed 0; the gate's
linear SVC reaches 0.56 on held-out real speakers, chance 0.29, so the fidelity mark is 0.42):

* AAEC never passes. After its 25 iterations X' has fidelity 0.22 (below chance), C2ST AUC 1.00,
  precision 0.17, spread 0.35 (fails fidelity, C2ST, precision); at iterations 1, 5, 10, 15, 20
  fidelity was 0.26, 0.21, 0.15, 0.14, 0.15 and C2ST 0.96-1.00. Z learns little of X: the
  encoder's reconstruction error (standardised MSE) is 0.99 at iteration 25 (1.00 at the start), the
  decoder's 0.84, while the encoder's fool-C_d term has risen to 2.08.
* Not the budget, and not a decoder that can only regress to the mean. The same autoencoder
  without the classifier in the game (AAE+C's generator: ``--config AAE+C --ae-only --set
  iterations=200 --every 25``, read up to iteration 75), with the same 25 iterations of K1 = K2 = 1,
  reconstructs to 0.50 and its X' passes: fidelity 0.44, C2ST 0.80, precision 1.00, spread 0.37
  (Decoder(Z) alone: 0.50, 0.75, 1.00, 0.52). Trained on, it drops below the fidelity mark: X'
  fidelity 0.38 at iteration 50 and 0.35 at 75 (reconstruction 0.45-0.47), while Decoder(Z) alone
  keeps passing (0.49, 0.48): Decoder(E), which knows no class, spreads wider as it trains (spread
  0.52, 0.84, 0.93 at 25, 50, 75) and its half of the average (Eq. 1) dilutes the class of X'. And
  PCA-k reconstructions of the training frames (``--pca``; the best linear autoencoder with a k-d
  code) pass for k = 8, 32 and 128 on split seeds 0 and 1 (spread 0.67-0.95, fidelity 0.53-0.94),
  where rows collapsed onto their class means fail (spread 0.00).

* Not (only) the encoder fooling C_d (our reading, ``encoder_fools_classifier``): without it
  (``--set encoder_fools_classifier=False --every 25``) X' still fails after 25 iterations (fidelity
  0.21, C2ST 1.00, precision 0.29, spread 0.45), with reconstruction errors 0.85 (encoder) and 0.90
  (decoder).
* A heavier reconstruction term (``rec_weight``, our addition to Eq. 2; ``--set rec_weight=10.0
  --every 25``) rescues Decoder(Z): after 25 iterations (reconstruction 0.60 / 0.53) it passes
  (fidelity 0.48, C2ST 0.85, precision 1.00, spread 0.53). X' still fails, narrowly (fidelity 0.40,
  C2ST 0.984), because its other half, Decoder(E), lies off the data (C2ST 1.00, precision 0.055):
  D still tells Z from E easily (the encoder's fool-D loss 2.43), so the prior's E are codes the
  decoder never learnt to reconstruct. More iterations do not change that (``--set rec_weight=10.0
  --set iterations=100 --every 25``): at 50 and 75 Decoder(Z) passes and X' fails on C2ST (0.989,
  0.988) and precision (0.33, 0.31; at 50 also on fidelity, 0.36); Decoder(E)'s precision is 0.027, 0.041.

So the classifier's part of the game is what breaks AAEC's generator in the small preset: the
decoder's reconstruction loses against its terms for C (keep X's class under C_c, fool C_d), which
X' can satisfy off the data (no mode collapse: Dec(E)'s spread reaches 0.68; X' lie off the data and
an independent classifier puts them in the wrong classes). Table 1's verdict on the small preset is
therefore inconclusive, by the gate, for AAEC itself.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from labkit.errors import LabkitError
from labkit.features.aaec import SpectrogramScaler, pool_frequency  # noqa: F401 (moved there; names kept here)
from labkit.utils import config_from


@dataclass
class AAECConfig:
    """Sizes of the four modules, the configuration switches of Table 1 and Algorithm 1's budget."""

    # --- input (set from the data by the trainer)
    n_frames: int = 469  # T: spectrogram frames per utterance (15 s at 16 kHz, hop 512 -> 469)
    n_bins: int = 513  # F: frequency bins per frame the modules see (FFT 1024 -> 513; / freq_pool)
    freq_pool: int = 1  # average this many adjacent FFT bins into one before the log (1: the paper's 513)
    max_seconds: float = 15.0  # utterances are cut / zero-padded to this length before the FFT
    log_eps: float = 1e-6  # floor added to power before the log (see "Input scaling" above)
    # --- encoder: BiGRU over frames, then dense layers down to Z
    gru_cells: int = 64  # cells per direction of the encoder's and the classifier's bidirectional GRU
    enc_dense: tuple[int, ...] = (512, 256)  # hidden dense layers after the encoder's GRU
    z_dim: int = 128  # size of the code Z (the encoder's last dense layer, 128 in the paper)
    # --- decoder: dense layers from Z (or noise E) to a whole spectrogram
    dec_dense: tuple[int, ...] = (64, 64)  # hidden dense layers; the output layer has n_frames * n_bins units
    # --- discriminator on Z: dense layers down to one real/fake logit
    disc_dense: tuple[int, ...] = (512, 256)  # hidden dense layers; then 1 unit
    # --- classifier: Conv1d stack over time, BiGRU, three dense heads
    conv_filters: tuple[int, ...] = (512, 256, 128)  # filters of the three conv layers
    conv_kernels: tuple[int, ...] = (3, 1, 3)  # their kernel sizes (stride 1, "same" padding)
    head_dense: tuple[int, ...] = (512, 32)  # hidden dense layers of each head (real/fake, arousal, valence)
    n_arousal: int = 3  # arousal classes (low / medium / high)
    n_valence: int = 3  # valence classes (negative / neutral / positive)
    # --- configuration switches (Table 1)
    augment: bool = True  # train an autoencoder and feed its samples to the classifier (False: "Classifier")
    use_discriminator: bool = True  # the discriminator D on Z (False: "AAE_C")
    decoder_mode: str = "average"  # "average": X' = avg(Dec(E), Dec(Z)) (Eq. 1); "code": X' = Dec(Z) (AAEC')
    classifier_in_loop: bool = True  # train C inside Algorithm 1's loop (False: "AAE+C", C trained afterwards)
    # --- Algorithm 1
    iterations: int = 500  # total training iterations
    k1: int = 10  # epochs of Encoder + Discriminator training per iteration
    k2: int = 20  # epochs of Decoder training per iteration
    k3: int = 20  # epochs of Classifier training per iteration
    batch_size: int = 32  # minibatch size (not given in the paper)
    lr: float = 2e-4  # Adam learning rate for every player (see "Learning rate" above)
    beta1: float = 0.5  # Adam beta_1
    finetune_lr: float = 5e-6  # SGD learning rate of the final fine-tuning on the original data
    finetune_epochs: int = 5  # epochs of that fine-tuning (not given in the paper)
    rec_weight: float = 1.0  # weight of the reconstruction error (our addition, see above)
    adv_weight: float = 1.0  # weight of the fool-the-critic terms (encoder vs D, decoder vs C_d)
    cls_weight: float = 1.0  # weight of the decoder's keep-the-class term C_c(X')
    encoder_fools_classifier: bool = True  # the encoder also fools C_d through the decoder (Section 3; see above)
    balanced_classes: bool = False  # weight class terms by inverse training-class frequency (see above)
    mixed_precision: bool = True  # bf16 autocast on CUDA (no loss scaler); ignored on CPU (fp32)
    seed: int = 0  # seeds initialisation, shuffling and the noise E

    def __post_init__(self) -> None:
        if self.decoder_mode not in ("average", "code"):
            raise LabkitError(f"decoder_mode must be 'average' or 'code', not {self.decoder_mode!r}")
        if len(self.conv_filters) != len(self.conv_kernels):
            raise LabkitError(f"conv_filters {self.conv_filters} and conv_kernels {self.conv_kernels} differ in length")
        for name in ("iterations", "batch_size", "n_frames", "n_bins", "freq_pool"):
            if getattr(self, name) < 1:
                raise LabkitError(f"{name} must be at least 1, not {getattr(self, name)}")
        # Tuples survive a JSON round trip as lists; make them tuples again so configs compare equal.
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):
                object.__setattr__(self, f.name, tuple(value))

    def to_dict(self) -> dict:
        """A JSON-able dict (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> "AAECConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


# Sizes and budgets. `paper` is Section 3.2 and 4.2 as printed; `small` runs the whole Table 1 on the
# embedded corpus on a 2-core CPU in minutes (3 s utterances, 129 bins, narrower layers, K1 = K2 = K3 = 1,
# 25 iterations). Its classifier sees 25 epochs instead of the paper's 500 x 20 = 10 000, so it takes a
# larger Adam step (1e-3 instead of 2e-4); at 2e-4 it had barely left chance level after 25 epochs
# (one seed on the embedded corpus: mean Combined 0.447 at 2e-4 versus 0.482 at 1e-3).
PRESETS: dict[str, dict] = {
    "paper": dict(
        n_frames=469,
        max_seconds=15.0,
        gru_cells=64,
        enc_dense=(512, 256),
        z_dim=128,
        dec_dense=(64, 64),
        disc_dense=(512, 256),
        conv_filters=(512, 256, 128),
        conv_kernels=(3, 1, 3),
        head_dense=(512, 32),
        iterations=500,
        k1=10,
        k2=20,
        k3=20,
        batch_size=32,
        finetune_epochs=5,
    ),
    "small": dict(
        n_frames=94,
        n_bins=129,
        freq_pool=4,
        max_seconds=3.0,
        gru_cells=32,
        enc_dense=(128, 64),
        z_dim=32,
        dec_dense=(64, 64),
        disc_dense=(128, 64),
        conv_filters=(64, 32, 32),
        conv_kernels=(3, 1, 3),
        head_dense=(64, 16),
        iterations=25,
        k1=1,
        k2=1,
        k3=1,
        batch_size=64,
        lr=1e-3,
        finetune_epochs=1,
        balanced_classes=True,
    ),
}

# Table 1's five configurations as switches on top of a preset; "players" as the paper lists them.
CONFIGURATIONS: dict[str, dict] = {
    "AAEC": dict(augment=True, use_discriminator=True, decoder_mode="average", classifier_in_loop=True),
    "AAE_C": dict(augment=True, use_discriminator=False, decoder_mode="average", classifier_in_loop=True),
    "AAE+C": dict(augment=True, use_discriminator=True, decoder_mode="average", classifier_in_loop=False),
    "AAEC'": dict(augment=True, use_discriminator=True, decoder_mode="code", classifier_in_loop=True),
    "Classifier": dict(augment=False, use_discriminator=False, decoder_mode="average", classifier_in_loop=True),
}
PLAYERS = {"AAEC": "D, C, G", "AAE_C": "C, G", "AAE+C": "D, G", "AAEC'": "D, C, G_ori", "Classifier": "-"}


def make_config(preset: str = "small", configuration: str = "AAEC", **overrides) -> AAECConfig:
    """An `AAECConfig` from a size preset, one of Table 1's configurations and field overrides."""
    if preset not in PRESETS:
        raise LabkitError(f"unknown AAEC preset {preset!r}; choose one of {', '.join(PRESETS)}")
    if configuration not in CONFIGURATIONS:
        raise LabkitError(f"unknown AAEC configuration {configuration!r}; choose one of {', '.join(CONFIGURATIONS)}")
    return config_from(AAECConfig, "AAEC", PRESETS[preset], CONFIGURATIONS[configuration], overrides)


# ---------------------------------------------------------------------------------------------------
# Input scaling


# `pool_frequency` and `SpectrogramScaler` are feature transforms: they live in `labkit.features.aaec`
# (below the models, so the data preparation there can use them) and are imported above.


# ---------------------------------------------------------------------------------------------------
# Modules


def _mlp(sizes: list[int], act: type[nn.Module], final_act: bool = False) -> nn.Sequential:
    """Dense layers sizes[0] -> sizes[1] -> ... with `act` between them (and after the last if asked)."""
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2 or final_act:
            layers.append(act() if act is not nn.LeakyReLU else nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def _bigru_summary(gru: nn.GRU, x: torch.Tensor) -> torch.Tensor:
    """Run a one-layer bidirectional GRU over (B, T, C) and return its last states, (B, 2H)."""
    with torch.autocast(device_type=x.device.type, enabled=False):  # fp32 even under bf16 autocast (see above)
        _, h_n = gru(x.float())  # h_n: (2, B, H), forward direction's last step and backward direction's first
    return torch.cat([h_n[0], h_n[1]], dim=1)  # (B, 2H)


class Encoder(nn.Module):
    """X (B, T, F) -> Z (B, z_dim): BiGRU(H) over frames, then dense enc_dense..., z_dim."""

    def __init__(self, cfg: AAECConfig):
        super().__init__()
        self.gru = nn.GRU(cfg.n_bins, cfg.gru_cells, batch_first=True, bidirectional=True)
        self.dense = _mlp([2 * cfg.gru_cells, *cfg.enc_dense, cfg.z_dim], nn.LeakyReLU)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = _bigru_summary(self.gru, x)  # (B, 2H)
        return self.dense(h)  # (B, z_dim), linear: matched to N(0, I) by the discriminator


class Decoder(nn.Module):
    """Z or E (B, z_dim) -> X' (B, T, F): dense dec_dense..., T * F."""

    def __init__(self, cfg: AAECConfig):
        super().__init__()
        self.n_frames, self.n_bins = cfg.n_frames, cfg.n_bins
        self.dense = _mlp([cfg.z_dim, *cfg.dec_dense, cfg.n_frames * cfg.n_bins], nn.LeakyReLU)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        flat = self.dense(z)  # (B, T * F)
        return flat.view(-1, self.n_frames, self.n_bins)  # (B, T, F)


class Discriminator(nn.Module):
    """Z or E (B, z_dim) -> (B,) logit of "drawn from N(0, I)" (real) versus "a code Z" (fake)."""

    def __init__(self, cfg: AAECConfig):
        super().__init__()
        self.dense = _mlp([cfg.z_dim, *cfg.disc_dense, 1], nn.LeakyReLU)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.dense(z).squeeze(1)  # (B,)


class Classifier(nn.Module):
    """X (B, T, F) -> real/fake logit (B,), arousal logits (B, 3), valence logits (B, 3).

    Conv1d layers over time (F bins as channels), a BiGRU, then three independent dense heads:
    C_d (real or reconstructed) and C_c (arousal, valence).
    """

    def __init__(self, cfg: AAECConfig):
        super().__init__()
        convs: list[nn.Module] = []
        channels = cfg.n_bins
        for filters, kernel in zip(cfg.conv_filters, cfg.conv_kernels):
            convs += [nn.Conv1d(channels, filters, kernel, stride=1, padding=kernel // 2), nn.ReLU()]
            channels = filters
        self.conv = nn.Sequential(*convs)
        self.gru = nn.GRU(channels, cfg.gru_cells, batch_first=True, bidirectional=True)
        self.head_realfake = _mlp([2 * cfg.gru_cells, *cfg.head_dense, 1], nn.ReLU)
        self.head_arousal = _mlp([2 * cfg.gru_cells, *cfg.head_dense, cfg.n_arousal], nn.ReLU)
        self.head_valence = _mlp([2 * cfg.gru_cells, *cfg.head_dense, cfg.n_valence], nn.ReLU)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The shared penultimate representation: (B, T, F) -> (B, 2H), before the heads split."""
        h = self.conv(x.transpose(1, 2))  # (B, F, T) -> (B, C, T)
        return _bigru_summary(self.gru, h.transpose(1, 2))  # (B, T, C) -> (B, 2H)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.embed(x)  # (B, 2H)
        return self.head_realfake(h).squeeze(1), self.head_arousal(h), self.head_valence(h)  # (B,), (B, 3), (B, 3)


class AAEC(nn.Module):
    """The four players. `discriminator` is None without D (AAE_C); encoder and decoder are None
    without augmentation (Classifier)."""

    def __init__(self, cfg: AAECConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg) if cfg.augment else None
        self.decoder = Decoder(cfg) if cfg.augment else None
        self.discriminator = Discriminator(cfg) if cfg.augment and cfg.use_discriminator else None
        self.classifier = Classifier(cfg)

    def generate(self, x: torch.Tensor, noise: torch.Tensor) -> dict[str, torch.Tensor]:
        """Equation (1). x (B, T, F) standardised, noise E (B, z_dim) ~ N(0, I).

        Returns {"code": Dec(Z), "noise": Dec(E), "mixed": X'} each (B, T, F); X' is the average of
        the two in "average" mode and Dec(Z) itself in "code" mode (the original AAE, AAEC').
        """
        return self.generate_from_code(self.encoder(x), noise)

    def generate_from_code(self, z: torch.Tensor, noise: torch.Tensor) -> dict[str, torch.Tensor]:
        """Equation (1) from codes Z = Encoder(X) (B, z_dim) already computed (the trainer caches
        them while the encoder is frozen); same output as `generate`."""
        both = self.decoder(torch.cat([z, noise.to(z.dtype)]))  # one pass over (2B, z_dim) -> (2B, T, F)
        x_code, x_noise = both[: len(z)], both[len(z) :]  # Dec(Z), Dec(E): (B, T, F) each
        x_mixed = 0.5 * (x_noise + x_code) if self.cfg.decoder_mode == "average" else x_code
        return {"code": x_code, "noise": x_noise, "mixed": x_mixed}


def count_parameters(module: nn.Module | None) -> int:
    return 0 if module is None else sum(p.numel() for p in module.parameters())


def describe(model: AAEC, batch: int = 2, device: torch.device | str = "cpu") -> list[dict]:
    """Run a tiny batch through every module; one row per module with input/output shapes and size."""
    cfg = model.cfg
    rows = []
    x = torch.zeros(batch, cfg.n_frames, cfg.n_bins, device=device)
    e = torch.zeros(batch, cfg.z_dim, device=device)
    with torch.no_grad():
        if model.encoder is not None:
            z = model.encoder(x)
            rows.append(
                {
                    "module": "Encoder",
                    "input": tuple(x.shape),
                    "output": tuple(z.shape),
                    "parameters": count_parameters(model.encoder),
                }
            )
            out = model.decoder(e)
            rows.append(
                {
                    "module": "Decoder",
                    "input": tuple(e.shape),
                    "output": tuple(out.shape),
                    "parameters": count_parameters(model.decoder),
                }
            )
        if model.discriminator is not None:
            d = model.discriminator(e)
            rows.append(
                {
                    "module": "Discriminator",
                    "input": tuple(e.shape),
                    "output": tuple(d.shape),
                    "parameters": count_parameters(model.discriminator),
                }
            )
        rf, a, v = model.classifier(x)
        rows.append(
            {
                "module": "Classifier",
                "input": tuple(x.shape),
                "output": f"{tuple(rf.shape)}, {tuple(a.shape)}, {tuple(v.shape)}",
                "parameters": count_parameters(model.classifier),
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------------
# Equation (2) as losses (all return scalars; logits in, targets as class indices)


def discriminator_loss(d_noise: torch.Tensor, d_code: torch.Tensor) -> torch.Tensor:
    """D maximises log D(E) + log(1 - D(Z)): BCE with E real (1) and Z fake (0). Logits (B,)."""
    return F.binary_cross_entropy_with_logits(d_noise, torch.ones_like(d_noise)) + F.binary_cross_entropy_with_logits(
        d_code, torch.zeros_like(d_code)
    )


def fool_loss(logits: torch.Tensor) -> torch.Tensor:
    """A generator's non-saturating term: make the critic (D on Z, or C_d on X') say "real"."""
    return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))


def reconstruction_loss(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Mean squared error between Decoder(Z) and X (our addition to Eq. 2, see the module docstring)."""
    return F.mse_loss(x_hat, x)


def class_loss(
    arousal_logits: torch.Tensor,
    valence_logits: torch.Tensor,
    arousal: torch.Tensor,
    valence: torch.Tensor,
    weights: tuple | None = None,
) -> torch.Tensor:
    """C_c: cross-entropy of the arousal and valence heads, (B, 3) logits and (B,) class indices.

    `weights`: None, or (arousal (3,), valence (3,)) class weights (see `class_weights`).
    """
    wa, wv = weights if weights is not None else (None, None)
    return F.cross_entropy(arousal_logits, arousal, weight=wa) + F.cross_entropy(valence_logits, valence, weight=wv)


def class_weights(labels: np.ndarray, n_classes: int) -> torch.Tensor:
    """Inverse-frequency class weights n / (n_classes * count_c), (n_classes,); absent classes get 0."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=n_classes).astype(np.float64)
    w = np.where(counts > 0, counts.sum() / (n_classes * np.maximum(counts, 1)), 0.0)
    return torch.tensor(w, dtype=torch.float32)


def classifier_loss(
    out_real: tuple,
    out_fake: tuple | None,
    arousal: torch.Tensor,
    valence: torch.Tensor,
    weights: tuple | None = None,
    real_fake: bool = True,
) -> torch.Tensor:
    """The classifier's part of Eq. (2): classify X and X' (same labels) and tell X (real) from X' (fake).

    `out_*` are the classifier's (realfake, arousal, valence) outputs; `out_fake` None means no
    augmentation (the "Classifier" configuration): then only the class terms on X remain.
    `real_fake` False leaves out the C_d term (AAE+C, where C is not a player; see the docstring).
    """
    rf_real, a_real, v_real = out_real
    loss = class_loss(a_real, v_real, arousal, valence, weights)
    if out_fake is not None:
        rf_fake, a_fake, v_fake = out_fake
        loss = loss + class_loss(a_fake, v_fake, arousal, valence, weights)
        if real_fake:
            loss = loss + discriminator_loss(rf_real, rf_fake)  # C_d: X real (1), X' fake (0)
    return loss


# ---------------------------------------------------------------------------------------------------
# Figure 5's fixed representation


def band_edges(n_bins: int, n_bands: int, sr: int = 16000) -> np.ndarray:
    """Bin indices (n_bands + 1,) of bands equally spaced on the mel scale from 0 Hz to sr / 2."""
    mel_max = 2595.0 * math.log10(1.0 + (sr / 2) / 700.0)
    mels = np.linspace(0.0, mel_max, n_bands + 1)
    hz = 700.0 * (10 ** (mels / 2595.0) - 1.0)
    edges = np.round(hz / (sr / 2) * (n_bins - 1)).astype(int)
    if n_bands > n_bins:
        raise LabkitError(f"cannot make {n_bands} bands out of {n_bins} frequency bins")
    # Low mel bands are narrower than one FFT bin; give every band at least one bin, and leave
    # room for one bin per band at the top.
    edges[0], edges[-1] = 0, n_bins
    for i in range(1, n_bands):
        edges[i] = min(max(edges[i], edges[i - 1] + 1), n_bins - (n_bands - i))
    return edges


def spectrum_summary(log_power: np.ndarray, n_bands: int = 32) -> np.ndarray:
    """The "spectrum" space: (N, T, F) log power -> (N, 2 * n_bands).

    Log power averaged within `n_bands` mel-spaced bands, then the mean and the standard deviation
    of each band over time. It depends on no trained weights, so points from different training
    iterations (and from real data) are comparable under one fixed projection. With fewer than
    `n_bands` bins, every bin is its own band.
    """
    n_bands = min(n_bands, log_power.shape[2])  # tiny test spectrograms have fewer bins than bands
    edges = band_edges(log_power.shape[2], n_bands)
    bands = np.stack(
        [log_power[:, :, edges[i] : edges[i + 1]].mean(axis=2) for i in range(n_bands)], axis=2
    )  # (N, T, n_bands)
    return np.concatenate([bands.mean(axis=1), bands.std(axis=1)], axis=1).astype(np.float32)  # (N, 2 * n_bands)


__all__ = [
    "AAECConfig",
    "PRESETS",
    "CONFIGURATIONS",
    "PLAYERS",
    "make_config",
    "SpectrogramScaler",
    "Encoder",
    "Decoder",
    "Discriminator",
    "Classifier",
    "AAEC",
    "describe",
    "count_parameters",
    "discriminator_loss",
    "fool_loss",
    "reconstruction_loss",
    "class_loss",
    "class_weights",
    "classifier_loss",
    "spectrum_summary",
    "band_edges",
    "pool_frequency",
]
