"""Explicit training loops for the models in `labkit.models`, one per paper, on one contract.

* `labkit.trainers.common`: the contract every loop follows (`TrainResult`, the ``on_epoch`` hook,
  `Checkpoint`, `Streams` seeding, the caller's device) and the pieces the loops share.
* `labkit.trainers.aaec`: Algorithm 1 of AAEC.
* `labkit.trainers.codevector`: the (conditional) AAEs of the enriched code vector.
* `labkit.trainers.sahu`: Sahu et al.'s 2-D AAE, vanilla GAN and conditional GAN.
* `labkit.trainers.cyclegan`: Shilandari et al.'s per-emotion cycle-GANs.

Nothing is imported here, so ``import labkit.trainers`` does not pull in torch.
"""
