"""The adversarially-enriched acoustic code vector: a conditional AAE with an out-of-context kNN loss.

The paper (../shared/papers/002, "An adversarially-enriched acoustic code vector learned from
out-of-context emotion corpora") learns a low-dimensional code C for a small *in-context* corpus
and enriches it with the labels of a large *out-of-context* corpus:

* G: X -> C, the encoder (88 eGeMAPS functionals in, the code out);
* F: (C, Y) -> X', the decoder, conditioned on the in-context label Y (one-hot);
* D: C -> real/fake, the discriminator matching the codes to p(z) = N(0, I);
* M: C -> Y_io, a head predicting the *out-of-context label distribution* of the sample;
* Y_io: a plain AAE maps in-context and out-of-context samples to latent vectors E_i, E_o; the
  K out-of-context samples nearest to an in-context sample (cosine similarity) vote with their
  labels, and the vote shares are Y_io (`knn_label_distribution`).

Objective (Section 2.2): L_total = L_rec + L_per + L_adv with L_rec = ||F(G(x), y) - x||^2,
L_per = ||M(G(x)) - Y_io||^2 and L_adv the GAN loss of D on C. After training, G alone gives the
code an SVM classifies (after ANOVA-F selection of Ds of its dimensions; see
`labkit.reproductions.codevector`). The training loop is `labkit.trainers.codevector`.

One model class serves the three roles of the paper through config switches (`PRESETS`):

=================  ===========  ======  ==========================================================
preset             n_classes    n_aux   role
=================  ===========  ======  ==========================================================
``enriched-64``    2            2       the proposed code, 64 dimensions (Table 1, "64 Dimension")
``enriched-10``    2            2       the proposed code, 10 dimensions
``aae-64``         2            0       "AAE": in-context data only, no L_per (Table 1's AAE column)
``knn-aae``        0            0       the "conventional" AAE whose latent space gives the kNN
=================  ===========  ======  ==========================================================

Shapes: B batch, d input features (88), c code size, n_classes in-context classes, n_aux entries of
Y_io (out-of-context classes), N_in / N_o in-context / out-of-context samples, K neighbours.

Choices where the paper is vague (and why)
------------------------------------------
* "3-layer DNN": three linear layers (two hidden layers of `hidden` units, leaky ReLU after each,
  a linear output layer) for G, F, D and M alike. The width is not given; 128 units is about the
  input's 88 and wider than either code size.
* Leaky ReLU slope 0.2 (the AAE/DCGAN convention); the paper only says "leaky relu".
* Output layers: C and X' are linear (C is matched to N(0, I); X' is a standardised feature vector,
  both unbounded); D outputs a logit; M ends in a softmax, because Y_io is a distribution over the
  out-of-context classes and a softmax output lives in the same simplex.
* Loss scales. The paper writes squared norms. Summed over 88 features L_rec would outweigh L_per
  (2 entries) about 40 to 1, so each term is a *mean* squared error (the squared norm divided by
  its dimension): all three terms are then of order one and are summed with weight 1 as in the
  paper's L_total. The weights are config fields (`w_rec`, `w_per`, `w_adv`).
* L_adv: D is trained with binary cross-entropy on z ~ N(0, I) (real) against G(x) (fake); G with
  the non-saturating form BCE(D(G(x)), real), the usual way to train a min-max GAN objective.
* Updates: per minibatch, first D on its loss, then G, F and M together on L_total (one optimiser
  step each; Adam, lr 5e-4 as in the paper, beta_1 = 0.5 as usual for adversarial training).
* The decoder's condition is the binary label of the task being learnt (activation for the
  activation code, valence for the valence code), one-hot; one code is trained per task.
* Y_io's labels are the out-of-context corpus' labels *of the same task* (activation neighbours
  vote with their activation labels), so n_aux = 2 for the binary tasks.
* K (`k_neighbours`) is not given in the paper. Default 10: the vote then has a resolution of 0.1
  (a soft label, not a 0/1 copy of one neighbour), and 10 neighbours stay local in an
  out-of-context corpus of a thousand or more utterances (under 1 %).
* The plain AAE's latent size (`knn_code_size`) is not given; we use 64, the paper's main code size.
  It is trained on the standardised in-context *training* rows and the whole out-of-context corpus
  together (one latent space for both, so cosine similarities between them mean something); test
  speakers never reach it.
* Inputs are standardised per corpus (in-context: statistics of the training fold; out-of-context:
  its own statistics), the usual cross-corpus normalisation: otherwise the channel difference
  between the corpora, not the emotion, decides which samples are neighbours.
* Epochs: the paper trains 100-300 epochs; 100 by default (the lower end; a CPU budget).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from labkit.errors import LabkitError
from labkit.utils import config_from


@dataclass
class CodeVectorConfig:
    """Sizes, switches and budget of one (conditional) AAE; see the module docstring for the roles."""

    n_features: int = 88  # d: input features (88 eGeMAPS functionals; set from the data)
    code_size: int = 64  # c: dimensions of the code C = G(x) (the paper: 64 and 10)
    hidden: int = 128  # units in each of the two hidden layers of every 3-layer DNN (G, F, D, M)
    negative_slope: float = 0.2  # leaky ReLU slope of the hidden layers
    n_classes: int = 2  # in-context classes F is conditioned on (one-hot Y); 0 = unconditional decoder
    n_aux: int = 2  # entries of Y_io that M predicts; 0 = no head M and no L_per (in-context only)
    w_rec: float = 1.0  # weight of L_rec (mean squared reconstruction error)
    w_per: float = 1.0  # weight of L_per (mean squared error of M(G(x)) against Y_io)
    w_adv: float = 1.0  # weight of L_adv in the encoder's loss (non-saturating GAN loss)
    lr: float = 5e-4  # Adam learning rate of both optimisers (the paper's 0.0005)
    beta1: float = 0.5  # Adam beta_1 (0.5, the usual value for adversarial training)
    epochs: int = 100  # passes over the training rows (the paper: 100-300)
    batch_size: int = 64  # minibatch size (not given in the paper)
    k_neighbours: int = 10  # K: out-of-context neighbours whose labels form Y_io (not given; see above)
    knn_code_size: int = 64  # latent size of the plain AAE whose space gives the neighbours
    seed: int = 0  # seeds initialisation, shuffling and the prior's noise

    def validate(self) -> "CodeVectorConfig":
        """Raise a LabkitError naming the first value out of range; return self."""
        for name in ("n_features", "code_size", "hidden", "epochs", "batch_size", "k_neighbours", "knn_code_size"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise LabkitError(f"codevector config: {name} must be a whole number >= 1, got {v!r}")
        for name in ("n_classes", "n_aux"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0 or v == 1:
                raise LabkitError(f"codevector config: {name} must be 0 (off) or >= 2 classes, got {v!r}")
        for name in ("w_rec", "w_per", "w_adv", "negative_slope"):
            if not (isinstance(getattr(self, name), (int, float)) and getattr(self, name) >= 0):
                raise LabkitError(f"codevector config: {name} must be >= 0, got {getattr(self, name)!r}")
        if not (0 < self.lr < 1) or not (0 <= self.beta1 < 1):
            raise LabkitError(
                f"codevector config: lr must be in (0, 1) and beta1 in [0, 1), got {self.lr}, {self.beta1}"
            )
        return self

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "CodeVectorConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


# Named presets: the columns of the paper's Table 1 and the neighbourhood AAE (module docstring).
PRESETS: dict[str, dict] = {
    "enriched-64": {"code_size": 64},
    "enriched-10": {"code_size": 10},
    "aae-64": {"code_size": 64, "n_aux": 0},
    "knn-aae": {"code_size": 64, "n_classes": 0, "n_aux": 0},
}


def make_config(preset: str, **overrides) -> CodeVectorConfig:
    """The config of a preset with `overrides` applied (``make_config("enriched-10", epochs=5)``)."""
    if preset not in PRESETS:
        raise LabkitError(f"unknown codevector preset {preset!r}; choose one of {', '.join(PRESETS)}")
    cfg = config_from(CodeVectorConfig, "codevector", PRESETS[preset], overrides)
    if preset == "knn-aae":
        cfg = replace(cfg, code_size=cfg.knn_code_size)
    return cfg.validate()


# --------------------------------------------------------------------------- modules
def dnn3(d_in: int, hidden: int, d_out: int, slope: float) -> nn.Sequential:
    """The paper's "3-layer DNN": Linear-LeakyReLU-Linear-LeakyReLU-Linear, (B, d_in) -> (B, d_out)."""
    return nn.Sequential(
        nn.Linear(d_in, hidden),
        nn.LeakyReLU(slope),
        nn.Linear(hidden, hidden),
        nn.LeakyReLU(slope),
        nn.Linear(hidden, d_out),
    )


