"""Attacks on quotations, cancellations and the cancellation statistics over real JSON-RPC (issue #21, part B).

A salesperson (*Own Documents Only*), an *All Documents* salesperson and a portal user try to take an order out
of the cancellation rate, to cancel it with a reason only the system gives, to cancel it without a reason, to
relabel a past cancellation, to take over a colleague's claim, and to cancel a quotation that is not a
duplicate through a forged duplicates preview. Every refusal is a clear error (a handled Odoo exception with a
message), and the orders are checked from a fresh cache."""

import datetime

from odoo import Command, fields
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .queue_common import PASSWORD, REFUSED, RpcMixin

ACCESS = {"odoo.exceptions.AccessError"}
SALES = "sales_team.group_sale_salesman"


@tagged("post_install", "-at_install", "order_retention")
class TestRetentionHardening3Orders(RpcMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True))
        company = cls.env.company
        own = {"company_id": company.id, "company_ids": [Command.set(company.ids)], "password": PASSWORD}
        cls.salesman = new_test_user(cls.env, "h3_sales", groups=SALES, name="Owen Own-Docs", **own)
        cls.colleague = new_test_user(cls.env, "h3_colleague", groups=SALES, name="Cleo Colleague", **own)
        cls.all_docs = new_test_user(
            cls.env, "h3_all_docs", groups="sales_team.group_sale_salesman_all_leads", name="Alma All-Docs", **own
        )
        cls.manager = new_test_user(
            cls.env, "h3_manager", groups="sales_team.group_sale_manager", name="Mona Manager", **own
        )
        cls.portal = new_test_user(cls.env, "h3_portal", groups="base.group_portal", name="Pat Portal", **own)
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "H3 Customer", "is_company": True, "user_id": cls.salesman.id})
        cls.portal_customer = cls.portal.partner_id
        cls.prod_a, cls.prod_b, cls.prod_c = cls.env["product.product"].create(
            [{"name": f"H3 Product {x}", "list_price": 10.0, "type": "consu"} for x in "ABC"]
        )
        ref = cls.env.ref
        cls.reason_mind = ref("order_retention.cancel_reason_changed_mind")
        cls.reason_price = ref("order_retention.cancel_reason_better_price")
        cls.reason_mistake = ref("order_retention.cancel_reason_mistake")
        cls.reason_duplicate = ref("order_retention.cancel_reason_duplicate")
        cls.reason_purchased = ref("order_retention.cancel_reason_already_purchased")
        cls.reason_declined = ref("order_retention.cancel_reason_declined_by_customer")
        cls.env["ir.config_parameter"].sudo().set_param("order_retention.cancel_reason_required", "True")

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------

    def _quote(self, lines=None, state="draft", user=None, partner=None, days_ago=0):
        lines = lines if lines is not None else [(self.prod_a, 1)]
        order = self.env["sale.order"].create(
            {
                "partner_id": (partner or self.customer).id,
                "user_id": (user or self.salesman).id,
                "order_line": [Command.create({"product_id": p.id, "product_uom_qty": q}) for p, q in lines],
            }
        )
        if days_ago:
            order.date_order = fields.Datetime.now() - datetime.timedelta(days=days_ago)
        if state == "sent":
            order.action_quotation_sent()
        elif state == "sale":
            order.action_confirm()
        return order

    def _fresh(self, order):
        self.env.invalidate_all()
        return self.env["sale.order"].browse(order.id)

    def _rate(self, order):
        """(created, cancelled, excluded) of ``order`` in the cancellation rate."""
        self.env.flush_all()
        [row] = self.env["retention.cancel.rate.report"]._read_group(
            [("order_id", "=", order.id)], [], ["created_count:sum", "cancelled_count:sum", "excluded_count:sum"]
        )
        return row

    def _cancel_as(self, user, order, reason, **ctx):
        """``user`` cancels ``order`` over RPC with a reason they may choose (the legitimate path)."""
        self._login(user)
        context = {"retention_cancel_reason_id": reason.id, "disable_cancel_warning": True, **ctx}
        self.assertAllowed(self._rpc("sale.order", "action_cancel", [order.id], context=context))
        self.assertEqual(self._fresh(order).state, "cancel")

    def _log(self, order):
        return self.env["retention.cancel.log"].search([("order_id", "=", order.id)], order="id")

    # ------------------------------------------------------------------
    # 1. cancellation statistics
    # ------------------------------------------------------------------

    def test_stats_write_excluded_flag(self):
        """Writing "Excluded from Statistics" on an order cancelled without a reason is refused: it stays in the
        rate."""
        order = self._quote()
        order.with_context(disable_cancel_warning=True).action_cancel()  # the system, reason not required
        self.assertEqual(self._rate(order), (1, 1, 0))
        for user in (self.salesman, self.all_docs):
            self._login(user)
            for value in (True, 1, "yes"):
                self.assertRefused(
                    self._rpc("sale.order", "write", [order.id], {"retention_excluded_from_stats": value}), ACCESS
                )
        self.assertFalse(self._fresh(order).retention_excluded_from_stats)
        self.assertEqual(self._rate(order), (1, 1, 0))
        # nor on a new order
        self._login(self.salesman)
        new_id = self.assertAllowed(
            self._rpc(
                "sale.order",
                "create",
                {"partner_id": self.customer.id, "user_id": self.salesman.id, "retention_excluded_from_stats": True},
            )
        )
        self.assertFalse(self.env["sale.order"].browse(new_id).retention_excluded_from_stats)

    def test_stats_system_reason_by_context(self):
        """The system-only reasons (Declined by customer, Already purchased) cannot be given in the context of
        action_cancel, on a draft or on a sent quotation; a reason a salesperson may choose can."""
        for reason in (self.reason_declined, self.reason_purchased):
            for state in ("draft", "sent"):
                order = self._quote(state=state)
                self._login(self.salesman)
                context = {"retention_cancel_reason_id": reason.id, "disable_cancel_warning": True}
                self.assertRefused(self._rpc("sale.order", "action_cancel", [order.id], context=context), ACCESS)
                order = self._fresh(order)
                self.assertEqual(order.state, state)
                self.assertFalse(order.retention_cancel_reason_id)
        # a reason that does not exist (or is archived) is a clear error, not a database crash
        order = self._quote()
        self._login(self.salesman)
        archived = self.env["retention.cancel.reason"].create({"name": "H3 archived reason", "active": False})
        for bad in (10**9, -1, "abc", [1], {"id": 1}, archived.id):
            context = {"retention_cancel_reason_id": bad, "disable_cancel_warning": True}
            self.assertRefused(self._rpc("sale.order", "action_cancel", [order.id], context=context))
        self.assertEqual(self._fresh(order).state, "draft")
        # a reason the salesperson may choose is fine
        self._cancel_as(self.salesman, order, self.reason_mind, retention_cancel_note="Budget cut")
        order = self._fresh(order)
        self.assertEqual(
            (order.retention_cancel_reason_id, order.retention_cancel_note), (self.reason_mind, "Budget cut")
        )

    def test_stats_system_reason_by_wizard(self):
        """The cancel wizards refuse a system-only reason even with their list of system reasons emptied."""
        order = self._quote(state="sent")
        self._login(self.salesman)
        for reason in (self.reason_declined, self.reason_purchased):
            for emptied in ([Command.clear()], [Command.set([])], [Command.set([self.reason_mind.id])]):
                wizard_id = self.assertAllowed(
                    self._rpc(
                        "sale.order.cancel",
                        "create",
                        {
                            "order_id": order.id,
                            "retention_cancel_reason_id": reason.id,
                            "retention_system_reason_ids": emptied,
                        },
                    )
                )
                self.assertRefused(self._rpc("sale.order.cancel", "action_cancel", [wizard_id]), ACCESS)
                self.assertRefused(self._rpc("sale.order.cancel", "action_send_mail_and_cancel", [wizard_id]), ACCESS)
            mass_id = self.assertAllowed(
                self._rpc(
                    "sale.mass.cancel.orders",
                    "create",
                    {
                        "sale_order_ids": [Command.set(order.ids)],
                        "retention_cancel_reason_id": reason.id,
                        "retention_system_reason_ids": [Command.clear()],
                    },
                )
            )
            self.assertRefused(self._rpc("sale.mass.cancel.orders", "action_mass_cancel", [mass_id]), ACCESS)
        order = self._fresh(order)
        self.assertEqual(order.state, "sent")
        self.assertFalse(order.retention_cancel_reason_id)
        # the list of system reasons a wizard offers is the server's, whatever was sent
        wizard = self.env["sale.order.cancel"].browse(wizard_id)
        self.assertEqual(wizard.retention_system_reason_ids, self.reason_declined | self.reason_purchased)
        # the wizard still works with a reason the salesperson may choose
        wizard_id = self.assertAllowed(
            self._rpc(
                "sale.order.cancel", "create", {"order_id": order.id, "retention_cancel_reason_id": self.reason_mind.id}
            )
        )
        self.assertAllowed(self._rpc("sale.order.cancel", "action_cancel", [wizard_id]))
        order = self._fresh(order)
        self.assertEqual((order.state, order.retention_cancel_reason_id), ("cancel", self.reason_mind))

    def test_stats_relabel_past_cancellation(self):
        """Nobody but a sales manager relabels a past cancellation (reason or note), whatever the reason."""
        order = self._quote()
        self._cancel_as(self.salesman, order, self.reason_mind, retention_cancel_note="Too dear")
        self.assertEqual(self._rate(order), (1, 1, 0))
        for user in (self.salesman, self.all_docs):
            self._login(user)
            for reason in (self.reason_mistake, self.reason_duplicate, self.reason_declined):
                self.assertRefused(
                    self._rpc("sale.order", "write", [order.id], {"retention_cancel_reason_id": reason.id}), ACCESS
                )
            self.assertRefused(
                self._rpc("sale.order", "write", [order.id], {"retention_cancel_reason_id": False}), ACCESS
            )
            self.assertRefused(self._rpc("sale.order", "write", [order.id], {"retention_cancel_note": "typo"}), ACCESS)
        order = self._fresh(order)
        self.assertEqual(
            (order.retention_cancel_reason_id, order.retention_cancel_note), (self.reason_mind, "Too dear")
        )
        self.assertEqual(self._rate(order), (1, 1, 0))
        # nor on a quotation that was never cancelled, nor by creating it with one
        draft = self._quote()
        self._login(self.salesman)
        self.assertRefused(
            self._rpc("sale.order", "write", [draft.id], {"retention_cancel_reason_id": self.reason_mistake.id}), ACCESS
        )
        new_id = self.assertAllowed(
            self._rpc(
                "sale.order",
                "create",
                {"partner_id": self.customer.id, "retention_cancel_reason_id": self.reason_mistake.id},
            )
        )
        self.assertFalse(self.env["sale.order"].browse(new_id).retention_cancel_reason_id)

    def test_stats_manager_corrects_reason(self):
        """A sales manager corrects the reason of a cancelled order: logged in the chatter (even with tracking
        disabled) and in the order's cancellation history; the rate follows. Never to a system-only reason, never
        on an order that is not cancelled."""
        order = self._quote()
        self._cancel_as(self.salesman, order, self.reason_mind)
        self._login(self.manager)
        self.assertAllowed(
            self._rpc(
                "sale.order",
                "write",
                [order.id],
                {"retention_cancel_reason_id": self.reason_mistake.id},
                context={"tracking_disable": True, "mail_notrack": True},
            )
        )
        order = self._fresh(order)
        self.assertEqual(order.retention_cancel_reason_id, self.reason_mistake)
        self.assertTrue(order.retention_excluded_from_stats)
        self.assertEqual(self._rate(order), (0, 0, 1))
        bodies = " ".join(order.message_ids.mapped("body"))
        self.assertIn("corrected", bodies)
        self.assertIn(self.reason_mind.name, bodies)
        self.assertIn(self.reason_mistake.name, bodies)
        [entry] = self._log(order)
        self.assertEqual(
            (entry.reason_id, entry.original_reason_id, entry.corrected_by_id, entry.cancel_user_id),
            (self.reason_mistake, self.reason_mind, self.manager, self.salesman),
        )
        self.assertRefused(
            self._rpc("sale.order", "write", [order.id], {"retention_cancel_reason_id": self.reason_declined.id}),
            ACCESS,
        )
        draft = self._quote()
        self.assertRefused(
            self._rpc("sale.order", "write", [draft.id], {"retention_cancel_reason_id": self.reason_mind.id}),
        )
        self.assertFalse(self._fresh(draft).retention_cancel_reason_id)
        # and a reason cannot be removed while one is required
        self.assertRefused(self._rpc("sale.order", "write", [order.id], {"retention_cancel_reason_id": False}))
        self.assertEqual(self._fresh(order).retention_cancel_reason_id, self.reason_mistake)

    def test_stats_manager_corrects_in_the_form(self):
        """The order form lets a sales manager correct the reason of a cancelled order (only offering the reasons
        people may give); a salesperson's form has no such field."""
        order = self._quote()
        self._cancel_as(self.salesman, order, self.reason_mind)
        form = Form(order.with_user(self.manager))
        form.retention_cancel_reason_id = self.reason_price
        form.save()
        order = self._fresh(order)
        self.assertEqual(order.retention_cancel_reason_id, self.reason_price)
        self.assertEqual(self._log(order).original_reason_id, self.reason_mind)
        offered = self.env["retention.cancel.reason"].search([("system_only", "=", False)])
        self.assertFalse(offered & (self.reason_declined | self.reason_purchased))
        self.assertIn(self.reason_mind, offered)
        arch = order.with_user(self.salesman).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn("Correct Reason", arch)

    def test_history_of_orders_cancelled_before_it_existed(self):
        """An order cancelled before the history existed gets its entry from its stamp when it is reset or
        corrected."""
        order = self._quote()
        self._cancel_as(self.salesman, order, self.reason_mind)
        self._log(order).unlink()
        self._login(self.salesman)
        self.assertAllowed(self._rpc("sale.order", "action_draft", [order.id]))
        [entry] = self._log(order)
        self.assertEqual(
            (entry.reason_id, entry.cancel_user_id, entry.reset_user_id), (self.reason_mind,) + (self.salesman,) * 2
        )

    def test_stats_portal(self):
        """A portal customer can neither cancel their quotation with a system reason over RPC nor relabel it."""
        order = self._quote(partner=self.portal_customer, state="sent")
        self._login(self.portal)
        context = {"retention_cancel_reason_id": self.reason_purchased.id, "disable_cancel_warning": True}
        self.assertRefused(self._rpc("sale.order", "action_cancel", [order.id], context=context))
        self.assertRefused(
            self._rpc("sale.order", "write", [order.id], {"retention_cancel_reason_id": self.reason_mistake.id})
        )
        self.assertRefused(self._rpc("retention.cancel.log", "search_read", [], ["reason_id"]), ACCESS)
        self.assertEqual(self._fresh(order).state, "sent")

    # ------------------------------------------------------------------
    # 2. claims and the reason history
    # ------------------------------------------------------------------

    def _claimed_by_colleague(self, state="draft"):
        order = self._quote(user=self.colleague, state=state)
        self._login(self.colleague)
        self.assertAllowed(self._rpc("sale.order", "action_retention_claim", [order.id]))
        self.assertEqual(self._fresh(order).retention_handled_by_id, self.colleague)
        return order

    def test_claim_takeover_cancel_reset_claim(self):
        """An All Documents salesperson cancels a colleague's claimed quotation, resets it to draft and claims it:
        the claim stays the colleague's; the reason of the cancellation survives the reset in the history."""
        order = self._claimed_by_colleague()
        self._cancel_as(self.all_docs, order, self.reason_price, retention_cancel_note="Cheaper elsewhere")
        self.assertAllowed(self._rpc("sale.order", "action_draft", [order.id]))
        self.assertRefused(self._rpc("sale.order", "action_retention_claim", [order.id]), REFUSED, "Cleo Colleague")
        self.assertRefused(self._rpc("sale.order", "action_retention_release", [order.id]))
        order = self._fresh(order)
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.retention_handled_by_id, self.colleague)
        self.assertFalse(order.retention_cancel_reason_id)  # a quotation again: no current cancellation
        [entry] = self._log(order)
        self.assertEqual(
            (entry.reason_id, entry.note, entry.cancel_user_id, entry.reset_user_id),
            (self.reason_price, "Cheaper elsewhere", self.all_docs, self.all_docs),
        )
        self.assertTrue(entry.cancel_date and entry.reset_date)
        self.assertIn(self.reason_price.name, " ".join(order.message_ids.mapped("body")))

    def test_claim_takeover_confirm_cancel_reset_claim(self):
        """Confirming the colleague's quotation first does not free the claim either."""
        order = self._claimed_by_colleague(state="sent")
        self._login(self.all_docs)
        self.assertAllowed(self._rpc("sale.order", "action_confirm", [order.id]))
        self._cancel_as(self.all_docs, order, self.reason_mind)
        self.assertAllowed(self._rpc("sale.order", "action_draft", [order.id]))
        self.assertRefused(self._rpc("sale.order", "action_retention_claim", [order.id]), REFUSED, "Cleo Colleague")
        self.assertEqual(self._fresh(order).retention_handled_by_id, self.colleague)

    def test_claim_passes_by_release_or_manager(self):
        """The claimer's release or a sales manager's frees the claim; the claimer's own cancellation too."""
        order = self._claimed_by_colleague()
        self._login(self.colleague)
        self.assertAllowed(self._rpc("sale.order", "action_retention_release", [order.id]))
        self._login(self.all_docs)
        self.assertAllowed(self._rpc("sale.order", "action_retention_claim", [order.id]))
        self.assertEqual(self._fresh(order).retention_handled_by_id, self.all_docs)
        self._login(self.manager)
        self.assertAllowed(self._rpc("sale.order", "action_retention_release", [order.id]))
        self.assertFalse(self._fresh(order).retention_handled_by_id)
        # a manager's cancellation frees it, and so does the claimer's
        other = self._claimed_by_colleague()
        self._cancel_as(self.manager, other, self.reason_mind)
        self.assertFalse(self._fresh(other).retention_handled_by_id)
        third = self._claimed_by_colleague()
        self._cancel_as(self.colleague, third, self.reason_mind)
        self.assertFalse(self._fresh(third).retention_handled_by_id)

    def test_reason_history_survives_reset(self):
        """Cancel, reset, cancel again: both cancellations are in the order's history (read-only for everyone);
        the cancellation analysis reports the order once, with its current reason."""
        order = self._quote(lines=[(self.prod_a, 2), (self.prod_b, 1)])
        self._cancel_as(self.salesman, order, self.reason_mind)
        self._login(self.salesman)
        self.assertAllowed(self._rpc("sale.order", "action_draft", [order.id]))
        self._cancel_as(self.salesman, order, self.reason_price)
        entries = self._log(order)
        self.assertEqual(entries.reason_id.ids, [self.reason_mind.id, self.reason_price.id])
        self.assertTrue(entries[0].reset_date)
        self.assertFalse(entries[1].reset_date)
        self._login(self.salesman)
        rows = self.assertAllowed(
            self._rpc("retention.cancel.log", "search_read", [("order_id", "=", order.id)], ["reason_id"])
        )
        self.assertEqual(len(rows), 2)
        for method, args in (
            ("write", [entries.ids, {"reason_id": self.reason_mistake.id}]),
            ("unlink", [entries.ids]),
            ("create", [{"order_id": order.id, "reason_id": self.reason_mistake.id}]),
        ):
            for user in (self.salesman, self.manager):
                self._login(user)
                self.assertRefused(self._rpc("retention.cancel.log", method, *args), ACCESS)
        self.assertEqual(self._log(order).reason_id.ids, [self.reason_mind.id, self.reason_price.id])
        # a colleague (own documents) does not see this order's history
        self._login(self.colleague)
        self.assertFalse(self.assertAllowed(self._rpc("retention.cancel.log", "search", [("order_id", "=", order.id)])))
        self.env.flush_all()
        report = self.env["retention.cancel.report"]._read_group(
            [("order_id", "=", order.id)], ["reason_id"], ["order_id:count_distinct"]
        )
        self.assertEqual(report, [(self.reason_price, 1)])
        self.assertEqual(self._rate(order), (1, 1, 0))

    # ------------------------------------------------------------------
    # 3. cancelling without a reason
    # ------------------------------------------------------------------

    def test_cancel_without_reason(self):
        """While a reason is required, a salesperson cannot cancel without one: not a sent quotation with
        disable_cancel_warning, not a draft with a bare action_cancel, not by writing the state."""
        sent = self._quote(state="sent")
        draft = self._quote()
        confirmed = self._quote(state="sale")
        self._login(self.salesman)
        for order in (sent, draft, confirmed):
            self.assertRefused(
                self._rpc("sale.order", "action_cancel", [order.id], context={"disable_cancel_warning": True}),
                REFUSED,
                "reason",
            )
        self.assertRefused(self._rpc("sale.order", "action_cancel", [draft.id]), REFUSED, "reason")
        self.assertRefused(self._rpc("sale.order", "write", [draft.id], {"state": "cancel"}), ACCESS)
        self.assertRefused(
            self._rpc("sale.order", "create", {"partner_id": self.customer.id, "state": "cancel"}), ACCESS
        )
        wizard_id = self.assertAllowed(
            self._rpc("sale.order.cancel", "create", {"order_id": sent.id, "retention_reason_required": False})
        )
        self.assertRefused(self._rpc("sale.order.cancel", "action_cancel", [wizard_id]), REFUSED, "reason")
        self.assertEqual([self._fresh(o).state for o in (sent, draft, confirmed)], ["sent", "draft", "sale"])
        # the form button still opens the wizard for a sent quotation
        action = self.assertAllowed(self._rpc("sale.order", "action_cancel", [sent.id]))
        self.assertEqual(action["res_model"], "sale.order.cancel")
        # with the setting off, cancelling without a reason is allowed
        self.env["ir.config_parameter"].sudo().set_param("order_retention.cancel_reason_required", "False")
        self.assertAllowed(
            self._rpc("sale.order", "action_cancel", [sent.id], context={"disable_cancel_warning": True})
        )
        self.assertEqual(self._fresh(sent).state, "cancel")
        self.assertFalse(self._fresh(sent).retention_excluded_from_stats)

    # ------------------------------------------------------------------
    # 4. forged duplicates preview
    # ------------------------------------------------------------------

    def test_forged_duplicates_preview_extra_line(self):
        """A quotation that is not a duplicate, slipped into a real preview, is not cancelled."""
        dup_old = self._quote(lines=[(self.prod_a, 1)], days_ago=3)
        dup_new = self._quote(lines=[(self.prod_a, 1)], days_ago=1)
        lone = self._quote(lines=[(self.prod_c, 5)], days_ago=2)
        self._login(self.salesman)
        wizard_id = self.assertAllowed(
            self._rpc(
                "sale.order.retention.duplicate",
                "create",
                {"order_ids": [Command.set((dup_old | dup_new | lone).ids)]},
            )
        )
        self.assertAllowed(self._rpc("sale.order.retention.duplicate", "action_preview", [wizard_id]))
        lines = self.env["sale.order.retention.duplicate.line"].search([("wizard_id", "=", wizard_id)])
        self.assertEqual(lines.order_id, dup_old | dup_new)
        self.assertAllowed(
            self._rpc(
                "sale.order.retention.duplicate",
                "write",
                [wizard_id],
                {
                    "line_ids": [
                        Command.create(
                            {
                                "group_key": lines[0].group_key,
                                "kind": "duplicate",
                                "order_id": lone.id,
                                "is_keeper": False,
                            }
                        )
                    ]
                },
            )
        )
        self.assertAllowed(self._rpc("sale.order.retention.duplicate", "action_apply", [wizard_id]))
        self.assertEqual(self._fresh(lone).state, "draft")
        self.assertFalse(self._fresh(lone).retention_cancel_reason_id)
        self.assertEqual(self._fresh(dup_old).state, "cancel")
        self.assertEqual(self._fresh(dup_old).retention_duplicate_of_id, dup_new)
        self.assertEqual(self._fresh(dup_new).state, "draft")

    def test_forged_duplicates_preview_from_scratch(self):
        """A preview written by hand (state and lines) cancels nothing that is not a real duplicate, and a
        forged "bought in" order is not linked."""
        lone = self._quote(lines=[(self.prod_c, 5)], days_ago=2)
        other = self._quote(lines=[(self.prod_b, 1)], days_ago=1)
        bought = self._quote(lines=[(self.prod_a, 1), (self.prod_b, 1)], days_ago=3, state="sale")
        covered = self._quote(lines=[(self.prod_a, 1)], days_ago=2)
        self._login(self.salesman)
        wizard_id = self.assertAllowed(
            self._rpc(
                "sale.order.retention.duplicate",
                "create",
                {
                    "state": "preview",
                    "order_ids": [Command.set((lone | other | covered).ids)],
                    "line_ids": [
                        Command.create({"group_key": 1, "kind": "duplicate", "order_id": lone.id, "is_keeper": False}),
                        Command.create({"group_key": 1, "kind": "duplicate", "order_id": other.id, "is_keeper": True}),
                        Command.create(
                            {
                                "group_key": 2,
                                "kind": "purchased",
                                "order_id": covered.id,
                                "purchased_order_id": lone.id,
                                "is_keeper": False,
                            }
                        ),
                    ],
                },
            )
        )
        self.assertAllowed(self._rpc("sale.order.retention.duplicate", "action_apply", [wizard_id]))
        self.assertEqual([self._fresh(o).state for o in (lone, other)], ["draft", "draft"])
        covered = self._fresh(covered)
        self.assertEqual(covered.state, "cancel")
        self.assertEqual(covered.retention_cancel_reason_id, self.reason_purchased)
        self.assertEqual(covered.retention_duplicate_of_id, bought, "the real confirmed order, not the forged one")

    def test_forged_duplicates_keep_nobody(self):
        """A real duplicate group relabelled "already purchased" (through an unrelated order) with nobody kept is
        refused: one quotation of a duplicate group always stays, and nothing is cancelled as Already purchased."""
        dup_old = self._quote(lines=[(self.prod_b, 2)], days_ago=3)
        dup_new = self._quote(lines=[(self.prod_b, 2)], days_ago=1)
        elsewhere = self._quote(lines=[(self.prod_c, 1)], state="sale")
        self._login(self.salesman)
        wizard_id = self.assertAllowed(
            self._rpc("sale.order.retention.duplicate", "create", {"order_ids": [Command.set((dup_old | dup_new).ids)]})
        )
        self.assertAllowed(self._rpc("sale.order.retention.duplicate", "action_preview", [wizard_id]))
        lines = self.env["sale.order.retention.duplicate.line"].search([("wizard_id", "=", wizard_id)])
        self.assertAllowed(
            self._rpc(
                "sale.order.retention.duplicate",
                "write",
                [wizard_id],
                {
                    "line_ids": [
                        Command.update(
                            line.id,
                            {
                                "is_keeper": False,
                                "group_key": line.id,
                                "kind": "purchased",
                                "purchased_order_id": elsewhere.id,
                            },
                        )
                        for line in lines
                    ]
                },
            )
        )
        self.assertRefused(self._rpc("sale.order.retention.duplicate", "action_apply", [wizard_id]), REFUSED, "Keep")
        self.assertEqual([self._fresh(o).state for o in (dup_old, dup_new)], ["draft", "draft"])
        self.assertFalse((dup_old | dup_new).retention_cancel_reason_id)

    def test_forged_duplicates_portal(self):
        """The portal reaches neither the duplicates wizard nor its lines."""
        self._login(self.portal)
        self.assertRefused(self._rpc("sale.order.retention.duplicate", "create", {}), ACCESS)
        self.assertRefused(self._rpc("sale.order.retention.duplicate.line", "search_read", [], ["order_id"]), ACCESS)
