"""Hardening round three (issue #21): companies and searches, attacked over real JSON-RPC.

* A customer is moved to another company only into a company the caller works for, and a customer with an
  open retention call only by a sales manager (logged): a salesperson could otherwise push a colleague's
  customer out of the loop and out of sight of its own company, with no way back.
* The status history follows the customer's company (a company-2 salesperson reads no company-1 row).
* Every searchable computed field of the module (the search methods) answers every domain operator and odd
  values (None, lists, dicts, dates, huge numbers, text) with a result or a clear refusal, never a traceback:
  a seeded fuzz as an Own Documents Only salesperson, in the ORM and over JSON-RPC.
"""

import datetime
import logging
import random

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.osv.expression import TERM_OPERATORS
from odoo.tests import HttpCase, new_test_user, tagged

from .queue_common import PASSWORD, REFUSED, SALES, QueueFixture, RpcMixin
from .search_fuzz import fuzz_search_orm, jsonable, odd_values

D = datetime.timedelta
SEED = 20261204
_logger = logging.getLogger(__name__)

# (model, field) of every search method of order_retention (the bridges test their own the same way)
SEARCH_FIELDS = [
    ("res.partner", "retention_missing_order"),
    ("res.partner", "retention_days_since_last_order"),
    ("res.partner", "retention_overdue_days"),
    ("mail.activity", "retention_followup"),
    ("retention.call", "qualifies"),
]


