"""Bring your own features: any CSV/TSV/Parquet table of numeric features runs through `compare`, with
clear errors; and labkit's own features files survive being edited by another tool (issue 12)."""

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from labkit.cli import main
from labkit.errors import LabkitError
from labkit.experiment.toy import toy_features
from labkit.features import Features
from labkit.features.core import is_table_source, read_table
from labkit.runstore import open_run


def _foreign(n_speakers=4, n_per=5, dim=8, seed=0) -> pd.DataFrame:
    """A table as another toolkit writes it: its own column names, embedding columns, a file column."""
    meta, X = toy_features(n_speakers=n_speakers, n_per=n_per, dim=dim, seed=seed)
    df = pd.DataFrame(X, columns=[f"w2v_{j:03d}" for j in range(dim)])
    df.insert(0, "file", [f"clips/{i}.wav" for i in meta["id"]])
    df.insert(1, "spk", meta["speaker"].str.replace("toy:", "S"))
    df.insert(2, "label", meta["emotion"])
    df["utt"] = meta["id"]
    df["session"] = "a"
    return df


def test_foreign_csv_runs_through_compare(tmp_path, capsys):
    path = tmp_path / "wav2vec.csv"
    _foreign().to_csv(path, index=False)
    out = tmp_path / "run"
    assert (
        main(
            [
                "compare",
                str(path),
                "--label-column",
                "label",
                "--speaker-column",
                "spk",
                "--id-column",
                "utt",
                "--meta-columns",
                "session",
                "--augmenters",
                "none,smote",
                "--seeds",
                "1",
                "--no-tune",
                "--out",
                str(out),
                "--json",
            ]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"none", "smote"} and 0 < result["none"]["uar"]["mean"] <= 1
    run = open_run(out)
    assert run.config["target"] == "label" and run.config["features"] == "table"
    tasks = run.read_table("tasks")
    assert tasks["fold_name"].str.startswith("speaker=S").all() and tasks["fold"].nunique() == 4  # loso by spk


def test_tsv_and_parquet_tables_and_default_columns(tmp_path):
    df = _foreign().rename(columns={"spk": "speaker", "label": "emotion", "utt": "id"}).drop(columns="session")
    df.to_csv(tmp_path / "t.tsv", sep="\t", index=False)
    df.to_parquet(tmp_path / "t.parquet")
    for name in ("t.tsv", "t.parquet"):
        feats = read_table(tmp_path / name)
        assert feats.X.shape == (len(df), 8) and feats.names == [f"w2v_{j:03d}" for j in range(8)]
        assert list(feats.meta["id"]) == list(df["id"]) and "file" in feats.meta.columns
        np.testing.assert_allclose(feats.X, df[feats.names].to_numpy(np.float32))
    assert is_table_source("x.csv") and is_table_source("dir/x.parquet")
    assert not is_table_source("csv:manifest.csv") and not is_table_source("synthetic")


@pytest.mark.parametrize(
    "change, options, message",
    [
        (lambda df: df, {"label_column": "emotion", "speaker_column": "spk"}, "no label column 'emotion'"),
        (lambda df: df, {"label_column": "label"}, "no speaker column 'speaker'"),
        (lambda df: df, {"label_column": "label", "speaker_column": "spk", "id_column": "key"}, "no id column 'key'"),
        (
            lambda df: df.assign(session="a"),
            {"label_column": "label", "speaker_column": "spk", "id_column": "utt"},
            "not numeric: 'session'",
        ),
        (
            lambda df: df.assign(w2v_003=df["w2v_003"].astype(str).str.replace(".", ",", regex=False)),
            {"label_column": "label", "speaker_column": "spk", "id_column": "utt"},
            "decimal comma",
        ),
        (
            lambda df: df.assign(w2v_005=df["w2v_005"].where(df.index != 7)),
            {"label_column": "label", "speaker_column": "spk", "id_column": "utt"},
            "w2v_005 (1), first at id",
        ),
        (
            lambda df: df.assign(label=df["label"].where(df.index != 2)),
            {"label_column": "label", "speaker_column": "spk", "id_column": "utt"},
            "1 row(s) have no label",
        ),
        (
            lambda df: df.assign(utt="same"),
            {"label_column": "label", "speaker_column": "spk", "id_column": "utt"},
            "appears more than once",
        ),
    ],
)
def test_clear_errors_name_the_file_and_column(tmp_path, change, options, message):
    path = tmp_path / "mine.csv"
    change(_foreign().drop(columns="session")).to_csv(path, index=False)
    with pytest.raises(LabkitError, match="mine.csv") as info:
        read_table(path, **options)
    assert message in str(info.value)


def test_compare_cli_errors_exit_2(tmp_path, capsys):
    path = tmp_path / "mine.csv"
    _foreign().to_csv(path, index=False)
    assert main(["compare", str(path), "--label-column", "label", "--out", str(tmp_path / "r")]) == 2
    assert "speaker" in capsys.readouterr().err and not (tmp_path / "r").exists()
    assert main(["compare", "synthetic", "--label-column", "label"]) == 2
    assert "feature table" in capsys.readouterr().err


# ---------------------------------------------------------------- labkit files edited by another tool
@pytest.fixture
def labkit_file(tmp_path):
    meta, X = toy_features(n_speakers=3, n_per=4, dim=5)
    path = tmp_path / "f.parquet"
    Features(meta=meta, X=X, names=[f"f{j}" for j in range(5)], feature_set="toy", settings={"a": 1}).to_parquet(path)
    return path, meta, X


def _rewrite(src, dst, table=None, info=None, raw=None):
    t = table if table is not None else pq.read_table(src)
    md = dict(t.schema.metadata)
    if info is not None:
        md[b"labkit.features"] = json.dumps(info).encode()
    if raw is not None:
        md[b"labkit.features"] = raw
    pq.write_table(t.replace_schema_metadata(md), dst)
    return dst


def test_rows_filtered_by_another_tool_are_read_with_a_warning(labkit_file, tmp_path):
    path, meta, X = labkit_file
    t = pq.read_table(path)
    keep = np.flatnonzero(meta["speaker"].to_numpy() != "toy:01")
    filtered = _rewrite(path, tmp_path / "g.parquet", table=t.take(keep))  # pyarrow keeps the metadata
    with pytest.warns(UserWarning, match=f"{len(keep)} of the {len(meta)} rows"):
        feats = Features.from_parquet(filtered)
    np.testing.assert_array_equal(feats.X, X[keep])
    assert list(feats.meta["id"]) == list(meta["id"].iloc[keep]) and feats.stats["rows_written"] == len(meta)


def test_unparsable_or_incomplete_metadata_is_a_clear_error(labkit_file, tmp_path):
    path, _, _ = labkit_file
    info = json.loads(pq.read_schema(path).metadata[b"labkit.features"])
    cases = [
        (dict(raw=b"{not json"), "not valid JSON"),
        (dict(raw=b"[1, 2]"), "not a JSON object"),
        (dict(info={k: v for k, v in info.items() if k != "names"}), "lacks names"),
        (dict(info={**info, "shape": [3, "x"]}), "unusable shape"),
        (dict(info={**info, "names": info["names"][:-1]}), "feature names for a last axis"),
        (dict(info={**info, "meta_columns": info["meta_columns"] + ["session"]}), "'session'"),
        (dict(info={**info, "names": ["nope"] + info["names"][1:]}), "'nope'"),
    ]
    for k, (change, message) in enumerate(cases):
        bad = _rewrite(path, tmp_path / f"bad{k}.parquet", **change)
        with pytest.raises(LabkitError, match=f"bad{k}.parquet") as err:
            Features.from_parquet(bad)
        assert message in str(err.value), (message, str(err.value))


def test_nan_written_by_another_tool_is_named(labkit_file, tmp_path):
    path, _, _ = labkit_file
    df = pq.read_table(path)
    col = df.column("f2").to_pylist()
    col[3] = None
    import pyarrow as pa

    t = df.set_column(df.column_names.index("f2"), "f2", pa.array(col, pa.float32()))
    bad = _rewrite(path, tmp_path / "nan.parquet", table=t)
    with pytest.raises(LabkitError, match=r"nan.parquet: 1 missing .* f2 \(1\)"):
        Features.from_parquet(bad)
