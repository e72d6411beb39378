"""Speed of AAEC's Algorithm 1 (`labkit.trainers.aaec.train`) for the `small` and `paper` presets.

Prints figures, asserts nothing. Random standardised spectrograms of each preset's shape stand in for
data (the cost does not depend on the values). For every phase of an iteration it prints

* the time per optimiser step inside `train()` (the loop as it runs: batch gathering, autocast, the
  players' updates, loss accumulation, the once-per-iteration sync), and
* the *floor*: the bare forward + backward of the same modules on one fixed batch already on the
  device, with no optimiser, no indexing and no bookkeeping. The ratio loop / floor is what the loop
  costs beyond the arithmetic (1.0 would be a perfect loop).

small: whole iterations are timed on 490 training utterances (the embedded corpus' training side);
the first iteration is warm-up. paper: one iteration is K1 = 10 epochs of Encoder + Discriminator,
K2 = 20 of Decoder and K3 = 20 of Classifier over MuSe-Topic's 4207 training utterances (132 batches of
32), hours on a CPU, so each phase is timed on a few batches and the iteration is extrapolated:
iteration = (K1 t_enc + K2 t_dec + K3 t_clf) x batches per epoch, where t_* are per-batch times.

    python benchmarks/bench_aaec.py                 # both presets, CPU (and CUDA when available)
    python benchmarks/bench_aaec.py --preset paper --device cuda --batches 20
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

PAPER_TRAIN = 4207  # MuSe-Topic training utterances
PHASES = {"enc": (1, 0, 0), "dec": (0, 1, 0), "clf": (0, 0, 1)}


def fake_set(n: int, T: int, F: int, n_test: int = 8, seed: int = 0):
    import torch

    from labkit.data.aaec import TrainingSet

    g = torch.Generator().manual_seed(seed)
    return TrainingSet(
        X_train=torch.randn(n, T, F, generator=g),
        arousal_train=torch.randint(0, 3, (n,), generator=g),
        valence_train=torch.randint(0, 3, (n,), generator=g),
        X_test=torch.randn(n_test, T, F, generator=g),
        arousal_test=torch.randint(0, 3, (n_test,), generator=g).numpy(),
        valence_test=torch.randint(0, 3, (n_test,), generator=g).numpy(),
    )


def sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def loop_phase(preset: str, phase: str, device: str, batches: int, compile: bool = False) -> dict:
    """Per-step and per-batch time of one phase inside train() (second iteration; the first warms up)."""
    from labkit.models.aaec import make_config
    from labkit.trainers.aaec import TrainOptions, train
    from labkit.utils import pick_device

    k1, k2, k3 = PHASES[phase]
    cfg = make_config(preset, "AAEC", iterations=2, k1=k1, k2=k2, k3=k3, finetune_epochs=0)
    data = fake_set(batches * cfg.batch_size, cfg.n_frames, cfg.n_bins)
    res = train(data, cfg, device=pick_device(device), options=TrainOptions(progress=False, compile=compile))
    row = res.history[-1]
    return {"per_step": row["seconds"] / row["steps"], "per_batch": row["seconds"] / batches, "steps": row["steps"]}


def floor_phase(preset: str, phase: str, device: str, reps: int = 5) -> float:
    """Seconds per batch of the bare forward + backward of one phase's modules (see the module docstring)."""
    import torch

    from labkit.models.aaec import (
        AAEC,
        classifier_loss,
        discriminator_loss,
        fool_loss,
        make_config,
        reconstruction_loss,
    )
    from labkit.trainers.common import autocast
    from labkit.utils import pick_device

    dev = pick_device(device)
    cfg = make_config(preset, "AAEC")
    model = AAEC(cfg).to(dev)
    enc, dec, disc, clf = model.encoder, model.decoder, model.discriminator, model.classifier
    B = cfg.batch_size
    x = torch.randn(B, cfg.n_frames, cfg.n_bins, device=dev)
    e = torch.randn(B, cfg.z_dim, device=dev)
    ya = torch.randint(0, 3, (B,), device=dev)

    def step():
        with autocast(dev, cfg.mixed_precision):
            if phase == "enc":
                z = enc(x)
                discriminator_loss(disc(e), disc(z.detach())).float().backward()
                loss = (
                    reconstruction_loss(dec(z).float(), x)
                    + fool_loss(disc(z).float())
                    + fool_loss(clf(model.generate_from_code(z, e)["mixed"])[0].float())
                )
            elif phase == "dec":
                with torch.no_grad():
                    z = enc(x)
                out = model.generate_from_code(z, e)
                rf, a, v = clf(out["mixed"])
                loss = (
                    reconstruction_loss(out["code"].float(), x)
                    + fool_loss(rf.float())
                    + torch.nn.functional.cross_entropy(a.float(), ya)
                )
            else:
                with torch.no_grad():
                    xf = model.generate_from_code(enc(x), e)["mixed"]
                rf, a, v = clf(torch.cat([x, xf.to(x.dtype)]))
                loss = classifier_loss(
                    (rf[:B].float(), a[:B].float(), v[:B].float()),
                    (rf[B:].float(), a[B:].float(), v[B:].float()),
                    ya,
                    ya,
                )
        loss.backward()

    step()  # warm-up
    sync(dev)
    t0 = time.perf_counter()
    for _ in range(reps):
        step()
    sync(dev)
    return (time.perf_counter() - t0) / reps


