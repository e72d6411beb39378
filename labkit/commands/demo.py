"""`labkit demo`: an open question on the embedded corpus → augmenter comparison → AAEC → dashboard.

The question the demo asks is AAEC's (Fu et al. 2020, Figure 1): when held-out speakers lie
outside the training distribution, do generated samples reach them, and does that help? It runs on
the `synthetic:shifted` scenario, where about half of a held-out speaker's samples lie outside every
training sample's k-NN ball (`labkit corpus measure`), so the answer is not known in advance.

The demo drives the other commands through `labkit.cli.main`, so it runs exactly what a user would
type; each step prints the command it runs. Every step writes to one run store (``--runs``), and a
second `labkit demo` resumes: finished tasks are read back, not recomputed.

Tuning: the comparison's linear SVM is tuned in every training fold, as ``labkit compare`` does by
default (one inner CV per fold on its real rows: 10 of them, about 3 s of CPU on this corpus, next
to minutes for the cGAN), so the demo's baseline is the one a paper should beat. ``--quick`` (the
tests' demo) passes ``--no-tune`` and says so.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

SCENARIO = "synthetic:shifted"
# Classical augmenters, then the model augmenters the demo adds when they are registered (in order).
CLASSICAL = ["none", "noise", "smote"]
MODELS = ["cgan"]
# Small budgets that keep the demo within a few minutes on 2 CPU cores (per training fold). The cGAN
# runs as Sahu et al.'s Figure 4b ("pretrained": generator initialised from the AAE's decoder), the
# augmenter's default, named here so the demo's run says so: at this budget the Figure 4c preset
# ("improved": 5 generator steps at 10x the learning rate) generated samples about 100 standard
# deviations off the real data on this corpus.
MODEL_PARAMS = {"cgan": ["cgan.preset=pretrained", "cgan.epochs=60", "cgan.aae_epochs=60"]}

DESCRIPTION = f"""\
Run labkit's demo on an open question, then open the dashboard on the results.

The question is AAEC's (Fu et al. 2020, Figure 1): when held-out speakers lie outside the training
distribution, do generated samples reach them, and does augmentation help? The demo uses the
{SCENARIO} scenario of the embedded corpus (10 speakers x 7 emotions x 10 utterances of real
16 kHz audio, with twice the usual speaker spread), where about half of a held-out speaker's samples
lie outside every training sample's neighbourhood:

  1. build the corpus and measure it (no-augmentation UAR, share of test samples outside the
     training data),
  2. compare augmenters (none, Gaussian noise, SMOTE and Sahu et al.'s conditional GAN, Figure 4b,
     when it is installed) with a linear SVM on eGeMAPS, tuned in every training fold, leave one
     speaker out, recording every augmenter's generated samples on the first fold, and gate every
     generator (did it learn the data?),
  3. train AAEC (small preset) on the same corpus and record its generated samples every iteration
     (AAEC's Figure 5), then compute their coverage of the test data,
  4. write a shareable offline report of the comparison (runs/demo-compare/report.html),
  5. start the dashboard (Distribution: pick "Beside it" to put two augmenters side by side).

Runs land in --runs (default ./runs). Running the demo again reuses finished work.
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run the demo (an open question on the embedded corpus) and open the dashboard",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--runs", default="runs", help="run store directory (default: %(default)s)")
    p.add_argument(
        "--seeds",
        type=int,
        default=1,
        help="seeds for the augmenter comparison (default: %(default)s; the interval is then over "
        "the 10 held-out speakers)",
    )
    p.add_argument(
        "--iterations", type=int, default=20, help="Algorithm 1 iterations for the AAEC run (default: %(default)s)"
    )
    p.add_argument(
        "--sweep", action="store_true", help="also sweep UAR against the amount of synthetic data (0.5, 1, 2; slower)"
    )
    p.add_argument("--jobs", type=int, default=2, help="comparison tasks run in parallel (default: %(default)s)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="a smaller demo for tests: classical augmenters only, a fixed classifier (--no-tune), 3 AAEC iterations",
    )
    p.add_argument("--no-dashboard", action="store_true", help="stop after the experiments; print where the runs are")
    p.add_argument("--port", type=int, default=8501, help="dashboard port (default: %(default)s)")
    p.set_defaults(func=run)


def _step(title: str, argv: list[str]) -> None:
    from labkit.cli import main

    print(f"\n== {title}\n$ labkit {shlex.join(argv)}", flush=True)
    t0 = time.perf_counter()
    status = main(argv)
    if status:
        raise SystemExit(f"labkit demo: step failed (exit {status}): labkit {shlex.join(argv)}")
    print(f"   ({time.perf_counter() - t0:.1f} s)", flush=True)


def model_augmenters() -> list[str]:
    """The model augmenters of `MODELS` that are registered and import (so the demo never breaks)."""
    from labkit.augment import AUGMENTERS, augmenter_class
    from labkit.errors import LabkitError

    found = []
    for name in MODELS:
        if name not in AUGMENTERS:
            continue
        try:
            augmenter_class(name)
        except (ImportError, LabkitError):
            continue
        found.append(name)
    return found


