"""18.0.1.3.0: the retention figures leave res_partner for retention.customer (one row per customer and company).

Earlier versions kept every figure of the cycle (status, rhythm, churn risk, value at risk, RFM, the last call's
outcome, the queue's bookkeeping) as columns of res_partner, one set per customer for all companies. They move to
retention_customer, in the company of the customer's confirmed orders (the customer's own company, else the company
with most of its confirmed orders, else the main company), and every such column of res_partner is dropped,
including the ones that later versions turned into read-time computes (days silent, overdue days, missing order,
silence percentile, explanation) where a database still has them. The day's results are recomputed by the next
nightly run; nothing is lost until then: the figures are moved, not recomputed.
"""

import logging

_logger = logging.getLogger(__name__)

# column of res_partner -> column of retention_customer (same name), moved when present
MOVED = [
    "retention_status",
    "retention_status_since",
    "retention_last_order_date",
    "retention_order_count",
    "retention_total_amount",
    "retention_mean_gap_days",
    "retention_gap_std_days",
    "retention_expected_gap_days",
    "retention_gap_spread_days",
    "retention_expected_next_order_date",
    "retention_warning_days",
    "retention_warning_date",
    "retention_gap_log_sd",
    "retention_p_no_order_90d",
    "retention_churn_probability",
    "retention_annual_value",
    "retention_value_at_risk",
    "retention_rfm_score",
    "retention_rfm_segment",
    "retention_last_computed",
    "retention_team_id",
    "retention_restore_order_id",
    "retention_last_outcome",
    "retention_last_churn_reason_id",
    "retention_last_outcome_date",
    "retention_next_call_date",
    "retention_lost_for_good",
    "retention_call_priority",
    "retention_waiting_since",
    "retention_queue_user_id",
    "retention_call_stop",
    "retention_unanswered_calls",
    "retention_kept_in_queue",
    "retention_low_touch_date",
]
# columns of fields that became read-time computes in earlier versions (never moved: derived from the dates), and
# of the follow-up bookkeeping the retention-call queue replaced (nothing reads it any more)
DERIVED = [
    "retention_followup_checked",
    "retention_days_since_last_order",
    "retention_overdue_days",
    "retention_missing_order",
    "retention_overdue_probability",
    "retention_explanation",
    "retention_rfm_recency",
    "retention_rfm_frequency",
    "retention_rfm_monetary",
    "retention_color",
    "retention_churn_learned",
    "retention_last_contact",
    "retention_queue_rank",
    "retention_currency_id",
]


def _columns(cr, table):
    cr.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s", (table,))
    return {name for (name,) in cr.fetchall()}


def _main_company(cr):
    """base.main_company (the first company, else the oldest one): not the first by sequence, which the main
    company of most databases lacks (NULL, sorted last)."""
    cr.execute(
        """
        SELECT COALESCE(
            (SELECT d.res_id FROM ir_model_data d JOIN res_company c ON c.id = d.res_id
              WHERE d.module = 'base' AND d.name = 'main_company' AND d.model = 'res.company'),
            (SELECT min(id) FROM res_company))
        """
    )
    return cr.fetchone()[0]


def migrate(cr, version):
    if not version:
        return
    partner_columns = _columns(cr, "res_partner")
    moved = [name for name in MOVED if name in partner_columns]
    if moved:
        flags = [name for name in moved if name in ("retention_lost_for_good", "retention_kept_in_queue")]
        anything = " OR ".join(
            "p.%s IS NOT NULL" % name if name not in flags else "COALESCE(p.%s, FALSE)" % name
            for name in moved
            if name not in ("retention_unanswered_calls", "retention_order_count")
        )
        columns = ", ".join(moved)
        values = ", ".join("p.%s" % name for name in moved)
        # the company of the figures: the customer's own, else the one of most of its confirmed orders (one pass
        # over the orders, not a query per customer: a million customers upgrade in seconds), else the main company
        cr.execute(
            """
            CREATE TEMP TABLE retention_migrate_company ON COMMIT DROP AS
            SELECT DISTINCT ON (sp.commercial_partner_id) sp.commercial_partner_id AS partner_id, so.company_id
              FROM sale_order so
              JOIN res_partner sp ON sp.id = so.partner_id
             WHERE so.state = 'sale'
             GROUP BY sp.commercial_partner_id, so.company_id
             ORDER BY sp.commercial_partner_id, count(*) DESC, so.company_id
            """
        )
        cr.execute("CREATE UNIQUE INDEX ON retention_migrate_company (partner_id)")
        cr.execute("ANALYZE retention_migrate_company")
        cr.execute(
            f"""
            INSERT INTO retention_customer (partner_id, company_id, user_id, {columns})
            SELECT p.id, COALESCE(p.company_id, mc.company_id, %s), p.user_id, {values}
              FROM res_partner p
              LEFT JOIN retention_migrate_company mc ON mc.partner_id = p.id
             WHERE p.id = p.commercial_partner_id AND ({anything})
            ON CONFLICT (partner_id, company_id) DO NOTHING
            """,
            (_main_company(cr),),
        )
        _logger.info("order_retention: moved the retention figures of %s customers to retention_customer", cr.rowcount)
        # the open and done retention calls point at their customer's row in their company (the field was computed
        # when it was added, before the rows existed)
        cr.execute(
            """
            UPDATE mail_activity a SET retention_customer_id = c.id
              FROM res_partner p, retention_customer c
             WHERE a.res_model = 'res.partner' AND p.id = a.res_id AND c.partner_id = p.commercial_partner_id
               AND c.company_id = a.retention_company_id AND a.retention_customer_id IS NULL
            """
        )
        # the status history of those customers: in the same company
        cr.execute(
            """
            UPDATE retention_status_history h SET company_id = c.company_id
              FROM retention_customer c
             WHERE c.partner_id = h.partner_id AND h.company_id IS NULL
            """
        )
    dropped = [name for name in moved + DERIVED if name in partner_columns]
    if dropped:
        cr.execute("ALTER TABLE res_partner " + ", ".join("DROP COLUMN %s CASCADE" % name for name in dropped))
        _logger.info("order_retention: dropped %s retention columns of res_partner", len(dropped))
