"""`labkit rerun`: repeat a run from the config it wrote, and say whether the results are the same."""

from __future__ import annotations

import argparse
import sys

DESCRIPTION = """\
Repeat a run: the command that made RUNDIR (`labkit compare`, `labkit reproduce ...`, read from
RUNDIR/config.toml, which every run writes; for a comparison made before labkit wrote one, rebuilt
from its run.json) runs again with the same options into a new run
directory. When it has finished, the new run's identity (run.json's config: data fingerprint,
protocol, augmenters, ...) and its summary table are compared with the original's and the verdict is
printed.

Exit status: 0 when the results are the same, 1 when they differ (both runs are kept to look at),
2 for bad input (no such run, no config.toml).

With --out RUNDIR itself the run is resumed instead (nothing is recomputed when it had finished).
Tuning is carried from the run's identity: a run that did not tune (every run made before tuning
became the default) is repeated with --no-tune, a tuned one with --tune.
To change an option, use the config file directly:
  labkit compare --config RUNDIR/config.toml --seeds 5 --out NEWDIR

examples:
  labkit rerun runs/cmp                       # into runs/cmp-rerun (or -rerun2, ...)
  labkit rerun runs/aaec-table1 --out /tmp/check
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "rerun",
        help="repeat a run from its config.toml and check the results are the same",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("rundir", metavar="RUNDIR", help="a run directory (holding run.json and config.toml)")
    p.add_argument(
        "--out",
        default=None,
        metavar="NEWDIR",
        help="where the repeated run goes (default: RUNDIR-rerun, or -rerun2, ... if that exists)",
    )
    p.set_defaults(func=run)


def _new_dir(rundir) -> str:
    from pathlib import Path

    base = Path(rundir)
    for k in range(1, 1000):
        candidate = base.with_name(f"{base.name}-rerun{'' if k == 1 else k}")
        if not candidate.exists():
            return str(candidate)
    raise AssertionError("unreachable")  # pragma: no cover


def options_from_run_json(run) -> tuple[str, dict]:
    """(command, options) rebuilt from a ``compare`` run's run.json, for runs made before config.toml.

    Every option of a comparison is in its config (`labkit.runs.compare.CompareConfig`); a
    reproduce run's config is only its identity (seeds and the like are left out), so it cannot be
    rebuilt this way.
    """
    import json

    from labkit.errors import LabkitError
    from labkit.features.core import is_table_source

    c = run.config
    if run.kind != "compare" or not c.get("source") or not c.get("augmenters"):
        raise LabkitError(
            f"{run.path}: no config.toml, and its run.json ({run.kind or 'no kind'}) does not hold "
            "every option; repeat the command that made it instead"
        )
    values = {
        "source": c["source"],
        "augmenters": ",".join(c["augmenters"]),
        "protocol": c.get("protocol", "loso"),
        "seeds": int(c.get("seeds", 3)),
        "classifier": c.get("classifier", "svm-linear"),
        "amount": str(c.get("amount", 1.0)),
        "record_every": int(c.get("record_every", 0)),
        "tune": bool(c.get("tune", False)),
    }
    if not is_table_source(c["source"]) and c.get("features"):
        values["features"] = c["features"]
    target = c.get("target", "emotion")
    values["target" if target in ("emotion", "arousal", "valence") else "label_column"] = target
    for key, value in (c.get("protocol_params") or {}).items():
        values[key] = ",".join(map(str, value)) if isinstance(value, list) else value
    if c.get("sweep"):
        values["sweep"] = ",".join(f"{float(a):g}" for a in c["sweep"])
    values["clf_param"] = [f"{k}={json.dumps(v)}" for k, v in (c.get("classifier_params") or {}).items()]
    values["param"] = [
        f"{a}.{k}={json.dumps(v)}" for a, ps in (c.get("augmenter_params") or {}).items() for k, v in ps.items()
    ]
    return "compare", values


def tune_flags(run, command: str, values: dict) -> list[str]:
    """``["--tune"]`` or ``["--no-tune"]`` as the run's identity says, for a command with the option; else [].

    Tuning became the default after runs existed: a run whose identity holds no ``"tune"``, or
    ``"tune": false``, did not tune, whatever its config.toml says or lacks, so the repeat must not
    either (``labkit compare`` and the tunable ``labkit reproduce`` experiments; a config.toml holds a
    ``tune`` key exactly when the command has the option).
    """
    if command != "compare" and "tune" not in values:
        return []
    return ["--tune" if bool(run.config.get("tune", False)) else "--no-tune"]


def _identity(run) -> dict:
    """run.json's config with its sources resolved, as `labkit.runs.lifecycle.identity` does for new runs.

    A run made before identities were resolved holds a source as it was typed (``tables/good.csv``);
    its config.toml, written by the same invocation, holds the resolved path, which is taken then.
    """
    from labkit.configfile import read_run_config
    from labkit.errors import LabkitError
    from labkit.runs.lifecycle import identity, is_source_key

    config = dict(run.config)
    try:
        recorded = read_run_config(run.path)[1]
    except LabkitError:
        recorded = {}
    for key, value in config.items():
        if is_source_key(key) and isinstance(value, str) and isinstance(recorded.get(key), str):
            config[key] = recorded[key]
    return identity(config)


def compare_runs(old, new) -> tuple[bool, list[str]]:
    """(same, lines): whether two runs have one identity and equal summary tables, and what differs."""
    import json

    import numpy as np
    import pandas as pd

    lines = []
    same = True
    canonical = lambda obj: json.dumps(obj, sort_keys=True, default=str)  # noqa: E731
    a_config, b_config = _identity(old), _identity(new)
    if old.kind != new.kind or canonical(a_config) != canonical(b_config):
        diff = sorted(k for k in set(a_config) | set(b_config) if a_config.get(k) != b_config.get(k))
        lines.append(f"the experiment differs: run.json config keys {', '.join(diff) or '(kind)'} are not the same")
        same = False
    if not (old.has_table("summary") and new.has_table("summary")):
        lines.append("no summary table to compare (a run has not finished)")
        return False, lines
    a, b = old.read_table("summary"), new.read_table("summary")
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        lines.append(f"the summary tables have different shapes ({a.shape} and {b.shape})")
        return False, lines
    numeric = [c for c in a.columns if pd.api.types.is_numeric_dtype(a[c])]
    other = [c for c in a.columns if c not in numeric]
    if not a[other].astype(str).equals(b[other].astype(str)):
        lines.append("the summary tables list different rows")
        return False, lines
    x, y = a[numeric].to_numpy(float), b[numeric].to_numpy(float)
    if np.array_equal(x, y, equal_nan=True):
        lines.append(f"summary table identical ({len(a)} rows)")
    elif np.allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True):
        lines.append(f"summary table equal to 1e-9 ({len(a)} rows; floating-point noise only)")
    else:
        gap = np.nanmax(np.abs(x - y))
        lines.append(f"summary table differs: largest difference {gap:.3g} (in fractions; x 100 for %)")
        same = False
    return same, lines


def run(args: argparse.Namespace) -> int:
    import tempfile
    from pathlib import Path

    from labkit.cli import main
    from labkit.configfile import RUN_CONFIG, config_text, read_run_config
    from labkit.errors import LabkitError
    from labkit.runstore import open_run

    original = open_run(args.rundir)
    out = args.out or _new_dir(original.path)
    with tempfile.TemporaryDirectory() as tmp:
        if (Path(original.path) / RUN_CONFIG).is_file():
            command, values = read_run_config(original.path)  # validates the file before anything runs
            config = Path(original.path) / RUN_CONFIG
        else:  # a run from before config.toml: a comparison's run.json holds every option
            command, values = options_from_run_json(original)
            config = Path(tmp) / RUN_CONFIG
            config.write_text(config_text(command, values, comment=f"rebuilt from {original.path}/run.json"))
            print(
                f"labkit rerun: {original.path} has no {RUN_CONFIG}; options rebuilt from its run.json", file=sys.stderr
            )
        argv = [*command.split(), "--config", str(config), *tune_flags(original, command, values), "--out", out]
        print(f"labkit rerun: labkit {' '.join(argv)}", file=sys.stderr)
        status = main(argv)
    if status != 0:
        if status == 2:
            raise LabkitError(f"the repeated `labkit {command}` was refused (see above)")
        return status
    new = open_run(out)
    if new.status.get("state") != "finished":
        print(
            f"labkit rerun: {out} has not finished ({new.status.get('state')}); nothing to compare yet", file=sys.stderr
        )
        return 0
    same, lines = compare_runs(original, new)
    for line in lines:
        print(f"labkit rerun: {line}", file=sys.stderr)
    print(f"labkit rerun: {'same results as' if same else 'results DIFFER from'} {original.path}", file=sys.stderr)
    return 0 if same else 1
