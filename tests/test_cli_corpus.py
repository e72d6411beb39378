"""`labkit corpus info` and `labkit corpus synth` through labkit.cli.main."""

import json
import shutil

import numpy as np
import pytest
import soundfile as sf
from fixtures_corpora import make_emodb, make_manifest, make_ravdess

from labkit.cli import main


def _manifest(tmp_path):
    rows = [
        {"path": f"wav/{sp}_{emo}_{k}.wav", "emotion": emo, "speaker": sp, "gender": g}
        for sp, g in (("alice", "f"), ("bob", "m"))
        for emo in ("anger", "sadness")
        for k in range(2)
    ]
    manifest = make_manifest(tmp_path, rows)
    shutil.copy(tmp_path / "wav" / "alice_anger_0.wav", tmp_path / "wav" / "copy.wav")
    return manifest


def _info_json(capsys, *argv):
    assert main(["corpus", "info", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_info_json_on_a_manifest(tmp_path, capsys):
    manifest = _manifest(tmp_path)
    info = _info_json(capsys, f"csv:{manifest}")
    assert info["n_utterances"] == 8 and info["n_speakers"] == 2
    assert info["emotions"] == {"anger": 4, "sadness": 4}
    assert info["speakers"] == {"csv:alice": 4, "csv:bob": 4}
    assert info["genders"] == {"f": 4, "m": 4}
    assert info["duration_total_s"] == pytest.approx(0.8, abs=1e-3)
    assert info["duplicates"] == [] and info["skipped"] == [] and info["dropped"] == []

    # A duplicate file listed under another id is found.
    with open(manifest, "a") as f:
        f.write("wav/copy.wav,anger,carol,f\n")
    info = _info_json(capsys, f"csv:{manifest}")
    assert info["duplicates"] == [["alice_anger_0", "copy"]]
    assert any("byte-identical" in w for w in info["warnings"])


def test_info_text_report_and_skip_bad(tmp_path, capsys):
    manifest = _manifest(tmp_path)
    sf.write(tmp_path / "wav" / "bob_sadness_1.wav", np.zeros(800, dtype=np.float32), 16000)  # silent

    # Headers only: the silent file passes; --check-audio finds it and stops, naming it.
    assert main(["corpus", "info", f"csv:{manifest}"]) == 0
    out = capsys.readouterr().out
    assert "8 utterances, 2 speakers, 2 emotions" in out
    assert "csv:alice" in out and "total" in out and "duplicates (byte-identical files): none" in out

    assert main(["corpus", "info", f"csv:{manifest}", "--check-audio"]) == 2
    err = capsys.readouterr().err
    assert "bob_sadness_1.wav" in err and "silent" in err

    assert main(["corpus", "info", f"csv:{manifest}", "--check-audio", "--skip-bad"]) == 0
    out = capsys.readouterr().out
    assert "7 utterances" in out and "skipped (unusable files): 1" in out and "bob_sadness_1.wav: silent" in out

    info = _info_json(capsys, f"csv:{manifest}", "--check-audio", "--skip-bad")
    assert info["n_utterances"] == 7 and info["skipped"][0]["path"].endswith("bob_sadness_1.wav")


def test_info_reports_dropped_files_and_incomplete_corpus(tmp_path, capsys):
    root = make_ravdess(tmp_path / "ravdess", actors=(1, 2), emotions=(1, 5))
    info = _info_json(capsys, f"ravdess:{root}")
    assert info["n_utterances"] == 4 and info["n_speakers"] == 2
    assert {d["reason"]: d["count"] for d in info["dropped"]} == {
        "song (vocal channel 02)": 2,
        "video file (modality 01, audio-video)": 2,
    }
    assert any("expected 1440" in w for w in info["warnings"])

    assert main(["corpus", "info", f"ravdess:{root}"]) == 0
    out = capsys.readouterr().out
    assert "left out on purpose: 4" in out and "song (vocal channel 02)" in out and "note: not the unmodified" in out


def test_info_errors_exit_2(tmp_path, capsys):
    assert main(["corpus", "info", "nonsense:somewhere"]) == 2
    assert "unknown corpus source" in capsys.readouterr().err
    assert main(["corpus", "info", f"emodb:{tmp_path}"]) == 2
    assert "no EMO-DB files like wav/03a01Fa.wav" in capsys.readouterr().err
    root = make_emodb(tmp_path / "emodb", speakers=["03"], letters=["W"])
    assert main(["corpus", "info", f"emodb:{root}", "--all-labels"]) == 2
    assert "iemocap" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["corpus"], ["corpus", "info"], ["corpus", "synth"]])
def test_help_explains_sources(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    if argv[-1] != "synth":
        assert "SOURCE forms" in out and "emodb:PATH" in out and "csv:PATH" in out
    else:
        assert "--out" in out and "synthetic:DIR" in out


@pytest.mark.slow
def test_synth_then_info(tmp_path, capsys):
    out_dir = tmp_path / "synth"
    assert (
        main(
            [
                "corpus",
                "synth",
                "--out",
                str(out_dir),
                "--seed",
                "3",
                "--speakers",
                "2",
                "--utterances",
                "1",
                "--context",
                "phone",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert (out_dir / "manifest.csv").is_file() and "synthetic:" in printed
    info = _info_json(capsys, f"synthetic:{out_dir}")
    assert info["n_speakers"] == 2 and info["n_utterances"] == len(list((out_dir / "wav").glob("*.wav")))
    assert info["contexts"] == {"phone": info["n_utterances"]}
    assert all(s.startswith("synthetic:") for s in info["speakers"])
    assert info["skipped"] == []
