"""Checks of the upgrade from the previous release to this one (scripts/test_upgrade.sh runs it twice).

  before  in a database of the previous release (installed with its demo data, its code on the addons path):
          checks that the demo ran the cycle (classified customers, open retention calls, a last outcome); adds a
          second company; gives four customers values the demo leaves empty, their company to be taken from each
          of the three places the migration looks (the customer's own, most of its confirmed orders, the main
          company); adds the columns older databases still carry (fields that later became read-time computes);
          sets the database-wide Settings to values other than their defaults; writes a snapshot (JSON) of every
          old retention column of every customer that carries a figure.
  after   in the same database upgraded with this code: retention_customer holds one row per snapshotted customer
          with the same values column by column and the expected company; res_partner keeps no retention column
          but the two that stay on it; the status history and the model runs have a company; the figures read
          through the partner and the open retention calls; the partner form and Missing Orders' views load; every
          company has the Settings the database had (18.0.1.6.0) and the old parameters are gone; a nightly cycle
          then runs without an error, and res_partner still has no moved column.

Usage: python3 scripts/check_upgrade.py before|after SNAPSHOT.json ODOO_OPTIONS... (-d DB, --addons-path...)
Prints one line per check ("check ...: ok" / "check ...: FAILED ...") and a summary; exits 1 when a check failed.
"""

import datetime
import json
import logging
import sys
from collections import Counter, defaultdict
from decimal import Decimal

# res_partner's retention columns that stay on the partner (bookkeeping of the partner itself, not a figure)
KEPT_ON_PARTNER = {"retention_phone_changed", "retention_low_touch_optout"}
# columns that older databases still carry: fields that became read-time computes (Odoo never drops a column);
# a database installed from the previous release does not have them, so they are added as an older one has them
LEGACY_COLUMNS = {
    "retention_days_since_last_order": "integer",
    "retention_overdue_days": "numeric",
    "retention_missing_order": "boolean",
    "retention_overdue_probability": "numeric",
    "retention_explanation": "text",
    "retention_rfm_recency": "integer",
    "retention_rfm_frequency": "integer",
    "retention_rfm_monetary": "integer",
    "retention_color": "integer",
    "retention_churn_learned": "boolean",
    "retention_last_contact": "varchar",
    "retention_queue_rank": "integer",
    "retention_currency_id": "integer",
}
# figures the migration does not take as "this customer carries something" when alone (counters the cycle writes)
COUNTERS = {"retention_order_count", "retention_unanswered_calls"}


class Checks:
    """Collects the checks' results and prints them as they come."""

    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("check %s: ok%s" % (name, " (%s)" % detail if detail else ""), flush=True)
        else:
            self.failed.append(name)
            print("check %s: FAILED%s" % (name, " (%s)" % detail if detail else ""), flush=True)
        return ok


# old columns the new version does not keep: the follow-up bookkeeping the retention-call queue replaced (nothing
# read it any more); the migration drops them with the others
RETIRED = ("retention_followup_checked",)


