"""``dnn-torch``: labkit's DNN (`labkit.experiment.classifiers.MLPClassifier`) trained as stacked replicas.

`TorchDNNClassifier` is the ``mlp`` classifier with the training loop rewritten so that R networks
of the same shape train as one: every weight has a leading replica dimension, (R, in, out), the
layers are ``torch.baddbmm`` over it, and Adam runs on the stacked tensors. One fit is R = 1;
`fit_many` fits R at once: several L2 strengths (a tuning grid), several folds, or both, each replica
with its own rows, seed, early stopping and best epoch. It is a scikit-learn estimator (fit /
predict / predict_proba / get_params / set_params, clone-able, scikit-learn's estimator checks:
tests/test_torch_dnn.py) made by ``make_classifier("dnn-torch")``.

What matches ``mlp`` (the same parameters, names and defaults: `labkit.experiment.classifiers.MLPConfig`)
------------------------------------------------------------------------------------------------------
* Architecture: ``n_layers`` hidden layers of ``hidden`` units (2 x 800), leaky ReLU (slope 0.01),
  a linear output layer, softmax probabilities; Xavier-uniform weights and zero biases, drawn from a
  ``torch.Generator`` seeded with ``random_state`` in the same order (layer by layer).
* L2: ``weight_decay`` as in ``torch.optim.Adam`` (coupled: ``weight_decay * w`` added to every
  gradient, biases included), the parameter ``--tune`` searches (`TUNING_GRIDS["mlp"]`).
* Optimiser: Adam, ``lr`` 1e-3, betas (0.9, 0.999), eps 1e-8, the update written out as
  ``torch.optim.Adam`` computes it (bias-corrected moments, ``eps`` added after the square root).
* Minibatches of ``batch_size`` (64) in a fresh ``torch.randperm`` order every epoch (same generator);
  the last batch is the remainder.
* Early stopping: the same stratified ``val_fraction`` split (same numpy generator and rule), the
  weights of the lowest validation cross-entropy kept, stop after ``patience`` epochs without an
  improvement of 1e-6, at most ``max_epochs``; without validation rows, the epoch's training loss.
* Training on one CPU thread (restored afterwards), input validation and its errors: inherited.

So with the same data and ``random_state``, ``dnn-torch`` draws the same initial weights, split and
batch orders as ``mlp`` and takes the same steps; results agree up to float rounding (batched matmul
against ``F.linear``), which can grow over many steps (tests/test_torch_dnn.py measures it).

What differs
------------
* Replicas: `fit_many` trains R networks in one loop (per-replica rows, seeds, L2 strength). A
  replica that stops early leaves the stack (its parameters and Adam moments are dropped), so the
  others do not pay for it. Rows of replicas with different sizes are padded to the largest batch
  and the padding is weighted 0 in the loss, so each replica's loss is its own batch mean.
* All replicas of `fit_many` share the architecture, ``lr``, ``batch_size``, ``max_epochs``,
  ``patience``, ``val_fraction`` and need the same number of classes (the output layers are stacked).
* Unlike scikit-learn's ``MLPClassifier``: L2 is Adam's coupled weight decay on weights and biases
  (scikit-learn's ``alpha`` penalises weights only, scaled by the batch), the activation is leaky ReLU
  (scikit-learn has none), early stopping keeps the best epoch's weights on validation *loss*
  (scikit-learn's ``early_stopping`` scores validation accuracy and keeps the best weights too).
"""

from __future__ import annotations

import math

import numpy as np

from labkit.experiment.classifiers import ClassifierInputError, MLPClassifier

BETAS = (0.9, 0.999)  # torch.optim.Adam's defaults, as ``mlp`` uses them
EPS = 1e-8


class TorchDNNClassifier(MLPClassifier):
    """``mlp``'s DNN (same parameters and semantics) trained by the stacked loop of `fit_many` (R = 1).

    Parameters and attributes: those of `labkit.experiment.classifiers.MLPClassifier`.
    """

    _name = "dnn-torch"  # the registry name its error messages give

    def _fit(self, X, y):
        # X (n, d) float32 and y (n,) as the inherited `fit` validated them
        _train_stack([self], [X], [y])
        return self


