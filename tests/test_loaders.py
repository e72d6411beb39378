"""labkit.data.loaders on tiny fixture trees with the official file names."""

import os

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from fixtures_corpora import (
    EMODB_SPEAKERS,
    make_cremad,
    make_emodb,
    make_iemocap,
    make_manifest,
    make_ravdess,
    write_tone,
)

from labkit.data.audio import read_audio
from labkit.data.loaders import load_corpus, load_iemocap
from labkit.data.schema import EMOTION_AV, OPTIONAL_COLUMNS, UTTERANCE_COLUMNS
from labkit.errors import AudioError, CorpusError, LabkitError


def _check_table(table, corpus):
    """Contract every loader's table meets (optional columns, e.g. IEMOCAP's raw ratings, after the rest)."""
    assert list(table.columns) == UTTERANCE_COLUMNS + [c for c in OPTIONAL_COLUMNS if c in table.columns]
    assert (table["corpus"] == corpus).all()
    assert table["id"].is_unique
    assert table["speaker"].str.startswith(f"{corpus}:").all()
    assert table["gender"].isin(["m", "f", ""]).all()
    assert table["arousal"].isin([0, 1, 2]).all() and table["valence"].isin([0, 1, 2]).all()
    assert table["arousal"].dtype == np.int64 and table["duration"].dtype == np.float64
    assert (table["duration"] > 0).all()
    assert all(os.path.isabs(p) and os.path.isfile(p) for p in table["path"])


def _av_from_schema(table):
    for emotion, a, v in zip(table["emotion"], table["arousal"], table["valence"]):
        assert (a, v) == EMOTION_AV[emotion], emotion


# ---------------------------------------------------------------------------------------- EMO-DB
def test_emodb_full_name_set(tmp_path):
    root = make_emodb(tmp_path / "emodb")
    (root / "wav" / "README.wav").write_bytes(b"")  # a stray wav with another name: dropped, counted
    table = load_corpus(f"emodb:{root}")
    _check_table(table, "emodb")
    assert len(table) == 70
    assert table["speaker"].nunique() == 10 and table["emotion"].nunique() == 7
    assert sorted(table["emotion"].unique()) == sorted(
        ["anger", "boredom", "disgust", "fear", "happiness", "sadness", "neutral"]
    )
    genders = dict(zip(table["speaker"], table["gender"]))
    assert genders["emodb:03"] == "m" and genders["emodb:08"] == "f" and genders["emodb:16"] == "f"
    assert sum(g == "f" for g in genders.values()) == 5
    row = table.set_index("id").loc["03a01Fa"]
    assert (row["speaker"], row["emotion"], row["arousal"], row["valence"]) == ("emodb:03", "happiness", 2, 2)
    assert row["duration"] == pytest.approx(0.1)
    _av_from_schema(table)
    assert table.attrs["dropped"][0]["count"] == 1 and "03a01Fa" in table.attrs["dropped"][0]["reason"]
    assert table.attrs["expected"]["n_utterances"] == 535
    assert table.attrs["source"] == f"emodb:{root}"
    # The wav folder itself works too, and a relative root still gives absolute paths.
    assert len(load_corpus(f"emodb:{root / 'wav'}")) == 70


def test_relative_root_gives_absolute_paths(tmp_path, monkeypatch):
    make_emodb(tmp_path / "emodb", speakers=["03"], letters=["W"])
    monkeypatch.chdir(tmp_path)
    table = load_corpus("emodb:emodb/wav")
    assert table["path"].tolist() == [str(tmp_path / "emodb" / "wav" / "03a01Wa.wav")]


def test_emodb_subset_and_errors(tmp_path):
    root = make_emodb(tmp_path / "emodb", speakers=EMODB_SPEAKERS[:2], letters=["W", "N"], per_cell=2)
    table = load_corpus(f"emodb:{root}")
    assert len(table) == 8 and table["speaker"].nunique() == 2 and table["emotion"].nunique() == 2
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="no EMO-DB files like wav/03a01Fa.wav"):
        load_corpus(f"emodb:{tmp_path / 'empty'}")
    with pytest.raises(CorpusError, match="not found"):
        load_corpus(f"emodb:{tmp_path / 'nowhere'}")


