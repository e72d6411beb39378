"""Where does a paper table's time go? One `labkit reproduce` experiment, timed by part, against its FLOP floor.

    .venv/bin/python benchmarks/bench_reproduce.py shilandari-table1                 # small budget, 1 seed, 1 fold
    .venv/bin/python benchmarks/bench_reproduce.py sahu-table1 --quick               # tiniest options: seconds
    .venv/bin/python benchmarks/bench_reproduce.py shilandari-table1 --budget paper  # projected from 2 timed epochs
    .venv/bin/python benchmarks/bench_reproduce.py codevector-exp1 --json out.json -- --epochs 5   # extra options

The experiment runs through the real code path (``labkit.cli.main(["reproduce", EXPERIMENT, ...])``)
into a temporary run directory, with ``--jobs 1`` (every task in this process). Nothing in labkit is
edited: before the run, known entry points are wrapped at runtime with timing shims (`SHIMS`), in the
module that defines them and in every loaded ``labkit`` module that imported the same object:

=================== ============================================================================
part                 entry points
=================== ============================================================================
features             ``load_corpus``, ``features.extract``, ``features.aaec.load_spectrograms``,
                     the reproductions' ``load_features``
generator training   every trainer: ``labkit.trainers.{aaec,codevector,cyclegan}.train``,
                     ``trainers.sahu.train_{aae,gan,cgan}``, ``codevector.neighbourhood_space``
generation           sampling from trained generators (``translate``, ``generate``, ``encode`` ...)
classifier fits      ``fit`` / ``predict`` / ``predict_proba`` / ``decision_function`` of SVC,
                     labkit's MLP and torch DNN, k-NN, logistic regression
tuning               ``tune_on_real``, ``tune_pipeline`` (their inner-CV fits count here)
diagnostics          the gate (``labkit.metrics.gate``: gate, gate_augmenter, real_accuracy),
                     Shilandari's ``fidelity``, ``metrics.difficulty.measure``
store I/O            `labkit.runstore.Run` reads and writes, trainer checkpoints
other                wall time minus all of the above (planning, pipelines, scaling, SMOTE, summaries)
=================== ============================================================================

Time goes to the *outermost* shim on the stack: a classifier fitted inside the tuning's inner CV is
tuning time, one fitted by the gate is diagnostics. Store I/O is the exception: it is always its own
part and is taken out of whatever surrounds it (a checkpoint written inside training is store I/O).
The parts and "other" add up to the wall time of the ``main`` call by construction. Every part is
timed twice: wall seconds and process CPU seconds (``time.process_time``); on a shared machine the
wall time is mostly waiting for a core, the CPU time is the work, so the CPU shares are the figures to
read there. ``--stop-after S`` stops the experiment after S seconds (labkit's clean stop on SIGTERM)
and reports the work done until then (for experiments too long for the machine at hand; the table
says how many tasks finished).

FLOPs. A second pass runs the same command (fresh directory, same seeds) under
``torch.utils.flop_counter.FlopCounterMode`` and reads its total at every outermost shim, so each
part gets its own count; the counter slows torch down, so the timing pass runs without it. Counted are
matmuls and convolutions (what FlopCounterMode knows; a GRU on CPU is not counted, so AAEC's floor
is low). The **ceiling** is the best fp32 ``torch.matmul`` (2048 x 2048) GFLOP/s with the thread count
the experiment's tasks use (``--threads``, default 1 as in the reproductions), in CPU time per thread
on a CPU (wall time on CUDA), measured before and after the run (the better one is kept). **Floor** =
counted FLOPs / ceiling: the time the arithmetic would take at the ceiling. **CPU / floor** (and wall
/ floor) says how far above the arithmetic the run is.

Paper budget (``--budget paper``): the experiment is run with the paper's sizes for ``--epochs-k``
epochs (default 2) and projected to the paper's epoch count. Every trainer of labkit loops over
epochs through ``labkit.trainers.common.epochs_bar``; that iterator is wrapped too, so each epoch loop
is timed on its own. A trainer's projected time = its time outside the epoch loop (set-up,
pre-training, the classifier of the cycle-GANs) + time per timed epoch x the paper's epochs; every
other part is taken as measured (it does not depend on the epochs). AAEC's trainer has no
``epochs_bar`` (it loops over Algorithm 1 iterations): its whole training time is scaled by
paper iterations / timed iterations. Where each paper budget comes from (`EXPERIMENTS`):

* AAEC (`labkit.models.aaec.PRESETS`): ``--preset paper``, 500 iterations with K1/K2/K3 = 10/20/20
  (Section 3.2 / 4.2 of the paper); timed with ``--iterations K``.
* Code vector (`labkit.models.codevector`): the paper trains "100-300 epochs"; labkit's default 100
  is the low end, so the paper budget is the high end, 300; timed with ``--epochs K``.
* Shilandari (`labkit.models.cyclegan.BUDGETS`): ``--budget paper``: 2 x 800 units, 200 adversarial
  epochs (20 pre-training, 30 classifier epochs run in full); timed with ``--epochs K``.
* Sahu: the paper gives no epoch counts; labkit's defaults (AAE 60, GANs 100, cGAN 100 epochs,
  `labkit.models.sahu`) are the only budget, so ``paper`` runs the same options as ``small``.

``--quick`` uses each experiment's tiniest options (one epoch or iteration, tiny networks, no tuning,
one seed and fold) so that the test (tests/test_bench_reproduce.py) runs in seconds. Options after
``--`` go to the experiment unchanged (they override the bench's choices). ``--json PATH`` writes
every figure. Give figures from a quiet machine; the shares (percent of wall time) and wall / floor
are what survive a change of machine.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import io
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field

PARTS = (
    "features",
    "generator training",
    "generation",
    "classifier fits",
    "tuning",
    "diagnostics",
    "store I/O",
)
OTHER = "other"
OWN_PART = "store I/O"  # always timed on its own and taken out of what surrounds it

# (part, module, attribute path): functions ("f") and methods ("Class.method"). Missing ones are skipped.
SHIMS: list[tuple[str, str, str]] = [
    ("features", "labkit.data.loaders", "load_corpus"),
    ("features", "labkit.features", "extract"),
    ("features", "labkit.features.core", "extract"),
    ("features", "labkit.features.aaec", "load_spectrograms"),
    ("features", "labkit.reproductions.common", "load_features"),
    ("features", "labkit.reproductions.codevector", "load_features"),
    ("features", "labkit.reproductions.sahu", "load_features"),
    ("generator training", "labkit.trainers.aaec", "train"),
    ("generator training", "labkit.trainers.codevector", "train"),
    ("generator training", "labkit.trainers.codevector", "neighbourhood_space"),
    ("generator training", "labkit.trainers.cyclegan", "train"),
    ("generator training", "labkit.trainers.sahu", "train_aae"),
    ("generator training", "labkit.trainers.sahu", "train_gan"),
    ("generator training", "labkit.trainers.sahu", "train_cgan"),
    ("generator training", "labkit.trainers.figure5", "train_reference_classifier"),
    ("generation", "labkit.trainers.aaec", "predict"),
    ("generation", "labkit.trainers.codevector", "encode"),
    ("generation", "labkit.trainers.codevector", "enrich"),
    ("generation", "labkit.trainers.cyclegan", "translate"),
    ("generation", "labkit.trainers.cyclegan", "generate"),
    ("generation", "labkit.trainers.sahu", "encode"),
    ("generation", "labkit.trainers.sahu", "decode"),
    ("generation", "labkit.trainers.sahu", "generate_gan"),
    ("generation", "labkit.trainers.sahu", "generate_cgan"),
    ("generation", "labkit.trainers.sahu", "sample_labelled_codes"),
    ("classifier fits", "sklearn.svm._base", "BaseLibSVM.fit"),
    ("classifier fits", "sklearn.svm._base", "BaseLibSVM.predict"),
    ("classifier fits", "sklearn.svm._base", "BaseSVC.predict"),
    ("classifier fits", "sklearn.svm._base", "BaseSVC.decision_function"),
    ("classifier fits", "sklearn.svm._base", "BaseSVC.predict_proba"),
    ("classifier fits", "sklearn.svm._classes", "LinearSVC.fit"),
    ("classifier fits", "sklearn.linear_model._logistic", "LogisticRegression.fit"),
    ("classifier fits", "sklearn.linear_model._base", "LinearClassifierMixin.decision_function"),
    ("classifier fits", "sklearn.neighbors._classification", "KNeighborsClassifier.fit"),
    ("classifier fits", "sklearn.neighbors._classification", "KNeighborsClassifier.predict"),
    ("classifier fits", "sklearn.neighbors._classification", "KNeighborsClassifier.predict_proba"),
    ("classifier fits", "sklearn.neural_network._multilayer_perceptron", "MLPClassifier.fit"),
    ("classifier fits", "sklearn.neural_network._multilayer_perceptron", "MLPClassifier.predict_proba"),
    ("classifier fits", "labkit.experiment.classifiers", "MLPClassifier.fit"),
    ("classifier fits", "labkit.experiment.classifiers", "MLPClassifier.predict_proba"),
    ("classifier fits", "labkit.experiment.torch_dnn", "TorchDNNClassifier.fit"),
    ("classifier fits", "labkit.experiment.torch_dnn", "TorchDNNClassifier.predict_proba"),
    ("tuning", "labkit.experiment.classifiers", "tune_on_real"),
    ("tuning", "labkit.experiment.classifiers", "tune_pipeline"),
    ("diagnostics", "labkit.metrics.gate", "gate"),
    ("diagnostics", "labkit.metrics.gate", "gate_augmenter"),
    ("diagnostics", "labkit.metrics.gate", "real_accuracy"),
    ("diagnostics", "labkit.metrics.difficulty", "measure"),
    ("diagnostics", "labkit.reproductions.shilandari", "fidelity"),
    ("store I/O", "labkit.runstore", "Run.create"),
    ("store I/O", "labkit.runstore", "Run.set_status"),
    ("store I/O", "labkit.runstore", "Run.save_task"),
    ("store I/O", "labkit.runstore", "Run.load_task"),
    ("store I/O", "labkit.runstore", "Run.write_json"),
    ("store I/O", "labkit.runstore", "Run.read_json"),
    ("store I/O", "labkit.runstore", "Run.write_table"),
    ("store I/O", "labkit.runstore", "Run.read_table"),
    ("store I/O", "labkit.runstore", "Run.write_npz"),
    ("store I/O", "labkit.runstore", "Run.read_npz"),
    ("store I/O", "labkit.runstore", "Run.save_reference"),
    ("store I/O", "labkit.runstore", "Run.save_snapshot"),
    ("store I/O", "labkit.runstore", "Run.save_checkpoint"),
    ("store I/O", "labkit.runstore", "Run.load_checkpoint"),
    ("store I/O", "labkit.trainers.common", "Checkpoint.save"),
    ("store I/O", "labkit.trainers.common", "Checkpoint.read"),
]
# The modules whose ``from x import f`` copies are re-pointed at the shims (imported before patching).
PRELOAD = [
    "labkit.cli",
    "labkit.runs.reproduce",
    "labkit.reproductions.aaec",
    "labkit.reproductions.codevector",
    "labkit.reproductions.sahu",
    "labkit.reproductions.shilandari",
    "labkit.augment",
    "labkit.augment.sahu",
    "labkit.augment.cyclegan",
    "labkit.augment.oracle",
    "labkit.augment.baselines",
    "labkit.trainers.aaec",
    "labkit.trainers.codevector",
    "labkit.trainers.cyclegan",
    "labkit.trainers.sahu",
    "labkit.trainers.figure5",
    "labkit.metrics.gate",
    "labkit.metrics.difficulty",
    "labkit.experiment.classifiers",
    "labkit.experiment.torch_dnn",
]


# --------------------------------------------------------------------------- experiments and budgets
@dataclass
class Budget:
    """How one experiment is run by the bench: its source and its options per budget."""

    source: list[str]  # positional source argument(s) (empty: the experiment's default)
    quick: list[str]  # --quick: the tiniest options (seconds)
    small: list[str]  # the default budget, cut to 1 seed and few folds where the experiment allows
    paper: list[str] | None  # --budget paper, with {k} for the timed epochs / iterations; None: as small
    paper_epochs: dict[str, int] = field(default_factory=dict)  # trainer entry point -> the paper's epochs
    paper_note: str = ""  # where the paper budget comes from


_CV = ["--k", "3", "--code-sizes", "4", "--aae-size", "4", "--epochs", "1", "--no-tune"]
_SAHU_TINY = ["--aae-epochs", "1", "--gan-epochs", "1", "--cgan-epochs", "1", "--batch-size", "16", "--no-tune"]
_SHIL_TINY = ["--epochs", "1", "--hidden", "8", "--max-folds", "1", "--no-tune", "--classifiers", "svm"]
_SHIL_PAPER = {"labkit.trainers.cyclegan.train": 200}
_SHIL_NOTE = "labkit.models.cyclegan.BUDGETS['paper']: 2 x 800 units, 200 adversarial epochs"
_CV_NOTE = "the paper trains 100-300 epochs (labkit's default 100 is the low end): 300"
_CV_PAPER = {"labkit.trainers.codevector.train": 300, "labkit.trainers.codevector.neighbourhood_space": 300}
_SAHU_NOTE = "the paper gives no epochs; labkit's defaults (labkit.models.sahu) are the only budget"

EXPERIMENTS: dict[str, Budget] = {
    "aaec-table1": Budget(
        source=["synthetic"],
        quick=["--preset", "small", "--iterations", "1", "--max-seconds", "0.5", "--configs", "AAEC"],
        small=["--preset", "small"],
        paper=["--preset", "paper", "--iterations", "{k}"],
        paper_epochs={"labkit.trainers.aaec.train": 500},
        paper_note="labkit.models.aaec.PRESETS['paper']: 500 iterations, K1/K2/K3 = 10/20/20",
    ),
    "codevector-exp1": Budget(
        source=[], quick=_CV, small=[], paper=["--epochs", "{k}"], paper_epochs=_CV_PAPER, paper_note=_CV_NOTE
    ),
    "codevector-exp2": Budget(
        source=[],
        quick=[*_CV, "--sizes", "full"],
        small=[],
        paper=["--epochs", "{k}"],
        paper_epochs=_CV_PAPER,
        paper_note=_CV_NOTE,
    ),
    "sahu-table1": Budget(
        source=["synthetic"],
        quick=[*_SAHU_TINY, "--max-folds", "1"],
        small=["--max-folds", "1"],
        paper=None,
        paper_note=_SAHU_NOTE,
    ),
    "sahu-table2": Budget(
        source=["synthetic"],
        quick=[*_SAHU_TINY, "--max-folds", "1"],
        small=["--max-folds", "1"],
        paper=None,
        paper_note=_SAHU_NOTE,
    ),
    "sahu-table3": Budget(
        source=["synthetic:studio+phone"], quick=_SAHU_TINY, small=[], paper=None, paper_note=_SAHU_NOTE
    ),
    "shilandari-table1": Budget(
        source=["synthetic"],
        quick=_SHIL_TINY,
        small=["--max-folds", "1"],
        paper=["--budget", "paper", "--epochs", "{k}", "--max-folds", "1"],
        paper_epochs=_SHIL_PAPER,
        paper_note=_SHIL_NOTE,
    ),
    "shilandari-sweep": Budget(
        source=["synthetic"],
        quick=[*_SHIL_TINY, "--amounts", "1", "--augmenters", "cyclegan"],
        small=["--max-folds", "1"],
        paper=["--budget", "paper", "--epochs", "{k}", "--max-folds", "1"],
        paper_epochs=_SHIL_PAPER,
        paper_note=_SHIL_NOTE,
    ),
}


def experiment_argv(name: str, budget: str, quick: bool, device: str | None, threads: int, k: int, extra: list[str]):
    """The ``labkit`` argv (without --out) of one bench run."""
    spec = EXPERIMENTS[name]
    if quick:
        opts = list(spec.quick)
    elif budget == "paper" and spec.paper is not None:
        opts = [o.replace("{k}", str(k)) for o in spec.paper]
    else:
        opts = list(spec.small)
    argv = ["reproduce", name, *spec.source, *opts, "--seeds", "1", "--jobs", "1", "--threads", str(threads)]
    if device:
        argv += ["--device", device]
    return argv + list(extra)


# --------------------------------------------------------------------------- timing shims
class Recorder:
    """Exclusive wall time per part (outermost shim wins, store I/O always its own), calls per entry point."""

    def __init__(self, sync=None):
        self.seconds = dict.fromkeys(PARTS, 0.0)
        self.cpu = dict.fromkeys(PARTS, 0.0)  # process CPU seconds: what a loaded machine does not distort
        self.flops = dict.fromkeys(PARTS, 0)
        self.calls: dict[str, int] = {}
        self.target_seconds: dict[str, float] = {}
        self.target_cpu: dict[str, float] = {}
        self.loops: dict[str, dict] = {}  # trainer entry point -> {"seconds", "cpu", "epochs", "loops", "flops"}
        self.stack: list[dict] = []  # open frames: {"part", "target", "t0", "stolen", "f0"}
        self.counter = None  # a FlopCounterMode during the FLOP pass
        self.total_flops = 0  # every FLOP the counter saw in the pass (parts + other)
        self.wall = 0.0
        self.sync = sync or (lambda: None)

    def _flops_now(self) -> int:
        return int(self.counter.get_total_flops()) if self.counter is not None else 0

    def call(self, part: str, target: str, fn, args, kwargs):
        self.calls[target] = self.calls.get(target, 0) + 1
        if self.stack and part != OWN_PART:
            return fn(*args, **kwargs)  # inside another part: it owns this time
        frame = {"part": part, "target": target, "t0": time.perf_counter(), "c0": time.process_time()}
        frame.update(stolen=0.0, cstolen=0.0, fstolen=0)
        frame["f0"] = self._flops_now()
        self.stack.append(frame)
        try:
            return fn(*args, **kwargs)
        finally:
            self.sync()
            self.stack.pop()
            elapsed = time.perf_counter() - frame["t0"]
            cpu = time.process_time() - frame["c0"]
            flops = self._flops_now() - frame["f0"]
            self.seconds[part] += elapsed - frame["stolen"]
            self.cpu[part] += cpu - frame["cstolen"]
            self.flops[part] += flops - frame["fstolen"]
            self.target_seconds[target] = self.target_seconds.get(target, 0.0) + elapsed - frame["stolen"]
            self.target_cpu[target] = self.target_cpu.get(target, 0.0) + cpu - frame["cstolen"]
            if self.stack:  # store I/O inside another part: taken out of it
                self.stack[-1]["stolen"] += elapsed
                self.stack[-1]["cstolen"] += cpu
                self.stack[-1]["fstolen"] += flops

    def epochs(self, iterable):
        """Wrap an ``epochs_bar`` iterator: time from the first epoch to the end, per trainer."""
        owner = self.stack[0]["target"] if self.stack else "?"
        rec = self.loops.setdefault(owner, {"seconds": 0.0, "cpu": 0.0, "epochs": 0, "loops": 0, "flops": 0})
        rec["loops"] += 1
        t0, c0, f0 = time.perf_counter(), time.process_time(), self._flops_now()
        try:
            for epoch in iterable:
                rec["epochs"] += 1
                yield epoch
        finally:
            self.sync()
            rec["seconds"] += time.perf_counter() - t0
            rec["cpu"] += time.process_time() - c0
            rec["flops"] += self._flops_now() - f0


def _resolve(module: str, path: str):
    obj = importlib.import_module(module)
    owner = None
    for part in path.split("."):
        owner, obj = obj, getattr(obj, part)
    return owner, obj


@contextlib.contextmanager
def shimmed(rec: Recorder):
    """Install the timing shims (and the epochs_bar wrapper) for the duration of the block, then restore."""
    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    undo: list[tuple[object, str, object]] = []

    def replace_everywhere(orig, new):
        # every labkit module attribute bound to the same object (``from x import f`` copies)
        for mod in list(sys.modules.values()):
            name = getattr(mod, "__name__", "") or ""
            if not name.startswith("labkit"):
                continue
            for attr, value in list(vars(mod).items()):
                if value is orig:
                    undo.append((mod, attr, orig))
                    setattr(mod, attr, new)

    try:
        for part, module, path in SHIMS:
            try:
                owner, orig = _resolve(module, path)
            except (ImportError, AttributeError):
                continue
            target = f"{module}.{path}"

            def make(orig=orig, part=part, target=target):
                @functools.wraps(orig)
                def shim(*args, **kwargs):
                    return rec.call(part, target, orig, args, kwargs)

                return shim

            shim = make()
            if isinstance(owner, type):
                attr = path.split(".")[-1]
                if attr not in vars(owner):  # inherited: patch where it is defined only
                    continue
                undo.append((owner, attr, vars(owner)[attr]))
                setattr(owner, attr, shim)
            else:
                replace_everywhere(orig, shim)
        common = importlib.import_module("labkit.trainers.common")
        bar = common.epochs_bar

        @functools.wraps(bar)
        def epochs_bar(*args, **kwargs):
            return rec.epochs(bar(*args, **kwargs))

        replace_everywhere(bar, epochs_bar)
        yield rec
    finally:
        for owner, attr, orig in reversed(undo):
            setattr(owner, attr, orig)


# --------------------------------------------------------------------------- ceiling and runs
def gemm_ceiling(device, threads: int, n: int = 2048, repeats: int = 5) -> float:
    """Best fp32 GFLOP/s of an (n x n) @ (n x n) ``torch.matmul`` with `threads` CPU threads."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        a = torch.randn(n, n, device=device)
        b = torch.randn(n, n, device=device)
        torch.matmul(a, b)
        # CPU: process time per thread (a loaded machine's waiting is not the matmul's); CUDA: wall time
        on_cpu = torch.device(device).type == "cpu"
        clock = time.process_time if on_cpu else time.perf_counter
        best = float("inf")
        for _ in range(repeats):
            _sync(device)
            t = clock()
            torch.matmul(a, b)
            _sync(device)
            best = min(best, (clock() - t) / (threads if on_cpu else 1))
        return 2 * n**3 / best / 1e9
    finally:
        torch.set_num_threads(old)


