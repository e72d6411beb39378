"""TOML config files: every experiment command reads its options from one, and every run writes one.

    labkit compare --config cmp.toml                      # the options from the file
    labkit compare --config cmp.toml --seeds 5            # ... the command line overrides the file
    labkit rerun runs/cmp --out runs/cmp-again            # the TOML a run wrote, run again

A config file holds the same keys as the command's options, spelled as the option without its
dashes (``--test-fraction 0.3`` is ``test_fraction = 0.3``; ``test-fraction`` works too), plus the
positional arguments by name (``source = "synthetic"``)::

    # labkit compare: cross-corpus, studio -> phone
    command = "compare"              # optional; when present it must name the command being run
    source = "synthetic:studio+phone"
    augmenters = ["none", "noise", "wav-band"]   # a list, or the command line's "none,noise,wav-band"
    protocol = "cross"
    train_corpus = "studio"
    test_corpus = "phone"
    seeds = 3
    param = ["noise.scale=0.2"]      # a repeatable option is a list

How it works: `parse_args` finds the sub-command the command line names, turns the file's values
into that sub-command's *defaults*, and then parses the command line as usual, so anything typed
wins over the file, and choices and types are checked as for typed values (errors name the file
and the key). A run directory gets ``config.toml`` (`write_run_config`): the options that produced
it, minus where it went (``out``), how far it got (``max_tasks``) and where it ran or logged
(``scheduler``, ``log``); `labkit rerun RUNDIR` feeds it back through the same command.

A run's config.toml is not trusted with those keys on the way back either: a config file that lies
in a run directory (`in_a_run`, whether `labkit rerun` reads it or you pass it as ``--config``) never
sets ``scheduler``, ``log``, ``log_uri``, ``out`` or ``max_tasks`` (`NOT_FROM_A_RUN`); a planted
``scheduler = "tcp://HOST:PORT"`` is named on stderr and ignored. Those come only from the command
line or a config file of your own outside the run store.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import tomllib
from pathlib import Path

from labkit.errors import LabkitError

RUN_CONFIG = "config.toml"  # the file name in a run directory
# Options that say where a run goes or how this invocation behaves, not what the run computes: never
# written to a run's config.toml (a config file you write may hold them, except ``config`` itself).
NOT_RECORDED = {"config", "out", "max_tasks", "scheduler", "log", "log_uri", "help", "list"}
# Options a config file found inside a run directory (a run's own config.toml, read by `labkit rerun` or
# passed as --config) may not set: they say where work goes and what a process connects to. A planted
# ``scheduler = "tcp://HOST:PORT"`` would hand the run to a stranger's Dask cluster, ``log_uri`` would
# send its values wherever the planter chose. They come only from the command line or your own file.
NOT_FROM_A_RUN = {"scheduler", "log", "log_uri", "out", "max_tasks"}
_COMMAND = "_labkit_command"  # Namespace attribute: the sub-command path, e.g. "reproduce aaec-table1"
_DESTS = "_labkit_dests"  # Namespace attribute: the option names of that sub-command, in order


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--config FILE.toml`` to an experiment command's parser."""
    parser.add_argument(
        "--config",
        default=None,
        metavar="FILE.toml",
        help="read options from a TOML file (keys as the options, e.g. test_fraction = 0.3; "
        'positionals by name, e.g. source = "synthetic"); options typed on the command '
        "line win. Every run writes the file that reproduces it to RUNDIR/config.toml",
    )


