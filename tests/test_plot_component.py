"""labkit's plot component (`labkit.viz.components`): the served folder, the payload, the selections,
and the dashboard's fallback to `st.plotly_chart`. The browser side is tests/test_dashboard_browser.py."""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from dashboard_fixtures import make_training_run
from streamlit.testing.v1 import AppTest

from labkit.viz import components
from labkit.viz.figures import distribution_figure
from labkit.viz.projection import load_or_compute

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")


def test_served_folder_is_built_once_beside_plotly_own_copy(tmp_path):
    out = components.build_dir(tmp_path)
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "plot.js", "plotly.min.js"]
    assert (out / "plotly.min.js").read_bytes() == components.plotly_js().read_bytes()
    assert (out / "plot.js").read_bytes() == (components.SOURCE / "plot.js").read_bytes()
    assert '<script src="plotly.min.js">' in (out / "index.html").read_text()  # served here: no network
    assert components.build_dir(tmp_path) == out  # reused
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no half-built folder left behind
    assert not (components.SOURCE / "plotly.min.js").exists()  # the package directory is never written


def test_payload_uses_typed_arrays(tmp_path):
    run = make_training_run(tmp_path, n_gen=30, iterations=(0, 10))
    fig = distribution_figure(load_or_compute(run), cumulative=True)
    spec, key = components.figure_payload(fig)
    again, key_again = components.figure_payload(fig)
    assert spec == again and key == key_again and len(key) == 20
    d = json.loads(spec)
    x = d["frames"][-1]["data"][0]["x"]
    assert x["dtype"] == "f4"  # float32 coordinates, base64
    decoded = np.frombuffer(base64.b64decode(x["bdata"]), np.float32)
    np.testing.assert_array_equal(decoded, np.asarray(fig.frames[-1].data[0].x, np.float32))
    assert d["data"][0]["customdata"]["dtype"] == "i4"  # point codes


def test_selected_codes_reads_the_component_and_plotly_chart():
    assert components.selected_codes(None) == []
    value = {"figure": "run|spectrum", "selection": {"codes": [12, 3, None]}}
    assert components.selected_codes(value) == [12, 3]
    assert components.selected_codes(value, "run|spectrum") == [12, 3]
    assert components.selected_codes(value, "other|spectrum") == []  # made on other points
    event = {"selection": {"points": [{"customdata": 5}, {"customdata": [7]}, {"customdata": None}, {}]}}
    assert components.selected_codes(event) == [5, 7]


@pytest.mark.parametrize("own", ["1", "0"])
def test_distribution_plot_in_the_component_or_plotly_chart(monkeypatch, tmp_path, own):
    make_training_run(tmp_path)
    monkeypatch.setenv("LABKIT_RUNS", str(tmp_path))
    monkeypatch.setenv("LABKIT_PLOT_COMPONENT", own)
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    drawn = at.get("component_instance")
    if own == "1":
        assert len(drawn) == 1 and drawn[0].proto.component_name.endswith("labkit_plot")
        args = json.loads(drawn[0].proto.json_args)
        assert args["select"] is True and args["height"] == 620 and args["selection_key"].endswith("|spectrum")
        assert [a.key for a in drawn[0].proto.special_args] == ["spec"]  # the figure travels as bytes
        assert len(at.get("plotly_chart")) == 0
    else:  # the fallback: Streamlit's own plotly chart
        assert len(drawn) == 0 and len(at.get("plotly_chart")) == 1
