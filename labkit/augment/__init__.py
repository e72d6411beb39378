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


def check_params(name: str, params: dict) -> None:
    """Refuse, before anything runs, parameters augmenter `name` does not have or values it cannot take.

    Names are checked against the class's ``__init__``; values against its ``_parameter_constraints``
    (scikit-learn's parameter validation: type, finiteness, range), so ``scale="abc"``, ``scale=nan``,
    ``scale=1e300`` and ``k_neighbors=2.5`` (an integer parameter) are refused, not taken as 2. A
    boolean is refused where a number is wanted, and a ``device`` this machine lacks
    (`labkit.utils.pick_device`). Raises a `LabkitError` naming ``name.parameter=value``
    (what ``--param`` takes), with scikit-learn's description of what the parameter must be.
    """
    from sklearn.utils._param_validation import InvalidParameterError, validate_parameter_constraints

    cls = augmenter_class(name)
    allowed = cls._get_param_names()
    bad = sorted(set(params) - set(allowed))
    if bad:
        raise LabkitError(f"augmenter {name!r} has no parameter {', '.join(bad)}; it takes: {', '.join(allowed)}")
    constraints = getattr(cls, "_parameter_constraints", {})
    for key, value in params.items():
        if key not in constraints:
            continue
        rule = constraints[key]
        try:
            if isinstance(value, bool) and rule != "no_validation" and "boolean" not in rule and bool not in rule:
                raise InvalidParameterError(
                    f"The {key!r} parameter of {cls.__name__} takes no boolean. Got {value!r} instead."
                )
            validate_parameter_constraints({key: rule}, {key: value}, caller_name=cls.__name__)
        except InvalidParameterError as err:
            raise LabkitError(f"augmenter parameter {name}.{key}={value!r} refused: {err}") from None
        if key == "device" and value not in (None, "", "auto"):  # a device this machine lacks, now
            from labkit.utils import pick_device

            try:
                pick_device(value)
            except LabkitError as err:
                raise LabkitError(f"augmenter parameter {name}.{key}={value!r} refused: {err}") from None


def make_augmenter(name: str, **params):
    """Build the augmenter registered as `name` with `params` (e.g. sampling_strategy, random_state).

    The parameters are checked first (`check_params`): an unknown name or a value out of type or range
    raises a LabkitError naming it.
    """
    check_params(name, params)
    return augmenter_class(name)(**params)


__all__ = ["AUGMENTERS", "augmenter_class", "check_params", "make_augmenter", "register_augmenter"]
