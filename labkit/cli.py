"""The `labkit` command line.

Every module in `labkit/commands/` is one sub-command: it defines ``add_parser(subparsers)``, which
adds its parser and sets ``func`` to a function taking the parsed arguments and returning an exit
status. Command modules import heavy libraries (torch, opensmile, streamlit) inside their functions so
that ``labkit --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import signal
import sys

from labkit import __version__
from labkit.errors import LabkitError

# Order in `labkit --help`; commands not listed here follow alphabetically.
_ORDER = ["demo", "corpus", "features", "compare", "reproduce", "rerun", "augment", "coverage", "dashboard"]


def build_parser() -> argparse.ArgumentParser:
    import labkit.commands as commands

    parser = argparse.ArgumentParser(
        prog="labkit",
        description=(
            "labkit: a lab for GAN and adversarial-autoencoder data augmentation in speech emotion "
            "recognition. Every experiment writes to one run store, which the dashboard reads."
        ),
        epilog="Run `labkit COMMAND --help` for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"labkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    names = [m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_")]
    names.sort(key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))
    for name in names:
        importlib.import_module(f"labkit.commands.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from labkit.configfile import parse_args

    parser = build_parser()
    try:
        args = parse_args(parser, argv)  # reads --config FILE.toml first: its keys become the defaults
    except LabkitError as err:
        print(f"labkit: error: {err}", file=sys.stderr)
        return 2
    from labkit.runs.lifecycle import sigterm_as_interrupt

    try:
        with sigterm_as_interrupt():  # from the start: a SIGTERM while data loads stops as cleanly as one mid-run
            status = args.func(args)
    except LabkitError as err:
        print(f"labkit {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:  # Ctrl-C, or SIGTERM during a run (labkit.runs.lifecycle.Terminated)
        signum = int(getattr(err, "signum", signal.SIGINT))
        what = "interrupted" if signum == signal.SIGINT else f"stopped by signal {signum}"
        print(f"labkit {args.command}: {what}; finished work is kept in the run store", file=sys.stderr)
        return 128 + signum
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
