"""``dnn-torch`` against labkit's ``mlp`` and scikit-learn's MLPClassifier, on Shilandari-sized data.

    .venv/bin/python benchmarks/bench_dnn.py                 # IS10 of the embedded corpus, one held-out speaker
    .venv/bin/python benchmarks/bench_dnn.py --json out.json

Data: Shilandari et al.'s setting as labkit's reproduction runs it: IS10 functionals (1582 columns)
of the embedded corpus's five classes (anger, fear, happiness, sadness, neutral), standardised on the
training side; the test side is one speaker (a LOSO fold). Every fit runs on one thread (torch and
BLAS: ``threadpoolctl``), and is timed in process CPU seconds (the machine may be shared) and wall.

1. One fit each: labkit ``mlp`` (`labkit.experiment.classifiers.MLPClassifier`), ``dnn-torch``
   (`labkit.experiment.torch_dnn.TorchDNNClassifier`, same seed), and scikit-learn's
   ``MLPClassifier`` configured as near as it goes (2 x 800, ReLU: it has no leaky ReLU; Adam 1e-3,
   alpha 1e-4, batch 64, early stopping on 15 % with patience 10, at most 200 epochs). Printed: CPU
   seconds, epochs, test accuracy and UAR, the share of test rows where each agrees with ``mlp``, and
   the time ratios.
2. The tuning grid of ``--tune`` (weight_decay 1e-5, 1e-4, 1e-3) on the training side: three separate
   ``dnn-torch`` fits against one `fit_many` of three replicas, and the largest probability difference
   between a replica and its separate fit.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

EMOTIONS = ["anger", "fear", "happiness", "sadness", "neutral"]


def load(source: str):
    from sklearn.preprocessing import StandardScaler

    from labkit.reproductions.common import load_features

    feats = load_features(source, EMOTIONS, "is10", progress=False)
    speakers = feats.meta["speaker"].astype(str).to_numpy()
    y = feats.meta["emotion"].astype(str).to_numpy()
    test = speakers == sorted(set(speakers))[0]
    scaler = StandardScaler().fit(feats.X[~test])
    return (
        scaler.transform(feats.X[~test]).astype(np.float32),
        y[~test],
        scaler.transform(feats.X[test]).astype(np.float32),
        y[test],
    )


def timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.process_time() - c0, time.perf_counter() - t0


def main(argv=None) -> int:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score
    from sklearn.neural_network import MLPClassifier as SkMLP
    from threadpoolctl import threadpool_limits

    from labkit.experiment.classifiers import TUNING_GRIDS, make_classifier
    from labkit.experiment.torch_dnn import fit_many

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--source", default="synthetic")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="PATH")
    args = p.parse_args(argv)

    X, y, X_te, y_te = load(args.source)
    print(f"data: {args.source} IS10, train {X.shape}, test {X_te.shape} (one speaker), classes {len(set(y))}")
    rows, preds = {}, {}
    with threadpool_limits(1):
        fits = {
            "mlp": lambda: make_classifier("mlp", random_state=args.seed, device="cpu").fit(X, y),
            "dnn-torch": lambda: make_classifier("dnn-torch", random_state=args.seed, device="cpu").fit(X, y),
            "sklearn MLPClassifier": lambda: SkMLP(
                hidden_layer_sizes=(800, 800),
                activation="relu",
                solver="adam",
                alpha=1e-4,
                batch_size=64,
                learning_rate_init=1e-3,
                max_iter=200,
                early_stopping=True,
                validation_fraction=0.15,
                n_iter_no_change=10,
                random_state=args.seed,
            ).fit(X, y),
        }
        make_classifier("dnn-torch", hidden=8, max_epochs=1, device="cpu").fit(X[:64], y[:64])  # warm-up
        for name, fit in fits.items():
            model, cpu, wall = timed(fit)
            preds[name] = model.predict(X_te)
            epochs = getattr(model, "n_epochs_", getattr(model, "n_iter_", None))
            rows[name] = {
                "cpu_s": cpu,
                "wall_s": wall,
                "epochs": int(epochs),
                "cpu_s_per_epoch": cpu / epochs,
                "accuracy": accuracy_score(y_te, preds[name]),
                "uar": balanced_accuracy_score(y_te, preds[name]),
            }
        for name in rows:
            rows[name]["agreement_with_mlp"] = float(np.mean(preds[name] == preds["mlp"]))

        wds = TUNING_GRIDS["mlp"]["weight_decay"]
        separate, sep_cpu, sep_wall = timed(
            lambda: [
                make_classifier("dnn-torch", random_state=args.seed, weight_decay=w, device="cpu").fit(X, y)
                for w in wds
            ]
        )
        stacked, st_cpu, st_wall = timed(
            lambda: fit_many(
                [X] * len(wds), [y] * len(wds), weight_decays=wds, random_states=[args.seed] * len(wds), device="cpu"
            )
        )
    diff = max(float(np.abs(a.predict_proba(X_te) - b.predict_proba(X_te)).max()) for a, b in zip(separate, stacked))
    grid = {
        "weight_decays": wds,
        "separate_cpu_s": sep_cpu,
        "separate_wall_s": sep_wall,
        "stacked_cpu_s": st_cpu,
        "stacked_wall_s": st_wall,
        "epochs": [m.n_epochs_ for m in stacked],
        "max_proba_difference": diff,
    }

    print(f"\n{'classifier':<22} {'CPU s':>8} {'epochs':>6} {'CPU s/epoch':>11} {'acc':>6} {'UAR':>6} {'= mlp':>6}")
    for name, r in rows.items():
        print(
            f"{name:<22} {r['cpu_s']:8.2f} {r['epochs']:6d} {r['cpu_s_per_epoch']:11.3f} {r['accuracy']:6.3f} "
            f"{r['uar']:6.3f} {r['agreement_with_mlp']:6.3f}"
        )
    base = rows["mlp"]
    for name in ("dnn-torch", "sklearn MLPClassifier"):
        r = rows[name]
        print(
            f"{name} / mlp: fit CPU time x{r['cpu_s'] / base['cpu_s']:.2f}, per epoch x{r['cpu_s_per_epoch'] / base['cpu_s_per_epoch']:.2f}"
        )
    print(
        f"\ntuning grid {wds}: 3 separate dnn-torch fits {sep_cpu:.2f} CPU s, one fit_many {st_cpu:.2f} CPU s "
        f"(x{st_cpu / sep_cpu:.2f}); epochs {grid['epochs']}; max |p replica - p separate| {diff:.2e}"
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"source": args.source, "classifiers": rows, "grid": grid}, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
