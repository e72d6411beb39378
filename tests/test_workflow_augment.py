"""`labkit augment`: real + synthetic rows with an origin column, in Parquet and CSV, that load back."""

import numpy as np
import pandas as pd
import pytest
from workflow_fixtures import tiny_corpus

from labkit.cli import main
from labkit.experiment.toy import toy_features
from labkit.features import Features, extract
from labkit.features.core import read_table


@pytest.fixture(scope="module")
def features_file(tmp_path_factory):
    meta, X = toy_features(n_speakers=4, n_per=6, dim=5, separation=3.0, seed=2)
    path = tmp_path_factory.mktemp("aug") / "toy.parquet"
    Features(meta=meta, X=X, names=[f"f{j}" for j in range(5)], feature_set="toy", settings={}).to_parquet(path)
    return path


def test_parquet_export_reloads_with_origin_and_original_units(features_file, tmp_path):
    out = tmp_path / "smote.parquet"
    assert (
        main(
            ["augment", str(features_file), "--augmenter", "smote", "--amount", "1.0", "--seed", "3", "--out", str(out)]
        )
        == 0
    )
    src, back = Features.from_parquet(features_file), Features.from_parquet(out)
    n = len(src)
    assert back.meta["origin"].value_counts().to_dict() == {"real": n, "synthetic": n}
    assert (back.meta["partition"] == "train").all()
    np.testing.assert_array_equal(back.X[:n], src.X)  # the real rows, untouched
    synth = back.meta["origin"] == "synthetic"
    assert (back.meta.loc[synth, "speaker"] == "synthetic").all()
    assert back.meta.loc[synth, "emotion"].value_counts().to_dict() == src.meta["emotion"].value_counts().to_dict()
    # synthetic rows are in the features' own units: each lies nearest its own class mean
    labels = sorted(src.meta["emotion"].unique())
    means = np.stack([src.X[src.meta["emotion"].to_numpy() == c].mean(0) for c in labels])
    X_new, y_new = back.X[synth.to_numpy()], back.meta.loc[synth, "emotion"].to_numpy()
    nearest = np.array(labels)[np.argmin(((X_new[:, None] - means[None]) ** 2).sum(-1), axis=1)]
    assert (nearest == y_new).mean() > 0.9
    assert back.settings["augmenter"] == "smote" and back.settings["amount"] == "1" and back.settings["seed"] == 3


def test_csv_export_of_a_training_split_reloads_and_trains_on_synthetic(features_file, tmp_path):
    out = tmp_path / "noise.csv"
    assert (
        main(
            [
                "augment",
                str(features_file),
                "--augmenter",
                "noise",
                "--amount",
                "2",
                "--protocol",
                "split",
                "--test-speakers",
                "toy:03",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    df = pd.read_csv(out)
    assert {"origin", "partition", "source_id", "speaker", "emotion", "f0"} <= set(df.columns)
    test = df["partition"] == "test"
    assert (df.loc[test, "speaker"] == "toy:03").all() and (df.loc[test, "origin"] == "real").all()
    assert (df.loc[df["origin"] == "synthetic", "partition"] == "train").all()
    assert (df["origin"] == "synthetic").sum() == 2 * ((df["origin"] == "real") & ~test).sum()
    feats = read_table(out)  # any tool's reader; labkit's too: origin/partition/source_id are metadata
    assert feats.names == [f"f{j}" for j in range(5)] and len(feats) == len(df)
    # train on synthetic, test on real: one step away
    from sklearn.svm import LinearSVC

    X, y = feats.X, feats.meta["emotion"].to_numpy()
    train = (feats.meta["origin"] == "synthetic").to_numpy()
    clf = LinearSVC().fit(X[train], y[train])
    assert (clf.predict(X[test.to_numpy()]) == y[test.to_numpy()]).mean() > 0.5  # 3 classes: chance is 1/3


def test_bad_output_and_options_exit_2(features_file, tmp_path, capsys):
    base = ["augment", str(features_file), "--augmenter", "smote"]
    assert main(base + ["--out", str(tmp_path / "x.txt")]) == 2
    assert ".parquet or a .csv" in capsys.readouterr().err
    assert main(base + ["--out", str(features_file)]) == 2
    assert "is the input" in capsys.readouterr().err
    assert main(["augment", str(features_file), "--augmenter", "gan9", "--out", str(tmp_path / "x.csv")]) == 2
    assert "gan9" in capsys.readouterr().err
    assert main(base + ["--param", "k_neighbours=2", "--out", str(tmp_path / "x.csv")]) == 2
    assert "k_neighbors" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.slow
def test_waveform_export_keeps_the_source_utterance(tmp_path):
    manifest = tiny_corpus()
    out = tmp_path / "band.parquet"
    assert (
        main(
            [
                "augment",
                f"csv:{manifest}",
                "--augmenter",
                "wav-band",
                "--amount",
                "0.5",
                "--protocol",
                "split",
                "--test-speakers",
                "synthetic:s04",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    back = Features.from_parquet(out)
    synth = back.meta[back.meta["origin"] == "synthetic"]
    real_train = back.meta[(back.meta["origin"] == "real") & (back.meta["partition"] == "train")]
    assert len(synth) == 9 and set(synth["source_id"]) <= set(real_train["id"])  # half of 18, training only
    assert (synth["speaker"] != "synthetic:s04").all()
    source = real_train.set_index("id").loc[synth["source_id"]]
    assert list(synth["speaker"]) == list(source["speaker"]) and list(synth["emotion"]) == list(source["emotion"])
    # the exported row is the features of the augmented WAV named in `path`
    again = extract(synth.iloc[:2], "egemaps", progress=False)
    np.testing.assert_allclose(back.X[synth.index[:2]], again.X, rtol=1e-5, atol=1e-4)