# --------------------------------------------------------------------------- reading
def read_config(path: str | os.PathLike) -> dict:
    """The key/value pairs of a TOML config file (LabkitError naming the file when it is not one)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise LabkitError(f"{path}: no such config file")
    try:
        with open(path, "rb") as f:
            values = tomllib.load(f)
    except tomllib.TOMLDecodeError as err:
        raise LabkitError(f"{path}: not a valid TOML file ({err})") from None
    except OSError as err:
        raise LabkitError(f"{path}: cannot read the config file ({err.strerror})") from None
    nested = [k for k, v in values.items() if isinstance(v, dict)]
    if nested:
        raise LabkitError(f"{path}: tables ([{nested[0]}]) are not options; write one key per option at the top level")
    return values


def _subcommand_chain(parser: argparse.ArgumentParser, argv: list[str]):
    """(innermost parser, [sub-command names]) that `argv` selects, e.g. (..., ["reproduce", "aaec-table1"])."""
    chain, start = [], 0
    while True:
        sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        if sub is None:
            return parser, chain
        for j in range(start, len(argv)):
            if argv[j] in sub.choices:
                break
        else:
            return parser, chain  # no sub-command named: argparse will say so
        chain.append(argv[j])
        parser, start = sub.choices[argv[j]], j + 1


def _option_actions(parser: argparse.ArgumentParser) -> dict[str, list[argparse.Action]]:
    """dest -> the actions that set it (``--balanced`` / ``--no-balanced`` share one), in parser order."""
    out: dict[str, list[argparse.Action]] = {}
    for a in parser._actions:
        if a.dest in (argparse.SUPPRESS, "help") or isinstance(
            a, (argparse._SubParsersAction, argparse._VersionAction)
        ):
            continue
        out.setdefault(a.dest, []).append(a)
    return out


def _text(value) -> str:
    """A scalar as the command line would spell it (1.0 -> "1.0", true -> "true")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _coerce(action: argparse.Action, key: str, value, path: Path):
    """The file's `value` for `action`, as the parsed command line would hold it; LabkitError if it cannot be."""
    where = f"{path}: {key} = {value!r}"
    if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction, argparse.BooleanOptionalAction)):
        if not isinstance(value, bool):
            raise LabkitError(f"{where}: use true or false")
        return value
    if isinstance(action, argparse._AppendAction):
        items = [v if isinstance(v, str) else _text(v) for v in (value if isinstance(value, list) else [value])]
        try:
            return [action.type(v) for v in items] if action.type else items
        except (TypeError, ValueError, argparse.ArgumentTypeError) as err:
            raise LabkitError(f"{where}: not a valid value ({err})") from None
    if isinstance(action, argparse._StoreConstAction):
        raise LabkitError(f"{where}: this option takes no value in a config file")
    if isinstance(value, list):
        if action.nargs in ("+", "*"):
            return value
        value = ",".join(_text(v) for v in value)  # comma-separated options: --augmenters a,b,c
    if action.type is not None and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        try:
            value = action.type(value if isinstance(value, str) else _text(value))
        except (TypeError, ValueError, argparse.ArgumentTypeError) as err:
            raise LabkitError(f"{where}: not a valid value ({err})") from None
    elif not isinstance(value, str):
        value = _text(value)
    if action.choices is not None and value not in action.choices:
        raise LabkitError(f"{where}: choose one of {', '.join(map(str, action.choices))}")
    return value


def in_a_run(path: str | os.PathLike) -> bool:
    """Whether the config file `path` lies in a run directory (beside a run.json): not the user's own file."""
    try:
        return (Path(path).expanduser().resolve().parent / "run.json").exists()
    except OSError:
        return False


def apply_config(parser: argparse.ArgumentParser, values: dict, path: str | os.PathLike, command: str) -> None:
    """Make `values` (from `read_config`) the defaults of `parser`, the sub-command's own parser.

    A file in a run directory (`in_a_run`) sets none of `NOT_FROM_A_RUN`; such keys are named on
    stderr and ignored.
    """
    import sys

    path = Path(path)
    actions = _option_actions(parser)
    if in_a_run(path):
        ignored = sorted(k for k in values if k.replace("-", "_") in NOT_FROM_A_RUN)
        if ignored:
            print(
                f"labkit: {path} is in a run directory, so its keys {', '.join(ignored)} are ignored (where a run goes and "
                "what it connects to come only from the command line or your own config file)",
                file=sys.stderr,
            )
        values = {k: v for k, v in values.items() if k.replace("-", "_") not in NOT_FROM_A_RUN}
    for key, value in values.items():
        dest = key.replace("-", "_")
        if dest == "command":
            if str(value).split() != command.split():
                raise LabkitError(f"{path}: this config is for `labkit {value}`, not `labkit {command}`")
            continue
        if dest == "config":
            raise LabkitError(f"{path}: a config file cannot name another config file (key {key!r})")
        if dest not in actions or dest in ("help", "list"):
            known = sorted(d for d in actions if d not in ("config", "help", "list"))
            raise LabkitError(f"{path}: `labkit {command}` has no option {key!r}; its keys are: {', '.join(known)}")
        for action in actions[dest]:
            action.default = _coerce(action, key, value, path)
            if action.option_strings:
                action.required = False
            elif action.nargs is None:
                action.nargs = "?"  # a positional given by the file may be left off the command line


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> argparse.Namespace:
    """`parser.parse_args(argv)`, with a ``--config FILE.toml`` on the command line read first.

    The parsed namespace also records which sub-command ran and its option names, which
    `write_run_config` uses.
    """
    import sys

    argv = list(sys.argv[1:] if argv is None else argv)
    inner, chain = _subcommand_chain(parser, argv)
    command = " ".join(chain)
    if any(a.dest == "config" for a in inner._actions):
        pre = argparse.ArgumentParser(add_help=False)
        pre.add_argument("--config", default=None)
        known, _ = pre.parse_known_args(argv[len(chain) :] if chain else argv)
        if known.config:
            apply_config(inner, read_config(known.config), known.config, command)
    args = parser.parse_args(argv)
    setattr(args, _COMMAND, command)
    setattr(args, _DESTS, list(_option_actions(inner)))
    return args


