"""Who gets the free slots of a salesperson's retention-call queue (pure Python, no Odoo).

A call is worth what the customer brings back if it works: the **value at risk** (annual value x churn
probability) times the chance that a call wins the customer back. That chance falls with the silence: a
customer who stopped ordering two months ago is far likelier to come back than one gone for three years.
It is read per *silence band* (days since the last order), so a customer's priority moves only when they
cross into the next band, not every night.

* ``DEFAULT_WINBACK`` is the curve used until the company has its own history: roughly what B2B win-back
  studies report (a third of fresh lapses come back when called, a few percent after two years).
* ``learn_winback_rates`` replaces it with the company's own win-back rate per band, from its past
  retention calls whose 90-day window is over, once there are at least ``MIN_CALLS`` such calls and
  ``MIN_WINBACKS`` win-backs among them. Each band's rate is shrunk toward the default curve by
  ``PRIOR_WEIGHT`` pseudo-calls, so a band with few calls keeps a sensible value.
* ``allocate`` fills each salesperson's free slots with their best-scored waiting customers.
"""

import bisect
import math
from dataclasses import dataclass

# silence bands: [0, 90), [90, 180), [180, 365), [365, 730), [730, inf) days since the last order
BAND_LIMITS = (90, 180, 365, 730)
DEFAULT_WINBACK = (0.30, 0.20, 0.12, 0.06, 0.03)
MIN_CALLS = 200
MIN_WINBACKS = 20
PRIOR_WEIGHT = 20.0
WINBACK_WINDOW_DAYS = 90


def band(days_silent):
    """Index of the silence band of ``days_silent`` (None or negative count as 0 days)."""
    return bisect.bisect_right(BAND_LIMITS, max(int(days_silent or 0), 0))


def band_label(index):
    """Human label of a silence band, e.g. '90-179 days'."""
    low = 0 if index == 0 else BAND_LIMITS[index - 1]
    if index >= len(BAND_LIMITS):
        return "%d+ days" % low
    return "%d-%d days" % (low, BAND_LIMITS[index] - 1)


@dataclass(frozen=True)
class WinbackRates:
    """The win-back chance per silence band and where it comes from."""

    rates: tuple
    learned: bool
    calls: int = 0
    winbacks: int = 0

    def chance(self, days_silent):
        return self.rates[band(days_silent)]


def learn_winback_rates(samples, min_calls=MIN_CALLS, min_winbacks=MIN_WINBACKS, prior=DEFAULT_WINBACK):
    """``samples``: iterable of (days silent at the call, won back within the window: bool), one per past
    retention call whose window is over. Returns WinbackRates, learned when there is enough history."""
    calls = [0] * len(prior)
    wins = [0] * len(prior)
    for days_silent, won in samples:
        i = band(days_silent)
        calls[i] += 1
        wins[i] += bool(won)
    total, total_wins = sum(calls), sum(wins)
    if total < min_calls or total_wins < min_winbacks:
        return WinbackRates(tuple(prior), False, total, total_wins)
    rates = tuple((wins[i] + PRIOR_WEIGHT * prior[i]) / (calls[i] + PRIOR_WEIGHT) for i in range(len(prior)))
    return WinbackRates(rates, True, total, total_wins)


def priority(value_at_risk, days_silent, rates):
    """What a call to this customer is worth: value at risk x win-back chance (never negative; a value that is
    not a finite number counts as 0: a NaN worth would make the queue's order depend on the reading order)."""
    value = float(value_at_risk or 0.0)
    return max(value, 0.0) * rates.chance(days_silent) if math.isfinite(value) else 0.0


def allocate(candidates, free_slots):
    """``candidates``: iterable of (customer id, assignee id, priority); ``free_slots``: {assignee id: n}.
    Returns (chosen, ranks): chosen = {assignee: [customer ids, best first]} with at most n each;
    ranks = {customer id: (rank among that assignee's waiting customers, 1 = best; count waiting)} for
    every candidate, ranked before any was chosen. Ties go to the smaller customer id (stable)."""
    queues = {}
    for customer, assignee, prio in candidates:
        queues.setdefault(assignee, []).append((-float(prio), customer))
    chosen, ranks = {}, {}
    for assignee, queue in queues.items():
        queue.sort()
        for position, (_p, customer) in enumerate(queue, 1):
            ranks[customer] = (position, len(queue))
        slots = max(int(free_slots.get(assignee, 0)), 0)
        if slots:
            chosen[assignee] = [customer for _p, customer in queue[:slots]]
    return chosen, ranks