def test_emodb_bad_header_raises_or_is_skipped(tmp_path):
    root = make_emodb(tmp_path / "emodb", speakers=["03", "08"], letters=["W", "T"])
    bad = root / "wav" / "08a01Wa.wav"
    bad.write_bytes(b"not audio at all")
    empty = root / "wav" / "03a01Ta.wav"
    sf.write(empty, np.zeros(0, dtype=np.float32), 16000)
    with pytest.raises(AudioError, match="03a01Ta.wav"):
        load_corpus(f"emodb:{root}")
    table = load_corpus(f"emodb:{root}", skip_bad=True)
    assert len(table) == 2
    reasons = {s["path"].rsplit("/", 1)[1]: s["reason"] for s in table.attrs["skipped"]}
    assert set(reasons) == {"08a01Wa.wav", "03a01Ta.wav"}
    assert "unreadable" in reasons["08a01Wa.wav"] and "empty" in reasons["03a01Ta.wav"]


# --------------------------------------------------------------------------------------- RAVDESS
def test_ravdess_speech_only_with_stereo_file(tmp_path):
    root = make_ravdess(tmp_path / "ravdess", actors=(1, 2, 3))
    table = load_corpus(f"ravdess:{root}")
    _check_table(table, "ravdess")
    assert len(table) == 3 * 8
    assert table["speaker"].nunique() == 3 and table["emotion"].nunique() == 8
    assert set(table["emotion"]) == {"neutral", "calm", "happiness", "sadness", "anger", "fear", "disgust", "surprise"}
    genders = dict(zip(table["speaker"], table["gender"]))
    assert genders == {"ravdess:01": "m", "ravdess:02": "f", "ravdess:03": "m"}
    _av_from_schema(table)
    assert table.set_index("id").loc["03-01-02-02-01-01-01", ["emotion", "arousal", "valence"]].tolist() == [
        "calm",
        0,
        1,
    ]
    dropped = {d["reason"]: d["count"] for d in table.attrs["dropped"]}
    assert dropped == {"song (vocal channel 02)": 3, "video file (modality 01, audio-video)": 3}
    # The stereo 48 kHz file reads as 16 kHz mono.
    stereo = table.set_index("id").loc["03-01-01-01-01-01-01", "path"]
    assert sf.info(stereo).channels == 2
    x = read_audio(stereo)
    assert x.ndim == 1 and len(x) == 1600


def test_ravdess_only_song_files_is_an_error(tmp_path):
    root = tmp_path / "song"
    write_tone(root / "Actor_01" / "03-02-03-01-01-01-01.wav")
    with pytest.raises(CorpusError, match="no RAVDESS speech files.*1 song/video"):
        load_corpus(f"ravdess:{root}")


# --------------------------------------------------------------------------------------- CREMA-D
def test_cremad_with_and_without_demographics(tmp_path):
    root = make_cremad(tmp_path / "crema")
    write_tone(root / "AudioWAV" / "1001_DFA_XYZ_XX.wav")  # unknown emotion code: dropped, counted
    table = load_corpus(f"cremad:{root}")
    _check_table(table, "cremad")
    assert len(table) == 18 and table["speaker"].nunique() == 3 and table["emotion"].nunique() == 6
    genders = dict(zip(table["speaker"], table["gender"]))
    assert genders == {"cremad:1001": "m", "cremad:1002": "f", "cremad:1091": "m"}
    _av_from_schema(table)
    assert [d["reason"] for d in table.attrs["dropped"]] == ["unknown emotion code XYZ"]
    # The AudioWAV folder itself finds the demographics next to it.
    assert load_corpus(f"cremad:{root / 'AudioWAV'}")["gender"].tolist() == table["gender"].tolist()

    bare = make_cremad(tmp_path / "bare", actors=(1050,), emotions=("SAD",), demographics=False)
    assert load_corpus(f"cremad:{bare}")["gender"].tolist() == [""]