class Encoder(nn.Module):
    """G: X -> C. (B, d) -> (B, c), linear output (matched to N(0, I))."""

    def __init__(self, cfg: CodeVectorConfig):
        super().__init__()
        self.net = dnn3(cfg.n_features, cfg.hidden, cfg.code_size, cfg.negative_slope)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Decoder(nn.Module):
    """F: (C, Y) -> X'. The code and the one-hot in-context label, concatenated: (B, c + n_classes) -> (B, d)."""

    def __init__(self, cfg: CodeVectorConfig):
        super().__init__()
        self.n_classes = cfg.n_classes
        self.net = dnn3(cfg.code_size + cfg.n_classes, cfg.hidden, cfg.n_features, cfg.negative_slope)

    def forward(self, c: torch.Tensor, y_onehot: torch.Tensor | None = None) -> torch.Tensor:
        if self.n_classes:
            c = torch.cat([c, y_onehot.to(c.dtype)], dim=1)  # (B, c + n_classes)
        return self.net(c)


class Discriminator(nn.Module):
    """D: C -> logit of "drawn from N(0, I)". (B, c) -> (B,)."""

    def __init__(self, cfg: CodeVectorConfig):
        super().__init__()
        self.net = dnn3(cfg.code_size, cfg.hidden, 1, cfg.negative_slope)

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        return self.net(c).squeeze(1)  # (B, 1) -> (B,)


