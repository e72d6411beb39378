"""How fast is labkit's conditional GAN? Against CTGAN, and against the machine's matrix-multiply ceiling.

Prints three figures, all measured in this one run (ratios within one run are what to compare):

1. **Ceiling.** The best fp32 throughput of a large square ``torch.matmul`` on the device (and bf16
   on CUDA, which is what training uses there under autocast), in GFLOP/s.
2. **Dense training steps at large batch.** labkit's cGAN (`labkit.trainers.sahu.train_cgan`, preset
   ``improved``: 1 discriminator + 5 generator steps per minibatch) on rows of the IS10 table tiled to
   ``--big-rows`` with ``--big-batch`` rows per minibatch. FLOPs per epoch are counted once with
   ``torch.utils.flop_counter.FlopCounterMode`` (every matmul of the forward and backward passes), the
   epochs are timed without it, each against the ceiling measured right after it, and the median
   achieved / ceiling is printed: the whole training step counts (Adam, activations, losses,
   indexing), not only its GEMMs. Target: >= 50 %.
3. **labkit's cGAN vs CTGAN** on the same IS10 table (``--source``, 4 emotions, standardised), the
   same number of epochs and the same minibatch size: fit time, and time per epoch (for CTGAN,
   without its one-off per-column mode fitting, which is timed and printed apart). Target: labkit at
   least 2x faster per epoch. CTGAN is the optional extra ``pip install 'labkit[ctgan]'``; without
   it that part is skipped.

    .venv/bin/python benchmarks/bench_gan.py                       # all 1582 columns (CTGAN's mode fitting: minutes)
    .venv/bin/python benchmarks/bench_gan.py --columns 200 --epochs 3 --threads 1   # a quick look
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch


def gemm_ceiling(device: torch.device, dtype: torch.dtype, n: int = 2048, repeats: int = 5) -> float:
    """Best GFLOP/s of an (n x n) @ (n x n) matmul in `dtype` on `device`."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    torch.matmul(a, b)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        _sync(device)
        t = time.perf_counter()
        torch.matmul(a, b)
        _sync(device)
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def load_table(source: str, columns: int | None):
    """Standardised IS10 rows of the source's 4 emotions: X (n, d) float32, y (n,) ints."""
    from sklearn.preprocessing import StandardScaler

    from labkit.reproductions.sahu import DEFAULT_EMOTIONS, load_features

    emotions = DEFAULT_EMOTIONS.split(",")
    feats = load_features(source, emotions, "is10", skip_bad=False, progress=True)
    X = StandardScaler().fit_transform(feats.X).astype(np.float32)
    if columns is not None:
        X = X[:, :columns]
    y = feats.meta["emotion"].map({e: i for i, e in enumerate(emotions)}).to_numpy(dtype=np.int64)
    return X, y


def cgan_config(n_features: int, epochs: int, batch: int):
    from labkit.models.sahu import cgan_config_for, make_aae_config

    return cgan_config_for(make_aae_config(n_features=n_features), "improved", epochs=epochs, batch_size=batch)


