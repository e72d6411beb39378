"""Fixed projections: fitted once on the real data, snapshots placed in that basis, cached per run."""

import numpy as np
import pytest
from dashboard_fixtures import make_training_run

from labkit.errors import LabkitError
from labkit.viz import projection as P


def test_projection_shapes_and_labels(tmp_path):
    run = make_training_run(tmp_path, n_train=100, n_test=40, n_gen=30, iterations=(0, 5, 9))
    proj = P.compute_projection(run)
    assert proj.xy_train.shape == (100, 2) and proj.xy_test.shape == (40, 2)
    assert proj.xy_gen.shape == (90, 2)
    assert list(proj.iterations) == [0, 5, 9]
    assert np.array_equal(np.unique(proj.iter_gen, return_counts=True)[1], [30, 30, 30])
    assert set(proj.origin_gen) == {"noise", "code"}
    assert proj.classes == ["angry", "happy", "neutral"]
    assert proj.axis_labels()[0].startswith("PC1")


def test_pca_basis_is_the_real_data_s(tmp_path):
    # Axes 0 and 1 of the real data move together, so PC1 is their diagonal (after standardising):
    # a generated point far out along the diagonal lands far out on PC1, one across it does not.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    X[:, 1] = X[:, 0] + 0.05 * rng.normal(size=400)
    run = make_training_run(tmp_path, iterations=(0,), d=5)
    run.save_reference("spectrum", X[:300], np.zeros(300, int), X[300:], np.zeros(100, int))
    run.save_snapshot("spectrum", 0, [[5.0, 5.0, 0, 0, 0], [5.0, -5.0, 0, 0, 0]], [0, 0])
    proj = P.compute_projection(run)
    assert proj.explained[0] > 0.35  # one of five axes holds twice a unit of variance
    assert abs(proj.xy_gen[0, 0]) > 6.0  # |(5, 5)| / sqrt(2) * 2 / sqrt(2) = 7.07
    assert abs(proj.xy_gen[1, 0]) < 1.0


def test_new_snapshots_do_not_move_the_basis(tmp_path):
    run = make_training_run(tmp_path, iterations=(0, 10))
    before = P.load_or_compute(run)
    run.save_snapshot("spectrum", 20, np.ones((7, 8)) * 3, ["angry"] * 7)
    after = P.load_or_compute(run)
    assert list(after.iterations) == [0, 10, 20]
    assert np.allclose(before.xy_train, after.xy_train) and np.allclose(before.xy_test, after.xy_test)
    old = after.iter_gen < 20
    assert np.allclose(before.xy_gen, after.xy_gen[old])


def test_cache_is_used_and_refreshed(tmp_path, monkeypatch):
    run = make_training_run(tmp_path, iterations=(0, 10))
    first = P.load_or_compute(run)
    assert (run.path / "cache" / "projection-spectrum-pca-seed0.npz").exists()

    def boom(*args, **kwargs):
        raise AssertionError("recomputed although the cache is current")

    monkeypatch.setattr(P, "compute_projection", boom)
    cached = P.load_or_compute(run)
    assert np.array_equal(cached.xy_gen, first.xy_gen) and np.array_equal(cached.y_gen, first.y_gen)
    # A new snapshot makes the cache stale: it must be recomputed (here: the patched function runs).
    run.save_snapshot("spectrum", 99, np.zeros((3, 8)), ["sad"] * 3)
    with pytest.raises(AssertionError, match="recomputed"):
        P.load_or_compute(run)


def test_damaged_cache_is_recomputed(tmp_path):
    run = make_training_run(tmp_path, iterations=(0,))
    P.load_or_compute(run)
    (run.path / "cache" / "projection-spectrum-pca-seed0.npz").write_bytes(b"not an npz")
    assert P.load_or_compute(run).xy_gen.shape[0] == 90


def test_run_without_snapshots_projects_real_points(tmp_path):
    run = make_training_run(tmp_path, iterations=(0,))
    for p in (run.path / "snapshots" / "spectrum").glob("*.npz"):
        p.unlink()
    proj = P.load_or_compute(run)
    assert proj.xy_gen.shape == (0, 2) and len(proj.iterations) == 0 and proj.xy_train.shape[0] == 240


