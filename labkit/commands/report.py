"""`labkit report RUNDIR --out report.html`: one self-contained HTML page of a run, for sharing."""

from __future__ import annotations

import argparse

DESCRIPTION = """\
Write one self-contained HTML page of a run: its result tables (a reproduction's tables with the
paper's numbers beside ours, a comparison's summary with confidence intervals), its charts, and the
animated distribution of generated samples against the real train/test data (▶ Play and a slider,
as on the dashboard's Distribution page) with the coverage metrics of every iteration. Where two
generators were recorded on the same real data (a comparison run with --record-every), the first
two are also shown side by side in one plane.

plotly.js is inlined, so the page opens offline in any browser and can be sent as one file.
Projections and coverage metrics come from the run's cache (computed once if missing).

examples:
  labkit report runs/demo-compare --out demo-compare.html
  labkit report runs/demo-aaec --out aaec.html --method umap
  labkit report runs/cmp --out cmp.html --pair aug-smote,aug-cgan --max-points 2000
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write a run's tables and figures to one offline HTML page",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("rundir", metavar="RUNDIR", help="the run's directory (a folder holding run.json)")
    p.add_argument("--out", default=None, metavar="FILE", help="where to write the page (default: RUNDIR/report.html)")
    p.add_argument(
        "--method",
        default="pca",
        choices=["pca", "umap"],
        help="projection of the distribution figures (default: %(default)s)",
    )
    p.add_argument(
        "--max-points",
        type=int,
        default=4000,
        metavar="N",
        help="at most N points per trace and frame, a seeded subsample (default: %(default)s; keeps the file small)",
    )
    p.add_argument(
        "--pair",
        default=None,
        metavar="A,B",
        help="two spaces to show side by side (default: the first two recorded on the same real data)",
    )
    p.add_argument("--title", default=None, help="the page's title (default: labkit report: RUN)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from labkit.errors import LabkitError
    from labkit.runstore import open_run
    from labkit.utils import check_writable
    from labkit.viz.report import write_report

    if args.max_points < 1:
        raise LabkitError(f"--max-points must be at least 1, got {args.max_points}")
    pair = None
    if args.pair:
        pair = tuple(s.strip() for s in args.pair.split(","))
        if len(pair) != 2 or not all(pair):
            raise LabkitError(f"--pair takes two space names separated by a comma, got {args.pair!r}")
    run_ = open_run(args.rundir)
    out = Path(args.out) if args.out else run_.path / "report.html"
    if out.is_dir():
        raise LabkitError(f"--out {out} is a folder; give a file name such as {out / 'report.html'}")
    check_writable(out, "--out" if args.out else "the report (default RUNDIR/report.html; choose another with --out)")
    info = write_report(run_, out, method=args.method, max_points=args.max_points, pair=pair, title=args.title)
    print(
        f"wrote {info['path']} ({info['bytes'] / 1e6:.1f} MB, {info['figures']} figure(s)); "
        "open it in any browser, no network needed"
    )
    return 0
