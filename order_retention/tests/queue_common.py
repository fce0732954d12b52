"""Shared set-up of the retention-queue tests (test_retention_queue*.py): salespeople with known capacities, a
sales team with a leader, customers whose retention figures are set the way the nightly cycle writes them, the
allocation, and the JSON-RPC helpers of the attack tests. Not a test module (no ``test_`` prefix): its classes
are mixins, so that the test loader does not run anything twice."""

import datetime
import json

from odoo import Command, fields
from odoo.tests import new_test_user
from odoo.tools import SQL

from ..tools import queue_priority as qp

D = datetime.timedelta
PASSWORD = "Queue-Pass-2026!"
# a refusal the user can read: a handled Odoo exception, logged as a warning without a traceback
REFUSED = {"odoo.exceptions.AccessError", "odoo.exceptions.UserError", "odoo.exceptions.ValidationError"}
SALES = "sales_team.group_sale_salesman,base.group_partner_manager"
MANAGER = "sales_team.group_sale_manager,base.group_partner_manager"


class QueueFixture:
    """Mixin of TransactionCase / HttpCase classes: call ``_queue_setup()`` from ``setUpClass``."""

    @classmethod
    def _queue_setup(cls):
        cls.env = cls.env(
            context=dict(
                cls.env.context,
                tracking_disable=True,
                mail_create_nolog=True,
                no_reset_password=True,
                mail_activity_quick_update=True,
            )
        )
        env = cls.env
        cls.today = fields.Date.context_today(env["res.partner"])
        cls.company = env.company
        cls.company.write(
            {
                "country_id": env.ref("base.us").id,
                "retention_call_capacity": 4,
                "retention_low_touch_warm": "none",
                "retention_low_touch_cold": "none",
                "retention_low_touch_lost": "none",
                "retention_low_touch_max": 200,
            }
        )
        # the base holds only this test's customers: the demo's customers leave the queue (this transaction)
        env.flush_all()
        env.cr.execute(
            """
            UPDATE retention_customer SET retention_status = NULL, retention_waiting_since = NULL,
                   retention_queue_user_id = NULL, retention_restore_order_id = NULL
             WHERE retention_status IS NOT NULL OR retention_waiting_since IS NOT NULL
                OR retention_restore_order_id IS NOT NULL
            """
        )
        env["retention.customer"].invalidate_model()
        env["retention.customer"]._retention_invalidate_readers()
        cls.activity_type = env.ref("order_retention.mail_act_retention_call")
        ICP = env["ir.config_parameter"].sudo()
        ICP.set_param("sales_team.membership_multi", True)
        own = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)], "password": PASSWORD}
        cls.s1 = new_test_user(env, "q_s1", groups=SALES, name="Sam One", email="sam.one@example.com", **own)
        cls.s2 = new_test_user(env, "q_s2", groups=SALES, name="Sue Two", email="sue.two@example.com", **own)
        cls.s3 = new_test_user(env, "q_s3", groups=SALES, name="Sid Three", email="sid.three@example.com", **own)
        cls.leader = new_test_user(env, "q_leader", groups=MANAGER, name="Leo Leader", email="leo@example.com", **own)
        cls.fallback = new_test_user(
            env, "q_fallback", groups=SALES, name="Fay Fallback", email="fay@example.com", **own
        )
        ICP.set_param("order_retention.fallback_user_id", cls.fallback.id)
        # ``today`` is the nightly cycle's (OdooBot's timezone); the salespeople count theirs in their own, and so
        # do the outcome dialog's call-back bounds and Next Call: from 23:00 UTC on, OdooBot (Brussels) is a day
        # ahead of a salesperson in UTC
        cls.user_today = fields.Date.context_today(env["res.partner"].with_user(cls.s1))
        cls.team = env["crm.team"].create({"name": "Queue Team", "user_id": cls.leader.id})
        Member = env["crm.team.member"]
        cls.m1 = Member.create({"crm_team_id": cls.team.id, "user_id": cls.s1.id, "retention_call_capacity": 3})
        cls.m2 = Member.create({"crm_team_id": cls.team.id, "user_id": cls.s2.id, "retention_call_capacity": 2})
        cls.product = env["product.product"].create({"name": "Queue Widget", "list_price": 50.0, "type": "consu"})
        cls.Queue = env["retention.queue"]
        cls._phone_seq = 0

    # ------------------------------------------------------------------
    # customers and orders
    # ------------------------------------------------------------------

    @classmethod
    def _customer(cls, name, user, status="lost", var=100.0, silent=100, **vals):
        """A customer as the nightly cycle leaves it: status, value at risk, last order ``silent`` days ago."""
        return cls._customers([(name, user, status, var, silent, vals)])

    @classmethod
    def _customers(cls, specs):
        """Many at once: specs = [(name, user, status, value at risk, days silent, extra vals)]."""
        return cls.env["res.partner"].create(
            [
                {
                    "name": name,
                    "is_company": True,
                    "user_id": user.id if user else False,
                    "retention_status": status,
                    "retention_value_at_risk": var,
                    "retention_last_order_date": cls.today - D(days=silent) if silent is not None else False,
                    **vals,
                }
                for name, user, status, var, silent, vals in specs
            ]
        )

    @classmethod
    def _sql_orders(cls, rows, state="sale"):
        """Confirmed orders inserted in one statement: rows = [(partner, datetime, amount, team or None)]."""
        if not rows:
            return []
        company = cls.company
        values = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1.0, %s, %s, %s)",
                "QO%s" % i,
                partner.id,
                partner.id,
                partner.id,
                company.id,
                moment,
                state,
                amount,
                amount,
                company.currency_id.id,
                (team or cls.team).id,
                partner.user_id.id or None,
                fields.Datetime.now(),
            )
            for i, (partner, moment, amount, team) in enumerate(rows)
        )
        cls.env.flush_all()
        ids = cls.env.execute_query(
            SQL(
                """
            INSERT INTO sale_order (name, partner_id, partner_invoice_id, partner_shipping_id, company_id,
                                    date_order, state, amount_untaxed, amount_total, currency_id, currency_rate,
                                    team_id, user_id, create_date)
            VALUES %s RETURNING id
            """,
                values,
            )
        )
        cls.env["sale.order"].invalidate_model()
        return [row[0] for row in ids]

    # ------------------------------------------------------------------
    # the queue
    # ------------------------------------------------------------------

    def _allocate(self, day=None):
        counts = self.Queue._retention_allocate(day or self.today)
        self.env.flush_all()
        self.env.invalidate_all()
        return counts

    def _calls(self, partners=None, user=None, active=True):
        domain = [("res_model", "=", "res.partner"), ("activity_type_id", "=", self.activity_type.id)]
        if partners is not None:
            domain.append(("res_id", "in", partners.ids))
        if user is not None:
            domain.append(("user_id", "=", user.id))
        Activity = self.env["mail.activity"]
        if active is None:
            Activity = Activity.with_context(active_test=False)
        else:
            domain.append(("active", "=", active))
            Activity = Activity.with_context(active_test=False)
        return Activity.search(domain)

    def _system_call(self, partner, user, deadline=None):
        """A retention call scheduled by the system (as the nightly queue does)."""
        activity = self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": partner.id,
                "activity_type_id": self.activity_type.id,
                "user_id": user.id,
                "summary": "Retention call",
                "automated": True,
                "date_deadline": deadline or self.today,
            }
        )
        return activity

    @staticmethod
    def _worth(var, silent, rates=None):
        return qp.priority(var, silent, rates or qp.learn_winback_rates([]))

    def _pbx(self, number, seconds=60, offset=5):
        """A verified telephony call, logged ``offset`` seconds after this transaction started."""
        type(self)._phone_seq += 1
        call_id = "QUEUE-%s-%s" % (self.id(), self._phone_seq)
        report = self.env["retention.call"]._retention_ingest(
            [
                (
                    0,
                    {
                        "call_id": call_id,
                        "number": number,
                        "direction": "outbound",
                        "start": (self.env.cr.now() + D(seconds=offset + self._phone_seq)).isoformat(),
                        "duration": seconds,
                    },
                )
            ],
            "pbx",
            self.company,
        )
        self.assertEqual(report["created"], 1, report)
        return self.env["retention.call"].search([("external_id", "=", call_id)])


