"""Why AAEC's `small` preset fails the "learned the data" gate: the gate every few iterations, and a bound.

Trains one Table 1 configuration on a corpus's speaker-independent split (as ``labkit reproduce
aaec-table1`` does) and, from the trainer's ``on_epoch`` hook, gates three kinds of samples against
the training frames, in the space the classifier sees (standardised log spectrogram frames,
flattened; `labkit.reproductions.aaec.gate_rows`, classes = (arousal, valence) pairs, speakers as
groups): ``code`` = Decoder(Encoder(x)), ``noise`` = Decoder(E) and ``mixed`` = X' (Eq. 1, what the
classifier is fed and what Table 1 gates). Prints one JSON line per gated iteration and writes them
all to --out. Figures only; no pass/fail.

``--pca`` instead gates PCA-k reconstructions of the training frames (the best *linear* autoencoder
with a k-d code, k = 8, 32, 128) and the class means: how far an MSE decoder from a small code can
get at all, i.e. whether the decoder's regression to the mean caps the spread.

    OMP_NUM_THREADS=1 python benchmarks/diag_aaec_gate.py --out aaec.json              # AAEC, small, 25 it.
    OMP_NUM_THREADS=1 python benchmarks/diag_aaec_gate.py --config AAE+C --ae-only --set iterations=200 \\
        --every 25 --out aaepc.json                                                   # the autoencoder alone
    OMP_NUM_THREADS=1 python benchmarks/diag_aaec_gate.py --pca --out pca.json

Set OMP_NUM_THREADS=1 on a shared machine: the gate's BLAS otherwise starts a thread per core.
"""

from __future__ import annotations

import argparse
import ast
import json
import time


def _numbers(r) -> dict:
    d = {
        m: round(float(getattr(r, m)), 3)
        for m in ("fidelity", "real_accuracy", "c2st_auc", "precision", "recall", "spread")
    }
    d["failed"] = r.failed
    return d


def main() -> None:
    import numpy as np
    import torch

    from labkit.experiment.protocols import make_folds
    from labkit.features.aaec import load_spectrograms, prepare, split
    from labkit.metrics.gate import gate
    from labkit.models.aaec import make_config
    from labkit.reproductions.aaec import gate_classes, gate_rows
    from labkit.trainers.aaec import TrainOptions, train

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", default="synthetic")
    ap.add_argument("--config", default="AAEC", help="Table 1 configuration (default: %(default)s)")
    ap.add_argument("--split-seed", type=int, default=0, help="seed of the held-out speakers (default: 0)")
    ap.add_argument("--every", type=int, default=5, help="gate every N iterations (and the first and last)")
    ap.add_argument("--set", action="append", default=[], help="config override field=value (Python literal)")
    ap.add_argument("--ae-only", action="store_true", help="train the autoencoder only (the augmenter's AAE+C)")
    ap.add_argument("--pca", action="store_true", help="gate PCA-k reconstructions instead of training")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.set_num_threads(1)
    overrides = {k: ast.literal_eval(v) for k, v in (kv.split("=", 1) for kv in a.set)}
    cfg = make_config("small", a.config, seed=0, **overrides)
    feats = load_spectrograms(a.source, max_seconds=cfg.max_seconds, show_progress=False)
    fold = make_folds(feats.meta, "split", test_fraction=0.3, seed=a.split_seed)[0]
    speakers = feats.meta["speaker"].to_numpy()[fold.train_idx].astype(str)
    data, cfg = prepare(split(feats, fold.train_idx, fold.test_idx, a.source), cfg)
    X = data.X_train
    idx = gate_rows(len(X), int(np.prod(X.shape[1:])), 0)
    y = gate_classes(data.arousal_train.numpy()[idx], data.valence_train.numpy()[idx])
    X_real, groups = X[idx].numpy(), speakers[idx]
    rows: list[dict] = []

    def emit(rec: dict) -> None:
        rows.append(rec)
        print(json.dumps(rec), flush=True)
        with open(a.out, "w") as f:
            json.dump(rows, f, indent=1)

    if a.pca:
        from sklearn.decomposition import PCA

        flat = X_real.reshape(len(X_real), -1)
        for k in (8, 32, 128):
            p = PCA(k, random_state=0).fit(flat)
            rec = p.inverse_transform(p.transform(flat))
            r = gate(flat, y, rec, y, groups=groups, generator=f"pca{k}", fold=a.split_seed)
            emit({"samples": f"pca{k}", "explained": round(float(p.explained_variance_ratio_.sum()), 3), **_numbers(r)})
        means = np.stack([flat[y == c].mean(axis=0) for c in y])
        emit({"samples": "class means", **_numbers(gate(flat, y, means, y, groups=groups, generator="means"))})
        return

    t0 = time.time()

    def hook(it: int, model, row: dict) -> None:
        if it % a.every and it not in (1, cfg.iterations):
            return
        gen = torch.Generator().manual_seed(123)
        out: dict[str, list] = {"code": [], "noise": [], "mixed": []}
        model.eval()
        with torch.no_grad():
            for s in range(0, len(idx), 256):
                x = X[idx[s : s + 256]]
                for k, v in model.generate(x, torch.randn(len(x), cfg.z_dim, generator=gen)).items():
                    out[k].append(v.numpy())
        model.train()
        rec = {"iteration": it, "seconds": round(time.time() - t0, 1)}
        rec.update({k: round(v, 4) for k, v in row.items() if k.startswith("loss")})
        for k, v in out.items():
            rec[k] = _numbers(gate(X_real, y, np.concatenate(v), y, groups=groups, generator=k, fold=a.split_seed))
        emit(rec)

    train(
        data,
        cfg,
        device=torch.device("cpu"),
        options=TrainOptions(progress=False, autoencoder_only=a.ae_only),
        on_epoch=hook,
    )


if __name__ == "__main__":
    main()
