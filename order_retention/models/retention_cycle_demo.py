import datetime
import random

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError

from .retention_policy import retention_system

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
        self.env["sale.order"].flush_model()
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