# --------------------------------------------------------------------------- writing
def resolve_source(value: str) -> str:
    """A source whose path exists here, made absolute, so the run can be repeated from any folder.

    ``tables/good.csv`` and ``csv:corpus/manifest.csv`` become absolute paths; a source that names no
    existing path (``synthetic``, ``synthetic:phone``) is returned as it is.
    """
    if Path(value).expanduser().exists():
        return str(Path(value).expanduser().resolve())
    prefix, sep, rest = value.partition(":")
    if sep and rest and Path(rest).expanduser().exists():
        return f"{prefix}:{Path(rest).expanduser().resolve()}"
    return value


def run_options(args: argparse.Namespace) -> tuple[str, dict] | None:
    """(command, {option: value}) that reproduce this invocation; None for a namespace not from `parse_args`."""
    command, dests = getattr(args, _COMMAND, None), getattr(args, _DESTS, None)
    if not command or dests is None:
        return None
    values = {}
    for dest in dests:
        if dest in NOT_RECORDED or not hasattr(args, dest):
            continue
        value = getattr(args, dest)
        if value is None:
            continue  # TOML has no null: a missing key means "the default", which None was
        if isinstance(value, Path):
            value = str(value)
        if dest == "source" and isinstance(value, str):
            value = resolve_source(value)
        values[dest] = value
    return command, values


def config_text(command: str, values: dict, comment: str = "") -> str:
    """A config file for `labkit <command>` holding `values`, with a comment on how to use it."""
    import tomli_w

    from labkit import __version__

    stamp = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    head = [
        f"# labkit {command}: written by labkit {__version__} on {stamp}.",
        f"# Run it again with `labkit {command} --config THIS.toml --out NEWDIR` (or `labkit rerun RUNDIR`);",
        "# options typed on the command line override the keys below.",
    ]
    if comment:
        head.insert(1, f"# {comment}")
    try:
        body = tomli_w.dumps({"command": command, **values})
    except TypeError as err:  # a value TOML cannot hold
        raise LabkitError(f"cannot write the options of `labkit {command}` as TOML ({err})") from None
    return "\n".join(head) + "\n" + body


def write_run_config(run_path: str | os.PathLike, args: argparse.Namespace) -> Path | None:
    """Write ``<run>/config.toml``, the options that reproduce this run (None when `args` has no record)."""
    from labkit.utils import atomic_path

    found = run_options(args)
    if found is None:
        return None
    command, values = found
    path = Path(run_path) / RUN_CONFIG
    with atomic_path(path) as tmp:
        tmp.write_text(config_text(command, values, comment=f"run directory: {Path(run_path).resolve()}"))
    return path


def read_run_config(run_path: str | os.PathLike) -> tuple[str, dict]:
    """(command, options) from a run directory's config.toml; LabkitError when it has none."""
    path = Path(run_path) / RUN_CONFIG
    if not path.is_file():
        raise LabkitError(
            f"{run_path}: no {RUN_CONFIG} (runs made before labkit wrote one cannot be rerun "
            "this way; repeat the command instead)"
        )
    real, base = os.path.realpath(path), os.path.realpath(run_path)
    if not real.startswith(base.rstrip(os.sep) + os.sep):  # a shared store: never read a planted link out
        raise LabkitError(f"{path}: a symbolic link out of the run (to {real}); labkit does not follow it")
    values = read_config(path)
    command = values.pop("command", None)
    if not command:
        raise LabkitError(f"{path}: no 'command' key; it does not say which labkit command made the run")
    return str(command), values


__all__ = [
    "NOT_FROM_A_RUN",
    "RUN_CONFIG",
    "add_config_argument",
    "apply_config",
    "config_text",
    "in_a_run",
    "parse_args",
    "read_config",
    "read_run_config",
    "resolve_source",
    "run_options",
    "write_run_config",
]
