"""`labkit demo`: the main job — embedded corpus → augmenter comparison → AAEC run → dashboard.

The demo drives the other commands through `labkit.cli.main`, so it runs exactly what a user would
type; each step prints the command it runs. Every step writes to one run store (``--runs``), and a
second `labkit demo` resumes: finished tasks are read back, not recomputed.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

DESCRIPTION = """\
Run labkit's demo on the embedded synthetic corpus, then open the dashboard on the results:

  1. build the embedded corpus (10 speakers x 7 emotions x 10 utterances of real 16 kHz audio),
  2. compare augmenters (none, Gaussian noise, random oversampling, SMOTE, ADASYN) with a linear SVM on
     eGeMAPS under leave-one-speaker-out, plus a sweep of UAR against the amount of synthetic data,
  3. train AAEC (small preset) and record generated samples every iteration (AAEC's Figure 5),
  4. start the dashboard on the run store (Ctrl-C stops it).

Runs land in --runs (default ./runs). Running the demo again reuses finished work.
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo", help="run the demo on the embedded corpus and open the dashboard",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--runs", default="runs", help="run store directory (default: %(default)s)")
    p.add_argument("--seeds", type=int, default=2, help="seeds for the augmenter comparison (default: %(default)s)")
    p.add_argument("--iterations", type=int, default=40,
                   help="Algorithm 1 iterations for the AAEC run (default: %(default)s)")
    p.add_argument("--quick", action="store_true",
                   help="a smaller demo for tests: 1 seed, no sweep, 3 AAEC iterations")
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


def run(args: argparse.Namespace) -> int:
    runs = Path(args.runs)
    runs.mkdir(parents=True, exist_ok=True)
    seeds = 1 if args.quick else args.seeds
    iterations = 3 if args.quick else args.iterations
    t0 = time.perf_counter()

    _step("the embedded corpus", ["corpus", "info", "synthetic"])

    compare = ["compare", "synthetic", "--features", "egemaps", "--augmenters", "none,noise,ros,smote,adasyn",
               "--protocol", "loso", "--seeds", str(seeds), "--classifier", "svm-linear",
               "--out", str(runs / "demo-compare")]
    if not args.quick:
        compare += ["--sweep", "0.5,1,2"]
    _step("augmenter comparison (eGeMAPS, linear SVM, leave-one-speaker-out)", compare)

    _step("AAEC training with Figure 5 recording (small preset)",
          ["reproduce", "aaec-train", "synthetic", "--configuration", "AAEC", "--preset", "small",
           "--iterations", str(iterations), "--out", str(runs / "demo-aaec")])

    _step("coverage of the test distribution by AAEC's generated samples", ["coverage", str(runs / "demo-aaec")])

    print(f"\nDemo experiments finished in {time.perf_counter() - t0:.0f} s; runs are in {runs.resolve()}")
    if args.no_dashboard:
        print(f"Open the dashboard with: labkit dashboard --runs {shlex.quote(str(runs))}")
        return 0
    from labkit.cli import main

    print("\n== dashboard (Ctrl-C to stop)", flush=True)
    sys.stdout.flush()
    return main(["dashboard", "--runs", str(runs), "--port", str(args.port)])