def fit_many(Xs, ys, weight_decays=None, random_states=None, **params) -> list[TorchDNNClassifier]:
    """Fit R `TorchDNNClassifier` replicas as one stacked network; replica r equals its own fit.

    Parameters
    ----------
    Xs : R arrays (n_r, d) of the same d (e.g. the same fold R times, or R folds)
    ys : R arrays (n_r,) of labels, each with the same number of classes
    weight_decays : R L2 strengths (default: ``params``' or the default one for every replica)
    random_states : R seeds (default: ``params``' ``random_state``, 0, for every replica)
    params : the other `TorchDNNClassifier` parameters, shared by every replica

    Returns
    -------
    R fitted classifiers, in the order given.
    """
    import torch
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import validate_data

    R = len(Xs)
    if R == 0 or len(ys) != R:
        raise ClassifierInputError(f"fit_many: need as many label arrays as row arrays (got {R} and {len(ys)})")
    wds = list(weight_decays) if weight_decays is not None else [params.get("weight_decay")] * R
    seeds = list(random_states) if random_states is not None else [params.get("random_state", 0)] * R
    if len(wds) != R or len(seeds) != R:
        raise ClassifierInputError(f"fit_many: {R} replicas need {R} weight_decays and random_states")
    base = {k: v for k, v in params.items() if k not in ("weight_decay", "random_state")}
    models, data, labels = [], [], []
    for X, y, wd, seed in zip(Xs, ys, wds, seeds):
        kw = dict(base, random_state=seed) | ({} if wd is None else {"weight_decay": wd})
        m = TorchDNNClassifier(**kw).check_params()
        try:
            X, y = validate_data(m, X, y, dtype=np.float32, accept_sparse=False)
            check_classification_targets(y)
        except (ValueError, TypeError) as err:
            raise ClassifierInputError(f"classifier 'dnn-torch': {err}") from None
        models.append(m)
        data.append(X)
        labels.append(y)
    threads = torch.get_num_threads()
    try:
        if torch.device(_device(models[0])).type == "cpu":
            torch.set_num_threads(1)
        _train_stack(models, data, labels)
    finally:
        torch.set_num_threads(threads)
    return models


def _device(model):
    from labkit.utils import pick_device

    return pick_device(model.device)