def canon(value):
    """A value as the snapshot keeps it: exact (numerics as their decimal text, scale included)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal | float):
        return "%s:%s" % (type(value).__name__, value)
    if isinstance(value, datetime.date):  # dates and datetimes
        return "%s:%s" % (type(value).__name__, value.isoformat())
    raise TypeError("unexpected %r" % (value,))


def same_value(value, snapped):
    """The moved ``value`` is the snapshot's ``snapped`` (canon): exactly, or as the same double for a figure that
    18.0.1.5.0 stores in double precision (numeric 12.3457 read back as the float 12.3457)."""
    if isinstance(value, float) and isinstance(snapped, str) and snapped.startswith(("Decimal:", "float:")):
        return value == float(snapped.split(":", 1)[1])
    return canon(value) == snapped


def columns(cr, table, prefix="retention_"):
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name LIKE %s",
        (table, prefix + "%"),
    )
    return sorted(name for (name,) in cr.fetchall())


def scalar(cr, query, params=()):
    cr.execute(query, params)
    return cr.fetchone()[0]


def retention_activities(cr):
    """Open retention calls (activities of the retention call type)."""
    return scalar(
        cr,
        """
        SELECT count(*) FROM mail_activity a
          JOIN ir_model_data d ON d.model = 'mail.activity.type' AND d.res_id = a.activity_type_id
         WHERE d.module = 'order_retention' AND d.name = 'mail_act_retention_call'
        """,
    )


# ----------------------------------------------------------------------------------------------------------------
# before: the previous release
# ----------------------------------------------------------------------------------------------------------------


def check_demo(cr, checks):
    """The previous release's demo data ran the cycle: classified customers, open retention calls, outcomes."""
    cr.execute(
        "SELECT retention_status, count(*) FROM res_partner WHERE id = commercial_partner_id "
        "AND retention_status IS NOT NULL GROUP BY 1 ORDER BY 1"
    )
    statuses = dict(cr.fetchall())
    checks.check(
        "previous release: classified customers",
        sum(statuses.values()) > 0 and len(statuses) >= 3,
        ", ".join("%s %s" % item for item in statuses.items()),
    )
    activities = retention_activities(cr)
    checks.check("previous release: open retention calls", activities > 0, "%s" % activities)
    outcomes = scalar(cr, "SELECT count(*) FROM res_partner WHERE retention_last_outcome IS NOT NULL")
    checks.check("previous release: customers with a last call outcome", outcomes > 0, "%s" % outcomes)
    history = scalar(cr, "SELECT count(*) FROM retention_status_history")
    checks.check("previous release: status history", history > 0, "%s rows" % history)


def pick_customers(cr):
    """Four customers to give values the demo leaves empty:
    own  - no figure, no confirmed order: gets the second company as its own (its figures go there),
    main - no figure, no confirmed order, no company: its figures go to the main company,
    most - classified, 3+ confirmed orders, most of which are moved to the second company (its figures go there),
    flags - classified, with a confirmed order: the queue's flags and the last outcome are set."""
    confirmed = """(SELECT count(*) FROM sale_order so JOIN res_partner sp ON sp.id = so.partner_id
                     WHERE sp.commercial_partner_id = p.id AND so.state = 'sale')"""
    cr.execute(
        f"""
        SELECT p.id FROM res_partner p
         WHERE p.id = p.commercial_partner_id AND p.active AND p.retention_status IS NULL AND p.company_id IS NULL
           AND p.retention_last_outcome IS NULL AND {confirmed} = 0
           AND NOT EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = p.id)
           AND NOT EXISTS (SELECT 1 FROM res_company c WHERE c.partner_id = p.id)
         ORDER BY p.id LIMIT 2
        """
    )
    empty = [pid for (pid,) in cr.fetchall()]
    cr.execute(
        f"""
        SELECT p.id, {confirmed} FROM res_partner p
         WHERE p.id = p.commercial_partner_id AND p.retention_status IS NOT NULL AND p.company_id IS NULL
           AND {confirmed} > 0
         ORDER BY ({confirmed} >= 3) DESC, p.id LIMIT 2
        """
    )
    classified = cr.fetchall()
    if len(empty) < 2 or len(classified) < 2 or classified[0][1] < 3:
        sys.exit("the previous release's demo data has no customers to seed (%s, %s)" % (empty, classified))
    return {"own": empty[0], "main": empty[1], "most": classified[0][0], "flags": classified[1][0]}