# --------------------------------------------------------------------------------------- IEMOCAP
def test_iemocap_four_class_set(tmp_path):
    root = make_iemocap(tmp_path / "iemocap")
    table = load_corpus(f"iemocap:{root}")
    _check_table(table, "iemocap")
    # Per session: neu, ang, hap, exc, sad, neu kept; fru, xxx, sur dropped.
    assert len(table) == 2 * 6
    assert table["emotion"].value_counts().to_dict() == {"neutral": 4, "happiness": 4, "anger": 2, "sadness": 2}
    assert set(table["speaker"]) == {"iemocap:Ses01F", "iemocap:Ses01M", "iemocap:Ses02F", "iemocap:Ses02M"}
    assert set(table["context"]) == {"Session1", "Session2"}
    row = table.set_index("id").loc["Ses01F_impro01_M001"]  # exc, in a dialog named after the F actor
    assert (row["speaker"], row["gender"], row["emotion"]) == ("iemocap:Ses01M", "m", "happiness")
    assert row["path"].endswith("Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_M001.wav")
    dropped = {d["reason"]: d["count"] for d in table.attrs["dropped"]}
    assert dropped == {
        "label fru outside the 4class set": 2,
        "label xxx (no majority)": 2,
        "label sur outside the 4class set": 2,
    }
    # Arousal / valence from the ratings: [V, A, D]; < 2.5 low, > 3.5 high.
    by_id = table.set_index("id")
    assert by_id.loc["Ses01F_impro01_F000", ["arousal", "valence"]].tolist() == [1, 1]  # 2.5, 2.5
    assert by_id.loc["Ses01F_impro01_M000", ["arousal", "valence"]].tolist() == [2, 0]  # A 4.0, V 1.5
    assert by_id.loc["Ses01F_impro01_F001", ["arousal", "valence"]].tolist() == [1, 2]  # A 3.5, V 4.0
    assert by_id.loc["Ses01F_script01_1_F001", ["arousal", "valence"]].tolist() == [0, 1]  # A 2.0, V 3.0
    # The raw mean ratings stay beside the classes (the code-vector paper splits them at 3).
    assert by_id.loc["Ses01F_impro01_F001", ["arousal_rating", "valence_rating"]].tolist() == [3.5, 4.0]
    assert by_id.loc["Ses01F_script01_1_F001", ["arousal_rating", "valence_rating"]].tolist() == [2.0, 3.0]
    assert table["arousal_rating"].dtype == np.float64 and table["valence_rating"].notna().all()


def test_iemocap_options_and_missing_audio(tmp_path):
    root = make_iemocap(tmp_path / "iemocap", sessions=(3,))
    every = load_iemocap(root, label_set="all", av="category", show_progress=False)
    assert set(every["emotion"]) == {
        "neutral",
        "anger",
        "happiness",
        "excitement",
        "sadness",
        "frustration",
        "surprise",
    }
    _av_from_schema(every)
    assert [d["reason"] for d in every.attrs["dropped"]] == ["label xxx (no majority)"]
    with pytest.raises(LabkitError, match="label_set"):
        load_iemocap(root, label_set="5class")

    gone = root / "Session3" / "sentences" / "wav" / "Ses03F_impro01" / "Ses03F_impro01_F002.wav"
    gone.unlink()
    with pytest.raises(AudioError, match="Ses03F_impro01_F002.wav"):
        load_corpus(f"iemocap:{root}")
    table = load_corpus(f"iemocap:{root}", skip_bad=True)
    assert len(table) == 5 and table.attrs["skipped"] == [{"path": str(gone), "reason": "file not found"}]

    (tmp_path / "other").mkdir()
    with pytest.raises(CorpusError, match="no IEMOCAP label files like Session1/dialog/EmoEvaluation"):
        load_corpus(f"iemocap:{tmp_path / 'other'}")


