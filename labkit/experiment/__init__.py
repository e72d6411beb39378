"""Experiments: evaluation protocols, metrics, classifiers, statistics and the comparison runner.

Import the submodules directly (``from labkit.experiment.protocols import make_folds``); this package
imports nothing heavy itself.
"""