def seed(env, picked):
    """A second company, and values in the old columns the demo leaves empty (the legacy ones included)."""
    cr = env.cr
    company = env["res.company"].create({"name": "Upgrade Check Company"})
    env.ref("base.user_admin").company_ids = [(4, company.id)]
    env.flush_all()
    today = datetime.date.today()
    cr.execute(
        "UPDATE res_partner SET company_id = %s, retention_last_outcome = 'reached', retention_last_outcome_date = %s"
        " WHERE id = %s",
        (company.id, today - datetime.timedelta(days=5), picked["own"]),
    )
    cr.execute(
        "UPDATE res_partner SET retention_last_outcome = 'wrong_number', retention_last_outcome_date = %s"
        " WHERE id = %s",
        (today - datetime.timedelta(days=9), picked["main"]),
    )
    # most of the confirmed orders of "most" (all but its oldest) move to the second company
    cr.execute(
        """
        WITH moved AS (
            SELECT so.id FROM sale_order so JOIN res_partner sp ON sp.id = so.partner_id
             WHERE sp.commercial_partner_id = %(p)s AND so.state = 'sale'
             ORDER BY so.date_order, so.id OFFSET 1)
        UPDATE sale_order SET company_id = %(c)s WHERE id IN (SELECT id FROM moved)
        """,
        {"p": picked["most"], "c": company.id},
    )
    cr.execute(
        "UPDATE sale_order_line l SET company_id = so.company_id FROM sale_order so "
        "WHERE so.id = l.order_id AND l.company_id <> so.company_id"
    )
    cr.execute(
        """
        UPDATE res_partner SET retention_followup_checked = %(d1)s, retention_low_touch_date = %(d2)s,
               retention_kept_in_queue = TRUE, retention_churn_probability = 0.123456789012345678,
               retention_rfm_score = '515'
         WHERE id = %(p)s
        """,
        {"p": picked["most"], "d1": today - datetime.timedelta(days=3), "d2": today - datetime.timedelta(days=10)},
    )
    cr.execute(
        """
        UPDATE res_partner p SET retention_last_outcome = 'no_answer', retention_last_outcome_date = %(d1)s,
               retention_next_call_date = %(d2)s, retention_lost_for_good = TRUE, retention_unanswered_calls = 2,
               retention_call_stop = 'attempts',
               retention_last_churn_reason_id = (SELECT min(id) FROM retention_churn_reason),
               retention_restore_order_id = (SELECT max(so.id) FROM sale_order so JOIN res_partner sp
                                              ON sp.id = so.partner_id WHERE sp.commercial_partner_id = p.id)
         WHERE id = %(p)s
        """,
        {"p": picked["flags"], "d1": today - datetime.timedelta(days=2), "d2": today + datetime.timedelta(days=12)},
    )
    # the columns an older database still carries, with values
    present = set(columns(cr, "res_partner"))
    legacy = [name for name in LEGACY_COLUMNS if name not in present]
    for name in legacy:
        cr.execute('ALTER TABLE res_partner ADD COLUMN "%s" %s' % (name, LEGACY_COLUMNS[name]))
    cr.execute(
        """
        UPDATE res_partner SET retention_days_since_last_order = 42, retention_overdue_days = 12.5,
               retention_missing_order = TRUE, retention_explanation = 'Silent for 42 days (usually 30).',
               retention_rfm_recency = 5, retention_last_contact = '12/01/2026 · No answer', retention_queue_rank = 3
         WHERE id IN %s
        """,
        (tuple(picked.values()),),
    )
    return company, legacy


def expected_company(cr, ids, main_company):
    """Where the migration is to put each customer's figures: {partner: set of acceptable companies}."""
    cr.execute("SELECT id, company_id FROM res_partner WHERE id IN %s", (tuple(ids),))
    own = dict(cr.fetchall())
    cr.execute(
        """
        SELECT sp.commercial_partner_id, so.company_id FROM sale_order so JOIN res_partner sp ON sp.id = so.partner_id
         WHERE sp.commercial_partner_id IN %s AND so.state = 'sale'
        """,
        (tuple(ids),),
    )
    orders = defaultdict(Counter)
    for partner, company in cr.fetchall():
        orders[partner][company] += 1
    expected = {}
    for pid in ids:
        if own[pid]:
            expected[pid] = [own[pid]]
        elif orders[pid]:
            most = max(orders[pid].values())
            expected[pid] = sorted(c for c, n in orders[pid].items() if n == most)
        else:
            expected[pid] = [main_company]
    return expected


