"""How long the default synthetic corpus (10 speakers × 7 emotions × 10 utterances) takes to generate.

Run: ``python benchmarks/bench_synthetic.py [--n-jobs N ...]``. Prints seconds and utterances per
second for one worker and for all cores. `time_generation` is importable (benchmarks/bench_data.py
may reuse it).
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
    parser.add_argument("--n-jobs", type=int, nargs="*", default=None,
                        help="worker counts to time (default: 1 and all cores)")
    args = parser.parse_args(argv)
    from labkit.data.synthetic import SynthConfig

    config = SynthConfig()
    n_utt = config.n_speakers * len(config.emotions) * config.n_utterances
    cores = os.cpu_count() or 1
    for n_jobs in args.n_jobs or sorted({1, cores}):
        seconds = time_generation(n_jobs, config)
        print(f"synthetic default corpus ({n_utt} utterances), n_jobs={n_jobs}: "
              f"{seconds:.1f} s, {n_utt / seconds:.0f} utterances/s")


if __name__ == "__main__":
    main()
