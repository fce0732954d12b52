from odoo.tools import SQL


def post_init_hook(env):
    """Backfill the cadence facts of orders confirmed before the module was installed, in one
    statement (a window over each customer's confirmed orders)."""
    env.cr.execute(
        SQL(
            """
        UPDATE sale_order so
           SET retention_days_since_previous_order = gaps.days
          FROM (
                SELECT so.id,
                       so.date_order::date - LAG(so.date_order::date) OVER (
                           PARTITION BY p.commercial_partner_id ORDER BY so.date_order, so.id) AS days
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.state = 'sale'
               ) gaps
         WHERE gaps.id = so.id AND gaps.days IS NOT NULL
        """
        )
    )


def uninstall_hook(env):
    """Remove what the module made outside Odoo's models: the triggers on sale_order and res_partner that note
    changed orders (an order written after the uninstallation must not call a function of a module that is gone),
    their functions, the kept order facts and the cycle's stage table."""
    env["retention.fact.cache"]._retention_drop()
    env.cr.execute(SQL("DROP VIEW IF EXISTS retention_result_staged"))
    env.cr.execute(SQL("DROP TABLE IF EXISTS retention_result_stage"))
