"""Features of an utterance table: AAEC's power spectrogram, log-mel, openSMILE functionals.

    from labkit.features import extract
    feats = extract(table, "egemaps")          # Features: feats.X (N, 88), feats.meta, feats.names
    feats.to_parquet("egemaps.parquet")

Extraction runs in parallel over the cores and is cached on disk (``cache_root()/features/``),
keyed by each audio file's bytes and the extractor settings; see `labkit.features.core`.
"""

from labkit.features.core import FEATURE_SETS, FRAME_SETS, Features, default_settings, extract
from labkit.features.spectral import frame_count

__all__ = ["FEATURE_SETS", "FRAME_SETS", "Features", "default_settings", "extract", "frame_count"]
