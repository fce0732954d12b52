"""Run the retention cycle once on a database and print a one-screen summary.

Usage (the demo script passes Odoo's connection options):
    python3 scripts/demo_summary.py --addons-path=... --db_host=... -d DB
"""

import datetime
import sys

import odoo
from odoo.tools import config
from odoo.tools.misc import formatLang


def main(argv):
    config.parse_config(argv)
    dbname = config["db_name"]
    if isinstance(dbname, list):
        dbname = dbname[0]
    registry = odoo.modules.registry.Registry(dbname)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        cycle = env["retention.cycle"]
        cycle._retention_reset_day()
        cycle._retention_run_cycle()
        cr.commit()
        # the figures: one row of retention.customer per customer (and company)
        partners = env["retention.customer"].search([("retention_status", "!=", False)])
        print("\n=== order_retention demo: %s ===" % dbname)
        print("Customers with a confirmed order: %d" % len(partners))
        for status, label in env["retention.customer"]._fields["retention_status"].selection:
            print("  %-7s %4d" % (label, len(partners.filtered(lambda p, s=status: p.retention_status == s))))
        # as Sales > Retention > Missing Orders: fewest days since the last order first (the most winnable)
        missing = partners.filtered("retention_missing_order").sorted("retention_days_since_last_order")
        print("Missing-order alerts: %d (freshest lapse first)" % len(missing))
        for partner in missing[:8]:
            print(
                "  - %-28s %-5s %s"
                % (partner.partner_id.name[:28], partner.retention_status, partner.retention_explanation or "")
            )
        activities = env["mail.activity"].search([("activity_type_id", "=", cycle._retention_activity_type().id)])
        print(
            "Open retention calls: %d, assigned to: %s"
            % (len(activities), ", ".join(sorted(set(activities.mapped("user_id.name")))) or "-")
        )
        print(
            "Logins: admin / admin (sales manager), demo / demo (salesperson Marc Demo), olga / olga and "
            "victor / victor (salespeople of the team Direct Sales)"
        )
        bridges = env["ir.module.module"].search(
            [("name", "=like", "order_retention\\_%"), ("state", "=", "installed")]
        )
        print("Bridges installed: %s" % (", ".join(sorted(bridges.mapped("name"))) or "none"))
        run = env["retention.model.run"]._retention_latest(env.company, datetime.date.today())
        print("Churn model: %s" % (run.explanation or "-").replace("\n", "\n  "))
        at_risk = partners.sorted("retention_value_at_risk", reverse=True)[:5]

        def money(partner, amount):
            """A whole amount with its currency, as the screens show it: "$ 91,774"."""
            currency = partner.retention_currency_id
            figure = formatLang(env, round(amount), digits=0)
            return "%s %s" % ((currency.symbol, figure) if currency.position == "before" else (figure, currency.symbol))

        print(
            "Highest value at risk: %s"
            % ", ".join(
                "%s %s (%.0f %% of %s a year)"
                % (
                    p.partner_id.name,
                    money(p, p.retention_value_at_risk),
                    100 * p.retention_churn_probability,
                    money(p, p.retention_annual_value),
                )
                for p in at_risk
            )
        )
        today = datetime.date.today()
        wizard = env["retention.backtest"].create({"as_of": today - datetime.timedelta(days=180), "horizon_days": 180})
        wizard.action_run()
        print(
            "Backtest as of %s, 180 days: %d customers, %d did not order; AUC rules %.3f / learned %.3f; lost "
            "precision rules %.2f / learned %.2f, recall rules %.2f / learned %.2f (learned model used: %s)"
            % (
                wizard.as_of,
                wizard.customers,
                wizard.no_order,
                wizard.rule_auc,
                wizard.auc,
                wizard.rule_lost_precision,
                wizard.lost_precision,
                wizard.rule_lost_recall,
                wizard.lost_recall,
                wizard.model_used,
            )
        )
        for line in wizard.line_ids:
            print(
                "  %-6s rules %3d customers %5.1f %% ordered | learned %3d customers %5.1f %% ordered"
                % (line.status, line.rule_customers, 100 * line.rule_order_rate, line.customers, 100 * line.order_rate)
            )
        cr.rollback()  # the backtest wizard is throwaway; the cycle above was committed


if __name__ == "__main__":
    main(sys.argv[1:])
