"""RFM scores and segments of the customers (part of the cadence engine; no Odoo import).

Recency and monetary quintiles by percentile rank among the whole base (ties share a score); frequency in
fixed occasion bands 1 / 2 / 3 / 4-5 / 6+, because quintiles break on ties (most customers have few
orders); the segment from the usual R × F grid (11 segments).
"""

import numpy as np

RFM_SEGMENTS = [
    "Champions",
    "Loyal",
    "Potential Loyalist",
    "New",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
    "Lost",
]
# segment of each (recency score, frequency score), rows R = 1..5, columns F = 1..5
_SEGMENT_GRID = [
    ["Lost", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"],
    ["Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"],
    ["About to Sleep", "About to Sleep", "Need Attention", "Loyal", "Loyal"],
    ["Promising", "Potential Loyalist", "Potential Loyalist", "Loyal", "Loyal"],
    ["New", "Potential Loyalist", "Potential Loyalist", "Champions", "Champions"],
]

# the score strings "111" to "555", indexed by (R - 1) * 25 + (F - 1) * 5 + (M - 1)
_SCORE_LABELS = np.array(
    ["%d%d%d" % (r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)], dtype=object
)


def percentile_rank(reference, values):
    """pandas' rank(method="average", pct=True) of ``values`` among the sorted ``reference`` (0-1]; a shard
    of customers is ranked against the whole base this way."""
    values = np.asarray(values)
    # searched in sorted order (numpy's binary search starts from the previous key's place: five times faster
    # for 100,000 customers against a million), then put back in the customers' order
    order = np.argsort(values, kind="stable")
    below, above = np.empty(len(values), "int64"), np.empty(len(values), "int64")
    below[order] = np.searchsorted(reference, values[order], side="left")
    above[order] = np.searchsorted(reference, values[order], side="right")
    return (below + (above - below + 1) / 2.0) / max(len(reference), 1)


def rfm_scores(recency, order_count, monetary):
    """R, F, M scores (int64, 1-5), the score string (e.g. '545') and the segment, from the percentile
    ranks of recency (-days silent) and of the total amount among the whole base, and the occasion count."""
    r = np.clip(np.ceil(recency * 5), 1, 5).astype("int64")
    m = np.clip(np.ceil(monetary * 5), 1, 5).astype("int64")
    f = np.select([order_count <= 1, order_count == 2, order_count == 3, order_count <= 5], [1, 2, 3, 4], 5).astype(
        "int64"
    )
    grid = np.array(_SEGMENT_GRID, dtype=object)
    segment = grid[r - 1, f - 1]
    score = _SCORE_LABELS[(r - 1) * 25 + (f - 1) * 5 + (m - 1)]
    return r, f, m, score, segment
