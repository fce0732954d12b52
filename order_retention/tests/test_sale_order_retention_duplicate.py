from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .hygiene_common import HygieneCommon


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionDuplicateWizard(HygieneCommon):
    """Duplicate quotations clean-up on real orders."""

    def _wizard(self, orders=None, partner=None, **vals):
        ctx = {}
        if orders is not None:
            ctx = {"active_model": "sale.order", "active_ids": orders.ids}
        form = Form(self.env["sale.order.retention.duplicate"].with_context(**ctx))
        if partner:
            form.partner_id = partner
        for key, value in vals.items():
            setattr(form, key, value)
        wizard = form.save()
        wizard.action_preview()
        return wizard

    def test_groups_and_nothing_changes_before_apply(self):
        """Same products in another line order are grouped; the preview and a closed wizard change nothing."""
        q1 = self._quote(lines=[(self.prod_a, 1), (self.prod_b, 2)], days_ago=5)
        q2 = self._quote(partner=self.contact, lines=[(self.prod_b, 2), (self.prod_a, 1)], days_ago=2)
        q_other = self._quote(partner=self.other_customer, lines=[(self.prod_a, 1), (self.prod_b, 2)], days_ago=1)
        q_far = self._quote(lines=[(self.prod_a, 1), (self.prod_b, 2)], days_ago=200)
        wizard = self._wizard(partner=self.customer)
        self.assertEqual(wizard.line_ids.order_id, q1 | q2)
        self.assertEqual(wizard.line_ids.filtered("is_keeper").order_id, q2)  # most recent
        self.assertNotIn(q_far, wizard.line_ids.order_id)
        self.assertEqual(wizard.cancel_count, 1)
        wizard.unlink()  # user closes the wizard
        self.assertEqual((q1 | q2 | q_other | q_far).mapped("state"), ["draft"] * 4)
        self.assertFalse((q1 | q2).retention_cancel_reason_id)

    def test_apply_with_keeper_change(self):
        """The user keeps another quotation; Apply cancels the others (Duplicate order, excluded, cross-linked)."""
        q1 = self._quote(lines=[(self.prod_a, 1)], days_ago=6)
        q2 = self._quote(lines=[(self.prod_a, 1)], days_ago=3)
        q3 = self._quote(lines=[(self.prod_a, 1)], days_ago=1)
        wizard = self._wizard(orders=q1 | q2 | q3)
        self.assertEqual(wizard.line_ids.filtered("is_keeper").order_id, q3)
        wizard.line_ids.filtered(lambda ln: ln.order_id == q1).action_keep()
        self.assertEqual(wizard.line_ids.filtered("is_keeper").order_id, q1)
        wizard.action_apply()
        self.assertEqual(q1.state, "draft")
        for dup in q2 | q3:
            self.assertEqual(dup.state, "cancel")
            self.assertEqual(dup.retention_cancel_reason_id, self.reason_duplicate)
            self.assertTrue(dup.retention_excluded_from_stats)
            self.assertEqual(dup.retention_duplicate_of_id, q1)
            self.assertIn(q1.name, " ".join(dup.message_ids.mapped("body")))
        keeper_chatter = " ".join(q1.message_ids.mapped("body"))
        self.assertIn(q2.name, keeper_chatter)
        self.assertIn(q3.name, keeper_chatter)
        self.assertEqual(wizard.state, "done")

    def test_sent_kept_over_draft(self):
        """A sent quotation is proposed as keeper over a more recent draft."""
        sent = self._quote(lines=[(self.prod_b, 1)], state="sent", days_ago=4)
        draft = self._quote(lines=[(self.prod_b, 1)], days_ago=1)
        wizard = self._wizard(orders=sent | draft)
        keeper = wizard.line_ids.filtered("is_keeper")
        self.assertEqual(keeper.order_id, sent)
        self.assertIn("sent", keeper.rule)

    def test_quantities_option(self):
        """Different quantities group only when quantities are not compared."""
        q1 = self._quote(lines=[(self.prod_a, 1)], days_ago=2)
        q2 = self._quote(lines=[(self.prod_a, 3)], days_ago=1)
        self.assertEqual(self._wizard(orders=q1 | q2).line_ids.order_id, q1 | q2)
        self.assertFalse(self._wizard(orders=q1 | q2, compare_quantities=True).line_ids)

    def test_window_setting(self):
        """The window comes from the settings and limits the grouping."""
        self.env["ir.config_parameter"].sudo().set_param("order_retention.duplicate_window_days", "3")
        q1 = self._quote(lines=[(self.prod_c, 1)], days_ago=10)
        q2 = self._quote(lines=[(self.prod_c, 1)], days_ago=1)
        wizard = self._wizard(orders=q1 | q2)
        self.assertEqual(wizard.window_days, 3)
        self.assertFalse(wizard.line_ids)

    def test_already_purchased(self):
        """A quotation whose products were bought through a confirmed order is cancelled as Already purchased."""
        bought = self._quote(lines=[(self.prod_a, 1), (self.prod_b, 1), (self.prod_c, 1)], days_ago=3)
        bought.action_confirm()
        quote = self._quote(lines=[(self.prod_b, 1), (self.prod_a, 1)], days_ago=2)
        wizard = self._wizard(partner=self.customer)
        line = wizard.line_ids.filtered(lambda ln: ln.order_id == quote)
        self.assertEqual((line.kind, line.purchased_order_id, line.is_keeper), ("purchased", bought, False))
        wizard.action_apply()
        self.assertEqual(quote.state, "cancel")
        self.assertEqual(quote.retention_cancel_reason_id, self.reason_purchased)
        self.assertEqual(quote.retention_duplicate_of_id, bought)
        self.assertTrue(quote.retention_excluded_from_stats)
        self.assertEqual(bought.state, "sale")

    def test_paid_quotation_untouched(self):
        """A quotation with an authorized online payment is never proposed nor cancelled."""
        q1 = self._quote(lines=[(self.prod_a, 1)], days_ago=2)
        q2 = self._quote(lines=[(self.prod_a, 1)], days_ago=1)
        method = self.env.ref("payment.payment_method_unknown")
        provider = self.env["payment.provider"].create(
            {
                "name": "Hygiene provider",
                "code": "none",
                "state": "test",
                "payment_method_ids": [Command.set(method.ids)],
            }
        )
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": method.id,
                "amount": q1.amount_total,
                "currency_id": q1.currency_id.id,
                "partner_id": self.customer.id,
                "reference": "HYG-TX-1",
                "sale_order_ids": [Command.set(q1.ids)],
            }
        )
        tx.state = "done"
        wizard = self._wizard(orders=q1 | q2)
        self.assertFalse(wizard.line_ids)
        self.assertEqual(wizard.skipped_paid_count, 1)

    def test_apply_requires_a_keeper(self):
        """A duplicate group left without keeper is refused with a clear message."""
        q1 = self._quote(lines=[(self.prod_a, 1)], days_ago=2)
        q2 = self._quote(lines=[(self.prod_a, 1)], days_ago=1)
        wizard = self._wizard(orders=q1 | q2)
        wizard.line_ids.write({"is_keeper": False})
        with self.assertRaisesRegex(UserError, "Keep this one"):
            wizard.action_apply()
        self.assertEqual((q1 | q2).mapped("state"), ["draft", "draft"])

    def test_partner_button(self):
        """The customer's button opens the wizard scoped to the customer."""
        action = self.contact.action_retention_find_duplicate_quotations()
        self.assertEqual(action["res_model"], "sale.order.retention.duplicate")
        self.assertEqual(action["context"]["default_partner_id"], self.customer.id)

    def test_salesman_sees_only_own(self):
        """A salesperson (own documents) only cleans up quotations they can see."""
        mine1 = self._quote(lines=[(self.prod_c, 2)], days_ago=2, user=self.salesman)
        mine2 = self._quote(lines=[(self.prod_c, 2)], days_ago=1, user=self.salesman)
        theirs = self._quote(lines=[(self.prod_c, 2)], days_ago=1, user=self.salesman2)
        wizard = (
            self.env["sale.order.retention.duplicate"].with_user(self.salesman).create({"partner_id": self.customer.id})
        )
        wizard.action_preview()
        self.assertEqual(wizard.line_ids.order_id, mine1 | mine2)
        wizard.action_apply()
        self.assertEqual(theirs.state, "draft")
        self.assertEqual(mine1.state, "cancel")