# ------------------------------------------------------------------------------------------- CSV
def test_csv_manifest_relative_and_absolute_paths(tmp_path):
    abs_file = write_tone(tmp_path / "elsewhere" / "x.wav", sr=22050, channels=2)
    rows = [
        {"path": "audio/a.wav", "label": "Angry", "speaker": "s1", "gender": "Female", "context": "lab"},
        {"path": "audio/b.wav", "label": "hap", "speaker": "s1", "gender": "", "context": "lab"},
        {"path": "audio/sub/a.wav", "label": "neutral", "speaker": "emodb:03", "gender": "m", "context": ""},
        {"path": str(abs_file), "label": "sad", "speaker": "s2", "gender": "M", "context": "street"},
    ]
    manifest = make_manifest(tmp_path / "corpus", rows)
    table = load_corpus(f"csv:{manifest}")
    _check_table(table.iloc[[0, 1, 3]], "csv")
    assert list(table.columns) == UTTERANCE_COLUMNS
    assert table["emotion"].tolist() == ["anger", "happiness", "neutral", "sadness"]
    # Stems repeat (a.wav twice) so ids are relative paths without suffix.
    assert table["id"].tolist() == ["audio/a", "audio/b", "audio/sub/a", str(abs_file.with_suffix(""))]
    assert table["speaker"].tolist() == ["csv:s1", "csv:s1", "emodb:03", "csv:s2"]
    assert table["gender"].tolist() == ["f", "", "m", "m"]
    assert table["context"].tolist() == ["lab", "lab", "", "street"]
    assert table["path"].iloc[0] == str(tmp_path / "corpus" / "audio" / "a.wav")
    assert table["duration"].iloc[3] == pytest.approx(0.1, abs=1e-4)
    _av_from_schema(table)


def test_csv_own_arousal_valence_and_unknown_labels(tmp_path):
    rows = [
        {"id": "u1", "path": "a.wav", "emotion": "contempt", "speaker": "p", "arousal": "1", "valence": "negative"},
        {"id": "u2", "path": "b.wav", "emotion": "anger", "speaker": "p", "arousal": "high", "valence": "2"},
        {"id": "u3", "path": "c.wav", "emotion": "sadness", "speaker": "q", "arousal": "", "valence": ""},
    ]
    table = load_corpus(f"csv:{make_manifest(tmp_path, rows)}")
    assert table["emotion"].tolist() == ["contempt", "anger", "sadness"]
    assert table["arousal"].tolist() == [1, 2, 0] and table["valence"].tolist() == [0, 2, 0]

    rows[0].pop("arousal"), rows[0].pop("valence")
    unknown = [{k: v for k, v in r.items() if k not in ("arousal", "valence")} for r in rows]
    manifest = make_manifest(tmp_path / "u", unknown)
    with pytest.raises(LabkitError, match=r"line 2: unknown emotion 'contempt'"):
        load_corpus(f"csv:{manifest}")

    bad_av = [dict(rows[1], arousal="very", valence="1")]
    with pytest.raises(LabkitError, match=r"line 2: arousal must be"):
        load_corpus(f"csv:{make_manifest(tmp_path / 'v', bad_av)}")


