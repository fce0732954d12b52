"""The pure engine of the retention-call queue (tools/queue_priority.py): silence bands, the win-back chance
(default curve, or learned from the company's calls once there are enough, shrunk toward the default), the call
worth, and ``allocate`` (property tests with hypothesis: never more than the free slots, exactly the best of each
queue, ranks 1..n, the same answer whatever the input order)."""

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import BaseCase, tagged

from ..tools import queue_priority as qp

# reproducible in CI: no example database, derandomized, no deadline (a loaded machine is not a bug)
PROPERTIES = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
ASSIGNEES = st.sampled_from([7, 8, 9, 10])
PRIORITIES = st.one_of(
    st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, 1.0, 1.0, 50.0, 50.0, float("inf")]),  # ties, and the cancelled win-back's +inf
)


@st.composite
def queues(draw):
    """(candidates, free_slots): unique customer ids, a few assignees (some without a slot entry), slots
    between -3 and 12 (a queue over capacity has negative free slots)."""
    customers = draw(st.lists(st.integers(min_value=1, max_value=10**6), unique=True, max_size=60))
    candidates = [(customer, draw(ASSIGNEES), draw(PRIORITIES)) for customer in customers]
    free = draw(st.dictionaries(ASSIGNEES, st.integers(min_value=-3, max_value=12), max_size=4))
    return candidates, free


def _queues_of(candidates):
    by_assignee = {}
    for customer, assignee, prio in candidates:
        by_assignee.setdefault(assignee, []).append((customer, prio))
    return by_assignee


@tagged("post_install", "-at_install", "order_retention")
class TestQueuePriorityBands(BaseCase):
    def test_band_limits(self):
        """Bands [0, 90), [90, 180), [180, 365), [365, 730), [730, inf); None and negatives count as 0 days."""
        cases = {
            None: 0,
            -5: 0,
            0: 0,
            89: 0,
            90: 1,
            179: 1,
            180: 2,
            364: 2,
            365: 3,
            729: 3,
            730: 4,
            10**6: 4,
        }
        for days, expected in cases.items():
            with self.subTest(days=days):
                self.assertEqual(qp.band(days), expected)

    def test_band_labels(self):
        """Each band is named by its first and last day; the last one is open-ended."""
        self.assertEqual(
            [qp.band_label(i) for i in range(len(qp.BAND_LIMITS) + 1)],
            ["0-89 days", "90-179 days", "180-364 days", "365-729 days", "730+ days"],
        )

    def test_default_curve_falls_with_the_silence(self):
        """The default win-back chance falls band after band and is a probability."""
        curve = qp.DEFAULT_WINBACK
        self.assertEqual(len(curve), len(qp.BAND_LIMITS) + 1)
        self.assertTrue(all(0 < rate < 1 for rate in curve))
        self.assertTrue(all(a > b for a, b in zip(curve, curve[1:], strict=False)))

    def test_priority(self):
        """Call worth = value at risk x the band's chance; never negative, None counts as 0."""
        rates = qp.learn_winback_rates([])
        self.assertAlmostEqual(qp.priority(1000, 30, rates), 300.0)
        self.assertAlmostEqual(qp.priority(1000, 100, rates), 200.0)
        self.assertAlmostEqual(qp.priority(1000, 800, rates), 30.0)
        self.assertEqual(qp.priority(-500, 30, rates), 0.0)
        self.assertEqual(qp.priority(None, 30, rates), 0.0)
        self.assertEqual(qp.priority(1000, None, rates), 300.0)

    @PROPERTIES
    @given(
        value=st.floats(allow_nan=True, allow_infinity=True),
        days=st.one_of(st.none(), st.integers(min_value=-(10**6), max_value=10**6)),
    )
    def test_priority_property(self, value, days):
        """Whatever the value at risk (negative, huge, NaN), the call worth is a number >= 0 that sorts: a NaN
        would make the queue's order depend on the order the customers were read in."""
        prio = qp.priority(value, days, qp.learn_winback_rates([]))
        self.assertFalse(math.isnan(prio), "NaN call worth for value %r" % value)
        self.assertGreaterEqual(prio, 0.0)


