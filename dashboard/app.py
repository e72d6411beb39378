"""labkit dashboard: `labkit dashboard --runs DIR` (or `streamlit run dashboard/app.py`).

The app only reads the run store named by $LABKIT_RUNS (else ./runs). Pages:

* Distribution: real and generated samples in a fixed projection, played over training iterations.
* Comparison: augmenters side by side (summary with CIs, per-class recall, UAR vs amount).
* Training: losses and coverage metrics against iteration.

Layout follows Streamlit's demo apps: `common.py` holds the small `*_ui()` helpers the pages share,
computation lives in `labkit.viz`, and every read goes through the caches in `labkit.viz.data`.
"""

import streamlit as st

# An emoji icon: Streamlit draws it in the page, where a ":material/...:" icon is fetched from Google's fonts
# server (the dashboard fetches nothing).
st.set_page_config(page_title="labkit dashboard", page_icon="📊", layout="wide")

pages = [
    st.Page("pages/distribution.py", title="Distribution", icon=":material/scatter_plot:", default=True),
    st.Page("pages/comparison.py", title="Comparison", icon=":material/bar_chart:"),
    st.Page("pages/training.py", title="Training", icon=":material/show_chart:"),
]
st.navigation(pages).run()
