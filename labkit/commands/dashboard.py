"""`labkit dashboard --runs DIR`: start the Streamlit dashboard on a run store."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

DESCRIPTION = """\
Start the labkit dashboard (a Streamlit app) on a run store. It only reads the runs:

  Distribution  real train/test samples and generated samples in a fixed PCA or UMAP plane, played
                over training iterations (cumulative as in AAEC's Figure 5, or per iteration),
                with the coverage metrics of the current iteration beside the plot; select
                points (lasso or box) to list them, hear an utterance or a generated spectrogram
                (Griffin-Lim), see a sample's nearest real samples in the full feature space, ring
                the uncovered test samples, and read how far the plane can be trusted
  Comparison    augmenters side by side from `labkit compare` runs: table with confidence
                intervals, bar chart, per-class recall, UAR against the amount of synthetic data
  Training      losses and coverage metrics against iteration

The dashboard listens on 127.0.0.1 only unless --host says otherwise. A run shown for the first
time gets its projection and coverage metrics computed once and cached in <run>/cache/
(`labkit coverage RUNDIR` precomputes them).

examples:
  labkit dashboard --runs runs
  labkit dashboard --runs runs --port 8600 --no-browser
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "dashboard",
        help="open the Streamlit dashboard on a run store",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--runs", default=None, help="run store directory (default: $LABKIT_RUNS, else ./runs)")
    p.add_argument("--port", type=int, default=8501, help="port to listen on (default: %(default)s)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s, this machine only; 0.0.0.0 shares it with the network)",
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a browser (headless server)")
    p.set_defaults(func=run)


def app_path() -> Path:
    """The dashboard's app.py: ``dashboard/`` beside the labkit package (a source checkout)."""
    import labkit
    from labkit.errors import LabkitError

    app = Path(labkit.__file__).resolve().parents[1] / "dashboard" / "app.py"
    if not app.exists():
        raise LabkitError(
            f"the dashboard app is missing ({app}); the dashboard runs from a source checkout of labkit "
            "(git clone, then pip install -e .)"
        )
    return app


def streamlit_command(app: Path, port: int, host: str, headless: bool) -> list[str]:
    """The `streamlit run` command line for the app.

    No usage statistics are sent, and Streamlit's first-run e-mail prompt is off (it would stop
    `labkit demo` waiting for input before the browser opens).
    """
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        *config_flags(app),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        "true" if headless else "false",
        "--server.showEmailPrompt",
        "false",
        "--browser.gatherUsageStats",
        "false",
    ]


def config_flags(app: Path) -> list[str]:
    """The options of the dashboard's committed ``.streamlit/config.toml`` (beside app.py) as flags.

    Streamlit reads that file itself only in versions that know script-level config; as flags the
    options (no Deploy button, no usage statistics) hold wherever and however labkit starts it.
    """
    import tomllib

    path = app.parent / ".streamlit" / "config.toml"
    if not path.is_file():
        return []
    flags = []
    for section, options in tomllib.loads(path.read_text(encoding="utf-8")).items():
        for name, value in options.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            flags += [f"--{section}.{name}", text]
    return flags


def run(args: argparse.Namespace) -> int:
    from labkit.errors import LabkitError
    from labkit.runstore import default_root

    if not 0 < args.port < 65536:
        raise LabkitError(f"--port must be between 1 and 65535, got {args.port}")
    runs = Path(args.runs) if args.runs else default_root()
    if not runs.exists():
        raise LabkitError(
            f"run store {runs} does not exist; run an experiment first (e.g. `labkit demo`) or pass --runs"
        )
    if not runs.is_dir():
        raise LabkitError(f"run store {runs} is a file, not a folder of runs")
    app = app_path()
    env = {**os.environ, "LABKIT_RUNS": str(runs.resolve())}
    cmd = streamlit_command(app, args.port, args.host, args.no_browser)
    print(
        f"labkit dashboard: runs in {runs.resolve()}; open http://{args.host}:{args.port} (Ctrl-C stops it)", flush=True
    )
    return supervise(cmd, env)


STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
GRACE_SECONDS = 10.0  # how long the child may take to stop before it is killed


def supervise(cmd: list[str], env: dict) -> int:
    """Run `cmd` as a child, forward SIGINT / SIGTERM / SIGHUP to it, and always reap it.

    ``subprocess.call`` alone leaves the Streamlit server running (and listening) when this process
    gets SIGTERM from a service manager or ``kill``: the child never hears of it. Here every stop
    signal is passed on; if the child has not exited `GRACE_SECONDS` later it is killed, and this
    process waits for it before returning, so no orphan is left behind. Returns 0 after a stop signal
    (a normal way to end the dashboard), else the child's exit status.
    """
    proc = subprocess.Popen(cmd, env=env)
    stopped: list[int] = []

    def forward(signum, frame):  # noqa: ARG001 - signal handler signature
        stopped.append(signum)
        if proc.poll() is None:
            proc.send_signal(signum)

    previous = {}
    for sig in STOP_SIGNALS:
        try:
            previous[sig] = signal.signal(sig, forward)
        except ValueError:  # pragma: no cover - not the main thread: the default handlers stay
            pass
    deadline = None
    try:
        while True:
            try:
                code = proc.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if stopped and deadline is None:
                    deadline = time.monotonic() + GRACE_SECONDS
                elif deadline is not None and time.monotonic() > deadline:
                    proc.kill()  # it ignored the forwarded signal for GRACE_SECONDS
            except KeyboardInterrupt:  # pragma: no cover - a handler that could not be installed
                forward(signal.SIGINT, None)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()  # reap: no zombie, no orphan
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if stopped else code
