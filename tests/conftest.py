"""Shared test set-up: every test session gets its own cache and run store, and stays quiet."""

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("labkit-cache")
    old = {k: os.environ.get(k) for k in ("LABKIT_CACHE", "LABKIT_RUNS", "LABKIT_QUIET")}
    os.environ["LABKIT_CACHE"] = str(cache)
    os.environ["LABKIT_RUNS"] = str(tmp_path_factory.mktemp("labkit-runs"))
    os.environ["LABKIT_QUIET"] = "1"
    yield cache
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