def snapshot(env, picked, company, legacy):
    """Every old retention column of every customer carrying a figure (what the migration is to move)."""
    cr = env.cr
    old = [name for name in columns(cr, "res_partner") if name not in KEPT_ON_PARTNER and name not in legacy]
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'res_partner' AND data_type = 'boolean'"
    )
    flags = {name for (name,) in cr.fetchall()}
    carries = " OR ".join(
        ("COALESCE(%s, FALSE)" if name in flags else "%s IS NOT NULL") % name for name in old if name not in COUNTERS
    )
    cr.execute(
        "SELECT id, user_id, %s FROM res_partner WHERE id = commercial_partner_id AND (%s) ORDER BY id"
        % (", ".join(old), carries)
    )
    rows = cr.fetchall()
    ids = [row[0] for row in rows]
    expected = expected_company(cr, ids, env.ref("base.main_company").id)
    customers = {
        str(row[0]): {
            "companies": expected[row[0]],
            "user_id": row[1],
            "values": {name: canon(value) for name, value in zip(old, row[2:], strict=True)},
        }
        for row in rows
    }
    return {
        "version": env["ir.module.module"].search([("name", "=", "order_retention")]).latest_version,
        "columns": old,
        "legacy": legacy,
        "picked": picked,
        "second_company": company.id,
        "customers": customers,
        "classified": sum(1 for c in customers.values() if c["values"]["retention_status"]),
        "history": scalar(cr, "SELECT count(*) FROM retention_status_history"),
        "model_runs": scalar(cr, "SELECT count(*) FROM retention_model_run"),
        "activities": retention_activities(cr),
    }


# the database-wide settings of the previous release (ir.config_parameter) that 18.0.1.6.0 gives to every company:
# key -> (res.company field, the value set before the upgrade, as stored text)
SETTINGS = {
    "order_retention.warm_interval_days": ("retention_warm_interval_days", "0"),
    "order_retention.lost_probability": ("retention_lost_probability", "0.9"),
    "order_retention.min_call_seconds": ("retention_min_call_seconds", "45"),
    "order_retention.winback_min_amount": ("retention_winback_min_amount", "10.0"),
}


def seed_settings(env):
    """Set the previous release's Settings to values other than their defaults (0 among them)."""
    ICP = env["ir.config_parameter"].sudo()
    for key, (_field, text) in SETTINGS.items():
        ICP.set_param(key, text)
    return {field: text for field, text in SETTINGS.values()}


def check_settings(env, snap, checks):
    """Every company (the seeded second one too) has the Settings the database had; the old parameters are gone."""
    companies = env["res.company"].sudo().with_context(active_test=False).search([])
    for field, text in snap["settings"].items():
        values = set(companies.mapped(field))
        checks.check(
            "setting %s given to every company" % field,
            values == {float(text)},
            "%s companies: %s" % (len(companies), sorted(values)),
        )
    left = env["ir.config_parameter"].sudo().search_count([("key", "in", list(SETTINGS))])
    checks.check("the database-wide setting parameters removed", left == 0, "%s left" % left)


def before(env, path, checks):
    check_demo(env.cr, checks)
    picked = pick_customers(env.cr)
    company, legacy = seed(env, picked)
    snap = snapshot(env, picked, company, legacy)
    snap["settings"] = seed_settings(env)
    for role, pid in picked.items():
        customer = snap["customers"].get(str(pid))
        checks.check(
            "seeded customer %s (%s) is in the snapshot" % (pid, role),
            bool(customer),
            "companies %s" % (customer["companies"] if customer else "-"),
        )
    env.cr.commit()
    with open(path, "w") as snapshot_file:
        json.dump(snap, snapshot_file, indent=1, sort_keys=True)
    print(
        "snapshot of %s: %s customers (%s classified), %s old retention columns of res_partner (+%s legacy ones "
        "added: %s), %s status history rows, %s model runs, %s open retention calls"
        % (
            snap["version"],
            len(snap["customers"]),
            snap["classified"],
            len(snap["columns"]),
            len(legacy),
            ", ".join(legacy),
            snap["history"],
            snap["model_runs"],
            snap["activities"],
        )
    )


# ----------------------------------------------------------------------------------------------------------------
# after: the upgraded database
# ----------------------------------------------------------------------------------------------------------------


def check_partner_columns(cr, checks, when):
    remaining = columns(cr, "res_partner")
    extra = [name for name in remaining if name not in KEPT_ON_PARTNER]
    checks.check(
        "res_partner keeps only %s %s" % (" and ".join(sorted(KEPT_ON_PARTNER)), when),
        not extra,
        "remaining: %s%s" % (", ".join(remaining) or "none", "; not dropped: %s" % ", ".join(extra) if extra else ""),
    )


