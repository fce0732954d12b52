import datetime
import logging
import random
import time

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from .retention_policy import retention_system

_logger = logging.getLogger(__name__)

# name, salesperson xmlid (None: nobody), rhythm in days, jitter (days), occasions, days since last order,
# order amount, contact names (orders rotate over them; the company itself orders when empty)
DEMO_CUSTOMERS = [
    ("Regular Bakery Supplies", "base.user_demo", 14, 2, 20, 5, 900, []),
    ("Multi-Site Catering Group", "base.user_admin", 10, 3, 24, 3, 1500, ["Anna North", "Ben South", "Carl East"]),
    ("Steady Office Furniture", "base.user_demo", 30, 3, 10, 34, 2400, []),
    ("Weekly Coffee Roasters", "base.user_admin", 7, 1, 30, 9, 350, []),
    ("Lapsed Hardware Store", "base.user_demo", 21, 6, 12, 74, 1200, ["Dana West"]),
    ("Big Account Industries", "base.user_admin", 30, 4, 18, 62, 9800, []),
    ("Irregular Garden Center", None, 35, 25, 8, 80, 600, []),
    ("Lost Print Shop", "base.user_demo", 30, 5, 10, 420, 700, []),
    ("Forgotten Bike Rentals", "base.user_admin", 60, 10, 4, 380, 450, []),
    ("One-time Event Agency", "base.user_demo", 0, 0, 1, 12, 3000, []),
    ("One-time Wedding Planner", None, 0, 0, 1, 150, 800, []),
    ("New Yoga Studio", "base.user_admin", 9, 1, 2, 4, 250, []),
]

# the generated population (retention.cycle._retention_demo_population): its salespeople (password = login),
# how many customers, their names (word x trade), and the reasons given on retention calls that won the customer
# back or not (xmlid, weight)
DEMO_SALESPEOPLE = [("Olga Orlova", "olga"), ("Victor Vance", "victor")]
DEMO_POPULATION_SIZE = 320
DEMO_WORDS = [
    "Alpine", "Harbor", "Maple", "Summit", "Cedar", "Prairie", "Coastal", "Granite", "Willow", "Orchard",
    "Riverside", "Northgate", "Sunny", "Oakwood", "Bluebell", "Silverline", "Redwood", "Lakeside", "Hilltop",
    "Meadow", "Pinecrest", "Stonebridge", "Goldfield", "Westwind",
]  # fmt: skip
DEMO_TRADES = [
    "Bakery", "Pharmacy", "Hardware", "Catering", "Print Shop", "Garage", "Dental Clinic", "Florist", "Cafe",
    "Bistro", "Hotel", "Gym", "Bookstore", "Pet Shop", "Laundry", "Deli",
]  # fmt: skip
DEMO_WINBACK_REASONS = [
    ("churn_reason_price", 4),
    ("churn_reason_delivery", 4),
    ("churn_reason_no_need", 5),
    ("churn_reason_quality", 1),
    ("churn_reason_complaint", 2),
    ("churn_reason_other", 1),
]
DEMO_DEPARTURE_REASONS = [
    ("churn_reason_competitor", 5),
    ("churn_reason_price", 3),
    ("churn_reason_closed", 2),
    ("churn_reason_quality", 2),
    ("churn_reason_no_need", 2),
    ("churn_reason_complaint", 1),
    ("churn_reason_delivery", 1),
]


