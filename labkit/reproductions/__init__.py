"""Paper experiments for ``labkit reproduce``: one module per paper, each listing ``EXPERIMENTS``.

Every experiment is a `labkit.reproductions.base.Experiment` (plan, run_task, summarize) and runs
through the one run lifecycle (`labkit.runs.reproduce.run_experiment`). What the paper modules
share (corpus options, emotion sets, feature loading, the long table, the paired column, the tuning
note) is in `labkit.reproductions.common`; `labkit.reproductions.base.Plan` says what goes in a plan's
``config``, ``context`` and ``info``. ``tests/example_paper.py`` is a complete small paper to copy.
Modules here must stay light at import time (no torch, no data): `labkit reproduce --list` imports them all.
"""