def _train_stack(models: list[TorchDNNClassifier], Xs: list[np.ndarray], ys: list[np.ndarray]) -> None:
    """Train every model of `models` on its (X, y) as one stacked network; sets their fitted attributes."""
    import torch
    import torch.nn.functional as F

    first = models[0]
    device = _device(first)
    R, d = len(models), Xs[0].shape[1]
    if any(X.shape[1] != d for X in Xs):
        raise ClassifierInputError(f"fit_many: every replica needs the same number of features ({d})")

    # ---- per replica: classes, generators, validation split, rows on the device
    reps = []
    for m, X, y in zip(models, Xs, ys):
        m.classes_, y_idx = np.unique(y, return_inverse=True)
        if len(m.classes_) < 2:
            raise ClassifierInputError(f"MLPClassifier: need at least 2 classes, got 1 class ({m.classes_.tolist()})")
        m.device_ = str(device)
        rng = np.random.default_rng(m.random_state)
        gen = torch.Generator().manual_seed(int(m.random_state))
        weights = _init_weights(d, len(m.classes_), m.hidden, m.n_layers, gen)  # drawn before the split, as mlp
        is_val = m._val_split(y_idx, rng) if m.val_fraction > 0 else np.zeros(len(y), dtype=bool)
        reps.append(
            {
                "model": m,
                "gen": gen,
                "weights": weights,
                "X_tr": torch.tensor(X[~is_val], device=device),  # (n_tr, d)
                "y_tr": torch.tensor(y_idx[~is_val], dtype=torch.long, device=device),
                "X_va": torch.tensor(X[is_val], device=device),  # (n_va, d)
                "y_va": torch.tensor(y_idx[is_val], dtype=torch.long, device=device),
                "best": (float("inf"), None),
                "bad": 0,
                "history": [],
            }
        )
    n_classes = {len(r["model"].classes_) for r in reps}
    if len(n_classes) > 1:
        raise ClassifierInputError(f"fit_many: every replica needs the same number of classes, got {sorted(n_classes)}")

    # ---- stacked parameters: weights (R, in, out), biases (R, 1, out); Adam moments of the same shapes
    n_params = len(reps[0]["weights"])
    params = [torch.stack([r["weights"][i] for r in reps]).to(device).requires_grad_() for i in range(n_params)]
    m1 = [torch.zeros_like(p) for p in params]
    m2 = [torch.zeros_like(p) for p in params]
    wd = torch.tensor([r["model"].weight_decay for r in reps], device=device, dtype=torch.float32)
    alive = list(range(R))  # replica index of each stack row
    lr, bs, slope = first.lr, first.batch_size, first.negative_slope

    for epoch in range(first.max_epochs):
        # ---- train one epoch: step s takes batch s of every live replica that still has one
        orders = [torch.randperm(len(reps[i]["X_tr"]), generator=reps[i]["gen"]).to(device) for i in alive]
        totals = torch.zeros(len(alive), device=device)
        n_steps = max(math.ceil(len(o) / bs) for o in orders)
        for s in range(n_steps):
            rows = [j for j, o in enumerate(orders) if len(o) > s * bs]  # stack rows with a batch at s
            batches = [orders[j][s * bs : (s + 1) * bs] for j in rows]
            xb, yb, wb = _pad(
                [reps[alive[j]]["X_tr"][b] for j, b in zip(rows, batches)],
                [reps[alive[j]]["y_tr"][b] for j, b in zip(rows, batches)],
            )
            sub = params if len(rows) == len(alive) else [p[rows] for p in params]
            logits = _forward(sub, xb, slope)  # (R_s, B, K)
            ce = F.cross_entropy(logits.flatten(0, 1), yb.flatten(), reduction="none").view_as(wb)  # (R_s, B)
            losses = (ce * wb).sum(1) / wb.sum(1)  # (R_s,) each replica's batch mean
            grads = torch.autograd.grad(losses.sum(), params)
            with torch.no_grad():
                _adam(params, grads, m1, m2, wd, rows if len(rows) < len(alive) else None, lr, reps, alive)
                totals[rows] += losses.detach() * wb.sum(1)
        train_loss = (totals / torch.tensor([len(o) for o in orders], device=device)).tolist()

        # ---- early stopping per replica, on its validation rows (or the epoch's training loss)
        with torch.no_grad():
            val = _val_losses(params, [reps[i] for i in alive], slope, train_loss)
        stopped = []
        for j, i in enumerate(alive):
            r = reps[i]
            r["history"].append({"epoch": epoch, "train_loss": train_loss[j], "val_loss": val[j]})
            if val[j] < r["best"][0] - 1e-6:
                r["best"], r["bad"] = (val[j], [p[j].detach().clone() for p in params]), 0
            else:
                r["bad"] += 1
                if r["bad"] >= r["model"].patience:
                    stopped.append(j)
            r["epochs"] = epoch + 1
        if stopped:  # stopped replicas leave the stack with their Adam moments
            keep = [j for j in range(len(alive)) if j not in stopped]
            if not keep:
                break
            with torch.no_grad():
                params = [p[keep].detach().clone().requires_grad_() for p in params]
                m1 = [m[keep] for m in m1]
                m2 = [m[keep] for m in m2]
                wd = wd[keep]
            alive = [alive[j] for j in keep]

    # ---- every replica: its best weights as an nn.Sequential (what the inherited predict_proba uses)
    for r in reps:
        m = r["model"]
        net = m._build(d, len(m.classes_), torch.Generator().manual_seed(0)).to(device)
        linears = [layer for layer in net if isinstance(layer, torch.nn.Linear)]
        best = r["best"][1] or [p.detach()[alive.index(reps.index(r))] for p in params]  # no finite loss: last
        with torch.no_grad():
            for k, layer in enumerate(linears):
                layer.weight.copy_(best[2 * k].transpose(0, 1))  # stored (in, out) -> (out, in)
                layer.bias.copy_(best[2 * k + 1].view(-1))
        net.eval()
        m.net_, m.n_epochs_, m.history_ = net, r["epochs"], r["history"]