class RetentionCycle(models.AbstractModel):
    _inherit = "retention.cycle"

    @api.model
    def _retention_demo_generate(self):
        """Demo customers with realistic order histories relative to today (regular, irregular,
        one-order, lapsed, lost, several contacts ordering for one company, same-day orders), then
        one run of the retention cycle so that every status appears at once."""
        rng = random.Random(42)
        today = fields.Date.context_today(self)
        product = self.env["product.product"].create(
            {
                "name": "Retention Demo Supplies",
                "type": "consu",
                "list_price": 100.0,
                "sale_ok": True,
                "default_code": "RET-DEMO",
            }
        )
        Partner = self.env["res.partner"]
        order_vals = []
        for number, (name, user_ref, rhythm, jitter, occasions, silent, amount, contacts) in enumerate(DEMO_CUSTOMERS):
            user = self.env.ref(user_ref, raise_if_not_found=False) if user_ref else self.env["res.users"]
            company = Partner.create(
                {
                    "name": name,
                    "is_company": True,
                    "user_id": user.id,
                    "phone": "+1 650-253-%04d" % (100 + number),
                    "email": "%s@example.com" % name.split()[0].lower(),
                }
            )
            buyers = (
                Partner.create([{"name": c, "parent_id": company.id, "type": "contact"} for c in contacts]) or company
            )
            day = today - datetime.timedelta(days=silent)
            dates = [day]
            for _i in range(occasions - 1):
                day -= datetime.timedelta(days=max(1, rhythm + rng.randint(-jitter, jitter)))
                dates.append(day)
            for index, date in enumerate(sorted(dates)):
                buyer = buyers[index % len(buyers)]
                order_vals.append(
                    self._retention_demo_order_vals(buyer, user, product, date, amount * rng.uniform(0.7, 1.3))
                )
                if contacts and index % 6 == 0:  # a second order the same day by another contact: one occasion
                    order_vals.append(
                        self._retention_demo_order_vals(
                            buyers[(index + 1) % len(buyers)], user, product, date, amount / 3
                        )
                    )
        orders = self.env["sale.order"].create(order_vals)
        orders.write({"state": "sale"})
        for order, vals in zip(orders, order_vals, strict=False):
            order.date_order = vals["date_order"]
        self._retention_demo_backdate(orders)
        # two unpaid quotations for the same products (one sent): the duplicates wizard keeps the sent one
        lapsed = Partner.search([("name", "=", "Lapsed Hardware Store")], limit=1)
        quotes = self.env["sale.order"].create(
            [
                self._retention_demo_order_vals(
                    lapsed, lapsed.user_id, product, today - datetime.timedelta(days=days), 1150.0
                )
                for days in (6, 2)
            ]
        )
        quotes[0].state = "sent"
        # a few cancelled quotations, each with its reason, for the cancellation analysis
        cancelled = [
            ("Regular Bakery Supplies", "order_retention.cancel_reason_better_price", "Competitor 8 % cheaper", 20),
            ("Big Account Industries", "order_retention.cancel_reason_long_delivery", "Needed it within a week", 45),
            ("Weekly Coffee Roasters", "order_retention.cancel_reason_changed_mind", "", 12),
            ("Multi-Site Catering Group", "order_retention.cancel_reason_mistake", "Entered twice", 5),
            ("Irregular Garden Center", "order_retention.cancel_reason_better_price", "", 70),
        ]
        for name, reason_ref, note, days in cancelled:
            customer = Partner.search([("name", "=", name)], limit=1)
            quote = self.env["sale.order"].create(
                self._retention_demo_order_vals(
                    customer, customer.user_id, product, today - datetime.timedelta(days=days), 500.0
                )
            )
            quote.with_context(
                retention_cancel_reason_id=self.env.ref(reason_ref).id,
                retention_cancel_note=note,
                disable_cancel_warning=True,
            ).action_cancel()
            self._retention_demo_backdate(quote)
        self._retention_demo_population(product, today)
        self._retention_run_cycle(today=today)
        self._retention_demo_calls()
        return True

    @api.model
    def _retention_demo_calls(self):
        """A few calls pushed by the 'PBX' (one of them closes Steady Office Furniture's retention call),
        a short one, an unknown number and a manually logged one."""
        company = self.env.company
        now = fields.Datetime.now()
        rows = [
            (
                0,
                {
                    "call_id": "DEMO-1",
                    "number": "+1 650-253-0102",
                    "direction": "outbound",
                    "start": (now + datetime.timedelta(minutes=1)).isoformat(),
                    "duration": 184,
                },
            ),
            (
                1,
                {
                    "call_id": "DEMO-2",
                    "number": "(650) 253-0104",
                    "direction": "outbound",
                    "start": (now - datetime.timedelta(days=3)).isoformat(),
                    "duration": 12,
                },
            ),
            (
                2,
                {
                    "call_id": "DEMO-3",
                    "number": "+1 650 253 0100 ext. 7",
                    "direction": "inbound",
                    "start": (now - datetime.timedelta(days=1)).isoformat(),
                    "duration": 95,
                },
            ),
            (
                3,
                {
                    "call_id": "DEMO-4",
                    "number": "+1 415 555 0142",
                    "direction": "inbound",
                    "start": (now - datetime.timedelta(hours=5)).isoformat(),
                    "duration": 40,
                },
            ),
        ]
        self.env["retention.call"]._retention_ingest(rows, "pbx", company)
        steady = self.env["res.partner"].search([("name", "=", "Steady Office Furniture")], limit=1)
        activity = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", steady.id),
                ("activity_type_id", "=", self._retention_activity_type().id),
            ],
            limit=1,
        )
        if activity:
            # the salesperson records the outcome in the dialog (the call above verifies it)
            self.env["mail.activity.retention.outcome"].with_user(activity.user_id).create(
                {
                    "activity_id": activity.id,
                    "outcome": "reached",
                    "churn_reason_id": self.env.ref("order_retention.churn_reason_delivery").id,
                    "next_step": "expects_order",
                    "feedback": "Customer moved offices; next order next week.",
                }
            ).action_done()
        self._retention_demo_past_outcomes(company, now)
        self.env["retention.call"].create(
            {
                "partner_id": steady.id,
                "phone_number": steady.phone,
                "duration_seconds": 60,
                "user_id": steady.user_id.id,
                "start": now - datetime.timedelta(days=2),
                "note": "Typed by hand: not verified.",
            }
        )

    @api.model
    def _retention_demo_past_outcomes(self, company, now):
        """Earlier retention calls with their outcomes, so that Why Customers Leave has data (the bakery
        ordered within 90 days of its call: a win-back)."""
        past = [  # call id, number, days ago, seconds, status at the call, outcome, reason, next step
            ("DEMO-H1", "+1 650-253-0105", 40, 150, "warm", "reached", "churn_reason_price", "quotation"),
            ("DEMO-H2", "+1 650-253-0100", 30, 80, "warm", "reached", "churn_reason_no_need", "expects_order"),
            ("DEMO-H3", "+1 650-253-0108", 100, 65, "lost", "reached", "churn_reason_competitor", "expects_order"),
            ("DEMO-H4", "+1 650-253-0106", 20, 25, "cold", "no_answer", None, None),
        ]
        self.env["retention.call"]._retention_ingest(
            [
                (
                    i,
                    {
                        "call_id": call_id,
                        "number": number,
                        "direction": "outbound",
                        "duration": seconds,
                        "start": (now - datetime.timedelta(days=days)).isoformat(),
                        "user_login": "demo",
                    },
                )
                for i, (call_id, number, days, seconds, *_rest) in enumerate(past)
            ],
            "pbx",
            company,
        )
        with retention_system():
            for call_id, _number, _days, _seconds, status, outcome, reason, step in past:
                call = self.env["retention.call"].search([("external_id", "=", call_id)], limit=1)
                call.write(
                    {
                        "outcome": outcome,
                        "status_at_call": status,
                        "next_step": step,
                        "churn_reason_id": reason and self.env.ref("order_retention.%s" % reason).id,
                        "outcome_user_id": call.user_id.id,
                        "consumed_date": call.start,
                        "consumed_activity_ref": "demo: an earlier retention call",
                    }
                )

    @api.model
    def _retention_demo_backdate(self, orders):
        """Date the demo ``orders`` as if entered on their order date: created then and, once cancelled,
        cancelled the next day (not after now). The cancellation rate by month of creation and the
        cancellations of a period then spread over the demo's history, as real ones do, instead of all
        falling on the day of the install."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
            UPDATE sale_order
               SET create_date = date_order,
                   retention_cancel_date = CASE WHEN state = 'cancel' THEN
                       LEAST(date_order + INTERVAL '1 day', NOW() AT TIME ZONE 'UTC') END
             WHERE id = ANY(%s)
            """,
                orders.ids,
            )
        )
        orders.invalidate_recordset(["create_date", "retention_cancel_date"])

    @api.model
    def _retention_demo_order_vals(self, buyer, user, product, date, amount):
        return {
            "partner_id": buyer.id,
            "user_id": user.id,
            "date_order": datetime.datetime.combine(date, datetime.time(10, 0)),
            "order_line": [
                Command.create(
                    {
                        "product_id": product.id,
                        "product_uom_qty": 1,
                        "price_unit": round(amount, 2),
                    }
                )
            ],
        }

    @api.model
    def _retention_demo_team(self, n_customers=120, capacity=6, seed=7):
        """A team-sized scenario on top of the demo (not loaded at install; scripts/screenshots.py --team calls
        it on a copy of the demo database): two more salespeople in an *Inside Sales* team with a retention-call
        capacity of ``capacity`` each, and ``n_customers`` customers of theirs with up to three years of orders,
        lapsed from a few days to three years ago; then the cycle runs again, so that their queues fill up and
        the others wait. Deterministic (``seed``)."""
        if not self.env.su:
            raise AccessError(self.env._("Only the superuser can load the demo team."))
        rng = random.Random(seed)
        today = fields.Date.context_today(self)
        salesman = self.env.ref("sales_team.group_sale_salesman")
        users = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                [
                    {"name": name, "login": login, "password": login, "groups_id": [Command.set(salesman.ids)]}
                    for name, login in (("Sofia Seller", "sofia"), ("Tom Trader", "tom"))
                ]
            )
        )
        team = self.env["crm.team"].create({"name": "Inside Sales", "user_id": self.env.ref("base.user_admin").id})
        self.env["crm.team.member"].create(
            [{"crm_team_id": team.id, "user_id": user.id, "retention_call_capacity": capacity} for user in users]
        )
        product = self.env["product.product"].search([("default_code", "=", "RET-DEMO")], limit=1)
        words = ["Alpine", "Harbor", "Maple", "Summit", "Cedar", "Prairie", "Coastal", "Granite", "Willow", "Orchard"]
        trades = ["Bakery", "Pharmacy", "Hardware", "Catering", "Print Shop", "Garage", "Dental Clinic", "Florist"]
        partners = self.env["res.partner"].create(
            [
                {
                    "name": "%s %s %d" % (rng.choice(words), rng.choice(trades), number),
                    "is_company": True,
                    "user_id": users[number % 2].id,
                    "phone": "+1 650-555-%04d" % number,
                    "email": "customer%d@example.com" % number,
                }
                for number in range(n_customers)
            ]
        )
        order_vals = []
        for partner in partners:
            rhythm = rng.choice([7, 14, 21, 30, 45, 60])
            silent = int(rng.choice([rng.uniform(0, 60), rng.uniform(30, 400), rng.uniform(300, 1100)]))
            amount = rng.choice([300, 800, 1500, 4000, 9000])
            day = today - datetime.timedelta(days=silent)
            first = today - datetime.timedelta(days=3 * 365)
            while day >= first:
                order_vals.append(
                    self._retention_demo_order_vals(
                        partner, partner.user_id, product, day, amount * rng.uniform(0.6, 1.4)
                    )
                )
                day -= datetime.timedelta(days=max(1, int(rhythm * rng.uniform(0.6, 1.6))))
        orders = self.env["sale.order"].create(order_vals)
        orders.write({"state": "sale"})
        for order, vals in zip(orders, order_vals, strict=False):
            order.date_order = vals["date_order"]
        self.env["sale.order"].flush_model()
        self._retention_reset_day()
        self._retention_run_cycle(today=today)
        return True

    # ------------------------------------------------------------------
    # THE GENERATED POPULATION (three years of a small wholesaler)
    # ------------------------------------------------------------------

    @api.model
    def _retention_demo_population(self, product, today, n_customers=DEMO_POPULATION_SIZE, seed=2022):
        """A few hundred customers of two more salespeople (Olga and Victor, team Direct Sales) with up to three
        years of confirmed orders: steady customers, customers who lapsed and were won back by a retention call,
        customers who left (most of them called first), customers lapsing now, one-time buyers; cancelled
        quotations with their reasons, duplicate quotations, and the verified telephony calls of the past
        retention calls with their outcomes (older than 90 days: a known result; recent ones: pending).
        Deterministic (``seed``, dates relative to ``today``); orders are inserted set-based (one SQL statement
        copying a template order) so the install stays quick. Returns the customers."""
        started = time.perf_counter()
        # demo records: no chatter message, follower or assignment e-mail per record (they would take most of the time)
        self = self.with_context(
            tracking_disable=True,
            mail_create_nolog=True,
            mail_create_nosubscribe=True,
            mail_auto_subscribe_no_notify=True,
            mail_notrack=True,
        )
        rng = random.Random(seed)
        users = self._retention_demo_salespeople()
        Partner = self.env["res.partner"]
        names = rng.sample(["%s %s" % (word, trade) for word in DEMO_WORDS for trade in DEMO_TRADES], n_customers)
        customers = Partner.create(
            [
                {
                    "name": name,
                    "is_company": True,
                    "user_id": users[number % len(users)].id,
                    "phone": "+1 628-400-%04d" % number,
                    "email": "%s@example.com" % name.lower().replace(" ", "."),
                }
                for number, name in enumerate(names)
            ]
        )
        orders, calls = [], []  # orders: (partner, date, amount, won back, status at order); calls: see below
        for customer in customers:
            self._retention_demo_history(rng, customer, today, orders, calls)
        self._retention_demo_insert_orders(product, orders)
        self._retention_demo_quotations(rng, product, customers, today)
        self._retention_demo_population_calls(calls)
        _logger.info(
            "order_retention demo: %d generated customers, %d orders, %d past retention calls in %.1f s",
            len(customers),
            len(orders),
            len(calls),
            time.perf_counter() - started,
        )
        return customers

    @api.model
    def _retention_demo_salespeople(self):
        """Olga and Victor (plain salespeople, password = login) in the sales team Direct Sales."""
        salesman = self.env.ref("sales_team.group_sale_salesman")
        users = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                [
                    {
                        "name": name,
                        "login": login,
                        "password": login,
                        "email": "%s@example.com" % login,
                        "groups_id": [Command.set(salesman.ids)],
                    }
                    for name, login in DEMO_SALESPEOPLE
                ]
            )
        )
        team = self.env["crm.team"].create({"name": "Direct Sales", "user_id": self.env.ref("base.user_admin").id})
        self.env["crm.team.member"].create([{"crm_team_id": team.id, "user_id": user.id} for user in users])
        return users

    @api.model
    def _retention_demo_history(self, rng, customer, today, orders, calls):
        """One customer's orders (appended to ``orders``) and past retention calls (appended to ``calls`` as
        (customer, days ago, seconds, status at call, outcome, reason xmlid, next step))."""
        rhythm = rng.choice([10, 14, 21, 30, 30, 45, 60, 90])
        amount = rng.choice([150, 400, 900, 2000, 4500]) * (rhythm / 30) ** 0.5
        span = rng.randint(420, 1095) if rng.random() < 0.85 else rng.randint(45, 419)
        first = today - datetime.timedelta(days=span)
        fate = rng.choices(["steady", "winback", "left", "lapsing", "once"], weights=[38, 12, 28, 17, 5])[0]

        def step(day):
            return day + datetime.timedelta(days=max(1, round(rhythm * rng.uniform(0.7, 1.3))))

        def walk(day, until, won=False, status=None):
            while day < until:
                orders.append((customer, day, amount * rng.uniform(0.7, 1.3), won, status))
                won, status = False, "active"
                day = step(day)
            return day

        if fate == "once":
            orders.append((customer, first, amount * 1.5, False, None))
            return
        stop = today - datetime.timedelta(days=round(rhythm * rng.uniform(1.8, 6))) if fate == "lapsing" else today
        if fate == "left":
            stop = first + datetime.timedelta(days=round(span * rng.uniform(0.35, 0.8)))
        if fate == "winback":
            lapse = first + datetime.timedelta(days=round(span * rng.uniform(0.25, 0.6)))
            day = walk(first, lapse)
            last = orders[-1][1]
            gaps = rng.uniform(1.5, 3.4)
            called = last + datetime.timedelta(days=round(rhythm * gaps))
            status = self._retention_demo_status_at_call(gaps)
            back = called + datetime.timedelta(days=rng.randint(3, 45))
            if back < today:
                self._retention_demo_call_pair(rng, customer, today, called, status, calls, won=True)
                walk(back, today, won=True, status=status)
                return
            stop = lapse
            walk(day, stop)
        else:
            walk(first, stop)
        if fate in ("left", "lapsing"):
            last = orders[-1][1]
            gaps = rng.uniform(1.6, 5)
            called = last + datetime.timedelta(days=round(rhythm * gaps))
            if called < today and rng.random() < 0.8:
                status = self._retention_demo_status_at_call(gaps)
                self._retention_demo_call_pair(rng, customer, today, called, status, calls, won=False)

    @api.model
    def _retention_demo_status_at_call(self, gaps):
        """The status of a customer called after ``gaps`` usual gaps of silence (as the demo's warning levels)."""
        return "warm" if gaps < 2 else "cold" if gaps < 3 else "lost"

    @api.model
    def _retention_demo_call_pair(self, rng, customer, today, called, status, calls, won):
        """A retention call on ``called`` (often after an unanswered attempt a few days before): reached with a
        reason (win-backs more often for price and delivery, departures more often for a competitor or a
        closed business) or, now and then, never reached."""
        days_ago = (today - called).days
        if rng.random() < 0.4 and days_ago > 4:
            calls.append((customer, days_ago + 3, rng.randint(0, 15), status, "no_answer", None, None))
        if not won and rng.random() < 0.2:
            calls.append((customer, days_ago, rng.randint(20, 40), status, "no_answer", None, None))
            return
        reasons = DEMO_WINBACK_REASONS if won else DEMO_DEPARTURE_REASONS
        reason = rng.choices([r for r, _w in reasons], weights=[w for _r, w in reasons])[0]
        if won:
            step = rng.choice(["expects_order", "expects_order", "quotation"])
        else:
            step = "lost_for_good" if reason == "churn_reason_closed" else rng.choice(["expects_order", "quotation"])
        calls.append((customer, days_ago, rng.randint(45, 420), status, "reached", reason, step))

    @api.model
    def _retention_demo_insert_orders(self, product, rows):
        """Confirmed orders, one line each, inserted in two SQL statements that copy a template order made by the
        ORM (so every column has its usual value): rows = [(customer, date, amount, won back, status at order)].
        The days since the customer's previous order are stamped as the confirmation would."""
        first_customer = rows[0][0]
        template = self.env["sale.order"].create(
            {
                "partner_id": first_customer.id,
                "user_id": first_customer.user_id.id,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": 1, "price_unit": 1, "tax_id": False})
                ],
            }
        )
        template.write({"state": "sale"})
        self.env.flush_all()
        team = self.env["crm.team"].search([("name", "=", "Direct Sales")], limit=1)
        moments = [
            datetime.datetime.combine(day, datetime.time(9 + (i % 8), (7 * i) % 60))
            for i, (_c, day, *_r) in enumerate(rows)
        ]
        names = ["DS%05d" % (i + 1) for i in range(len(rows))]
        overrides = {
            "name": SQL("r.name"),
            "partner_id": SQL("r.partner_id"),
            "partner_invoice_id": SQL("r.partner_id"),
            "partner_shipping_id": SQL("r.partner_id"),
            "user_id": SQL("r.user_id"),
            "team_id": SQL("%s", team.id),
            "date_order": SQL("r.date_order"),
            "amount_untaxed": SQL("r.amount"),
            "amount_total": SQL("r.amount"),
            "amount_tax": SQL("0"),
            "access_token": SQL("NULL"),
            "retention_won_back": SQL("r.won"),
            "retention_status_at_order": SQL("r.status_at"),
            "create_date": SQL("r.date_order"),
            "write_date": SQL("r.date_order"),
        }
        self._retention_demo_copy_rows(
            "sale_order",
            overrides,
            SQL(
                """(SELECT * FROM unnest(%s::int[], %s::int[], %s::timestamp[], %s::numeric[], %s::bool[],
                                         %s::varchar[], %s::varchar[])
                        AS r(partner_id, user_id, date_order, amount, won, status_at, name)) r
                   CROSS JOIN sale_order t WHERE t.id = %s""",
                [c.id for c, *_r in rows],
                [c.user_id.id for c, *_r in rows],
                moments,
                [round(amount, 2) for _c, _d, amount, *_r in rows],
                [won for *_r, won, _s in rows],
                [status for *_r, status in rows],
                names,
                template.id,
            ),
        )
        price = SQL("o.amount_untaxed")
        self._retention_demo_copy_rows(
            "sale_order_line",
            {
                "order_id": SQL("o.id"),
                "order_partner_id": SQL("o.partner_id"),
                "salesman_id": SQL("o.user_id"),
                "price_unit": price,
                "technical_price_unit": price,
                "price_subtotal": price,
                "price_total": price,
                "price_reduce_taxexcl": price,
                "price_reduce_taxinc": price,
                "untaxed_amount_to_invoice": SQL("CASE WHEN t.untaxed_amount_to_invoice = 0 THEN 0 ELSE %s END", price),
                "create_date": SQL("o.date_order"),
                "write_date": SQL("o.date_order"),
            },
            SQL(
                "sale_order o CROSS JOIN sale_order_line t WHERE o.name = ANY(%s) AND t.order_id = %s",
                names,
                template.id,
            ),
        )
        self.env.cr.execute(
            SQL(
                """
            UPDATE sale_order so SET retention_days_since_previous_order = gap.days
              FROM (SELECT id, COALESCE(date_order::date - lag(date_order::date) OVER (
                                  PARTITION BY partner_id ORDER BY date_order, id), 0) AS days
                      FROM sale_order WHERE partner_id = ANY(%s) AND state = 'sale') gap
             WHERE so.id = gap.id
            """,
                [c.id for c in {c for c, *_r in rows}],
            )
        )
        self.env.invalidate_all()

    @api.model
    def _retention_demo_copy_rows(self, table, overrides, source):
        """INSERT INTO ``table`` every column of the template row ``t`` of ``source`` (a FROM clause), with the
        ``overrides`` {column: SQL} instead of the template's values."""
        columns = [
            name
            for (name,) in self.env.execute_query(
                SQL(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name != 'id'"
                    " ORDER BY ordinal_position",
                    table,
                )
            )
        ]
        self.env.cr.execute(
            SQL(
                "INSERT INTO %s (%s) SELECT %s FROM %s",
                SQL.identifier(table),
                SQL(", ").join(SQL.identifier(name) for name in columns),
                SQL(", ").join(overrides.get(name) or SQL("t.%s", SQL.identifier(name)) for name in columns),
                source,
            )
        )

    @api.model
    def _retention_demo_quotations(self, rng, product, customers, today):
        """Cancelled quotations of the last two years with their reasons, and pairs of duplicate quotations
        (the same product twice, one of them sent) for the duplicates cleanup."""
        reasons = [
            ("cancel_reason_better_price", 5),
            ("cancel_reason_long_delivery", 3),
            ("cancel_reason_changed_mind", 3),
            ("cancel_reason_already_purchased", 2),
            ("cancel_reason_inaccurate_info", 1),
            ("cancel_reason_poor_service", 1),
            ("cancel_reason_mistake", 1),
        ]
        picked = rng.sample(list(customers), 60)
        cancelled = {}
        for customer in picked[:45]:
            reason = rng.choices([r for r, _w in reasons], weights=[w for _r, w in reasons])[0]
            cancelled.setdefault(reason, []).append((customer, today - datetime.timedelta(days=rng.randint(3, 700))))
        for reason, rows in sorted(cancelled.items()):
            quotes = self.env["sale.order"].create(
                [
                    self._retention_demo_order_vals(c, c.user_id, product, day, rng.choice([300, 900, 2500]))
                    for c, day in rows
                ]
            )
            quotes.with_context(
                retention_cancel_reason_id=self.env.ref("order_retention.%s" % reason).id,
                retention_cancel_note="",
                disable_cancel_warning=True,
            ).action_cancel()
            self._retention_demo_backdate(quotes)
        duplicates = self.env["sale.order"].create(
            [
                self._retention_demo_order_vals(c, c.user_id, product, today - datetime.timedelta(days=days), amount)
                for c in picked[45:]
                for days, amount in ((rng.randint(4, 9), 1000.0), (rng.randint(0, 3), 1000.0))
            ]
        )
        duplicates[::2].write({"state": "sent"})

    @api.model
    def _retention_demo_population_calls(self, calls):
        """The telephony calls of the past retention calls (verified, pushed by the PBX as the salesperson), then
        their outcomes as the outcome dialog records them: calls = [(customer, days ago, seconds, status at the
        call, outcome, reason xmlid, next step)]."""
        now = fields.Datetime.now().replace(microsecond=0)
        rows = []
        for number, (customer, days, seconds, *_rest) in enumerate(calls):
            start = now - datetime.timedelta(days=days, minutes=47 * number % 600)
            rows.append(
                (
                    number,
                    {
                        "call_id": "DEMO-P%04d" % number,
                        "number": customer.phone,
                        "direction": "outbound",
                        "duration": seconds,
                        "start": start.isoformat(),
                        "user_login": customer.user_id.login,
                    },
                )
            )
        report = self.env["retention.call"]._retention_ingest(rows, "pbx", self.env.company)
        assert report["created"] == len(rows), report  # noqa: S101 (generated demo data: a bug, not a user error)
        self.env.flush_all()
        reasons = {xmlid: self.env.ref("order_retention.%s" % xmlid).id for xmlid in {c[5] for c in calls if c[5]}}
        self.env.cr.execute(
            SQL(
                """
            UPDATE retention_call c
               SET outcome = r.outcome, status_at_call = r.status, churn_reason_id = r.reason,
                   next_step = r.step, outcome_user_id = c.user_id, consumed_date = c.start,
                   consumed_activity_ref = %s
              FROM unnest(%s::varchar[], %s::varchar[], %s::varchar[], %s::int[], %s::varchar[])
                   AS r(call_id, outcome, status, reason, step)
             WHERE c.external_id = r.call_id AND c.source = 'pbx'
            """,
                "demo: an earlier retention call",
                ["DEMO-P%04d" % number for number in range(len(calls))],
                [c[4] for c in calls],
                [c[3] for c in calls],
                [reasons.get(c[5]) for c in calls],
                [c[6] for c in calls],
            )
        )
        self.env["retention.call"].invalidate_model()
