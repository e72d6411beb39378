"""A tiny embedded-synthesizer corpus with real waveforms, for the workflow tests that need audio.

4 speakers x 3 emotions x 2 utterances = 24 utterances of ~2.5 s (about 5 s to synthesize).
"""

from __future__ import annotations

from pathlib import Path

EMOTIONS = ["anger", "sadness", "neutral"]


def tiny_corpus() -> Path:
    """Synthesize the corpus once per test session (in its cache) and return its manifest (csv:<manifest>)."""
    from labkit.data.synthetic import SynthConfig, synthesize_corpus
    from labkit.paths import cache_root

    folder = cache_root() / "test-corpora" / "workflow-tiny"
    manifest = folder / "manifest.csv"
    if not manifest.exists():
        synthesize_corpus(folder, SynthConfig(n_speakers=4, n_utterances=2, emotions=EMOTIONS), progress=False)
    return manifest
