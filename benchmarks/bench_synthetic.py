"""How long the default synthetic corpus (10 speakers × 7 emotions × 10 utterances) takes to generate.

Run: ``python benchmarks/bench_synthetic.py [--n-jobs N ...] [--scenarios]``. Prints seconds and
utterances per second for one worker and for all cores; with ``--scenarios`` also every named
scenario (`labkit.data.synthetic.SCENARIOS`) with all cores. `time_generation` is importable
(benchmarks/bench_data.py may reuse it).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time


def time_generation(n_jobs: int | None = 1, config=None) -> float:
    """Seconds to synthesize the corpus of `config` (default: the default corpus) with `n_jobs` workers.

    Writes into a temporary folder that is removed afterwards; the cache is not touched.
    """
    from labkit.data.synthetic import SynthConfig, synthesize_corpus

    config = config or SynthConfig()
    with tempfile.TemporaryDirectory(prefix="labkit-bench-synth-") as tmp:
        start = time.perf_counter()
        synthesize_corpus(tmp, config, progress=False, n_jobs=n_jobs)
        return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n-jobs", type=int, nargs="*", default=None, help="worker counts to time (default: 1 and all cores)"
    )
    parser.add_argument("--scenarios", action="store_true", help="also time every named scenario (all cores)")
    args = parser.parse_args(argv)
    from labkit.data.synthetic import SynthConfig

    config = SynthConfig()
    n_utt = config.n_speakers * len(config.emotions) * config.n_utterances
    cores = os.cpu_count() or 1
    for n_jobs in args.n_jobs or sorted({1, cores}):
        seconds = time_generation(n_jobs, config)
        print(
            f"synthetic default corpus ({n_utt} utterances), n_jobs={n_jobs}: "
            f"{seconds:.1f} s, {n_utt / seconds:.0f} utterances/s"
        )
    if args.scenarios:
        from labkit.data.synthetic import SCENARIOS, scenario_config

        for name in SCENARIOS:
            config = scenario_config(name)
            n = sum(config.group_size(s, e) for s in range(config.n_speakers) for e in config.emotions)
            seconds = time_generation(None, config)
            print(
                f"synthetic:{name:<13s} ({n:5d} utterances), all cores: {seconds:6.1f} s, {n / seconds:4.0f} utterances/s"
            )


if __name__ == "__main__":
    main()
