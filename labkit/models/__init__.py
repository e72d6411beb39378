"""One module per paper model: a config dataclass, the modules, the losses and size presets.

* `labkit.models.aaec`: AAEC (Fu et al., MuSe 2020), an adversarial-autoencoder-based classifier.

Nothing is imported here, so ``import labkit.models`` does not pull in torch.
"""