def big_batch_fraction(X, y, device, batch: int, rows: int, epochs: int, dtype: torch.dtype) -> dict:
    """Achieved FLOP/s of cGAN training at a large batch, as a fraction of the matmul ceiling.

    The ceiling is measured again right after every timed epoch and each epoch is divided by its own
    ceiling: on a shared machine the load changes within minutes, and pairing the two in time keeps
    it out of the ratio. Returns the median over epochs (and the range).
    """
    from torch.utils.flop_counter import FlopCounterMode

    from labkit.trainers.sahu import train_cgan

    reps = int(np.ceil(rows / len(X)))
    Xb = np.tile(X, (reps, 1))[:rows] + 0.01 * np.random.default_rng(0).normal(size=(rows, X.shape[1])).astype(
        np.float32
    )
    yb = np.tile(y, reps)[:rows]
    # `improved` starts the generator from a decoder; the step's cost is the same from a random one.
    cfg = cgan_config(X.shape[1], 1, batch)
    cfg.init_from_decoder = False
    with FlopCounterMode(display=False) as counter:
        train_cgan(Xb, yb, cfg, device=device)
    flops = counter.get_total_flops()
    ceilings = []

    def after_epoch(epoch, model, row):
        ceilings.append(gemm_ceiling(device, dtype, repeats=3))

    cfg.epochs = epochs + 1
    res = train_cgan(Xb, yb, cfg, device=device, on_epoch=after_epoch)
    secs = np.array([r["seconds"] for r in res.history[1:]])  # the first epoch warms up (allocations, kernels)
    achieved = flops / secs / 1e9  # (epochs,) GFLOP/s
    fractions = achieved / np.array(ceilings[1:])
    return {
        "batch": batch,
        "rows": rows,
        "gflop_per_epoch": flops / 1e9,
        "seconds_per_epoch": float(np.median(secs)),
        "achieved_gflops": float(np.median(achieved)),
        "ceiling_gflops": float(np.median(ceilings[1:])),
        "fraction": float(np.median(fractions)),
        "fraction_range": (float(fractions.min()), float(fractions.max())),
    }


def time_labkit(X, y, epochs: int, batch: int, device) -> dict:
    """The `cgan` augmenter's fit (AAE for the decoder init, then the cGAN) on the table."""
    from labkit.augment import make_augmenter

    aug = make_augmenter(
        "cgan", preset="improved", epochs=epochs, batch_size=batch, device=str(device), threads=None, random_state=0
    )
    t = time.perf_counter()
    aug.fit(X, y)
    return {"fit_seconds": time.perf_counter() - t, "aae_epochs": len(aug.aae_history_)}


def time_labkit_loop(X, y, epochs: int, batch: int, device) -> float:
    """Seconds per epoch of the cGAN loop itself (median over epochs after the first)."""
    from labkit.trainers.sahu import train_cgan

    cfg = cgan_config(X.shape[1], epochs + 1, batch)
    cfg.init_from_decoder = False
    res = train_cgan(X, y, cfg, device=device)
    return float(np.median([r["seconds"] for r in res.history[1:]]))


