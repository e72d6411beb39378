"""Visualising runs: fixed projections, coverage metrics and plotly figures.

* `labkit.viz.projection`: PCA/UMAP fitted once per run on the real data, cached in the run.
* `labkit.viz.coverage`: precision/recall, density/coverage, Fréchet, MMD, C2ST and the test
  coverage gain of generated samples, per iteration, cached in the run.
* `labkit.viz.figures`: plotly figure builders (animated distribution, comparisons, curves).
* `labkit.viz.data`: Streamlit-cached readers for the dashboard (imports streamlit).

Nothing is imported here, so importing one module does not pull in the others' dependencies.
"""