def check_log_columns(cr, checks):
    """18.0.1.4.0: the cycle's tables have no creator / writer columns (nor their foreign keys) any more."""
    for table in ("retention_customer", "retention_status_history"):
        left = columns(cr, table, prefix="")
        left = [name for name in left if name in ("create_uid", "create_date", "write_uid", "write_date")]
        checks.check("%s has no creator / writer columns" % table, not left, ", ".join(left))


def check_figure_columns(cr, checks):
    """18.0.1.5.0: the cycle's figures are stored in double precision (models/retention_figures.py)."""
    cr.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'retention_customer' AND data_type IN ('numeric', 'double precision') ORDER BY 1"
    )
    types = dict(cr.fetchall())
    numeric = [name for name, kind in types.items() if kind == "numeric"]
    checks.check(
        "retention_customer's %d figures in double precision" % len(types),
        len(types) >= 11 and not numeric,
        "still numeric: %s" % ", ".join(numeric) if numeric else "%d columns" % len(types),
    )


def check_moved(cr, snap, checks):
    """retention_customer holds one row per snapshotted customer, in the expected company, with the same values."""
    new_columns = set(columns(cr, "retention_customer"))
    missing = [name for name in snap["columns"] if name not in new_columns and name not in RETIRED]
    checks.check(
        "every old column has its column in retention_customer (but the retired %s)" % ", ".join(RETIRED),
        not missing,
        ", ".join(missing),
    )
    moved = [name for name in snap["columns"] if name in new_columns]
    cr.execute("SELECT partner_id, company_id, user_id, %s FROM retention_customer ORDER BY id" % ", ".join(moved))
    rows = defaultdict(list)
    for row in cr.fetchall():
        rows[str(row[0])].append(row)
    customers = snap["customers"]
    not_one = {pid: len(rows.get(pid, [])) for pid in customers if len(rows.get(pid, [])) != 1}
    checks.check(
        "one retention_customer row per snapshotted customer",
        not not_one,
        "%s customers; rows per customer off: %s" % (len(customers), not_one) if not_one else "%s" % len(customers),
    )
    extra = sorted(set(rows) - set(customers))
    checks.check("no retention_customer row for a customer without figures", not extra, ", ".join(extra))
    wrong_company, wrong_user, differences = [], [], []
    for pid, customer in customers.items():
        for row in rows.get(pid, []):
            if row[1] not in customer["companies"]:
                wrong_company.append("%s: %s, expected %s" % (pid, row[1], customer["companies"]))
            if row[2] != customer["user_id"]:
                wrong_user.append("%s: %s, was %s" % (pid, row[2], customer["user_id"]))
            for name, value in zip(moved, row[3:], strict=True):
                if not same_value(value, customer["values"][name]):
                    differences.append("%s.%s: %r, was %r" % (pid, name, canon(value), customer["values"][name]))
    checks.check("company of the figures (own / most orders / main)", not wrong_company, "; ".join(wrong_company[:10]))
    checks.check("salesperson of the figures", not wrong_user, "; ".join(wrong_user[:10]))
    checks.check(
        "values moved column by column (%s columns x %s customers)" % (len(moved), len(customers)),
        not differences,
        "%s differences: %s" % (len(differences), "; ".join(differences[:15])) if differences else "",
    )
    picked = snap["picked"]
    second, main = snap["second_company"], customers[str(picked["main"])]["companies"][0]
    placed = {role: [row[1] for row in rows.get(str(pid), [])] for role, pid in picked.items()}
    checks.check(
        "seeded customers' companies",
        placed["own"] == [second] and placed["most"] == [second] and placed["main"] == [main],
        "own company -> %s, most orders -> %s, neither -> %s (second company %s, main %s)"
        % (placed["own"], placed["most"], placed["main"], second, main),
    )