def test_bad_inputs(tmp_path):
    run = make_training_run(tmp_path, iterations=(0,))
    with pytest.raises(LabkitError, match="unknown projection"):
        P.compute_projection(run, config=P.ProjectionConfig(method="tsne"))
    run.save_snapshot("spectrum", 5, np.zeros((4, 3)), [0] * 4)
    with pytest.raises(LabkitError, match="d=3"):
        P.compute_projection(run)
    with pytest.raises(LabkitError, match="no space"):
        P.compute_projection(run, "embedding")


@pytest.mark.slow
def test_umap_is_deterministic_and_fixed(tmp_path):
    run = make_training_run(tmp_path, n_train=120, n_test=60, n_gen=40, iterations=(0, 10), d=6)
    config = P.ProjectionConfig(method="umap")
    a = P.compute_projection(run, config=config)
    b = P.compute_projection(run, config=config)
    assert a.xy_train.shape == (120, 2) and a.xy_gen.shape == (80, 2)
    assert np.allclose(a.xy_train, b.xy_train) and np.allclose(a.xy_gen, b.xy_gen)
    assert a.explained is None and a.axis_labels() == ("UMAP 1", "UMAP 2")


def test_integer_labels_get_the_reference_label_names(tmp_path):
    from labkit.runstore import RunStore

    run = RunStore(tmp_path).create("aaec", {}, run_id="codes")
    rng = np.random.default_rng(0)
    names = np.array(["low", "medium", "high"])
    run.save_reference(
        "spectrum",
        rng.normal(size=(30, 4)),
        rng.integers(0, 3, 30),
        rng.normal(size=(10, 4)),
        rng.integers(0, 3, 10),
        label_names=names,
    )
    run.save_snapshot("spectrum", 1, rng.normal(size=(6, 4)), [0, 1, 2, 0, 1, 2], ["noise"] * 6)
    proj = P.compute_projection(run)
    assert set(proj.classes) <= {"low", "medium", "high"}
    assert list(proj.y_gen) == ["low", "medium", "high"] * 2


# ------------------------------------------------------------------------------------ one plane for two generators
def test_spaces_with_the_same_real_data_are_comparable(tmp_path):
    from dashboard_fixtures import make_augmenter_run, make_training_run

    run = make_augmenter_run(tmp_path)
    other = make_training_run(tmp_path, "other")
    assert P.reference_digest(run, "aug-smote") == P.reference_digest(run, "aug-gan")
    assert P.reference_digest(other, "spectrum") != P.reference_digest(run, "aug-gan")
    pairs = [(run, "aug-smote"), (run, "aug-gan"), (other, "spectrum")]
    assert [s for _, s in P.comparable_spaces(pairs, run, "aug-gan")] == ["aug-smote", "aug-gan"]


def test_compare_runs_record_one_shot_augmenters_for_the_distribution_page(tmp_path):
    """`labkit compare --record-every N` gives every generating augmenter a space: SMOTE and noise
    one frame (iteration 0) of the synthetic rows they add, on the fold's real rows, all in one plane."""
    import numpy as np
    import pandas as pd

    from labkit.runs.compare import CompareConfig, run_comparison
    from labkit.runstore import Run

    rng = np.random.default_rng(0)
    meta = pd.DataFrame(
        {"speaker": np.repeat([f"s{i}" for i in range(4)], 30), "emotion": np.tile(["anger", "anger", "sadness"], 40)}
    )
    X = rng.normal(size=(120, 6)) + 2.0 * (meta["emotion"] == "anger").to_numpy()[:, None]
    config = CompareConfig(
        augmenters=["none", "smote", "noise"],
        protocol="split",
        protocol_params={"test_fraction": 0.25},
        seeds=1,
        record_every=1,
    )
    run = Run.create(tmp_path / "cmp", "compare", config.to_dict())
    run_comparison(meta, X, config, run, progress=False)
    assert run.spaces() == ["aug-noise", "aug-smote"]  # "none" adds nothing, so it has no space
    for space in run.spaces():
        assert run.snapshot_iterations(space) == [0]
        snap, ref = run.load_snapshot(space, 0), run.load_reference(space)
        # The main amount, 1.0: one synthetic row per training row of each class.
        assert len(snap["X"]) == len(ref["X_train"]) and sorted(set(snap["y"])) == ["anger", "sadness"]
    assert P.reference_digest(run, "aug-noise") == P.reference_digest(run, "aug-smote")
    a, b = P.load_or_compute(run, "aug-noise"), P.load_or_compute(run, "aug-smote")
    assert np.array_equal(a.xy_train, b.xy_train)
