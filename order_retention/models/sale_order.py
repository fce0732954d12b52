from odoo import _, fields, models
from odoo.tools import SQL

from .retention_cycle import FOLLOWUP_STATUSES, RETENTION_STATUSES


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # ------------------------------------------------------------------
    # QUOTATION HYGIENE (duplicates, being handled, cancellation reasons)
    # ------------------------------------------------------------------

    # ------------------------------------------------------------------
    # CALL LOG
    # ------------------------------------------------------------------

    # ------------------------------------------------------------------
    # RETENTION CADENCE (days since previous order, won back)
    # ------------------------------------------------------------------

    retention_days_since_previous_order = fields.Integer(
        string="Days Since Previous Order", readonly=True, copy=False,
        help="Days between this order's confirmation and the customer's previous confirmed order "
        "(0 for a first order).",
    )
    retention_status_at_order = fields.Selection(
        RETENTION_STATUSES, string="Customer Status at Order", readonly=True, copy=False,
        help="The customer's retention status when this order was confirmed.",
    )
    retention_won_back = fields.Boolean(
        string="Won Back", readonly=True, copy=False, index=True,
        help="The customer was warm, cold or lost when this order was confirmed.",
    )

    def _action_confirm(self):
        """Stamp the cadence facts on the confirmed orders and bring lapsed customers back to active."""
        res = super()._action_confirm()
        self._retention_stamp_confirmation()
        return res

    def _retention_stamp_confirmation(self):
        """Days since the customer's previous order, status at order and the win-back flag; then the
        customers who were warm/cold/lost become active and their open follow-ups are closed."""
        self.flush_recordset(["state", "date_order", "partner_id"])
        gaps = dict(self.env.execute_query(SQL(
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
        )))
        lapsed = self.env["res.partner"]
        for order in self:
            customer = order.partner_id.commercial_partner_id
            status = customer.retention_status
            order.write({
                "retention_days_since_previous_order": gaps.get(order.id) or 0,
                "retention_status_at_order": status,
                "retention_won_back": status in FOLLOWUP_STATUSES,
            })
            if status in FOLLOWUP_STATUSES:
                self.env["retention.status.history"].sudo().create({
                    "partner_id": customer.id,
                    "date": order.date_order.date(),
                    "old_status": status,
                    "new_status": "active",
                    "days_since_last_order": customer.retention_days_since_last_order,
                    "warning_days": customer.retention_warning_days,
                    "expected_gap_days": customer.retention_expected_gap_days,
                    "explanation": _("Ordered again: %(order)s.", order=order.name),
                    "user_id": customer.user_id.id,
                    "sale_order_id": order.id,
                    "is_win_back": True,
                })
                customer.sudo().message_post(body=_(
                    "Retention status: %(old)s → Active (won back by %(order)s).",
                    old=dict(RETENTION_STATUSES)[status], order=order.name,
                ))
                customer.sudo().write({
                    "retention_status": "active",
                    "retention_status_since": order.date_order.date(),
                    "retention_missing_order": False,
                })
                self.env["retention.cycle"]._retention_close_followups(customer, order=order)
                lapsed |= customer
        return lapsed