def test_csv_missing_files_and_bad_manifests(tmp_path):
    rows = [
        {"path": "a.wav", "emotion": "anger", "speaker": "p"},
        {"path": "gone1.wav", "emotion": "fear", "speaker": "p"},
        {"path": "gone2.wav", "emotion": "fear", "speaker": "q"},
    ]
    manifest = make_manifest(tmp_path, rows, write_audio=False)
    write_tone(tmp_path / "a.wav")
    with pytest.raises(CorpusError, match="2 file.*gone1.wav.*gone2.wav"):
        load_corpus(f"csv:{manifest}")
    table = load_corpus(f"csv:{manifest}", skip_bad=True)
    assert table["id"].tolist() == ["a"]
    assert [s["path"] for s in table.attrs["skipped"]] == [str(tmp_path / "gone1.wav"), str(tmp_path / "gone2.wav")]

    with pytest.raises(CorpusError, match="missing column.*speaker"):
        load_corpus(f"csv:{make_manifest(tmp_path / 'm', [{'path': 'a.wav', 'emotion': 'anger'}])}")
    dup = [
        {"id": "x", "path": "a.wav", "emotion": "anger", "speaker": "p"},
        {"id": "x", "path": "b.wav", "emotion": "anger", "speaker": "p"},
    ]
    with pytest.raises(LabkitError, match="id 'x' repeats line 2"):
        load_corpus(f"csv:{make_manifest(tmp_path / 'd', dup)}")
    half = [{"path": "a.wav", "emotion": "anger", "speaker": "p", "arousal": 2}]
    with pytest.raises(CorpusError, match="both arousal and valence"):
        load_corpus(f"csv:{make_manifest(tmp_path / 'h', half)}")
    with pytest.raises(CorpusError, match="manifest not found"):
        load_corpus(f"csv:{tmp_path / 'nope.csv'}")


def test_csv_unreadable_audio_is_named_or_skipped(tmp_path):
    rows = [{"path": "a.wav", "emotion": "anger", "speaker": "p"}, {"path": "b.wav", "emotion": "fear", "speaker": "p"}]
    manifest = make_manifest(tmp_path, rows)
    (tmp_path / "b.wav").write_bytes(b"broken")
    with pytest.raises(AudioError, match="b.wav"):
        load_corpus(f"csv:{manifest}")
    assert load_corpus(f"csv:{manifest}", skip_bad=True)["id"].tolist() == ["a"]


# ------------------------------------------------------------------------------------ load_corpus
def test_load_corpus_source_errors(tmp_path):
    with pytest.raises(LabkitError, match="unknown corpus source 'mystery:x'.*emodb:PATH"):
        load_corpus("mystery:x")
    with pytest.raises(LabkitError, match="prefix"):
        load_corpus(str(tmp_path))
    with pytest.raises(LabkitError, match="unknown corpus source 'emodb'"):
        load_corpus("emodb")
    with pytest.raises(CorpusError, match="labkit corpus synth"):
        load_corpus(f"synthetic:{tmp_path}")


def test_synthetic_dir_reads_its_manifest(tmp_path):
    rows = [
        {"path": "wav/s01_anger_0.wav", "emotion": "anger", "speaker": "s01", "context": "studio"},
        {"path": "wav/s02_sadness_0.wav", "emotion": "sadness", "speaker": "s02", "context": "studio"},
    ]
    make_manifest(tmp_path, rows)
    table = load_corpus(f"synthetic:{tmp_path}")
    _check_table(table, "synthetic")
    assert table["speaker"].tolist() == ["synthetic:s01", "synthetic:s02"]
    assert isinstance(table, pd.DataFrame) and table.attrs["source"] == f"synthetic:{tmp_path}"


def test_synthetic_contexts_pool_into_two_corpora(monkeypatch):
    """`synthetic:studio+phone` pools the default corpus in two recording contexts (small config here)."""
    import labkit.data.synthetic as synth
    from labkit.data.loaders import load_corpus

    small = dict(n_speakers=2, n_utterances=1, emotions=["anger", "sadness"])
    real_default = synth.default_corpus
    monkeypatch.setattr(
        synth,
        "default_corpus",
        lambda config=None, progress=True: real_default(
            synth.SynthConfig(context=config.context, seed=config.seed, **small)
        ),
    )
    table = load_corpus("synthetic:studio+phone")
    assert sorted(table["context"].unique()) == ["phone", "studio"]
    assert table["id"].is_unique
    # Two corpora with their own speakers, so a cross-corpus fold is speaker-independent.
    studio, phone = (set(table.loc[table.context == c, "speaker"]) for c in ("studio", "phone"))
    assert len(studio) == len(phone) == 2 and not studio & phone

    from labkit.experiment.protocols import make_folds

    (fold,) = make_folds(table, "cross", train_corpus="studio", test_corpus="phone")
    assert len(fold.train_idx) == len(fold.test_idx) == 4
