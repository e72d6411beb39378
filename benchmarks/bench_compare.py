"""How fast the comparison runner goes: tasks per second on a toy feature table.

    python benchmarks/bench_compare.py [--speakers 10] [--dim 88] [--jobs 1] [--classifier svm-linear]

Prints the size of the problem, the seconds for all tasks and the tasks per second, then the
seconds for a rerun (which must compute nothing). Figures only; no pass/fail.
"""

import argparse
import os
import tempfile
import time

os.environ.setdefault("LABKIT_QUIET", "1")


def main() -> None:
    from labkit.experiment.toy import toy_features
    from labkit.runs.compare import CompareConfig, run_comparison
    from labkit.runstore import Run

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--speakers", type=int, default=10)
    p.add_argument("--per", type=int, default=10, help="utterances per speaker and class")
    p.add_argument("--dim", type=int, default=88, help="feature dimension (eGeMAPS: 88)")
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--classifier", default="svm-linear")
    args = p.parse_args()

    classes = ("anger", "boredom", "disgust", "fear", "happiness", "sadness", "neutral")
    meta, X = toy_features(n_speakers=args.speakers, classes=classes, n_per=args.per, dim=args.dim, separation=0.5)
    config = CompareConfig(seeds=args.seeds, classifier=args.classifier)
    with tempfile.TemporaryDirectory() as tmp:
        run = Run.create(os.path.join(tmp, "run"), "compare", config.to_dict())
        t0 = time.perf_counter()
        result = run_comparison(meta, X, config, run, n_jobs=args.jobs, progress=False)
        seconds = time.perf_counter() - t0
        t1 = time.perf_counter()
        again = run_comparison(meta, X, config, run, n_jobs=args.jobs, progress=False)
        rerun = time.perf_counter() - t1
    print(f"table: {X.shape[0]} utterances x {X.shape[1]} features, {len(classes)} classes, {args.speakers} speakers")
    print(
        f"tasks: {result.n_tasks} ({len(config.augmenters)} augmenters x {args.seeds} seed(s) x loso folds), "
        f"classifier {args.classifier}, jobs {args.jobs}"
    )
    print(f"first run: {seconds:.1f} s, {result.n_computed / seconds:.1f} tasks/s")
    print(f"rerun: {rerun:.2f} s, {again.n_computed} tasks computed")


if __name__ == "__main__":
    main()
