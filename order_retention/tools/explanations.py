"""The explanation sentence of each customer, with its numbers (part of the cadence engine; no Odoo import).

One sentence per customer from templates the caller may translate (``CadenceParams.explanation_templates``,
keys as DEFAULT_TEMPLATES): the rhythm ("regular") or the peers' rhythm for a one-order customer ("single"),
then the warning ("missing") or the next expected order ("due"), then, when the learned churn model is used,
its probability ("churn"). Formatting is the only row-by-row step of the engine; the sentences are built from
the four possible template pairs and formatted once per customer.
"""

import numpy as np

DEFAULT_TEMPLATES = {
    "regular": "Usually orders every {gap}±{spread} days ({count} orders); silent for {days} days",
    "single": "Only one order so far ({last}); similar customers order every {gap} days; silent for {days} days",
    "missing": ", past the {warning}-day warning level: missing order.",
    "due": ", next order expected around {next}.",
    "churn": " Learned from your history: {chance}% chance of no order in the next {horizon} days.",
}


def explain(templates, count, gap, spread, days, warning, last, nxt, missing):
    """One sentence per customer from the (possibly translated) templates.

    ``count`` occasions, ``gap`` / ``spread`` / ``days`` / ``warning`` whole days, ``last`` / ``nxt`` ISO
    dates (strings), ``missing`` bools: arrays of one length. A customer with one occasion gets the
    "single" sentence, the others the "regular" one; "missing" or "due" ends it."""
    sentences = {
        (single, late): templates["single" if single else "regular"] + templates["missing" if late else "due"]
        for single in (False, True)
        for late in (False, True)
    }
    return [
        sentences[c <= 1, bool(mis)].format(gap=g, spread=s, count=c, days=d, last=lst, warning=w, next=n)
        for c, g, s, d, w, lst, n, mis in zip(
            count.tolist(),
            gap.tolist(),
            spread.tolist(),
            days.tolist(),
            warning.tolist(),
            last.tolist(),
            nxt.tolist(),
            missing.tolist(),
            strict=False,
        )
    ]


def with_churn_chance(sentences, templates, churn, horizon_days):
    """``sentences`` each followed by the learned churn probability (``churn``, 0-1, rounded to a whole
    percent) in the "churn" template, for ``horizon_days``; one formatting per distinct percent."""
    template = templates.get("churn", DEFAULT_TEMPLATES["churn"])
    chances = np.rint(churn * 100).astype("int64")
    endings = {c: template.format(chance=c, horizon=horizon_days) for c in np.unique(chances).tolist()}
    return [text + endings[c] for text, c in zip(sentences, chances.tolist(), strict=False)]
