from odoo import fields, models, tools
from odoo.tools import SQL


class RetentionCancelReport(models.Model):
    """One row per cancelled sale order: who, why, when and how much, so that counts and sums are per order.

    What was in the orders is in *Cancelled Products* (``retention.cancel.line.report``, one row per line)."""

    _name = "retention.cancel.report"
    _description = "Cancellation Analysis"
    _auto = False
    _rec_name = "order_id"
    _order = "cancel_date desc, id desc"

    # count_distinct: "Cancelled Orders" as a named measure (one row per order: the same as Count)
    order_id = fields.Many2one("sale.order", readonly=True, aggregator="count_distinct")
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    reason_id = fields.Many2one("retention.cancel.reason", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    cancel_user_id = fields.Many2one("res.users", string="Cancelled By", readonly=True)
    date_order = fields.Datetime(string="Order Date", readonly=True)
    cancel_date = fields.Datetime(string="Cancelled On", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount = fields.Monetary(
        string="Untaxed Amount",
        readonly=True,
        aggregator="sum",
        currency_field="currency_id",
        help="Untaxed amount of the cancelled order, in the company currency.",
    )
    amount_total = fields.Monetary(
        string="Total",
        readonly=True,
        aggregator="sum",
        currency_field="currency_id",
        help="Total of the cancelled order (taxes included), in the company currency.",
    )
    excluded = fields.Boolean(string="Excluded from Statistics", readonly=True)
    duplicate_of_id = fields.Many2one("sale.order", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
            CREATE OR REPLACE VIEW %(table)s AS (
                SELECT so.id AS id,
                       so.id AS order_id,
                       rp.commercial_partner_id AS partner_id,
                       so.retention_cancel_reason_id AS reason_id,
                       so.user_id AS user_id,
                       so.team_id AS team_id,
                       so.company_id AS company_id,
                       so.retention_cancel_user_id AS cancel_user_id,
                       so.date_order AS date_order,
                       COALESCE(so.retention_cancel_date, so.write_date) AS cancel_date,
                       rc.currency_id AS currency_id,
                       so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1.0) AS amount,
                       so.amount_total / COALESCE(NULLIF(so.currency_rate, 0), 1.0) AS amount_total,
                       COALESCE(so.retention_excluded_from_stats, FALSE) AS excluded,
                       so.retention_duplicate_of_id AS duplicate_of_id
                  FROM sale_order so
                  JOIN res_partner rp ON rp.id = so.partner_id
                  JOIN res_company rc ON rc.id = so.company_id
                 WHERE so.state = 'cancel'
            )
            """,
                table=SQL.identifier(self._table),
            )
        )


class RetentionCancelRateReport(models.Model):
    """One row per sale order, by month of creation: created (1), cancelled (0/1) and the rate measure.

    The rate is 100 for a cancelled order, 0 for any other, and empty (NULL) for an order cancelled
    with a reason excluded from statistics (duplicates, mistakes), so its average over any grouping
    (month, quarter, salesperson, team, customer...) is exactly cancelled ÷ created, excluded orders
    left out of both counts - not an average of per-group rates."""

    _name = "retention.cancel.rate.report"
    _description = "Cancellation Rate"
    _auto = False
    _rec_name = "order_id"
    _order = "month desc, id desc"

    order_id = fields.Many2one("sale.order", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    month = fields.Date(readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    state = fields.Selection(
        selection=lambda self: self.env["sale.order"]._fields["state"]._description_selection(self.env),
        string="Status",
        readonly=True,
    )
    reason_id = fields.Many2one("retention.cancel.reason", readonly=True)
    created_count = fields.Integer(
        string="Created",
        readonly=True,
        aggregator="sum",
        help="Orders created, excluding those cancelled with a reason excluded from statistics.",
    )
    cancelled_count = fields.Integer(
        string="Cancelled",
        readonly=True,
        aggregator="sum",
        help="Orders cancelled, excluding reasons excluded from statistics.",
    )
    excluded_count = fields.Integer(string="Excluded (duplicates, mistakes)", readonly=True, aggregator="sum")
    cancel_rate = fields.Float(
        string="Cancellation Rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Cancelled ÷ created, in percent, for whatever the rows are grouped by; "
        "orders cancelled with an excluded reason count in neither.",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
            CREATE OR REPLACE VIEW %(table)s AS (
                SELECT so.id AS id,
                       so.id AS order_id,
                       rp.commercial_partner_id AS partner_id,
                       DATE_TRUNC('month', so.create_date)::date AS month,
                       so.user_id, so.team_id, so.company_id, so.state,
                       so.retention_cancel_reason_id AS reason_id,
                       CASE WHEN so.retention_excluded_from_stats THEN 0 ELSE 1 END AS created_count,
                       CASE WHEN so.state = 'cancel' AND so.retention_excluded_from_stats IS NOT TRUE
                            THEN 1 ELSE 0 END AS cancelled_count,
                       CASE WHEN so.retention_excluded_from_stats THEN 1 ELSE 0 END AS excluded_count,
                       CASE WHEN so.retention_excluded_from_stats THEN NULL
                            WHEN so.state = 'cancel' THEN 100.0 ELSE 0.0 END AS cancel_rate
                  FROM sale_order so
                  JOIN res_partner rp ON rp.id = so.partner_id
            )
            """,
                table=SQL.identifier(self._table),
            )
        )
