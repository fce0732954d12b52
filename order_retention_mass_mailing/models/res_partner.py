from datetime import timedelta

from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.order_retention.models.retention_search import boolean_domain

EXPECTED_WITHIN_DAYS = 7
WON_BACK_DAYS = 90
HIGH_VALUE_SHARE = 0.2  # "high value at risk": the top fifth of the customers by value at risk


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Email Marketing stores a recipient filter as a domain literal (mailing.filter
    # mailing_domain, read with ast.literal_eval): no context_today() there. These
    # non-stored fields move the "relative to today" part into a search method, so a
    # saved filter such as [("retention_expected_within_7_days", "=", True)] stays
    # right every day.
    retention_expected_within_7_days = fields.Boolean(
        string="Expected to Order Within 7 Days",
        compute="_compute_retention_expected_within_7_days",
        search="_search_retention_expected_within_7_days",
        help="The expected next order date falls between today and 7 days from now.",
    )
    retention_won_back_90_days = fields.Boolean(
        string="Won Back in the Last 90 Days",
        compute="_compute_retention_won_back_90_days",
        search="_search_retention_won_back_90_days",
        help="The customer came back to active from warm, cold or lost in the last 90 days.",
    )

    retention_high_value_at_risk = fields.Boolean(
        string="High Value at Risk",
        compute="_compute_retention_high_value_at_risk",
        search="_search_retention_high_value_at_risk",
        help="Among the fifth of the customers with the highest value at risk (annual value × churn "
        "probability) — the threshold follows your customer base, whatever its currency and size.",
    )

    def _retention_high_value_threshold(self):
        """The value at risk above which a customer of the current company is in its top fifth (None without
        any), from the company's own figures (retention.customer): another company's customers, whose figures
        are in another currency and scale, do not move the cut-off."""
        self.env["retention.customer"].flush_model(["retention_value_at_risk", "company_id"])
        [(threshold,)] = self.env.execute_query(
            SQL(
                "SELECT percentile_disc(%s) WITHIN GROUP (ORDER BY retention_value_at_risk) "
                "FROM retention_customer WHERE retention_value_at_risk > 0 AND company_id = %s",
                1 - HIGH_VALUE_SHARE,
                self.env.company.id,
            )
        )
        return threshold

    def _compute_retention_high_value_at_risk(self):
        threshold = self._retention_high_value_threshold()
        for partner in self:
            partner.retention_high_value_at_risk = bool(threshold and partner.retention_value_at_risk >= threshold)

    def _search_retention_high_value_at_risk(self, operator, value):
        threshold = self._retention_high_value_threshold()
        # the value at risk of the current company's row (res.partner reads it from retention.customer)
        domain = [("retention_value_at_risk", ">=", threshold)] if threshold else [("id", "=", False)]
        return boolean_domain(self.env, operator, value, domain, self.env._("High Value at Risk"))

    def _retention_expected_window(self):
        today = fields.Date.context_today(self)
        return today, today + timedelta(days=EXPECTED_WITHIN_DAYS)

    def _retention_won_back_since(self):
        return fields.Date.context_today(self) - timedelta(days=WON_BACK_DAYS)

    def _compute_retention_expected_within_7_days(self):
        start, end = self._retention_expected_window()
        for partner in self:
            expected = partner.retention_expected_next_order_date
            partner.retention_expected_within_7_days = bool(expected and start <= expected <= end)

    def _search_retention_expected_within_7_days(self, operator, value):
        start, end = self._retention_expected_window()
        domain = [
            ("retention_expected_next_order_date", ">=", start),
            ("retention_expected_next_order_date", "<=", end),
        ]
        return boolean_domain(self.env, operator, value, domain, self.env._("Expected to Order Within 7 Days"))

    def _compute_retention_won_back_90_days(self):
        won_back = self.search([("id", "in", self.ids), ("retention_won_back_90_days", "=", True)])
        for partner in self:
            partner.retention_won_back_90_days = partner in won_back

    def _search_retention_won_back_90_days(self, operator, value):
        history = [
            ("is_win_back", "=", True),
            ("date", ">=", self._retention_won_back_since()),
        ]
        return boolean_domain(
            self.env,
            operator,
            value,
            [("retention_history_ids", "any", history)],
            self.env._("Won Back in the Last 90 Days"),
            negative=[("retention_history_ids", "not any", history)],
        )
