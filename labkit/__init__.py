"""labkit: an open lab for GAN and adversarial-autoencoder data augmentation in speech emotion recognition.

Sub-packages
------------
data         embedded synthetic corpus, real-corpus loaders, audio reading
features     power spectrogram, log-mel and openSMILE functionals, cached on disk
experiment   protocols, metrics, classifiers, the comparison runner
augment      the augmenter interface and the classical baselines
models       one file per paper model (config dataclass, modules, losses)
trainers     explicit training loops for the models
viz          projections and coverage metrics read by the dashboard
runstore     the one run store every experiment writes and the dashboard reads

Nothing heavy is imported here: `import labkit` is cheap.
"""

__version__ = "0.1.0"
