from odoo import fields, models, tools
from odoo.tools import SQL

from .retention_queue import capacity_sql


class RetentionWorkload(models.Model):
    """Each salesperson's retention-call workload, for the sales manager: capacity, open and overdue calls,
    calls done this week and the share closed by a verified call, the value at risk their open calls cover
    and the value still waiting for them (Sales > Retention > Workload)."""

    _name = "retention.workload"
    _description = "Retention Call Workload"
    _auto = False
    _order = "value_waiting desc, user_id"
    _rec_name = "user_id"
    # flushed before the view is read (it reads these tables with SQL)
    _depends = {
        "mail.activity": [
            "active",
            "activity_type_id",
            "date_deadline",
            "date_done",
            "res_model",
            "retention_call_id",
            "retention_value_at_risk",
            "user_id",
        ],
        "crm.team.member": ["active", "crm_team_id", "retention_call_capacity", "retention_call_optout", "user_id"],
        "crm.team": ["active"],
        "res.company": ["currency_id", "retention_call_capacity"],
        "res.users": ["active", "company_id", "share", "partner_id"],
        "res.partner": ["tz"],
        "retention.customer": ["retention_queue_user_id", "retention_value_at_risk", "retention_waiting_since"],
    }

    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    capacity = fields.Integer(
        readonly=True,
        aggregator="sum",
        help="How many open retention calls this salesperson holds at once (sales team membership, else the "
        "company default of Settings; 0 when opted out).",
    )
    open_count = fields.Integer(string="Open", readonly=True, aggregator="sum", help="Open retention calls.")
    overdue_count = fields.Integer(
        string="Overdue",
        readonly=True,
        aggregator="sum",
        help="Open retention calls past their due date (today in the salesperson's timezone).",
    )
    done_week = fields.Integer(
        string="Done This Week", readonly=True, aggregator="sum", help="Retention calls closed since Monday."
    )
    verified_week = fields.Integer(
        string="Verified This Week",
        readonly=True,
        aggregator="sum",
        help="Retention calls closed since Monday by a logged call of the minimum length.",
    )
    verified_share = fields.Float(
        string="Closed by a Call (%)",
        readonly=True,
        aggregator="avg",
        help="Share of this week's closed retention calls that a logged call verified (the others were closed by "
        "the system because the customer ordered, or by a manager).",
    )
    waiting_count = fields.Integer(
        string="Waiting",
        readonly=True,
        aggregator="sum",
        help="Customers who need a retention call from this salesperson but wait for a free slot.",
    )
    value_covered = fields.Monetary(
        readonly=True,
        aggregator="sum",
        help="Value at risk of the customers this salesperson's open retention calls are about.",
    )
    value_waiting = fields.Monetary(
        readonly=True,
        aggregator="sum",
        help="Value at risk of the customers waiting for a call from this salesperson.",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
            CREATE VIEW %(table)s AS (
            WITH capacity AS (%(capacity)s            ), calls AS (
                -- "today" and "this week" are the assignee's (their timezone), as in their own activity views
                SELECT a.user_id,
                       count(*) FILTER (WHERE a.active) AS open_count,
                       count(*) FILTER (WHERE a.active AND a.date_deadline < local.today) AS overdue_count,
                       count(*) FILTER (WHERE NOT a.active AND a.date_done >= local.monday) AS done_week,
                       count(*) FILTER (WHERE NOT a.active AND a.date_done >= local.monday
                                        AND a.retention_call_id IS NOT NULL) AS verified_week,
                       COALESCE(sum(a.retention_value_at_risk) FILTER (WHERE a.active), 0) AS value_covered
                  FROM mail_activity a
                  JOIN res_users au ON au.id = a.user_id
                  JOIN res_partner ap ON ap.id = au.partner_id
                  CROSS JOIN LATERAL (
                      SELECT (now() AT TIME ZONE COALESCE(NULLIF(ap.tz, ''), 'UTC'))::date AS today,
                             date_trunc('week', now() AT TIME ZONE COALESCE(NULLIF(ap.tz, ''), 'UTC'))::date
                                 AS monday
                  ) local
                 WHERE a.res_model = 'res.partner'
                   AND a.activity_type_id = (SELECT value::int FROM ir_config_parameter
                                              WHERE key = 'order_retention.activity_type_id')
                   AND (a.active OR a.date_done >= local.monday)
                 GROUP BY a.user_id
            ), waiting AS (
                SELECT p.retention_queue_user_id AS user_id, count(*) AS waiting_count,
                       COALESCE(sum(p.retention_value_at_risk), 0) AS value_waiting
                  FROM retention_customer p
                 WHERE p.retention_waiting_since IS NOT NULL
                 GROUP BY p.retention_queue_user_id
            )
            SELECT u.id AS id, u.id AS user_id, u.company_id, c.currency_id,
                   COALESCE(cap.capacity, 0) AS capacity,
                   COALESCE(calls.open_count, 0) AS open_count,
                   COALESCE(calls.overdue_count, 0) AS overdue_count,
                   COALESCE(calls.done_week, 0) AS done_week,
                   COALESCE(calls.verified_week, 0) AS verified_week,
                   CASE WHEN COALESCE(calls.done_week, 0) > 0
                        THEN 100.0 * calls.verified_week / calls.done_week END AS verified_share,
                   COALESCE(waiting.waiting_count, 0) AS waiting_count,
                   COALESCE(calls.value_covered, 0) AS value_covered,
                   COALESCE(waiting.value_waiting, 0) AS value_waiting
              FROM res_users u
              JOIN res_company c ON c.id = u.company_id
              LEFT JOIN capacity cap ON cap.user_id = u.id
              LEFT JOIN calls ON calls.user_id = u.id
              LEFT JOIN waiting ON waiting.user_id = u.id
             WHERE (u.active AND NOT u.share
                    AND u.id IN (SELECT uid FROM res_groups_users_rel WHERE gid = %(salesman)s))
                OR calls.open_count > 0 OR waiting.waiting_count > 0
            )
            """,
                table=SQL.identifier(self._table),
                capacity=capacity_sql(),
                salesman=self.env.ref("sales_team.group_sale_salesman").id,
            )
        )
