"""18.0.1.5.0: the cycle's figures of retention_customer are stored as double precision (models/retention_figures.py).

Converted here, before the ORM updates the table, in one ALTER TABLE (one rewrite of the table, where the ORM would
rewrite it once per column: eleven times a million rows on a large base). A database older than 18.0.1.3.0 has no
retention_customer yet: the ORM creates it with the new columns.
"""

import logging

_logger = logging.getLogger(__name__)

COLUMNS = (
    "retention_total_amount",
    "retention_mean_gap_days",
    "retention_gap_std_days",
    "retention_expected_gap_days",
    "retention_warning_days",
    "retention_gap_log_sd",
    "retention_p_no_order_90d",
    "retention_churn_probability",
    "retention_annual_value",
    "retention_value_at_risk",
    "retention_call_priority",
)


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        SELECT column_name FROM information_schema.columns
         WHERE table_name = 'retention_customer' AND column_name IN %s AND data_type = 'numeric'
         ORDER BY column_name
        """,
        (COLUMNS,),
    )
    numeric = [name for (name,) in cr.fetchall()]
    if not numeric:
        return
    # the reports' SQL views read these columns (PostgreSQL will not change the type of a column a view reads): they
    # go, and their models make them again from their init() as the module update loads them
    for name, kind in dependent_views(cr, numeric):
        cr.execute('DROP %s IF EXISTS "%s" CASCADE' % ("MATERIALIZED VIEW" if kind == "m" else "VIEW", name))
        _logger.info("order_retention: view %s dropped, made again by the update", name)
    cr.execute(
        "ALTER TABLE retention_customer %s"
        % ", ".join('ALTER COLUMN "%s" TYPE double precision USING "%s"::double precision' % (n, n) for n in numeric)
    )
    _logger.info("order_retention: %d figures of retention_customer now in double precision", len(numeric))


def dependent_views(cr, columns):
    """(name, relkind) of the views (and materialized views) that read any of ``columns`` of retention_customer."""
    cr.execute(
        """
        SELECT DISTINCT v.relname, v.relkind
          FROM pg_depend d
          JOIN pg_rewrite w ON w.oid = d.objid
          JOIN pg_class v ON v.oid = w.ev_class
          JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
         WHERE d.classid = 'pg_rewrite'::regclass
           AND d.refobjid = 'retention_customer'::regclass
           AND a.attname IN %s
           AND v.oid <> d.refobjid
         ORDER BY v.relname
        """,
        (tuple(columns),),
    )
    return cr.fetchall()
