"""`labkit reproduce <paper>-<experiment>`: re-run a paper's experiment on the data at hand.

Experiments so far (one sub-command each, named ``<paper>-<experiment>`` so the other papers fit in):

* ``aaec-table1``: Fu et al. (MuSe 2020) Table 1, the five configurations x seeds.
* ``aaec-train``: one AAEC training with Figure 5 recording (what the demo and the dashboard use).
"""

from __future__ import annotations

import argparse
import json
import re
import time

DESCRIPTION = """\
Reproduce a paper's experiment on the embedded corpus or on any corpus a loader reads.
Every experiment writes a run directory (--out) and resumes from it: finished work is not redone.

experiments:
  aaec-table1   AAEC (Fu et al., MuSe 2020) Table 1: AAEC, AAE_C, AAE+C, AAEC', Classifier
  aaec-train    one AAEC training with Figure 5 recording (for the dashboard)

Run `labkit reproduce EXPERIMENT --help` for its options.
"""

TABLE1_DESCRIPTION = """\
Train the five configurations of AAEC's Table 1 (Fu et al., MuSe 2020) for every seed and print the
table: F1, UAR and Combined (0.66 F1 + 0.34 UAR) of the 3-class arousal and valence heads on
held-out speakers, and the mean Combined, as mean ± 95% t-interval over seeds.

  AAEC        D, C, G      the proposed model: X' = average(Decoder(E), Decoder(Z))
  AAE_C       C, G         without the discriminator on Z
  AAE+C       D, G         the classifier is trained after the autoencoder, on its samples
  AAEC'       D, C, G_ori  the original AAE decoder: X' = Decoder(Z)
  Classifier  -            the classifier alone, no augmentation

MuSe-CaR / MuSe-Topic cannot be had here; the table says which data it ran on. The split is
speaker-independent and fixed (--split-seed); seeds vary the training only. Finished
configuration x seed pairs are run-store tasks and are not recomputed; --seeds can grow later.

examples:
  labkit reproduce aaec-table1 synthetic --preset small --seeds 3 --out runs/aaec-table1
  labkit reproduce aaec-table1 emodb:~/data/emodb --preset small --seeds 2 --json
"""

