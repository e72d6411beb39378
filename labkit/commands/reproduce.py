"""`labkit reproduce <paper>-<experiment>`: re-run a paper's experiment on the data at hand.

The sub-commands are built from the experiments in `labkit/reproductions/` (see
`labkit.runs.reproduce`): each adds its own options to the ones every experiment shares
(--out, --seeds, --jobs, --max-tasks, --format, --json). `labkit reproduce --list` lists them.
"""

from __future__ import annotations

import argparse

DESCRIPTION = """\
Reproduce a paper's experiment on the embedded corpus or on any corpus a loader reads, and print the
paper's table with the paper's own numbers beside ours.

Every experiment is a list of tasks (configuration x seed x fold x ...) written to one run directory
(--out): rerunning the same command resumes it, a finished run recomputes nothing, and --seeds can
grow later. `labkit reproduce --list` lists the experiments; `labkit reproduce EXPERIMENT --help`
gives the options of one.
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    from labkit.runs.reproduce import add_common_arguments, experiments

    p = sub.add_parser(
        "reproduce",
        help="reproduce a paper's experiment (labkit reproduce --list)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--list", action="store_true", help="list the experiments and exit")
    exp_sub = p.add_subparsers(dest="experiment", metavar="EXPERIMENT")
    for exp in experiments().values():
        e = exp_sub.add_parser(
            exp.name,
            help=exp.summary,
            description=f"{exp.paper}\n\n{exp.description}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        exp.add_arguments(e)
        add_common_arguments(e, exp)
        e.set_defaults(func=run, experiment_spec=exp.name)
    p.set_defaults(func=run, experiment_spec=None)


def run(args: argparse.Namespace) -> int:
    from labkit.runs.reproduce import get_experiment, list_text, run_experiment

    if args.experiment_spec is None:
        print(list_text())
        if not args.list:
            print("\nRun `labkit reproduce EXPERIMENT --help` for the options of one.")
        return 0
    return run_experiment(get_experiment(args.experiment_spec), args)