def check_companies(cr, snap, checks):
    history = scalar(cr, "SELECT count(*) FROM retention_status_history")
    without = scalar(cr, "SELECT count(*) FROM retention_status_history WHERE company_id IS NULL")
    checks.check(
        "status history rows have a company",
        history == snap["history"] and not without,
        "%s rows (%s before), %s without" % (history, snap["history"], without),
    )
    elsewhere = scalar(
        cr,
        """
        SELECT count(*) FROM retention_status_history h
         WHERE NOT EXISTS (SELECT 1 FROM retention_customer c
                            WHERE c.partner_id = h.partner_id AND c.company_id = h.company_id)
        """,
    )
    checks.check("status history in the company of the customer's figures", not elsewhere, "%s elsewhere" % elsewhere)
    runs = scalar(cr, "SELECT count(*) FROM retention_model_run")
    runs_without = scalar(cr, "SELECT count(*) FROM retention_model_run WHERE company_id IS NULL")
    checks.check(
        "model runs have a company",
        runs == snap["model_runs"] and not runs_without,
        "%s runs, %s without" % (runs, runs_without),
    )


def check_reads(env, snap, checks):
    """The figures read through the partner (related fields) and the open retention calls, as the administrator."""
    admin = env.ref("base.user_admin")
    Partner = env["res.partner"].with_user(admin)
    wrong = []
    for pid, customer in snap["customers"].items():
        company = customer["companies"][0]
        partner = Partner.with_company(company).browse(int(pid))
        for name in ("retention_status", "retention_last_outcome", "retention_lost_for_good"):
            if name in partner._fields and (partner[name] or None) != (customer["values"][name] or None):
                wrong.append("%s.%s: %r, was %r" % (pid, name, partner[name], customer["values"][name]))
    checks.check(
        "figures read through the partner's related fields (administrator, customer's company)",
        not wrong,
        "%s customers%s" % (len(snap["customers"]), "; " + "; ".join(wrong[:10]) if wrong else ""),
    )
    activities = retention_activities(env.cr)
    type_id = env.ref("order_retention.mail_act_retention_call").id
    calls = env["mail.activity"].search([("activity_type_id", "=", type_id)])
    unlinked = calls.filtered(lambda a: not a.retention_customer_id)
    checks.check(
        "open retention calls kept, each with its customer's figures",
        activities == snap["activities"] and not unlinked,
        "%s calls (%s before), %s without figures" % (activities, snap["activities"], len(unlinked)),
    )


def check_views(env, checks):
    admin = env.ref("base.user_admin")
    try:
        form = env["res.partner"].with_user(admin).get_views([(False, "form")])
        ok = "retention_status" in form["models"]["res.partner"]["fields"]
        checks.check("partner form view loads", ok, "" if ok else "no retention_status in its fields")
    except Exception as error:  # noqa: BLE001 - any error is the check's failure
        checks.check("partner form view loads", False, repr(error))
    action = env.ref("order_retention.res_partner_action_missing_orders")
    try:
        views = [(view.view_id.id, view.view_mode) for view in action.view_ids]
        views.append((action.search_view_id.id, "search"))
        loaded = env[action.res_model].with_user(admin).get_views(views)
        checks.check(
            "Missing Orders views load",
            set(loaded["views"]) == {mode for _id, mode in views} and action.res_model == "retention.customer",
            "%s: %s" % (action.res_model, ", ".join(sorted(loaded["views"]))),
        )
    except Exception as error:  # noqa: BLE001 - any error is the check's failure
        checks.check("Missing Orders views load", False, repr(error))