TRAIN_DESCRIPTION = """\
Train one AAEC configuration with Algorithm 1 and record Figure 5: every iteration, Decoder(E),
Decoder(Z) and X' of a fixed set of training utterances go to the run store, with the real train and
test utterances once, in two spaces ("spectrum": mean/std over time of log power in 32 mel bands;
"embedding": a frozen reference classifier's penultimate layer). The history table holds the losses
and the test UAR per iteration. An interrupted run resumes from its last checkpoint.

examples:
  labkit reproduce aaec-train synthetic --config AAEC --preset small --iterations 40 --out runs/aaec
  labkit coverage runs/aaec; labkit dashboard --runs runs
"""


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", metavar="SOURCE",
                   help="corpus: synthetic, synthetic:DIR, emodb:PATH, ravdess:PATH, cremad:PATH, iemocap:PATH or csv:PATH")
    p.add_argument("--preset", default="small", choices=["small", "paper"],
                   help="sizes and budget: 'small' (3 s, 129 bins, narrow layers, K1=K2=K3=1, 25 iterations; CPU minutes) or "
                        "'paper' (15 s, Section 3.2 sizes, K=10/20/20, 500 iterations; a GPU job) (default: %(default)s)")
    p.add_argument("--iterations", type=int, default=None, help="Algorithm 1 iterations (default: the preset's)")
    p.add_argument("--balanced", dest="balanced", action="store_true", default=None,
                   help="weight the class losses by inverse class frequency (default: on for 'small', off for "
                        "'paper'; the paper does not, see labkit.models.aaec)")
    p.add_argument("--no-balanced", dest="balanced", action="store_false", help="plain cross-entropy, as in the paper")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="cut / pad utterances to this many seconds (default: the preset's, 3 or 15)")
    p.add_argument("--test-fraction", type=float, default=0.3,
                   help="share of speakers held out for testing (default: %(default)s)")
    p.add_argument("--split-seed", type=int, default=0, help="seed choosing the held-out speakers (default: %(default)s)")
    p.add_argument("--device", default=None, help="torch device: cpu, cuda, cuda:1 (default: CUDA when available)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (default: 1 for --preset small, whose narrow layers gain nothing from "
                        "more and lose a lot on a busy machine; torch's own choice for --preset paper)")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reproduce", help="reproduce a paper's experiment (AAEC Table 1, AAEC training)",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    exp = p.add_subparsers(dest="experiment", metavar="EXPERIMENT", required=True)

    t1 = exp.add_parser("aaec-table1", help="AAEC's Table 1: five configurations x seeds",
                        description=TABLE1_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common(t1)
    t1.add_argument("--seeds", type=int, default=3, help="number of training seeds, 0..N-1 (default: %(default)s)")
    t1.add_argument("--configs", default=None,
                    help="comma-separated subset of AAEC,AAE_C,AAE+C,AAEC',Classifier (default: all five)")
    t1.add_argument("--out", default=None,
                    help="run directory (default: <run store>/aaec-table1-<source>-<preset>)")
    t1.set_defaults(func=run_table1_command)

    tr = exp.add_parser("aaec-train", help="one AAEC training with Figure 5 recording",
                        description=TRAIN_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common(tr)
    tr.add_argument("--config", default="AAEC", help="AAEC, AAE_C, AAE+C, AAEC' or Classifier (default: %(default)s)")
    tr.add_argument("--seed", type=int, default=0, help="training seed (default: %(default)s)")
    tr.add_argument("--record-every", type=int, default=1,
                    help="record generated samples every N iterations; 0 turns recording off (default: %(default)s)")
    tr.add_argument("--n-record", type=int, default=48,
                    help="training utterances whose generated versions are recorded (default: %(default)s)")
    tr.add_argument("--checkpoint-every", type=int, default=5, help="checkpoint every N iterations (default: %(default)s)")
    tr.add_argument("--out", default=None, help="run directory (default: <run store>/aaec-<config>-<source>-<preset>-s<seed>)")
    tr.set_defaults(func=run_train_command)


# ---------------------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", text.replace("'", "-prime")).strip("-.") or "x"


def _overrides(args) -> dict:
    out = {}
    if args.iterations is not None:
        if args.iterations < 1:
            from labkit.errors import LabkitError

            raise LabkitError(f"--iterations must be at least 1, got {args.iterations}")
        out["iterations"] = args.iterations
    if args.max_seconds is not None:
        out["max_seconds"] = args.max_seconds
    if args.balanced is not None:
        out["balanced_classes"] = args.balanced
    return out


def _setup(args):
    """Threads, the preset's utterance length and the data (loaded once per command)."""
    import torch

    from labkit.errors import LabkitError
    from labkit.models.aaec import PRESETS
    from labkit.trainers.aaec import load_data

    threads = args.threads if args.threads is not None else (1 if args.preset == "small" else None)
    if threads is not None:
        if threads < 1:
            raise LabkitError(f"--threads must be at least 1, got {threads}")
        torch.set_num_threads(threads)
    overrides = _overrides(args)
    max_seconds = overrides.get("max_seconds", PRESETS[args.preset]["max_seconds"])
    data = load_data(args.source, max_seconds=max_seconds, test_fraction=args.test_fraction,
                     split_seed=args.split_seed, show_progress=not args.json)
    return data, overrides


def run_table1_command(args: argparse.Namespace) -> int:
    from labkit.errors import LabkitError
    from labkit.models.aaec import CONFIGURATIONS
    from labkit.runstore import Run, default_root
    from labkit.trainers.aaec import format_table1, run_table1, summarize_table1

    if args.seeds < 1:
        raise LabkitError(f"--seeds must be at least 1, got {args.seeds}")
    configs = list(CONFIGURATIONS) if args.configs is None else [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = [c for c in configs if c not in CONFIGURATIONS]
    if unknown or not configs:
        raise LabkitError(f"unknown configuration(s) {unknown or args.configs!r}; choose from {', '.join(CONFIGURATIONS)}")
    t0 = time.perf_counter()
    data, overrides = _setup(args)
    out = args.out or str(default_root() / f"aaec-table1-{_slug(args.source)}-{args.preset}")
    # Seeds and the list of configurations are not part of the run's identity: both can grow later.
    run = Run.create(out, "aaec-table1", {"source": args.source, "preset": args.preset, "overrides": overrides,
                                          "test_fraction": args.test_fraction, "split_seed": args.split_seed})
    run.write_json("data", {"description": data.description})
    try:
        tasks = run_table1(data, run, preset=args.preset, seeds=range(args.seeds), configurations=configs,
                           overrides=overrides, device=args.device, show_progress=not args.json)
    except BaseException as err:
        run.set_status("failed", f"{type(err).__name__}: {err}")
        raise
    summary = summarize_table1(tasks)
    seconds = time.perf_counter() - t0
    run.write_json("table1", {"data": data.description, "preset": args.preset, "overrides": overrides,
                              "seeds": list(range(args.seeds)), "summary": summary, "seconds": seconds})
    rows = [{"configuration": c, "head": h, "metric": m, **summary[c][h][m]}
            for c in summary for h in ("arousal", "valence") for m in ("f1", "uar", "combined")]
    rows += [{"configuration": c, "head": "mean", "metric": "combined", **summary[c]["combined"]} for c in summary]
    import pandas as pd

    run.write_table("summary", pd.DataFrame(rows))
    run.set_status("finished", f"{len(tasks)} tasks in {seconds:.0f} s")
    if args.json:
        print(json.dumps({c: {h: {m: summary[c][h][m]["mean"] for m in ("f1", "uar", "combined")}
                              for h in ("arousal", "valence")} for c in summary}, indent=2))
    else:
        print(format_table1(summary, data.description))
        print(f"\nRun: {run.path}  ({seconds:.0f} s; preset {args.preset}{', ' + str(overrides) if overrides else ''})")
    return 0


def run_train_command(args: argparse.Namespace) -> int:
    from labkit.errors import LabkitError
    from labkit.models.aaec import make_config
    from labkit.runstore import Run, default_root
    from labkit.trainers.aaec import TrainOptions, train

    t0 = time.perf_counter()
    cfg = make_config(args.preset, args.config, seed=args.seed)  # validates the names before loading data
    if args.record_every < 0 or args.n_record < 1 or args.checkpoint_every < 1:
        raise LabkitError("--record-every must be >= 0, --n-record and --checkpoint-every >= 1")
    data, overrides = _setup(args)
    cfg = make_config(args.preset, args.config, seed=args.seed, **overrides)
    out = args.out or str(default_root() / f"aaec-{_slug(args.config)}-{_slug(args.source)}-{args.preset}-s{args.seed}")
    run = Run.create(out, "aaec", {"source": args.source, "configuration": args.config, "preset": args.preset,
                                   "seed": args.seed, "overrides": overrides, "test_fraction": args.test_fraction,
                                   "split_seed": args.split_seed, "record_every": args.record_every,
                                   "n_record": args.n_record, "model": cfg.to_dict()},
                     name=f"AAEC {args.config} ({args.preset}, seed {args.seed})")
    if run.has_json("final") and run.status.get("state") == "finished":
        final = run.read_json("final")
    else:
        run.write_json("data", {"description": data.description})
        run.set_status("running", "training")
        options = TrainOptions(device=args.device, record_every=args.record_every, n_record=args.n_record,
                               checkpoint_every=args.checkpoint_every, progress=not args.json, desc=args.config)
        try:
            res = train(data, cfg, run, options)
        except BaseException as err:
            run.set_status("failed", f"{type(err).__name__}: {err}")
            raise
        final = {"configuration": args.config, "metrics": res["metrics"], "combined": res["combined"],
                 "seconds": res["seconds"], "device": res["device"], "data": data.description}
        run.write_json("final", final)
        run.set_status("finished", f"combined {100 * res['combined']:.2f} % in {res['seconds']:.0f} s")
    if args.json:
        print(json.dumps(final, indent=2))
    else:
        m = final["metrics"]
        print(f"Data: {final['data']}")
        print(f"AAEC configuration {args.config}, preset {args.preset}, seed {args.seed}:")
        for head in ("arousal", "valence"):
            print(f"  {head:<8} F1 {100 * m[head]['f1']:6.2f}  UAR {100 * m[head]['uar']:6.2f}  "
                  f"Combined {100 * m[head]['combined']:6.2f}")
        print(f"  mean Combined {100 * final['combined']:.2f} %")
        print(f"Run: {run.path}  ({time.perf_counter() - t0:.0f} s)")
    return 0
