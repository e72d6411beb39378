"""Widgets the dashboard pages share: they draw and return, computation stays in labkit.viz."""

from __future__ import annotations

import streamlit as st

from labkit.viz import data


def store_ui() -> list:
    """Sidebar: which run store is shown, a refresh button and any unreadable runs; returns the runs."""
    root = data.runs_root()
    with st.sidebar:
        st.caption(f"Run store: `{root.resolve()}`")
        if st.button("↻ Reload runs", help="re-read the run store (new runs and snapshots also appear on any click)"):
            st.cache_data.clear()
    rows = data.runs()
    broken = [r for r in rows if r.error]
    if broken:
        with st.sidebar.expander(f"{len(broken)} run(s) cannot be read"):
            for r in broken:
                st.write(f"**{r.run_id}**: {r.error}")
    return [r for r in rows if not r.error]


def empty_store_ui(rows_seen: int, what: str, how: str) -> None:
    """The message shown when no run has what a page needs."""
    root = data.runs_root()
    if rows_seen == 0:
        st.info(
            f"The run store `{root}` has no runs yet. Start with `labkit demo`, or point the dashboard "
            f"at another store with `labkit dashboard --runs DIR`."
        )
    else:
        st.info(f"None of the {rows_seen} run(s) in `{root}` has {what} yet. {how}")


def run_picker_ui(rows: list, key: str, label: str = "Run"):
    """A selectbox of runs (newest first); returns the chosen RunRow."""
    labels = [r.label for r in rows]
    choice = st.selectbox(label, labels, key=key)
    return rows[labels.index(choice)] if choice in labels else rows[0]


def plot(fig, key: str | None = None, filename: str = "labkit-figure") -> None:
    """Draw a plotly figure at full width with its own colours (not Streamlit's theme).

    The plot's toolbar is always shown; its camera icon saves the figure as a PNG (``filename.png``,
    twice the screen resolution).
    """
    st.plotly_chart(
        fig,
        theme=None,
        key=key,
        config={
            "displaylogo": False,
            "displayModeBar": True,
            "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
        },
    )


def download_ui(fig, filename: str, key: str) -> None:
    """A button that downloads the figure as interactive HTML (works offline), and a PNG hint."""
    col, note = st.columns([1, 3])
    col.download_button(
        "Download HTML",
        lambda: data.html_bytes(fig),
        f"{filename}.html",
        "text/html",
        key=key,
        on_click="ignore",
        icon=":material/download:",
        help="the interactive figure (animation included) as one offline HTML file",
    )
    note.caption("PNG: the camera icon in the plot's toolbar (top right of the plot).")