def _sync(device) -> None:
    import torch

    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


class _NoModuleTracker:
    """Stands in for FlopCounterMode's module tracker: every FLOP counts under "Global" only.

    The tracker's backward hooks break ``torch.autograd.grad(..., create_graph=True)`` (the cycle-GAN's
    Wasserstein-divergence penalty: "A leaf node was passed to _will_engine_execute_node"), and the
    bench needs totals only.
    """

    parents = ("Global",)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def flop_counter():
    """A ``torch.utils.flop_counter.FlopCounterMode`` without module tracking (`_NoModuleTracker`)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    counter.mod_tracker = _NoModuleTracker()
    return counter


def run_once(argv: list[str], rec: Recorder, flops: bool, stop_after: float | None = None):
    """Run ``labkit <argv> --out <temp dir>`` with the shims; (wall s, CPU s, exit code, captured output, stopped).

    `stop_after` seconds: SIGTERM to this process then, which labkit's run lifecycle turns into a clean
    stop ("stopped by signal 15"); the figures then cover the work done until then.
    """
    import signal
    import threading

    from labkit.cli import main

    fired = threading.Event()

    def stop():
        fired.set()
        os.kill(os.getpid(), signal.SIGTERM)

    timer = threading.Timer(stop_after, stop) if stop_after else None

    with tempfile.TemporaryDirectory(prefix="bench-reproduce-") as tmp:
        full = [*argv, "--out", os.path.join(tmp, "run")]
        out = io.StringIO()
        with shimmed(rec), contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            counter = contextlib.nullcontext()
            if flops:
                counter = rec.counter = flop_counter()
            t0, c0 = time.perf_counter(), time.process_time()
            if timer is not None:
                timer.start()
            try:
                with counter:
                    code = main(full)
            except SystemExit as err:  # argparse refusals
                code = int(err.code or 0)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            if timer is not None:
                timer.cancel()
            rec.total_flops = int(rec.counter.get_total_flops()) if flops else 0
    rec.counter = None
    # 143 = 128 + SIGTERM: labkit stopped cleanly on a SIGTERM, ours or another's (a `timeout`)
    return wall, cpu, code, out.getvalue(), fired.is_set() or code == 143


# --------------------------------------------------------------------------- figures
def projection(spec: Budget, rec: Recorder, k: int, aaec_iterations: int | None) -> dict:
    """Paper-budget projection of a run timed at k epochs (see the module docstring), in wall and CPU seconds."""
    extra = {"seconds": 0.0, "cpu": 0.0}
    extra_flops, per_trainer = 0, {}
    for target, paper in spec.paper_epochs.items():
        measured = {"seconds": rec.target_seconds.get(target, 0.0), "cpu": rec.target_cpu.get(target, 0.0)}
        if not measured["seconds"]:
            continue
        loop = rec.loops.get(target)
        entry = {"paper_epochs": paper}
        for clock in ("seconds", "cpu"):
            if loop and loop["epochs"]:
                per_epoch = loop[clock] / loop["epochs"]
                projected = measured[clock] - loop[clock] + per_epoch * paper * loop["loops"]
                how = f"{loop['epochs']} timed epochs in {loop['loops']} loop(s), {loop['cpu'] / loop['epochs']:.3f} CPU s each"
            else:  # AAEC: whole training scaled by iterations
                done = aaec_iterations or k
                projected = measured[clock] * paper / done
                how = f"{done} timed iteration(s) per training, scaled x{paper / done:g}"
            name = "wall" if clock == "seconds" else "cpu"
            entry.update({f"measured_{name}_s": measured[clock], f"projected_{name}_s": projected, "how": how})
            extra[clock] += projected - measured[clock]
        if loop and loop["epochs"]:
            extra_flops += int(loop["flops"] / loop["epochs"] * paper * loop["loops"] - loop["flops"])
        per_trainer[target] = entry
    return {
        "extra_wall_s": extra["seconds"],
        "extra_cpu_s": extra["cpu"],
        "extra_flops": extra_flops,
        "trainers": per_trainer,
    }


def figures(name, argv, budget, wall, cpu, rec, ceiling, flop_rec, proj) -> dict:
    """Every figure of one bench run as a JSON-able dict (timing pass `rec`, FLOP pass `flop_rec` or None)."""
    parts = {p: rec.seconds[p] for p in PARTS}
    parts[OTHER] = wall - sum(parts.values())
    cpus = {p: rec.cpu[p] for p in PARTS}
    cpus[OTHER] = cpu - sum(cpus.values())
    flops = dict(flop_rec.flops) if flop_rec else {}
    if flop_rec:
        flops[OTHER] = flop_rec.total_flops - sum(flops.values())
    out = {
        "experiment": name,
        "budget": budget,
        "argv": argv,
        "wall_s": wall,
        "cpu_s": cpu,
        "parts": {
            p: {
                "seconds": parts[p],
                "share": parts[p] / wall if wall else 0.0,
                "cpu_s": cpus[p],
                "cpu_share": cpus[p] / cpu if cpu else 0.0,
                "gflop": flops[p] / 1e9 if flop_rec else None,
            }
            for p in (*PARTS, OTHER)
        },
        "calls": dict(sorted(rec.calls.items())),
        "epoch_loops": rec.loops,
        "ceiling_gflops": ceiling,
        "threads": torch_threads_used(argv),
        "machine": machine_text(),
    }
    if flop_rec:
        total = flop_rec.total_flops
        floor = total / (ceiling * 1e9)
        train_cpu = cpus["generator training"]
        train_rate = flops["generator training"] / train_cpu / 1e9 if train_cpu > 0 else None
        out.update(
            total_gflop=total / 1e9,
            floor_s=floor,
            wall_over_floor=wall / floor if floor else None,
            cpu_over_floor=cpu / floor if floor else None,
            achieved_gflops_per_cpu_s=total / cpu / 1e9 if cpu else None,
            training_gflops_per_cpu_s=train_rate,
            training_fraction_of_ceiling=train_rate / ceiling if train_rate is not None else None,
            flop_pass_wall_s=flop_rec.wall,
        )
    if proj is not None:
        out["projection"] = proj
        out["projected_wall_s"] = wall + proj["extra_wall_s"]
        out["projected_cpu_s"] = cpu + proj["extra_cpu_s"]
        if flop_rec:
            pf = flop_rec.total_flops + proj["extra_flops"]
            out["projected_gflop"] = pf / 1e9
            out["projected_floor_s"] = pf / (ceiling * 1e9)
    return out


def torch_threads_used(argv: list[str]) -> int:
    return int(argv[argv.index("--threads") + 1]) if "--threads" in argv else 1


def machine_text() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} cores, load average {load:.2f} at the start"


def print_table(fig: dict) -> None:
    """The bench's printed table: per part wall and CPU seconds and shares (and FLOPs), then the floor."""
    print(f"\n{fig['experiment']} (budget {fig['budget']}): labkit {' '.join(fig['argv'])}")
    print(f"machine: {fig['machine']}; torch threads {fig['threads']}")
    if fig.get("stopped_after_s"):
        print(
            f"STOPPED after {fig['stopped_after_s']:g} s: {fig['tasks_finished']} of {fig['tasks_in_run']} task(s) "
            "finished; the figures cover the work done until then"
        )
    has_flops = "total_gflop" in fig
    head = f"{'part':<20} {'wall s':>9} {'% wall':>7} {'CPU s':>9} {'% CPU':>7}"
    head += f" {'GFLOP':>9} {'GFLOP/CPU s':>11}" if has_flops else ""
    print(head)
    print("-" * len(head))
    for part, v in fig["parts"].items():
        line = f"{part:<20} {v['seconds']:9.2f} {100 * v['share']:6.1f}% {v['cpu_s']:9.2f} {100 * v['cpu_share']:6.1f}%"
        if has_flops:
            rate = v["gflop"] / v["cpu_s"] if v["cpu_s"] > 0 else 0.0
            line += f" {v['gflop']:9.3f} {rate:11.2f}"
        print(line)
    print("-" * len(head))
    wall_share = sum(v["share"] for v in fig["parts"].values())
    cpu_share = sum(v["cpu_share"] for v in fig["parts"].values())
    print(f"{'total':<20} {fig['wall_s']:9.2f} {100 * wall_share:6.1f}% {fig['cpu_s']:9.2f} {100 * cpu_share:6.1f}%")
    print(
        f"\nfp32 matmul ceiling: {fig['ceiling_gflops']:.1f} GFLOP/s per thread ({fig['threads']} thread(s), CPU time)"
    )
    if has_flops:
        print(
            f"counted FLOPs: {fig['total_gflop']:.3f} GFLOP; floor {fig['floor_s']:.3f} s; "
            f"CPU / floor {fig['cpu_over_floor']:.0f}x; wall / floor {fig['wall_over_floor']:.0f}x"
        )
        if fig["training_gflops_per_cpu_s"] is not None:
            print(
                f"generator training: {fig['training_gflops_per_cpu_s']:.2f} GFLOP per CPU second = "
                f"{100 * fig['training_fraction_of_ceiling']:.1f} % of the ceiling"
            )
    busiest = sorted(fig["calls"].items(), key=lambda kv: -kv[1])[:6]
    print("calls: " + ", ".join(f"{'.'.join(k.split('.')[-2:])} x{n}" for k, n in busiest))
    if "projection" in fig:
        print(
            f"\npaper budget projected: {fig['projected_cpu_s']:.0f} CPU s ({fig['projected_cpu_s'] / 60:.1f} min), "
            f"{fig['projected_wall_s']:.0f} wall s at this load"
        )
        for target, t in fig["projection"]["trainers"].items():
            print(
                f"  {target}: {t['measured_cpu_s']:.1f} CPU s measured -> {t['projected_cpu_s']:.0f} "
                f"({t['how']}; paper {t['paper_epochs']})"
            )
        if "projected_floor_s" in fig:
            print(f"  projected FLOPs {fig['projected_gflop']:.1f} GFLOP, floor {fig['projected_floor_s']:.1f} s")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog="Options after -- go to the experiment.")
    p.add_argument("experiment", choices=sorted(EXPERIMENTS))
    p.add_argument("--budget", choices=["small", "paper"], default="small")
    p.add_argument("--device", default="cpu", help="torch device of the experiment and the ceiling (default cpu)")
    p.add_argument("--threads", type=int, default=1, help="torch threads of the tasks and the ceiling (default 1)")
    p.add_argument("--quick", action="store_true", help="the experiment's tiniest options (seconds)")
    p.add_argument("--epochs-k", type=int, default=2, help="--budget paper: epochs (AAEC: iterations) to time")
    p.add_argument("--no-flops", action="store_true", help="skip the FLOP-counting second pass")
    p.add_argument(
        "--stop-after",
        type=float,
        default=None,
        metavar="S",
        help="stop the experiment after S seconds (labkit's clean stop) and report the work done; no FLOP pass",
    )
    p.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []  # after --: the experiment's own options
    args = p.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    spec = EXPERIMENTS[args.experiment]
    run_argv = experiment_argv(
        args.experiment, args.budget, args.quick, args.device, args.threads, args.epochs_k, extra
    )

    sync = (lambda: _sync(args.device)) if args.device.startswith("cuda") else None
    ceiling = gemm_ceiling(args.device, args.threads)
    rec = Recorder(sync)
    wall, cpu, code, output, stopped = run_once(run_argv, rec, flops=False, stop_after=args.stop_after)
    if code != 0 and not stopped:
        print(output[-4000:], file=sys.stderr)
        print(f"labkit {' '.join(run_argv)} exited with {code}", file=sys.stderr)
        return 1
    ceiling = max(ceiling, gemm_ceiling(args.device, args.threads))
    proj = None
    if args.budget == "paper" and spec.paper is not None and not args.quick:
        iters = args.epochs_k if args.experiment.startswith("aaec") else None
        proj = projection(spec, rec, args.epochs_k, iters)
    import re

    totals = re.findall(rf"{re.escape(args.experiment)}:\s+\d+%\|[^|]*\|\s*\d+/(\d+) \[", output)  # its task bar
    meta = {
        "paper_budget_note": spec.paper_note,
        "stopped_after_s": (args.stop_after or round(wall)) if stopped else None,
        "tasks_finished": rec.calls.get("labkit.runstore.Run.save_task", 0),
        "tasks_in_run": int(totals[-1]) if totals else None,
    }
    if args.json and not (args.no_flops or stopped):  # the timing figures first, in case the FLOP pass does not end
        _write_json(
            args.json, {**figures(args.experiment, run_argv, args.budget, wall, cpu, rec, ceiling, None, proj), **meta}
        )
    flop_rec = None
    if not (args.no_flops or stopped):
        flop_rec = Recorder(sync)
        flop_wall, _, code, _, _ = run_once(run_argv, flop_rec, flops=True)
        flop_rec.wall = flop_wall
        if code != 0:
            print("FLOP pass failed", file=sys.stderr)
            return 1
    fig = {**figures(args.experiment, run_argv, args.budget, wall, cpu, rec, ceiling, flop_rec, proj), **meta}
    print_table(fig)
    if args.json:
        _write_json(args.json, fig)
    return 0


def _write_json(path: str, fig: dict) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as fh:
        json.dump(fig, fh, indent=2, default=float)
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
