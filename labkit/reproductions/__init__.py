"""Paper experiments for ``labkit reproduce``: one module per paper, each listing ``EXPERIMENTS``.

Every experiment is a `labkit.reproductions.base.Experiment` (plan, run_task, summarize) and runs
through the one run lifecycle (`labkit.runs.reproduce`); see that module for how to add one.
Modules here must stay light at import time (no torch, no data): `labkit reproduce --list` imports them all.
"""
