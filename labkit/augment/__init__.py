"""Data augmenters: the shared interface (`labkit.augment.base.Augmenter`) and a registry by name.

>>> from labkit.augment import make_augmenter
>>> aug = make_augmenter("smote", sampling_strategy=1.0, random_state=0)
>>> X_res, y_res = aug.fit_resample(X_train, y_train)   # real rows first, synthetic appended

The registry maps a name to ``"module:Class"`` and imports the class only when it is asked for, so
``import labkit.augment`` stays light (model augmenters import torch). A new method adds one line to
`AUGMENTERS` (or calls `register_augmenter` from its own module at run time).
"""

from __future__ import annotations

import importlib

from labkit.errors import LabkitError

# name -> "module:Class". Model augmenters (aaec, cgan, cyclegan, cvaae, ...) are added by their issues.
AUGMENTERS: dict[str, str] = {
    "none": "labkit.augment.baselines:NoAugmentation",
    "noise": "labkit.augment.baselines:GaussianNoise",
    "ros": "labkit.augment.baselines:RandomOversampling",
    "smote": "labkit.augment.baselines:Smote",
    "adasyn": "labkit.augment.baselines:Adasyn",
    # AAEC's generator in its AAE+C form (frames in: use with --features spectrogram); see labkit.augment.aaec
    "aaec": "labkit.augment.aaec:AAECAugmenter",
    # Sahu et al. 2018: vanilla GAN in the 2-D AAE code plane / conditional GAN on feature vectors; labkit.augment.sahu
    "gan2d": "labkit.augment.sahu:Gan2dAugmenter",
    "cgan": "labkit.augment.sahu:CGANAugmenter",
    # CTGAN (optional extra labkit[ctgan]), the well-kept tabular-GAN peer; see labkit.augment.ctgan
    "ctgan": "labkit.augment.ctgan:CTGANAugmenter",
    # Shilandari et al. 2022: one cycle-GAN per emotion, neutral -> emotion (JS / Wasserstein); labkit.augment.cyclegan
    "cyclegan": "labkit.augment.cyclegan:CycleGANAugmenter",
    "cyclegan-w": "labkit.augment.cyclegan:CycleGANWAugmenter",
    # waveform augmenters: training utterances' audio changed, then featurised again; see labkit.augment.waveform
    "wav-noise": "labkit.augment.waveform:WavNoise",
    "wav-band": "labkit.augment.waveform:WavBand",
    "wav-reverb": "labkit.augment.waveform:WavReverb",
    "wav-speed": "labkit.augment.waveform:WavSpeed",
    # known-answer oracles: new real utterances from the synthesizer (synthetic sources only); labkit.augment.oracle
    "oracle-speakers": "labkit.augment.oracle:OracleSpeakers",
    "oracle-population": "labkit.augment.oracle:OraclePopulation",
}


def register_augmenter(name: str, target: str) -> None:
    """Make ``make_augmenter(name)`` build ``target`` (``"package.module:ClassName"``)."""
    if ":" not in target:
        raise LabkitError(f"augmenter target {target!r} must look like 'package.module:ClassName'")
    AUGMENTERS[name] = target


def augmenter_class(name: str) -> type:
    """The class registered under `name` (imports its module)."""
    if name not in AUGMENTERS:
        raise LabkitError(f"unknown augmenter {name!r}; known: {', '.join(AUGMENTERS)}")
    module, cls = AUGMENTERS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def make_augmenter(name: str, **params):
    """Build the augmenter registered as `name` with `params` (e.g. sampling_strategy, random_state).

    Unknown parameters raise a LabkitError listing the ones the augmenter takes.
    """
    cls = augmenter_class(name)
    allowed = cls._get_param_names()
    bad = sorted(set(params) - set(allowed))
    if bad:
        raise LabkitError(f"augmenter {name!r} has no parameter {', '.join(bad)}; it takes: {', '.join(allowed)}")
    return cls(**params)


__all__ = ["AUGMENTERS", "augmenter_class", "make_augmenter", "register_augmenter"]
