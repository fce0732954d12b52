import logging

from odoo import _, api, fields, models

from .retention_cycle import RETENTION_STATUSES, RFM_SEGMENT_SELECTION

_logger = logging.getLogger(__name__)


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ------------------------------------------------------------------
    # CALL LOG (calls, matching numbers, smart button)
    # ------------------------------------------------------------------

    retention_call_count = fields.Integer(compute="_compute_retention_call_count", string="Calls")

    def _compute_retention_call_count(self):
        counts = dict(self.env["retention.call"]._read_group(
            [("commercial_partner_id", "in", self.commercial_partner_id.ids)], ["commercial_partner_id"], ["__count"]))
        for partner in self:
            partner.retention_call_count = counts.get(partner.commercial_partner_id, 0)

    def action_view_retention_calls(self):
        """Calls with this customer (all its contacts)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("order_retention.retention_call_action")
        action["domain"] = [("commercial_partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.id, "default_phone_number": self.phone or self.mobile}
        return action

    def write(self, vals):
        res = super().write(vals)
        if {"phone", "mobile"} & set(vals):
            self.env["retention.call"]._retention_rematch_numbers(self)
        return res

    # ------------------------------------------------------------------
    # QUOTATION HYGIENE
    # ------------------------------------------------------------------

    def action_retention_find_duplicate_quotations(self):
        """Open the duplicate quotations clean-up for this customer."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("order_retention.sale_order_retention_duplicate_action_all")
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    # ------------------------------------------------------------------
    # RETENTION CADENCE AND CYCLE
    # ------------------------------------------------------------------
    # Written in bulk by the daily cycle (see retention_engine.py) on commercial partners only:
    # plain stored fields, never computes depending on sale orders (those would lock partner rows
    # on every order write).

    retention_status = fields.Selection(
        RETENTION_STATUSES, string="Retention Status", readonly=True, copy=False, index=True, group_expand=True,
        help="Active: ordering on rhythm. Warm: past the usual gap. Cold: the missing-order alert fired. "
        "Lost: long silent and unlikely to order. Empty: no confirmed order yet.",
    )
    retention_status_since = fields.Date(string="Status since", readonly=True, copy=False)
    retention_missing_order = fields.Boolean(string="Missing Order", readonly=True, copy=False, index=True)
    retention_days_since_last_order = fields.Integer(string="Days Since Last Order", readonly=True, copy=False)
    retention_last_order_date = fields.Date(string="Last Order", readonly=True, copy=False)
    retention_order_count = fields.Integer(string="Purchase Occasions", readonly=True, copy=False)
    retention_total_amount = fields.Float(string="Total Ordered", readonly=True, copy=False, digits=(16, 2))
    retention_mean_gap_days = fields.Float(string="Mean Gap (days)", readonly=True, copy=False, digits=(16, 1))
    retention_gap_std_days = fields.Float(string="Gap Std Dev (days)", readonly=True, copy=False, digits=(16, 1))
    retention_expected_gap_days = fields.Float(string="Usual Gap (days)", readonly=True, copy=False, digits=(16, 1))
    retention_expected_next_order_date = fields.Date(string="Expected Next Order", readonly=True, copy=False, index=True)
    retention_warning_days = fields.Float(string="Warning Level (days)", readonly=True, copy=False, digits=(16, 1))
    retention_overdue_days = fields.Float(
        string="Overdue (days)", readonly=True, copy=False, digits=(16, 1),
        help="Days since last order minus the usual gap: positive means the next order is late.",
    )
    retention_overdue_probability = fields.Float(
        string="Overdue Probability", readonly=True, copy=False, digits=(16, 2),
        help="How unusual the current silence is for this customer (share of their usual gaps that are shorter).",
    )
    retention_p_no_order_90d = fields.Float(
        string="P(no order in 90 days)", readonly=True, copy=False, digits=(16, 2),
        help="Chance of no order in the next 90 days from the customer's ordering rhythm alone (BG/NBD model); "
        "the lost rule uses it when there is too little history to learn from.",
    )
    retention_churn_probability = fields.Float(
        string="Churn Probability", readonly=True, copy=False, digits=(16, 2), aggregator="avg",
        help="Chance that this customer places no order in the next 180 days. Learned each day from how your "
        "own customers behaved in the past (silence, usual gap, number and size of orders); on a small history "
        "it comes from the customer's ordering rhythm instead.",
    )
    retention_currency_id = fields.Many2one(
        "res.currency", string="Retention Currency", compute="_compute_retention_currency_id",
        help="Currency of the annual value and the value at risk: the company currency.",
    )
    retention_annual_value = fields.Monetary(
        string="Annual Value", readonly=True, copy=False, currency_field="retention_currency_id",
        help="What this customer orders in a year at their usual pace (untaxed, company currency): the total "
        "ordered over the period their orders cover. With a single order, that order once per usual gap of "
        "similar customers, or once per the days since that order when longer.",
    )
    retention_value_at_risk = fields.Monetary(
        string="Value at Risk", readonly=True, copy=False, currency_field="retention_currency_id",
        help="Annual value × churn probability: the yearly business you can expect to lose if nothing is done. "
        "Sort the customer lists by it to call the most valuable first.",
    )
    retention_rfm_score = fields.Char(string="RFM Score", readonly=True, copy=False)
    retention_rfm_segment = fields.Selection(
        RFM_SEGMENT_SELECTION, string="RFM Segment", readonly=True, copy=False, index=True,
    )
    retention_explanation = fields.Text(string="Retention Explanation", readonly=True, copy=False)
    retention_last_computed = fields.Datetime(
        string="Retention computed on", readonly=True, copy=False,
        help="When the daily computation last changed these figures (a rerun that changes nothing keeps this time).",
    )
    retention_followup_checked = fields.Date(
        string="Follow-up checked on", readonly=True, copy=False,
        help="Last day the retention cycle checked this customer's follow-up activity.",
    )
    retention_team_id = fields.Many2one(
        "crm.team", string="Retention Sales Team", readonly=True, copy=False, index="btree_not_null",
        help="Sales team of the customer's latest confirmed order (the customer's peer group).",
    )
    retention_color = fields.Integer(compute="_compute_retention_color")
    retention_history_ids = fields.One2many(
        "retention.status.history", "partner_id", string="Status History", readonly=True,
    )

    @api.depends("company_id")
    @api.depends_context("company")
    def _compute_retention_currency_id(self):
        for partner in self:
            partner.retention_currency_id = partner.company_id.currency_id or self.env.company.currency_id

    @api.depends("retention_status")
    def _compute_retention_color(self):
        colors = {"active": 10, "warm": 2, "cold": 1, "lost": 8}
        for partner in self:
            partner.retention_color = colors.get(partner.retention_status, 0)

    @api.model
    def _cron_retention_cycle(self, batch_size=1000):
        """Daily retention cycle, one step per call (ir.cron calls it again while progress remains):
        first the cadence of every customer is recomputed and written back (once per day), then
        follow-up activities are checked for one batch of warm/cold/lost customers."""
        return self.env["retention.cycle"]._run_step(batch_size=batch_size)

    def action_view_retention_activities(self):
        """Open the customer's retention call activities, open and done."""
        self.ensure_one()
        activity_type = self.env["retention.cycle"]._retention_activity_type()
        return {
            "type": "ir.actions.act_window",
            "name": _("Retention calls of %(customer)s", customer=self.display_name),
            "res_model": "mail.activity",
            "view_mode": "list,form",
            "domain": [("res_model", "=", "res.partner"), ("res_id", "=", self.commercial_partner_id.id),
                       ("activity_type_id", "=", activity_type.id)],
            "context": {"active_test": False, "default_res_model": "res.partner",
                        "default_res_id": self.commercial_partner_id.id, "default_activity_type_id": activity_type.id},
        }

    def action_retention_recompute(self):
        """Recompute the cadence of every customer now (button on the partner form)."""
        self.env["retention.cycle"]._retention_compute_all()
        return True
