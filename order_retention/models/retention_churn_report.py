from odoo import fields, models, tools
from odoo.tools import SQL

from .retention_call import NEXT_STEPS, OUTCOMES
from .retention_cycle import status_rank_sql, status_rank_terms

WIN_BACK_DAYS = 90


class RetentionChurnReport(models.Model):
    """Why Customers Leave: one row per retention call closed with a recorded outcome — the reason the
    customer gave, their status at the call, who called, and whether they ordered within 90 days."""

    _name = "retention.churn.report"
    _description = "Why Customers Leave"
    _auto = False
    _rec_name = "partner_id"
    _order = "date desc, id desc"

    call_id = fields.Many2one("retention.call", readonly=True)
    date = fields.Datetime(string="Call Date", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    reason_id = fields.Many2one("retention.churn.reason", string="Why Not Ordering", readonly=True)
    outcome = fields.Selection(OUTCOMES, readonly=True)
    next_step = fields.Selection(NEXT_STEPS, readonly=True)
    status = fields.Selection(
        [("active", "Active"), ("warm", "Warm"), ("cold", "Cold"), ("lost", "Lost")],
        string="Status at Call",
        readonly=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        readonly=True,
        help="Who recorded the outcome (the salesperson who made the call).",
    )
    customer_user_id = fields.Many2one("res.users", string="Customer's Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    reached_count = fields.Integer(
        string="Reached", readonly=True, aggregator="sum", help="Calls on which the customer was reached."
    )
    won_back_count = fields.Integer(
        string="Ordered within 90 Days",
        readonly=True,
        aggregator="sum",
        help="Reached customers who confirmed an order within 90 days after the call (counted as soon as they order).",
    )
    pending_count = fields.Integer(
        string="Pending",
        readonly=True,
        aggregator="sum",
        help="Reached customers called less than 90 days ago who have not ordered yet: whether the call won them "
        "back is not known yet, so they count in no win-back rate.",
    )
    result = fields.Selection(
        [("won_back", "Won back"), ("not_won_back", "Not won back"), ("pending", "Pending")],
        string="Win-back",
        readonly=True,
        help="Won back: an order within 90 days after the call. Not won back: 90 days passed without an order. "
        "Pending: less than 90 days ago and no order yet.",
    )
    window_end = fields.Date(
        string="Known By",
        readonly=True,
        help="The day the call's 90-day window ends: by then the customer has ordered or the call did not win "
        "them back.",
    )
    win_back_rate = fields.Float(
        string="Win-back Rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Share of the reached customers (with this reason, in this group) who ordered within 90 days after "
        "the call, over the calls whose 90 days are over (a more recent call counts once its window is over). "
        "Empty for calls where the customer was not reached and for recent calls.",
    )

    # statuses in Active -> Warm -> Cold -> Lost order in pivot, graph and list
    def _order_field_to_sql(self, alias, field_name, direction, nulls, query):
        if field_name == "status":
            return SQL("%s %s %s", status_rank_sql(self._field_to_sql(alias, field_name, query)), direction, nulls)
        return super()._order_field_to_sql(alias, field_name, direction, nulls, query)

    def _read_group_orderby(self, order, groupby_terms, query):
        return super()._read_group_orderby(order, status_rank_terms(groupby_terms, ("status",)), query)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
            CREATE OR REPLACE VIEW %(table)s AS (
                SELECT c.id AS id,
                       c.id AS call_id,
                       c.start AS date,
                       c.commercial_partner_id AS partner_id,
                       c.churn_reason_id AS reason_id,
                       c.outcome AS outcome,
                       c.next_step AS next_step,
                       c.status_at_call AS status,
                       COALESCE(c.outcome_user_id, c.user_id) AS user_id,
                       cp.user_id AS customer_user_id,
                       rc.retention_team_id AS team_id,
                       c.company_id AS company_id,
                       (c.outcome = 'reached')::int AS reached_count,
                       (c.outcome = 'reached' AND won.ok)::int AS won_back_count,
                       (c.outcome = 'reached' AND NOT won.ok AND NOT won.over)::int AS pending_count,
                       CASE WHEN c.outcome != 'reached' THEN NULL
                            WHEN won.ok THEN 'won_back'
                            WHEN won.over THEN 'not_won_back'
                            ELSE 'pending' END AS result,
                       (c.start + make_interval(days => %(days)s))::date AS window_end,
                       CASE WHEN c.outcome = 'reached' AND won.over THEN (CASE WHEN won.ok THEN 100.0 ELSE 0.0 END)
                       END AS win_back_rate
                  FROM retention_call c
                  JOIN res_partner cp ON cp.id = c.commercial_partner_id
                  LEFT JOIN retention_customer rc
                         ON rc.partner_id = c.commercial_partner_id AND rc.company_id = c.company_id
                  CROSS JOIN LATERAL (
                      SELECT EXISTS (
                          SELECT 1 FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                           WHERE p.commercial_partner_id = c.commercial_partner_id AND so.state = 'sale'
                             AND so.date_order >= c.start
                             AND so.date_order < c.start + make_interval(days => %(days)s)
                      ) AS ok,
                      c.start + make_interval(days => %(days)s) <= now() AT TIME ZONE 'UTC' AS over
                  ) won
                 WHERE c.outcome IS NOT NULL AND c.outcome != 'not_recorded'
            )
            """,
                table=SQL.identifier(self._table),
                days=WIN_BACK_DAYS,
            )
        )
