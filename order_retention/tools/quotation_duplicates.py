"""Pure grouping of duplicate quotations (no Odoo import).

Input quotations and confirmed orders are plain dicts; the result lists groups with a proposed keeper
and the rule that chose it. Keeper rule: a sent quotation beats a draft one, then the most recent wins.
"""

from dataclasses import dataclass, field
from datetime import timedelta

KIND_DUPLICATE = "duplicate"
KIND_PURCHASED = "purchased"
STATE_RANK = {"sent": 1, "draft": 0}
RULE_SENT = "sent_over_draft"
RULE_RECENT = "most_recent"
RULE_PURCHASED = "already_purchased"


@dataclass
class Quote:
    id: int
    customer: tuple  # (commercial partner id, company id)
    state: str  # draft | sent
    date: object  # datetime
    lines: dict  # product id -> total quantity


@dataclass
class Confirmed:
    id: int
    customer: tuple
    date: object
    products: frozenset


@dataclass
class Group:
    kind: str
    customer: tuple
    quote_ids: list
    keeper_id: int = False  # proposed quotation to keep (duplicates) or False
    purchased_order_id: int = False  # the confirmed order (already purchased)
    rule: str = ""
    extra: dict = field(default_factory=dict)


def signature(quote, compare_quantities=False):
    """Product set of a quotation (line order irrelevant), with quantities when asked."""
    if compare_quantities:
        return frozenset((pid, round(qty, 6)) for pid, qty in quote.lines.items())
    return frozenset(quote.lines)


def keeper_rank(quote):
    """Sort key of the proposed keeper: sent before draft, then the most recent, then the highest id."""
    return (STATE_RANK.get(quote.state, 0), quote.date, quote.id)


def keeper_rule(keeper, quotes):
    """Code of the rule that proposes ``keeper`` among ``quotes`` (explained to the user by the wizard)."""
    if keeper.state == "sent" and any(q.state == "draft" for q in quotes):
        return RULE_SENT
    return RULE_RECENT


def find_groups(quotes, confirmed, window_days, compare_quantities=False):
    """Groups of quotations to clean up.

    1. *Already purchased*: a quotation whose products are all in one confirmed order of the same customer
       (and company) dated within ``window_days`` of it.
    2. *Duplicates*: the remaining quotations of a customer with the same signature whose dates lie within
       ``window_days`` of the group's first one; groups of one are dropped.
    """
    window = timedelta(days=window_days)
    quotes = [q for q in quotes if q.lines]
    groups = []
    by_customer_confirmed = {}
    for order in confirmed:
        by_customer_confirmed.setdefault(order.customer, []).append(order)

    remaining = []
    purchased = {}
    for quote in quotes:
        products = frozenset(quote.lines)
        matches = [
            order
            for order in by_customer_confirmed.get(quote.customer, ())
            if products <= order.products and abs(order.date - quote.date) <= window
        ]
        if matches:
            best = min(matches, key=lambda o: (abs(o.date - quote.date), -o.id))
            purchased.setdefault((quote.customer, best.id), []).append(quote.id)
        else:
            remaining.append(quote)
    for (customer, order_id), quote_ids in purchased.items():
        groups.append(
            Group(KIND_PURCHASED, customer, sorted(quote_ids), purchased_order_id=order_id, rule=RULE_PURCHASED)
        )

    buckets = {}
    for quote in remaining:
        buckets.setdefault((quote.customer, signature(quote, compare_quantities)), []).append(quote)
    for (customer, _sig), members in buckets.items():
        members.sort(key=lambda q: (q.date, q.id))
        cluster = []
        for quote in members:
            if cluster and quote.date - cluster[0].date > window:
                _close(cluster, customer, groups)
                cluster = []
            cluster.append(quote)
        _close(cluster, customer, groups)
    groups.sort(key=lambda g: (g.customer, g.kind, g.quote_ids))
    return groups


def _close(cluster, customer, groups):
    if len(cluster) < 2:
        return
    keeper = max(cluster, key=keeper_rank)
    groups.append(
        Group(
            KIND_DUPLICATE,
            customer,
            sorted(q.id for q in cluster),
            keeper_id=keeper.id,
            rule=keeper_rule(keeper, cluster),
        )
    )
