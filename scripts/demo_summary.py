"""Run the retention cycle once on a database and print a one-screen summary.

Usage (the demo script passes Odoo's connection options):
    python3 scripts/demo_summary.py --addons-path=... --db_host=... -d DB
"""
import sys

import odoo
from odoo.tools import config


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
        partners = env["res.partner"].search([("retention_status", "!=", False)])
        print("\n=== order_retention demo: %s ===" % dbname)
        print("Customers with a confirmed order: %d" % len(partners))
        for status, label in env["res.partner"]._fields["retention_status"].selection:
            print("  %-7s %4d" % (label, len(partners.filtered(lambda p, s=status: p.retention_status == s))))
        # as Sales > Retention > Missing Orders: fewest days since the last order first (the most winnable)
        missing = partners.filtered("retention_missing_order").sorted("retention_days_since_last_order")
        print("Missing-order alerts: %d (freshest lapse first)" % len(missing))
        for partner in missing[:8]:
            print("  - %-28s %-5s %s" % (partner.name[:28], partner.retention_status, partner.retention_explanation or ""))
        activities = env["mail.activity"].search([("activity_type_id", "=", cycle._retention_activity_type().id)])
        print("Open retention calls: %d, assigned to: %s" % (
            len(activities), ", ".join(sorted(set(activities.mapped("user_id.name")))) or "-"))
        print("Logins: admin / admin (sales manager), demo / demo (salesperson Marc Demo)")


if __name__ == "__main__":
    main(sys.argv[1:])
