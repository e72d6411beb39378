"""Data benchmark: corpus generation time, feature-extraction throughput, cache-hit speed-up.

Prints (1) how long `labkit.data.synthetic.synthesize_corpus` takes for the default config,
(2) extraction throughput in utterances per second for each feature set with one worker and with
all cores, and (3) the cache-hit speed-up: a cold extraction (empty cache, all cores) against the
warm one right after it, in the same run. Everything happens in a temporary folder with its own
LABKIT_CACHE, so your real cache is neither used nor touched.

Both throughput figures are measured after small warm-up calls, so they are steady-state
throughput, not the one-off cost of importing openSMILE / librosa and starting worker processes
(a second or more per worker on a busy machine). The cold-cache run reuses the started workers.

    python benchmarks/bench_data.py                      # default: 60 utterances, every set
    python benchmarks/bench_data.py --sets egemaps,logmel --n 200
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ALL_SETS = "egemaps,is10,emobase,compare,logmel,spectrogram"


def _fallback_corpus(out_dir: Path, n: int):
    """Plain harmonic tones with vibrato, for --no-corpus (no corpus build to wait for)."""
    import numpy as np
    import pandas as pd
    import soundfile as sf

    from labkit.data.schema import UTTERANCE_COLUMNS

    rows = []
    rng = np.random.default_rng(0)
    for k in range(n):
        t = np.arange(int(16000 * rng.uniform(1.5, 3.5))) / 16000
        phase = 2 * np.pi * rng.uniform(90, 280) * (t + 0.02 * np.sin(2 * np.pi * 5 * t))
        y = sum(0.3 / h * np.sin(h * phase) for h in range(1, 6)) + 0.01 * rng.standard_normal(t.size)
        path = out_dir / f"tone{k:04d}.wav"
        sf.write(path, y.astype(np.float32), 16000)
        rows.append(
            {
                "id": path.stem,
                "path": str(path),
                "corpus": "csv",
                "speaker": f"csv:s{k % 5}",
                "gender": "",
                "emotion": "neutral",
                "arousal": 1,
                "valence": 1,
                "duration": t.size / 16000,
                "context": "",
            }
        )
    return pd.DataFrame(rows, columns=UTTERANCE_COLUMNS)


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default=ALL_SETS, help="comma-separated feature sets (default: %(default)s)")
    parser.add_argument("--n", type=int, default=60, help="utterances to extract per set (default: %(default)s)")
    parser.add_argument(
        "--no-corpus",
        action="store_true",
        help="skip timing the default corpus build; extract from simple tone files instead",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="labkit-bench-") as tmp:
        tmp = Path(tmp)
        # Set before labkit reads it; workers started later inherit it. Quiet bars keep the table tidy.
        os.environ["LABKIT_CACHE"] = str(tmp / "cache")
        os.environ["LABKIT_QUIET"] = "1"
        import joblib

        from labkit.features import FEATURE_SETS, extract

        sets = [s.strip() for s in args.sets.split(",") if s.strip()]
        unknown = [s for s in sets if s not in FEATURE_SETS]
        if unknown:
            parser.error(f"unknown feature set(s) {unknown}; choose from {FEATURE_SETS}")
        n_cores = joblib.effective_n_jobs(-1)
        print(f"labkit data benchmark: {n_cores} cores, {args.n} utterances per feature set")

        # (1) corpus generation
        table = None
        if args.no_corpus:
            print("\n(1) corpus generation: skipped (--no-corpus)")
        else:
            from labkit.data.synthetic import SynthConfig, synthesize_corpus

            config = SynthConfig()
            table, seconds = _timed(lambda: synthesize_corpus(tmp / "corpus", config, progress=False))
            audio_s = float(table["duration"].sum())
            print(
                f"\n(1) corpus generation (default SynthConfig, all cores): {len(table)} utterances, "
                f"{audio_s / 60:.1f} min of audio in {seconds:.1f} s "
                f"({len(table) / seconds:.1f} utt/s, {audio_s / seconds:.0f}x real time)"
            )
        if table is None:
            table = _fallback_corpus(tmp, args.n)
        # An evenly spread subset, so every speaker and emotion is in it.
        step = max(1, len(table) // args.n)
        sub = table.iloc[::step].head(args.n).reset_index(drop=True)
        audio_s = float(sub["duration"].sum())
        print(f"    extracting from {len(sub)} utterances ({audio_s:.0f} s of audio)")

        # (2) throughput and (3) cache speed-up, one feature set at a time
        rows = []
        for name in sets:
            # Warm-ups: this process and the workers import openSMILE / librosa and build their
            # extractor once; the timed calls then measure steady-state throughput.
            extract(sub.head(2), name, n_jobs=1, cache=False, progress=False)
            extract(sub.head(2 * n_cores), name, n_jobs=-1, cache=False, progress=False)
            one, t_one = _timed(lambda: extract(sub, name, n_jobs=1, cache=False, progress=False))
            _, t_all = _timed(lambda: extract(sub, name, n_jobs=-1, cache=False, progress=False))
            cold, t_cold = _timed(lambda: extract(sub, name, n_jobs=-1, cache=True, progress=False))
            warm, t_warm = _timed(lambda: extract(sub, name, n_jobs=-1, cache=True, progress=False))
            assert warm.stats["cache_hits"] == len(sub), warm.stats
            shape = "x".join(str(d) for d in one.X.shape[1:])
            rows.append((name, shape, len(sub) / t_one, len(sub) / t_all, t_cold, t_warm, t_cold / t_warm))
            print(f"    {name}: done", file=sys.stderr)

        header = ("set", "shape", "utt/s 1 worker", f"utt/s {n_cores} workers", "cold s", "warm s", "cache speed-up")
        print("\n(2) extraction throughput and (3) cache-hit speed-up (cold: empty cache, all cores; warm: rerun)")
        widths = [max(len(h), 12) for h in header]
        print("  ".join(h.rjust(w) for h, w in zip(header, widths)))
        for name, shape, r1, rn, tc, tw, speedup in rows:
            cells = (name, shape, f"{r1:.1f}", f"{rn:.1f}", f"{tc:.2f}", f"{tw:.3f}", f"{speedup:.0f}x")
            print("  ".join(c.rjust(w) for c, w in zip(cells, widths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
