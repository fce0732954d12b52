from datetime import datetime, timedelta

from odoo.tests import BaseCase, tagged

from ..tools.quotation_duplicates import (
    KIND_DUPLICATE,
    KIND_PURCHASED,
    RULE_RECENT,
    RULE_SENT,
    Confirmed,
    Quote,
    find_groups,
)

D0 = datetime(2025, 5, 1, 9, 0)
C1, C2 = (1, 1), (2, 1)


def q(qid, lines, days=0, state="draft", customer=C1):
    return Quote(qid, customer, state, D0 + timedelta(days=days), dict(lines))


@tagged("post_install", "-at_install", "order_retention")
class TestToolsQuotationDuplicates(BaseCase):
    """Pure grouping rules of duplicate quotations."""

    def test_same_products_any_order(self):
        """Same product set in another line order is a duplicate; the most recent is kept."""
        groups = find_groups([q(1, {10: 1, 11: 2}), q(2, {11: 2, 10: 1}, days=3)], [], 30)
        self.assertEqual(len(groups), 1)
        self.assertEqual((groups[0].kind, groups[0].quote_ids, groups[0].keeper_id), (KIND_DUPLICATE, [1, 2], 2))
        self.assertEqual(groups[0].rule, RULE_RECENT)

    def test_sent_beats_recent_draft(self):
        """A sent quotation is kept over a more recent draft."""
        groups = find_groups([q(1, {10: 1}, state="sent"), q(2, {10: 1}, days=2)], [], 30)
        self.assertEqual(groups[0].keeper_id, 1)
        self.assertEqual(groups[0].rule, RULE_SENT)

    def test_quantities_option(self):
        """Different quantities are duplicates unless quantities are compared."""
        quotes = [q(1, {10: 1}), q(2, {10: 5}, days=1)]
        self.assertEqual(len(find_groups(quotes, [], 30)), 1)
        self.assertEqual(find_groups(quotes, [], 30, compare_quantities=True), [])
        same = [q(1, {10: 5}), q(2, {10: 5}, days=1)]
        self.assertEqual(len(find_groups(same, [], 30, compare_quantities=True)), 1)

    def test_outside_window_and_other_customer(self):
        """Quotations further apart than the window, or of another customer, are not grouped."""
        self.assertEqual(find_groups([q(1, {10: 1}), q(2, {10: 1}, days=31)], [], 30), [])
        self.assertEqual(find_groups([q(1, {10: 1}), q(2, {10: 1}, customer=C2)], [], 30), [])
        self.assertEqual(find_groups([q(1, {10: 1}), q(2, {10: 1, 11: 1})], [], 30), [])

    def test_already_purchased(self):
        """A quotation whose products are all in a confirmed order within the window is already purchased."""
        confirmed = [Confirmed(99, C1, D0 + timedelta(days=2), frozenset({10, 11, 12}))]
        groups = find_groups([q(1, {10: 1, 11: 1}), q(2, {13: 1}), q(3, {10: 1}, customer=C2)], confirmed, 30)
        self.assertEqual(len(groups), 1)
        self.assertEqual((groups[0].kind, groups[0].quote_ids, groups[0].purchased_order_id), (KIND_PURCHASED, [1], 99))
        far = [Confirmed(99, C1, D0 + timedelta(days=60), frozenset({10, 11}))]
        self.assertEqual(find_groups([q(1, {10: 1, 11: 1})], far, 30), [])

    def test_empty_quotation_ignored(self):
        """Quotations without products are never grouped."""
        self.assertEqual(find_groups([q(1, {}), q(2, {})], [], 30), [])
