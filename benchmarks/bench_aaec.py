"""Time per Algorithm 1 iteration of AAEC for the `small` and `paper` presets on this machine.

Prints figures, asserts nothing. Random power spectrograms of each preset's shape stand in for data
(the cost does not depend on the values).

* small: full iterations are timed directly on 490 training utterances (the embedded corpus'
  training side); the first iteration is warm-up and is not counted.
* paper: one iteration is K1 = 10 epochs of Encoder + Discriminator, K2 = 20 of Decoder and K3 = 20 of
  Classifier over MuSe-Topic's 4207 training utterances, hours on a CPU. We time one phase at a time
  on a few batches and extrapolate:  iteration = (K1 t_enc + K2 t_dec + K3 t_clf) x batches per epoch.

    python benchmarks/bench_aaec.py                 # both presets, CPU (and CUDA when available)
    python benchmarks/bench_aaec.py --preset small --threads 2
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

import numpy as np


def fake_data(n_train: int, n_test: int, T: int, F: int, seed: int = 0):
    from labkit.trainers.aaec import AAECData

    rng = np.random.default_rng(seed)

    def make(n):
        return (rng.gamma(1.0, 1.0, (n, T, F)).astype(np.float32), rng.integers(0, 3, n), rng.integers(0, 3, n))

    return AAECData(*make(n_train), *make(n_test), description="random")


def bench_small(device: str, iterations: int = 3) -> dict:
    from labkit.models.aaec import make_config
    from labkit.trainers.aaec import TrainOptions, train

    cfg = make_config("small", "AAEC", iterations=iterations)
    data = fake_data(490, 210, cfg.n_frames, 513)
    res = train(data, cfg, None, TrainOptions(device=device, progress=False))
    secs = [row["seconds"] for row in res["history"][1:]]  # the first iteration warms up
    return {"per_iteration": statistics.median(secs), "n": len(secs), "n_train": 490}


def bench_paper(device: str, batches: int = 2, n_train_paper: int = 4207) -> dict:
    from labkit.models.aaec import make_config
    from labkit.trainers.aaec import TrainOptions, train

    base = make_config("paper", "AAEC")
    data = fake_data(batches * base.batch_size, 8, base.n_frames, base.n_bins)
    per_batch = {}
    for phase, ks in [("enc", (1, 0, 0)), ("dec", (0, 1, 0)), ("clf", (0, 0, 1))]:
        cfg = make_config("paper", "AAEC", iterations=2, k1=ks[0], k2=ks[1], k3=ks[2], finetune_epochs=0)
        res = train(data, cfg, None, TrainOptions(device=device, progress=False))
        per_batch[phase] = res["history"][-1]["seconds"] / batches  # second iteration: warmed up
    epoch_batches = math.ceil(n_train_paper / base.batch_size)
    per_iteration = (base.k1 * per_batch["enc"] + base.k2 * per_batch["dec"] + base.k3 * per_batch["clf"]) * epoch_batches
    return {"per_batch": per_batch, "per_iteration": per_iteration, "epoch_batches": epoch_batches,
            "total_hours": per_iteration * base.iterations / 3600}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", choices=["small", "paper", "both"], default="both")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default 1: the labkit CLI's default for the small preset)")
    args = parser.parse_args()
    os.environ.setdefault("LABKIT_QUIET", "1")

    import torch

    torch.set_num_threads(args.threads)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"torch {torch.__version__}, {args.threads} CPU thread(s), {os.cpu_count()} cores; load average "
          f"{os.getloadavg()[0]:.1f} (other work on the machine slows these figures)")
    for device in devices:
        label = "CUDA " + torch.cuda.get_device_name(0) if device == "cuda" else "CPU"
        if args.preset in ("small", "both"):
            t0 = time.perf_counter()
            r = bench_small(device)
            print(f"[{label}] small preset: {r['per_iteration']:.2f} s per Algorithm 1 iteration "
                  f"(K1=K2=K3=1, {r['n_train']} training utterances, 94 x 129; median of {r['n']}; "
                  f"bench {time.perf_counter() - t0:.0f} s)")
        if args.preset in ("paper", "both"):
            t0 = time.perf_counter()
            r = bench_paper(device)
            pb = r["per_batch"]
            print(f"[{label}] paper preset: {r['per_iteration']:.0f} s per Algorithm 1 iteration, extrapolated "
                  f"(K1/K2/K3 = 10/20/20 epochs of {r['epoch_batches']} batches of 32, 469 x 513; per batch: "
                  f"enc+disc {pb['enc']:.2f} s, decoder {pb['dec']:.2f} s, classifier {pb['clf']:.2f} s); "
                  f"500 iterations = {r['total_hours']:.0f} h (bench {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
