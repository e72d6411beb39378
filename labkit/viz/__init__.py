"""Visualising runs: fixed projections and plotly figures.

* `labkit.viz.projection`: PCA/UMAP fitted once per run on the real data, cached in the run.
* coverage metrics live in `labkit.metrics.coverage` (below the trainers, which use them too).
* `labkit.viz.figures`: plotly figure builders (animated distribution, comparisons, curves).
* `labkit.viz.data`: Streamlit-cached readers for the dashboard (imports streamlit).

Nothing is imported here, so importing one module does not pull in the others' dependencies.
"""
