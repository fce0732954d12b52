"""The retention-call queue on a real purchase history: what a team of three faces, night by night.

Loads the public CDNOW purchase history (23,570 customers of a CD retailer, 69,659 purchases over 18 months,
shipped inside the `lifetimes` package on the Python registry: the wheel is downloaded once with `pip download`
into $OR_CACHE_DIR and only its data file is read) as confirmed sale orders, its dates shifted so that its last
day is today, owned round-robin by three salespeople; then runs the real nightly cycle for NIGHTS nights in a
row without anybody making a call, and prints per night: calls created, customers waiting, out of the call
queue, messages queued, the recompute and the follow-up phase (allocation) times, and per salesperson their open
calls (never above their capacity) and waiting customers. ``--synthetic N`` uses N generated customers instead.

    python3 scripts/bench_queue.py --addons-path=... -d DB [--nights 7] [--synthetic 20000]

Run through `make bench` (scripts/bench.sh creates the database); it is not a test.
"""

import datetime
import io
import os
import subprocess
import sys
import tempfile
import time
import zipfile

import odoo
from odoo import api
from odoo.tools import SQL

LIFETIMES = "lifetimes==0.11.3"
CDNOW_MEMBER = "lifetimes/datasets/CDNOW_master.txt"
SALESPEOPLE = (("Ann Archer", "bench_ann"), ("Bob Baker", "bench_bob"), ("Cid Carter", "bench_cid"))


def cdnow_rows():
    """(customer number, date, amount) of every CDNOW purchase, read from the lifetimes wheel."""
    cache = os.environ.get("OR_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "order_retention")
    folder = os.path.join(cache, "cdnow")
    os.makedirs(folder, exist_ok=True)
    wheels = [f for f in os.listdir(folder) if f.lower().startswith("lifetimes") and f.endswith(".whl")]
    if not wheels:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, LIFETIMES], check=True
            )
            name = next(f for f in os.listdir(tmp) if f.endswith(".whl"))
            os.replace(os.path.join(tmp, name), os.path.join(folder, name))
            wheels = [name]
    with zipfile.ZipFile(os.path.join(folder, wheels[0])) as wheel:
        text = wheel.read(CDNOW_MEMBER).decode()
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0].isdigit():
            customer, day, _quantity, amount = parts
            rows.append((int(customer), datetime.datetime.strptime(day, "%Y%m%d").date(), float(amount)))
    return rows


def synthetic_rows(n_customers, seed=7):
    import random

    rng = random.Random(seed)
    today = datetime.date.today()
    rows = []
    for customer in range(1, n_customers + 1):
        gap = rng.choice([20, 30, 45, 60, 90, 120])
        last = today - datetime.timedelta(days=int(rng.expovariate(1 / 200)))
        for k in range(rng.randint(1, 12)):
            rows.append((customer, last - datetime.timedelta(days=k * gap), round(rng.lognormvariate(3.5, 0.8), 2)))
    return rows


def load(env, rows):
    """Salespeople, customers and confirmed orders (SQL COPY); dates shifted so the last one is today."""
    cr = env.cr
    salesman = env.ref("sales_team.group_sale_salesman")
    users = (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create([{"name": name, "login": login, "groups_id": [(6, 0, salesman.ids)]} for name, login in SALESPEOPLE])
    )
    team = env["crm.team"].create({"name": "Bench Retention Team", "user_id": env.ref("base.user_admin").id})
    env["crm.team.member"].create([{"crm_team_id": team.id, "user_id": user.id} for user in users])
    shift = datetime.date.today() - max(day for _c, day, _a in rows)
    customers = sorted({c for c, _d, _a in rows})
    cr.execute(
        SQL(
            """
        INSERT INTO res_partner (name, complete_name, active, is_company, type, autopost_bills, user_id, email,
                                 create_date, write_date, create_uid, write_uid)
        SELECT 'Customer ' || c, 'Customer ' || c, TRUE, TRUE, 'contact', 'ask',
               (%(users)s::int[])[1 + mod(c, 3)], 'customer' || c || '@example.com', NOW(), NOW(), 1, 1
          FROM unnest(%(customers)s::int[]) c
        RETURNING id
        """,
            users=users.ids,
            customers=customers,
        )
    )
    partner_of = dict(zip(customers, (row[0] for row in cr.fetchall()), strict=True))
    cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE commercial_partner_id IS NULL")
    company = env.ref("base.main_company")
    buf = io.StringIO()
    for number, (customer, day, amount) in enumerate(rows):
        partner = partner_of[customer]
        buf.write(
            "C%d,%d,%d,%d,%d,%s 10:00:00,sale,%.2f,%.2f,1.0,%d,%d\n"
            % (
                number,
                partner,
                partner,
                partner,
                company.id,
                day + shift,
                amount,
                amount,
                company.currency_id.id,
                team.id,
            )
        )
    buf.seek(0)
    cr.copy_expert(
        "COPY sale_order (name, partner_id, partner_invoice_id, partner_shipping_id, company_id, date_order, "
        "state, amount_untaxed, amount_total, currency_rate, currency_id, team_id) FROM STDIN WITH (FORMAT csv)",
        buf,
    )
    cr.execute("ANALYZE res_partner; ANALYZE sale_order")
    env.invalidate_all()
    return users, len(customers)