class RpcMixin:
    """JSON-RPC as a real web client does it (HttpCase)."""

    def _login(self, user):
        self.authenticate(user.login, PASSWORD) if user else self.authenticate(None, None)

    def _rpc(self, model, method, *args, **kwargs):
        """call_kw as the logged-in user; returns (result, error dict or None). The HTTP status is always
        checked: a JSON-RPC error comes back in a 200 response, a 500 is a crash."""
        self.env.flush_all()
        payload = {
            "id": 1,
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        }
        response = self.url_open(
            "/web/dataset/call_kw/%s/%s" % (model, method),
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        self.env.invalidate_all()
        self.assertEqual(response.status_code, 200, response.text[:500])
        body = response.json()
        return body.get("result"), body.get("error")

    def assertRefused(self, outcome, names=None, contains=None):
        """Refused with a clear error: a handled Odoo exception with a message (no crash, no HTTP 500)."""
        names = REFUSED if names is None else names
        result, error = outcome
        self.assertTrue(error, "the attack succeeded (returned %r)" % (result,))
        data = error.get("data") or {}
        self.assertIn(data.get("name"), names, data.get("debug"))
        self.assertTrue((data.get("message") or "").strip(), "a refusal without a message")
        if contains:
            self.assertIn(contains, data["message"])
        return data["message"]

    def assertAllowed(self, outcome):
        result, error = outcome
        self.assertFalse(error, error and "%s: %s" % (error["data"]["name"], error["data"]["message"]))
        return result