@tagged("post_install", "-at_install", "order_retention")
class TestQueuePriorityLearning(BaseCase):
    @staticmethod
    def _samples(per_band):
        """per_band: {band index: (calls, win-backs)} -> samples (days silent, won) in that band."""
        days = {0: 30, 1: 120, 2: 200, 3: 400, 4: 900}
        samples = []
        for index, (calls, wins) in per_band.items():
            samples += [(days[index], i < wins) for i in range(calls)]
        return samples

    def test_default_until_enough_calls(self):
        """Fewer than MIN_CALLS calls: the default curve, not learned, with the counts."""
        rates = qp.learn_winback_rates(self._samples({0: (qp.MIN_CALLS - 1, 100)}))
        self.assertFalse(rates.learned)
        self.assertEqual(rates.rates, qp.DEFAULT_WINBACK)
        self.assertEqual((rates.calls, rates.winbacks), (qp.MIN_CALLS - 1, 100))

    def test_default_until_enough_winbacks(self):
        """Enough calls but fewer than MIN_WINBACKS win-backs: still the default curve."""
        rates = qp.learn_winback_rates(self._samples({0: (500, qp.MIN_WINBACKS - 1)}))
        self.assertFalse(rates.learned)
        self.assertEqual(rates.rates, qp.DEFAULT_WINBACK)

    def test_learned_at_the_thresholds(self):
        """Exactly MIN_CALLS calls and MIN_WINBACKS win-backs: learned, each band shrunk toward the default by
        PRIOR_WEIGHT pseudo-calls; a band without calls keeps the default exactly."""
        rates = qp.learn_winback_rates(self._samples({0: (150, 5), 3: (50, 15)}))
        self.assertTrue(rates.learned)
        self.assertEqual((rates.calls, rates.winbacks), (qp.MIN_CALLS, qp.MIN_WINBACKS))
        w = qp.PRIOR_WEIGHT
        self.assertAlmostEqual(rates.rates[0], (5 + w * 0.30) / (150 + w))
        self.assertAlmostEqual(rates.rates[3], (15 + w * 0.06) / (50 + w))
        for index in (1, 2, 4):
            self.assertEqual(rates.rates[index], qp.DEFAULT_WINBACK[index])
        # the company's history reorders the bands: a year-long silence now beats a fresh lapse
        self.assertGreater(rates.chance(400), rates.chance(30))

    def test_learned_chance_follows_the_history(self):
        """A band with many calls ends close to its observed rate (the prior weighs little)."""
        rates = qp.learn_winback_rates(self._samples({1: (10_000, 5_000)}))
        self.assertAlmostEqual(rates.rates[1], 0.5, places=2)

    @PROPERTIES
    @given(
        st.lists(
            st.tuples(st.one_of(st.none(), st.integers(min_value=-50, max_value=3000)), st.booleans()),
            max_size=400,
        )
    )
    def test_learned_rates_property(self, samples):
        """Every rate is a probability, between the default and the band's observed rate (shrinkage); learned
        exactly when both thresholds are met."""
        rates = qp.learn_winback_rates(samples)
        calls = len(samples)
        wins = sum(bool(won) for _d, won in samples)
        self.assertEqual(rates.learned, calls >= qp.MIN_CALLS and wins >= qp.MIN_WINBACKS)
        self.assertEqual((rates.calls, rates.winbacks), (calls, wins))
        for index, rate in enumerate(rates.rates):
            self.assertGreaterEqual(rate, 0.0)
            self.assertLessEqual(rate, 1.0)
            in_band = [won for days, won in samples if qp.band(days) == index]
            if rates.learned and in_band:
                observed = sum(in_band) / len(in_band)
                low, high = sorted((observed, qp.DEFAULT_WINBACK[index]))
                self.assertGreaterEqual(rate, low - 1e-12)
                self.assertLessEqual(rate, high + 1e-12)
            elif not rates.learned or not in_band:
                self.assertEqual(rate, qp.DEFAULT_WINBACK[index])