def night(env, day, users):
    """One night of the real cycle; returns its figures."""
    cycle = env["retention.cycle"]
    start = time.perf_counter()
    cycle._run_step(today=day)  # the recompute
    compute = time.perf_counter() - start
    start = time.perf_counter()
    cycle._run_step(today=day)  # the follow-up phase: the queue's allocation
    allocate = time.perf_counter() - start
    counts = env.cr.cache.get("retention_allocation", {})
    per_user = []
    for user in users:
        opened = env["mail.activity"].search_count([("retention_followup", "=", True), ("user_id", "=", user.id)])
        waiting = env["retention.customer"].search_count(
            [("retention_queue_user_id", "=", user.id), ("retention_waiting_since", "!=", False)]
        )
        per_user.append((user.name, opened, waiting))
    return compute, allocate, counts, per_user


def main(argv):
    nights, synthetic = 7, 0
    args = []
    it = iter(argv)
    for arg in it:
        if arg == "--nights":
            nights = int(next(it))
        elif arg == "--synthetic":
            synthetic = int(next(it))
        else:
            args.append(arg)
    odoo.tools.config.parse_config(args)
    dbname = odoo.tools.config["db_name"]
    dbname = dbname[0] if isinstance(dbname, list) else dbname
    registry = odoo.modules.registry.Registry(dbname)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        rows = synthetic_rows(synthetic) if synthetic else cdnow_rows()
        source = "synthetic" if synthetic else "CDNOW (lifetimes 0.11.3)"
        start = time.perf_counter()
        users, n_customers = load(env, rows)
        print(
            "%s: %d customers, %d purchases loaded in %.1f s"
            % (source, n_customers, len(rows), time.perf_counter() - start)
        )
        company = env.ref("base.main_company")
        company.write({"retention_low_touch_lost": "email"})
        capacity = company.retention_call_capacity
        print(
            "3 salespeople, capacity %d each (company default); e-mail for lost customers, at most %d a night"
            % (capacity, company.retention_low_touch_max)
        )
        print(
            "%-6s %-10s %8s %8s %8s %8s %8s %9s %9s  %s"
            % (
                "night",
                "day",
                "needing",
                "created",
                "waiting",
                "stopped",
                "messages",
                "compute",
                "followup",
                "open / waiting per salesperson",
            )
        )
        today = datetime.date.today()
        worst, before = 0, None
        for number in range(nights):
            day = today + datetime.timedelta(days=number)
            compute, allocate, counts, per_user = night(env, day, users)
            worst = max(worst, max(opened for _n, opened, _w in per_user))
            if before is None:
                before = env["retention.customer"].search_count([("retention_status", "in", ("warm", "cold", "lost"))])
            print(
                "%-6d %-10s %8d %8d %8d %8d %8d %8.2fs %8.2fs  %s"
                % (
                    number + 1,
                    day,
                    counts.get("needing", 0),
                    counts.get("created", 0),
                    counts.get("waiting", 0),
                    counts.get("stopped", 0),
                    counts.get("messages", 0),
                    compute,
                    allocate,
                    ", ".join("%s %d/%d" % (name.split()[0], o, w) for name, o, w in per_user),
                ),
                flush=True,
            )
            print(
                "       follow-up phase: %s" % ", ".join("%s %.2f s" % kv for kv in counts.get("seconds", {}).items())
            )
        print(
            "most open retention calls held by one salesperson over %d nights: %d (capacity %d)"
            % (nights, worst, capacity)
        )
        statuses = dict(
            env["retention.customer"]._read_group(
                [("retention_status", "!=", False)], ["retention_status"], ["__count"]
            )
        )
        print("statuses on the last night:", ", ".join("%s %d" % (k, v) for k, v in sorted(statuses.items())))
        print(
            "before the queue (one open call per warm/cold/lost customer): %d calls on night 1, %d per salesperson"
            % (before, before // 3)
        )
        cr.rollback()


if __name__ == "__main__":
    main(sys.argv[1:])