def _init_weights(d: int, k: int, hidden: int, n_layers: int, gen) -> list:
    """One replica's [W (in, out), b (1, out)] per layer: Xavier-uniform weights, zero biases (as mlp)."""
    import torch

    out, width = [], d
    for fan_out in [hidden] * n_layers + [k]:
        bound = math.sqrt(6.0 / (width + fan_out))
        W = torch.empty(fan_out, width).uniform_(-bound, bound, generator=gen)  # nn.init.xavier_uniform_'s draw
        out += [W.t().contiguous(), torch.zeros(1, fan_out)]
        width = fan_out
    return out


def _forward(params, x, slope: float):
    """Logits (R, B, K) of stacked networks `params` on rows x (R, B, d)."""
    import torch
    import torch.nn.functional as F

    h = x
    n = len(params) // 2
    for k in range(n):
        h = torch.baddbmm(params[2 * k + 1], h, params[2 * k])  # (R, B, out)
        if k < n - 1:
            h = F.leaky_relu(h, slope)
    return h


def _pad(xs, ys):
    """Stack R batches of different lengths: x (R, B, d), y (R, B), weight (R, B) 1 on real rows."""
    import torch

    B = max(len(x) for x in xs)
    if all(len(x) == B for x in xs):
        return torch.stack(xs), torch.stack(ys), torch.ones(len(xs), B, device=xs[0].device)
    X = xs[0].new_zeros(len(xs), B, xs[0].shape[1])
    Y = ys[0].new_zeros(len(xs), B)
    W = xs[0].new_zeros(len(xs), B)
    for j, (x, y) in enumerate(zip(xs, ys)):
        X[j, : len(x)], Y[j, : len(y)], W[j, : len(x)] = x, y, 1.0
    return X, Y, W


def _adam(params, grads, m1, m2, wd, rows, lr, reps, alive) -> None:
    """One Adam step (torch.optim.Adam's arithmetic, coupled weight decay) on every stack row, or on `rows`.

    Each replica counts its own steps (a replica without a batch at this step does not step), so its
    bias correction is the one its separate fit would use.
    """
    import torch

    idx = range(len(alive)) if rows is None else rows
    for j in idx:
        reps[alive[j]]["steps"] = reps[alive[j]].get("steps", 0) + 1
    t = torch.tensor([reps[alive[j]]["steps"] for j in idx], device=wd.device, dtype=torch.float32)
    b1, b2 = BETAS
    bc1 = (1 - b1**t).view(-1, 1, 1)
    bc2_sqrt = (1 - b2**t).sqrt().view(-1, 1, 1)
    w = wd if rows is None else wd[rows]
    for p, g, m, v in zip(params, grads, m1, m2):
        if rows is None:
            pr, mr, vr = p, m, v
        else:
            pr, mr, vr = p[rows], m[rows], v[rows]
        g = g if rows is None else g[rows]
        g = g + w.view(-1, 1, 1) * pr
        mr = mr.mul(b1).add_(g, alpha=1 - b1)
        vr = vr.mul(b2).addcmul_(g, g, value=1 - b2)
        new = pr - (lr / bc1) * mr / (vr.sqrt() / bc2_sqrt + EPS)
        if rows is None:
            p.copy_(new)
            m.copy_(mr)
            v.copy_(vr)
        else:
            p[rows], m[rows], v[rows] = new, mr, vr


def _val_losses(params, reps, slope: float, train_loss: list[float]) -> list[float]:
    """Each live replica's validation cross-entropy (its training loss when it has no validation rows)."""
    import torch.nn.functional as F

    out = list(train_loss)
    has = [j for j, r in enumerate(reps) if len(r["X_va"])]
    if has:
        xb, yb, wb = _pad([reps[j]["X_va"] for j in has], [reps[j]["y_va"] for j in has])
        logits = _forward([p[has] for p in params], xb, slope)
        ce = F.cross_entropy(logits.flatten(0, 1), yb.flatten(), reduction="none").view_as(wb)
        for j, v in zip(has, ((ce * wb).sum(1) / wb.sum(1)).tolist()):
            out[j] = v
    return out
