"""Builders of fake runs for the dashboard tests and benchmark, written with the RunStore API.

* `make_training_run`: an ``aaec``-like run. Real data are Gaussian class clouds; the test cloud
  is the training cloud shifted along the first axis (the gap AAEC's Figure 1 draws). Generated
  snapshots start as a tight blob off to the side and drift, iteration by iteration, towards the
  test cloud, so coverage of the test set should grow over training. Also a ``history`` table.
* `make_compare_run`: a ``compare`` run with the tables of docs/architecture.md
  (tasks, summary, per_class, paired, sweep).
* `make_augmenter_run`: a ``compare`` run with two recorded augmenters (spaces ``aug-smote``, one
  frame, and ``aug-gan``, four) on the same real rows: the side-by-side view's input.
* `make_partial_run`: a run that has only started (run.json, nothing else).
* `make_broken_run`: a directory whose run.json is not JSON.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from labkit.runstore import RunStore

CLASSES = ["angry", "happy", "neutral", "sad"]


def make_training_run(
    root,
    run_id: str = "aaec-fake",
    *,
    n_train: int = 240,
    n_test: int = 120,
    d: int = 8,
    n_classes: int = 3,
    iterations=(0, 10, 20, 30, 40),
    n_gen: int = 90,
    shift: float = 4.0,
    spaces=("spectrum",),
    seed: int = 0,
    history: bool = True,
):
    """An AAEC-like run: reference + drifting snapshots in each of `spaces` (+ history table)."""
    rng = np.random.default_rng(seed)
    run = RunStore(root).create("aaec", {"fake": True, "seed": seed}, run_id=run_id)
    classes = CLASSES[:n_classes]
    centers = rng.normal(0.0, 2.0, size=(n_classes, d))  # (C, d) class means
    offset = np.zeros(d)
    offset[0] = shift  # the test cloud sits `shift` away along axis 0

    def cloud(n, extra):
        y = rng.integers(0, n_classes, size=n)
        X = centers[y] + extra + rng.normal(size=(n, d))  # (n, d)
        return X.astype(np.float32), np.asarray(classes)[y]

    for space in spaces:
        X_train, y_train = cloud(n_train, 0.0)
        X_test, y_test = cloud(n_test, offset)
        run.save_reference(space, X_train, y_train, X_test, y_test)
        start = -offset * 2  # where the generator starts: away from both clouds
        for step, it in enumerate(iterations):
            alpha = step / max(len(iterations) - 1, 1)  # 0 at the first snapshot, 1 at the last
            spread = 0.2 + 0.8 * alpha  # starts collapsed, ends as wide as the real clouds
            y = rng.integers(0, n_classes, size=n_gen)
            X = centers[y] * alpha + (1 - alpha) * start + alpha * offset + spread * rng.normal(size=(n_gen, d))
            origin = np.where(np.arange(n_gen) % 2 == 0, "noise", "code")
            run.save_snapshot(space, it, X, np.asarray(classes)[y], origin)
    if history:
        its = np.arange(0, max(iterations) + 1, max(1, max(iterations) // 20 or 1))
        run.write_table(
            "history",
            pd.DataFrame(
                {
                    "iteration": its,
                    "loss_recon": 1.0 / (1 + its / 10),
                    "loss_d": 0.7 + 0.05 * np.sin(its),
                    "loss_g": 0.7 - 0.05 * np.sin(its),
                    "val_uar": np.minimum(0.3 + its / (max(iterations) + 1) * 0.4, 1.0),
                }
            ),
        )
    run.set_status("finished")
    return run


def make_compare_run(
    root,
    run_id: str = "compare-fake",
    *,
    augmenters=("none", "noise", "smote", "aaec"),
    metrics=("uar", "wa", "f1"),
    n_classes: int = 4,
    seed: int = 0,
    sweep: bool = True,
    tables=("tasks", "summary", "per_class", "paired", "sweep"),
):
    """A compare run with fabricated but consistent tables (only those named in `tables`)."""
    rng = np.random.default_rng(seed)
    run = RunStore(root).create("compare", {"fake": True, "augmenters": list(augmenters)}, run_id=run_id)
    classes = CLASSES[:n_classes]
    task_rows = []
    for a_i, aug in enumerate(augmenters):
        for s in range(3):
            for fold in range(2):
                row = {"augmenter": aug, "seed": s, "fold": f"f{fold}"}
                for m in metrics:
                    row[m] = float(0.4 + 0.03 * a_i + rng.normal(0, 0.02))
                task_rows.append(row)
    tasks = pd.DataFrame(task_rows)
    summary = []
    for aug, rows in tasks.groupby("augmenter", sort=False):
        for m in metrics:
            v = rows[m].to_numpy()
            half = 1.96 * v.std(ddof=1) / np.sqrt(len(v))
            summary.append(
                {
                    "augmenter": aug,
                    "metric": m,
                    "mean": v.mean(),
                    "ci_low": v.mean() - half,
                    "ci_high": v.mean() + half,
                    "n": len(v),
                }
            )
    per_class = [
        {"augmenter": aug, "class": c, "recall": float(rng.uniform(0.2, 0.8))} for aug in augmenters for c in classes
    ]
    paired = [
        {
            "augmenter": aug,
            "metric": m,
            "mean_diff": float(rng.normal(0.02, 0.01)),
            "p_value": float(rng.uniform(0, 0.2)),
        }
        for aug in augmenters
        if aug != "none"
        for m in metrics
    ]
    sweep_rows = []
    for a_i, aug in enumerate(augmenters):
        if aug == "none":
            continue
        for amount in (0.5, 1.0, 2.0):
            for m in metrics:
                mean = 0.4 + 0.02 * a_i + 0.01 * amount
                sweep_rows.append(
                    {
                        "augmenter": aug,
                        "amount": amount,
                        "metric": m,
                        "mean": mean,
                        "ci_low": mean - 0.02,
                        "ci_high": mean + 0.02,
                    }
                )
    all_tables = {
        "tasks": tasks,
        "summary": pd.DataFrame(summary),
        "per_class": pd.DataFrame(per_class),
        "paired": pd.DataFrame(paired),
        "sweep": pd.DataFrame(sweep_rows),
    }
    for name in tables:
        if name == "sweep" and not sweep:
            continue
        run.write_table(name, all_tables[name])
    run.set_status("finished")
    return run


def make_augmenter_run(
    root,
    run_id: str = "compare-gens",
    *,
    generators=None,
    n_train: int = 200,
    n_test: int = 80,
    d: int = 8,
    n_classes: int = 3,
    seed: int = 0,
    shift: float = 4.0,
):
    """A compare run that recorded several augmenters on one fold: spaces ``aug-<name>`` that share
    one reference (the same real rows), as `labkit compare --record-every` writes them.

    `generators` maps a name to its recorded iterations and samples per iteration; the default is
    a one-shot ``smote`` (iteration 0 only, samples between training points) and a ``gan`` whose
    samples drift from a collapsed blob towards the shifted test cloud.
    """
    generators = generators or {"smote": ((0,), 150), "gan": ((0, 5, 10, 15), 60)}
    rng = np.random.default_rng(seed)
    run = RunStore(root).create("compare", {"fake": True, "augmenters": ["none", *generators]}, run_id=run_id)
    classes = np.asarray(CLASSES[:n_classes])
    centers = rng.normal(0.0, 2.0, size=(n_classes, d))
    offset = np.zeros(d)
    offset[0] = shift
    y_train = rng.integers(0, n_classes, size=n_train)
    X_train = (centers[y_train] + rng.normal(size=(n_train, d))).astype(np.float32)
    y_test = rng.integers(0, n_classes, size=n_test)
    X_test = (centers[y_test] + offset + rng.normal(size=(n_test, d))).astype(np.float32)
    for name, (iterations, n_gen) in generators.items():
        space = f"aug-{name}"
        run.save_reference(space, X_train, classes[y_train], X_test, classes[y_test])
        for step, it in enumerate(iterations):
            alpha = step / max(len(iterations) - 1, 1)
            i, j = rng.integers(0, n_train, size=(2, n_gen))
            if len(iterations) == 1:  # one-shot: interpolations between training points (SMOTE-like)
                lam = rng.uniform(size=(n_gen, 1))
                X, y = X_train[i] + lam * (X_train[j] - X_train[i]), classes[y_train[i]]
            else:
                yc = rng.integers(0, n_classes, size=n_gen)
                X = (
                    centers[yc] * alpha
                    + alpha * offset
                    - (1 - alpha) * offset
                    + (0.2 + 0.8 * alpha) * rng.normal(size=(n_gen, d))
                )
                y = classes[yc]
            run.save_snapshot(space, it, X, y)
    run.set_status("finished")
    return run


def make_partial_run(root, run_id: str = "aaec-partial", kind: str = "aaec"):
    """A run that has only just started: run.json and status 'running', no data."""
    return RunStore(root).create(kind, {"partial": True}, run_id=run_id)


def make_broken_run(root, run_id: str = "broken-run") -> Path:
    """A directory with a run.json that is not JSON (a damaged copy, say)."""
    path = Path(root) / run_id
    path.mkdir(parents=True, exist_ok=True)
    (path / "run.json").write_text("{not json")
    return path


def make_store(root, big: bool = False) -> Path:
    """A store with one training run, one compare run, one partial and one broken run."""
    root = Path(root)
    make_training_run(root)
    make_compare_run(root)
    make_partial_run(root)
    make_broken_run(root)
    if big:
        make_training_run(
            root, "aaec-big", n_train=8000, n_test=2000, iterations=tuple(range(0, 100, 10)), n_gen=1000, d=32
        )
    return root


def make_audio_run(
    root,
    corpus_dir,
    run_id: str = "aaec-audio",
    *,
    n_speakers: int = 6,
    per_speaker: int = 8,
    iterations=(1, 2, 3),
    n_gen: int = 24,
    seconds: float = 0.8,
    seed: int = 0,
):
    """An AAEC-like run over a small corpus of real wav files (``csv:<corpus_dir>/manifest.csv``).

    The run's config names the source and AAEC's split (``test_fraction``, ``split_seed``), and its
    reference rows are that split's utterances (labels: emotions), so `labkit.viz.inspect.utterances`
    can match them; every wav is a tone whose pitch depends on the emotion. Each iteration stores the
    power spectrograms of its first six generated samples (``spectrograms/iter_<it>.npz``) in the
    layout `labkit.trainers.figure5.Figure5Recorder` writes (pooled by 4, log(P + eps)).
    """
    import soundfile as sf

    from labkit.data.loaders import load_corpus
    from labkit.experiment.protocols import make_folds

    rng = np.random.default_rng(seed)
    corpus_dir = Path(corpus_dir)
    (corpus_dir / "wav").mkdir(parents=True, exist_ok=True)
    emotions = ["angry", "happy", "neutral", "sad"]
    lines, sr = [], 16000
    t = np.arange(int(seconds * sr)) / sr
    for s in range(n_speakers):
        for u in range(per_speaker):
            emo = emotions[u % len(emotions)]
            f0 = 150 + 60 * emotions.index(emo) + 10 * s
            wave = 0.3 * np.sin(2 * np.pi * f0 * t) * np.hanning(t.size) + 0.01 * rng.normal(size=t.size)
            name = f"s{s}_{emo}_{u:02d}.wav"
            sf.write(corpus_dir / "wav" / name, wave.astype(np.float32), sr)
            lines.append({"path": f"wav/{name}", "emotion": emo, "speaker": f"s{s}"})
    manifest = corpus_dir / "manifest.csv"
    pd.DataFrame(lines).to_csv(manifest, index=False)
    source = f"csv:{manifest}"
    table = load_corpus(source).reset_index(drop=True)
    fold = make_folds(table, "split", test_fraction=0.3, seed=0)[0]
    config = {"source": source, "test_fraction": 0.3, "split_seed": 0, "fake": True}
    run = RunStore(root).create("aaec", config, run_id=run_id)
    d = 12
    emotions = sorted(table["emotion"].astype(str).unique())  # the loader's names (angry -> anger, ...)
    centers = {e: rng.normal(0, 2, size=d) for e in emotions}
    y_train = table["emotion"].to_numpy()[fold.train_idx].astype(str)
    y_test = table["emotion"].to_numpy()[fold.test_idx].astype(str)
    X_train = np.stack([centers[e] for e in y_train]) + rng.normal(size=(len(y_train), d))
    X_test = np.stack([centers[e] for e in y_test]) + rng.normal(size=(len(y_test), d)) + 1.5
    run.save_reference("spectrum", X_train, y_train, X_test, y_test)
    n_frames, n_bins = int(seconds * sr) // 512 + 1, 129  # 513 FFT bins pooled by 4
    for step, it in enumerate(iterations):
        alpha = (step + 1) / len(iterations)
        y = np.asarray(emotions)[rng.integers(0, len(emotions), n_gen)]
        X = np.stack([centers[e] for e in y]) * alpha + rng.normal(size=(n_gen, d)) + 3 * (1 - alpha)
        origin = np.where(np.arange(n_gen) < n_gen // 2, "noise", "code")
        run.save_snapshot("spectrum", it, X, y, origin)
        rows = np.arange(6)
        log_power = np.full((rows.size, n_frames, n_bins), np.log(1e-6), np.float32)
        for i, r in enumerate(rows):
            band = 4 + 3 * emotions.index(y[r])  # a harmonic stack whose pitch follows the label
            for h in range(1, 6):
                if band * h < n_bins:
                    log_power[i, :, band * h] = np.log(10.0 / h)
        run.write_npz(
            f"spectrograms/iter_{it:07d}",
            rows=rows,
            log_power=log_power.astype(np.float16),
            log_eps=np.float64(1e-6),
            freq_pool=np.int64(4),
        )
    its = np.asarray(iterations)
    # A history with a count (steps) beside scores and losses, as AAEC's trainer writes.
    run.write_table(
        "history",
        pd.DataFrame({"iteration": its, "loss_recon": 1 / its, "val_uar": 0.3 + 0.1 * its / its.max(), "steps": 32}),
    )
    run.set_status("finished")
    return run
