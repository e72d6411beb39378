"""`labkit coverage RUNDIR`: how well a run's generated samples cover the real data, per iteration."""

from __future__ import annotations

import argparse
import json
import math

DESCRIPTION = """\
Print coverage metrics of a run's generated samples against its real data, one row per recorded
iteration (snapshots/<space>/iter_*.npz against reference/<space>.npz):

  precision, recall   Kynkäänniemi et al. 2019: generated inside the real k-NN manifold, and back
  density, coverage   Naeem et al. 2020: k-NN balls of real samples only (≈1 and high when alike)
  frechet             Fréchet distance of Gaussian fits (0 when alike)
  mmd                 squared MMD, Gaussian kernel with the median bandwidth (≈0 when alike)
  c2st_auc            AUC of a k-NN classifier telling real from generated (0.5 when alike)
  test_gain           share of TEST samples inside a generated k-NN ball but no TRAINING ball:
                      test regions only the generator reaches (AAEC's hypothesis as a number)
  test_in_train       share of test samples inside some training ball (the baseline)

The reference scale: for a comparison run on a synthetic corpus (`labkit compare synthetic:... --record-every
N`, spaces aug-<augmenter>), the same metrics of the oracle augmenters' rows (new real utterances of the
fold's speakers, and of new speakers), drawn for the recorded fold in the same amount per class, are
printed under the generator's rows ("oracle-population reaches test_gain X; this generator Y") and kept
in the run's table coverage-reference (the dashboard shows them). Other runs and sources have no
reference, and the command says so; --no-reference skips it (drawing the oracles' pool the first time
synthesises and featurises a corpus-sized pool, minutes).

Metrics are computed in the full feature space (standardised with the real data's mean/std), on each
iteration's own samples, with sets larger than --max-samples subsampled deterministically. Results
are cached in RUNDIR/cache/, so a second call (and the dashboard) reads them. By default the PCA
projection the dashboard shows is precomputed as well (see --projections).

examples:
  labkit coverage runs/demo-aaec
  labkit coverage runs/demo-aaec --space spectrum --json > coverage.json
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "coverage",
        help="coverage metrics of generated samples per training iteration",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("rundir", metavar="RUNDIR", help="a run directory with reference/ and snapshots/ (e.g. an aaec run)")
    p.add_argument(
        "--space", default=None, help="representation to compare in (default: the run's first space, alphabetically)"
    )
    p.add_argument(
        "--json", action="store_true", help="print a JSON list of objects: iteration, one key per metric, n_generated"
    )
    p.add_argument("--k", type=int, default=5, help="neighbours defining each k-NN ball (default: %(default)s)")
    p.add_argument(
        "--max-samples",
        type=int,
        default=2000,
        help="cap on samples per set; larger sets are subsampled with a fixed seed (default: %(default)s)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed of the subsampling and the C2ST folds (default: %(default)s)"
    )
    p.add_argument(
        "--projections",
        default="pca",
        help="comma-separated projections to precompute for the dashboard: pca, umap, or none (default: %(default)s)",
    )
    p.add_argument(
        "--no-reference",
        action="store_true",
        help="skip the oracles' reference scale (comparison runs on a synthetic corpus only)",
    )
    p.add_argument("--no-cache", action="store_true", help="recompute every iteration, ignoring RUNDIR/cache")
    p.set_defaults(func=run)


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def run(args: argparse.Namespace) -> int:
    from labkit.errors import LabkitError
    from labkit.metrics.coverage import METRICS, CoverageConfig, coverage_for_run, resolve_space
    from labkit.runstore import open_run
    from labkit.viz.projection import METHODS, ProjectionConfig, load_or_compute

    if args.k < 1:
        raise LabkitError(f"--k must be at least 1, got {args.k}")
    if args.max_samples <= args.k:
        raise LabkitError(f"--max-samples must exceed --k, got {args.max_samples}")
    if args.seed < 0:
        raise LabkitError(f"--seed must be >= 0, got {args.seed}")
    methods = [m.strip() for m in args.projections.split(",") if m.strip() and m.strip() != "none"]
    for m in methods:
        if m not in METHODS:
            raise LabkitError(f"--projections: unknown projection {m!r}; choose from {', '.join(METHODS)} or none")

    run_ = open_run(args.rundir)
    space = resolve_space(run_, args.space)
    if not run_.snapshot_iterations(space):
        raise LabkitError(f"{run_.path}: no generated snapshots in space {space!r} yet (snapshots/{space}/iter_*.npz)")
    config = CoverageConfig(k=args.k, max_samples=args.max_samples, seed=args.seed)
    rows = coverage_for_run(run_, space, config, use_cache=not args.no_cache)
    for method in methods:
        load_or_compute(run_, space, ProjectionConfig(method=method, seed=args.seed))

    reference, note = [], None
    if not args.no_reference:
        reference, note = _reference(run_, space, config, use_cache=not args.no_cache)

    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    columns = ["iteration", *METRICS, "n_generated"]
    table = [columns] + [[_fmt(r.get(c, float("nan"))) for c in columns] for r in rows]
    table += [[r["oracle"], *[_fmt(r.get(c, float("nan"))) for c in columns[1:]]] for r in reference]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    print(f"coverage of {run_.id} in space {space!r} (k={config.k}, at most {config.max_samples} samples per set)")
    for line in table:
        print("  ".join(cell.rjust(w) for cell, w in zip(line, widths)))
    for r in rows:
        if r.get("note"):
            print(f"note: iteration {r['iteration']}: {r['note']}")
    if reference:
        from labkit.viz.reference import reference_sentence

        print(
            f"reference scale: the oracles' rows for the same fold, as many per class as iteration "
            f"{reference[0]['iteration']} (kept in the run's table coverage-reference)"
        )
        print(reference_sentence(reference, rows))
    elif note:
        print(note)
    return 0


def _reference(run_, space: str, config, use_cache: bool) -> tuple[list[dict], str | None]:
    """(the oracles' coverage rows for `space`, or [] with the reason there are none)."""
    from labkit.augment.oracle import reference_unavailable, stored_coverage_reference
    from labkit.errors import LabkitError

    why = reference_unavailable(run_, space)
    if why:
        return [], why
    try:
        return stored_coverage_reference(run_, space, config, use_cache=use_cache), None
    except (LabkitError, OSError, KeyError, ValueError) as err:  # the generator's numbers stand without it
        return [], f"no oracle reference: {err}"