class Head(nn.Module):
    """M: C -> predicted out-of-context label distribution. (B, c) -> (B, n_aux), rows sum to 1."""

    def __init__(self, cfg: CodeVectorConfig):
        super().__init__()
        self.net = dnn3(cfg.code_size, cfg.hidden, cfg.n_aux, cfg.negative_slope)

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(c), dim=1)


class CodeVectorAAE(nn.Module):
    """G, F, D and (when ``n_aux > 0``) M of one (conditional) AAE."""

    def __init__(self, cfg: CodeVectorConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        self.discriminator = Discriminator(cfg)
        self.head = Head(cfg) if cfg.n_aux else None

    def autoencoder_parameters(self) -> list[nn.Parameter]:
        """What L_total trains: G, F and M (not D)."""
        mods = [self.encoder, self.decoder] + ([self.head] if self.head is not None else [])
        return [p for m in mods for p in m.parameters()]

    @torch.no_grad()
    def encode(self, X: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
        """G(X) for a whole (N, d) tensor in chunks, without gradients: (N, c)."""
        was = self.training
        self.eval()
        out = torch.cat([self.encoder(X[i : i + chunk]) for i in range(0, len(X), chunk)])
        self.train(was)
        return out


# --------------------------------------------------------------------------- losses
def reconstruction_loss(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """L_rec: ||X' - X||^2 / d, averaged over the batch."""
    return F.mse_loss(x_hat.float(), x.float())


def per_loss(y_io_hat: torch.Tensor, y_io: torch.Tensor) -> torch.Tensor:
    """L_per: ||M(G(x)) - Y_io||^2 / n_aux, averaged over the batch."""
    return F.mse_loss(y_io_hat.float(), y_io.float())


def discriminator_loss(d_prior: torch.Tensor, d_code: torch.Tensor) -> torch.Tensor:
    """D's side of L_adv: prior samples z ~ N(0, I) are real (1), codes G(x) are fake (0)."""
    return F.binary_cross_entropy_with_logits(
        d_prior.float(), torch.ones_like(d_prior, dtype=torch.float32)
    ) + F.binary_cross_entropy_with_logits(d_code.float(), torch.zeros_like(d_code, dtype=torch.float32))


def encoder_adversarial_loss(d_code: torch.Tensor) -> torch.Tensor:
    """G's side of L_adv (non-saturating): make D call the codes real."""
    return F.binary_cross_entropy_with_logits(d_code.float(), torch.ones_like(d_code, dtype=torch.float32))


# --------------------------------------------------------------------------- out-of-context kNN labels
def cosine_knn(E_in: torch.Tensor, E_o: torch.Tensor, k: int, chunk: int = 2048) -> torch.Tensor:
    """Indices of the k out-of-context rows most cosine-similar to each in-context row.

    E_in (N_in, e), E_o (N_o, e) -> (N_in, k) long, nearest first.
    """
    if k > len(E_o):
        raise LabkitError(f"K = {k} neighbours asked for, but the out-of-context corpus has only {len(E_o)} samples")
    A = F.normalize(E_in.float(), dim=1)  # (N_in, e), unit rows
    B = F.normalize(E_o.float(), dim=1)  # (N_o, e)
    out = []
    for i in range(0, len(A), chunk):
        sim = A[i : i + chunk] @ B.T  # (chunk, N_o) cosine similarities
        out.append(torch.topk(sim, k, dim=1, sorted=True).indices)
    return torch.cat(out)


def label_distribution(neighbours: torch.Tensor, y_o: torch.Tensor, n_aux: int) -> torch.Tensor:
    """Y_io: the share of each out-of-context class among the neighbours.

    neighbours (N_in, K) indices into y_o; y_o (N_o,) class indices 0..n_aux-1 -> (N_in, n_aux).
    """
    votes = F.one_hot(y_o.long()[neighbours], n_aux).float()  # (N_in, K, n_aux)
    return votes.mean(dim=1)


def knn_label_distribution(
    E_in: torch.Tensor, E_o: torch.Tensor, y_o: torch.Tensor, k: int, n_aux: int
) -> torch.Tensor:
    """Y_io of every in-context row: label shares of its k cosine-nearest out-of-context rows, (N_in, n_aux)."""
    return label_distribution(cosine_knn(E_in, E_o, k), y_o.to(E_in.device), n_aux)


__all__ = [
    "CodeVectorConfig",
    "PRESETS",
    "make_config",
    "dnn3",
    "Encoder",
    "Decoder",
    "Discriminator",
    "Head",
    "CodeVectorAAE",
    "reconstruction_loss",
    "per_loss",
    "discriminator_loss",
    "encoder_adversarial_loss",
    "cosine_knn",
    "label_distribution",
    "knn_label_distribution",
]