def time_ctgan(X, y, epochs: int, batch: int, device) -> dict | None:
    """CTGAN's fit on the same table: total, its per-column mode fitting, and the rest per epoch."""
    try:
        import ctgan.synthesizers.ctgan as ctgan_module
    except ImportError:
        return None
    from labkit.augment.ctgan import CTGANAugmenter

    spent = {"transformer": 0.0}
    real_fit = ctgan_module.DataTransformer.fit

    def timed_fit(self, *args, **kwargs):  # measurement only: CTGAN's own code runs unchanged
        t = time.perf_counter()
        try:
            return real_fit(self, *args, **kwargs)
        finally:
            spent["transformer"] += time.perf_counter() - t

    ctgan_module.DataTransformer.fit = timed_fit
    try:
        aug = CTGANAugmenter(epochs=epochs, batch_size=batch, device=str(device), random_state=0)
        t = time.perf_counter()
        aug.fit(X, np.asarray(y))
        total = time.perf_counter() - t
    finally:
        ctgan_module.DataTransformer.fit = real_fit
    return {
        "fit_seconds": total,
        "transformer_seconds": spent["transformer"],
        "seconds_per_epoch": (total - spent["transformer"]) / epochs,
        "batch": aug.model_._batch_size,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", default="synthetic", help="corpus whose IS10 table is used (default: %(default)s)")
    p.add_argument("--columns", type=int, default=None, help="use only the first N of the 1582 columns")
    p.add_argument("--epochs", type=int, default=5, help="epochs of both GANs in the comparison (default: %(default)s)")
    p.add_argument(
        "--batch", type=int, default=100, help="minibatch of both GANs in the comparison (default: %(default)s)"
    )
    p.add_argument(
        "--big-batch", type=int, default=4096, help="minibatch of the ceiling comparison (default: %(default)s)"
    )
    p.add_argument(
        "--big-rows", type=int, default=16384, help="rows (the table tiled) at the large batch (default: %(default)s)"
    )
    p.add_argument("--big-epochs", type=int, default=5, help="timed epochs at the large batch (default: %(default)s)")
    p.add_argument("--device", default=None, help="cpu or cuda (default: CUDA when available)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--skip-ctgan", action="store_true", help="leave CTGAN out")
    args = p.parse_args()

    from labkit.utils import pick_device

    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    print(
        f"device {device}; torch {torch.__version__}; CPU threads {torch.get_num_threads()}; "
        f"os.cpu_count {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}"
    )
    X, y = load_table(args.source, args.columns)
    print(f"table: {args.source}, {X.shape[0]} rows x {X.shape[1]} IS10 columns, 4 emotions, standardised\n")

    # ---- 1. the ceiling
    fp32 = gemm_ceiling(device, torch.float32)
    ceilings = {"fp32": fp32}
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        ceilings["fp32"] = fp32 = gemm_ceiling(device, torch.float32)
        ceilings["bf16"] = gemm_ceiling(device, torch.bfloat16)
    print(
        "1. matmul ceiling (2048 x 2048 @ 2048 x 2048, best of 5): "
        + ", ".join(f"{k} {v:,.0f} GFLOP/s" for k, v in ceilings.items())
    )

    # ---- 2. dense training steps at large batch
    used = torch.bfloat16 if device.type == "cuda" else torch.float32  # labkit's loops use bf16 autocast on CUDA
    big = big_batch_fraction(X, y, device, args.big_batch, args.big_rows, args.big_epochs, used)
    lo, hi = big["fraction_range"]
    name = "bf16" if used == torch.bfloat16 else "fp32"
    print(
        f"2. cGAN training (improved: 1 D + 5 G steps per batch), batch {big['batch']}, {big['rows']} rows: "
        f"{big['gflop_per_epoch']:.1f} GFLOP/epoch in {big['seconds_per_epoch']:.3f} s = "
        f"{big['achieved_gflops']:,.0f} GFLOP/s; the {name} ceiling measured after each epoch: "
        f"{big['ceiling_gflops']:,.0f} GFLOP/s; achieved / ceiling {100 * big['fraction']:.0f} % "
        f"(median of {args.big_epochs} epochs, range {100 * lo:.0f}-{100 * hi:.0f} %; target >= 50 %)"
    )
    if device.type == "cuda":
        print(f"   ({100 * big['achieved_gflops'] / fp32:.0f} % of the fp32 ceiling)")

    # ---- 3. labkit's cGAN vs CTGAN, same table, epochs and batch
    per_epoch = time_labkit_loop(X, y, args.epochs, args.batch, device)
    fit = time_labkit(X, y, args.epochs, args.batch, device)
    print(f"3. same table, {args.epochs} epochs, batch {args.batch}:")
    print(
        f"   labkit cgan (improved): fit {fit['fit_seconds']:.1f} s (incl. {fit['aae_epochs']} AAE epochs for the "
        f"decoder init); cGAN loop {per_epoch:.3f} s/epoch"
    )
    if args.skip_ctgan:
        return
    ct = time_ctgan(X, y, args.epochs, args.batch, device)
    if ct is None:
        print("   CTGAN: not installed (pip install 'labkit[ctgan]'); skipped")
        return
    print(
        f"   CTGAN (batch {ct['batch']}, pac 10): fit {ct['fit_seconds']:.1f} s, of which per-column mode fitting "
        f"{ct['transformer_seconds']:.1f} s; training {ct['seconds_per_epoch']:.3f} s/epoch"
    )
    print(
        f"   labkit cGAN per epoch: {ct['seconds_per_epoch'] / per_epoch:.1f}x faster than CTGAN (target >= 2x); "
        f"whole fit {ct['fit_seconds'] / fit['fit_seconds']:.1f}x faster"
    )


if __name__ == "__main__":
    main()