@tagged("post_install", "-at_install", "order_retention")
class TestHardeningCompanies(QueueFixture, RpcMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._queue_setup()
        env = cls.env
        cls.company2 = env["res.company"].create({"name": "Second Retention Co", "country_id": env.ref("base.us").id})
        cls.c2_user = new_test_user(
            env,
            "h3_c2_sales",
            groups=SALES,
            name="Carla Second",
            password=PASSWORD,
            company_id=cls.company2.id,
            company_ids=[Command.set(cls.company2.ids)],
        )
        # a salesperson who works for both companies
        cls.s3.write({"company_ids": [Command.link(cls.company2.id)]})
        cls.manager = cls.leader
        cls.manager.write({"company_ids": [Command.link(cls.company2.id)]})
        cls.customer = cls._customer("Move Me Retail", cls.s1, phone="+1 650-253-7001", company_id=cls.company.id)
        cls.free_customer = cls._customer("Nobody's Move", None, company_id=cls.company.id)

    def _company_of(self, partner):
        self.env.invalidate_all()
        return self.env["res.partner"].sudo().browse(partner.id).company_id

    # ------------------------------------------------------------------
    # breach 2: moving a customer to another company
    # ------------------------------------------------------------------

    def test_move_colleague_customer_to_foreign_company_refused(self):
        """The attack of the issue: a salesperson moves a colleague's customer with an open retention call into a
        company they are not in; the customer would vanish for company-1 users."""
        self._system_call(self.customer, self.s1)
        self._login(self.s2)
        message = self.assertRefused(
            self._rpc("res.partner", "write", [self.customer.id], {"company_id": self.company2.id}),
            names={"odoo.exceptions.AccessError"},
        )
        self.assertIn(self.company2.name, message)
        self.assertEqual(self._company_of(self.customer), self.company)
        self.assertTrue(self._calls(self.customer), "the retention call must stay open")

    def test_move_to_foreign_company_refused_without_call(self):
        """No company a user is not in, even for a contact outside the loop (nor for the contact's own company
        form: a child contact follows its parent)."""
        self._login(self.s2)
        self.assertRefused(
            self._rpc("res.partner", "write", [self.free_customer.id], {"company_id": self.company2.id}),
            names={"odoo.exceptions.AccessError"},
        )
        self.assertRefused(
            self._rpc("res.partner", "create", {"name": "Smuggled", "company_id": self.company2.id}),
        )
        self.assertEqual(self._company_of(self.free_customer), self.company)

    def test_move_own_customer_with_open_call_needs_a_manager(self):
        """Even into a company they work for, a salesperson cannot move a customer whose retention call is open;
        without an open call they can; a manager can, and the move is logged on the customer."""
        mine = self._customer("Two Company Shop", self.s3, company_id=self.company.id)
        self._system_call(mine, self.s3)
        self._login(self.s3)
        message = self.assertRefused(
            self._rpc("res.partner", "write", [mine.id], {"company_id": self.company2.id}),
            names={"odoo.exceptions.UserError"},
        )
        self.assertIn("sales manager", message)
        self.assertRefused(
            self._rpc("res.partner", "write", [mine.id], {"company_id": False}),
            names={"odoo.exceptions.UserError"},
        )
        self.assertEqual(self._company_of(mine), self.company)
        # outside the loop: an ordinary edit
        quiet = self._customer("Quiet Two Company Shop", self.s3, company_id=self.company.id)
        self.assertAllowed(self._rpc("res.partner", "write", [quiet.id], {"company_id": self.company2.id}))
        self.assertEqual(self._company_of(quiet), self.company2)
        # the manager moves the customer in the loop; the chatter says who and where
        self._login(self.manager)
        self.assertAllowed(
            self._rpc(
                "res.partner",
                "write",
                [mine.id],
                {"company_id": self.company2.id},
                context={"allowed_company_ids": [self.company.id, self.company2.id]},
            )
        )
        self.assertEqual(self._company_of(mine), self.company2)
        bodies = (
            self.env["mail.message"].search([("model", "=", "res.partner"), ("res_id", "=", mine.id)]).mapped("body")
        )
        self.assertTrue(
            any(self.manager.name in body and self.company2.name in body for body in bodies),
            "the manager's move is logged",
        )

    def test_move_with_malformed_company_refused(self):
        """Company ids of the wrong type: a clear refusal, never a database error."""
        self._login(self.s1)
        for value in ("abc", [self.company2.id], {"id": 1}, True, 10**12, -5, 1.5):
            with self.subTest(value=value):
                self.assertRefused(self._rpc("res.partner", "write", [self.customer.id], {"company_id": value}))
        self.assertEqual(self._company_of(self.customer), self.company)

    def test_orm_move_rules(self):
        """The same rules in the ORM (server code of other modules goes through them too); the system is free."""
        self._system_call(self.customer, self.s1)
        with self.assertRaises(AccessError):
            self.customer.with_user(self.s2).write({"company_id": self.company2.id})
        with self.assertRaises(UserError):
            self.customer.with_user(self.s1).write({"company_id": False})
        self.customer.sudo().write({"company_id": self.company2.id})
        self.assertEqual(self.customer.company_id, self.company2)

    # ------------------------------------------------------------------
    # status history: the customer's company
    # ------------------------------------------------------------------

    def test_status_history_follows_company(self):
        History = self.env["retention.status.history"]
        shared = self._customer("Shared Everywhere", None, company_id=False)
        rows = History.create(
            [
                {"partner_id": self.free_customer.id, "date": self.today, "old_status": "warm", "new_status": "cold"},
                {"partner_id": shared.id, "date": self.today, "old_status": "warm", "new_status": "cold"},
            ]
        )
        self._login(self.c2_user)
        found = self.assertAllowed(
            self._rpc("retention.status.history", "search_read", [("id", "in", rows.ids)], fields=["partner_id"])
        )
        self.assertEqual([row["id"] for row in found], [rows[1].id], "company-1 history is not for company 2")
        self.assertRefused(
            self._rpc("retention.status.history", "read", [rows[0].id], ["explanation"]),
            names={"odoo.exceptions.AccessError"},
        )
        groups = self.assertAllowed(
            self._rpc(
                "retention.status.history",
                "read_group",
                [("id", "in", rows.ids)],
                ["new_status"],
                ["new_status"],
            )
        )
        self.assertEqual(sum(group["new_status_count"] for group in groups), 1)
        # company 1's salesperson sees both
        self._login(self.s2)
        found = self.assertAllowed(
            self._rpc("retention.status.history", "search_read", [("id", "in", rows.ids)], fields=["id"])
        )
        self.assertEqual(len(found), 2)


@tagged("post_install", "-at_install", "order_retention")
class TestSearchFuzz(QueueFixture, RpcMixin, HttpCase):
    """Every search method x every domain operator x odd values, as an Own Documents Only salesperson."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._queue_setup()
        cls.customer = cls._customer("Fuzz Retail", cls.s1, silent=40)
        cls.fresh = cls._customer("Fuzz Fresh", cls.s1, status="active", silent=2)

    def _search(self, env, model, domain):
        return env[model].search_count(domain)

    def test_fuzz_search_methods_orm(self):
        counts, crashes = fuzz_search_orm(
            self, self.env(user=self.s1), SEARCH_FIELDS, odd_values(random.Random(SEED), 40)
        )
        _logger.info("search fuzz (ORM, seed %s): %s, tracebacks %s", SEED, counts, len(crashes))
        self.assertFalse(crashes, "tracebacks:\n%s" % "\n".join(map(str, crashes[:20])))
        self.assertGreater(counts["answered"], 0)
        self.assertGreater(counts["refused"], 0)

    def test_fuzz_search_methods_rpc(self):
        """The same over JSON-RPC (search_count, read_group on the field's filter): every reply is a result or a
        handled refusal, never an HTTP 500 or an unhandled exception."""
        rng = random.Random(SEED + 1)
        values = [jsonable(value) for value in odd_values(rng, 4)]
        self._login(self.s1)
        counts = {"inputs": 0, "answered": 0, "refused": 0}
        crashes = []
        for model, field in SEARCH_FIELDS:
            for operator in TERM_OPERATORS:
                for value in rng.sample(values, 6):
                    counts["inputs"] += 1
                    _result, error = self._rpc(model, "search_count", [(field, operator, value)])
                    if not error:
                        counts["answered"] += 1
                    elif (error.get("data") or {}).get("name") in REFUSED and error["data"].get("message"):
                        counts["refused"] += 1
                    else:
                        crashes.append(
                            (model, field, operator, repr(value)[:60], (error.get("data") or {}).get("name"))
                        )
        _logger.info("search fuzz (JSON-RPC, seed %s): %s, tracebacks %s", SEED + 1, counts, len(crashes))
        self.assertFalse(crashes, "tracebacks:\n%s" % "\n".join(map(str, crashes[:20])))

    def test_search_meaning_kept(self):
        """The refusals did not change what the ordinary searches mean (list filters, saved filters)."""
        Partner = self.env["res.partner"].with_user(self.s1)
        ids = [self.customer.id, self.fresh.id]
        scope = [("id", "in", ids)]
        self.assertEqual(Partner.search(scope + [("retention_days_since_last_order", ">", 30)]), self.customer)
        self.assertEqual(Partner.search(scope + [("retention_days_since_last_order", "<=", "30")]), self.fresh)
        self.assertEqual(Partner.search(scope + [("retention_days_since_last_order", "=", False)]).ids, [])
        missing = Partner.search(scope + [("retention_missing_order", "=", True)])
        not_missing = Partner.search(scope + [("retention_missing_order", "!=", True)])
        self.assertEqual(missing | not_missing, self.customer | self.fresh, "missing or not: every customer once")
        self.assertFalse(missing & not_missing)
        self.assertEqual(
            sorted(Partner.search(scope + [("retention_missing_order", "in", [True, False])]).ids), sorted(ids)
        )
        self.assertFalse(Partner.search(scope + [("retention_missing_order", "not in", [True, False])]))
        Activity = self.env["mail.activity"].with_user(self.s1)
        call = self._system_call(self.customer, self.s1)
        self.assertIn(call, Activity.search([("retention_followup", "=", True)]))
        self.assertNotIn(call, Activity.search([("retention_followup", "in", [False])]))
        Call = self.env["retention.call"]
        logged = self._pbx("+1 650-253-7999", seconds=45)
        self.assertIn(logged, Call.search([("qualifies", "=", True)]))
        self.assertNotIn(logged, Call.search([("qualifies", "!=", True)]))
