"""A Streamlit component that draws one plotly figure with plotly.js itself (the Distribution plot).

`st.plotly_chart` draws through Streamlit's own frontend and its plotly bundle; on a 20,000-point
animated figure its first render and every frame change cost several times what plotly alone costs
in the same browser (benchmarks/bench_dashboard.py --browser; docs/dashboard.md). This component is a
static folder (``plot/index.html`` and ``plot/plot.js``) served by Streamlit and loaded in an iframe,
with the plotly Python package's own ``plotly.min.js`` copied next to them: nothing is fetched from
the network. plot.js speaks Streamlit's component protocol itself (componentReady, render,
setFrameHeight, setComponentValue), so no npm package is needed.

* The figure travels as bytes: plotly's JSON, whose arrays use plotly's typed-array encoding
  (``{"dtype": "f4", "bdata": base64}``, float32 coordinates and int32 point codes).
* Frame changes (plotly's slider, Play/Pause) happen inside the iframe with plotly's frames; a frame
  holds only its own generated points. No Streamlit rerun.
* A lasso, box or click sends back the selected points' codes (their ``customdata``) as
  ``{"figure": selection_key, "selection": {"codes": [...]}}`` (what the codes name: a run and space,
  so the selection holds while other frames or rings of the same points are drawn); `selected_codes`
  reads them, and the codes of
  `st.plotly_chart`'s selection event too (the fallback).

Choices: the served folder is built in a cache directory named after the sources' digest and the
plotly version, written whole and renamed into place (readers never see half a folder), so the
package directory is never written to. When the component cannot be declared (another Streamlit,
an unwritable cache) `plot_component` returns None and the dashboard falls back to `st.plotly_chart`;
``LABKIT_PLOT_COMPONENT=0`` forces that fallback.

Only the dashboard imports this module's `plot_component` (it imports streamlit on use).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "plot"
FILES = ("index.html", "plot.js")
NAME = "labkit_plot"


def plotly_js() -> Path:
    """The plotly Python package's bundled plotly.min.js (the same plotly.js its figures are made for)."""
    import plotly

    path = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError(f"plotly's bundled plotly.min.js is missing: {path}")
    return path


def build_dir(cache: Path | None = None) -> Path:
    """The folder Streamlit serves: index.html, plot.js and plotly.min.js, built once per version.

    Built under `cache` (default: the system's temp directory) as ``labkit-plot-<digest>``, where
    the digest covers the component's sources and the plotly.js copied; an existing folder of the
    same digest is reused.
    """
    js = plotly_js()
    digest = hashlib.sha1()
    for name in FILES:
        digest.update((SOURCE / name).read_bytes())
    stat = js.stat()
    digest.update(f"{js}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    root = Path(cache or tempfile.gettempdir())
    out = root / f"labkit-plot-{digest.hexdigest()[:16]}"
    if (out / "plot.js").is_file() and (out / "plotly.min.js").is_file():
        return out
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".labkit-plot-", dir=root))
    try:
        for name in FILES:
            shutil.copyfile(SOURCE / name, tmp / name)
        shutil.copyfile(js, tmp / "plotly.min.js")
        try:
            os.rename(tmp, out)
        except OSError:
            if not (out / "plotly.min.js").is_file():  # not another process that got there first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


@lru_cache(maxsize=1)
def _declared():
    import streamlit.components.v1 as components

    return components.declare_component(NAME, path=str(build_dir()))


def plot_component():
    """The declared component function, or None when it cannot be used (the caller falls back to
    `st.plotly_chart`)."""
    if os.environ.get("LABKIT_PLOT_COMPONENT", "1") == "0":
        return None
    try:
        return _declared()
    except Exception:  # noqa: BLE001 - any failure to declare means: draw with st.plotly_chart instead
        return None


def figure_payload(fig) -> tuple[bytes, str]:
    """(the figure's JSON as UTF-8 bytes, a key naming it): what the component receives (``spec`` and
    ``figure_key``; Streamlit's own ``key`` argument names the element, not the figure).

    plotly's JSON writes numpy arrays in its typed-array encoding (base64 of float32 / int32), so a
    20,000-point figure with its frames stays about a megabyte. The key is a digest of those bytes.
    """
    import plotly.io as pio

    spec = pio.to_json(fig, validate=False).encode("utf-8")
    return spec, hashlib.sha1(spec).hexdigest()[:20]


def selected_codes(event, key: str | None = None) -> list[int]:
    """The point codes of a selection: the component's value (``{"figure", "selection": {"codes"}}``;
    ignored when it was made on other points than those `key` names: another run or space) or `st.plotly_chart`'s selection event
    (points carrying their code as ``customdata``). None gives []."""
    if not event:
        return []
    selection = event.get("selection") or {}
    if "codes" in selection:
        if key is not None and event.get("figure") != key:
            return []
        return [int(c) for c in selection["codes"] if c is not None]
    out = []
    for point in selection.get("points", []):
        code = point.get("customdata")
        if isinstance(code, list):
            code = code[0] if code else None
        if code is not None:
            out.append(int(code))
    return out