def bench_small(device: str, iterations: int = 3) -> dict:
    from labkit.models.aaec import make_config
    from labkit.trainers.aaec import TrainOptions, train
    from labkit.utils import pick_device

    cfg = make_config("small", "AAEC", iterations=iterations)
    data = fake_set(490, cfg.n_frames, cfg.n_bins, n_test=210)
    res = train(data, cfg, device=pick_device(device), options=TrainOptions(progress=False))
    rows = res.history[1:]  # the first iteration warms up
    secs = statistics.median(r["seconds"] for r in rows)
    steps = rows[0]["steps"]
    return {"per_iteration": secs, "steps": steps, "steps_per_s": steps / secs, "n": len(rows)}


def bench_paper(device: str, batches: int, compile: bool = False) -> dict:
    from labkit.models.aaec import make_config

    base = make_config("paper", "AAEC")
    epoch_batches = math.ceil(PAPER_TRAIN / base.batch_size)
    out = {"phases": {}}
    for phase in PHASES:
        loop = loop_phase("paper", phase, device, batches, compile)
        floor = floor_phase("paper", phase, device)
        out["phases"][phase] = {**loop, "floor_per_batch": floor}
    ph = out["phases"]
    out["epoch_batches"] = epoch_batches
    out["per_iteration"] = (
        base.k1 * ph["enc"]["per_batch"] + base.k2 * ph["dec"]["per_batch"] + base.k3 * ph["clf"]["per_batch"]
    ) * epoch_batches
    out["floor_per_iteration"] = (
        base.k1 * ph["enc"]["floor_per_batch"]
        + base.k2 * ph["dec"]["floor_per_batch"]
        + base.k3 * ph["clf"]["floor_per_batch"]
    ) * epoch_batches
    steps = epoch_batches * (2 * base.k1 + base.k2 + base.k3)
    out["steps_per_s"] = steps / out["per_iteration"]
    out["hours_500"] = out["per_iteration"] * base.iterations / 3600
    out["hours_table1"] = out["hours_500"] * 5  # five configurations (AAE+C and Classifier cost less: an upper bound)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", choices=["small", "paper", "both"], default="both")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: the CPU, and CUDA too when available)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (default 1: the labkit CLI's default for the small preset)",
    )
    parser.add_argument(
        "--batches",
        type=int,
        default=None,
        help="batches per timed phase of the paper preset (default: 2 on the CPU, 20 on CUDA)",
    )
    parser.add_argument("--compile", action="store_true", help="also time the paper preset with torch.compile")
    args = parser.parse_args()
    os.environ.setdefault("LABKIT_QUIET", "1")

    import torch

    torch.set_num_threads(args.threads)
    devices = [args.device] if args.device else ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(
        f"torch {torch.__version__}, {args.threads} CPU thread(s), {os.cpu_count()} cores; load average "
        f"{os.getloadavg()[0]:.1f} (other work on the machine slows these figures)"
    )
    for device in devices:
        label = "CUDA " + torch.cuda.get_device_name(0) if device == "cuda" else "CPU"
        if args.preset in ("small", "both"):
            t0 = time.perf_counter()
            r = bench_small(device)
            print(
                f"[{label}] small preset: {r['per_iteration']:.2f} s per Algorithm 1 iteration, {r['steps']} optimiser "
                f"steps = {r['steps_per_s']:.1f} steps/s (K1=K2=K3=1, 490 utterances, 94 x 129, batch 64; median of "
                f"{r['n']}; bench {time.perf_counter() - t0:.0f} s)"
            )
        if args.preset in ("paper", "both"):
            batches = args.batches or (20 if device == "cuda" else 2)
            for compile in [False, True] if args.compile else [False]:
                t0 = time.perf_counter()
                r = bench_paper(device, batches, compile)
                ph = r["phases"]
                parts = ", ".join(
                    f"{name} {p['per_batch'] * 1e3:.1f} ms/batch (floor {p['floor_per_batch'] * 1e3:.1f}, "
                    f"x{p['per_batch'] / p['floor_per_batch']:.2f})"
                    for name, p in ph.items()
                )
                print(
                    f"[{label}{' compiled' if compile else ''}] paper preset: {r['per_iteration']:.0f} s per Algorithm 1 "
                    f"iteration, extrapolated from {batches} batches per phase ({r['steps_per_s']:.1f} steps/s; "
                    f"floor {r['floor_per_iteration']:.0f} s); {parts}; 500 iterations = {r['hours_500']:.1f} h, "
                    f"x 5 configurations <= {r['hours_table1']:.0f} h per Table 1 seed (bench {time.perf_counter() - t0:.0f} s)"
                )


if __name__ == "__main__":
    main()
