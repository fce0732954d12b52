"""Regularised logistic regression, AUC and the label-free decision threshold behind the learned churn
model (part of the cadence engine; no Odoo import). Generic statistics on plain arrays: churn_model.py
says what the rows and features are."""

import numpy as np
from scipy import optimize, special, stats


def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), without overflow."""
    return special.expit(z)


def fit_logistic(X, y, l2=1.0, max_iter=200):
    """L2-regularised logistic regression fitted with L-BFGS on standardised inputs.

    ``X``: (n, d) float array, ``y``: (n,) 0/1. Columns are standardised to mean 0 / sd 1 (a
    constant column gets scale 1); the penalty ``l2``·||w||²/2 applies to the standardised
    weights, not to the intercept. Returns ``(intercept, weights, means, scales)`` or None when
    the optimiser fails."""
    X = np.asarray(X, dtype="float64")
    y = np.asarray(y, dtype="float64")
    n, d = X.shape
    means = X.mean(axis=0)
    scales = X.std(axis=0)
    scales = np.where(scales > 1e-12, scales, 1.0)
    Z = np.empty((n, d + 1))
    Z[:, 0] = 1.0
    Z[:, 1:] = (X - means) / scales
    penalty = np.r_[0.0, np.full(d, float(l2))] / n  # mean loss: the penalty is divided by n too

    def loss(w):
        z = Z @ w
        value = np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * np.dot(penalty * w, w)
        grad = Z.T @ (sigmoid(z) - y) / n + penalty * w
        return value, grad

    start = np.zeros(d + 1)
    rate = min(max(y.mean(), 1e-6), 1 - 1e-6)
    start[0] = np.log(rate / (1 - rate))
    res = optimize.minimize(
        loss, start, jac=True, method="L-BFGS-B", options={"maxiter": max_iter, "gtol": 1e-7, "ftol": 1e-12}
    )
    if not np.all(np.isfinite(res.x)):
        return None
    return float(res.x[0]), res.x[1:], means, scales


def auc_score(labels, scores):
    """Area under the ROC curve (Mann-Whitney, ties count half); NaN without both labels."""
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype="float64")
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    if not n_pos or not n_neg:
        return float("nan")
    ranks = stats.rankdata(scores)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def mcc_threshold(probabilities):
    """Probability threshold t* that maximises the Matthews correlation of the *expected*
    confusion counts, without labels: flag the k customers with the highest p; expected
    TP = Σp of those k, FP = k - TP, FN = Σp - TP, TN = N - k - FN, which simplifies to
    MCC(k) = (N·TP - k·Σp) / sqrt(k·Σp·(N - Σp)·(N - k)). Only cuts between distinct values are
    considered (ties are flagged together). Returns the smallest p among the flagged (so that
    ``p >= t*`` flags them); NaN when p is empty or constant."""
    p = np.sort(np.asarray(probabilities, dtype="float64"))[::-1]
    n = len(p)
    if n < 2 or p[0] == p[-1]:
        return float("nan")
    total = p.sum()
    k = np.arange(1, n + 1, dtype="float64")
    tp = np.cumsum(p)
    with np.errstate(invalid="ignore", divide="ignore"):
        mcc = (n * tp - k * total) / np.sqrt(k * total * (n - total) * (n - k))
    valid = np.r_[p[:-1] > p[1:], False]  # cut after the last of a tie group, never after everyone
    mcc = np.where(valid & np.isfinite(mcc), mcc, -np.inf)
    return float(p[int(np.argmax(mcc))])
