"""Diagnose Sahu et al.'s cGAN presets: train one LOSO fold and print the learned-the-data gate every N epochs.

    PYTHONPATH=. python benchmarks/diag_sahu_cgan.py --preset improved --epochs 100 --every 10 [--set lr_g=1e-4 ...]

Only the fold's training rows are used (the gate's held-out accuracy is a speaker-grouped CV over them).
The AAE (whose decoder initialises the pretrained / improved generators) is cached per fold in --cache.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--preset", default="improved")
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--every", type=int, default=10)
    p.add_argument("--fold", type=int, default=0)
    p.add_argument("--source", default="synthetic")
    p.add_argument("--set", nargs="*", default=[], help="cGAN config overrides field=value")
    p.add_argument("--cache", default="/tmp/sahu")
    a = p.parse_args()
    torch.set_num_threads(1)
    from sklearn.preprocessing import StandardScaler

    from labkit.experiment.protocols import make_folds
    from labkit.metrics.gate import gate
    from labkit.models.sahu import cgan_config_for, make_aae_config
    from labkit.reproductions.sahu import DEFAULT_EMOTIONS, load_features
    from labkit.trainers.sahu import generate_cgan, train_aae, train_cgan

    emotions = DEFAULT_EMOTIONS.split(",")
    feats = load_features(a.source, emotions, "is10", progress=False)
    fold = make_folds(feats.meta, "loso")[a.fold]
    y = feats.meta["emotion"].map({e: i for i, e in enumerate(emotions)}).to_numpy(np.int64)
    X = feats.X.astype(np.float32)
    Xtr = StandardScaler().fit(X[fold.train_idx]).transform(X[fold.train_idx]).astype(np.float32)
    ytr, spk = y[fold.train_idx], feats.meta["speaker"].astype(str).to_numpy()[fold.train_idx]
    aae_cfg = make_aae_config(n_features=Xtr.shape[1], n_classes=len(emotions))
    os.makedirs(a.cache, exist_ok=True)
    path = os.path.join(a.cache, f"aae-{a.source}-f{a.fold}.pt")
    if os.path.exists(path):
        from labkit.models.sahu import AAE

        aae = AAE(aae_cfg)
        aae.load_state_dict(torch.load(path, weights_only=True))
    else:
        aae = train_aae(Xtr, ytr, aae_cfg, device=torch.device("cpu")).model
        torch.save(aae.state_dict(), path)
    over = {}
    for s in a.set:
        k, v = s.split("=")
        cur = getattr(cgan_config_for(aae_cfg, a.preset), k)
        over[k] = v if isinstance(cur, str) else type(cur)(float(v))
        if isinstance(getattr(cgan_config_for(aae_cfg, a.preset), k), bool):
            over[k] = v in ("1", "true", "True")
    cfg = cgan_config_for(aae_cfg, a.preset, epochs=a.epochs, **over)
    print(
        f"n={len(Xtr)} preset={a.preset} cfg={ {k: v for k, v in cfg.to_dict().items() if k not in ('n_features',)} }",
        flush=True,
    )

    def measure(epoch, model):
        g = torch.Generator().manual_seed(123)
        Xg = generate_cgan(model, ytr, g)
        r = gate(Xtr, ytr, Xg, ytr, groups=spk, generator=a.preset, fold=a.fold)
        print(
            f"epoch {epoch:4d}: {'PASS' if r.passed else 'fail'} fid {r.fidelity:.2f} (real {r.real_accuracy:.2f}) "
            f"c2st {r.c2st_auc:.2f} prec {r.precision:.2f} rec {r.recall:.2f} spread {r.spread:.2f} "
            f"std {Xg.std():.2f} |x| {np.abs(Xg).mean():.2f}",
            end="",
            flush=True,
        )

    t0 = time.time()
    if cfg.init_from_decoder:
        from labkit.models.sahu import CGAN

        m0 = CGAN(cfg)
        m0.init_from_decoder(aae.decoder)
        measure(0, m0.eval())
        print()

    def hook(epoch, model, row):
        if epoch % a.every == 0 or epoch in (1, 2, 3, 5):
            measure(epoch, model)
            print(
                f"  D {row['loss_d']:.2f} G {row['loss_g']:.2f} d_real {row['d_real']:.2f} d_fake {row['d_fake']:.2f} t {time.time() - t0:.0f}s",
                flush=True,
            )

    train_cgan(Xtr, ytr, cfg, decoder=aae.decoder, device=torch.device("cpu"), on_epoch=hook)


if __name__ == "__main__":
    main()
