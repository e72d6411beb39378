"""Corpora: the embedded synthetic corpus, real-corpus loaders and audio reading.

Every corpus becomes one *utterance table* (a pandas DataFrame, columns in
`labkit.data.schema.UTTERANCE_COLUMNS`); `load_corpus("emodb:/path")` is the one entry point.
"""
