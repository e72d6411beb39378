"""Measures of generated data, below the trainers so that every layer above can use them.

* `labkit.metrics.coverage`: precision/recall, density/coverage, Fréchet, MMD, C2ST and the test
  coverage gain of generated samples, in the full feature space, per recorded iteration of a run.
* `labkit.metrics.difficulty`: how hard a corpus is for augmentation (test samples outside every
  training neighbourhood, a baseline classifier's UAR).

Nothing is imported here, so importing one module does not pull in the others' dependencies.
"""
