"""Explicit training loops for the models in `labkit.models`, writing to the run store.

* `labkit.trainers.aaec`: Algorithm 1 of AAEC, Figure 5 recording, checkpoints and resuming.

Nothing is imported here, so ``import labkit.trainers`` does not pull in torch.
"""
