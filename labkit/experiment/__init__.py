"""Experiment primitives: protocols, the fold pipeline, metrics, classifiers, statistics and tables.

What runs experiments (the lifecycle, the resume loop, the comparison) is in `labkit.runs`, above.

Import the submodules directly (``from labkit.experiment.protocols import make_folds``); this package
imports nothing heavy itself.
"""
