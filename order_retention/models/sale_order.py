import datetime

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_datetime

from . import retention_policy as policy
from . import retention_text
from .res_config_settings import retention_param
from .retention_cancel_reason import retention_cancel_reason_required
from .retention_cycle import FOLLOWUP_STATUSES, RETENTION_STATUSES

# Stamped by the module (cadence facts, cancellation stamp, duplicate link, claim): not writable over RPC.
SYSTEM_ORDER_FIELDS = (
    "retention_days_since_previous_order",
    "retention_status_at_order",
    "retention_won_back",
    "retention_duplicate_of_id",
    "retention_cancel_date",
    "retention_cancel_user_id",
    "retention_handled_by_id",
    "retention_handled_since",
    "retention_excluded_from_stats",
)
# The reason and note of a cancellation: given when cancelling; corrected afterwards by a sales manager only.
CANCEL_REASON_FIELDS = ("retention_cancel_reason_id", "retention_cancel_note")
# A win-back order cancelled within this many days of its confirmation puts the follow-up back.
WINBACK_CANCEL_DAYS = 30


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # ------------------------------------------------------------------
    # QUOTATION HYGIENE (duplicates, being handled, cancellation reasons)
    # ------------------------------------------------------------------

    retention_cancel_reason_id = fields.Many2one(
        "retention.cancel.reason",
        string="Cancellation Reason",
        ondelete="restrict",
        tracking=True,
        copy=False,
        index="btree_not_null",
        readonly=True,
    )
    retention_cancel_note = fields.Text(string="Cancellation Note", copy=False, readonly=True)
    retention_cancel_date = fields.Datetime(string="Cancelled On", copy=False, readonly=True)
    retention_cancel_user_id = fields.Many2one("res.users", string="Cancelled By", copy=False, readonly=True)
    retention_cancel_log_ids = fields.One2many(
        "retention.cancel.log",
        "order_id",
        string="Cancellation History",
        readonly=True,
        help="Every cancellation of this order (when, why, by whom, corrections), kept when it is set back to "
        "quotation.",
    )
    retention_excluded_from_stats = fields.Boolean(
        string="Excluded from Statistics",
        compute="_compute_retention_excluded_from_stats",
        store=True,
        help="Cancelled with a reason excluded from statistics (duplicate, mistake): left out of the "
        "cancellation rate.",
    )
    retention_duplicate_of_id = fields.Many2one(
        "sale.order",
        string="Duplicate Of",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The quotation kept when this one was cancelled by the duplicate quotations clean-up.",
    )
    retention_handled_by_id = fields.Many2one(
        "res.users",
        string="Being Handled By",
        copy=False,
        readonly=True,
        tracking=True,
        index="btree_not_null",
        help="The salesperson currently working on this quotation: colleagues should not call the customer about it.",
    )
    retention_handled_since = fields.Datetime(string="Handled Since", copy=False, readonly=True)
    retention_handled_text = fields.Char(
        string="Being Handled",
        compute="_compute_retention_handled_text",
        help="Who is handling this quotation and since when, in the reader's language and date format.",
    )

    @api.depends("retention_cancel_reason_id.exclude_from_statistics")
    def _compute_retention_excluded_from_stats(self):
        for order in self:
            order.retention_excluded_from_stats = order.retention_cancel_reason_id.exclude_from_statistics

    @api.depends("retention_handled_by_id", "retention_handled_since")
    @api.depends_context("lang", "tz")
    def _compute_retention_handled_text(self):
        for order in self:
            user = order.retention_handled_by_id
            order.retention_handled_text = (
                self.env._(
                    "%(user)s is handling this quotation since %(date)s.",
                    user=user.name,
                    date=retention_text.date_text(self.env, order.retention_handled_since),
                )
                if user
                else False
            )

    @api.model_create_multi
    def create(self, vals_list):
        if not policy.is_system(self.env):
            for vals in vals_list:
                policy.check_cancel_state_write(self.env, vals)
                for fname in SYSTEM_ORDER_FIELDS + CANCEL_REASON_FIELDS:
                    vals.pop(fname, None)
        return super().create(vals_list)

    def write(self, vals):
        correcting = self.browse()
        if not policy.is_system(self.env):
            forged = [f for f in SYSTEM_ORDER_FIELDS if f in vals]
            if forged:
                raise AccessError(
                    _("%(fields)s are set by the retention module and cannot be written.", fields=", ".join(forged))
                )
            policy.check_cancel_state_write(self.env, vals)
            if any(f in vals for f in CANCEL_REASON_FIELDS):
                policy.check_may_correct_cancel_reason(self.env, self, vals)
                correcting = self
        before = {o.id: (o.retention_cancel_reason_id, o.retention_cancel_note or "") for o in correcting}
        res = super().write(vals)
        if correcting:
            correcting._retention_log_correction(before)
        return res

    def _retention_log_correction(self, before):
        """A sales manager corrected the reason or note of these cancellations: posted on each order (whatever
        the tracking context) and written in its cancellation history."""
        now = fields.Datetime.now()
        for order in self:
            old_reason, old_note = before[order.id]
            new_reason, new_note = order.retention_cancel_reason_id, order.retention_cancel_note or ""
            if (old_reason, old_note) == (new_reason, new_note):
                continue
            lines = []
            if old_reason != new_reason:
                lines.append(
                    _(
                        "Cancellation reason corrected by %(user)s: %(old)s → %(new)s",
                        user=self.env.user.name,
                        old=old_reason.name or _("none"),
                        new=new_reason.name or _("none"),
                    )
                )
            if old_note != new_note:
                lines.append(
                    _("Cancellation note corrected by %(user)s: %(note)s", user=self.env.user.name, note=new_note)
                )
            order.message_post(body=Markup("<br/>").join(lines), message_type="comment", subtype_xmlid="mail.mt_note")
            entry = order._retention_current_cancel_log()
            entry.write(
                {
                    "reason_id": new_reason.id,
                    "note": new_note or False,
                    "original_reason_id": (entry.original_reason_id or old_reason).id,
                    "corrected_by_id": self.env.user.id,
                    "corrected_date": now,
                }
            )

    def _retention_current_cancel_log(self):
        """The history entry of this order's current cancellation (sudo), made from the order's stamp when it was
        cancelled before the history existed."""
        self.ensure_one()
        Log = self.env["retention.cancel.log"].sudo()
        entry = Log.search([("order_id", "=", self.id), ("reset_date", "=", False)], limit=1)
        if not entry:
            entry = Log.create(self._retention_cancel_log_vals())
        return entry

    def _retention_cancel_log_vals(self):
        self.ensure_one()
        return {
            "order_id": self.id,
            "cancel_date": self.retention_cancel_date or self.write_date,
            "cancel_user_id": self.retention_cancel_user_id.id,
            "reason_id": self.retention_cancel_reason_id.id,
            "note": self.retention_cancel_note,
        }

    def _retention_cancel_reason_required(self):
        return retention_cancel_reason_required(self.env)

    def _show_cancel_wizard(self):
        """Also open the cancel wizard for draft quotations when a reason is required and the cancel comes from
        the user (the form button passes ``retention_ask_cancel_reason``); programmatic cancels keep core's rule."""
        if self.env.context.get("disable_cancel_warning"):
            return False
        if self.env.context.get("retention_ask_cancel_reason") and self._retention_cancel_reason_required():
            return True
        return super()._show_cancel_wizard()

    def _action_cancel(self):
        """Stamp who/when, apply a reason passed in the context (portal decline, duplicates clean-up, other
        modules; checked: the system-only reasons are for the system), refuse to cancel without a reason when
        one is required, release the "being handled" claim when the claimer or a manager cancels, post the
        reason and note in the chatter and write the cancellation history."""
        ctx = self.env.context
        to_stamp = self.filtered(lambda o: o.state != "cancel")
        reason_vals = {}
        if ctx.get("retention_cancel_reason_id"):
            reason = policy.check_cancel_reason(self.env, ctx["retention_cancel_reason_id"])
            reason_vals["retention_cancel_reason_id"] = reason.id
            if ctx.get("retention_cancel_note"):
                reason_vals["retention_cancel_note"] = str(ctx["retention_cancel_note"])
        else:
            policy.check_cancel_reason_given(self.env, to_stamp)
        restore = self.filtered(lambda o: o._retention_winback_recent())
        release = to_stamp.filtered(lambda o: o.retention_handled_by_id and policy.may_pass_claim(self.env, o))
        with policy.order_cancelling():
            res = super()._action_cancel()
        with policy.retention_system():
            for order in restore:
                # the follow-up this win-back closed comes back at the next cycle
                self.env["retention.customer"]._retention_rows(order.partner_id, order.company_id).write(
                    {"retention_restore_order_id": order.id}
                )
        user = self.env.user
        vals = {
            **reason_vals,
            "retention_cancel_date": fields.Datetime.now(),
            "retention_cancel_user_id": False if user._is_public() else user.id,
        }
        with policy.retention_system():
            to_stamp.write(vals)
            release.write({"retention_handled_by_id": False, "retention_handled_since": False})
        for order in to_stamp.filtered("retention_cancel_reason_id"):
            body = _("Cancellation reason: %(reason)s", reason=order.retention_cancel_reason_id.name)
            if order.retention_cancel_note:
                body = Markup("%s<br/>%s") % (body, _("Note: %(note)s", note=order.retention_cancel_note))
            order.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_note")
        self.env["retention.cancel.log"].sudo().create([order._retention_cancel_log_vals() for order in to_stamp])
        return res

    def action_draft(self):
        """Back to quotation: the order has no current cancellation any more; the previous one stays in its
        cancellation history (stamped with who set it back to quotation, and when)."""
        cancelled = self.filtered(lambda o: o.state == "cancel")
        for order in cancelled:
            order._retention_current_cancel_log()  # orders cancelled before the history existed get theirs now
        res = super().action_draft()
        user = self.env.user
        self.env["retention.cancel.log"].sudo().search(
            [("order_id", "in", cancelled.ids), ("reset_date", "=", False)]
        ).write({"reset_date": fields.Datetime.now(), "reset_user_id": False if user._is_public() else user.id})
        with policy.retention_system():
            cancelled.write(
                {
                    "retention_cancel_reason_id": False,
                    "retention_cancel_note": False,
                    "retention_cancel_date": False,
                    "retention_cancel_user_id": False,
                    "retention_duplicate_of_id": False,
                }
            )
        return res

    def _retention_is_paid(self):
        """Paid or prepaid: an online payment authorized/done, or a posted invoice (partly) paid."""
        self.ensure_one()
        sudo = self.sudo()
        if sudo.transaction_ids.filtered(lambda tx: tx.state in ("authorized", "done")):
            return True
        return any(
            inv.state == "posted" and inv.payment_state in ("paid", "in_payment", "partial") for inv in sudo.invoice_ids
        )

    def action_retention_claim(self):
        """Mark the quotations as being handled by me (refused when a colleague already handles one)."""
        self.check_access("write")
        now = fields.Datetime.now()
        for order in self:
            if order.state not in ("draft", "sent"):
                raise UserError(
                    _("%(order)s is not a quotation any more: only quotations can be claimed.", order=order.name)
                )
            owner = order.retention_handled_by_id
            if owner and owner != self.env.user:
                raise UserError(
                    _(
                        "%(order)s is already being handled by %(user)s since %(since)s. "
                        "Ask them (or a sales manager) to release it first.",
                        order=order.name,
                        user=owner.name,
                        since=format_datetime(self.env, order.retention_handled_since, dt_format="short"),
                    )
                )
        with policy.retention_system():
            self.filtered(lambda o: not o.retention_handled_by_id).write(
                {
                    "retention_handled_by_id": self.env.user.id,
                    "retention_handled_since": now,
                }
            )
        return True

    def action_retention_release(self):
        """Release the claim (only the claimer or a sales manager)."""
        self.check_access("write")
        for order in self.filtered("retention_handled_by_id"):
            if not policy.may_pass_claim(self.env, order):
                raise UserError(
                    _(
                        "%(order)s is being handled by %(user)s: only they or a sales manager can release it.",
                        order=order.name,
                        user=order.retention_handled_by_id.name,
                    )
                )
        with policy.retention_system():
            self.write({"retention_handled_by_id": False, "retention_handled_since": False})
        return True

    # ------------------------------------------------------------------
    # CALL LOG
    # ------------------------------------------------------------------

    # ------------------------------------------------------------------
    # RETENTION CADENCE (days since previous order, won back)
    # ------------------------------------------------------------------

    retention_days_since_previous_order = fields.Integer(
        string="Days Since Previous Order",
        readonly=True,
        copy=False,
        help="Days between this order's confirmation and the customer's previous confirmed order "
        "(0 for a first order).",
    )
    retention_status_at_order = fields.Selection(
        RETENTION_STATUSES,
        string="Customer Status at Order",
        readonly=True,
        copy=False,
        help="The customer's retention status when this order was confirmed.",
    )
    retention_won_back = fields.Boolean(
        string="Won Back",
        readonly=True,
        copy=False,
        index=True,
        help="The customer was warm, cold or lost when this order was confirmed.",
    )

    def _action_confirm(self):
        """Stamp the cadence facts on the confirmed orders and bring lapsed customers back to active."""
        release = self.filtered(lambda o: o.retention_handled_by_id and policy.may_pass_claim(self.env, o))
        res = super()._action_confirm()
        with policy.retention_system():
            # a confirmed order is no longer being handled as a quotation (a colleague's confirmation leaves the
            # claim: it passes only by the claimer or a manager, should the order become a quotation again)
            release.write({"retention_handled_by_id": False, "retention_handled_since": False})
        self._retention_stamp_confirmation()
        return res

    def _retention_stamp_confirmation(self):
        """Days since the customer's previous order, status at order and the win-back flag; then the
        customers who were warm/cold/lost become active and their open follow-ups are closed."""
        self.flush_recordset(["state", "date_order", "partner_id"])
        gaps = dict(
            self.env.execute_query(
                SQL(
                    """
            SELECT so.id,
                   (SELECT so.date_order::date - MAX(prev.date_order)::date
                      FROM sale_order prev
                      JOIN res_partner pp ON pp.id = prev.partner_id
                     WHERE pp.commercial_partner_id = p.commercial_partner_id
                       AND prev.state = 'sale' AND prev.id != so.id AND prev.date_order <= so.date_order)
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
             WHERE so.id IN %s
            """,
                    tuple(self.ids),
                )
            )
        )
        lapsed = self.env["res.partner"]
        for order in self:
            customer = order.partner_id.commercial_partner_id
            # the status in the order's company, whoever confirms it (the figures are the system's)
            row = self.env["retention.customer"]._retention_rows(customer, order.company_id, create=False)
            status = row.retention_status
            won_back = status in FOLLOWUP_STATUSES and order._retention_counts_as_order()
            with policy.retention_system():
                order.write(
                    {
                        "retention_days_since_previous_order": gaps.get(order.id) or 0,
                        "retention_status_at_order": status,
                        "retention_won_back": won_back,
                    }
                )
            if won_back:
                self.env["retention.status.history"].sudo().create(
                    {
                        "partner_id": customer.id,
                        "company_id": order.company_id.id,
                        "date": order.date_order.date(),
                        "old_status": status,
                        "new_status": "active",
                        "days_since_last_order": row.retention_days_since_last_order,
                        "warning_days": row.retention_warning_days,
                        "expected_gap_days": row.retention_expected_gap_days,
                        "explanation_text": _("Ordered again: %(order)s.", order=order.name),
                        "user_id": customer.user_id.id,
                        "sale_order_id": order.id,
                        "is_win_back": True,
                    }
                )
                # in the status history only, not in the customer's chatter that every user reads
                row.write(
                    {
                        "retention_status": "active",
                        "retention_status_since": order.date_order.date(),
                        "retention_warning_date": False,  # no missing order until the next cycle
                        "retention_restore_order_id": False,
                        "retention_lost_for_good": False,
                    }
                )
                self.env["retention.cycle"]._retention_close_followups(customer, order=order, company=order.company_id)
                lapsed |= customer
        return lapsed

    def _retention_counts_as_order(self):
        """A confirmed order counts for the cadence (and can win a customer back) only with an untaxed
        amount, in company currency, above the Settings minimum (default: more than 0)."""
        self.ensure_one()
        amount = self.amount_untaxed / (self.currency_rate or 1.0)
        return amount > retention_param(self.env, "retention_winback_min_amount", self.company_id)

    def _retention_winback_recent(self):
        """A confirmed win-back order of the last WINBACK_CANCEL_DAYS days (its cancellation restores the
        follow-up it closed)."""
        self.ensure_one()
        limit = fields.Datetime.now() - datetime.timedelta(days=WINBACK_CANCEL_DAYS)
        return self.state == "sale" and self.retention_won_back and self.date_order and self.date_order >= limit
