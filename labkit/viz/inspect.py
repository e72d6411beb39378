"""Inspecting a run's plane point by point: which utterance a dot is, how it sounds, its true neighbours.

The dashboard's Distribution page and `inspect` (for notebooks) ask the same questions of a run:

* **Which points are these?** `point_table` lists selected points (train, test or generated) with
  class, speaker, utterance id, iteration and origin. Points are named by integer *codes* in the
  figure (`codes_of` / `decode`): ``0 .. n_train-1`` train rows, then test rows, then the generated
  rows of every iteration in the projection's order. Keys for people are ``train:12``, ``test:3``
  and ``gen:<iteration>:<row in that snapshot>``.
* **Which utterance, which wav?** The reference arrays hold no ids, so `utterances` rebuilds the
  rows' utterance table from the run's own config (the corpus source and the split or fold the
  writer used, `labkit.data` and `labkit.experiment.protocols`), and accepts it only if the row
  counts and labels agree with the reference; otherwise the table says why and no audio is offered.
  An utterance's wav is looked for where the corpus table put it; a file that has moved gets a note.
* **Are they really near?** `neighbours` gives a generated sample's k nearest real samples in the
  *full* feature space (standardised with the real data's mean/std, as `labkit.metrics.coverage`),
  never in the plane.
* **Which test samples does nothing cover?** `uncovered_test` marks the test samples outside every
  training k-NN ball, and those of them inside a ball of one iteration's generated samples: the set
  whose share is `test_gain` (computed with the coverage module's own functions).
* **How far can the plane be trusted?** `plane_trust`: scikit-learn's trustworthiness and the share
  of each point's full-space k nearest neighbours that stay among its k nearest in the plane.
* **What does the generator make?** AAEC runs store, per recorded iteration, the power
  spectrograms of a few generated samples (``spectrograms/iter_<it>.npz``, written by
  `labkit.trainers.figure5`); `generated_audio` turns one back into audio with Griffin-Lim (librosa).

Everything here reads the run store only (no model, no training). Streamlit caches these calls in
`labkit.viz.data`; notebooks call `inspect`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from labkit.errors import LabkitError
from labkit.metrics.coverage import inside_any_ball, knn_radii, pairwise_distances

# Neighbours used for the k-NN balls, the full-space neighbours and the plane's trust measures.
K = 5
# Trust measures are computed on at most this many points (a seeded subsample; sklearn's
# trustworthiness holds an n x n rank matrix).
TRUST_CAP = 2000
# Below these the plane is flagged as misleading for neighbourhoods (shown as a warning).
TRUST_WARN = 0.85
PRESERVED_WARN = 0.3
# AAEC's spectrogram settings (labkit.data.aaec.load_aaec_data): 16 kHz, FFT 1024, hop 512.
SR, N_FFT, HOP = 16000, 1024, 512
# Columns of `point_table`, in order.
TABLE_COLUMNS = ["key", "source", "class", "speaker", "utterance", "iteration", "origin", "x", "y"]


# ------------------------------------------------------------------------------------ point codes
def offsets(proj) -> tuple[int, int]:
    """(n_train, n_train + n_test): where test codes and generated codes start."""
    n_train = len(proj.y_train)
    return n_train, n_train + len(proj.y_test)


def codes_of(proj, source: str, idx: np.ndarray) -> np.ndarray:
    """Integer codes of rows `idx` of one source ("train", "test", "generated") of `proj`."""
    a, b = offsets(proj)
    base = {"train": 0, "test": a, "generated": b}[source]
    return (np.asarray(idx, np.int64) + base).astype(np.int64)


def decode(proj, code: int) -> tuple[str, int]:
    """(source, row within that source's arrays) of a point code."""
    a, b = offsets(proj)
    code = int(code)
    if code < 0 or code >= b + len(proj.y_gen):
        raise LabkitError(f"point {code} is not in this projection (it has {b + len(proj.y_gen)} points)")
    if code < a:
        return "train", code
    if code < b:
        return "test", code - a
    return "generated", code - b


def snapshot_row(proj, gen_row: int) -> tuple[int, int]:
    """(iteration, row within that iteration's snapshot) of generated row `gen_row` of `proj`."""
    it = int(proj.iter_gen[gen_row])
    first = int(np.searchsorted(proj.iter_gen, it, side="left"))  # iter_gen is stacked in iteration order
    return it, gen_row - first


def key_of(proj, code: int) -> str:
    source, row = decode(proj, code)
    if source == "generated":
        it, r = snapshot_row(proj, row)
        return f"gen:{it}:{r}"
    return f"{source}:{row}"


def code_of_key(proj, key: str) -> int:
    """The point code of a key such as ``train:12``, ``test:3`` or ``gen:20:5``."""
    parts = str(key).split(":")
    try:
        if parts[0] in ("train", "test") and len(parts) == 2:
            row = int(parts[1])
            n = len(proj.y_train if parts[0] == "train" else proj.y_test)
            if not 0 <= row < n:
                raise LabkitError(f"{key!r}: the run has {n} {parts[0]} rows")
            return int(codes_of(proj, parts[0], [row])[0])
        if parts[0] == "gen" and len(parts) == 3:
            it, r = int(parts[1]), int(parts[2])
            rows = np.flatnonzero(proj.iter_gen == it)
            if not 0 <= r < rows.size:
                raise LabkitError(f"{key!r}: iteration {it} has {rows.size} generated samples")
            return int(codes_of(proj, "generated", [rows[r]])[0])
    except ValueError:
        pass
    raise LabkitError(f"{key!r} is not a point key (train:<row>, test:<row> or gen:<iteration>:<row>)")


# ------------------------------------------------------------------------------------ utterances
def utterances(run) -> tuple[pd.DataFrame | None, str]:
    """The utterance table of the reference rows, rebuilt from the run's config: (table, message).

    The table has the utterance columns plus ``side`` ("train"/"test") and ``row`` (the row in
    that side's reference arrays). Supported writers: AAEC runs (config ``source``, ``test_fraction``,
    ``split_seed``: the speaker-independent split of `labkit.data.aaec.load_aaec_data`) and compare
    runs (config ``source``, ``protocol``, ``protocol_params``: the first seed's first fold, where
    `labkit compare --record-every` records). None, with the reason, for anything else.
    """
    try:
        config = run.config
    except LabkitError as err:
        return None, str(err)
    source = config.get("source")
    if not isinstance(source, str) or not source:
        return None, "the run's config names no corpus source, so its points cannot be matched to utterances"
    from labkit.features.core import is_table_source

    if is_table_source(source):
        return None, f"the run read a feature table ({source}), which holds no audio"
    try:
        from labkit.data.loaders import load_corpus
        from labkit.experiment.protocols import make_folds

        table = load_corpus(source).reset_index(drop=True)
        if "test_fraction" in config and "split_seed" in config:
            fold = make_folds(table, "split", test_fraction=config["test_fraction"], seed=config["split_seed"])[0]
        elif "protocol" in config:
            params = dict(config.get("protocol_params") or {})
            if config["protocol"] == "reduced":
                params.setdefault("label", config.get("target", "emotion"))
                params.setdefault("seed", 0)
            if config["protocol"] == "random":
                return None, "the run's folds are speaker-dependent random folds, which cannot be rebuilt here"
            fold = make_folds(table, config["protocol"], **params)[0]
        else:
            return None, "the run's config names no split or protocol"
    except (LabkitError, OSError, KeyError, ValueError, TypeError) as err:
        return None, f"cannot rebuild the run's utterance table from {source!r}: {err}"
    parts = [
        table.iloc[np.asarray(fold.train_idx)].assign(side="train", row=np.arange(len(fold.train_idx))),
        table.iloc[np.asarray(fold.test_idx)].assign(side="test", row=np.arange(len(fold.test_idx))),
    ]
    return pd.concat(parts, ignore_index=True), ""


def matched_utterances(run, space: str, table: pd.DataFrame | None) -> tuple[pd.DataFrame | None, str]:
    """`table` if its rows agree with `space`'s reference (counts and, where they compare, labels)."""
    if table is None:
        return None, ""
    ref = run.load_reference(space)
    names = ref.get("label_names")
    for side in ("train", "test"):
        rows = table[table["side"] == side]
        y = np.asarray(ref[f"y_{side}"])
        if len(rows) != len(y):
            return None, (
                f"the rebuilt corpus has {len(rows)} {side} utterances, the reference {len(y)}: "
                "the run's data changed since (or files were skipped), so utterances are not shown"
            )
        labels = _labels(y, names)
        for col in ("emotion", "arousal", "valence"):
            if col not in rows.columns:
                continue
            have = rows[col].astype(str).to_numpy()
            if col == "arousal" and names is not None:
                have = np.asarray(names).astype(str)[rows[col].to_numpy(np.int64)]
            if (have == labels).all():
                break
        else:
            if not set(labels) & set(table["emotion"].astype(str)) and names is None:
                continue  # labels of another kind (e.g. codes of a binary task): counts agree, accept
            return None, f"the rebuilt {side} utterances carry other labels than the reference: not shown"
    return table, ""


def _labels(y, names) -> np.ndarray:
    y = np.asarray(y)
    if names is not None and y.dtype.kind in "iu" and y.size and 0 <= y.min() and y.max() < len(names):
        return np.asarray(names).astype(str)[y]
    return y.astype(str)


# ------------------------------------------------------------------------------------ the table
def point_table(proj, codes, meta: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per point code: key, source, class, speaker, utterance, iteration, origin, x, y.

    For generated samples, speaker and utterance are those of the training utterance it was made
    from where the writer records it (AAEC: the paired original), else empty.
    """
    rows = []
    by_side = {}
    if meta is not None:
        for side in ("train", "test"):
            part = meta[meta["side"] == side]
            by_side[side] = part.set_index("row")
    for code in codes:
        source, row = decode(proj, code)
        if source == "generated":
            it, _ = snapshot_row(proj, row)
            xy = proj.xy_gen[row]
            rows.append(
                {
                    "key": key_of(proj, code),
                    "source": "generated",
                    "class": str(proj.y_gen[row]),
                    "speaker": "",
                    "utterance": "",
                    "iteration": it,
                    "origin": str(proj.origin_gen[row]),
                    "x": float(xy[0]),
                    "y": float(xy[1]),
                }
            )
            continue
        xy = (proj.xy_train if source == "train" else proj.xy_test)[row]
        y = (proj.y_train if source == "train" else proj.y_test)[row]
        info = by_side.get(source)
        hit = info.loc[row] if info is not None and row in info.index else None
        rows.append(
            {
                "key": f"{source}:{row}",
                "source": source,
                "class": str(y),
                "speaker": "" if hit is None else str(hit.get("speaker", "")),
                "utterance": "" if hit is None else str(hit.get("id", "")),
                "iteration": None,
                "origin": "real",
                "x": float(xy[0]),
                "y": float(xy[1]),
            }
        )
    out = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    out["iteration"] = out["iteration"].astype("Int64")
    return out


# ------------------------------------------------------------------------------------ full space
@dataclass
class FullSpace:
    """A space's points in the full feature space, standardised with the real data's mean/std.

    Rows are in the projection's order: ``train`` (n_train, d), ``test`` (n_test, d), ``gen`` (m, d)
    stacked over iterations with ``iter_gen`` (m,).
    """

    train: np.ndarray
    test: np.ndarray
    gen: np.ndarray
    iter_gen: np.ndarray

    def rows(self, source: str) -> np.ndarray:
        return {"train": self.train, "test": self.test, "generated": self.gen}[source]


def full_space(run, space: str) -> FullSpace:
    """Read the reference and every snapshot of `space` and standardise them (as coverage does)."""
    ref = run.load_reference(space)
    X_train = np.asarray(ref["X_train"], np.float64)
    X_test = np.asarray(ref["X_test"], np.float64)
    both = np.concatenate([X_train, X_test])
    mean, scale = both.mean(axis=0), both.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    gens, its = [], []
    for it in run.snapshot_iterations(space):
        X = np.asarray(run.load_snapshot(space, it)["X"], np.float64)
        gens.append(X.reshape(len(X), -1))
        its.append(np.full(len(X), it, np.int64))
    d = X_train.shape[1]
    gen = np.concatenate(gens) if gens else np.zeros((0, d))
    gen = np.nan_to_num((gen - mean) / scale, nan=0.0, posinf=0.0, neginf=0.0)
    return FullSpace(
        train=(X_train - mean) / scale,
        test=(X_test - mean) / scale,
        gen=gen,
        iter_gen=np.concatenate(its) if its else np.zeros(0, np.int64),
    )


def neighbours(proj, full: FullSpace, code: int, k: int = K, meta: pd.DataFrame | None = None) -> pd.DataFrame:
    """The `k` nearest real samples (train and test) of point `code` in the full feature space.

    Columns: key, side, class, speaker, utterance, distance (Euclidean, standardised space), and
    ``plane_distance`` (the same pair's distance in the plane, for comparison).
    """
    source, row = decode(proj, code)
    x = full.rows(source)[row][None, :]  # (1, d)
    real = np.concatenate([full.train, full.test])  # (n_real, d)
    d = pairwise_distances(x, real)[0]  # (n_real,)
    if source != "generated":
        d[int(codes_of(proj, source, [row])[0])] = np.inf  # not its own neighbour
    order = np.argsort(d, kind="stable")[:k]
    xy_real = np.concatenate([proj.xy_train, proj.xy_test])
    xy = (proj.xy_gen if source == "generated" else (proj.xy_train if source == "train" else proj.xy_test))[row]
    table = point_table(proj, [int(c) for c in order], meta)
    table.insert(1, "distance", d[order])
    table["plane_distance"] = np.linalg.norm(xy_real[order] - xy[None, :], axis=1)
    return table.rename(columns={"source": "side"}).drop(columns=["iteration", "origin", "x", "y"])


# ------------------------------------------------------------------------------------ uncovered test samples
def uncovered_test(full: FullSpace, iteration: int | None, k: int = K) -> dict[str, np.ndarray]:
    """Test samples outside every training k-NN ball, and those of them a generated ball reaches.

    Returns ``outside`` (n_test,) bool: in no training sample's ball (the complement of
    ``test_in_train``), and ``reached`` (n_test,) bool: outside, but inside the ball of one of
    `iteration`'s own generated samples (the set whose share is ``test_gain``; coverage computes it
    per iteration, on that iteration's samples). Balls are each set's own k-NN balls, as in
    `labkit.metrics.coverage.coverage_gain_on_test`. `reached` is all False when the iteration has
    k or fewer samples.
    """
    in_train = inside_any_ball(pairwise_distances(full.test, full.train), knn_radii(full.train, k))
    outside = ~in_train
    reached = np.zeros_like(outside)
    gen = full.gen[full.iter_gen == iteration] if iteration is not None else full.gen[:0]
    if gen.shape[0] > k:
        reached = outside & inside_any_ball(pairwise_distances(full.test, gen), knn_radii(gen, k))
    return {"outside": outside, "reached": reached}


# ------------------------------------------------------------------------------------ trust in the plane
def neighbour_preservation(X: np.ndarray, xy: np.ndarray, k: int = K) -> float:
    """Mean share of each point's k nearest neighbours in X (n, d) that are among its k nearest in xy (n, 2)."""
    n = X.shape[0]
    if n <= k:
        raise LabkitError(f"need more than k={k} points to compare neighbourhoods, got {n}")
    D_full = pairwise_distances(X, X)
    D_plane = pairwise_distances(xy, xy)
    np.fill_diagonal(D_full, np.inf)
    np.fill_diagonal(D_plane, np.inf)
    nn_full = np.argpartition(D_full, k - 1, axis=1)[:, :k]  # (n, k)
    nn_plane = np.argpartition(D_plane, k - 1, axis=1)[:, :k]
    kept = [np.intersect1d(a, b).size for a, b in zip(nn_full, nn_plane)]
    return float(np.mean(kept) / k)


def plane_trust(X: np.ndarray, xy: np.ndarray, k: int = K, cap: int = TRUST_CAP, seed: int = 0) -> dict:
    """How far the plane keeps full-space neighbourhoods: trustworthiness and neighbour preservation.

    ``trustworthiness`` is `sklearn.manifold.trustworthiness(X, xy, n_neighbors=k)` (1: no point has
    plane neighbours that are far in the full space); ``preserved`` is `neighbour_preservation`.
    Above `cap` points a seeded subsample is used (``n`` says how many). ``warning`` is a sentence
    when either is low (trustworthiness < 0.85 or preserved < 0.3), else "".
    """
    from sklearn.manifold import trustworthiness

    X, xy = np.asarray(X, np.float64), np.asarray(xy, np.float64)
    if X.shape[0] > cap:
        idx = np.sort(np.random.default_rng(seed).permutation(X.shape[0])[:cap])
        X, xy = X[idx], xy[idx]
    k = min(k, (X.shape[0] - 1) // 2)
    if k < 1:
        raise LabkitError(f"need at least 3 points to judge a plane, got {X.shape[0]}")
    tw = float(trustworthiness(X, xy, n_neighbors=k))
    kept = neighbour_preservation(X, xy, k)
    warning = ""
    if tw < TRUST_WARN or kept < PRESERVED_WARN:
        warning = (
            f"The plane keeps few full-space neighbourhoods (trustworthiness {tw:.2f}, {100 * kept:.0f}% of "
            f"{k} nearest neighbours kept): points near each other here need not be near in the features; "
            "judge closeness by the full-space neighbours and the coverage numbers, not by eye."
        )
    return {"trustworthiness": tw, "preserved": kept, "k": k, "n": int(X.shape[0]), "warning": warning}


def frame_trust(proj, full: FullSpace, iteration: int | None, k: int = K) -> dict:
    """`plane_trust` of the real points and `iteration`'s generated points (what one frame shows)."""
    mask = proj.iter_gen == iteration if iteration is not None else np.zeros(len(proj.iter_gen), bool)
    X = np.concatenate([full.train, full.test, full.gen[mask]])
    xy = np.concatenate([proj.xy_train, proj.xy_test, proj.xy_gen[mask]])
    return plane_trust(X, xy, k)


def trust_summary(run, space: str, method: str = "pca", k: int = K) -> dict:
    """`frame_trust` at the run's last iteration (real points only when it has none), for printing."""
    from labkit.viz.projection import ProjectionConfig, load_or_compute

    proj = load_or_compute(run, space, ProjectionConfig(method=method))
    last = int(proj.iterations[-1]) if len(proj.iterations) else None
    return {"space": space, "method": method, "iteration": last, **frame_trust(proj, full_space(run, space), last, k)}


# ------------------------------------------------------------------------------------ audio and spectrograms
def locate_audio(path: str, run=None) -> tuple[Path | None, str]:
    """(the wav's path, "") if the file is there, else (None, a note saying where it was looked for).

    A path relative to a corpus folder is looked for under the folder the run's source names
    (``emodb:/data/emodb`` → ``/data/emodb``) too.
    """
    p = Path(str(path))
    if p.is_file():
        return p, ""
    tried = [str(p)]
    try:
        source = run.config.get("source") if run is not None else None
    except LabkitError:
        source = None
    if isinstance(source, str) and ":" in source:
        root = Path(source.split(":", 1)[1])
        if root.is_file():
            root = root.parent
        candidate = root / p.name if p.is_absolute() else root / p
        if candidate.is_file():
            return candidate, ""
        tried.append(str(candidate))
    return None, (
        f"The audio file is not where the corpus table put it ({' or '.join(tried)}): it has moved or the "
        "corpus folder is not mounted here. Point the run's source at the corpus folder to hear it."
    )


def wav_bytes(samples: np.ndarray, sr: int = SR) -> bytes:
    """Mono float samples as 16-bit PCM WAV bytes (for st.audio and IPython's Audio)."""
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.clip(np.asarray(samples, np.float32), -1.0, 1.0), sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def read_utterance(path: Path) -> np.ndarray:
    """The utterance at `path` as 16 kHz mono float32 (labkit.data.audio.read_audio)."""
    from labkit.data.audio import read_audio

    return read_audio(path, sr=SR)


def power_spectrogram(samples: np.ndarray) -> np.ndarray:
    """(T, F) power spectrogram of 16 kHz audio with AAEC's settings (FFT 1024, hop 512)."""
    import librosa

    S = np.abs(librosa.stft(np.asarray(samples, np.float32), n_fft=N_FFT, hop_length=HOP)) ** 2  # (F, T)
    return S.T


def generated_spectrograms(run, iteration: int) -> dict | None:
    """The stored power spectrograms of `iteration`'s generated samples, or None (not an AAEC run).

    Returns ``rows`` (k,): rows of the iteration's snapshot they belong to, and ``log_power``
    (k, T, F'): log(P + eps) of the generator's pooled bins, with ``log_eps`` and ``freq_pool``.
    """
    path = run.path / "spectrograms" / f"iter_{int(iteration):07d}.npz"
    if not path.exists():
        return None
    try:
        z = run.read_npz(f"spectrograms/iter_{int(iteration):07d}")
        return {
            "rows": np.asarray(z["rows"], np.int64),
            "log_power": np.asarray(z["log_power"], np.float32),
            "log_eps": float(z["log_eps"]),
            "freq_pool": int(z["freq_pool"]),
        }
    except (KeyError, ValueError, LabkitError):
        return None


def unpool_power(log_power: np.ndarray, log_eps: float, freq_pool: int, n_bins: int = N_FFT // 2 + 1) -> np.ndarray:
    """(T, F') pooled log(P + eps) → (T, n_bins) power: each pooled bin's mean power spread back over its bins."""
    power = np.maximum(np.exp(np.asarray(log_power, np.float64)) - log_eps, 0.0)
    if freq_pool > 1:
        power = np.repeat(power, freq_pool, axis=1)
    return power[:, :n_bins]


def griffin_lim(power: np.ndarray, n_iter: int = 32, seed: int = 0) -> np.ndarray:
    """Audio from a (T, F) power spectrogram without phase: librosa's Griffin-Lim (F = 513: FFT 1024, hop 512)."""
    import librosa

    n_fft = 2 * (power.shape[1] - 1)  # 513 bins: AAEC's FFT 1024 (other bin counts: the FFT they imply)
    y = librosa.griffinlim(
        np.sqrt(power).T.astype(np.float32),
        n_iter=n_iter,
        hop_length=min(HOP, n_fft // 2),
        n_fft=n_fft,
        random_state=seed,
    )
    peak = float(np.abs(y).max()) if y.size else 0.0
    return (0.9 * y / peak if peak > 0 else y).astype(np.float32)


def generated_power(run, proj, code: int) -> tuple[np.ndarray | None, str]:
    """(T, 513) power spectrogram of generated point `code`, or (None, why not)."""
    source, row = decode(proj, code)
    if source != "generated":
        return None, "not a generated sample"
    it, r = snapshot_row(proj, row)
    spec = generated_spectrograms(run, it)
    if spec is None:
        folder = run.path / "spectrograms"
        stored = sorted(int(p.stem[5:]) for p in folder.glob("iter_*.npz") if p.stem[5:].isdigit())
        if not stored:
            return None, "this run stores no generated spectrograms (only AAEC runs record them)"
        shown = ", ".join(map(str, stored[:8])) + (", ..." if len(stored) > 8 else "")
        return None, f"no spectrograms stored at iteration {it}; this run keeps them at iterations {shown}"
    hit = np.flatnonzero(spec["rows"] == r)
    if not hit.size:
        listed = ", ".join(f"gen:{it}:{x}" for x in spec["rows"][:6])
        return None, f"no spectrogram stored for this sample; iteration {it} stores a few: {listed}, ..."
    return unpool_power(spec["log_power"][hit[0]], spec["log_eps"], spec["freq_pool"]), ""


def spectrogram_figure(power: np.ndarray, title: str = "", height: int = 260):
    """A plotly heatmap of a (T, F) power spectrogram in dB (time across, frequency up)."""
    import plotly.graph_objects as go

    db = 10 * np.log10(np.maximum(power, 1e-10))
    db = np.maximum(db, db.max() - 80.0)  # 80 dB of range, as librosa's amplitude_to_db(top_db=80)
    t = np.arange(power.shape[0]) * HOP / SR
    f = np.arange(power.shape[1]) * SR / N_FFT
    fig = go.Figure(go.Heatmap(x=t, y=f, z=db.T.astype(np.float32), colorscale="Magma", colorbar={"title": "dB"}))
    fig.update_layout(
        title=title,
        height=height,
        margin={"l": 50, "r": 10, "t": 40 if title else 10, "b": 40},
        xaxis_title="time (s)",
        yaxis_title="frequency (Hz)",
        template="plotly_white",
    )
    return fig


@dataclass
class Card:
    """What one point shows: its table row, audio (WAV bytes) and spectrogram, neighbours, notes."""

    key: str
    row: dict
    wav: bytes | None = None
    audio_label: str = ""
    spectrogram: object | None = None  # plotly figure
    neighbours: pd.DataFrame | None = None
    neighbour_wavs: dict = field(default_factory=dict)  # neighbour key -> WAV bytes (or a note string)
    notes: list = field(default_factory=list)


def real_audio(run, meta: pd.DataFrame | None, source: str, row: int) -> tuple[bytes | None, np.ndarray | None, str]:
    """(WAV bytes, power spectrogram, note) of real row `row` of `source`."""
    if meta is None:
        return None, None, "utterances are not known for this run's points"
    hit = meta[(meta["side"] == source) & (meta["row"] == row)]
    if hit.empty:
        return None, None, f"no utterance for {source}:{row}"
    path, note = locate_audio(str(hit.iloc[0]["path"]), run)
    if path is None:
        return None, None, note
    try:
        samples = read_utterance(path)
    except LabkitError as err:
        return None, None, f"cannot read {path}: {err}"
    return wav_bytes(samples), power_spectrogram(samples), ""


def card(run, proj, full: FullSpace, code: int, meta: pd.DataFrame | None, k: int = K, listen: bool = True) -> Card:
    """Everything the inspector shows for one point (see `Card`)."""
    row = point_table(proj, [code], meta).iloc[0].to_dict()
    out = Card(key=row["key"], row=row)
    source, r = decode(proj, code)
    if source == "generated":
        out.neighbours = neighbours(proj, full, code, k, meta)
        power, note = generated_power(run, proj, code)
        if power is None:
            out.notes.append(note)
        else:
            out.spectrogram = spectrogram_figure(power, f"generated spectrogram ({row['key']})")
            if listen:
                out.wav = wav_bytes(griffin_lim(power))
                out.audio_label = "reconstructed with Griffin-Lim (the generator makes magnitudes only)"
        if listen:
            for nb in out.neighbours.itertuples():
                side, nrow = nb.key.split(":")
                wav, _, nnote = real_audio(run, meta, side, int(nrow))
                out.neighbour_wavs[nb.key] = wav if wav is not None else nnote
    else:
        wav, power, note = real_audio(run, meta, source, r)
        if wav is None:
            out.notes.append(note)
        else:
            out.wav, out.audio_label = wav, f"utterance {row['utterance']}"
            out.spectrogram = spectrogram_figure(power, f"{row['utterance']} ({row['class']})")
        if meta is not None:
            hit = meta[(meta["side"] == source) & (meta["row"] == r)]
            if not hit.empty:
                out.row.update(
                    {c: hit.iloc[0][c] for c in ("path", "corpus", "gender", "emotion", "duration") if c in hit}
                )
    return out


# ------------------------------------------------------------------------------------ notebooks
@dataclass
class Inspection:
    """`inspect`'s answer: the table of the points and one `Card` each; displays itself in Jupyter."""

    table: pd.DataFrame
    cards: list
    trust: dict

    def widgets(self) -> list:
        """IPython widgets in display order: per card a title, its audio, its spectrogram, its neighbours."""
        from IPython.display import Audio, Markdown

        out = []
        for c in self.cards:
            out.append(Markdown(f"**{c.key}** · {c.row['class']} · {c.row.get('origin', '')}"))
            for note in c.notes:
                out.append(Markdown(f"*{note}*"))
            if c.wav is not None:
                out.append(Markdown(c.audio_label))
                out.append(Audio(data=c.wav))
            if c.spectrogram is not None:
                out.append(c.spectrogram)
            if c.neighbours is not None:
                out.append(c.neighbours)
        return out

    def _ipython_display_(self) -> None:
        from IPython.display import Markdown, display

        display(self.table)
        display(
            Markdown(
                f"Plane: trustworthiness {self.trust['trustworthiness']:.2f}, {100 * self.trust['preserved']:.0f}% "
                f"of {self.trust['k']} nearest neighbours kept. {self.trust['warning']}"
            )
        )
        for w in self.widgets():
            display(w)


def inspect(
    run, space: str, iteration: int | None = None, ids=None, *, method: str = "pca", k: int = K, limit: int = 3
) -> Inspection:
    """The inspector for a notebook: the table of points `ids` and their audio/spectrogram widgets.

    Parameters
    ----------
    run : labkit.runstore.Run (or a run directory)
    space : the representation (``spectrum`` for AAEC, ``aug-<name>`` for a comparison)
    iteration : the recorded iteration whose generated samples are meant (default: the last)
    ids : point keys (``gen:<iteration>:<row>``, ``train:<row>``, ``test:<row>``) or utterance ids;
        default: the first `limit` generated samples of `iteration` that have a stored spectrogram
        (or simply its first `limit` samples)
    """
    from labkit.runstore import Run
    from labkit.viz.projection import ProjectionConfig, load_or_compute

    run = run if isinstance(run, Run) else Run(run)
    proj = load_or_compute(run, space, ProjectionConfig(method=method))
    its = [int(i) for i in proj.iterations]
    if iteration is None:
        iteration = its[-1] if its else None
    elif its and int(iteration) not in its:
        raise LabkitError(f"{run.path}: no snapshot at iteration {iteration} in {space}; recorded: {its}")
    meta, _ = matched_utterances(run, space, utterances(run)[0])
    if ids is None:
        spec = generated_spectrograms(run, iteration) if iteration is not None else None
        n_it = int((proj.iter_gen == iteration).sum()) if iteration is not None else 0
        rows = spec["rows"][:limit] if spec is not None else np.arange(min(limit, n_it))
        ids = [f"gen:{iteration}:{r}" for r in rows]
    codes = [code_for(proj, meta, i) for i in ids]
    full = full_space(run, space)
    return Inspection(
        table=point_table(proj, codes, meta),
        cards=[card(run, proj, full, c, meta, k) for c in codes],
        trust=frame_trust(proj, full, iteration, k),
    )


def code_for(proj, meta, ident) -> int:
    """A point code from a key or an utterance id."""
    text = str(ident)
    if text.split(":")[0] in ("train", "test", "gen"):
        return code_of_key(proj, text)
    if meta is not None:
        hit = meta[meta["id"].astype(str) == text]
        if not hit.empty:
            return code_of_key(proj, f"{hit.iloc[0]['side']}:{int(hit.iloc[0]['row'])}")
    raise LabkitError(
        f"{text!r} is neither a point key (train:<row>, test:<row>, gen:<it>:<row>) nor a known utterance id"
    )


def playable(run, proj, codes, meta: pd.DataFrame | None) -> list[str]:
    """Keys of those `codes` that can be heard: real rows with a known utterance, generated rows with a
    stored spectrogram (in the order given)."""
    out, stored = [], {}
    for code in codes:
        source, row = decode(proj, code)
        if source == "generated":
            it, r = snapshot_row(proj, row)
            if it not in stored:
                spec = generated_spectrograms(run, it)
                stored[it] = set() if spec is None else set(spec["rows"].tolist())
            if r in stored[it]:
                out.append(f"gen:{it}:{r}")
        elif meta is not None:
            out.append(f"{source}:{row}")
    return out