def steps(args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    """The demo's commands, in order: (title, argv of `labkit`)."""
    from labkit.errors import LabkitError

    if args.seeds < 1 or args.iterations < 1 or args.jobs < 1:
        raise LabkitError("--seeds, --iterations and --jobs must be at least 1")
    runs = Path(args.runs)
    models = [] if args.quick else model_augmenters()
    augmenters = CLASSICAL + models
    compare = [
        "compare",
        SCENARIO,
        "--features",
        "egemaps",
        "--augmenters",
        ",".join(augmenters),
        "--protocol",
        "loso",
        "--seeds",
        str(1 if args.quick else args.seeds),
        "--classifier",
        "svm-linear",
        "--record-every",
        "10",
        "--jobs",
        str(args.jobs),
        "--out",
        str(runs / "demo-compare"),
    ]
    for name in models:
        for param in MODEL_PARAMS.get(name, []):
            compare += ["--param", param]
    if args.sweep and not args.quick:
        compare += ["--sweep", "0.5,1,2"]
    if args.quick:
        compare += ["--no-tune"]  # seconds matter in the tests' demo
    classifier = "fixed linear SVM: --no-tune, quick demo" if args.quick else "linear SVM tuned in every fold"
    iterations = 3 if args.quick else args.iterations
    return [
        ("the corpus: held-out speakers outside the training distribution", ["corpus", "info", SCENARIO]),
        (
            "how hard it is, and how far the held-out speakers lie outside (eGeMAPS, linear SVM, LOSO)",
            ["corpus", "measure", SCENARIO],
        ),
        (
            f"augmenter comparison: {', '.join(augmenters)} ({classifier}; generated samples recorded on the first "
            "fold; every generator gated)",
            compare,
        ),
        (
            "AAEC training with Figure 5 recording (small preset)",
            [
                "reproduce",
                "aaec-train",
                SCENARIO,
                "--configuration",
                "AAEC",
                "--preset",
                "small",
                "--iterations",
                str(iterations),
                "--out",
                str(runs / "demo-aaec"),
            ],
        ),
        (
            "coverage of the test data by AAEC's generated samples (spectrum space)",
            ["coverage", str(runs / "demo-aaec"), "--space", "spectrum"],
        ),
        (
            "a shareable offline report of the comparison",
            ["report", str(runs / "demo-compare"), "--out", str(runs / "demo-compare" / "report.html")],
        ),
    ]


# Library warnings the demo does not show, each with why it is harmless here.
QUIET_WARNINGS = [
    # joblib's loky executor restarts a worker whose memory grew (torch's allocator in the cGAN tasks) and
    # says so; the task is resubmitted and its result is the same, so a new user only sees noise.
    ("A worker stopped while some jobs were given to the executor", UserWarning),
]


def quiet_library_warnings() -> None:
    """Silence `QUIET_WARNINGS` in this process and in worker processes it starts (PYTHONWARNINGS)."""
    import os
    import warnings

    entries = []
    for message, category in QUIET_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category)
        entries.append(f"ignore:{message}:{category.__name__}")
    os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS", ""), *entries]))


def trust_lines(runs: Path) -> list[str]:
    """One line per demo run and space: how far its PCA plane keeps full-space neighbourhoods."""
    from labkit.errors import LabkitError
    from labkit.runstore import Run
    from labkit.viz.inspect import trust_summary

    lines = []
    for name in ("demo-compare", "demo-aaec"):
        path = runs / name
        if not (path / "run.json").exists():
            continue
        run = Run(path)
        for space in run.spaces():
            try:
                t = trust_summary(run, space)
            except (LabkitError, OSError, ValueError) as err:
                lines.append(f"  {name} · {space}: cannot measure ({err})")
                continue
            flag = "  (low: judge closeness by the full-space neighbours)" if t["warning"] else ""
            lines.append(
                f"  {name} · {space}: trustworthiness {t['trustworthiness']:.2f}, "
                f"{100 * t['preserved']:.0f}% of {t['k']} nearest neighbours kept "
                f"(iteration {t['iteration']}, {t['n']} points){flag}"
            )
    return lines


def run(args: argparse.Namespace) -> int:
    plan = steps(args)
    runs = Path(args.runs)
    runs.mkdir(parents=True, exist_ok=True)
    quiet_library_warnings()
    t0 = time.perf_counter()
    for title, argv in plan:
        _step(title, argv)
    lines = trust_lines(runs)
    if lines:
        print("\n== how far to trust the dashboard's PCA planes (sklearn trustworthiness; k-NN kept in the plane)")
        print("\n".join(lines))

    print(f"\nDemo experiments finished in {time.perf_counter() - t0:.0f} s; runs are in {runs.resolve()}")
    print(
        "On the dashboard's Distribution page pick the demo-compare run, a space such as aug-smote, and\n"
        "'Beside it' another augmenter: both play in one plane with the test speakers they should reach."
    )
    if args.no_dashboard:
        print(f"Open the dashboard with: labkit dashboard --runs {shlex.quote(str(runs))}")
        return 0
    from labkit.cli import main

    print("\n== dashboard (Ctrl-C to stop)", flush=True)
    sys.stdout.flush()
    return main(["dashboard", "--runs", str(runs), "--port", str(args.port)])