@tagged("post_install", "-at_install", "order_retention")
class TestQueuePriorityAllocate(BaseCase):
    def test_allocate_example(self):
        """Two queues: the free slots go to the best of each; ranks count every candidate of the queue."""
        candidates = [(1, 7, 10.0), (2, 7, 30.0), (3, 7, 20.0), (4, 8, 5.0), (5, 8, 50.0), (6, 9, 1.0)]
        chosen, ranks = qp.allocate(candidates, {7: 2, 8: 0, 9: -1})
        self.assertEqual(chosen, {7: [2, 3]})
        self.assertEqual(ranks, {2: (1, 3), 3: (2, 3), 1: (3, 3), 5: (1, 2), 4: (2, 2), 6: (1, 1)})

    def test_allocate_ties_and_infinity(self):
        """Equal worth: the smaller customer id first; +inf (a cancelled win-back) before anything."""
        chosen, ranks = qp.allocate([(30, 7, 5.0), (10, 7, 5.0), (20, 7, 5.0), (40, 7, float("inf"))], {7: 2})
        self.assertEqual(chosen, {7: [40, 10]})
        self.assertEqual(ranks[20], (3, 4))

    def test_allocate_nothing(self):
        self.assertEqual(qp.allocate([], {7: 5}), ({}, {}))

    @PROPERTIES
    @given(queues())
    def test_never_more_than_free_slots(self, queue):
        """Nobody gets more than their free slots (none when the slots are <= 0 or unknown), and a queue with
        free slots is filled as far as it has candidates."""
        candidates, free = queue
        chosen, _ranks = qp.allocate(candidates, free)
        sizes = {a: len(q) for a, q in _queues_of(candidates).items()}
        for assignee, size in sizes.items():
            slots = max(free.get(assignee, 0), 0)
            self.assertEqual(len(chosen.get(assignee, [])), min(slots, size))
        self.assertLessEqual(set(chosen), set(sizes))

    @PROPERTIES
    @given(queues())
    def test_chosen_are_the_best(self, queue):
        """The chosen of a queue are exactly its top customers by worth (ties to the smaller id), best first;
        no waiting customer of that queue is worth more than a chosen one."""
        candidates, free = queue
        chosen, _ranks = qp.allocate(candidates, free)
        for assignee, members in _queues_of(candidates).items():
            picked = chosen.get(assignee, [])
            expected = [c for c, _p in sorted(members, key=lambda m: (-m[1], m[0]))][: len(picked)]
            self.assertEqual(picked, expected)
            worth = dict(members)
            waiting = [worth[c] for c, _p in members if c not in picked]
            if picked and waiting:
                self.assertGreaterEqual(min(worth[c] for c in picked), max(waiting))

    @PROPERTIES
    @given(queues())
    def test_ranks_are_one_to_n(self, queue):
        """Every candidate is ranked; in each queue the ranks are 1..n, each with the queue size n, in the
        order of worth."""
        candidates, free = queue
        _chosen, ranks = qp.allocate(candidates, free)
        self.assertEqual(set(ranks), {c for c, _a, _p in candidates})
        for members in _queues_of(candidates).values():
            n = len(members)
            self.assertEqual(sorted(ranks[c][0] for c, _p in members), list(range(1, n + 1)))
            self.assertTrue(all(ranks[c][1] == n for c, _p in members))
            by_rank = sorted(members, key=lambda m: ranks[m[0]][0])
            self.assertTrue(all(a[1] >= b[1] for a, b in zip(by_rank, by_rank[1:], strict=False)))

    @PROPERTIES
    @given(queues(), st.randoms(use_true_random=False))
    def test_deterministic_under_permutation(self, queue, rnd):
        """The answer does not depend on the order the customers were read in."""
        candidates, free = queue
        shuffled = list(candidates)
        rnd.shuffle(shuffled)
        self.assertEqual(qp.allocate(shuffled, free), qp.allocate(candidates, free))
