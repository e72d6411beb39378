"""Widgets the dashboard pages share: they draw and return, computation stays in labkit.viz."""

from __future__ import annotations

import streamlit as st

from labkit.viz import data
from labkit.viz.components import figure_payload, plot_component


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


def plot(
    fig,
    key: str | None = None,
    filename: str = "labkit-figure",
    select: bool = False,
    own_frames: bool = False,
    selection_key: str | None = None,
):
    """Draw a plotly figure at full width with its own colours (not Streamlit's theme).

    The plot's toolbar is always shown; its camera icon saves the figure as a PNG (``filename.png``,
    twice the screen resolution). With ``select=True`` box and lasso selections rerun the page and
    the selection event is returned (`labkit.viz.components.selected_codes` reads its point codes).

    ``own_frames=True`` draws it with labkit's plot component (`labkit.viz.components`): plotly.js in
    its own iframe, where frame changes and Play never wait on Streamlit, and the figure travels as
    typed arrays. ``selection_key`` names what the points' codes refer to (a run and space); a
    selection made on other points is not returned. Falls back to `st.plotly_chart` when the
    component cannot be loaded.
    """
    config = {
        "displaylogo": False,
        "displayModeBar": True,
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
    }
    component = plot_component() if own_frames else None
    if component is not None:
        spec, fig_key = figure_payload(fig)
        event = component(
            spec=spec,
            figure_key=fig_key,
            key=key,
            default=None,
            config=config,
            select=select,
            selection_key=selection_key,
            height=int(fig.layout.height or 450),
        )
        if event and selection_key is not None and event.get("figure") != selection_key:
            return None
        return event
    extra = {"on_select": "rerun", "selection_mode": ("lasso", "box", "points")} if select else {}
    return st.plotly_chart(fig, theme=None, key=key, config=config, **extra)


def download_ui(fig, filename: str, key: str) -> None:
    """A button that downloads the figure as interactive HTML (works offline), and a PNG hint."""
    row = st.container(horizontal=True, vertical_alignment="center")  # buttons at their own width: never cut
    row.download_button(
        "Download HTML",
        lambda: data.html_bytes(fig),
        f"{filename}.html",
        "text/html",
        key=key,
        on_click="ignore",
        icon=":material/download:",
        help="the interactive figure (animation included) as one offline HTML file",
    )
    row.caption("PNG: the camera icon in the plot's toolbar (top right of the plot).")


def card_ui(card) -> None:
    """One inspected point (`labkit.viz.inspect.Card`): audio, spectrogram, metadata, full-space neighbours."""
    row = card.row
    where = f"iteration {row['iteration']} · origin {row['origin']}" if row["source"] == "generated" else row["source"]
    st.markdown(f"**{card.key}** · class **{row['class']}** · {where}")
    for note in card.notes:
        st.info(note)
    left, right = st.columns([2, 3])
    with left:
        if card.wav is not None:
            st.caption(card.audio_label)
            st.audio(card.wav, format="audio/wav")
        details = {k: v for k, v in row.items() if k not in ("x", "y") and v not in ("", None)}
        st.dataframe(
            {"field": list(details), "value": [str(v) for v in details.values()]},
            hide_index=True,
            key=f"card_meta_{card.key}",
        )
    with right:
        if card.spectrogram is not None:
            st.plotly_chart(card.spectrogram, theme=None, key=f"card_spec_{card.key}")
    if card.neighbours is not None:
        st.markdown(
            "**Nearest real samples in the full feature space** (standardised; `plane_distance` is the same "
            "pair in the plane, for comparison)"
        )
        st.dataframe(card.neighbours.round(3), hide_index=True, key=f"card_nb_{card.key}")
        for key, wav in card.neighbour_wavs.items():
            cols = st.columns([1, 4], vertical_alignment="center")
            cols[0].write(f"`{key}`")
            if isinstance(wav, bytes):
                cols[1].audio(wav, format="audio/wav")
            else:
                cols[1].caption(wav)