class _ErrorCounter(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(self.format(record))


def next_night(env):
    """The day after the last night the database ran: the demo ran the cycle on its administrator's today, which is
    already tomorrow in UTC between their midnight and UTC's (a night of UTC's tomorrow was then already done, and
    the check ran no cycle at all when the CI ran at that hour)."""
    last = env["ir.config_parameter"].sudo().get_param("order_retention.last_compute_date")
    today = datetime.date.today()
    if last:
        today = max(today, datetime.date.fromisoformat(last))
    return today + datetime.timedelta(days=1)


def check_cycle(env, checks, night):
    """The next nightly cycle on the migrated figures (as the cron runs it: the demo already ran its today's), both
    phases (the figures, then the call queue) done, without an error logged."""
    started = scalar(env.cr, "SELECT date_trunc('second', clock_timestamp() AT TIME ZONE 'UTC')")
    counter = _ErrorCounter()
    logging.getLogger().addHandler(counter)
    try:
        env["retention.cycle"]._retention_run_cycle(today=night)
        env.cr.commit()
        error = None
    except Exception as exc:  # noqa: BLE001 - any error is the check's failure
        env.cr.rollback()
        error = repr(exc)
    finally:
        logging.getLogger().removeHandler(counter)
    ICP = env["ir.config_parameter"].sudo()
    phases = [ICP.get_param("order_retention.last_%s_date" % phase) for phase in ("compute", "allocate")]
    env.cr.execute(
        "SELECT count(*), count(*) FILTER (WHERE retention_status IS NOT NULL), "
        "count(*) FILTER (WHERE retention_last_computed >= %s) FROM retention_customer",
        (started,),
    )
    rows, classified, written = env.cr.fetchone()
    done = phases == [night.isoformat()] * 2
    checks.check(
        "the next nightly cycle runs on the migrated database (%s)" % night,
        not error and not counter.records and done and classified > 0,
        error
        or "; ".join(counter.records[:3])
        or "phases done: %s; %s customers, %s classified, %s rows rewritten (changed figures)"
        % (phases, rows, classified, written),
    )
    check_partner_columns(env.cr, checks, "after the cycle")
    return rows, classified


def check_kept_facts(env, checks, night):
    """Issue 23: after the upgrade, the triggers noting changed orders are in place, and the order facts the night
    kept are those a read of every order gives (what the engine would have read without them)."""
    from odoo.tools import SQL

    from odoo.addons.order_retention.tools import frames

    cr = env.cr
    triggers = scalar(cr, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'retention_fact_%%' AND NOT tgisinternal")
    checks.check("the 4 triggers noting changed orders are in place", triggers == 4, "%s triggers" % triggers)
    company = env.ref("base.main_company")
    cr.execute(SQL(frames.FACT_ROWS, env["retention.cycle"]._retention_fact_query(night, company)))
    read = cr.fetchall()
    cr.execute(env["retention.fact.cache"]._retention_kept_sql(company))
    kept = cr.fetchall()
    checks.check(
        "the order facts kept by the night are a read of every order's",
        bool(kept) and kept == read,
        "%d customers kept, %d read" % (len(kept), len(read)),
    )


def after(env, path, checks):
    with open(path) as snapshot_file:
        snap = json.load(snapshot_file)
    cr = env.cr
    version = env["ir.module.module"].search([("name", "=", "order_retention")]).latest_version
    checks.check("order_retention upgraded", version != snap["version"], "%s -> %s" % (snap["version"], version))
    check_partner_columns(cr, checks, "after the upgrade")
    check_log_columns(cr, checks)
    check_figure_columns(cr, checks)
    check_moved(cr, snap, checks)
    check_companies(cr, snap, checks)
    check_reads(env, snap, checks)
    check_views(env, checks)
    check_settings(env, snap, checks)
    night = next_night(env)
    rows, classified = check_cycle(env, checks, night)
    check_kept_facts(env, checks, night)
    dropped = len(snap["columns"]) + len(snap["legacy"])
    print(
        "upgrade %s -> %s: %s customers moved (%s classified), %s retention columns of res_partner dropped "
        "(%s of the previous release + %s legacy), %s status history rows with a company; after a nightly cycle: "
        "%s customers, %s classified"
        % (
            snap["version"],
            version,
            len(snap["customers"]),
            snap["classified"],
            dropped,
            len(snap["columns"]),
            len(snap["legacy"]),
            snap["history"],
            rows,
            classified,
        )
    )


def main(argv):
    import odoo
    from odoo.tools import config

    phase, path, odoo_args = argv[0], argv[1], argv[2:]
    if phase not in ("before", "after"):
        sys.exit(__doc__)
    config.parse_config(odoo_args)
    dbname = config["db_name"][0] if isinstance(config["db_name"], list) else config["db_name"]
    registry = odoo.modules.registry.Registry(dbname)
    checks = Checks()
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        (before if phase == "before" else after)(env, path, checks)
    print("%s: %s checks passed, %s failed" % (phase, checks.passed, len(checks.failed)), flush=True)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
