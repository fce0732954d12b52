from psycopg2 import IntegrityError

from odoo.exceptions import UserError
from odoo.http import Request
from odoo.tests import Form, HttpCase, tagged
from odoo.tools import mute_logger

from .hygiene_common import HygieneCommon


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionCancelReason(HygieneCommon):
    """Cancellation reasons: catalogue, every cancel path, the required switch."""

    def _messages(self, order):
        return " ".join(order.message_ids.mapped("body"))

    def test_seeded_reasons(self):
        """The seeded reasons exist, duplicates/mistakes/already purchased are excluded from statistics."""
        reasons = self.env["retention.cancel.reason"].search([])
        names = set(reasons.mapped("name"))
        for name in (
            "Inaccurate product information",
            "Long delivery time",
            "Poor customer service",
            "Changed mind",
            "Found a better price",
            "Duplicate order",
            "Created by mistake",
            "Other",
            "Already purchased",
            "Declined by customer",
        ):
            self.assertIn(name, names)
        excluded = set(reasons.filtered("exclude_from_statistics").mapped("name"))
        self.assertEqual(excluded, {"Duplicate order", "Created by mistake", "Already purchased"})

    def test_required_by_default(self):
        """Without a stored parameter the reason is required."""
        self.env["ir.config_parameter"].sudo().search([("key", "=", "order_retention.cancel_reason_required")]).unlink()
        self.assertTrue(self.env["sale.order"]._retention_cancel_reason_required())
        settings = self.env["res.config.settings"].create({})
        self.assertTrue(settings.retention_cancel_reason_required)
        settings.retention_cancel_reason_required = False
        settings.execute()
        self.assertFalse(self.env["sale.order"]._retention_cancel_reason_required())

    def test_form_button_draft_asks_reason(self):
        """The form button on a draft opens the cancel wizard when a reason is required, and the reason is stored."""
        self._set_required(True)
        order = self._quote()
        action = order.with_context(retention_ask_cancel_reason=True).action_cancel()
        self.assertEqual(action["res_model"], "sale.order.cancel")
        wizard = Form.from_action(self.env, action)
        self.assertTrue(wizard.retention_reason_required)
        with self.assertRaises(AssertionError):  # required in the view
            wizard.save()
        wizard.retention_cancel_reason_id = self.reason_mind
        wizard.retention_cancel_note = "Budget cut"
        wizard.save().action_cancel()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.retention_cancel_reason_id, self.reason_mind)
        self.assertEqual(order.retention_cancel_note, "Budget cut")
        self.assertEqual(order.retention_cancel_user_id, self.env.user)
        self.assertTrue(order.retention_cancel_date)
        self.assertFalse(order.retention_excluded_from_stats)
        self.assertIn("Changed mind", self._messages(order))
        self.assertIn("Budget cut", self._messages(order))

    def test_wizard_without_reason_refused(self):
        """Calling the wizard's button without a reason while required raises an actionable error."""
        self._set_required(True)
        order = self._quote(state="sent")
        wizard = self.env["sale.order.cancel"].create({"order_id": order.id})
        with self.assertRaisesRegex(UserError, "cancellation reason"):
            wizard.action_cancel()
        self.assertEqual(order.state, "sent")

    def test_form_button_draft_not_required(self):
        """With the switch off a draft is cancelled directly by the form button, without reason."""
        self._set_required(False)
        order = self._quote()
        order.with_context(retention_ask_cancel_reason=True).action_cancel()
        self.assertEqual(order.state, "cancel")
        self.assertFalse(order.retention_cancel_reason_id)
        self.assertTrue(order.retention_cancel_date)
        # the e-mail wizard (sent quotation) accepts no reason either
        sent = self._quote(state="sent")
        Form.from_action(self.env, sent.action_cancel()).save().action_cancel()
        self.assertEqual(sent.state, "cancel")

    def test_email_wizard_send_and_cancel(self):
        """The e-mail cancel wizard of a sent quotation records the reason on 'Send and cancel'."""
        self._set_required(True)
        order = self._quote(state="sent")
        wizard = Form.from_action(self.env, order.action_cancel())
        wizard.retention_cancel_reason_id = self.reason_other
        wizard.save().action_send_mail_and_cancel()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.retention_cancel_reason_id, self.reason_other)

    def test_confirmed_order_cancel(self):
        """Cancelling a confirmed order goes through the wizard and records the reason."""
        order = self._quote()
        order.action_confirm()
        wizard = Form.from_action(self.env, order.with_context(retention_ask_cancel_reason=True).action_cancel())
        wizard.retention_cancel_reason_id = self.reason_other
        wizard.save().action_cancel()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.retention_cancel_reason_id, self.reason_other)

    def test_mass_cancel(self):
        """The list's mass cancel asks the reason when required and writes it on every order."""
        self._set_required(True)
        orders = self._quote() | self._quote(state="sent")
        wizard = Form(
            self.env["sale.mass.cancel.orders"].with_context(active_ids=orders.ids, active_model="sale.order")
        )
        self.assertTrue(wizard.retention_reason_required)
        with self.assertRaises(AssertionError):  # required in the view
            wizard.save()
        wizard.retention_cancel_reason_id = self.reason_duplicate
        wizard.retention_cancel_note = "Typed twice"
        wizard.save().action_mass_cancel()
        self.assertEqual(set(orders.mapped("state")), {"cancel"})
        self.assertEqual(orders.retention_cancel_reason_id, self.reason_duplicate)
        self.assertTrue(all(orders.mapped("retention_excluded_from_stats")))
        for order in orders:
            self.assertIn("Typed twice", self._messages(order))
        # required on and no reason: refused
        other = self._quote()
        bare = self.env["sale.mass.cancel.orders"].create({"sale_order_ids": [(6, 0, other.ids)]})
        with self.assertRaises(UserError):
            bare.action_mass_cancel()
        self._set_required(False)
        bare.action_mass_cancel()
        self.assertEqual(other.state, "cancel")

    def test_programmatic_cancel(self):
        """action_cancel() without the UI context still cancels drafts at once (core contract), with or without a
        reason passed in the context."""
        self._set_required(True)
        order = self._quote()
        self.assertTrue(order.action_cancel())
        self.assertEqual(order.state, "cancel")
        self.assertFalse(order.retention_cancel_reason_id)
        other = self._quote()
        other.with_context(retention_cancel_reason_id=self.reason_mind.id, retention_cancel_note="API").action_cancel()
        self.assertEqual(other.retention_cancel_reason_id, self.reason_mind)
        self.assertEqual(other.retention_cancel_note, "API")

    def test_action_draft_resets(self):
        """Set to quotation forgets the previous cancellation."""
        order = self._quote()
        order.with_context(retention_cancel_reason_id=self.reason_duplicate.id).action_cancel()
        self.assertTrue(order.retention_excluded_from_stats)
        order.action_draft()
        self.assertEqual(order.state, "draft")
        self.assertFalse(order.retention_cancel_reason_id)
        self.assertFalse(order.retention_cancel_date)
        self.assertFalse(order.retention_excluded_from_stats)

    def test_reason_order_count_and_restrict(self):
        """The reason counts its orders and cannot be deleted while used."""
        reason = self.env["retention.cancel.reason"].create({"name": "Hygiene test reason"})
        order = self._quote()
        order.with_context(retention_cancel_reason_id=reason.id).action_cancel()
        self.assertEqual(reason.order_count, 1)
        action = reason.action_view_orders()
        self.assertEqual(self.env["sale.order"].search(action["domain"]), order)
        with self.assertRaises(IntegrityError), self.cr.savepoint(), mute_logger("odoo.sql_db"):
            reason.unlink()

    def test_reason_access(self):
        """Salespeople read reasons, only managers maintain them."""
        from odoo.exceptions import AccessError

        Reason = self.env["retention.cancel.reason"]
        self.assertTrue(Reason.with_user(self.salesman).search([]))
        with self.assertRaises(AccessError):
            Reason.with_user(self.salesman).create({"name": "Nope"})
        Reason.with_user(self.manager).create({"name": "Manager reason"})


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionPortalDecline(HttpCase):
    """The portal decline records 'Declined by customer' and the customer's message."""

    def test_portal_decline(self):
        """A customer declining from the portal cancels with the system reason and their message as note."""
        partner = self.env["res.partner"].create({"name": "Hygiene Portal Customer", "email": "hpc@example.com"})
        product = self.env["product.product"].create({"name": "Hygiene Portal Product", "list_price": 5.0})
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "require_signature": True,
                "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1})],
            }
        )
        order.action_quotation_sent()
        token = order._portal_ensure_token()
        self.authenticate(None, None)
        self.url_open(
            f"/my/orders/{order.id}/decline",
            data={
                "access_token": token,
                "decline_message": "Too expensive for us",
                "csrf_token": Request.csrf_token(self),
            },
        )
        order.invalidate_recordset()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(
            order.retention_cancel_reason_id, self.env.ref("order_retention.cancel_reason_declined_by_customer")
        )
        self.assertEqual(order.retention_cancel_note, "Too expensive for us")
